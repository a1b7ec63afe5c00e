"""Events received by DashSocketIO reach the callbacks on data-<event> once each, in order, on
every Dash backend."""

from __future__ import annotations

from collections.abc import Callable

import dash
from dash import Input, Output, State, html
from playwright.sync_api import Page, expect

from dash_live import DashSocketIO, attach_socketio
from tests.conftest import LiveServer, backend_app

ACCUMULATE = """(value, text) => (text ? text + ',' : '') + JSON.stringify(value)"""


def burst_app(count: int, backend: str) -> dash.Dash:
    app = backend_app(backend)
    socketio = attach_socketio(app)
    app.layout = html.Div(
        [
            DashSocketIO(id="sock", eventNames=["burst", "same"]),
            html.Button("go", id="go"),
            html.Button("same", id="same"),
            html.Div(id="connected"),
            html.Div(id="client-log"),
            html.Div(id="server-log"),
        ]
    )
    app.clientside_callback(
        "(connected) => connected ? 'yes' : 'no'",
        Output("connected", "children"),
        Input("sock", "connected"),
    )
    app.clientside_callback(
        ACCUMULATE,
        Output("client-log", "children"),
        Input("sock", "data-burst"),
        State("client-log", "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("server-log", "children"),
        Input("sock", "data-same"),
        State("server-log", "children"),
        prevent_initial_call=True,
    )
    def count_same(value: object, log: str | None) -> str:
        return (log + "," if log else "") + str(value)

    @app.callback(
        Output("go", "children"),
        Input("go", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def send_burst(_clicks: int, sid: str) -> str:
        for i in range(count):
            socketio.emit("burst", i, to=sid)
        return "sent"

    @app.callback(
        Output("same", "children"),
        Input("same", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def send_same(_clicks: int, sid: str) -> str:
        for _ in range(3):
            socketio.emit("same", {"v": 1}, to=sid)
        return "sent"

    return app


def open_connected(page: Page, server: LiveServer) -> None:
    page.goto(server.url)
    expect(page.locator("#connected")).to_have_text("yes", timeout=15_000)


def test_burst_of_1000_events_reaches_clientside_callback_in_order(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    server = serve(burst_app(1000, backend))
    open_connected(page, server)
    page.click("#go")
    expected = ",".join(str(i) for i in range(1000))
    expect(page.locator("#client-log")).to_have_text(expected, timeout=120_000)


def test_identical_payloads_each_trigger_the_server_callback(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    server = serve(burst_app(0, backend))
    open_connected(page, server)
    page.click("#same")
    expect(page.locator("#server-log")).to_have_text(",".join(["{'v': 1}"] * 3), timeout=20_000)
