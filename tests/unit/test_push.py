"""dash_live.push.props: push_props reaches exactly the recipients it names; bad calls raise
first."""

from __future__ import annotations

import time
from typing import Any

import dash
import flask
import flask_socketio
import pytest
from dash import html

from dash_live import (
    InvalidUpdateError,
    LiveSocketIO,
    NotAttachedError,
    PayloadError,
    TargetError,
    append,
    join_room,
    leave_room,
    merge,
    push_props,
)
from dash_live.core.updates import UPDATE_EVENT
from dash_live.push.rooms import ROOMS_EVENT
from tests.typed import attach_flask_socketio

Client = Any  # flask_socketio.test_client.SocketIOTestClient (untyped)


@pytest.fixture
def app() -> dash.Dash:
    app = dash.Dash(__name__)
    app.layout = html.Div()
    app.server.secret_key = "unit-tests"
    return app


@pytest.fixture
def socketio(app: dash.Dash) -> LiveSocketIO:
    socketio = attach_flask_socketio(app)

    @socketio.on("whoami")
    def whoami() -> str:
        sid: str = flask.request.sid  # type: ignore[attr-defined]
        return sid

    @socketio.on("enter")
    def enter(room: str) -> None:
        join_room(room, flask.request.sid)  # type: ignore[attr-defined]

    @socketio.on("exit")
    def exit_(room: str) -> None:
        leave_room(room, flask.request.sid)  # type: ignore[attr-defined]

    @socketio.on("enter-flask-socketio")
    def enter_with_flask_socketio(room: str) -> None:
        flask_socketio.join_room(room)

    return socketio


def connect(
    app: dash.Dash, socketio: LiveSocketIO, user: str | None = None, auth: Any = None
) -> Client:
    flask_client = None
    if user is not None:
        flask_client = app.server.test_client()
        with flask_client.session_transaction() as session:
            session["user_id"] = user
    return socketio.test_client(app.server, flask_test_client=flask_client, auth=auth)


def tab(tab_id: str, *tokens: str) -> dict[str, Any]:
    """The auth a DashSocketIO tab sends: its id, and the room tokens it was given."""
    return {"dash-live:tab": tab_id * 32, "dash-live:rooms": list(tokens)}


def sid_of(client: Client) -> str:
    sid: str = client.emit("whoami", callback=True)
    return sid


def batches(client: Client) -> list[list[list[Any]]]:
    """The update batches a client received since the last call (room tokens aside)."""
    received = [m for m in client.get_received() if m["name"] != ROOMS_EVENT]
    assert all(message["name"] == UPDATE_EVENT for message in received), received
    return [message["args"][0] for message in received]


def room_changes(client: Client) -> list[dict[str, str]]:
    """The room memberships announced to a client since the last call."""
    return [m["args"][0] for m in client.get_received() if m["name"] == ROOMS_EVENT]


# Targets.


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({}, "got none"),
        ({"to": "room", "user": "alice"}, "got to, user"),
        ({"to": "room", "broadcast": True}, "got to, broadcast"),
        ({"user": "alice", "broadcast": True}, "got user, broadcast"),
        ({"to": "r", "user": "u", "broadcast": True}, "got to, user, broadcast"),
    ],
)
def test_exactly_one_target(socketio: LiveSocketIO, kwargs: dict[str, Any], named: str) -> None:
    with pytest.raises(TargetError, match="exactly one of to=") as info:
        push_props("a", {"children": 1}, **kwargs)
    assert f"({named})" in str(info.value)


@pytest.mark.parametrize("bad", ["", 3, None])
def test_bad_socket_id_or_room_is_named(socketio: LiveSocketIO, bad: Any) -> None:
    with pytest.raises(TargetError, match="every entry of to= must be a non-empty str") as info:
        push_props("a", {"children": 1}, to=["ok", bad])
    assert repr(bad) in str(info.value)


def test_empty_string_target_is_refused(socketio: LiveSocketIO) -> None:
    with pytest.raises(TargetError, match=r"to= must be a non-empty str.*got ''"):
        push_props("a", {"children": 1}, to="")


