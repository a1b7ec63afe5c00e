"""The showcase's live chart (examples/showcase/chart.py): every tab shows the same points.

The producer runs fast here (a point every 50 ms) so that tabs connect while it pushes: a tab
that missed or doubled a point at the seam between its history and the live pushes would
differ from the server's history, which the tests compare it with, point by point. Each test
runs on Flask and on Dash's FastAPI backend (the ``showcase_backend`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from examples.showcase import chart
from examples.showcase.app import create_app
from tests.browser.conftest import cut_transport
from tests.browser.test_showcase import visit
from tests.conftest import LiveServer

INTERVAL = 0.05
# What the page's plotly graph shows: its first trace, as the chart's points.
CHART_POINTS = """() => {
    const plot = document.querySelector('#live-chart .js-plotly-plot');
    if (!plot || !plot.data || !plot.data.length) {
        return null;
    }
    return {x: Array.from(plot.data[0].x), y: Array.from(plot.data[0].y)};
}"""


def shown(page: Page) -> list[chart.Point]:
    trace: dict[str, list[Any]] | None = page.evaluate(CHART_POINTS)
    assert trace is not None, "the chart is not plotted"
    return [chart.Point(x, y) for x, y in zip(trace["x"], trace["y"], strict=True)]


def wait_for_points(page: Page, count: int) -> None:
    page.wait_for_function(
        f"() => {{ const t = ({CHART_POINTS})(); return t !== null && t.x.length >= {count}; }}",
        timeout=20_000,
    )


@pytest.fixture
def showcase(
    serve: Callable[[object], LiveServer], showcase_backend: str
) -> Iterator[tuple[LiveServer, chart.Producer]]:
    """The showcase served with a fast chart; its producer thread is stopped afterwards."""
    app, _socketio = create_app(
        word_delay=0.0, chunk_delay=0.0, chart_interval=INTERVAL, backend=showcase_backend
    )
    producer = chart.producer_of(app)
    yield serve(app), producer
    assert producer.stop(), "the chart's producer thread did not end"


def test_every_tab_shows_the_same_points_a_late_tab_included(
    new_page: Callable[..., Page], showcase: tuple[LiveServer, chart.Producer]
) -> None:
    server, producer = showcase
    first = new_page()
    visit(first, server.url)
    wait_for_points(first, 10)
    late = new_page()  # another browser profile, opened while the points keep coming
    visit(late, server.url)
    # Connected: the welcome has run, so the late tab's history holds at most this many.
    welcomed = len(producer.history())
    wait_for_points(late, welcomed + 10)  # and then it got points pushed live
    assert producer.stop()
    history = producer.history()
    # Nothing was trimmed yet: the history starts at the very first point.
    assert welcomed + 10 <= len(history) < chart.MAX_POINTS
    for page in (first, late):
        wait_for_points(page, len(history))
        assert shown(page) == history
    expect(first.locator("#connection-badge")).to_have_text("connected")


def test_another_tab_of_the_same_browser_gets_the_history_too(
    new_page: Callable[..., Page], showcase: tuple[LiveServer, chart.Producer]
) -> None:
    server, producer = showcase
    first = new_page()
    visit(first, server.url)
    wait_for_points(first, 5)
    second_tab = new_page(first.context)
    visit(second_tab, server.url)
    wait_for_points(second_tab, len(producer.history()) + 5)
    assert producer.stop()
    history = producer.history()
    for page in (first, second_tab):
        wait_for_points(page, len(history))
        assert shown(page) == history
    assert shown(second_tab)[0] == shown(first)[0] == history[0]


def test_the_producer_starts_once_and_stops_for_good(
    page: Page, showcase: tuple[LiveServer, chart.Producer]
) -> None:
    server, producer = showcase
    assert not producer.running  # nothing runs before the first connection
    visit(page, server.url)
    wait_for_points(page, 3)
    assert producer.running
    assert producer.stop()
    assert not producer.running
    page.reload()  # a new connection after stop() is shown the history, and starts nothing
    visit(page, server.url)
    history = producer.history()
    wait_for_points(page, len(history))
    assert shown(page) == history
    assert not producer.running


def test_a_reconnecting_tab_catches_up_without_doubling_a_point(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    app, socketio = create_app(
        word_delay=0.0, chunk_delay=0.0, chart_interval=INTERVAL, backend=showcase_backend
    )
    producer = chart.producer_of(app)
    try:
        visit(page, serve(app).url)
        wait_for_points(page, 10)
        old_sid = page.evaluate(
            "() => window.dash_component_api.getLayout('socket').props.socketId"
        )
        # Close the tab's Engine.IO connection from the server: to the page that is a lost
        # transport, so it reconnects by itself and is welcomed again with the history.
        cut_transport(socketio, old_sid)
        page.wait_for_function(
            """(old) => {
                const props = window.dash_component_api.getLayout('socket').props;
                return props.connected && props.socketId && props.socketId !== old;
            }""",
            arg=old_sid,
            timeout=20_000,
        )
        wait_for_points(page, len(producer.history()) + 5)
        assert producer.stop()
        history = producer.history()
        wait_for_points(page, len(history))
        assert shown(page) == history
    finally:
        assert producer.stop(), "the chart's producer thread did not end"
