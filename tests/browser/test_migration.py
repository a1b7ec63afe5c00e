"""Migration: apps written for dash-socketio 1.1.1 and dash-event-callback 1.2.0, as their own
READMEs (shared/seeds/) write them, behave the same once their import says ``dash_live``.

The apps below keep the seeds' code: the same calls, arguments and defaults. What differs is
said where it differs, and is never the part under test:
- the import line;
- the seed's dash-mantine-components 0.12 (``NotificationsProvider``, gone from DMC 2) is
  replaced by plain ``html`` components, and its ``app.run_server`` (gone in Dash 3) by our
  test server;
- the seeds' data (gapminder, a database) by small generated rows, and their sleeps shortened;
- ``SocketIO(app.server)`` gets ``async_mode="threading"`` because this venv has gevent
  installed (for the deployment tests) and the test server is threaded Werkzeug.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import dash
import dash_ag_grid as dag
import pytest
from dash import Dash, Input, Output, State, callback, clientside_callback, html, no_update
from flask_socketio import SocketIO, emit
from playwright.sync_api import Page, Request, expect

from dash_live import DashSocketIO, event_callback, setup_event_callback, stream_props
from tests.browser.conftest import PageErrors
from tests.conftest import LiveServer

Serve = Callable[[object], LiveServer]

PARAGRAPH = """Lorem ipsum dolor sit amet, consectetur adipiscing elit.
Integer augue eros, tincidunt vitae eros eu, faucibus tempus risus."""


# dash-socketio's quick start: a normal callback emits notifications and streams words to the
# tab that clicked; clientside callbacks accumulate them.


def socketio_seed_app() -> Dash:
    app = Dash(__name__)
    app.server.secret_key = "Test!"

    socketio = SocketIO(app.server, async_mode="threading")  # noqa: F841  (as the seed writes it)

    app.layout = html.Div(
        [
            html.H1("Hello Socket.IO!"),
            html.Div(
                [
                    html.Textarea(id="dummy", placeholder="Ask LoremLM something..."),
                    html.Div(html.Button("Ask LoremLM", id="btn", disabled=True)),
                ]
            ),
            html.P(id="results", style={"maxWidth": "60ch"}),
            html.Div(id="notification_wrapper"),
            DashSocketIO(id="socketio", eventNames=["notification", "stream"]),
        ]
    )

    def notify(socket_id: str, message: str, color: str | None = None) -> None:
        emit(
            "notification",
            html.Div(message, id=uuid.uuid4().hex, style={"color": color}).to_plotly_json(),
            namespace="/",
            to=socket_id,
        )

    @callback(
        Output("results", "children"),
        Output("notification_wrapper", "children", allow_duplicate=True),
        Input("btn", "n_clicks"),
        State("socketio", "socketId"),
        running=[[Output("results", "children"), "", None]],  # type: ignore[list-item]
        prevent_initial_call=True,
    )
    def display_status(n_clicks: int, socket_id: str) -> tuple[Any, Any]:
        if not n_clicks or not socket_id:
            return no_update, []
        notify(socket_id, "Sending the question to LoremLM...")
        time.sleep(0.3)
        notify(socket_id, "Streaming answer...")

        for i, word in enumerate(PARAGRAPH.replace("\n", " ").split(" ")):
            emit("stream", " " * bool(i) + word, namespace="/", to=socket_id)
            time.sleep(0.05)

        notify(socket_id, "Done!", color="green")

        return PARAGRAPH, []

    clientside_callback(
        """connected => !connected""",
        Output("btn", "disabled"),
        Input("socketio", "connected"),
    )

    clientside_callback(
        """(notification) => {
            if (!notification) return dash_clientside.no_update
            return notification
        }""",
        Output("notification_wrapper", "children", allow_duplicate=True),
        Input("socketio", "data-notification"),
        prevent_initial_call=True,
    )

    clientside_callback(
        """(word, text) => text + word""",
        Output("results", "children", allow_duplicate=True),
        Input("socketio", "data-stream"),
        State("results", "children"),
        prevent_initial_call=True,
    )
    return app


def test_dash_socketio_quick_start_streams_every_word_and_notifies(
    serve: Serve, page: Page
) -> None:
    live = serve(socketio_seed_app())
    page.goto(live.url)
    button = page.locator("#btn")
    expect(button).to_be_enabled()  # connected => !connected

    # The callback's final return clears the wrapper, so record each notification shown.
    page.evaluate(
        """() => {
            window.shown = [];
            const wrapper = document.getElementById('notification_wrapper');
            new MutationObserver(() => {
                const text = wrapper.textContent;
                if (text && text !== window.shown[window.shown.length - 1]) window.shown.push(text);
            }).observe(wrapper, {childList: true, subtree: true, characterData: true});
        }"""
    )
    page.click("#btn")
    words = PARAGRAPH.replace("\n", " ").split(" ")
    # The accumulator sees the words as they come, then the callback returns the paragraph.
    expect(page.locator("#results")).to_have_text(re.compile("^Lorem ipsum"))
    expect(page.locator("#results")).to_have_text(" ".join(words))
    page.wait_for_function("window.shown.includes('Done!')")
    assert page.evaluate("window.shown") == [
        "Sending the question to LoremLM...",
        "Streaming answer...",
        "Done!",
    ]


# dash-event-callback's quick start: a table streamed chunk by chunk, with notifications.

CHUNK = 5
ROWS = [{"country": f"c{i}", "pop": i * 1000} for i in range(3 * CHUNK + 2)]


def get_data(chunk_size: int) -> Iterator[tuple[list[dict[str, Any]], list[str]]]:
    """The seed's data.py, on small generated rows instead of gapminder."""
    rows = list(ROWS)
    while rows:
        time.sleep(0.05)
        chunk, rows = rows[:chunk_size], rows[chunk_size:]
        yield chunk, ["country", "pop"]


