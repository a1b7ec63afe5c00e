"""An app behind dash-auth's BasicAuth, in Chromium: the page's socket passes the same check
as the page (the browser sends the credentials with the handshake), joins its verified user's
room, and streams event callbacks over Socket.IO; another user's tab gets none of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dash
import dash_auth
from dash import Input, html
from playwright.sync_api import Browser, Page, expect

from dash_live import (
    DashSocketIO,
    append,
    attach_socketio,
    event_callback,
    push_props,
    stream_props,
)
from tests.conftest import LiveServer

WAIT = 15_000


def app_behind_basic_auth() -> dash.Dash:
    app = dash.Dash(__name__)
    app.server.secret_key = "browser tests"
    app.server.config["DASH_LIVE_TRANSPORT"] = "socketio"
    dash_auth.BasicAuth(app, {"bob": "bobs", "eve": "eves"})
    attach_socketio(app)
    app.layout = html.Div(
        [
            DashSocketIO(id="socket"),
            html.Div(id="badge"),
            html.Button("go", id="go"),
            html.Div(id="out"),
        ]
    )

    @event_callback(Input("go", "n_clicks"))
    def words(_clicks: int) -> Iterator[object]:
        for word in ("over", "the", "socket"):
            yield stream_props("out", {"children": append(word + " ")})

    return app


def signed_in(
    browser: Browser, new_page: Callable[..., Page], url: str, user: str, password: str
) -> Page:
    context = browser.new_context(http_credentials={"username": user, "password": password})
    page = new_page(context)
    page.goto(url)
    connected = """() => {
        try {
            return window.dash_component_api.getLayout('socket').props.connected === true;
        } catch (notRenderedYet) {
            return false;
        }
    }"""
    page.wait_for_function(connected, timeout=WAIT)
    return page


def test_the_socket_of_a_signed_in_tab_is_its_verified_user(
    browser: Browser, new_page: Callable[..., Page], serve: Callable[[object], LiveServer]
) -> None:
    server = serve(app_behind_basic_auth())
    bob = signed_in(browser, new_page, server.url, "bob", "bobs")
    eve = signed_in(browser, new_page, server.url, "eve", "eves")
    try:
        push_props("badge", {"children": "for bob"}, user="bob")
        push_props("badge", {"children": "for eve"}, user="eve")
        expect(bob.locator("#badge")).to_have_text("for bob", timeout=WAIT)
        # Pushes leave in order: had eve's tab been in bob's room, it would show bob's first.
        expect(eve.locator("#badge")).to_have_text("for eve", timeout=WAIT)
        bob.click("#go")
        expect(bob.locator("#out")).to_have_text("over the socket ", timeout=WAIT)
        expect(eve.locator("#out")).to_have_text("")
    finally:
        bob.context.close()
        eve.context.close()
