"""@event_callback lifecycle in the browser: timeouts, errors, closed tabs, cancel targets,
initial calls, async generators, path prefixes and declaration after Dash()."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator

from dash import Input, Output, dcc, html
from playwright.sync_api import Page, expect

from dash_live import event_callback, stream_props
from tests.browser.conftest import LiveApp, PageErrors
from tests.conftest import LiveServer, configure, needs_initial_call


def wait_for_count(page: Page, at_least: int) -> None:
    """Wait until #out shows a number >= ``at_least`` (it may skip values between polls)."""
    page.wait_for_function(
        f"() => Number(document.querySelector('#out').textContent) >= {at_least}",
        timeout=10_000,
    )


def layout() -> html.Div:
    return html.Div(
        [
            html.Button("go", id="go"),
            html.Button("normal", id="normal"),
            dcc.Dropdown(id="mode", options=["run", "stop"], value="run"),
            html.Div(id="out"),
            html.Div(id="status", children="idle"),
            html.Div(id="normal-out"),
        ]
    )


def test_stuck_generator_times_out_resets_and_tells_the_user(
    page: Page, page_errors: PageErrors, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    page_errors.allow("timed out after 1 s")
    release = threading.Event()
    app = live_app(__name__)
    app.layout = layout()

    @event_callback(
        Input("go", "n_clicks"),
        prevent_initial_call=True,
        timeout=1,
        running=[(Output("go", "disabled"), True, False)],
        reset_props=[("status", {"children": "reset after timeout"})],
    )
    def stuck(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "started"})
        release.wait(20)  # stuck between yields: only the wall clock can end the stream
        yield stream_props("out", {"children": "never shown"})

    server = serve(app)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    page.goto(server.url)
    page.click("#go")
    expect(page.locator("#out")).to_have_text("started", timeout=10_000)
    expect(page.locator("#status")).to_have_text("reset after timeout", timeout=10_000)
    expect(page.locator("#go")).to_be_enabled()
    page.wait_for_function("() => true")  # let the console event be delivered
    assert any("timed out after 1 s" in m for m in messages)
    release.set()
    expect(page.locator("#out")).to_have_text("started")


def test_error_in_debug_mode_reaches_the_dev_tools(
    page: Page, page_errors: PageErrors, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    page_errors.allow("ValueError: bad row 3")
    app = live_app(__name__)
    app.layout = layout()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    def failing(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "row 1"})
        raise ValueError("bad row 3")

    app.enable_dev_tools(
        debug=True, dev_tools_hot_reload=False, dev_tools_disable_version_check=True
    )
    server = serve(app)
    page.goto(server.url)
    page.click("#go")
    expect(page.locator("#out")).to_have_text("row 1", timeout=10_000)
    # Dash's error badge counts it; its overlay names the exception.
    expect(page.locator(".test-devtools-error-count")).to_have_text("1", timeout=10_000)
    page.locator(".test-devtools-error-toggle").click()
    expect(page.locator(".dash-fe-error__title").first).to_contain_text("bad row 3")


def test_on_error_updates_are_applied(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    app = live_app(__name__)
    app.layout = layout()

    def handle(error: Exception) -> object:
        return stream_props("status", {"children": f"handled {type(error).__name__}"})

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True, on_error=handle)
    def failing(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "partial"})
        raise KeyError("missing")

    server = serve(app)
    page.goto(server.url)
    page.click("#go")
    expect(page.locator("#status")).to_have_text("handled KeyError", timeout=10_000)
    expect(page.locator("#out")).to_have_text("partial")


