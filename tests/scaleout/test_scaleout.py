"""Several server processes sharing one real redis-server, and pushes from other processes.

Each test starts its own ``redis-server`` and server processes on free loopback ports and stops
them by PID. Clients are real python-socketio clients over WebSocket.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests
import socketio

from dash_live.push.message_queue import CHANNEL
from devtools.processes import ROOT, ServerProcess
from tests.conftest import needs_fastapi
from tests.scaleout.redis_server import RedisServer

WAIT = 30.0  # seconds any single condition may take before the test fails


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.cleanup()


class Tab:
    """A Socket.IO client standing for one browser tab: collects its ``dash-live:update``s."""

    def __init__(
        self, url: str, auth: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.updates: queue.Queue[list[Any]] = queue.Queue()
        self.disconnected = queue.Queue[str]()
        self.room_tokens: queue.Queue[dict[str, str]] = queue.Queue()
        # Generous timeouts: a loaded 2-core machine can take seconds to accept a WebSocket.
        self.client = socketio.Client(reconnection=False, request_timeout=WAIT)
        self.client.on("dash-live:update", self.updates.put)
        self.client.on("dash-live:rooms", self.room_tokens.put)
        self.client.on("disconnect", lambda *reason: self.disconnected.put("gone"))
        self.client.connect(
            url, transports=["websocket"], wait_timeout=WAIT, auth=auth, headers=headers or {}
        )
        self.websocket = self.client.eio.ws  # engineio may forget it when the server goes
        self.pid: int = self.client.call("whoami", timeout=WAIT)

    def join(self, room: str) -> None:
        assert self.client.call("join", room, timeout=WAIT) == room

    def leave(self, room: str) -> None:
        assert self.client.call("leave", room, timeout=WAIT) == room

    def next_update(self) -> list[Any]:
        try:
            return self.updates.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no update reached the tab on process {self.pid}") from None

    def close(self) -> None:
        self.client.disconnect()
        # A tab whose server went away is disconnected already, and disconnect() leaves its
        # WebSocket to the garbage collector (a ResourceWarning in whatever test runs then).
        self.websocket.shutdown()  # the socket itself, whatever state the WebSocket is in


@pytest.fixture
def tabs() -> Iterator[Callable[..., Tab]]:
    opened: list[Tab] = []

    def open_tab(
        url: str, auth: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Tab:
        tab = Tab(url, auth, headers)
        opened.append(tab)
        return tab

    yield open_tab
    for tab in opened:
        tab.close()


def wait_for_subscribers(redis_url: str, count: int) -> None:
    """Wait until ``count`` processes listen on the Socket.IO channel: Redis pub/sub does not
    keep messages for a subscriber that has not subscribed yet."""
    client = redis.Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + WAIT
        while True:
            listening = dict(client.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0)
            if listening >= count:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{listening} of {count} processes subscribed to Redis")
            time.sleep(0.05)  # polling Redis for a state; not synchronising a race
    finally:
        client.close()


def worker_command(backend: str) -> list[str]:
    """The command of one worker of the scale-out app on ``backend`` (its port: ``{port}``)."""
    if backend == "fastapi":
        app = "tests.scaleout.asgi_app:server"
        return [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", "{port}"]
    return [sys.executable, "-m", "tests.scaleout.app", "{port}"]


def start_workers(redis_server: RedisServer, backend: str) -> Iterator[Callable[[], ServerProcess]]:
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        worker = ServerProcess(
            worker_command(backend),
            env={"DASH_LIVE_REDIS_URL": redis_server.url, "APP_SECRET_KEY": "shared-secret"},
        )
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture(params=["flask", pytest.param("fastapi", marks=needs_fastapi)])
def workers(
    redis_server: RedisServer, request: pytest.FixtureRequest
) -> Iterator[Callable[[], ServerProcess]]:
    """Worker processes of the scale-out app, all on the same Redis: Flask dev servers, or
    uvicorn serving it on Dash's FastAPI backend."""
    yield from start_workers(redis_server, request.param)


@pytest.fixture
def flask_workers(redis_server: RedisServer) -> Iterator[Callable[[], ServerProcess]]:
    """Flask workers only: for what needs the app's Flask login (the user's room)."""
    yield from start_workers(redis_server, "flask")


def publish(redis_url: str, room: str, text: str) -> subprocess.CompletedProcess[str]:
    """Push from a separate process that serves no app."""
    return subprocess.run(
        [sys.executable, "-m", "tests.scaleout.publish", room, text],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DASH_LIVE_REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )


def news(text: str) -> list[list[Any]]:
    return [["news", "children", "set", text]]


