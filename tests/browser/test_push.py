"""push_props: props set from Python are applied by the page, with no clientside callback, on
every Dash backend (Flask-SocketIO on Flask; python-socketio's asyncio server on FastAPI and
Quart)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable

import dash
import numpy as np
import pandas as pd
from dash import Input, Output, Patch, State, dcc, html
from playwright.sync_api import Page, expect

from dash_live import DashSocketIO, append, attach_socketio, merge, push_props
from tests.conftest import LiveServer, backend_app

WORDS = [f"w{i}" for i in range(5000)]


def push_app(backend: str) -> dash.Dash:
    app = backend_app(backend)
    attach_socketio(app)
    app.layout = html.Div(
        [
            DashSocketIO(id="sock"),
            html.Div(id="sid"),
            html.Button("stream", id="stream"),
            html.Button("kinds", id="kinds"),
            html.Button("thread", id="thread"),
            html.Div(id="answer"),
            html.Div(id="styled", style={"color": "blue", "fontWeight": "bold"}, children="s"),
            dcc.Store(id="items", data=[1, 2]),
            html.Div(id="items-view"),
            html.Div(id="values"),
            html.Div(id="component-slot"),
            html.Div(id={"type": "cell", "index": 1}),
            html.Div(id="from-thread"),
            html.Div(id="done"),
        ]
    )
    app.clientside_callback(
        "(sid) => sid || ''", Output("sid", "children"), Input("sock", "socketId")
    )
    app.clientside_callback(
        "(items) => JSON.stringify(items)", Output("items-view", "children"), Input("items", "data")
    )

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("stream", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def stream_words(_clicks: int, sid: str) -> str:
        # The LoremLM pattern: a normal callback streams into a prop while it runs.
        for i, word in enumerate(WORDS):
            push_props("answer", {"children": append(word if i == 0 else " " + word)}, to=sid)
        return "streamed"

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("kinds", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def push_every_kind(_clicks: int, sid: str) -> str:
        push_props("styled", {"style": merge({"color": "red"})}, to=sid)
        patch = Patch()
        patch.append(3)
        patch.prepend(0)
        push_props("items", {"data": patch}, to=sid)
        frame = pd.DataFrame({"a": [1.5, float("nan")]})
        values = {
            "array": np.arange(3),
            "nan": float("nan"),
            "when": datetime.datetime(2026, 11, 22, 12, 30),
            "column": frame["a"],
        }
        push_props(
            [
                ("values", {"children": str(len(values))}),
                ("values", {"title": values}),
                ("component-slot", {"children": html.B("bold!", id="bold")}),
                ({"type": "cell", "index": 1}, {"children": "dict id"}),
            ],
            to=sid,
        )
        return "kinds"

    @app.callback(
        Output("done", "children", allow_duplicate=True),
        Input("thread", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def start_thread(_clicks: int, sid: str) -> str:
        def work() -> None:
            for i in range(50):
                push_props("from-thread", {"children": str(i)}, to=sid)

        threading.Thread(target=work, daemon=True).start()
        return "thread"

    return app


def connected(page: Page, server: LiveServer) -> None:
    page.goto(server.url)
    expect(page.locator("#sid")).not_to_have_text("", timeout=15_000)


def test_append_streams_5000_words_exactly(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    server = serve(push_app(backend))
    connected(page, server)
    page.click("#stream")
    expect(page.locator("#answer")).to_have_text(" ".join(WORDS), timeout=60_000)
    expect(page.locator("#done")).to_have_text("streamed")


def test_merge_patch_batch_and_dash_values(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    server = serve(push_app(backend))
    connected(page, server)
    page.click("#kinds")
    expect(page.locator("#bold")).to_have_text("bold!", timeout=15_000)
    expect(page.locator("#items-view")).to_have_text("[0,1,2,3]")
    styled = page.locator("#styled")
    expect(styled).to_have_css("color", "rgb(255, 0, 0)")
    expect(styled).to_have_css("font-weight", "700")
    expect(page.locator("#values")).to_have_text("4")
    title = page.locator("#values").get_attribute("title")
    # A title attribute renders the object as text; check the serialised values via the store.
    assert title is not None
    values = page.evaluate("() => window.dash_component_api.getLayout('values').props.title")
    assert values == {
        "array": [0, 1, 2],
        "nan": None,
        "when": "2026-11-22T12:30:00",
        "column": [1.5, None],
    }
    expect(page.locator('#\\{\\"index\\"\\:1\\,\\"type\\"\\:\\"cell\\"\\}')).to_have_text("dict id")


def test_push_from_a_background_thread(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    server = serve(push_app(backend))
    connected(page, server)
    page.click("#thread")
    expect(page.locator("#from-thread")).to_have_text("49", timeout=15_000)
