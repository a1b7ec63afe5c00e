"""Fixtures shared by every tier: a fresh dash-live registry per test, and real servers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, cast

import dash
import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from dash_live._compat import DASH_VERSION, INITIAL_CALL_WITHOUT_OUTPUTS, MATCH_WITHOUT_OUTPUTS
from dash_live.callbacks import decorator as event_callbacks
from dash_live.callbacks import settings
from dash_live.push import server as socketio_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def needs_dash(version: tuple[int, int], why: str) -> pytest.MarkDecorator:
    """Skip a test on a Dash older than ``version`` (the compatibility runs, make compat):
    dash-live refuses what such a Dash cannot run, and tests/unit/test_compat.py checks that."""
    return pytest.mark.skipif(
        version > DASH_VERSION, reason=f"needs Dash >= {version[0]}.{version[1]}: {why}"
    )


needs_match = needs_dash(MATCH_WITHOUT_OUTPUTS, "MATCH in a callback without outputs")
needs_initial_call = needs_dash(INITIAL_CALL_WITHOUT_OUTPUTS, "initial calls without outputs")
# Dash's FastAPI backend: Dash >= 4.2 with its [fastapi] extra installed.
needs_fastapi = pytest.mark.skipif(
    DASH_VERSION < (4, 2) or importlib.util.find_spec("fastapi") is None,
    reason="needs Dash >= 4.2 with dash[fastapi]",
)
# Dash's Quart backend: Dash >= 4.2 with its [quart] extra (Quart, which brings Hypercorn).
needs_quart = pytest.mark.skipif(
    DASH_VERSION < (4, 2)
    or importlib.util.find_spec("quart") is None
    or importlib.util.find_spec("hypercorn") is None,
    reason="needs Dash >= 4.2 with dash[quart]",
)


# Modules that import Starlette or uvicorn at their top are not collected without them.
collect_ignore = (
    []
    if DASH_VERSION >= (4, 2) and importlib.util.find_spec("fastapi") is not None
    else ["unit/test_asgi_stream.py", "integration/test_asgi_stream.py"]
)


def _reset_registries() -> None:
    socketio_server.reset()
    event_callbacks.reset()
    settings.reset_default_timeout()
    # @event_callback registers through dash.clientside_callback, which Dash keeps globally
    # until the next app starts; a test must not hand its callbacks to the next test's app.
    dash._callback.GLOBAL_CALLBACK_LIST.clear()
    dash._callback.GLOBAL_CALLBACK_MAP.clear()


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    # Process-wide registries: no test may see another's servers or callbacks.
    _reset_registries()
    yield
    _reset_registries()


class LiveServer:
    """A WSGI app served on 127.0.0.1 by a threaded Werkzeug server in this process."""

    def __init__(self, wsgi_app: object) -> None:
        app = cast("WSGIApplication", wsgi_app)
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class AsgiLiveServer:
    """An ASGI app (a Dash app on the FastAPI backend) served on 127.0.0.1 by uvicorn, on an
    event loop of its own in a thread of this process."""

    def __init__(self, asgi_app: Any) -> None:
        import uvicorn

        from devtools.processes import free_port

        port = free_port()
        config = uvicorn.Config(asgi_app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:  # uvicorn says when it listens; nothing to wait on
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class HypercornLiveServer:
    """An ASGI app (a Dash app on the Quart backend) served on 127.0.0.1 by Hypercorn, the server
    Dash's own ``app.run()`` uses there, on an event loop of its own in a thread of this process.

    Stopping waits up to 10 s for the streams still open to end, and leaves the server running
    if they do not (as ``AsgiLiveServer``'s uvicorn does): a test whose page still reads a
    stream at teardown must not see it cut. Then Hypercorn ends what is left (idle keep-alive
    connections) after ``graceful`` seconds."""

    def __init__(self, asgi_app: Any, graceful: float = 1.0) -> None:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        from devtools.processes import free_port

        port = free_port()
        config = Config()
        config.bind = [f"127.0.0.1:{port}"]
        config.accesslog = None
        config.loglevel = "WARNING"
        config.graceful_timeout = graceful
        self.url = f"http://127.0.0.1:{port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            # A shutdown trigger of its own: Hypercorn then installs no signal handlers.
            await serve(asgi_app, config, shutdown_trigger=self._stop.wait)

        self.thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not _listens(port):  # Hypercorn binds after the app's startup; nothing to wait on
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"hypercorn did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        from dash_live.callbacks.streams import live_streams

        deadline = time.monotonic() + 10
        while live_streams.count() and time.monotonic() < deadline:
            self.thread.join(0.05)  # a wait on the streams' end; nothing signals it
        if live_streams.count():
            return  # a daemon thread: it ends with the test process
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and self.thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has closed already
                loop.call_soon_threadsafe(stop.set)
        self.thread.join(10)


def _listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _server_type(app: object) -> str:
    """The backend a Dash app runs on: "flask" (anything else too), "fastapi" or "quart"."""
    backend = getattr(app, "backend", None)
    return str(getattr(backend, "server_type", "flask"))


@pytest.fixture
def serve() -> Iterator[Callable[[object], LiveServer]]:
    """Start a server for a Dash app (or any WSGI app); every server is stopped afterwards.
    A Dash app on the FastAPI backend is served by uvicorn, one on the Quart backend by
    Hypercorn."""
    started: list[LiveServer | AsgiLiveServer | HypercornLiveServer] = []

    def start(app: object) -> LiveServer:
        live: LiveServer | AsgiLiveServer | HypercornLiveServer
        server_type = _server_type(app)
        if server_type == "fastapi":
            live = AsgiLiveServer(getattr(app, "server", app))
        elif server_type == "quart":
            live = HypercornLiveServer(getattr(app, "server", app))
        else:
            live = LiveServer(getattr(app, "server", app))
        started.append(live)
        return cast("LiveServer", live)  # all have url and stop()

    yield start
    for live in started:
        live.stop()


def configure(app: dash.Dash, name: str, value: object) -> None:
    """Set a dash-live setting on any backend: Flask's or Quart's config, or a FastAPI app's
    state."""
    config = getattr(app.server, "config", None)
    if config is not None:
        config[name] = value
    else:
        setattr(app.server.state, name, value)


@pytest.fixture(
    params=[
        "flask",
        pytest.param("fastapi", marks=needs_fastapi),
        pytest.param("quart", marks=needs_quart),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that takes it runs on every Dash backend: Flask (Flask-SocketIO for
    Socket.IO), FastAPI (uvicorn) and Quart (Hypercorn), both with python-socketio's asyncio
    server."""
    name: str = request.param
    return name


def backend_app(backend: str, name: str = __name__, **options: Any) -> dash.Dash:
    """``dash.Dash(name, **options)`` on ``backend`` (the Flask one without the argument,
    which Dash 3 does not take)."""
    if backend != "flask":
        options["backend"] = backend
    return dash.Dash(name, **options)
