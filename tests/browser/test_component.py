"""DashSocketIO behaviour: subscriptions, client-to-server emit, unmount (on every Dash backend),
users and debug mode (Flask's login and dev tools)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import flask
from dash import Input, Output, State, html
from playwright.sync_api import Page, expect

from dash_live import DashSocketIO, append, attach_socketio, push_props
from tests.conftest import LiveServer, backend_app

LOG = "(value, log) => (log ? log + ',' : '') + value"


class ComponentApp:
    """The app under test, with what its server side observed."""

    def __init__(self, backend: str = "flask") -> None:
        self.disconnected = threading.Event()
        app = self.app = backend_app(backend)
        socketio = self.socketio = attach_socketio(app)

        if backend == "flask":
            app.server.secret_key = "test secret"

            @app.server.route("/login/<name>")
            def login(name: str) -> str:
                flask.session["user_id"] = name
                return "ok"

            @socketio.on("echo")
            def echo(data: object) -> None:
                sid = flask.request.sid  # type: ignore[attr-defined]  # set by Flask-SocketIO
                push_props("echo-log", {"children": append(f"{data};")}, to=sid)

        else:  # python-socketio's handlers take the sid first

            @socketio.on("echo")
            def echo_asgi(sid: str, data: object) -> None:
                push_props("echo-log", {"children": append(f"{data};")}, to=sid)

        @socketio.on("disconnect")
        def on_disconnect(*_reason: object) -> None:
            self.disconnected.set()

        app.layout = html.Div(
            [
                html.Div(DashSocketIO(id="sock", eventNames=["a"]), id="holder"),
                DashSocketIO(id="any", eventNames=["*"]),
                html.Div(id="sid"),
                html.Button("fire", id="fire"),
                html.Button("switch", id="switch"),
                html.Button("send", id="send"),
                html.Button("remove", id="remove"),
                html.Button("notify", id="notify"),
                html.Div(id="a-log"),
                html.Div(id="b-log"),
                html.Div(id="zeta-log"),
                html.Div(id="echo-log"),
                html.Div(id="user-note"),
            ]
        )
        app.clientside_callback(
            "(sid) => sid || ''", Output("sid", "children"), Input("sock", "socketId")
        )
        for event in ("a", "b"):
            app.clientside_callback(
                LOG,
                Output(f"{event}-log", "children"),
                Input("sock", f"data-{event}"),
                State(f"{event}-log", "children"),
                prevent_initial_call=True,
            )
        app.clientside_callback(
            LOG,
            Output("zeta-log", "children"),
            Input("any", "data-zeta"),
            State("zeta-log", "children"),
            prevent_initial_call=True,
        )
        app.clientside_callback(
            "() => ['b']",
            Output("sock", "eventNames"),
            Input("switch", "n_clicks"),
            prevent_initial_call=True,
        )
        app.clientside_callback(
            "() => ({event: 'echo', data: 'same'})",
            Output("sock", "emit"),
            Input("send", "n_clicks"),
            prevent_initial_call=True,
        )
        app.clientside_callback(
            "() => []",
            Output("holder", "children"),
            Input("remove", "n_clicks"),
            prevent_initial_call=True,
        )

        @app.callback(
            Output("fire", "children"),
            Input("fire", "n_clicks"),
            State("sock", "socketId"),
            prevent_initial_call=True,
        )
        def fire(clicks: int, sid: str) -> str:
            socketio.emit("a", clicks, to=sid)
            socketio.emit("b", clicks, to=sid)
            socketio.emit("zeta", clicks)
            return f"fired {clicks}"

        @app.callback(
            Output("notify", "children"),
            Input("notify", "n_clicks"),
            prevent_initial_call=True,
        )
        def notify(clicks: int) -> str:
            user = flask.session.get("user_id")
            push_props("user-note", {"children": f"hello {user} {clicks}"}, user=user)
            return "notified"


def connected(page: Page, server: LiveServer) -> None:
    page.goto(server.url)
    expect(page.locator("#sid")).not_to_have_text("", timeout=15_000)


def test_changing_event_names_resubscribes(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    server = serve(ComponentApp(backend).app)
    connected(page, server)
    page.click("#fire")
    expect(page.locator("#a-log")).to_have_text("1", timeout=10_000)
    expect(page.locator("#zeta-log")).to_have_text("1")  # "*" hears every event.
    expect(page.locator("#b-log")).to_have_text("")

    page.click("#switch")
    page.click("#fire")
    # "b" is emitted after "a" on the same socket, so once b arrived, a was already handled.
    expect(page.locator("#b-log")).to_have_text("2", timeout=10_000)
    expect(page.locator("#a-log")).to_have_text("1")
    expect(page.locator("#zeta-log")).to_have_text("1,2")


def test_emit_prop_sends_every_assignment(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    server = serve(ComponentApp(backend).app)
    connected(page, server)
    page.click("#send")
    expect(page.locator("#echo-log")).to_have_text("same;", timeout=10_000)
    page.click("#send")
    expect(page.locator("#echo-log")).to_have_text("same;same;", timeout=10_000)


def test_unmount_disconnects(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    under_test = ComponentApp(backend)
    server = serve(under_test.app)
    connected(page, server)
    assert not under_test.disconnected.is_set()
    page.click("#remove")
    assert under_test.disconnected.wait(10), "the server never saw the socket disconnect"


def test_push_to_a_user_reaches_all_their_tabs_only(
    new_page: Callable[..., Page], serve: Callable[[object], LiveServer]
) -> None:
    server = serve(ComponentApp().app)
    alice_1 = new_page()
    alice_1.goto(server.url + "/login/alice")
    alice_2 = new_page(alice_1.context)
    stranger = new_page()
    for tab in (alice_1, alice_2, stranger):
        connected(tab, server)

    alice_1.click("#notify")
    expect(alice_1.locator("#user-note")).to_have_text("hello alice 1", timeout=10_000)
    expect(alice_2.locator("#user-note")).to_have_text("hello alice 1", timeout=10_000)
    # The stranger's own push proves its connection works; alice's never reached it.
    stranger.goto(server.url + "/login/bob")
    connected(stranger, server)
    stranger.click("#notify")
    expect(stranger.locator("#user-note")).to_have_text("hello bob 1", timeout=10_000)
    expect(alice_2.locator("#user-note")).to_have_text("hello alice 1")


def test_debug_mode_validates_props_and_serves_the_source_map(
    page: Page, serve: Callable[[object], LiveServer]
) -> None:
    under_test = ComponentApp()
    # The version check would call a host outside this machine.
    under_test.app.enable_dev_tools(
        debug=True, dev_tools_hot_reload=False, dev_tools_disable_version_check=True
    )
    server = serve(under_test.app)
    connected(page, server)
    # proptypes.js loaded (debug only) and declares the data-* wildcard Dash validates against.
    assert page.evaluate("() => 'data-*' in window.dash_live.DashSocketIO.propTypes")
    page.click("#fire")
    expect(page.locator("#a-log")).to_have_text("1", timeout=10_000)
    expect(page.locator(".dash-fe-error__title")).to_have_count(0)
    response = page.request.get(server.url + "/_dash-component-suites/dash_live/dash_live.js.map")
    assert response.status == 200
    assert "src/ts/components/DashSocketIO.tsx" in "".join(response.json()["sources"])
