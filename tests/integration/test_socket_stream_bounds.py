"""A Socket.IO stream whose page stops acknowledging frames, or vanishes while the stream's last
frame waits for room in the window, releases its generator and its registry entry: the stream
timeout holds, and a vanished page is let go within the keep-alive interval (issue 12, defects
4 and 5: such streams stayed registered, each with a pump polling every 0.2 s, for ever)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import dash
import pytest
import websocket
from dash import Input, html

from dash_live import attach_socketio, event_callback, stream_props
from dash_live.callbacks.streams import live_streams
from dash_live.core.updates import decode_batch
from dash_live.transports.socket_wire import ACK_EVERY
from dash_live.transports.socketio import START_EVENT, WINDOW
from tests.conftest import LiveServer, backend_app, configure
from tests.integration.test_socketio import RawSocket

Serve = Callable[[object], LiveServer]
WAIT = 10.0


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def start_stream(raw: RawSocket, func: Callable[..., Any]) -> str:
    """Start ``func``'s stream over the raw socket; its frames will never be acknowledged."""
    stream = uuid.uuid4().hex
    body = {
        "callback": f"{func.__module__}.{func.__qualname__}",
        "stream": stream,
        "inputs": [{"id": "go", "property": "n_clicks", "value": 1}],
        "state": [],
        "changedPropIds": ["go.n_clicks"],
    }
    raw.ws.send("421" + json.dumps([START_EVENT, body]))
    return stream


def app_with(backend: str, func_factory: Callable[[], Callable[..., Any]]) -> tuple[dash.Dash, Any]:
    app = backend_app(backend, __name__)
    app.layout = html.Div([html.Button(id="go"), html.Div(id="out")])
    configure(app, "DASH_LIVE_KEEPALIVE", 0.5)
    attach_socketio(app)
    return app, func_factory()


@pytest.fixture
def closed() -> threading.Event:
    return threading.Event()


def test_the_timeout_holds_against_a_page_that_stops_acknowledging(
    serve: Serve, closed: threading.Event, backend: str
) -> None:
    def factory() -> Callable[..., Any]:
        @event_callback(Input("go", "n_clicks"), timeout=1)
        def endless(_n: int) -> Iterator[object]:
            try:
                for i in range(100_000):
                    yield stream_props("out", {"children": str(i)})
                    time.sleep(0.01)
            finally:
                closed.set()

        return endless

    app, func = app_with(backend, factory)
    raw = RawSocket(serve(app).url)
    try:
        start_stream(raw, func)
        assert wait_until(lambda: live_streams.count() == 1, WAIT)
        # The window fills after WINDOW frames; the generator must still be closed at 1 s.
        assert closed.wait(WAIT), "the generator outlived its timeout"
        assert wait_until(lambda: live_streams.count() == 0, WAIT)
    finally:
        raw.close()


def test_a_page_that_vanishes_while_the_end_frame_waits_is_let_go(
    serve: Serve, closed: threading.Event, backend: str
) -> None:
    def factory() -> Callable[..., Any]:
        @event_callback(Input("go", "n_clicks"))
        def short(_n: int) -> Iterator[object]:
            try:
                for i in range(WINDOW):  # fills the window: the end frame waits for room
                    yield stream_props("out", {"children": str(i)})
                    time.sleep(0.05)  # one frame per update, not one batch of them
            finally:
                closed.set()

        return short

    app, func = app_with(backend, factory)
    raw = RawSocket(serve(app).url)
    pumps_before = threading.active_count()
    start_stream(raw, func)
    assert closed.wait(WAIT)
    assert live_streams.count() == 1  # the end frame waits for an acknowledgement
    raw.close()
    # Released within the keep-alive interval (0.5 s) once the disconnect is seen.
    assert wait_until(lambda: live_streams.count() == 0, WAIT), "the stream leaked"
    assert wait_until(lambda: threading.active_count() <= pumps_before, WAIT)


def read_frames(raw: RawSocket, acknowledge: bool, until_end: bool, limit: int) -> list[str]:
    """The ``dash-live:frame`` packets the server sends, in order; each that asks for an
    acknowledgement (an EVENT with an ack id: ``42<id>[...``) is answered when ``acknowledge``.
    Stops at the end frame (``until_end``), or when nothing comes for 1.5 s."""
    packets: list[str] = []
    raw.ws.settimeout(1.5)
    while len(packets) < limit:
        try:
            text = raw.ws.recv()
        except websocket.WebSocketTimeoutException:
            break
        assert isinstance(text, str), text
        if text == "2":
            raw.ws.send("3")  # Engine.IO's heartbeat
            continue
        if text.startswith("43"):
            continue  # the answer to the start request
        assert text.startswith("42"), text
        packets.append(text)
        ack_id = text[2 : text.index("[")]
        if acknowledge and ack_id:
            raw.ws.send(f"43{ack_id}[]")
        if until_end and '"end",' in text:
            break
    return packets


def test_every_fourth_frame_asks_for_an_acknowledgement_that_stands_for_all_before_it(
    serve: Serve, closed: threading.Event, backend: str
) -> None:
    frames = 6 * WINDOW

    def factory() -> Callable[..., Any]:
        @event_callback(Input("go", "n_clicks"))
        def counted(_n: int) -> Iterator[object]:
            try:
                for i in range(frames):
                    yield stream_props("out", {"children": str(i)})
                    time.sleep(0.02)  # one frame per update, not one batch of them
            finally:
                closed.set()

        return counted

    app, func = app_with(backend, factory)
    raw = RawSocket(serve(app).url)
    try:
        start_stream(raw, func)
        packets = read_frames(raw, acknowledge=True, until_end=True, limit=10 * frames)
        frames_only = [p for p in packets if '"dash-live:frame"' in p]
        assert '"end",' in frames_only[-1], frames_only[-3:]
        values = [
            update.value
            for p in frames_only
            if '"update",' in p
            for update in decode_batch(json.dumps(json.loads(p[p.index("[") :])[3]))
        ]
        assert values == [str(i) for i in range(frames)], values  # all, in order, once
        asking = [n for n, p in enumerate(frames_only, 1) if p[2] != "["]
        assert asking == [n for n in range(1, len(frames_only) + 1) if n % ACK_EVERY == 0]
        assert closed.wait(WAIT)
    finally:
        raw.close()


def test_a_page_that_acknowledges_nothing_gets_one_window_of_frames(
    serve: Serve, backend: str
) -> None:
    def factory() -> Callable[..., Any]:
        @event_callback(Input("go", "n_clicks"), timeout=3)
        def endless(_n: int) -> Iterator[object]:
            for i in range(100_000):
                yield stream_props("out", {"children": str(i)})
                time.sleep(0.01)

        return endless

    app, func = app_with(backend, factory)
    raw = RawSocket(serve(app).url)
    try:
        start_stream(raw, func)
        packets = read_frames(raw, acknowledge=False, until_end=False, limit=10 * WINDOW)
        frames_only = [p for p in packets if '"dash-live:frame"' in p]
        assert len(frames_only) == WINDOW, frames_only
    finally:
        raw.close()
