"""The Socket.IO side over real transports: a Dash app served on 127.0.0.1 by a threaded
Werkzeug server (Flask-SocketIO's threading mode, WebSocket through simple-websocket), driven
by python-socketio clients, raw WebSockets (websocket-client) and raw HTTP (requests)."""

from __future__ import annotations

import base64
import collections
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dash
import dash_auth
import flask
import flask_socketio
import pytest
import requests
import websocket
from dash import html
from socketio import Client as SocketIOClient
from socketio.exceptions import ConnectionError as SocketIOConnectionError

from dash_live import (
    InvalidEventNameError,
    LiveSocketIO,
    PayloadTooLargeError,
    append,
    join_room,
    merge,
    push_props,
)
from dash_live.core.updates import UPDATE_EVENT
from dash_live.push.rooms import ROOMS_EVENT
from tests.conftest import LiveServer
from tests.typed import attach_flask_socketio

Serve = Callable[[object], LiveServer]
Batch = list[list[Any]]

TRANSPORTS = ["websocket", "polling"]
#: Seconds any single wait of these tests may take.
WAIT = 10.0


# Helpers: an app, recording clients, fences.


def new_app(**dash_options: Any) -> tuple[dash.Dash, LiveSocketIO]:
    """A Dash app with Socket.IO, a ``chat`` handler that acknowledges what it receives, a
    ``join`` handler, and ``/login/<name>`` that puts ``name`` in ``session["user_id"]``."""
    app = dash.Dash(__name__, **dash_options)
    app.layout = html.Div()
    app.server.secret_key = "integration-tests"
    prefix = app.config.routes_pathname_prefix

    @app.server.route(prefix + "login/<name>")
    def login(name: str) -> str:
        flask.session["user_id"] = name
        return "logged in"

    socketio = attach_flask_socketio(app)

    @socketio.on("chat")
    def chat(data: Any) -> Any:
        return {"echo": data}

    @socketio.on("join")
    def join(room: str) -> str:
        flask_socketio.join_room(room)
        return room

    return app, socketio


class Client:
    """A python-socketio client that records the updates and events it receives."""

    def __init__(self) -> None:
        self.sio: Any = SocketIOClient(reconnection=False)
        self.updates: queue.Queue[Batch] = queue.Queue()
        self.events: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self.sio.on(UPDATE_EVENT, self.updates.put)
        self.sio.on("*", lambda event, *args: self.events.put((event, args)))
        self.sid = ""

    def connect(
        self,
        url: str,
        transport: str,
        path: str = "socket.io",
        headers: dict[str, str] | None = None,
    ) -> Client:
        self.sio.connect(
            url,
            transports=[transport],
            socketio_path=path,
            headers=headers or {},
            wait_timeout=WAIT,
        )
        assert self.sio.transport() == transport
        self.sid = str(self.sio.get_sid())
        return self

    def next_update(self) -> Batch:
        return self.updates.get(timeout=WAIT)

    def received(self, count: int) -> list[Batch]:
        """The next ``count`` batches, in the order the client's threads handed them over
        (which may not be the order they were sent: see :class:`Ordered`)."""
        return [self.next_update() for _ in range(count)]

    def call(self, event: str, data: Any) -> Any:
        return self.sio.call(event, data, timeout=WAIT)

    def close(self) -> None:
        disconnect(self.sio)


def disconnect(client: Any) -> None:
    """Disconnect a python-socketio client, working around a race of its Engine.IO client.

    python-engineio's long-polling writer leaves its loop once the client is no longer
    "connected" after its current POST returns, dropping what is still queued; disconnect()
    queues the CLOSE packet and leaves that state at once. A CLOSE queued while an earlier
    POST is in flight is therefore never sent, and disconnect() waits for the server's next
    ping (25 s). Letting the queue drain first, then closing at the Engine.IO level (one
    packet, no Socket.IO DISCONNECT queued ahead of it), sends the CLOSE.
    """
    if client.connected:
        client.eio.queue.join()
        client.eio.disconnect()