def test_empty_target_list_is_refused(socketio: LiveSocketIO) -> None:
    with pytest.raises(TargetError, match="the list is empty"):
        push_props("a", {"children": 1}, to=[])


@pytest.mark.parametrize("bad", ["", 2.5, ["alice"]])
def test_bad_user_is_named(socketio: LiveSocketIO, bad: Any) -> None:
    with pytest.raises(TargetError, match="user must be a non-empty str or int") as info:
        push_props("a", {"children": 1}, user=bad)
    assert repr(bad) in str(info.value)


# Ids, props and values.


@pytest.mark.parametrize(
    ("component_id", "props", "message"),
    [
        ("", {"children": 1}, "a component id must be a non-empty str or a dict, got ''"),
        ("a.b", {"children": 1}, "'a.b' contains '.'"),
        ("a", {}, "props for 'a' must be a non-empty dict"),
        ("a", None, "props for 'a' must be a non-empty dict .* got None"),
        ("a", {"": 1}, "'' is not a valid prop name"),
        ([("a", {"children": 1}), ("b",)], None, "\\('b',\\) is not one"),
        ([], None, "at least one"),
    ],
)
def test_bad_update_is_named_and_nothing_sent(
    app: dash.Dash, socketio: LiveSocketIO, component_id: Any, props: Any, message: str
) -> None:
    client = connect(app, socketio)
    with pytest.raises(InvalidUpdateError, match=message):
        push_props(component_id, props, broadcast=True)
    assert client.get_received() == []


def test_unencodable_value_raises_naming_its_type(app: dash.Dash, socketio: LiveSocketIO) -> None:
    client = connect(app, socketio)
    with pytest.raises(PayloadError, match="Object of type object is not JSON serializable"):
        push_props("a", {"children": object()}, broadcast=True)
    assert client.get_received() == []


def test_without_a_server_it_says_to_attach_one() -> None:
    with pytest.raises(NotAttachedError, match="attach_socketio"):
        push_props("a", {"children": 1}, broadcast=True)
    with pytest.raises(NotAttachedError):
        join_room("room", "sid")


# Delivery.


def test_push_to_one_socket_reaches_only_it(app: dash.Dash, socketio: LiveSocketIO) -> None:
    first, second = connect(app, socketio), connect(app, socketio)
    push_props("answer", {"children": append("word ")}, to=sid_of(first))
    assert batches(first) == [[["answer", "children", "append", "word "]]]
    assert batches(second) == []


def test_push_to_several_sockets(app: dash.Dash, socketio: LiveSocketIO) -> None:
    a, b, c = connect(app, socketio), connect(app, socketio), connect(app, socketio)
    push_props("n", {"children": 1}, to=[sid_of(a), sid_of(c)])
    assert [len(batches(client)) for client in (a, b, c)] == [1, 0, 1]


def test_broadcast_reaches_everyone(app: dash.Dash, socketio: LiveSocketIO) -> None:
    clients = [connect(app, socketio) for _ in range(3)]
    push_props("banner", {"children": "Deploying"}, broadcast=True)
    for client in clients:
        assert batches(client) == [[["banner", "children", "set", "Deploying"]]]


def test_push_to_a_user_reaches_every_tab_of_that_user(
    app: dash.Dash, socketio: LiveSocketIO
) -> None:
    tab1, tab2 = connect(app, socketio, "alice"), connect(app, socketio, "alice")
    bob, anonymous = connect(app, socketio, "bob"), connect(app, socketio)
    push_props("badge", {"children": 3}, user="alice")
    assert batches(tab1) == batches(tab2) == [[["badge", "children", "set", 3]]]
    assert batches(bob) == batches(anonymous) == []


def test_batch_form_is_one_message_in_order(app: dash.Dash, socketio: LiveSocketIO) -> None:
    client = connect(app, socketio)
    patch = dash.Patch()
    patch.append(5)
    push_props(
        [
            ("grid", {"rowData": [{"a": 1}]}),
            ({"type": "bar", "index": 0}, {"value": 40, "style": merge({"width": "40%"})}),
            ("fig", {"extendData": patch}),
        ],
        to=sid_of(client),
    )
    [batch] = batches(client)
    assert batch == [
        ["grid", "rowData", "set", [{"a": 1}]],
        [{"type": "bar", "index": 0}, "value", "set", 40],
        [{"type": "bar", "index": 0}, "style", "merge", {"width": "40%"}],
        ["fig", "extendData", "patch", patch.to_plotly_json()],
    ]


