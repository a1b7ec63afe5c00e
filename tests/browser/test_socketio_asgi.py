"""Socket.IO on Dash's ASGI backends: handlers, emits from the page, rooms and broadcasts.

The same page works against python-socketio's asyncio server (FastAPI, Quart) as against
Flask-SocketIO; what differs on ASGI is the handler's signature (``sid`` first, as
python-socketio calls it) and that a handler may be ``async def``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import dash
import pytest
from dash import Input, Output, State, html
from playwright.sync_api import Page, expect

from dash_live import (
    DashSocketIO,
    LiveAsyncSocketIO,
    append,
    attach_socketio,
    join_room,
    leave_room,
    push_props,
)
from tests.conftest import LiveServer, needs_fastapi, needs_quart

pytestmark = pytest.mark.parametrize(
    "backend",
    [pytest.param("fastapi", marks=needs_fastapi), pytest.param("quart", marks=needs_quart)],
)


def chat_app(backend: str) -> tuple[dash.Dash, LiveAsyncSocketIO, list[Any]]:
    app = dash.Dash(__name__, backend=backend)
    socketio = attach_socketio(app)
    assert isinstance(socketio, LiveAsyncSocketIO)
    seen: list[Any] = []  # what the handlers were given, in order
    app.layout = html.Div(
        [
            DashSocketIO(id="sock", eventNames=["echo"]),
            html.Div(id="sid"),
            html.Button("say", id="say"),
            html.Button("join", id="join"),
            html.Button("leave", id="leave"),
            html.Button("to-room", id="to-room"),
            html.Button("async-push", id="async-push"),
            html.Div(id="echo"),
            html.Div(id="room-log"),
            html.Div(id="rooms"),
            html.Div(id="streamed"),
            html.Div(id="done"),
        ]
    )
    app.clientside_callback(
        "(sid) => sid || ''", Output("sid", "children"), Input("sock", "socketId")
    )
    app.clientside_callback(
        "(data) => data ? data.text : ''", Output("echo", "children"), Input("sock", "data-echo")
    )
    app.clientside_callback(
        "(rooms) => (rooms || []).join(',')", Output("rooms", "children"), Input("sock", "rooms")
    )
    app.clientside_callback(
        "(n) => ({event: 'say', data: {text: 'hello ' + n}})",
        Output("sock", "emit"),
        Input("say", "n_clicks"),
        prevent_initial_call=True,
    )

    @socketio.on("connect")
    async def on_connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        seen.append(("connect", sid))

    @socketio.on("say")
    def on_say(sid: str, data: dict[str, str]) -> None:
        # A plain function runs in a thread: it may block, and emits from there.
        seen.append(("say", sid, data))
        socketio.emit("echo", {"text": data["text"].upper()}, to=sid)

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("join", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def join(_n: int, sid: str) -> str:
        join_room("lobby", sid)
        return "joined"

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("leave", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def leave(_n: int, sid: str) -> str:
        leave_room("lobby", sid)
        return "left"

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("to-room", "n_clicks"),
        prevent_initial_call=True,
    )
    def to_room(n: int) -> str:
        push_props("room-log", {"children": append(f"[{n}]")}, to="lobby")
        return f"sent {n}"

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("async-push", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    async def async_push(_n: int, sid: str) -> str:
        import asyncio

        for i in range(100):
            push_props("streamed", {"children": append(f"{i} ")}, to=sid)
            await asyncio.sleep(0)
        return "pushed"

    return app, socketio, seen


def open_tab(page: Page, server: LiveServer) -> str:
    page.goto(server.url)
    sid = page.locator("#sid")
    expect(sid).not_to_have_text("", timeout=15_000)
    return sid.inner_text()


def test_a_handler_gets_the_page_emit_and_answers_that_tab(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    app, _socketio, seen = chat_app(backend)
    server = serve(app)
    sid = open_tab(page, server)
    page.click("#say")
    expect(page.locator("#echo")).to_have_text("HELLO 1", timeout=15_000)
    assert ("connect", sid) in seen
    assert ("say", sid, {"text": "hello 1"}) in seen


def test_rooms_from_a_callback_reach_members_only(
    page: Page, new_page: Callable[..., Page], serve: Callable[[object], LiveServer], backend: str
) -> None:
    app, _socketio, _seen = chat_app(backend)
    server = serve(app)
    open_tab(page, server)
    other = new_page()
    open_tab(other, server)
    page.click("#join")
    expect(page.locator("#rooms")).to_have_text("lobby", timeout=15_000)
    other.click("#to-room")
    expect(other.locator("#done")).to_have_text("sent 1")
    expect(page.locator("#room-log")).to_have_text("[1]", timeout=15_000)
    page.click("#leave")
    expect(page.locator("#rooms")).to_have_text("", timeout=15_000)
    other.click("#to-room")
    expect(other.locator("#done")).to_have_text("sent 2")
    # The room push was queued before "sent 2" answered; one tab's packets keep their order, so
    # an echo the page asks for now comes after it, had it been sent to this tab.
    page.click("#say")
    expect(page.locator("#echo")).to_have_text("HELLO 1", timeout=15_000)
    expect(page.locator("#room-log")).to_have_text("[1]")
    expect(other.locator("#room-log")).to_have_text("")


def test_pushes_from_an_async_callback_arrive_in_order(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    app, _socketio, _seen = chat_app(backend)
    server = serve(app)
    open_tab(page, server)
    page.click("#async-push")
    expect(page.locator("#streamed")).to_have_text(
        "".join(f"{i} " for i in range(100)).strip(), timeout=15_000
    )


def test_emit_from_a_thread_with_no_loop(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    app, socketio, _seen = chat_app(backend)
    server = serve(app)
    sid = open_tab(page, server)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            socketio.emit("echo", {"text": "from a thread"}, to=sid)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(15)
    assert not errors
    expect(page.locator("#echo")).to_have_text("from a thread", timeout=15_000)
