"""After a lost connection: the tab comes back by itself, in its rooms, and says what it missed
(on every Dash backend)."""

from __future__ import annotations

from collections.abc import Callable

import dash
from dash import Input, Output, State, html
from playwright.sync_api import Page, expect

from dash_live import DashSocketIO, append, attach_socketio, join_room, push_props
from tests.browser.conftest import PageErrors, cut_transport
from tests.conftest import LiveServer, backend_app


def reconnect_app(backend: str) -> dash.Dash:
    app = backend_app(backend)
    socketio = attach_socketio(app)
    app.layout = html.Div(
        [
            DashSocketIO(
                id="socket", options={"reconnectionDelay": 100, "reconnectionDelayMax": 200}
            ),
            html.Button("join", id="join"),
            html.Button("cut", id="cut"),
            html.Button("news", id="news"),
            html.Div(id="sid"),
            html.Div(id="rooms"),
            html.Div(id="outage"),
            html.Div(id="log", children=""),
            html.Div(id="done"),
        ]
    )
    app.clientside_callback(
        "(sid) => sid || ''", Output("sid", "children"), Input("socket", "socketId")
    )
    app.clientside_callback(
        "(rooms) => (rooms || []).join(',')", Output("rooms", "children"), Input("socket", "rooms")
    )
    app.clientside_callback(
        """(outage) => outage
            ? `${outage.reason} ${outage.until >= outage.since ? 'ordered' : 'disordered'}`
            : ''""",
        Output("outage", "children"),
        Input("socket", "lastDisconnect"),
    )

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("join", "n_clicks"),
        State("socket", "socketId"),
        prevent_initial_call=True,
    )
    def join(_clicks: int, sid: str) -> str:
        join_room("news", sid)
        return "joined"

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("cut", "n_clicks"),
        State("socket", "socketId"),
        prevent_initial_call=True,
    )
    def cut(_clicks: int, sid: str) -> str:
        # Drop the transport under the socket, as a network cut would; then address the room
        # while this tab is not in it.
        cut_transport(socketio, sid)
        push_props("log", {"children": append(" while-away")}, to="news")
        return "cut"

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("news", "n_clicks"),
        prevent_initial_call=True,
    )
    def news(_clicks: int) -> str:
        push_props("log", {"children": append(" after")}, to="news")
        return "news sent"

    return app


def test_a_cut_connection_comes_back_in_its_rooms_and_reports_the_outage(
    page: Page, page_errors: PageErrors, serve: Callable[[object], LiveServer], backend: str
) -> None:
    server = serve(reconnect_app(backend))
    # At teardown the server stops before the page closes, and this page retries every 100 ms:
    # uvicorn stops fast enough for one retry to be refused (seen in the py3.10 and 3.13 cells).
    page_errors.allow("ERR_CONNECTION_REFUSED")
    page.goto(server.url)
    sid = page.locator("#sid")
    expect(sid).not_to_have_text("", timeout=10_000)
    page.click("#join")
    expect(page.locator("#rooms")).to_have_text("news", timeout=10_000)
    first_sid = sid.text_content()

    page.click("#cut")
    expect(page.locator("#outage")).to_have_text("transport close ordered", timeout=10_000)
    expect(sid).not_to_have_text(first_sid or "", timeout=10_000)
    expect(sid).not_to_have_text("")

    page.click("#news")
    expect(page.locator("#done")).to_have_text("news sent", timeout=10_000)
    # The room was joined again by itself; what was sent during the cut is not delivered.
    expect(page.locator("#log")).to_have_text(" after", timeout=10_000)
    expect(page.locator("#rooms")).to_have_text("news")