def test_closing_the_tab_closes_the_generator(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    closed = threading.Event()
    app = live_app(__name__)
    app.layout = layout()
    configure(app, "DASH_LIVE_KEEPALIVE", 0.2)

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    def endless(_clicks: int) -> Iterator[object]:
        try:
            for i in range(10_000):
                yield stream_props("out", {"children": str(i)})
                closed.wait(0.05)
        finally:
            closed.set()

    server = serve(app)
    page.goto(server.url)
    page.click("#go")
    wait_for_count(page, 5)
    page.close()
    assert closed.wait(10), "the generator kept running after its tab closed"


def test_cancel_honours_its_target_value(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    closed = threading.Event()
    app = live_app(__name__)
    app.layout = layout()

    @event_callback(
        Input("go", "n_clicks"),
        prevent_initial_call=True,
        cancel=[(Input("mode", "value"), "stop")],
    )
    def ticking(_clicks: int) -> Iterator[object]:
        try:
            for i in range(10_000):
                yield stream_props("out", {"children": str(i)})
                closed.wait(0.05)
        finally:
            closed.set()

    server = serve(app)
    page.goto(server.url)
    page.click("#go")
    wait_for_count(page, 3)
    # A change to another value does not cancel: the stream keeps counting.
    page.evaluate("() => window.dash_clientside.set_props('mode', {value: 'run2'})")
    wait_for_count(page, 10)
    assert not closed.is_set()
    page.evaluate("() => window.dash_clientside.set_props('mode', {value: 'stop'})")
    assert closed.wait(10), "the target value did not cancel the stream"


@needs_initial_call
def test_initial_call_async_generator_and_normal_callbacks_alongside(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    app = live_app(__name__)
    app.layout = layout()
    gate = asyncio.Event()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=False)
    async def on_load(clicks: int | None) -> AsyncIterator[object]:
        yield stream_props("status", {"children": f"loaded {clicks}"})
        for i in range(3):
            await asyncio.sleep(0.01)
            yield stream_props("out", {"children": f"async {i}"})
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(gate.wait(), 30)  # stays open: a long-running stream

    @app.callback(
        Output("normal-out", "children"), Input("normal", "n_clicks"), prevent_initial_call=True
    )
    def normal(clicks: int) -> str:
        return f"normal {clicks}"

    server = serve(app)
    page.goto(server.url)
    expect(page.locator("#status")).to_have_text("loaded None", timeout=10_000)
    expect(page.locator("#out")).to_have_text("async 2", timeout=10_000)
    page.click("#normal")
    expect(page.locator("#normal-out")).to_have_text("normal 1", timeout=10_000)
    # The stream is still open: the tab goes before the server stops, or a server that closes
    # its sockets at shutdown (uvicorn) would have the page report a broken stream.
    page.close()


def test_path_prefix_and_declaration_after_dash(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    # The app exists first, as in a multi-page app whose page modules declare callbacks.
    app = live_app(__name__, routes_pathname_prefix="/sub/", requests_pathname_prefix="/sub/")
    app.layout = layout()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    def late(clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": f"late {clicks}"})

    server = serve(app)
    page.goto(server.url + "/sub/")
    page.click("#go")
    expect(page.locator("#out")).to_have_text("late 1", timeout=10_000)


def test_stop_interrupts_an_async_generator_at_its_await(
    page: Page, serve: Callable[[object], LiveServer], live_app: LiveApp
) -> None:
    # An async generator is cancelled where it waits (here a 60 s sleep), not at its next
    # yield: on FastAPI it runs on the server's loop, on Flask on the runner thread's loop.
    closed = threading.Event()
    app = live_app(__name__)
    app.layout = html.Div([layout(), html.Button("stop", id="stop")])

    @event_callback(
        Input("go", "n_clicks"),
        prevent_initial_call=True,
        cancel=[Input("stop", "n_clicks")],
        running=[(Output("go", "disabled"), True, False)],
    )
    async def waiting(_clicks: int) -> AsyncIterator[object]:
        try:
            yield stream_props("out", {"children": "waiting"})
            await asyncio.sleep(60)
            yield stream_props("out", {"children": "never"})
        finally:
            closed.set()

    server = serve(app)
    page.goto(server.url)
    page.click("#go")
    expect(page.locator("#out")).to_have_text("waiting", timeout=10_000)
    expect(page.locator("#go")).to_be_disabled()
    page.click("#stop")
    assert closed.wait(10), "the async generator was not cancelled at its await"
    expect(page.locator("#go")).to_be_enabled(timeout=10_000)
    expect(page.locator("#out")).to_have_text("waiting")
