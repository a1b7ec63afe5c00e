"""nodelay: TCP_NODELAY on the connections that carry pushes, on real sockets."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from dash_live.transports.nodelay import NoDelayMiddleware, set_nodelay


@pytest.fixture
def connected() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname())
        server_side, _ = listener.accept()
        with client, server_side:
            yield server_side


def nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.mark.parametrize("key", ["werkzeug.socket", "gunicorn.socket"])
def test_the_servers_socket_gets_nodelay(connected: socket.socket, key: str) -> None:
    assert nodelay(connected) == 0
    assert set_nodelay({key: connected}) is True
    assert nodelay(connected) != 0


def test_a_server_that_hides_its_socket_is_left_alone() -> None:
    assert set_nodelay({"wsgi.input": object()}) is False


def test_the_middleware_touches_websocket_upgrades_only(connected: socket.socket) -> None:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        return [b"ok"]

    middleware = NoDelayMiddleware(app)
    assert middleware({"werkzeug.socket": connected}, None) == [b"ok"]
    assert nodelay(connected) == 0
    upgrade = {"werkzeug.socket": connected, "HTTP_UPGRADE": "WebSocket"}
    assert middleware(upgrade, None) == [b"ok"]
    assert nodelay(connected) != 0
    assert len(seen) == 2
