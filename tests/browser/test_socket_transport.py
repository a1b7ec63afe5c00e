"""Event callbacks over the page's Socket.IO connection: many streams of one tab at once, on
every Dash backend."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from dash import MATCH, Input, Output, ctx, html
from playwright.sync_api import Page, expect

from dash_live import DashSocketIO, attach_socketio, event_callback, stream_props
from tests.conftest import LiveServer, backend_app, configure, needs_match

STREAMS = 20


@needs_match
def test_twenty_streams_of_one_tab_run_at_once_beside_normal_callbacks(
    page: Page, serve: Callable[[object], LiveServer], backend: str
) -> None:
    # Over HTTP/1.1 a browser opens six connections per origin: with one response per stream
    # the seventh stream would wait for one, and the barrier below would never open.
    all_started = threading.Barrier(STREAMS, timeout=30)
    release = threading.Event()
    app = backend_app(backend)
    configure(app, "DASH_LIVE_TRANSPORT", "socketio")
    configure(app, "DASH_LIVE_MAX_STREAMS_PER_CLIENT", STREAMS)
    attach_socketio(app)
    app.layout = html.Div(
        [
            DashSocketIO(id="socket"),
            html.Button("normal", id="normal"),
            html.Div(id="normal-out"),
            *[
                html.Div(
                    [
                        html.Button(f"go {i}", id={"type": "go", "index": i}),
                        html.Span(id={"type": "out", "index": i}),
                    ]
                )
                for i in range(STREAMS)
            ],
        ]
    )

    @event_callback(Input({"type": "go", "index": MATCH}, "n_clicks"), prevent_initial_call=True)
    def wait_for_all(_clicks: int) -> Iterator[object]:
        index: int = ctx.triggered_id["index"]
        yield stream_props({"type": "out", "index": index}, {"children": "started"})
        # Passes only when all twenty generators run at the same time.
        all_started.wait()
        yield stream_props({"type": "out", "index": index}, {"children": "all running"})
        release.wait(30)
        yield stream_props({"type": "out", "index": index}, {"children": "done"})

    @app.callback(Output("normal-out", "children"), Input("normal", "n_clicks"))
    def normal(clicks: int | None) -> str:
        return f"normal {clicks}"

    server = serve(app)
    page.goto(server.url)
    expect(page.locator("#normal-out")).to_have_text("normal None", timeout=10_000)
    for i in range(STREAMS):
        page.click(f'#\\{{\\"index\\"\\:{i}\\,\\"type\\"\\:\\"go\\"\\}}')
    outs = page.locator("span")
    for i in range(STREAMS):
        expect(outs.nth(i)).to_have_text("all running", timeout=30_000)
    # Twenty streams are open and a normal callback still answers at once.
    page.click("#normal")
    expect(page.locator("#normal-out")).to_have_text("normal 1", timeout=10_000)
    release.set()
    for i in range(STREAMS):
        expect(outs.nth(i)).to_have_text("done", timeout=30_000)
