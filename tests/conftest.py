"""Fixtures shared by every tier: a fresh dash-live registry per test, and real servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

import dash
import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from dash_live import event_callbacks, socketio_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def _reset_registries() -> None:
    socketio_server.reset()
    event_callbacks.reset()
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


@pytest.fixture
def serve() -> Iterator[Callable[[object], LiveServer]]:
    """Start a server for a Dash app (or any WSGI app); every server is stopped afterwards."""
    started: list[LiveServer] = []

    def start(app: object) -> LiveServer:
        live = LiveServer(getattr(app, "server", app))
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()