def test_a_room_message_from_another_process_reaches_clients_of_both_workers(
    redis_server: RedisServer, workers: Callable[[], ServerProcess], tabs: Callable[..., Tab]
) -> None:
    first, second = workers(), workers()
    on_first, on_second, outsider = tabs(first.url), tabs(second.url), tabs(second.url)
    assert on_first.pid != on_second.pid
    on_first.join("news-room")
    on_second.join("news-room")
    wait_for_subscribers(redis_server.url, 2)

    assert publish(redis_server.url, "news-room", "hello").returncode == 0
    assert publish(redis_server.url, "*", "to everyone").returncode == 0

    assert on_first.next_update() == news("hello")
    assert on_second.next_update() == news("hello")
    # One channel, delivered in order: the outsider's first update is the broadcast, so it
    # never got the room message.
    assert outsider.next_update() == news("to everyone")
    assert on_first.next_update() == news("to everyone")


def test_a_job_process_streams_progress_to_the_tab_that_started_it(
    redis_server: RedisServer, workers: Callable[[], ServerProcess], tabs: Callable[..., Tab]
) -> None:
    first, second = workers(), workers()
    mine, theirs = tabs(first.url), tabs(second.url)
    wait_for_subscribers(redis_server.url, 2)

    mine.client.call("start-job", 60, timeout=WAIT)
    theirs.client.call("start-job", 40, timeout=WAIT)

    assert [mine.next_update() for _ in range(60)] == [
        [["progress", "children", "set", f"{step}/60"]] for step in range(1, 61)
    ]
    assert [theirs.next_update() for _ in range(40)] == [
        [["progress", "children", "set", f"{step}/40"]] for step in range(1, 41)
    ]


