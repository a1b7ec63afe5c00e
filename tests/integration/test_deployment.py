"""The README's deployments, for real: ``tests/integration/apps/deployed.py`` served by gunicorn
(``gthread`` and ``gevent`` workers) and by the development servers (``app.run`` and
``socketio.run``), each in a child process on 127.0.0.1, stopped by its PID.

For each deployment: the process picks the async mode the README promises, an event callback
streams to completion over ``POST _dash-live/stream``, and a python-socketio client receives a
``push_props`` update over WebSocket and over long-polling.
"""

from __future__ import annotations

import importlib
import json
import queue
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from socketio import Client as SocketIOClient

from dash_live.core.sse import parse_events
from dash_live.core.updates import UPDATE_EVENT
from dash_live.core.wire import STREAM_ROUTE
from devtools.processes import ServerProcess
from tests.integration.test_socketio import disconnect

APP = "tests.integration.apps.deployed"
COUNT = 20  # deployed.COUNT (not imported: importing the module would build its app here)
#: Seconds any single wait may take; a worker booting Dash takes about two.
WAIT = 30.0


@dataclass(frozen=True)
class Deployment:
    """How to start one deployment, and what the README says it does."""

    name: str
    command: tuple[str, ...]  # "{port}" stands for the port
    async_mode: str


def _gunicorn(*worker: str) -> tuple[str, ...]:
    command = (sys.executable, "-m", "gunicorn", *worker, "-w", "1", "-b", "127.0.0.1:{port}")
    # Open WebSockets must not hold a stop for gunicorn's default 30 s.
    command += ("--graceful-timeout", "2")
    settings = importlib.import_module("gunicorn.config").KNOWN_SETTINGS
    if any(setting.name == "control_socket_disable" for setting in settings):
        # gunicorn >= 27 opens a control socket in $HOME, shared by every gunicorn started.
        command += ("--no-control-socket",)
    return (*command, f"{APP}:server")


DEPLOYMENTS = [
    Deployment("gunicorn gthread", _gunicorn("-k", "gthread", "--threads", "8"), "threading"),
    # The README: "dash-live notices the patched process and uses gevent".
    Deployment("gunicorn gevent", _gunicorn("-k", "gevent"), "gevent"),
    Deployment(
        "app.run",
        (sys.executable, "-m", "tests.integration.apps.devserver", "{port}", "app.run"),
        "threading",
    ),
    Deployment(
        "socketio.run",
        (sys.executable, "-m", "tests.integration.apps.devserver", "{port}", "socketio.run"),
        "threading",
    ),
]


class Running:
    """A deployment running in a child process; its output goes to ``log``."""

    def __init__(self, deployment: Deployment, log: Path) -> None:
        self.deployment = deployment
        self.server = ServerProcess(deployment.command, log=log, name=deployment.name)
        self.port = self.server.port
        self.url = self.server.url

    @property
    def process(self) -> subprocess.Popen[bytes]:
        assert self.server.process is not None, "not started"
        return self.server.process

    def wait_ready(self) -> dict[str, Any]:
        """Start; wait until the app answers (the worker has booted); return
        ``/_deployed/info``."""
        try:
            self.server.start(WAIT)
            # gunicorn listens before its worker has imported the app: this waits for it.
            with requests.get(self.url + "/_deployed/info", timeout=WAIT) as answer:
                assert answer.status_code == 200, answer.text
                info: dict[str, Any] = answer.json()
                return info
        except BaseException as error:
            self.stop()
            raise AssertionError(
                f"{self.deployment.name} did not start:\n{self.output()}"
            ) from error

    def output(self) -> str:
        return self.server.output()

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="module", params=DEPLOYMENTS, ids=[d.name for d in DEPLOYMENTS])
def deployed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Running, dict[str, Any]]]:
    deployment: Deployment = request.param
    log = tmp_path_factory.mktemp("deployment") / "server.log"
    running = Running(deployment, log)
    try:
        info = running.wait_ready()
        yield running, info
    finally:
        running.stop()
    assert running.process.returncode is not None


# The tests.


def test_the_async_mode_is_the_one_the_readme_promises(
    deployed: tuple[Running, dict[str, Any]],
) -> None:
    running, info = deployed
    assert info["async_mode"] == running.deployment.async_mode, info
    assert info["gevent_patched"] == (running.deployment.async_mode == "gevent"), info
    if running.deployment.name.startswith("gunicorn"):
        assert info["pid"] != running.process.pid, "the app should run in gunicorn's worker"
    else:
        assert info["pid"] == running.process.pid


