"""A push that does not reach every process says so, and says whether this process's own clients
got it (issue 12, defect 8: every push from a server during a Redis outage raised "not sent"
although its own clients had it, so a retry duplicated it; and an external publisher's pushes
right after a Redis restart were reported sent and lost until the servers subscribed again).

Against a real redis-server; the "server process" is this one, with a real Socket.IO client."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from typing import Any

import dash
import pytest
import socketio
from dash import html

from dash_live import MessageQueueError, attach_socketio, connect_message_queue, push_props
from tests.conftest import LiveServer, needs_fastapi
from tests.scaleout.redis_server import RedisServer
from tests.scaleout.test_scaleout import WAIT, wait_for_subscribers


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.cleanup()


@pytest.mark.parametrize("backend", ["flask", pytest.param("fastapi", marks=needs_fastapi)])
def test_a_server_push_during_an_outage_says_its_own_clients_got_it(
    redis_server: RedisServer, serve: Callable[[object], LiveServer], backend: str
) -> None:
    # On FastAPI the push is called from this thread, not the server's loop: it waits for the
    # publish and raises here, as on Flask.
    app = dash.Dash(__name__) if backend == "flask" else dash.Dash(__name__, backend=backend)
    app.layout = html.Div()
    attach_socketio(app, redis_url=redis_server.url)
    server = serve(app)
    received: queue.Queue[list[Any]] = queue.Queue()
    tab = socketio.Client(reconnection=False)
    tab.on("dash-live:update", received.put)
    tab.connect(server.url, transports=["websocket"], wait_timeout=WAIT)
    try:
        wait_for_subscribers(redis_server.url, 1)  # this process listens
        push_props("news", {"children": "before"}, broadcast=True)
        assert received.get(timeout=WAIT) == [["news", "children", "set", "before"]]
        redis_server.stop()
        with pytest.raises(MessageQueueError) as failed:
            push_props("news", {"children": "during"}, broadcast=True)
        assert failed.value.delivered_locally is True
        assert "reached the clients connected to this process" in str(failed.value)
        assert "do not retry it here" in str(failed.value)
        assert received.get(timeout=WAIT) == [["news", "children", "set", "during"]]
    finally:
        tab.disconnect()


def test_an_external_push_nobody_listens_to_is_not_reported_as_sent(
    redis_server: RedisServer,
) -> None:
    # As right after a Redis restart, before the servers subscribe again: Redis takes the
    # message and hands it to no one.
    emitter = connect_message_queue(redis_server.url)
    with pytest.raises(MessageQueueError) as failed:
        push_props("news", {"children": "lost?"}, broadcast=True, socketio=emitter)
    assert failed.value.delivered_locally is False
    message = str(failed.value)
    assert "no process is subscribed to the Redis message queue" in message
    assert redis_server.url in message
    assert "Nobody received it." in message


def test_an_external_push_to_a_stopped_redis_reached_nobody(redis_server: RedisServer) -> None:
    emitter = connect_message_queue(redis_server.url)
    redis_server.stop()
    with pytest.raises(MessageQueueError) as failed:
        push_props("news", {"children": "lost"}, broadcast=True, socketio=emitter)
    assert failed.value.delivered_locally is False
    assert "could not publish to the Redis message queue" in str(failed.value)
    assert "Nobody received it." in str(failed.value)