class Ordered:
    """A minimal Socket.IO client that reads its transport in one thread, so the messages come
    out in the order the server sent them.

    python-socketio's client hands every message to a new thread (python-engineio's
    ``_trigger_event(..., run_async=True)``), so two messages that arrive together can reach
    the handlers swapped (seen here: tick 5 before tick 4). Order, and "nothing arrived before
    the fence", can only be checked below that.
    """

    def __init__(
        self,
        url: str,
        transport: str,
        path: str = "socket.io",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.transport = transport
        self.endpoint = f"{url}/{path}/?EIO=4&transport={transport}"
        self.packets: collections.deque[str] = collections.deque()  # read, not yet handled
        self.events: collections.deque[tuple[str, list[Any]]] = collections.deque()
        self.acks: dict[int, list[Any]] = {}
        self.last_ack = 0
        self.ws: websocket.WebSocket | None = None
        self.http = requests.Session()
        self.http.headers.update(headers or {})
        if transport == "websocket":
            self.ws = websocket.create_connection(
                self.endpoint.replace("http://", "ws://"), timeout=WAIT, header=headers or {}
            )
        opened = self._next_packet()
        assert opened.startswith("0{"), opened
        self.endpoint += "&sid=" + json.loads(opened[1:])["sid"]
        self._send("40")
        connected = self._next_packet()
        assert connected.startswith("40{"), connected
        self.sid: str = json.loads(connected[2:])["sid"]

    def _next_packet(self) -> str:
        if not self.packets:
            if self.ws is not None:
                frame = self.ws.recv()
                assert isinstance(frame, str), frame
                self.packets.append(frame)
            else:
                with self.http.get(self.endpoint, timeout=WAIT) as answer:
                    assert answer.status_code == 200, answer.text
                    self.packets.extend(answer.text.split("\x1e"))  # EIO 4 record separator
        return self.packets.popleft()

    def _send(self, packet: str) -> None:
        if self.ws is not None:
            self.ws.send(packet)
        else:
            with self.http.post(self.endpoint, data=packet.encode(), timeout=WAIT) as answer:
                assert answer.status_code == 200, answer.text

    def _handle_one(self) -> None:
        packet = self._next_packet()
        if packet == "2":  # Engine.IO ping
            self._send("3")
        elif packet.startswith("42"):
            name, *args = json.loads(packet[2:].lstrip("0123456789"))
            self.events.append((name, args))
        elif packet.startswith("43"):
            body = packet[2:]
            data = body.lstrip("0123456789")
            self.acks[int(body[: len(body) - len(data)])] = json.loads(data)
        elif packet in ("1", "41"):
            raise AssertionError(f"the server closed the {self.transport} connection")

    def next_event(self) -> tuple[str, list[Any]]:
        for _ in range(10_000):
            if self.events:
                return self.events.popleft()
            self._handle_one()
        raise AssertionError("10,000 packets without an event")

    def next_update(self) -> Batch:
        name, args = self.next_event()
        assert name == UPDATE_EVENT, (name, args)
        batch: Batch = args[0]
        return batch

    def before_fence(self, fence: str) -> list[tuple[str, list[Any]]]:
        """Every event received before the fence pushed by :func:`push_fence`. Socket.IO
        keeps the order of the messages to one connection, so an event that did not arrive
        before the fence was never sent to this connection."""
        received: list[tuple[str, list[Any]]] = []
        for _ in range(1000):
            event = self.next_event()
            if event == (UPDATE_EVENT, [[["fence", "children", "set", fence]]]):
                return received
            received.append(event)
        raise AssertionError(f"no fence {fence!r} in 1000 events: {received[-3:]!r}")

    def call(self, event: str, data: Any) -> Any:
        self.last_ack += 1
        ident = self.last_ack
        self._send(f"42{ident}" + json.dumps([event, data]))
        for _ in range(10_000):
            if ident in self.acks:
                return self.acks.pop(ident)[0]
            self._handle_one()
        raise AssertionError(f"no answer to {event!r}")

    def close(self) -> None:
        try:
            if self.ws is not None:
                close_websocket(self.ws)
            else:
                self.http.post(self.endpoint, data=b"1", timeout=WAIT).close()
        finally:
            self.http.close()


def push_fence(fence: str, socketio: LiveSocketIO) -> None:
    push_props("fence", {"children": fence}, broadcast=True, socketio=socketio)


class Connections:
    """Opens python-socketio clients and ordered receivers; closes them all at the end."""

    def __init__(self) -> None:
        self.opened: list[Client | Ordered] = []

    def client(
        self,
        url: str,
        transport: str,
        path: str = "socket.io",
        headers: dict[str, str] | None = None,
    ) -> Client:
        client = Client()
        self.opened.append(client)
        return client.connect(url, transport, path, headers)

    def ordered(self, url: str, transport: str, headers: dict[str, str] | None = None) -> Ordered:
        receiver = Ordered(url, transport, headers=headers)
        self.opened.append(receiver)
        return receiver

    def close_all(self) -> None:
        # websocket-client waits up to 3 s for a close frame, which Werkzeug does not always
        # send: closing in parallel bounds the teardown to one such wait.
        with ThreadPoolExecutor(max_workers=max(1, len(self.opened))) as pool:
            list(pool.map(lambda connection: connection.close(), self.opened))


@pytest.fixture
def connections(serve: Serve) -> Iterator[Connections]:
    """Connections to servers started by ``serve``, closed before the servers stop."""
    opened = Connections()
    yield opened
    opened.close_all()


def login_cookie(url: str, name: str, prefix: str = "/") -> dict[str, str]:
    """The ``Cookie`` header of a browser that logged in as ``name``."""
    with requests.Session() as session:
        answer = session.get(f"{url}{prefix}login/{name}", timeout=WAIT)
        assert answer.status_code == 200, answer.text
        cookies = session.cookies.get_dict()
    assert "session" in cookies
    return {"Cookie": "; ".join(f"{key}={value}" for key, value in cookies.items())}


def basic_auth(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


# Pushing props: one socket, a room, everyone, a user.


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_push_to_a_socket_arrives_as_one_update_event(
    serve: Serve, connections: Connections, transport: str
) -> None:
    app, _ = new_app()
    server = serve(app)
    client = connections.client(server.url, transport)

    push_props("answer", {"children": "hello", "style": merge({"color": "red"})}, to=client.sid)
    push_props("answer", {"children": append([html.B("bold", id="b"), 2])}, to=client.sid)
    push_props(
        [("grid", {"rowData": [{"a": float("nan")}]}), ("bar", {"value": 40})], to=client.sid
    )

    bold = {
        "props": {"children": "bold", "id": "b"},
        "type": "B",
        "namespace": "dash_html_components",
    }
    expected = [
        [["answer", "children", "set", "hello"], ["answer", "style", "merge", {"color": "red"}]],
        [["answer", "children", "append", [bold, 2]]],
        [["grid", "rowData", "set", [{"a": None}]], ["bar", "value", "set", 40]],
    ]
    # python-socketio's client may swap messages (see Ordered): compare them as a set.
    assert sorted(client.received(3), key=json.dumps) == sorted(expected, key=json.dumps)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_pushes_to_a_socket_arrive_in_order_and_nowhere_else(
    serve: Serve, connections: Connections, transport: str
) -> None:
    app, socketio = new_app()
    server = serve(app)
    target = connections.ordered(server.url, transport)
    other = connections.ordered(server.url, transport)

    for i in range(200):
        push_props("log", {"children": append(f"{i},")}, to=target.sid)
    push_fence("f1", socketio)

    expected = [(UPDATE_EVENT, [[["log", "children", "append", f"{i},"]]]) for i in range(200)]
    assert target.before_fence("f1") == expected
    assert other.before_fence("f1") == [], "a push to one socket reached another"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_push_to_a_room_reaches_only_its_members(
    serve: Serve, connections: Connections, transport: str
) -> None:
    app, socketio = new_app()
    server = serve(app)
    joined_by_server = connections.ordered(server.url, transport)
    joined_by_handler = connections.ordered(server.url, transport)
    outsider = connections.ordered(server.url, transport)

    join_room("lobby", joined_by_server.sid)
    assert joined_by_handler.call("join", "lobby") == "lobby"
    push_props("chat-log", {"children": append(["hi lobby"])}, to="lobby")
    push_fence("f1", socketio)

    update = (UPDATE_EVENT, [[["chat-log", "children", "append", ["hi lobby"]]]])
    # dash_live.join_room tells the tab; this raw connection sends no tab id and has no user,
    # so it gets no token to rejoin with (see rooms.py): its membership ends with it.
    [(event, [membership]), received] = joined_by_server.before_fence("f1")
    assert (event, membership) == (ROOMS_EVENT, {"join": "lobby"})
    assert received == update
    assert joined_by_handler.before_fence("f1") == [update]
    assert outsider.before_fence("f1") == []


def test_broadcast_reaches_every_connection(serve: Serve, connections: Connections) -> None:
    app, _ = new_app()
    server = serve(app)
    everyone = [connections.client(server.url, t) for t in TRANSPORTS * 2]

    push_props("banner", {"children": "Deploying"}, broadcast=True)

    for client in everyone:
        assert client.next_update() == [["banner", "children", "set", "Deploying"]]


def test_push_to_a_user_reaches_every_connection_of_that_user(
    serve: Serve, connections: Connections
) -> None:
    app, socketio = new_app()
    server = serve(app)
    alice = login_cookie(server.url, "alice")
    alice_tabs = [connections.ordered(server.url, t, headers=alice) for t in TRANSPORTS]
    # A second browser of alice's: another session cookie, the same user.
    alice_tabs.append(
        connections.ordered(server.url, "websocket", headers=login_cookie(server.url, "alice"))
    )
    bob = connections.ordered(server.url, "websocket", headers=login_cookie(server.url, "bob"))
    # Issue 12, defect 1: a basic-auth header that nothing checked names nobody.
    claims_carol = [
        connections.ordered(server.url, t, headers=basic_auth("carol", "pw")) for t in TRANSPORTS
    ]
    anonymous = connections.ordered(server.url, "polling")
    # The same user through python-socketio's client, as an app's Python client would connect.
    alice_client = connections.client(server.url, "websocket", headers=alice)

    push_props("badge", {"children": 3}, user="alice")
    push_props("badge", {"children": 4}, user="carol")
    push_fence("f1", socketio)

    for tab in alice_tabs:
        assert tab.before_fence("f1") == [(UPDATE_EVENT, [[["badge", "children", "set", 3]]])]
    for tab in claims_carol:
        assert tab.before_fence("f1") == []
    assert bob.before_fence("f1") == []
    assert anonymous.before_fence("f1") == []
    assert [["badge", "children", "set", 3]] in alice_client.received(2)


def refusal(url: str, transport: str, headers: dict[str, str]) -> str:
    """Connect to the default namespace and return the server's answer, which must be a
    refusal (a ``44`` packet); every connection opened is closed."""
    endpoint = f"{url}/socket.io/?EIO=4&transport={transport}"
    if transport == "websocket":
        ws = websocket.create_connection(
            endpoint.replace("http://", "ws://"), timeout=WAIT, header=headers
        )
        try:
            opened = ws.recv()
            assert isinstance(opened, str), opened
            assert opened.startswith("0{"), opened
            ws.send("40")
            answer = ws.recv()
        finally:
            close_websocket(ws)
    else:
        with requests.Session() as http:
            http.headers.update(headers)
            with http.get(endpoint, timeout=WAIT) as handshake:
                endpoint += "&sid=" + json.loads(handshake.text[1:])["sid"]
            with http.post(endpoint, data="40", timeout=WAIT) as sent:
                assert sent.status_code == 200, sent.text
            with http.get(endpoint, timeout=WAIT) as answered:
                answer = answered.text
    assert isinstance(answer, str), answer
    assert answer.startswith("44{"), answer
    return answer


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_with_dash_auth_a_socket_connects_and_gets_pushes_only_as_a_page_would(
    serve: Serve, connections: Connections, transport: str
) -> None:
    app, socketio = new_app()
    dash_auth.BasicAuth(app, {"bob": "right", "eve": "hers"})
    server = serve(app)
    refused = basic_auth("bob", "wrong")
    assert requests.get(server.url, headers=refused, timeout=WAIT).status_code == 401
    # A browser sends its credentials with every request of the page, the handshake included.
    bob = connections.ordered(server.url, transport, headers=basic_auth("bob", "right"))
    eve = connections.ordered(server.url, transport, headers=basic_auth("eve", "hers"))
    # Refused as the page is: a wrong password, eve's session claiming bob, no credentials.
    eve_session = requests.get(server.url, auth=("eve", "hers"), timeout=WAIT).cookies
    for headers in (refused, {"Cookie": f"session={eve_session['session']}", **refused}, {}):
        assert "before_request hooks refused this connection (HTTP 401)" in refusal(
            server.url, transport, headers
        )

    push_props("badge", {"children": "for bob"}, user="bob")
    push_fence("f1", socketio)

    assert bob.before_fence("f1") == [(UPDATE_EVENT, [[["badge", "children", "set", "for bob"]]])]
    assert eve.before_fence("f1") == []


# Events: client -> server, server -> client, and names that cannot be sent.


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_client_events_reach_the_handler(
    serve: Serve, connections: Connections, transport: str
) -> None:
    app, socketio = new_app()
    received: queue.Queue[tuple[str, Any]] = queue.Queue()

    @socketio.on("note")
    def note(data: Any) -> None:
        sid: str = flask.request.sid  # type: ignore[attr-defined]
        received.put((sid, data))

    server = serve(app)
    client = connections.client(server.url, transport)
    message = {"text": "héllo", "items": [1, 2.5, None, True], "nested": {"k": "v"}}

    client.sio.emit("note", message)
    assert received.get(timeout=WAIT) == (client.sid, message)
    assert client.call("chat", message) == {"echo": message}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_server_events_arrive_encoded_as_dash_encodes(
    serve: Serve, connections: Connections, transport: str
) -> None:
    app, socketio = new_app()
    server = serve(app)
    client = connections.client(server.url, transport)

    socketio.emit("notification", {"b": html.B("hi"), "v": [float("nan"), 1]}, to=client.sid)

    event, args = client.events.get(timeout=WAIT)
    assert event == "notification"
    assert args == (
        {
            "b": {"props": {"children": "hi"}, "type": "B", "namespace": "dash_html_components"},
            "v": [None, 1],
        },
    )


def test_invalid_names_and_oversize_pushes_are_refused_before_anything_is_sent(
    serve: Serve, connections: Connections
) -> None:
    app, _ = new_app()
    socketio = attach_flask_socketio(app, max_payload_bytes=1000)
    server = serve(app)
    client = connections.ordered(server.url, "websocket")

    for name in ["chat.message", "with space", "dash-live:update", "connect", ""]:
        with pytest.raises(InvalidEventNameError, match=repr(name)):
            socketio.emit(name, "x", to=client.sid)
    with pytest.raises(PayloadTooLargeError, match="over the limit of 1000"):
        push_props("big", {"children": "x" * 2000}, to=client.sid, socketio=socketio)
    push_fence("f1", socketio)

    assert client.before_fence("f1") == []


def test_handlers_for_reserved_names_are_refused_at_registration(
    serve: Serve, connections: Connections
) -> None:
    app, socketio = new_app()
    server = serve(app)
    receiver = connections.ordered(server.url, "websocket")

    def hijack(_body: Any) -> str:
        return "hijacked"

    with pytest.raises(InvalidEventNameError, match="reserved"):
        socketio.on("dash-live:stream")(hijack)
    # The package's own handler still answers (here: refusing an empty stream request).
    assert receiver.call("dash-live:stream", {}) != "hijacked"


# Malformed input.


def close_websocket(ws: websocket.WebSocket) -> None:
    # close() does nothing once the connection failed; shutdown() closes the socket anyway.
    ws.close(timeout=0.5)
    untyped: Any = ws  # websocket-client leaves shutdown() unannotated
    untyped.shutdown()


class RawSocket:
    """An Engine.IO WebSocket opened by hand and connected to the default namespace."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(
            url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
            timeout=WAIT,
        )
        opened = self.ws.recv()
        assert isinstance(opened, str), opened
        assert opened.startswith("0{"), opened
        self.ws.send("40")
        connected = self.ws.recv()
        assert isinstance(connected, str), connected
        assert connected.startswith("40{"), connected

    def probe(self) -> str:
        """``alive`` if the server still answers an acknowledged event on this connection,
        ``closed`` if it closed the connection; raises if it does neither within WAIT."""
        deadline = time.monotonic() + WAIT
        try:
            self.ws.send('4299["chat","probe"]')
            for _ in range(100):
                assert time.monotonic() < deadline, "the server neither answered nor closed"
                opcode, data = self.ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE or not data:
                    return "closed"
                if data == b'4399[{"echo":"probe"}]':
                    return "alive"
                if data == b"2":
                    self.ws.send("3")  # Engine.IO's heartbeat
        except (websocket.WebSocketException, ConnectionError):
            return "closed"
        raise AssertionError("100 frames without an answer to the probe")

    def close(self) -> None:
        close_websocket(self.ws)


GARBAGE: list[tuple[str, str | bytes, int]] = [
    ("not Engine.IO", "hello, is this the right port?", websocket.ABNF.OPCODE_TEXT),
    ("invalid JSON", '42["chat", {oops', websocket.ABNF.OPCODE_TEXT),
    ("event not a list", '42{"event":"chat"}', websocket.ABNF.OPCODE_TEXT),
    ("empty event", "42[]", websocket.ABNF.OPCODE_TEXT),
    ("numeric event name", '42[5,"x"]', websocket.ABNF.OPCODE_TEXT),
    ("reserved event name", '42["connect"]', websocket.ABNF.OPCODE_TEXT),
    ("unknown packet type", "9xyz", websocket.ABNF.OPCODE_TEXT),
    ("empty frame", "", websocket.ABNF.OPCODE_TEXT),
    ("binary frame", b"\x00\xff\x10garbage", websocket.ABNF.OPCODE_BINARY),
    ("invalid UTF-8", b"\xff\xfe\xfd", websocket.ABNF.OPCODE_TEXT),
    ("unknown namespace", '42/nowhere,["chat","x"]', websocket.ABNF.OPCODE_TEXT),
    ("connect to unknown namespace", "40/nowhere,", websocket.ABNF.OPCODE_TEXT),
    # Over Engine.IO's max_http_buffer_size (1,000,000 bytes by default).
    ("enormous packet", "42" + json.dumps(["chat", "x" * 2_000_000]), websocket.ABNF.OPCODE_TEXT),
]


class Ticker:
    """Pushes 0, 1, 2, ... to some sockets from a thread, at a steady pace, until stopped."""

    def __init__(self, socketio: LiveSocketIO, sids: list[str]) -> None:
        self.stop = threading.Event()
        self.sent = 0
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self.run, args=(socketio, sids), daemon=True)
        self.thread.start()

    def run(self, socketio: LiveSocketIO, sids: list[str]) -> None:
        try:
            for i in range(10_000):
                push_props("ticker", {"children": i}, to=sids, socketio=socketio)
                self.sent = i + 1
                if self.stop.wait(0.005):  # the pace of the stream, and the way to end it
                    return
        except BaseException as error:
            self.errors.append(error)

    def finish(self, at_least: int = 10) -> int:
        """Stop once at least ``at_least`` ticks went out (the garbage may be dealt with faster
        than that: how fast is not what is tested), and return how many did."""
        deadline = time.monotonic() + WAIT
        while self.sent < at_least and self.thread.is_alive() and time.monotonic() < deadline:
            self.stop.wait(0.005)  # polling the count: stop is not set yet, so this only pauses
        self.stop.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive()
        assert self.errors == []
        return self.sent


class Healthy:
    """Connections that receive the ticker while garbage arrives: two ordered receivers
    (WebSocket, long-polling) and a python-socketio client."""

    def __init__(self, url: str, connections: Connections) -> None:
        self.ordered = [connections.ordered(url, t) for t in TRANSPORTS]
        self.client = connections.client(url, "websocket")
        self.sids = [receiver.sid for receiver in self.ordered] + [self.client.sid]

    def check(self, sent: int) -> None:
        """Each received every tick, once; the ordered ones in order."""
        for receiver in self.ordered:
            batches = [receiver.next_update() for _ in range(sent)]
            assert batches == [[["ticker", "children", "set", i]] for i in range(sent)]
            assert receiver.call("chat", "still here") == {"echo": "still here"}
        values = [batch[0][3] for batch in self.client.received(sent)]
        assert sorted(values) == list(range(sent))
        assert self.client.call("chat", "still here") == {"echo": "still here"}


def test_malformed_websocket_input_disturbs_nobody(serve: Serve, connections: Connections) -> None:
    app, socketio = new_app()
    server = serve(app)
    healthy = Healthy(server.url, connections)
    ticker = Ticker(socketio, healthy.sids)

    outcomes = {}
    for name, garbage, opcode in GARBAGE:
        raw = RawSocket(server.url)
        try:
            raw.ws.send(garbage, opcode=opcode)
            outcomes[name] = raw.probe()
        finally:
            raw.close()
    sent = ticker.finish()

    # Every piece of garbage was dealt with: the connection either survived it or was closed.
    assert set(outcomes.values()) <= {"alive", "closed"}
    assert outcomes["enormous packet"] == "closed"
    assert outcomes["invalid JSON"] == "alive", "one bad packet should not cost the connection"
    assert sent >= 10, f"only {sent} ticks went out"
    healthy.check(sent)
    newcomer = connections.client(server.url, "websocket")
    assert newcomer.call("chat", "new") == {"echo": "new"}


def test_malformed_polling_requests_disturb_nobody(serve: Serve, connections: Connections) -> None:
    app, socketio = new_app()
    server = serve(app)
    healthy = Healthy(server.url, connections)
    ticker = Ticker(socketio, healthy.sids)
    endpoint = server.url + "/socket.io/?EIO=4&transport=polling"

    with requests.Session() as http:
        opened = http.get(endpoint, timeout=WAIT)
        assert opened.status_code == 200, opened.text
        assert opened.text.startswith("0{"), opened.text
        session = endpoint + "&sid=" + json.loads(opened.text[1:])["sid"]
        assert http.post(session, data="40", timeout=WAIT).status_code == 200
        assert http.get(session, timeout=WAIT).text.startswith("40{")

        statuses = {
            "no session": http.post(endpoint, data="40", timeout=WAIT).status_code,
            "unknown session": http.post(
                endpoint + "&sid=nobody", data="40", timeout=WAIT
            ).status_code,
        }
        for label, body in [
            ("not Engine.IO", b"hello, is this the right port?"),
            ("invalid JSON", b'42["chat", {oops'),
            ("event not a list", b'42{"event":"chat"}'),
            ("invalid UTF-8", b"\xff\xfe\xfd"),
            ("unknown namespace", b'42/nowhere,["chat","x"]'),
            ("records separator only", b"\x1e\x1e"),
        ]:
            statuses[label] = http.post(session, data=body, timeout=WAIT).status_code
        # The session survives the garbage: an acknowledged event still gets its answer.
        assert http.post(session, data='4299["chat","probe"]', timeout=WAIT).status_code == 200
        answer = ""
        for _ in range(20):
            answer += http.get(session, timeout=WAIT + 30).text
            if '4399[{"echo":"probe"}]' in answer:
                break
        assert '4399[{"echo":"probe"}]' in answer
    sent = ticker.finish()

    assert statuses["no session"] == statuses["unknown session"] == 400
    assert all(status in (200, 400) for status in statuses.values()), statuses
    healthy.check(sent)
    newcomer = connections.client(server.url, "polling")
    assert newcomer.call("chat", "new") == {"echo": "new"}


# Paths and origins.


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_socketio_path_follows_the_pathname_prefix(
    serve: Serve, connections: Connections, transport: str
) -> None:
    app, _ = new_app(routes_pathname_prefix="/app/", requests_pathname_prefix="/app/")
    server = serve(app)
    client = connections.client(
        server.url,
        transport,
        path="app/socket.io",
        headers=login_cookie(server.url, "ann", "/app/"),
    )
    push_props("answer", {"children": "under /app/"}, to=client.sid)
    push_props("badge", {"children": 1}, user="ann")

    assert client.next_update() == [["answer", "children", "set", "under /app/"]]
    assert client.next_update() == [["badge", "children", "set", 1]]
    with requests.get(
        server.url + "/socket.io/?EIO=4&transport=polling", timeout=WAIT
    ) as unprefixed:
        assert unprefixed.status_code == 404
    with pytest.raises(SocketIOConnectionError):
        connections.client(server.url, transport)


def handshake(url: str, transport: str, origin: str) -> int:
    """The status of an Engine.IO handshake sent with ``Origin: origin``."""
    if transport == "polling":
        with requests.get(
            url + "/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}, timeout=WAIT
        ) as answer:
            return answer.status_code
    try:
        ws = websocket.create_connection(
            url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
            origin=origin,
            timeout=WAIT,
        )
    except websocket.WebSocketBadStatusException as refused:
        return int(refused.status_code)
    try:
        opened = ws.recv()
        assert isinstance(opened, str), opened
        assert opened.startswith("0{"), opened
        return 101
    finally:
        close_websocket(ws)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_only_the_same_origin_is_accepted_by_default(serve: Serve, transport: str) -> None:
    app, _ = new_app()
    server = serve(app)
    accepted = 101 if transport == "websocket" else 200

    assert handshake(server.url, transport, server.url) == accepted
    for foreign in ["http://evil.example", "null", server.url.replace("127.0.0.1", "localhost")]:
        assert handshake(server.url, transport, foreign) == 400, foreign


def test_allowed_origins_can_be_widened(serve: Serve) -> None:
    app = dash.Dash(__name__)
    app.layout = html.Div()
    attach_flask_socketio(app, cors_allowed_origins=["http://trusted.example"])
    server = serve(app)

    for transport, accepted in [("websocket", 101), ("polling", 200)]:
        assert handshake(server.url, transport, "http://trusted.example") == accepted
        assert handshake(server.url, transport, "http://evil.example") == 400