def stream_body(callback: str = "count", token: str | None = None) -> dict[str, Any]:
    """The request the browser sends when the callback's button is clicked once (see
    tests/integration/streams.py); ``hold`` also sends the ``token`` input's value."""
    button = "go" if callback == "count" else callback
    return {
        "callback": f"{APP}.{callback}",
        "stream": uuid.uuid4().hex,
        "inputs": [{"id": button, "property": "n_clicks", "value": 1}],
        "state": [] if token is None else [{"id": "token", "property": "value", "value": token}],
        "changedPropIds": [f"{button}.n_clicks"],
    }


def applied(updates: list[list[Any]]) -> dict[tuple[str, str], Any]:
    """The end state of set/append updates applied in order, as the page applies them."""
    state: dict[tuple[str, str], Any] = {}
    for component, prop, op, value in updates:
        assert op in ("set", "append"), op
        key = (str(component), prop)
        state[key] = state.get(key, type(value)()) + value if op == "append" else value
    return state


class EventReader:
    """Reads the events of a stream response as they arrive."""

    def __init__(self, response: requests.Response) -> None:
        self.chunks = response.iter_content(chunk_size=None, decode_unicode=True)
        self.text = ""
        self.seen = 0  # events already returned

    def until(self, name: str, deadline: float) -> list[tuple[str, Any]]:
        """The events after those already returned, up to the first one called ``name``."""
        for _ in range(10_000):
            complete = self.text[: self.text.rfind("\n\n") + 2]
            events = [(event, json.loads(data)) for event, data in parse_events(complete)]
            names = [event for event, _ in events[self.seen :]]
            if name in names:
                end = self.seen + names.index(name) + 1
                new, self.seen = events[self.seen : end], end
                return new
            assert time.monotonic() < deadline, f"no {name!r} event in time: {self.text!r}"
            chunk = next(self.chunks, None)
            assert chunk is not None, f"the stream ended without {name!r}: {self.text!r}"
            self.text += chunk if isinstance(chunk, str) else chunk.decode()
        raise AssertionError(f"10,000 chunks without {name!r}")


def test_an_event_callback_streams_to_completion(
    deployed: tuple[Running, dict[str, Any]],
) -> None:
    running, info = deployed
    with requests.post(
        f"{running.url}/{STREAM_ROUTE}", json=stream_body(), stream=True, timeout=WAIT
    ) as response:
        assert response.status_code == 200, response.text
        assert response.headers["Content-Type"].startswith("text/event-stream")
        events = EventReader(response).until("end", time.monotonic() + WAIT)

    updates = [update for name, data in events if name == "update" for update in data]
    # Updates that queue up are folded before they are sent (dash_live.core.coalesce): the end
    # state is what the page shows.
    assert applied(updates) == {
        ("out", "children"): "".join(f"{i} " for i in range(COUNT)),
        ("status", "children"): f"clicked 1 in {info['pid']}",
    }
    assert events[-1] == ("end", {"reason": "done"})
    assert {name for name, _ in events} == {"update", "end"}, running.output()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_socketio_client_receives_pushed_props(
    deployed: tuple[Running, dict[str, Any]], transport: str
) -> None:
    running, _ = deployed
    client: Any = SocketIOClient(reconnection=False)
    updates: queue.Queue[list[list[Any]]] = queue.Queue()
    client.on(UPDATE_EVENT, updates.put)
    try:
        client.connect(running.url, transports=[transport], wait_timeout=WAIT)
        assert client.transport() == transport
        # The handler pushes to the socket that asked, with push_props.
        assert client.call("push-me", f"over {transport}", timeout=WAIT) == "pushed"
        assert updates.get(timeout=WAIT) == [["out", "children", "append", f"over {transport}"]]
    finally:
        disconnect(client)


def test_a_held_stream_and_a_socket_are_served_at_once(
    deployed: tuple[Running, dict[str, Any]],
) -> None:
    """A stream holds a thread (gthread) or a greenlet (gevent) while it waits; the same worker
    still serves the Socket.IO client whose ``release`` lets the stream finish."""
    running, _ = deployed
    token = uuid.uuid4().hex
    client: Any = SocketIOClient(reconnection=False)
    deadline = time.monotonic() + WAIT
    with requests.post(
        f"{running.url}/{STREAM_ROUTE}",
        json=stream_body("hold", token),
        stream=True,
        timeout=WAIT,
    ) as response:
        assert response.status_code == 200, response.text
        reader = EventReader(response)
        first = reader.until("update", deadline)
        assert first == [("update", [["out", "children", "set", f"holding {token}"]])]
        try:
            client.connect(running.url, transports=["websocket"], wait_timeout=WAIT)
            assert client.call("release", token, timeout=WAIT) == "released"
        finally:
            disconnect(client)
        rest = reader.until("end", deadline)
    assert rest == [
        ("update", [["out", "children", "set", f"released {token}"]]),
        ("end", {"reason": "done"}),
    ]
