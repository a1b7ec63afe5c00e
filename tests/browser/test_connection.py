"""The connection lifecycle: props that report it, and recovery from a server going away."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from devtools.processes import ServerProcess
from tests.browser.conftest import SERVER_DOWN, PageErrors

APP = "tests.browser.apps.lifecycle"


@pytest.fixture
def server_process() -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(*args: str, port: int | None = None) -> ServerProcess:
        server = ServerProcess.module(APP, *args, port=port).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_reconnects_after_server_restart(
    page: Page, page_errors: PageErrors, server_process: Callable[..., ServerProcess]
) -> None:
    page_errors.allow(*SERVER_DOWN)  # Chromium logs each attempt made while the server is down.
    server = server_process()
    page.goto(server.url)
    expect(page.locator("#state")).to_have_text("connected", timeout=15_000)
    first_sid = page.locator("#sid").inner_text()

    server.stop()
    expect(page.locator("#state")).to_have_text("disconnected", timeout=15_000)
    expect(page.locator("#sid")).to_have_text("")

    server.start()
    expect(page.locator("#state")).to_have_text("connected", timeout=30_000)
    expect(page.locator("#sid")).not_to_have_text("")
    assert page.locator("#sid").inner_text() != first_sid
    expect(page.locator("#error")).to_have_text("")


def test_refused_connections_are_reported_and_retried(
    page: Page, page_errors: PageErrors, server_process: Callable[..., ServerProcess]
) -> None:
    # After a refusal the client closes its engine.io session while a poll or the WebSocket
    # upgrade probe may still be in flight on it; Chromium logs the late answer (a 400 for the
    # closed session, a frame after close, or, when the server answers the probe of the closed
    # session with an HTTP error inside the upgraded connection, an invalid frame header: seen
    # once in a fresh-clone run). Nothing is lost: no session existed.
    page_errors.allow(
        "Data frame received after close", "status of 400 (BAD REQUEST)", "Invalid frame header"
    )
    # The connect handler refuses twice: socket.io-client would give up after the first.
    server = server_process("2")
    page.goto(server.url)
    expect(page.locator("#state")).to_have_text("connected", timeout=30_000)
    expect(page.locator("#error")).to_have_text("")
    # Each refusal reached the page through the error prop, with the server's message.
    expect(page.locator("#error-log")).to_have_text("refused attempt 1|refused attempt 2")
