"""@event_callback in a real browser: streaming, running props, context, errors, cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from dash import ALL, Input, Output, State, ctx, dcc, html
from playwright.sync_api import Page, expect

from dash_live import append, event_callback, stream_props
from tests.browser.conftest import LiveApp, PageErrors
from tests.conftest import LiveServer

TOKENS = [f"t{i} " for i in range(2000)]
PACED = 20


class StreamApp:
    def __init__(self, live_app: LiveApp) -> None:
        self.closed = threading.Event()
        self.release = threading.Event()
        app = self.app = live_app(__name__)
        app.layout = html.Div(
            [
                html.Button("tokens", id="tokens"),
                html.Button("graph", id="graph-go"),
                html.Button("paced", id="paced-go"),
                html.Button("slow", id="slow"),
                html.Button("stop", id="stop"),
                html.Button("boom", id="boom"),
                dcc.Input(id="query", value="q1"),
                html.Div(id="answer"),
                html.Div(id="status"),
                html.Div(id="trigger"),
                html.Div(id="ticks"),
                dcc.Graph(id="graph", figure={"data": [{"x": [], "y": [], "type": "scatter"}]}),
                dcc.Graph(id="paced", figure={"data": [{"x": [], "y": [], "type": "scatter"}]}),
                html.Div(
                    [html.Button(f"cell {i}", id={"type": "cell", "index": i}) for i in range(3)]
                ),
                html.Div(id="cells"),
            ]
        )

        @event_callback(
            Input("tokens", "n_clicks"),
            State("query", "value"),
            prevent_initial_call=True,
            running=[(Output("tokens", "disabled"), True, False)],
        )
        def stream_tokens(_clicks: int, query: str) -> Iterator[object]:
            yield stream_props("trigger", {"children": f"{ctx.triggered_id} {query}"})
            yield stream_props("answer", {"children": ""})
            for token in TOKENS:
                yield stream_props("answer", {"children": append(token)})

        @event_callback(Input("graph-go", "n_clicks"), prevent_initial_call=True)
        def stream_points(_clicks: int) -> Iterator[object]:
            for i in range(500):
                yield stream_props("graph", {"extendData": [{"x": [[i]], "y": [[i * i]]}, [0]]})

        @event_callback(Input("paced-go", "n_clicks"), prevent_initial_call=True)
        def stream_paced_points(_clicks: int) -> Iterator[object]:
            # Alternating maxPoints: no two increments combine, so the page applies one per
            # animation frame.
            for i in range(PACED):
                extend = [{"x": [[i]], "y": [[i]]}, [0], 1000 + i % 2]
                yield stream_props("paced", {"extendData": extend})

        @event_callback(
            Input("slow", "n_clicks"),
            prevent_initial_call=True,
            cancel=[Input("stop", "n_clicks")],
            reset_props={"status": {"children": "reset"}},
        )
        def slow(_clicks: int) -> Iterator[object]:
            try:
                for i in range(1000):
                    yield stream_props("ticks", {"children": str(i)})
                    self.release.wait(0.05)
            finally:
                self.closed.set()

        @event_callback(Input("boom", "n_clicks"), prevent_initial_call=True)
        def boom(_clicks: int) -> Iterator[object]:
            yield stream_props("status", {"children": "about to fail"})
            raise RuntimeError("secret internals")

        @event_callback(
            Input({"type": "cell", "index": ALL}, "n_clicks"), prevent_initial_call=True
        )
        def cells(clicks: list[int | None]) -> Iterator[object]:
            yield stream_props("cells", {"children": f"{ctx.triggered_id['index']}:{clicks}"})


def test_2000_tokens_stream_exactly_with_running_and_context(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    server = serve(StreamApp(live_app).app)
    page.goto(server.url)
    page.click("#tokens")
    expect(page.locator("#answer")).to_have_text("".join(TOKENS).strip(), timeout=30_000)
    expect(page.locator("#trigger")).to_have_text("tokens q1")
    expect(page.locator("#tokens")).to_be_enabled()


def test_500_extend_data_increments_are_all_plotted(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    server = serve(StreamApp(live_app).app)
    page.goto(server.url)
    page.click("#graph-go")
    # Count what Plotly drew: extendData extends the traces, not the figure prop.
    page.wait_for_function(
        "() => document.querySelector('#graph .js-plotly-plot')?.data?.[0]?.x?.length === 500",
        timeout=30_000,
    )
    plotted = page.evaluate("() => document.querySelector('#graph .js-plotly-plot').data[0].y")
    assert plotted == [i * i for i in range(500)]


# Marks the page's requestAnimationFrame callbacks while they run.
FRAME_WATCH = """
window.__inFrame = false;
const requestFrame = window.requestAnimationFrame.bind(window);
window.requestAnimationFrame = (callback) => requestFrame((time) => {
    window.__inFrame = true;
    try { callback(time); } finally { window.__inFrame = false; }
});
"""
COUNT_SET_PROPS = """() => {
    window.__applied = {inFrame: 0, apart: 0};
    const setProps = window.dash_clientside.set_props;
    window.dash_clientside.set_props = (id, props) => {
        window.__applied[window.__inFrame ? 'inFrame' : 'apart'] += 1;
        return setProps(id, props);
    };
}"""


def test_paced_updates_are_applied_in_a_task_apart_from_the_frame(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    """Applied inside a requestAnimationFrame callback, a flood's updates would share one task
    with the frame's style and layout: on a large page, a long task that freezes it."""
    server = serve(StreamApp(live_app).app)
    page.add_init_script(FRAME_WATCH)
    page.goto(server.url)
    page.wait_for_function("() => window.dash_clientside?.set_props !== undefined")
    # Plotly draws the graph first: dcc.Graph applies increments that reach it while its
    # Plotly chunk is still loading twice (Dash 4.4.1; seen with any transport).
    drawn = "(n) => document.querySelector('#paced .js-plotly-plot')?.data?.[0]?.x?.length === n"
    page.wait_for_function(drawn, arg=0, timeout=30_000)
    page.evaluate(COUNT_SET_PROPS)
    page.click("#paced-go")
    page.wait_for_function(drawn, arg=PACED, timeout=30_000)
    plotted = page.evaluate("() => document.querySelector('#paced .js-plotly-plot').data[0].x")
    assert plotted == list(range(PACED))
    applied = page.evaluate("() => window.__applied")
    assert applied == {"inFrame": 0, "apart": PACED}  # one increment per frame, none inside one


