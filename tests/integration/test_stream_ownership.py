"""Only the client that started a stream cancels it, and a client's streams are counted per
client, not per socket (issue 12, defects 3 and 9: any client that knew a stream id could
cancel it, over HTTP or over a socket, and each new socket of a client got 32 more streams).

The "other address" is 127.0.0.2: Linux routes the whole 127/8 to the loopback, so a second
client address needs no second machine."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio
from dash import Input, html

from dash_live import attach_socketio, event_callback, stream_props
from dash_live.callbacks.streams import live_streams
from dash_live.core.wire import CANCEL_ROUTE
from dash_live.transports.socketio import CANCEL_EVENT, FRAME_EVENT, START_EVENT
from tests.conftest import LiveServer, backend_app, configure
from tests.integration.streams import OpenStream, stream_body, wait_until

Serve = Callable[[object], LiveServer]
WAIT = 10.0


def basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:pw".encode()).decode()}


class Endless:
    """An app whose event callback ticks until it is cancelled, counting its ticks."""

    def __init__(self, backend: str = "flask") -> None:
        self.closed = threading.Event()
        self.ticks = 0
        self.app = backend_app(backend, __name__)
        self.app.layout = html.Div([html.Button(id="go"), html.Div(id="out")])
        stop = threading.Event()  # never set: a bounded pause between ticks

        @event_callback(Input("go", "n_clicks"), timeout=60)
        def endless(_clicks: int) -> Iterator[object]:
            try:
                for i in range(100_000):
                    self.ticks += 1
                    yield stream_props("out", {"children": i})
                    stop.wait(0.02)
            finally:
                self.closed.set()

        self.func = endless

    def still_ticking(self) -> bool:
        """Whether the generator goes on: it ticks again, and was not closed."""
        seen = self.ticks
        return wait_until(lambda: self.ticks > seen + 2, WAIT) and not self.closed.is_set()


def cancel_from(url: str, stream_id: str, source: str, headers: dict[str, str]) -> int:
    """POST a cancel request from the address ``source``; return the status."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(
        host, int(port), timeout=WAIT, source_address=(source, 0)
    )
    try:
        body = json.dumps({"stream": stream_id})
        connection.request(
            "POST", "/" + CANCEL_ROUTE, body, {"Content-Type": "application/json", **headers}
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_an_http_stream_is_cancelled_by_its_owner_only(serve: Serve, backend: str) -> None:
    endless = Endless(backend)
    server = serve(endless.app)
    alice = basic("alice")
    stream = OpenStream(server.url, stream_body(endless.func), headers=alice)
    try:
        stream.read_first_update()
        # Another address with alice's credentials, and alice's address with other ones: each
        # gets the same answer as for an unknown id, and the stream goes on.
        assert cancel_from(server.url, stream.stream_id, "127.0.0.2", alice) == 204
        assert endless.still_ticking()
        assert cancel_from(server.url, stream.stream_id, "127.0.0.1", basic("mallory")) == 204
        assert cancel_from(server.url, stream.stream_id, "127.0.0.1", {}) == 204
        assert endless.still_ticking()
        # The owner: same address, same credentials.
        assert cancel_from(server.url, stream.stream_id, "127.0.0.1", alice) == 204
        assert endless.closed.wait(WAIT), "the owner's cancel did not close the generator"
        stream.read_to_end()
        assert stream.events[-1] == ("end", {"reason": "cancelled"})
    finally:
        stream.close()
    assert wait_until(lambda: live_streams.count() == 0, WAIT)


class Tab:
    """A python-socketio client that starts streams and acknowledges their frames."""

    def __init__(self, url: str) -> None:
        self.frames: list[tuple[str, str]] = []
        self.client = socketio.Client(reconnection=False)

        @self.client.on(FRAME_EVENT)
        def frame(stream: str, kind: str, _data: Any) -> bool:
            self.frames.append((stream, kind))
            return True  # the acknowledgement that opens the window again

        self.client.connect(url, transports=["websocket"], wait_timeout=WAIT)

    def start(self, func: Callable[..., Any]) -> tuple[str, dict[str, Any]]:
        body = stream_body(func, stream=uuid.uuid4().hex)
        answer: dict[str, Any] = self.client.call(START_EVENT, body, timeout=WAIT)
        return body["stream"], answer

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def tabs() -> Iterator[Callable[[str], Tab]]:
    opened: list[Tab] = []

    def open_tab(url: str) -> Tab:
        opened.append(Tab(url))
        return opened[-1]

    yield open_tab
    for tab in opened:
        tab.close()


def test_a_socket_stream_is_cancelled_by_its_own_socket_only(
    serve: Serve, tabs: Callable[[str], Tab], backend: str
) -> None:
    endless = Endless(backend)
    attach_socketio(endless.app)
    server = serve(endless.app)
    owner, other = tabs(server.url), tabs(server.url)
    stream_id, answer = owner.start(endless.func)
    assert answer == {"ok": True}
    assert wait_until(lambda: bool(owner.frames), WAIT)
    # call(): the answer (none) comes once the server handled the cancel.
    assert other.client.call(CANCEL_EVENT, {"stream": stream_id}, timeout=WAIT) is None
    assert endless.still_ticking(), "another socket cancelled the stream"
    owner.client.emit(CANCEL_EVENT, {"stream": stream_id})
    assert endless.closed.wait(WAIT), "its own socket's cancel did not close the generator"
    assert wait_until(lambda: (stream_id, "end") in owner.frames, WAIT)


def test_the_stream_limit_counts_every_socket_of_a_client(
    serve: Serve, tabs: Callable[[str], Tab], backend: str
) -> None:
    endless = Endless(backend)
    configure(endless.app, "DASH_LIVE_MAX_STREAMS_PER_CLIENT", 2)
    attach_socketio(endless.app)
    server = serve(endless.app)
    first, second = tabs(server.url), tabs(server.url)
    assert first.start(endless.func)[1] == {"ok": True}
    assert first.start(endless.func)[1] == {"ok": True}
    _, refused = second.start(endless.func)
    assert refused["status"] == 429
    assert "2 streams open" in refused["error"]
    # The first socket goes away: its streams are cancelled, and the client may start again.
    first.close()
    assert wait_until(lambda: live_streams.count() == 0, WAIT)
    assert second.start(endless.func)[1] == {"ok": True}
    second.close()
    assert wait_until(lambda: live_streams.count() == 0, WAIT)


def test_the_registry_counts_by_client_and_cancels_by_owner() -> None:
    class Runner:
        def cancel(self) -> None:
            pass

    live_streams.open("a" * 16, "10.0.0.1", Runner(), 2, "sid:one")
    live_streams.open("b" * 16, "10.0.0.1", Runner(), 2, "sid:two")
    try:
        assert live_streams.per_client["10.0.0.1"] == 2
        assert not live_streams.cancel("a" * 16, "sid:two")
        assert live_streams.cancel("a" * 16, "sid:one")
    finally:
        live_streams.close("a" * 16)
        live_streams.close("b" * 16)
    assert "10.0.0.1" not in live_streams.per_client
    assert live_streams.of_owner == {}