def test_every_kind_of_update_reaches_all_tabs_of_a_user_across_workers(
    redis_server: RedisServer, flask_workers: Callable[[], ServerProcess], tabs: Callable[..., Tab]
) -> None:
    first, second = flask_workers(), flask_workers()
    # Two tabs of alice on two workers, and bob: the user comes from the session cookie of
    # the app's login on one worker, which the other honours (one secret for all).
    alice = login_cookie(first.url, "alice")
    alice_here = tabs(first.url, headers=alice)
    alice_there = tabs(second.url, headers=alice)
    bob = tabs(second.url, headers=login_cookie(first.url, "bob"))
    wait_for_subscribers(redis_server.url, 2)

    pushed = subprocess.run(
        [sys.executable, "-m", "tests.scaleout.push_kinds", "alice"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "DASH_LIVE_REDIS_URL": redis_server.url},
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert pushed.returncode == 0, pushed.stderr

    expected = [
        ["title", "children", "set", "set"],
        ["log", "children", "append", " appended"],
        ["box", "style", "merge", {"color": "red"}],
        [
            "items",
            "data",
            "patch",
            {
                "__dash_patch_update": "__dash_patch_update",
                "operations": [
                    {"operation": "Append", "location": [], "params": {"value": "patched"}}
                ],
            },
        ],
    ]
    for tab in (alice_here, alice_there):
        assert tab.next_update() == expected
        assert tab.next_update() == news("fence")
    assert bob.next_update() == news("fence"), "bob received alice's update"


def login_cookie(url: str, user: str) -> dict[str, str]:
    """The ``Cookie`` header of a browser that logged in as ``user`` at ``url``."""
    answer = requests.get(f"{url}/login/{user}", timeout=WAIT)
    assert answer.status_code == 200, answer.text
    return {"Cookie": f"session={answer.cookies['session']}"}


def test_killing_one_worker_does_not_disturb_the_clients_of_the_other(
    redis_server: RedisServer, workers: Callable[[], ServerProcess], tabs: Callable[..., Tab]
) -> None:
    doomed, survivor = workers(), workers()
    on_doomed, on_survivor = tabs(doomed.url), tabs(survivor.url)
    on_doomed.join("room")
    on_survivor.join("room")
    wait_for_subscribers(redis_server.url, 2)

    doomed.stop()
    assert on_doomed.disconnected.get(timeout=WAIT) == "gone"

    assert publish(redis_server.url, "room", "still here").returncode == 0
    assert on_survivor.next_update() == news("still here")
    assert on_survivor.client.connected
    assert on_survivor.disconnected.empty()


def test_a_redis_restart_is_survived_with_a_clear_error_meanwhile(
    redis_server: RedisServer, workers: Callable[[], ServerProcess], tabs: Callable[..., Tab]
) -> None:
    first, second = workers(), workers()
    on_first, on_second = tabs(first.url), tabs(second.url)
    on_first.join("room")
    on_second.join("room")
    wait_for_subscribers(redis_server.url, 2)

    redis_server.stop()
    refused = publish(redis_server.url, "room", "lost")
    assert refused.returncode == 3
    assert "could not publish to the Redis message queue" in refused.stderr
    assert redis_server.url in refused.stderr

    redis_server.start()
    # The workers' listeners reconnect with a backoff of their own (1 s, 2 s, 4 s, ...).
    wait_for_subscribers(redis_server.url, 2)
    assert publish(redis_server.url, "room", "back").returncode == 0
    assert on_first.next_update() == news("back")
    assert on_second.next_update() == news("back")
    # The Socket.IO connections never depended on Redis.
    assert on_first.client.connected
    assert on_second.client.connected
    assert on_first.disconnected.empty()
    assert on_second.disconnected.empty()


def test_a_tab_moving_to_another_worker_keeps_its_rooms(
    redis_server: RedisServer, workers: Callable[[], ServerProcess], tabs: Callable[..., Tab]
) -> None:
    first, second = workers(), workers()
    tab_id = "7ab" * 8  # the id a DashSocketIO sends with every connection of its tab
    before = tabs(first.url, {"dash-live:tab": tab_id})
    before.join("room")
    token = before.room_tokens.get(timeout=WAIT)
    assert token["join"] == "room"
    before.close()
    # The reconnection lands on the other worker (as after a restart or a failover) and shows
    # the token the first one signed: it is in the room before its first event.
    after = tabs(second.url, {"dash-live:tab": tab_id, "dash-live:rooms": [token["token"]]})
    wait_for_subscribers(redis_server.url, 2)
    assert publish(redis_server.url, "room", "welcome back").returncode == 0
    assert after.next_update() == news("welcome back")


def test_a_room_left_on_one_worker_is_not_rejoined_on_another(
    redis_server: RedisServer, workers: Callable[[], ServerProcess], tabs: Callable[..., Tab]
) -> None:
    first, second = workers(), workers()
    tab_id = "5ee" * 8
    before = tabs(first.url, {"dash-live:tab": tab_id})
    before.join("room")
    token = before.room_tokens.get(timeout=WAIT)["token"]
    before.leave("room")  # revoked on the first worker, and in Redis
    assert before.room_tokens.get(timeout=WAIT) == {"leave": "room"}
    before.close()
    # A kept copy of the token, shown to the other worker, does not put the tab back.
    after = tabs(second.url, {"dash-live:tab": tab_id, "dash-live:rooms": [token]})
    after.join("control")
    wait_for_subscribers(redis_server.url, 2)
    assert publish(redis_server.url, "room", "not for you").returncode == 0
    assert publish(redis_server.url, "control", "for you").returncode == 0
    # Both travel in order through the same channel: "room" would have come first.
    assert after.next_update() == news("for you")


def gunicorn(redis_url: str, workers: int) -> ServerProcess:
    """gunicorn with several gevent workers on one port, started."""
    return ServerProcess(
        [
            sys.executable, "-m", "gunicorn",
            "--bind", "127.0.0.1:{port}",
            "--worker-class", "gevent",
            "--workers", str(workers),
            "--graceful-timeout", "2",
            "tests.scaleout.app:server",
        ],
        env={"DASH_LIVE_REDIS_URL": redis_url},
    ).start()  # fmt: skip


def test_gunicorn_gevent_workers_share_rooms_over_websocket_only(
    redis_server: RedisServer, tabs: Callable[..., Tab]
) -> None:
    # WebSocket-only clients need no sticky sessions: each connection is one request that
    # stays on the worker that accepted it.
    server = gunicorn(redis_server.url, workers=2)
    try:
        # One tab on each worker. A worker still importing the app accepts nothing, so the
        # first one can take every early connection: try until both have one, closing the
        # extras (bounded in count and in time).
        opened: dict[int, Tab] = {}
        deadline = time.monotonic() + WAIT
        for _ in range(500):
            tab = tabs(server.url)
            if tab.pid in opened:
                tab.close()
            else:
                opened[tab.pid] = tab
            if len(opened) == 2 or time.monotonic() > deadline:
                break
        assert len(opened) == 2, f"every connection went to worker {set(opened)}"
        for tab in opened.values():
            tab.join("everyone-here")
        wait_for_subscribers(redis_server.url, 2)

        assert publish(redis_server.url, "everyone-here", "from outside").returncode == 0
        for tab in opened.values():
            assert tab.next_update() == news("from outside")
    finally:
        server.stop(grace=15)
