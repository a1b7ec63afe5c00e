"""Issue 12's resource defects, each on every real server: Werkzeug (``app.run``), gunicorn
gthread and gevent, and Dash's FastAPI backend under uvicorn. After each case the test counts
what the process still holds (``GET /_deployed/state``: open generators, registered streams,
armed deadlines, threads, greenlets, asyncio tasks) and waits for it to return to what it was.

- Defect 5: the stream timeout holds against a client that stops reading with its connection
  open (the response's write is blocked; deadlines.py cancels the generator anyway).
- Defect 6: a body over ``DASH_LIVE_MAX_BODY_BYTES`` is refused from its Content-Length,
  before it is read (on FastAPI, ahead of Dash's middleware, which parses every body).
- Defects 3 and 7, on every server: only the client that started a stream cancels it, and
  JSON nested too deeply is a 400 that says so.
- Over Socket.IO (the Flask servers; FastAPI's is issue 15): the timeout holds against a
  socket that stops acknowledging (defect 5), and a socket that vanishes mid-stream releases
  its stream, its generator and its thread or greenlet (defect 4).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from dash_live.transports.socketio import START_EVENT
from devtools.processes import ServerProcess
from tests.conftest import needs_fastapi
from tests.integration.test_deployment import DEPLOYMENTS, Deployment
from tests.integration.test_socketio import RawSocket

FLASK_APP = "tests.integration.apps.deployed"
FASTAPI_APP = "tests.integration.apps.fastapi_deployed"
FLOOD_TIMEOUT = 2  # deployed.FLOOD_TIMEOUT, fastapi_deployed.FLOOD_TIMEOUT
KEEPALIVE = 2.0  # DASH_LIVE_KEEPALIVE's default
# After a socket closes, Engine.IO's ping task for it (a greenlet under gevent) ends when it
# wakes up for its next ping: up to python-socketio's ping interval later.
SOCKET_GONE = 25.0 + KEEPALIVE + 10
WAIT = 30.0
LIMIT = 2  # DASH_LIVE_MAX_STREAMS_PER_CLIENT of the servers started here

_UVICORN = ("-m", "uvicorn", f"{FASTAPI_APP}:server", "--host", "127.0.0.1", "--port", "{port}")
UVICORN = Deployment("uvicorn", (sys.executable, *_UVICORN, "--log-level", "warning"), "asyncio")
SERVERS = [
    *(pytest.param(d, id=d.name) for d in DEPLOYMENTS if d.name != "socketio.run"),
    pytest.param(UVICORN, id=UVICORN.name, marks=needs_fastapi),
]


@dataclass
class Server:
    deployment: Deployment
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def app(self) -> str:
        return FASTAPI_APP if self.deployment is UVICORN else FLASK_APP

    def state(self) -> dict[str, int]:
        with requests.get(self.url + "/_deployed/state", timeout=WAIT) as answer:
            assert answer.status_code == 200, answer.text
            found: dict[str, int] = answer.json()
            return found


@pytest.fixture(scope="module", params=SERVERS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    deployment: Deployment = request.param
    log = tmp_path_factory.mktemp("hardening") / "server.log"
    process = ServerProcess(
        deployment.command, env={"DEPLOYED_MAX_STREAMS": str(LIMIT)}, log=log, name=deployment.name
    )
    try:
        process.start(WAIT)
        assert process.process is not None
        running = Server(deployment, process.port, process.process, log)
        running.state()  # gunicorn listens before its worker has imported the app
        warm_up(running)
        yield running
    finally:
        process.stop()


def warm_up(server: Server) -> None:
    """Run one stream to its end, so that what a process keeps for good (the deadline timer,
    a server's pool) exists before a test counts what it holds."""
    body = stream_body(server, "go")
    with requests.post(server.url + "/_dash-live/stream", json=body, timeout=WAIT) as answer:
        assert answer.status_code == 200, answer.text
        assert "event: end" in answer.text, answer.text
    # A first WebSocket makes gevent start greenlets it keeps (its hub's helpers).
    raw = RawSocket(server.url)
    start_over_socket(raw, server, "flood")
    wait_until(lambda: server.state()["flooding"] == 1, WAIT, "the flood did not start")
    raw.close()
    idle = {"flooding": 0, "streams": 0, "deadlines": 0}
    wait_until(settled(server, idle), KEEPALIVE + 10, "the warm-up stream did not end")


def wait_until(check: Callable[[], object], within: float, what: str) -> float:
    """Poll ``check`` until it holds; return the seconds it took. Fail after ``within``,
    saying what ``check`` last returned when that is not a plain False."""
    start = time.monotonic()
    for _ in range(10_000):
        result = check()
        if result is True:
            return time.monotonic() - start
        assert time.monotonic() - start < within, f"{what} {result}: not within {within} s"
        time.sleep(0.05)
    raise AssertionError(f"{what}: 10,000 checks")


def settled(server: Server, before: dict[str, int]) -> Callable[[], object]:
    """True when the server holds no more than ``before`` (nothing left of the cases since),
    else what it holds now."""

    def check() -> object:
        now = server.state()
        return all(now.get(key, 0) <= value for key, value in before.items()) or now

    return check


CALLBACKS = {"go": "count", "flood": "flood", "flood-sync": "flood_sync"}


def stream_body(server: Server, button: str) -> dict[str, Any]:
    """The request the page sends when ``button`` is clicked once."""
    return {
        "callback": f"{server.app}.{CALLBACKS[button]}",
        "stream": uuid.uuid4().hex,
        "inputs": [{"id": button, "property": "n_clicks", "value": 1}],
        "state": [],
        "changedPropIds": [f"{button}.n_clicks"],
    }


def stream_request(server: Server, button: str) -> bytes:
    """A whole HTTP request that starts the stream of ``button``."""
    body = json.dumps(stream_body(server, button)).encode()
    head = (
        "POST /_dash-live/stream HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def stalled_client(server: Server, request: bytes) -> socket.socket:
    """A client that sends ``request`` and never reads the answer: a tiny receive buffer, so
    the server's writes block once the kernel's buffers are full."""
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(("127.0.0.1", server.port))
    client.sendall(request)
    return client


def floods(server: Server) -> list[str]:
    return ["flood", "flood-sync"] if server.deployment is UVICORN else ["flood"]


def test_the_timeout_holds_against_a_client_that_stops_reading(server: Server) -> None:
    for button in floods(server):
        before = server.state()
        assert before["flooding"] == 0, before
        client = stalled_client(server, stream_request(server, button))
        try:
            wait_until(lambda: server.state()["flooding"] == 1, WAIT, f"{button} did not start")
            # The client stays connected, reading nothing: the generator must still end.
            wait_until(
                lambda: server.state()["flooding"] == 0,
                FLOOD_TIMEOUT + KEEPALIVE + 10,
                f"{button}'s generator outlived its {FLOOD_TIMEOUT} s timeout",
            )
        finally:
            client.close()
        # Gone for good: the stream, its deadline, its thread or greenlet or task are let go.
        check = settled(server, before)
        wait_until(check, KEEPALIVE + 10, f"{button} left something behind: {before} then")


def oversized_request(server: Server, declared: int) -> bytes:
    """The head of a stream request that declares a ``declared``-byte body, and 1 KiB of it."""
    head = (
        "POST /_dash-live/stream HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{server.port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    )
    return head.encode() + b'{"callback": "' + b"x" * 1024


def read_answer(client: socket.socket, within: float) -> bytes:
    """What the server sends until it closes the connection; fail after ``within`` s."""
    client.settimeout(within)
    answer = b""
    deadline = time.monotonic() + within
    for _ in range(10_000):
        try:
            chunk = client.recv(65536)
        except TimeoutError:
            chunk = None
        still_open = f"the connection was still open after {within} s; got {answer[:300]!r}"
        assert chunk is not None, still_open
        assert time.monotonic() < deadline, still_open
        if not chunk:
            return answer
        answer += chunk
    raise AssertionError("10,000 reads")


def test_an_oversized_body_is_refused_before_it_is_read(server: Server) -> None:
    before = server.state()
    declared = 200_000_000
    client = socket.create_connection(("127.0.0.1", server.port))
    try:
        client.sendall(oversized_request(server, declared))
        # The rest of the body is never sent: an answer proves nobody waited to read it.
        answer = read_answer(client, 10)
    finally:
        client.close()
    status, _, rest = answer.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 413"), answer[:300]
    assert b"DASH_LIVE_MAX_BODY_BYTES" in rest, rest[:500]
    assert str(declared).encode() in rest, rest[:500]
    check = settled(server, before)
    wait_until(check, KEEPALIVE + 10, f"the refusal left something behind: {before} then")


@pytest.mark.parametrize("route", ["stream", "cancel"])
def test_json_nested_too_deeply_is_a_400_that_says_so(server: Server, route: str) -> None:
    # Issue 12, defect 7: RecursionError escaped Flask's get_json(silent=True) as a 500.
    body = "[" * 5000 + "]" * 5000
    headers = {"Content-Type": "application/json"}
    url = f"{server.url}/_dash-live/{route}"
    with requests.post(url, data=body, headers=headers, timeout=WAIT) as answer:
        assert answer.status_code == 400, (answer.status_code, answer.text[:300])
        assert "Traceback" not in answer.text
        assert "JSON" in answer.text, answer.text[:300]


def test_only_the_client_that_started_a_stream_can_cancel_it(server: Server) -> None:
    # Issue 12, defect 3: any client that knew a stream id could cancel it.
    before = server.state()
    body = stream_body(server, "flood")
    owner = {"Authorization": "Basic YWxpY2U6cHc="}
    stranger = {"Authorization": "Basic bWFsbG9yeTpwdw=="}
    url = server.url + "/_dash-live/"
    with requests.post(url + "stream", json=body, headers=owner, stream=True, timeout=WAIT) as live:
        assert live.status_code == 200, live.text
        chunks = live.iter_content(chunk_size=65536)
        next(chunks)
        wait_until(lambda: server.state()["flooding"] == 1, WAIT, "the flood did not start")
        cancel = {"stream": body["stream"]}
        with requests.post(url + "cancel", json=cancel, headers=stranger, timeout=WAIT) as answer:
            # Answered as if cancelled, so the answer tells nobody which ids run...
            assert answer.status_code == 204, answer.text
        for _ in range(20):  # ...but the stream goes on: more 64 KiB updates arrive.
            assert next(chunks)
        assert server.state()["flooding"] == 1
        with requests.post(url + "cancel", json=cancel, headers=owner, timeout=WAIT) as answer:
            assert answer.status_code == 204, answer.text
        tail = b"".join(chunks)[-2000:]
        assert b"event: end" in tail, tail[-300:]
        assert b"cancelled" in tail, tail[-300:]
    wait_until(settled(server, before), KEEPALIVE + 10, f"cancel left something behind: {before}")


def start_over_socket(raw: RawSocket, server: Server, button: str) -> None:
    """Start ``button``'s stream over a raw Socket.IO connection that never acknowledges."""
    raw.ws.send("421" + json.dumps([START_EVENT, stream_body(server, button)]))


def test_the_timeout_holds_against_a_socket_that_stops_acknowledging(server: Server) -> None:
    before = server.state()
    raw = RawSocket(server.url)
    try:
        start_over_socket(raw, server, "flood")
        wait_until(lambda: server.state()["flooding"] == 1, WAIT, "the flood did not start")
        wait_until(
            lambda: server.state()["flooding"] == 0,
            FLOOD_TIMEOUT + KEEPALIVE + 10,
            f"the generator outlived its {FLOOD_TIMEOUT} s timeout",
        )
    finally:
        raw.close()
    wait_until(settled(server, before), SOCKET_GONE, f"it left something behind: {before}")


def test_a_socket_that_vanishes_mid_stream_releases_everything(server: Server) -> None:
    # Issue 12, defect 4: such streams stayed registered, each with a polling pump, for ever.
    before = server.state()
    raw = RawSocket(server.url)
    start_over_socket(raw, server, "flood")
    wait_until(lambda: server.state()["flooding"] == 1, WAIT, "the flood did not start")
    assert raw.ws.sock is not None
    raw.ws.sock.close()  # gone without a word: no close frame, no disconnect packet
    # The generator and the stream go within the keep-alive interval...
    idle = {"flooding": 0, "streams": 0, "deadlines": 0}
    wait_until(settled(server, idle), KEEPALIVE + 10, "the stream outlived its socket")
    # ...and every thread or greenlet by the time Engine.IO has let the socket go.
    wait_until(settled(server, before), SOCKET_GONE, f"it left something behind: {before}")


def test_the_stream_limit_counts_streams_whatever_the_connections(server: Server) -> None:
    # 32 streams per client then 429 held on every server; here the limit is LIMIT.
    before = server.state()
    clients = [stalled_client(server, stream_request(server, "flood")) for _ in range(LIMIT)]
    try:
        wait_until(lambda: server.state()["flooding"] == LIMIT, WAIT, "the floods did not start")
        with requests.post(
            server.url + "/_dash-live/stream", json=stream_body(server, "flood"), timeout=WAIT
        ) as refused:
            assert refused.status_code == 429, refused.text[:300]
            assert f"{LIMIT} streams open" in refused.text
    finally:
        for client in clients:
            client.close()
    wait_until(settled(server, before), FLOOD_TIMEOUT + KEEPALIVE + 10, f"left behind: {before}")


def acknowledgement(raw: RawSocket, ack_id: int) -> Any:
    """The answer to the event sent with ``ack_id``, skipping frames and heartbeats."""
    prefix = f"43{ack_id}"
    for _ in range(1000):
        message = raw.ws.recv()
        if isinstance(message, str) and message.startswith(prefix):
            return json.loads(message[len(prefix) :])[0]
        if message == "2":
            raw.ws.send("3")
    raise AssertionError(f"no acknowledgement {ack_id} in 1,000 messages")


def test_the_stream_limit_counts_every_socket_of_a_client(server: Server) -> None:
    # Issue 12, defect 9: a second socket of the same client got 32 more streams.
    before = server.state()
    sockets = [RawSocket(server.url) for _ in range(LIMIT + 1)]
    try:
        for ack_id, raw in enumerate(sockets[:LIMIT], start=1):
            raw.ws.send(f"42{ack_id}" + json.dumps([START_EVENT, stream_body(server, "flood")]))
            assert acknowledgement(raw, ack_id) == {"ok": True}
        last = sockets[-1]
        last.ws.send("429" + json.dumps([START_EVENT, stream_body(server, "flood")]))
        refused = acknowledgement(last, 9)
        assert refused["status"] == 429, refused
        assert f"{LIMIT} streams open" in refused["error"]
    finally:
        for raw in sockets:
            raw.close()
    wait_until(settled(server, before), SOCKET_GONE, f"it left something behind: {before}")
