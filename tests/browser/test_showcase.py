"""The showcase (examples/showcase) in a real browser: each section does what it shows.

The app is served with no delays, so the streams finish quickly, except where a test stops a
stream midway: there it runs at a human pace, and the test waits on what the page shows. Each
test runs on Flask and on Dash's FastAPI backend (the ``showcase_backend`` fixture).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator

import dash
import plotly.data
import pytest
from playwright.sync_api import Locator, Page, expect

from devtools.processes import ROOT, ServerProcess
from examples.showcase import chart
from examples.showcase.app import create_app
from examples.showcase.lorem import answer_text, tokens
from examples.showcase.table import ROW_COUNT
from tests.browser.conftest import SERVER_DOWN, PageErrors
from tests.conftest import LiveServer
from tests.scaleout.redis_server import RedisServer

ROWS = len(plotly.data.gapminder())
# Slow enough that a Stop or Cancel lands mid-stream: 40+ words and 18 chunks take seconds.
HUMAN_PACE = {"word_delay": 0.05, "chunk_delay": 0.2}


@pytest.fixture
def serve(serve: Callable[[object], LiveServer]) -> Iterator[Callable[[object], LiveServer]]:
    """tests.conftest's ``serve``, which afterwards also ends the live chart's producer thread
    of every showcase it served (the thread would outlive the test and push to nobody)."""
    served: list[dash.Dash] = []

    def start(app: object) -> LiveServer:
        if isinstance(app, dash.Dash):
            served.append(app)
        return serve(app)

    yield start
    for app in served:
        assert chart.producer_of(app).stop(), "the live chart's producer thread did not end"


def open_showcase(
    page: Page, serve: Callable[[object], LiveServer], backend: str, **delays: float
) -> LiveServer:
    app, _socketio = create_app(
        backend=backend, **{"word_delay": 0.0, "chunk_delay": 0.0, **delays}
    )
    server = serve(app)
    visit(page, server.url)
    return server


def visit(page: Page, url: str) -> None:
    page.goto(url)
    # Connected means the server's connect handler ran: this tab is in the chat room.
    expect(page.locator("#connection-badge")).to_have_text("connected", timeout=15_000)


def notification(page: Page, text: str) -> Locator:
    return page.locator(".mantine-Notification-root").filter(has_text=text)


def row_count(page: Page) -> int:
    count: int = page.evaluate(ROW_COUNT)
    return count


def progress(page: Page) -> Locator:
    return page.locator("#table-progress [role=progressbar]")


def test_status_badge_shows_connected(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    open_showcase(page, serve, showcase_backend)
    expect(page.locator("#connection-badge")).to_have_text("connected")
    socket_id = page.evaluate("() => window.dash_component_api.getLayout('socket').props.socketId")
    assert isinstance(socket_id, str)
    assert socket_id
    expect(page.locator("#connection-detail")).to_have_text(f"socket {socket_id}")


@pytest.fixture
def showcase_process(showcase_backend: str) -> Iterator[ServerProcess]:
    # As `make demo BACKEND=...` runs it.
    server = ServerProcess.module(
        "examples.showcase.app", env={"SHOWCASE_BACKEND": showcase_backend}
    )
    yield server
    server.stop()


def test_status_badge_follows_a_server_restart(
    page: Page, page_errors: PageErrors, showcase_process: ServerProcess
) -> None:
    page_errors.allow(*SERVER_DOWN)  # each attempt while the server is down
    server = showcase_process.start()
    visit(page, server.url)
    server.stop()
    badge = page.locator("#connection-badge")
    expect(badge).to_have_text(re.compile(r"^reconnecting \(attempt [1-9]\d*\)$"), timeout=15_000)
    server.start()
    expect(badge).to_have_text("connected", timeout=30_000)


def test_loremlm_over_socketio_streams_the_whole_answer(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    open_showcase(page, serve, showcase_backend)
    question = "What does dash-live push?"
    page.fill("#question", question)
    page.click("#ask")
    expect(page.locator("#answer")).to_have_text(answer_text(question), timeout=15_000)
    words = len(tokens(question))
    expect(page.locator("#status")).to_have_text(f"Answered in {words} words.")
    # The "Thinking…" notification became "Done": one notification, updated by its id.
    expect(notification(page, f"Done: {words} words.")).to_be_visible()
    expect(notification(page, "LoremLM over Socket.IO")).to_have_count(1)
    expect(page.locator("#ask")).to_be_enabled()


def test_loremlm_over_socketio_shows_the_words_as_they_come(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    open_showcase(page, serve, showcase_backend, **HUMAN_PACE)
    question = "Word by word?"
    full = answer_text(question)
    page.fill("#question", question)
    page.click("#ask")
    # Part of the answer while the callback still runs: its status comes with its return.
    # (On FastAPI, a callback left on the event loop would push nothing until it returned.)
    page.wait_for_function(
        """(full) => {
            const answer = document.querySelector('#answer').innerText;
            const status = document.querySelector('#status').innerText;
            return answer.split(' ').length >= 3 && answer.length < full.length && !status;
        }""",
        arg=full,
        timeout=15_000,
    )
    expect(page.locator("#answer")).to_have_text(full, timeout=30_000)
    expect(page.locator("#status")).to_have_text(f"Answered in {len(tokens(question))} words.")


def test_loremlm_over_an_event_callback_streams_the_whole_answer(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    open_showcase(page, serve, showcase_backend)
    question = "Is the answer the same twice?"
    page.fill("#ec-question", question)
    for _run in range(2):  # the second run starts from an empty answer again
        page.click("#ec-ask")
        expect(page.locator("#ec-answer")).to_have_text(answer_text(question), timeout=15_000)
    words = len(tokens(question))
    expect(page.locator("#ec-status")).to_have_text(f"Answered in {words} words.")
    expect(notification(page, f"Done: {words} words.")).to_have_count(2)
    expect(page.locator("#ec-stop")).to_be_disabled()
    expect(page.locator("#ec-ask")).to_be_enabled()


def test_stop_cancels_the_event_callback_midway(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    open_showcase(page, serve, showcase_backend, **HUMAN_PACE)
    question = "Will you stop?"
    full = answer_text(question)
    page.fill("#ec-question", question)
    page.click("#ec-ask")
    answer = page.locator("#ec-answer")
    expect(answer).to_have_text(re.compile(r"^\S+ \S+ \S+"), timeout=15_000)  # three words in
    expect(page.locator("#ec-stop")).to_be_enabled()
    page.click("#ec-stop")
    expect(page.locator("#ec-status")).to_have_text("Stopped.")
    expect(notification(page, "Stopped.")).to_be_visible()
    expect(page.locator("#ec-stop")).to_be_disabled()  # running props restored
    expect(page.locator("#ec-ask")).to_be_enabled()
    stopped_at = answer.inner_text()
    assert full.startswith(stopped_at)
    assert len(stopped_at) < len(full)
    # While a whole Socket.IO answer streams at the same pace, the stopped one does not grow.
    page.fill("#question", question)
    page.click("#ask")
    expect(page.locator("#answer")).to_have_text(full, timeout=30_000)
    expect(answer).to_have_text(stopped_at)
    expect(page.locator("#ec-status")).to_have_text("Stopped.")


def test_chat_reaches_every_tab_and_rejects_an_empty_message(
    new_page: Callable[..., Page], serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    alice = new_page()
    server = open_showcase(alice, serve, showcase_backend)
    alice_second_tab = new_page(alice.context)
    bob = new_page()  # another browser profile: another user
    for page in (alice_second_tab, bob):
        visit(page, server.url)
    everyone = (alice, alice_second_tab, bob)

    alice.fill("#chat-name", "alice")
    alice.fill("#chat-text", "hello bob")
    alice.click("#chat-send")
    for page in everyone:
        expect(page.locator(".chat-message")).to_have_count(1)
        expect(page.locator(".chat-message")).to_contain_text("alice: hello bob")
    expect(alice.locator("#chat-text")).to_have_value("")  # cleared for its sender only

    bob.fill("#chat-name", "bob")
    bob.fill("#chat-text", "   ")
    bob.locator("#chat-text").press("Enter")  # Enter sends too
    expect(bob.locator("#chat-text-error")).to_have_text("Type a message first.")
    expect(alice.locator("#chat-text-error")).to_have_count(0)  # told to the sender only

    bob.fill("#chat-text", "hi alice")
    bob.click("#chat-send")
    # Had the empty message been broadcast, it would sit between the two.
    for page in everyone:
        messages = page.locator(".chat-message")
        expect(messages).to_have_count(2)
        expect(messages.nth(0)).to_contain_text("alice: hello bob")
        expect(messages.nth(1)).to_contain_text("bob: hi alice")
    expect(bob.locator("#chat-text-error")).to_have_count(0)


def test_table_streams_every_gapminder_row(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    open_showcase(page, serve, showcase_backend)
    for run in (1, 2):  # the second stream replaces the rows of the first
        page.click("#start-table")
        expect(page.locator("#table-status")).to_have_text(
            f"Stream {run}: {ROWS} / {ROWS} rows", timeout=30_000
        )
        page.wait_for_function(f"() => ({ROW_COUNT})() === {ROWS}", timeout=15_000)
        expect(progress(page)).to_have_attribute("aria-valuenow", "100")
    expect(notification(page, f"Done: {ROWS} rows.")).to_have_count(2)
    expect(page.locator("#cancel-table")).to_be_disabled()
    assert row_count(page) == ROWS


def grid_cell(page: Page, row: int, field: str) -> Locator:
    return page.locator(f'#grid .ag-row[row-index="{row}"] .ag-cell[col-id="{field}"]')


def test_the_grid_formats_its_numbers_and_sorts_them_as_numbers(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    open_showcase(page, serve, showcase_backend)
    page.click("#start-table")
    page.wait_for_function(f"() => ({ROW_COUNT})() === {ROWS}", timeout=30_000)
    # The first gapminder row: Afghanistan 1952, pop 8425333, lifeExp 28.801, gdpPercap 779.45.
    expect(grid_cell(page, 0, "country")).to_have_text("Afghanistan")
    expect(grid_cell(page, 0, "pop")).to_have_text("8,425,333")
    expect(grid_cell(page, 0, "lifeExp")).to_have_text("28.8")
    expect(grid_cell(page, 0, "gdpPercap")).to_have_text("$779")
    shown = page.locator('#grid .ag-cell[col-id="pop"]')
    expect(shown.first).to_be_visible()
    for text in shown.all_inner_texts():
        assert re.fullmatch(r"\d{1,3}(,\d{3})+", text), text
    # The values stay numbers: sorted by population, China 2007 (1,318,683,096) comes first,
    # which a sort of the formatted strings would not give.
    page.evaluate(
        """() => window.dash_ag_grid.getApi('grid').applyColumnState(
            {state: [{colId: 'pop', sort: 'desc'}]})"""
    )
    expect(grid_cell(page, 0, "pop")).to_have_text("1,318,683,096")
    expect(grid_cell(page, 0, "country")).to_have_text("China")


def test_cancel_stops_the_table_midway(
    page: Page, serve: Callable[[object], LiveServer], showcase_backend: str
) -> None:
    open_showcase(page, serve, showcase_backend, **HUMAN_PACE)
    page.click("#start-table")
    page.wait_for_function(f"() => ({ROW_COUNT})() >= 100", timeout=15_000)
    expect(page.locator("#cancel-table")).to_be_enabled()
    page.click("#cancel-table")
    expect(page.locator("#table-status")).to_have_text("Cancelled.")
    expect(notification(page, "Cancelled.")).to_be_visible()
    expect(page.locator("#start-table")).to_be_enabled()
    rows = row_count(page)
    assert 100 <= rows < ROWS
    shown = progress(page).get_attribute("aria-valuenow")
    assert shown is not None
    assert float(shown) < 100


def test_a_job_in_another_process_reports_to_the_tab_that_started_it(
    page: Page,
    serve: Callable[[object], LiveServer],
    monkeypatch: pytest.MonkeyPatch,
    showcase_backend: str,
) -> None:
    redis_server = RedisServer().start()
    try:
        # The app, and the job process it starts, find Redis through this one setting.
        monkeypatch.setenv("DASH_LIVE_REDIS_URL", redis_server.url)
        open_showcase(page, serve, showcase_backend, job_delay=0.0)
        page.click("#start-job")
        expect(page.locator("#job-started")).to_contain_text("Job started", timeout=10_000)
        expect(page.locator("#job-status")).to_have_text("Job done: 20 steps.", timeout=30_000)
        expect(page.locator("#job-progress [role=progressbar]")).to_have_attribute(
            "aria-valuenow", "100"
        )
    finally:
        redis_server.cleanup()


def test_without_redis_the_job_card_says_what_it_needs(
    page: Page,
    serve: Callable[[object], LiveServer],
    monkeypatch: pytest.MonkeyPatch,
    showcase_backend: str,
) -> None:
    monkeypatch.delenv("DASH_LIVE_REDIS_URL", raising=False)
    open_showcase(page, serve, showcase_backend)
    expect(page.locator("#start-job")).to_be_disabled()
    expect(page.get_by_text("Needs Redis: set DASH_LIVE_REDIS_URL")).to_be_visible()


def test_a_bad_backend_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"backend 'flask' or 'fastapi', got 'quart'"):
        create_app(backend="quart")
    # As `make demo BACKEND=flsk` runs it: a one-line message, before anything starts.
    run = subprocess.run(
        [sys.executable, "-m", "examples.showcase.app", "0"],
        cwd=ROOT,
        env={"PATH": "", "PYTHONPATH": str(ROOT), "SHOWCASE_BACKEND": "flsk"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "SHOWCASE_BACKEND (make demo BACKEND=...): "
        "the showcase runs on backend 'flask' or 'fastapi', got 'flsk'"
    )
