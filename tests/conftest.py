"""Fixtures shared by every tier: a fresh dash-live registry per test, and real servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from dash_live import socketio_server


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    # attach_socketio remembers the last server for push_props; no test may see another's.
    socketio_server.reset()
    yield
    socketio_server.reset()


class LiveServer:
    """A WSGI app served on 127.0.0.1 by a threaded Werkzeug server in this process."""

    def __init__(self, wsgi_app: object) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
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