def test_pushes_arrive_in_order(app: dash.Dash, socketio: LiveSocketIO) -> None:
    client = connect(app, socketio)
    sid = sid_of(client)
    for i in range(100):
        push_props("log", {"children": append([i])}, to=sid)
    assert [batch[0][3] for batch in batches(client)] == [[i] for i in range(100)]


def test_values_are_encoded_as_dash_does(app: dash.Dash, socketio: LiveSocketIO) -> None:
    client = connect(app, socketio)
    push_props("a", {"children": html.Span("x"), "value": float("nan")}, to=sid_of(client))
    [[children, value]] = batches(client)
    assert children[3]["type"] == "Span"
    assert value == ["a", "value", "set", None]


def test_push_to_an_unknown_room_reaches_nobody(app: dash.Dash, socketio: LiveSocketIO) -> None:
    client = connect(app, socketio)
    push_props("a", {"children": 1}, to="nobody-here")
    assert client.get_received() == []


def test_push_through_an_explicit_server(app: dash.Dash) -> None:
    other = dash.Dash("other")
    other.layout = html.Div()
    mine = attach_flask_socketio(app)
    attach_flask_socketio(other)  # becomes current_socketio()
    client = mine.test_client(app.server)
    push_props("a", {"children": 1}, broadcast=True, socketio=mine)
    assert len(client.get_received()) == 1


def test_push_to_another_namespace(app: dash.Dash, socketio: LiveSocketIO) -> None:
    @socketio.on("connect", namespace="/chat")
    def connect_chat() -> None:
        pass

    root = connect(app, socketio)
    chat = socketio.test_client(app.server, namespace="/chat")
    push_props("a", {"children": 1}, broadcast=True, namespace="/chat")
    assert root.get_received() == []
    assert chat.get_received("/chat") == [
        {"name": UPDATE_EVENT, "args": [[["a", "children", "set", 1]]], "namespace": "/chat"}
    ]


# Rooms.


def test_join_and_leave_room_from_a_handler(app: dash.Dash, socketio: LiveSocketIO) -> None:
    member, outsider = connect(app, socketio), connect(app, socketio)
    member.emit("enter", "lobby")
    push_props("chat", {"children": append(["hi"])}, to="lobby")
    assert batches(member) == [[["chat", "children", "append", ["hi"]]]]
    assert batches(outsider) == []
    member.emit("exit", "lobby")
    push_props("chat", {"children": append(["bye"])}, to="lobby")
    assert batches(member) == []


def test_join_room_from_outside_a_handler(app: dash.Dash, socketio: LiveSocketIO) -> None:
    client = connect(app, socketio)
    join_room("lobby", sid_of(client))
    push_props("a", {"children": 1}, to="lobby")
    assert len(batches(client)) == 1
    leave_room("lobby", sid_of(client))
    push_props("a", {"children": 2}, to="lobby")
    assert batches(client) == []


def test_flask_socketio_join_room_works_with_push(app: dash.Dash, socketio: LiveSocketIO) -> None:
    client = connect(app, socketio)
    client.emit("enter-flask-socketio", "lobby")
    push_props("a", {"children": 1}, to="lobby")
    assert len(batches(client)) == 1


def test_a_room_token_rejoins_the_room_on_reconnection(
    app: dash.Dash, socketio: LiveSocketIO
) -> None:
    first = connect(app, socketio, auth=tab("a"))
    join_room("lobby", sid_of(first))
    (joined,) = room_changes(first)
    assert joined["join"] == "lobby"
    # A new connection of the same tab presents its token and is in the room at once.
    again = connect(app, socketio, auth=tab("a", joined["token"]))
    # The reconnection is sent a fresh token for the room it rejoined.
    assert [change["join"] for change in room_changes(again)] == ["lobby"]
    forged = connect(app, socketio, auth=tab("a", "bogus." + "x" * 20))
    push_props("a", {"children": "back"}, to="lobby")
    assert batches(again) == [[["a", "children", "set", "back"]]]
    assert batches(forged) == []
    leave_room("lobby", sid_of(first))
    assert room_changes(first) == [{"leave": "lobby"}]