def test_cancel_closes_the_generator_on_the_server(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    under_test = StreamApp(live_app)
    server = serve(under_test.app)
    page.goto(server.url)
    page.click("#slow")
    # At least three ticks: the exact text "3" may be on screen too briefly to be seen.
    page.wait_for_function(
        "() => Number(document.querySelector('#ticks')?.textContent) >= 3", timeout=10_000
    )
    page.click("#stop")
    assert under_test.closed.wait(5), "the generator was not closed"
    expect(page.locator("#status")).to_have_text("reset")


def test_error_without_handler_hides_internals(
    page: Page, page_errors: PageErrors, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    page_errors.allow("failed; the server log has details")
    server = serve(StreamApp(live_app).app)
    page.goto(server.url)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.click("#boom")
    expect(page.locator("#status")).to_have_text("about to fail", timeout=10_000)
    deadline = time.monotonic() + 10
    while not any("failed; the server log" in m for m in messages) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert any("failed; the server log" in m for m in messages)
    assert not any("secret internals" in m for m in messages)


def test_pattern_matching_inputs(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    server = serve(StreamApp(live_app).app)
    page.goto(server.url)
    page.click('#\\{\\"index\\"\\:1\\,\\"type\\"\\:\\"cell\\"\\}')
    expect(page.locator("#cells")).to_have_text("1:[None, 1, None]", timeout=10_000)