class NotificationsContainer:
    """What the seed's app imports from dash-flash: a notification as a stream update."""

    @staticmethod
    def send_notification(title: str, message: str, color: str) -> Any:
        return stream_props("notifications", {"children": f"{title} {message}"})


def event_callback_seed_app(calls: list[int]) -> Dash:
    app = Dash(__name__)
    app.layout = html.Div(
        [
            html.Button("Start", id="start-stream-button"),
            html.Button("Cancel", id="cancel-stream-button", style={"display": "none"}),
            html.Button("Reset", id="reset-strea-button"),
            html.Button("Other", id="other"),
            html.Div(id="other-out"),
            html.Div(id="notifications"),
            dag.AgGrid(id="dash-ag-grid", rowData=[], columnDefs=[]),
        ]
    )

    @app.callback(Output("other-out", "children"), Input("other", "n_clicks"))
    def other(n: int | None) -> str:
        return f"other {n}"

    @event_callback(Input("start-stream-button", "n_clicks"))
    def update_table(_: int) -> Iterator[Any]:
        calls.append(_)
        yield stream_props(
            [
                ("start-stream-button", {"loading": True}),
                ("cancel-stream-button", {"display": "flex"}),
            ]
        )

        progress = 0
        chunk_size = CHUNK
        for data_chunk, colnames in get_data(chunk_size):
            if progress == 0:
                columnDefs = [{"field": col} for col in colnames]
                update = {"rowData": data_chunk, "columnDefs": columnDefs}
            else:
                update = {"rowTransaction": {"add": data_chunk}}  # type: ignore[dict-item]

            yield stream_props("dash-ag-grid", update)

            if len(data_chunk) == chunk_size:
                yield NotificationsContainer.send_notification(
                    title="Starting stream!",
                    message="Notifications in Dash, Awesome!",
                    color="lime",
                )

            progress += 1  # noqa: SIM113  (as the seed writes it)

        yield stream_props("start-stream-button", {"loading": False, "children": "Reload"})
        yield stream_props("reset-strea-button", {"display": "none"})

    return app


def stream_requests(page: Page) -> list[str]:
    seen: list[str] = []

    def on_request(request: Request) -> None:
        if "_dash-live/stream" in request.url:
            seen.append(request.url)

    page.on("request", on_request)
    return seen