def test_a_room_token_works_only_for_the_tab_or_user_it_was_issued_to(
    app: dash.Dash, socketio: LiveSocketIO
) -> None:
    # Issue 12, defect 2: a token issued to user X's tab worked for user Y.
    alices = connect(app, socketio, user="alice", auth=tab("a"))
    join_room("lobby", sid_of(alices))
    (token,) = [change["token"] for change in room_changes(alices)]
    other_tab = connect(app, socketio, auth=tab("b", token))
    bob = connect(app, socketio, user="bob", auth=tab("a", token))
    no_tab = connect(app, socketio, auth={"dash-live:rooms": [token]})
    alice_again = connect(app, socketio, user="alice", auth=tab("c", token))  # her other tab
    push_props("a", {"children": "members"}, to="lobby")
    assert batches(other_tab) == batches(bob) == batches(no_tab) == []
    assert batches(alice_again) == [[["a", "children", "set", "members"]]]


def test_leave_room_revokes_the_token_the_tab_kept(app: dash.Dash, socketio: LiveSocketIO) -> None:
    # Issue 12, defect 2: after leave_room, the token the tab held still rejoined the room.
    first = connect(app, socketio, auth=tab("a"))
    join_room("lobby", sid_of(first))
    (token,) = [change["token"] for change in room_changes(first)]
    leave_room("lobby", sid_of(first))
    kept_copy = connect(app, socketio, auth=tab("a", token))
    push_props("a", {"children": "members"}, to="lobby")
    assert batches(kept_copy) == []
    # Joining again issues a token that works again.
    join_room("lobby", sid_of(kept_copy))
    (renewed,) = [change["token"] for change in room_changes(kept_copy) if "token" in change]
    back = connect(app, socketio, auth=tab("a", renewed))
    push_props("a", {"children": "welcome"}, to="lobby")
    assert batches(back) == [[["a", "children", "set", "welcome"]]]


def test_a_room_token_expires(
    app: dash.Dash, socketio: LiveSocketIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = connect(app, socketio, auth=tab("a"))
    join_room("lobby", sid_of(first))
    (token,) = [change["token"] for change in room_changes(first)]
    issued = time.time()
    # A day and a second later (DASH_LIVE_ROOM_TOKEN_MAX_AGE's default).
    monkeypatch.setattr(socketio.room_signer, "clock", lambda: issued + 24 * 3600 + 1)
    late = connect(app, socketio, auth=tab("a", token))
    push_props("a", {"children": "members"}, to="lobby")
    assert batches(late) == []


def test_a_connection_without_a_holder_gets_no_token(
    app: dash.Dash, socketio: LiveSocketIO
) -> None:
    bare = connect(app, socketio)  # neither a verified user nor a tab id
    join_room("lobby", sid_of(bare))
    assert room_changes(bare) == [{"join": "lobby"}]
    push_props("a", {"children": "members"}, to="lobby")
    assert len(batches(bare)) == 1  # a member for as long as the connection lasts


def test_the_token_lifetime_setting_is_checked() -> None:
    app = dash.Dash(__name__)
    app.server.config["DASH_LIVE_ROOM_TOKEN_MAX_AGE"] = "1 day"
    with pytest.raises(ValueError, match="DASH_LIVE_ROOM_TOKEN_MAX_AGE must be a positive"):
        attach_flask_socketio(app)


def test_reserved_rooms_cannot_be_joined(socketio: LiveSocketIO) -> None:
    with pytest.raises(TargetError, match="'dash-live:user:alice' uses the reserved prefix"):
        join_room("dash-live:user:alice", "some-sid")


@pytest.mark.parametrize(("room", "sid"), [("", "sid"), ("room", ""), (None, "sid")])
def test_room_and_sid_must_be_non_empty(socketio: LiveSocketIO, room: Any, sid: Any) -> None:
    with pytest.raises(TargetError, match="must be a non-empty str"):
        join_room(room, sid)
    with pytest.raises(TargetError, match="must be a non-empty str"):
        leave_room(room, sid)
