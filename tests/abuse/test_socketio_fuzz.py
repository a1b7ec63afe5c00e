"""dash-live's Socket.IO events on a real Flask-SocketIO server, fed generated payloads (issue
12: every refusal names the problem; no 5xx; no dead handler). The stream start and cancel
events are fed the same on the FastAPI backend's python-socketio server.

A Dash app with :func:`~dash_live.attach_socketio` and the suite's event callbacks is served on
127.0.0.1 by a threaded Werkzeug server. A python-socketio client sends the stream start and
cancel events any arguments (any number of them, any JSON, binary attachments, requests valid
or broken in one field), and a user's handlers any payload; raw WebSockets connect with any
``auth``, room tokens genuine, forged or junk among it. Every call is answered (an answer that
refuses says what is wrong), the connection stays up, a genuine room token alone restores its
room, and afterwards the same client still makes a normal call.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dash
import pytest
import socketio
import websocket
from hypothesis import given, settings
from hypothesis import strategies as st

from dash_live import LiveSocketIO, attach_socketio
from dash_live.callbacks.streams import cancelled_stream, live_streams
from dash_live.push.rooms import AUTH_KEY, ROOMS_EVENT, TAB_KEY, RoomSigner, tab_of
from dash_live.transports.socketio import CANCEL_EVENT, FRAME_EVENT, START_EVENT
from tests.abuse.strategies import (
    AWKWARD_TEXTS,
    GO,
    WAIT,
    answer,
    assert_names_problem,
    declare_callbacks,
    json_values,
    key_of,
    layout,
    new_stream_id,
    stream_bodies,
    texts,
    valid_bodies,
    wait_until,
)
from tests.conftest import AsgiLiveServer, LiveServer, needs_fastapi
from tests.typed import attach_flask_socketio

EXAMPLES = 100
Args = tuple[Any, ...]


@dataclass(frozen=True)
class Rig:
    url: str
    socketio: LiveSocketIO
    notes: queue.Queue[Any]


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    """The suite's app with Socket.IO and two handlers of its own, served for the module: a
    ``chat`` that acknowledges with what it got, a ``note`` that acknowledges nothing."""
    declare_callbacks()
    app = dash.Dash(__name__)
    app.layout = layout()
    app.server.secret_key = "abuse-suite"
    live_socketio = attach_flask_socketio(app)
    notes: queue.Queue[Any] = queue.Queue()

    @live_socketio.on("chat")
    def chat(data: Any) -> Any:
        return {"echo": data}

    @live_socketio.on("note")
    def note(data: Any) -> None:
        notes.put(data)

    live = LiveServer(app.server)
    try:
        yield Rig(live.url, live_socketio, notes)
    finally:
        live.stop()


@pytest.fixture(scope="module", params=["flask", pytest.param("fastapi", marks=needs_fastapi)])
def streams_url(request: pytest.FixtureRequest, rig: Rig) -> Iterator[str]:
    """Where a page starts streams: the Flask rig, or the same app on the FastAPI backend
    (python-socketio's asyncio server, served by uvicorn) with a ``chat`` handler alike."""
    if request.param == "flask":
        yield rig.url
        return
    declare_callbacks()
    app = dash.Dash(__name__, backend="fastapi")
    app.layout = layout()
    live_socketio = attach_socketio(app)

    @live_socketio.on("chat")
    async def chat(_sid: str, data: Any) -> Any:
        return {"echo": data}

    live = AsgiLiveServer(app.server)
    try:
        yield live.url
    finally:
        live.stop()


class Tab:
    """A python-socketio client over a WebSocket, as a page: it acknowledges every stream frame
    and records how each stream ended, and whether it was ever disconnected."""

    def __init__(self, url: str) -> None:
        self.sio: Any = socketio.Client(reconnection=False)
        self.ends: dict[str, Any] = {}
        self.disconnected = threading.Event()
        self.sio.on(FRAME_EVENT, self.frame)
        self.sio.on("disconnect", self.gone)
        self.sio.connect(url, transports=["websocket"], wait_timeout=WAIT)

    def frame(self, stream: object, kind: object, data: object = None) -> bool:
        if kind == "end" and isinstance(stream, str):
            # The one encoding of an end frame (dash_live/core/frames.py): {"reason": ...}.
            self.ends[stream] = data["reason"] if isinstance(data, dict) else data
        return True  # the acknowledgement that keeps the stream's window open

    def gone(self, *_reason: Any) -> None:
        self.disconnected.set()

    def call(self, event: str, args: Args) -> Any:
        """Send ``args`` as the event's arguments (a tuple: any number of them); the answer."""
        return self.sio.call(event, args, timeout=WAIT)

    def assert_connected(self) -> None:
        assert self.sio.connected, "the server closed the connection"
        assert not self.disconnected.is_set(), "the connection dropped"

    def assert_still_serves(self) -> None:
        """A normal stream runs to its end, and a normal call is answered."""
        body: dict[str, Any] = {
            "callback": key_of(answer),
            "stream": new_stream_id(),
            "inputs": [GO],
            "state": [{"id": "question", "property": "value", "value": "still there?"}],
            "changedPropIds": ["go.n_clicks"],
        }
        assert self.call(START_EVENT, (body,)) == {"ok": True}
        assert wait_until(lambda: body["stream"] in self.ends), "a normal stream never ended"
        assert self.ends[body["stream"]] == "done"
        assert self.call("chat", ("hello",)) == {"echo": "hello"}
        self.assert_connected()


@contextmanager
def connected_tab(url: str) -> Iterator[Tab]:
    tab = Tab(url)
    try:
        yield tab
    finally:
        tab.sio.disconnect()
    # Its streams went with it: nothing stays registered.
    assert wait_until(lambda: live_streams.count() == 0), "streams outlived their socket"


def arguments(single: st.SearchStrategy[Any]) -> st.SearchStrategy[Args]:
    """One argument drawn from ``single`` (as the page sends), or any number of any values."""
    return single.map(lambda value: (value,)) | st.lists(
        json_values(binary=True, max_leaves=4), max_size=3
    ).map(tuple)


def assert_refused(reply: object, sent: Args) -> None:
    """dash-live's refusal on Socket.IO: ``{"error": message, "status": 4xx}``."""
    assert isinstance(reply, dict), f"not an answer: {reply!r:.300}"
    assert set(reply) == {"error", "status"}, reply
    assert isinstance(reply["status"], int), reply
    assert 400 <= reply["status"] < 500, reply
    assert_names_problem(reply["error"], repr(sent))


def test_a_stream_start_is_answered_whatever_it_carries(streams_url: str) -> None:
    declare_callbacks()
    with connected_tab(streams_url) as tab:

        @settings(max_examples=EXAMPLES, deadline=None)
        @given(args=arguments(valid_bodies() | stream_bodies() | json_values(binary=True)))
        def start(args: Args) -> None:
            answered = tab.call(START_EVENT, args)
            if answered == {"ok": True}:
                stream = args[0]["stream"]
                assert wait_until(lambda: stream in tab.ends), "an accepted stream never ended"
                assert tab.ends[stream] == "done"
            else:
                assert_refused(answered, args)
            tab.assert_connected()

        start()
        tab.assert_still_serves()


def test_a_cancel_is_answered_whatever_it_carries(streams_url: str) -> None:
    declare_callbacks()
    with connected_tab(streams_url) as tab:
        cancels = st.fixed_dictionaries({"stream": json_values() | texts()})

        @settings(max_examples=EXAMPLES, deadline=None)
        @given(args=arguments(cancels | stream_bodies() | json_values(binary=True)))
        def cancel(args: Args) -> None:
            answered = tab.call(CANCEL_EVENT, args)
            if len(args) == 1 and cancelled_stream(args[0]) is not None:
                # Taken, whether such a stream runs or not: the answer tells nobody which do.
                assert answered is None
            else:
                assert_refused(answered, args)
            tab.assert_connected()

        cancel()
        tab.assert_still_serves()


def test_a_users_handlers_get_any_payload_intact(rig: Rig) -> None:
    declare_callbacks()
    with connected_tab(rig.url) as tab:

        @settings(max_examples=EXAMPLES, deadline=None)
        @given(data=json_values(finite=True, binary=True))
        def talk(data: Any) -> None:
            assert tab.call("chat", (data,)) == {"echo": data}
            tab.sio.emit("note", (data,))  # no acknowledgement asked: the handler gives none
            assert rig.notes.get(timeout=WAIT) == data
            tab.assert_connected()

        talk()
        tab.assert_still_serves()


# Connecting with any auth: the room tokens a reconnecting tab presents (see rooms.py).

TAB_IDS = st.text(st.characters(codec="ascii", categories=["L", "Nd"]), min_size=16, max_size=64)
# Room names are the app's (join_room), never a client's: text UTF-8 can encode.
ROOMS = st.text(max_size=16) | st.sampled_from([t for t in AWKWARD_TEXTS if t != "\ud800"])
#: Whose token a reconnecting tab presents: its own, another tab's, a user's, one signed with
#: another key, or junk.
TOKEN_KINDS = ("mine", "another tab's", "a user's", "forged")
tokens = st.tuples(st.sampled_from(TOKEN_KINDS), ROOMS) | st.tuples(
    st.just("junk"), json_values(max_leaves=3)
)
with_tokens = st.fixed_dictionaries(
    # A tab id of the right form two times in three.
    {AUTH_KEY: st.lists(tokens, max_size=4), TAB_KEY: st.one_of(TAB_IDS, TAB_IDS, json_values())},
    optional={"user": json_values(max_leaves=2)},
)
# Socket.IO's CONNECT carries an object (or nothing): python-socketio reads the digits of
# anything else as a packet id ("40" "0.0" is packet 0 with data ".0", dropped unanswered).
any_auth = st.none() | st.dictionaries(
    st.sampled_from([AUTH_KEY, TAB_KEY]) | texts(8), json_values()
)
auths = st.one_of(
    st.tuples(st.just("any"), any_auth),
    st.tuples(st.just("tokens"), with_tokens),
    st.tuples(st.just("tokens"), with_tokens),
)
FORGER = RoomSigner("not the app's secret")


def materialized(drawn: tuple[str, Any], signer: RoomSigner) -> tuple[Any, set[str]]:
    """The auth a client sends for what was drawn, and the rooms it should be given back."""
    kind, value = drawn
    if kind == "any":
        return value, set()
    auth = dict(value)
    tab = tab_of(auth)
    mine = f"tab:{tab}"
    holders = {"mine": mine, "another tab's": "tab:someoneelse0000", "a user's": "user:alice"}
    presented, expected = [], set()
    for whose, room in auth[AUTH_KEY]:
        if whose == "junk":
            presented.append(room)
        elif whose == "forged":
            presented.append(FORGER.token(room, mine))
        else:
            presented.append(signer.token(room, holders[whose]))
            if whose == "mine" and tab is not None:
                expected.add(room)
    auth[AUTH_KEY] = presented
    return auth, expected


class RawTab:
    """An Engine.IO WebSocket opened by hand, connecting with a given ``auth``."""

    def __init__(self, url: str, auth: Any) -> None:
        self.ws = websocket.create_connection(
            url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
            timeout=WAIT,
        )
        self.events: list[Any] = []
        opened = self.ws.recv()
        assert isinstance(opened, str), opened
        assert opened.startswith("0{"), opened
        self.ws.send("40" + json.dumps(auth))

    def read_until(self, wanted: str) -> None:
        """Read packets until ``wanted`` arrives, keeping the events seen on the way."""
        for _ in range(1000):
            packet = self.ws.recv()
            assert isinstance(packet, str), packet
            assert not packet.startswith("44"), f"the connection was refused: {packet}"
            if packet == wanted:
                return
            if packet == "2":
                self.ws.send("3")  # Engine.IO's heartbeat
            elif packet.startswith("42"):
                self.events.append(json.loads(packet[2:]))
        raise AssertionError(f"1000 packets without {wanted!r}")

    def probe(self) -> None:
        """The connection is up and its handlers answer."""
        self.ws.send('4299["chat","probe"]')
        self.read_until('4399[{"echo":"probe"}]')

    def close(self) -> None:
        # No wait for Werkzeug's close frame, which may never come: the socket just goes.
        untyped: Any = self.ws  # websocket-client leaves shutdown() unannotated
        try:
            self.ws.send_close()
        finally:
            untyped.shutdown()


def test_a_connection_gets_back_the_rooms_of_its_genuine_tokens_only(rig: Rig) -> None:
    declare_callbacks()
    signer = rig.socketio.room_signer

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(drawn=auths)
    def connect(drawn: tuple[str, Any]) -> None:
        auth, expected = materialized(drawn, signer)
        raw = RawTab(rig.url, auth)
        try:
            raw.probe()  # answered only once connected: whatever auth said, it was let in
            joined = {}
            for event in raw.events:
                assert event[0] == ROOMS_EVENT, event
                joined[event[1]["join"]] = event[1]["token"]
            assert set(joined) == expected
            # The fresh tokens it was given work for this very tab alone.
            for room, token in joined.items():
                assert signer.rooms_in({AUTH_KEY: [token]}, f"tab:{tab_of(auth)}") == [room]
                assert signer.rooms_in({AUTH_KEY: [token]}, "tab:someoneelse0000") == []
        finally:
            raw.close()

    connect()
    with connected_tab(rig.url) as tab:
        tab.assert_still_serves()