def test_dash_event_callback_quick_start_waits_for_the_click_then_streams_the_table(
    serve: Serve, page: Page
) -> None:
    calls: list[int] = []
    live = serve(event_callback_seed_app(calls))
    seen = stream_requests(page)
    page.goto(live.url)
    # Dash's own initial callback ran, so the page's initial round is over, and the stream,
    # declared without prevent_initial_call, did not start: as with dash-event-callback.
    expect(page.locator("#other-out")).to_have_text("other None")
    page.click("#other")
    expect(page.locator("#other-out")).to_have_text("other 1")
    assert seen == []
    assert calls == []

    page.click("#start-stream-button")
    expect(page.locator("#start-stream-button")).to_have_text("Reload")
    assert calls == [1]
    expect(page.locator("#notifications")).to_have_text(
        "Starting stream! Notifications in Dash, Awesome!"
    )
    # rowData then three rowTransactions: every row, in order.
    cells = page.locator("#dash-ag-grid .ag-center-cols-container [col-id='country']")
    expect(cells).to_have_count(len(ROWS))
    assert cells.all_inner_texts() == [row["country"] for row in ROWS]
    # The seed sets a `display` prop (not a style) on buttons; the prop lands as yielded.
    page.wait_for_function(
        "dash_component_api.getLayout('reset-strea-button').props.display === 'none'"
    )


# dash-event-callback's set-up call, its timeout and its other parameters.


def test_setup_event_callback_keeps_its_timeout(
    serve: Serve, page: Page, page_errors: PageErrors
) -> None:
    # Dash reports the timeout as the callback's error, as dash-event-callback raised one.
    page_errors.allow("slow timed out after 1 s")
    closed = threading.Event()
    with pytest.warns(DeprecationWarning, match="setup_event_callback"):
        setup_event_callback(timeout=1)
    app = Dash(__name__)
    app.layout = html.Div([html.Button("Go", id="go"), html.Div(id="out")])

    @event_callback(
        Input("go", "n_clicks"),
        reset_props={"out": {"children": "timed out"}},  # the dict form, which crashed Dash()
        on_error=lambda error: stream_props("out", {"children": f"error: {error}"}),
    )
    def slow(_: int) -> Iterator[Any]:
        try:
            yield stream_props("out", {"children": "started"})
            for _tick in range(600):
                time.sleep(0.05)
                yield stream_props("out", {"children": "still going"})
        finally:
            closed.set()

    live = serve(app)
    page.goto(live.url)
    page.click("#go")
    expect(page.locator("#out")).to_have_text("still going")
    # The 1 s of setup_event_callback, not dash-live's own 60 s default.
    expect(page.locator("#out")).to_have_text("timed out", timeout=10_000)
    assert closed.wait(10)


def test_cancel_forms_of_dash_event_callback(serve: Serve, page: Page) -> None:
    """A plain Input cancels at every change (the way to write dash-event-callback's "any
    change cancels"); a target value is honoured (dash-event-callback ignored it)."""
    app = Dash(__name__)
    app.layout = html.Div(
        [
            html.Button("Go", id="go"),
            html.Button("Stop", id="stop"),
            dash.dcc.Dropdown(id="mode", options=["run", "off"], value="run"),
            html.Div(id="out"),
        ]
    )

    @event_callback(
        Input("go", "n_clicks"),
        cancel=[Input("stop", "n_clicks"), (Input("mode", "value"), "off")],
        reset_props=[("out", {"children": "cancelled"})],
    )
    def ticking(n: int) -> Iterator[Any]:
        for i in range(400):
            yield stream_props("out", {"children": f"run {n} tick {i}"})
            time.sleep(0.05)

    live = serve(app)
    page.goto(live.url)
    for run in (1, 2):  # a second run is cancelled by a second click, as the first was
        page.click("#go")
        expect(page.locator("#out")).to_have_text(re.compile(f"^run {run} tick"))
        page.click("#stop")
        expect(page.locator("#out")).to_have_text("cancelled")
    page.click("#go")
    expect(page.locator("#out")).to_have_text(re.compile("^run 3 tick"))
    page.evaluate("dash_clientside.set_props('mode', {value: 'run'})")  # not the target value
    tick = int(page.locator("#out").inner_text().rsplit(" ", 1)[1])
    page.wait_for_function(  # the stream goes on
        f"Number(document.getElementById('out').textContent.split(' ').pop()) > {tick + 3}"
    )
    page.evaluate("dash_clientside.set_props('mode', {value: 'off'})")
    expect(page.locator("#out")).to_have_text("cancelled")
