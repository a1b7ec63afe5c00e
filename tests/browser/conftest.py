"""Headless Chromium (Debian's, never a downloaded one) driven by Playwright.

Every page records console errors and uncaught exceptions; a test fails if any occurred.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dash
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from dash_live import LiveAsyncSocketIO, attach_socketio
from devtools.chromium import CHROMIUM, CHROMIUM_FLAGS
from tests.conftest import configure, needs_fastapi, needs_quart


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


# What Chromium logs for requests in flight or attempted while a test has stopped the server.
SERVER_DOWN = (
    "net::ERR_CONNECTION_REFUSED",
    "net::ERR_SOCKET_NOT_CONNECTED",
    "net::ERR_CONNECTION_RESET",
    "net::ERR_EMPTY_RESPONSE",
)


class PageErrors:
    def __init__(self) -> None:
        self.messages: list[str] = []
        self.allowed: tuple[str, ...] = ()

    def allow(self, *fragments: str) -> None:
        """Accept console errors containing one of ``fragments`` (e.g. the browser's own
        network error while a test has stopped the server on purpose)."""
        self.allowed += fragments

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and not any(f in message.text for f in self.allowed):
            self.messages.append(f"console: {message.text}")

    def on_page_error(self, error: Exception) -> None:
        self.messages.append(f"page error: {error}")


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def new_page(browser: Browser, page_errors: PageErrors) -> Iterator[Callable[..., Page]]:
    """Open a page: in a context of its own (a separate browser profile), or as another tab of
    the context given (sharing its cookies)."""
    contexts: list[BrowserContext] = []

    def open_page(context: BrowserContext | None = None) -> Page:
        if context is None:
            context = browser.new_context()
            contexts.append(context)
        page = context.new_page()
        page.on("console", page_errors.on_console)
        page.on("pageerror", page_errors.on_page_error)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert page_errors.messages == [], "the browser reported errors"


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.fixture(params=["flask", pytest.param("fastapi", marks=needs_fastapi)])
def showcase_backend(request: pytest.FixtureRequest) -> str:
    """Each showcase test runs on the backends the showcase runs on
    (``examples.showcase.backend.BACKENDS``): Flask, and Dash's FastAPI backend (uvicorn)."""
    name: str = request.param
    return name


LiveApp = Callable[..., dash.Dash]


@pytest.fixture(
    params=[
        "sse",
        "socketio",
        pytest.param("fastapi", marks=needs_fastapi),
        pytest.param("fastapi-socketio", marks=needs_fastapi),
        pytest.param("quart", marks=needs_quart),
        pytest.param("quart-socketio", marks=needs_quart),
    ]
)
def transport(request: pytest.FixtureRequest) -> str:
    """Each event-callback test runs over every transport on every backend: one HTTP response
    per stream, and the page's Socket.IO connection, on Flask, on Dash's FastAPI backend
    (served by uvicorn) and on its Quart backend (served by Hypercorn). ``"sse"`` and
    ``"socketio"`` are on Flask; ``"fastapi"`` and ``"quart"`` stream over HTTP."""
    name: str = request.param
    return name


@pytest.fixture
def live_app(transport: str) -> LiveApp:
    """``dash.Dash(...)`` whose event callbacks stream over ``transport``."""

    backend, _, over = transport.partition("-")
    if backend in ("sse", "socketio"):
        backend, over = "flask", backend

    def make(*args: Any, **kwargs: Any) -> dash.Dash:
        if backend != "flask":
            kwargs = {**kwargs, "backend": backend}
        app = dash.Dash(*args, **kwargs)
        configure(app, "DASH_LIVE_TRANSPORT", over or "sse")
        if over == "socketio":
            attach_socketio(app)
        return app

    return make


def cut_transport(socketio: Any, sid: str) -> None:
    """Drop the Engine.IO transport under Socket.IO session `sid`, as a network cut would.

    The page sees a lost transport and reconnects by itself. `server.eio.disconnect(...)` is not
    used: it waits for the socket's send queue to drain, and a packet queued by another thread
    after the writer has left is never taken, so that wait can last forever (engineio 4.x).
    On an ASGI backend the close is a coroutine, run on the server's loop, and an aborted close
    leaves the WebSocket open there: an empty packet stops the socket's writer, which closes it.
    """
    server = socketio.server
    socket = server.eio._get_socket(server.manager.eio_sid_from_sid(sid, "/"))
    if not isinstance(socketio, LiveAsyncSocketIO):
        socket.close(wait=False, abort=True)
        return

    async def cut() -> None:
        await socket.close(wait=False, abort=True)
        await socket.queue.put(None)

    socketio.run(cut())
