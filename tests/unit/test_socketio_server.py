"""dash_live.push.server: attach_socketio, LiveSocketIO's call-site checks and user rooms,
driven by Flask-SocketIO's in-process test client."""

from __future__ import annotations

import base64
import subprocess
import sys
from typing import Any

import dash
import dash_auth
import flask
import flask_socketio
import pytest
from dash import html

from dash_live import (
    InvalidEventNameError,
    LiveSocketIO,
    NotAttachedError,
    PayloadError,
    PayloadTooLargeError,
    attach_socketio,
    push_props,
    session_user,
    user_room,
)
from dash_live.core.serialize import RawJSON
from dash_live.core.updates import UPDATE_EVENT
from dash_live.push.server import (
    DEFAULT_MAX_PAYLOAD_BYTES,
    current_socketio,
    reset,
    validate_event_name,
)
from tests.typed import attach_flask_socketio

Client = Any  # flask_socketio.test_client.SocketIOTestClient (untyped)


def make_app(**dash_options: Any) -> dash.Dash:
    app = dash.Dash(__name__, **dash_options)
    app.layout = html.Div()
    app.server.secret_key = "unit-tests"
    return app


@pytest.fixture
def app() -> dash.Dash:
    return make_app()


def with_probes(socketio: LiveSocketIO) -> LiveSocketIO:
    """Handlers a test client asks through acks: its own sid and its rooms."""

    @socketio.on("whoami")
    def whoami() -> str:
        sid: str = flask.request.sid  # type: ignore[attr-defined]
        return sid

    @socketio.on("rooms")
    def rooms() -> list[str]:
        return sorted(flask_socketio.rooms())

    return socketio


def logged_in(app: dash.Dash, user: object) -> Any:
    """A Flask test client whose session holds ``user_id``."""
    flask_client = app.server.test_client()
    with flask_client.session_transaction() as session:
        session["user_id"] = user
    return flask_client


def basic_auth(user: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:secret".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def rooms_of(client: Client) -> list[str]:
    rooms: list[str] = client.emit("rooms", callback=True)
    return rooms


# attach_socketio.


def test_attach_returns_a_live_socketio_and_remembers_it(app: dash.Dash) -> None:
    assert current_socketio() is None
    socketio = attach_flask_socketio(app)
    assert isinstance(socketio, LiveSocketIO)
    assert isinstance(socketio, flask_socketio.SocketIO)
    assert current_socketio() is socketio
    assert socketio.max_payload_bytes == DEFAULT_MAX_PAYLOAD_BYTES == 4 * 1024 * 1024


def test_attach_accepts_the_flask_server() -> None:
    socketio = attach_flask_socketio(flask.Flask(__name__))
    assert current_socketio() is socketio


@pytest.mark.parametrize("bad", [None, "app", object()])
def test_attach_refuses_other_objects_naming_them(bad: object) -> None:
    with pytest.raises(TypeError, match="needs a Dash app or a Flask app") as info:
        attach_flask_socketio(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "10"])
def test_max_payload_bytes_must_be_positive_int(app: dash.Dash, bad: object) -> None:
    with pytest.raises(ValueError, match="max_payload_bytes must be a positive int") as info:
        attach_socketio(app, max_payload_bytes=bad)  # type: ignore[arg-type]
    assert repr(bad) in str(info.value)


def test_reset_forgets_the_server(app: dash.Dash) -> None:
    attach_flask_socketio(app)
    reset()
    assert current_socketio() is None
    with pytest.raises(NotAttachedError, match=r"call dash_live\.attach_socketio\(app\) first"):
        push_props("a", {"children": 1}, broadcast=True)


def polling_handshake(app: dash.Dash, path: str, origin: str | None = None) -> Any:
    headers = {"Origin": origin} if origin else {}
    return app.server.test_client().get(f"{path}?EIO=4&transport=polling", headers=headers)


@pytest.mark.parametrize(
    ("options", "path"),
    [
        ({}, "/socket.io/"),
        (
            {"routes_pathname_prefix": "/app/", "requests_pathname_prefix": "/app/"},
            "/app/socket.io/",
        ),
        ({"url_base_pathname": "/base/"}, "/base/socket.io/"),
    ],
)
def test_endpoint_lives_under_routes_pathname_prefix(options: dict[str, str], path: str) -> None:
    app = make_app(**options)
    attach_flask_socketio(app)
    response = polling_handshake(app, path)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith('0{"sid":')


def test_explicit_path_wins(app: dash.Dash) -> None:
    attach_flask_socketio(app, path="/ws/")
    assert polling_handshake(app, "/ws/").status_code == 200


def test_cross_origin_connections_are_refused_by_default(app: dash.Dash) -> None:
    attach_flask_socketio(app)
    assert polling_handshake(app, "/socket.io/", origin="http://localhost").status_code == 200
    assert polling_handshake(app, "/socket.io/", origin="http://evil.example").status_code == 400


def test_cors_allowed_origins_is_passed_through(app: dash.Dash) -> None:
    attach_flask_socketio(app, cors_allowed_origins=["http://trusted.example"])
    assert polling_handshake(app, "/socket.io/", origin="http://trusted.example").status_code == 200


def test_async_mode_is_threading_in_an_unpatched_process(app: dash.Dash) -> None:
    # gevent is importable here; Flask-SocketIO alone would pick it.
    assert attach_flask_socketio(app).async_mode == "threading"


def test_async_mode_can_be_chosen(app: dash.Dash) -> None:
    assert attach_flask_socketio(app, async_mode="threading").async_mode == "threading"


def test_async_mode_is_gevent_in_a_gevent_patched_process() -> None:
    code = (
        "from gevent import monkey; monkey.patch_all()\n"
        "import dash\n"
        "from dash_live import attach_socketio\n"
        "print(attach_socketio(dash.Dash('probe')).async_mode)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "gevent"


# Event names.


@pytest.mark.parametrize("name", ["chat", "chat-message", "chat_message", "X1", "a-b_c-9"])
def test_valid_event_names(name: str) -> None:
    assert validate_event_name(name) == name


@pytest.mark.parametrize("name", ["chat.message", "a@b", "with space", "é", "a/b"])
def test_event_names_that_cannot_become_props(name: str) -> None:
    with pytest.raises(InvalidEventNameError, match="cannot become a Dash prop") as info:
        validate_event_name(name)
    assert repr(name) in str(info.value)


@pytest.mark.parametrize(
    "name", ["connect", "disconnect", "message", "connect_error", "dash-live:update", "dash-live:x"]
)
def test_reserved_event_names(name: str) -> None:
    with pytest.raises(InvalidEventNameError, match="is reserved") as info:
        validate_event_name(name)
    assert repr(name) in str(info.value)


@pytest.mark.parametrize("name", ["", None, 3])
def test_event_name_must_be_a_non_empty_str(name: object) -> None:
    with pytest.raises(InvalidEventNameError, match="non-empty str") as info:
        validate_event_name(name)
    assert repr(name) in str(info.value)


def test_event_name_with_trailing_newline_is_refused() -> None:
    with pytest.raises(InvalidEventNameError):
        validate_event_name("chat\n")


def test_emit_with_invalid_name_raises_and_sends_nothing(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    client = socketio.test_client(app.server)
    with pytest.raises(InvalidEventNameError, match=r"'chat\.message'"):
        socketio.emit("chat.message", "hi")
    with pytest.raises(InvalidEventNameError, match="'dash-live:update' is reserved"):
        socketio.emit(UPDATE_EVENT, "hi")
    assert client.get_received() == []


def test_emit_inside_a_handler_is_checked_too(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    seen: list[str] = []

    @socketio.on("ask")
    def ask() -> None:
        try:
            flask_socketio.emit("bad name", 1)
        except InvalidEventNameError as error:
            seen.append(str(error))
        flask_socketio.emit("answer", {"n": 1})

    client = socketio.test_client(app.server)
    client.emit("ask")
    assert len(seen) == 1
    assert "'bad name'" in seen[0]
    assert client.get_received() == [{"name": "answer", "args": [{"n": 1}], "namespace": "/"}]


def test_on_registers_inbound_handlers(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    received: list[Any] = []

    @socketio.on("chat")
    def chat(data: Any) -> None:
        received.append(data)

    client = socketio.test_client(app.server)
    client.emit("chat", {"text": "hi"})
    assert received == [{"text": "hi"}]


def test_send_still_works(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    client = socketio.test_client(app.server)
    socketio.send("hello")
    assert client.get_received() == [{"name": "message", "args": "hello", "namespace": "/"}]


# Encoding at the call site.


def test_emit_encodes_as_dash(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    client = socketio.test_client(app.server)
    socketio.emit("note", {"b": html.B("hi", id="b"), "values": [float("nan"), 1]})
    [message] = client.get_received()
    assert message["name"] == "note"
    assert message["args"] == [
        {
            "b": {
                "props": {"children": "hi", "id": "b"},
                "type": "B",
                "namespace": "dash_html_components",
            },
            "values": [None, 1],
        }
    ]


def test_emit_of_unencodable_value_raises_at_call_site(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    client = socketio.test_client(app.server)
    with pytest.raises(PayloadError, match="Object of type object"):
        socketio.emit("note", {"x": object()})
    assert client.get_received() == []


def test_emit_of_bytes_passes_untouched(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    client = socketio.test_client(app.server)
    socketio.emit("blob", {"data": b"\x00\x01"})
    assert client.get_received() == [
        {"name": "blob", "args": [{"data": b"\x00\x01"}], "namespace": "/"}
    ]


def test_raw_json_is_sent_verbatim(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    client = socketio.test_client(app.server)
    socketio.emit("note", RawJSON('{"pre":[1,2]}'))
    assert client.get_received()[0]["args"] == [{"pre": [1, 2]}]


def test_oversize_emit_raises_and_sends_nothing(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app, max_payload_bytes=100)
    client = socketio.test_client(app.server)
    socketio.emit("note", "x" * 90)  # 92 bytes encoded: under the limit
    assert len(client.get_received()) == 1
    with pytest.raises(PayloadTooLargeError, match="encodes to 103 bytes, over the limit of 100"):
        socketio.emit("note", "x" * 101)
    assert client.get_received() == []


def test_oversize_push_raises_and_sends_nothing(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app, max_payload_bytes=100)
    client = socketio.test_client(app.server)
    with pytest.raises(PayloadTooLargeError, match="the update of 'big'") as info:
        push_props("big", {"children": "x" * 200}, broadcast=True)
    assert "max_payload_bytes" in str(info.value)
    assert client.get_received() == []


def test_oversize_binary_emit_is_refused(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app, max_payload_bytes=100)
    client = socketio.test_client(app.server)
    with pytest.raises(PayloadTooLargeError):
        socketio.emit("blob", b"x" * 1000)
    assert client.get_received() == []


# User rooms.


def test_session_user_joins_the_user_room(app: dash.Dash) -> None:
    socketio = with_probes(attach_flask_socketio(app))
    alice = socketio.test_client(app.server, flask_test_client=logged_in(app, "alice"))
    anonymous = socketio.test_client(app.server)
    assert user_room("alice") == "dash-live:user:alice"
    assert "dash-live:user:alice" in rooms_of(alice)
    assert not any(room.startswith("dash-live:user:") for room in rooms_of(anonymous))


def test_numeric_session_user(app: dash.Dash) -> None:
    socketio = with_probes(attach_flask_socketio(app))
    client = socketio.test_client(app.server, flask_test_client=logged_in(app, 42))
    assert "dash-live:user:42" in rooms_of(client)


def test_a_basic_auth_header_alone_joins_no_user_room(app: dash.Dash) -> None:
    # Issue 12, defect 1: anyone can send "bob:<any password>"; nothing checked it.
    socketio = with_probes(attach_flask_socketio(app))
    client = socketio.test_client(app.server, headers=basic_auth("bob"))
    assert client.is_connected()
    assert not [room for room in rooms_of(client) if room.startswith("dash-live:user:")]


def test_a_user_dash_auth_verified_joins_the_user_room(app: dash.Dash) -> None:
    dash_auth.BasicAuth(app, {"bob": "secret"})
    socketio = with_probes(attach_flask_socketio(app))
    # The browser sends its credentials with the handshake too; dash-auth's hook checks them.
    client = socketio.test_client(app.server, headers=basic_auth("bob"))
    assert "dash-live:user:bob" in rooms_of(client)


def test_dash_auth_refuses_a_socket_as_it_refuses_a_page(app: dash.Dash) -> None:
    dash_auth.BasicAuth(app, {"bob": "right"})
    socketio = with_probes(attach_flask_socketio(app))
    assert app.server.test_client().get("/", headers=basic_auth("bob")).status_code == 401
    assert not socketio.test_client(app.server, headers=basic_auth("bob")).is_connected()
    assert not socketio.test_client(app.server).is_connected()


def test_without_request_hooks_a_claimed_name_still_names_nobody(app: dash.Dash) -> None:
    dash_auth.BasicAuth(app, {"bob": "right"})
    socketio = with_probes(attach_flask_socketio(app, request_hooks=False))
    client = socketio.test_client(app.server, headers=basic_auth("bob"))  # "bob:secret"
    assert client.is_connected()  # the app said it authenticates sockets itself
    assert not [room for room in rooms_of(client) if room.startswith("dash-live:user:")]


def test_request_hooks_must_be_a_bool(app: dash.Dash) -> None:
    with pytest.raises(TypeError, match="request_hooks must be True or False, got 'yes'"):
        attach_socketio(app, request_hooks="yes")  # type: ignore[arg-type]


def test_session_user_prefers_the_app_login_then_dash_auth(app: dash.Dash) -> None:
    with app.server.test_request_context(headers=basic_auth("bob")):
        assert session_user() is None
        flask.session["user"] = {"email": "bob", "groups": []}
        assert session_user() == "bob"
        flask.session["user_id"] = 7
        assert session_user() == "7"
    with app.server.test_request_context():
        flask.session["user"] = "bob"  # not dash-auth's shape: not an identity
        assert session_user() is None


def test_custom_identify(app: dash.Dash) -> None:
    socketio = with_probes(
        attach_flask_socketio(app, identify=lambda: flask.request.args.get("team"))
    )
    client = socketio.test_client(app.server, query_string="team=red")
    assert "dash-live:user:red" in rooms_of(client)


def test_identify_none_keeps_connections_anonymous(app: dash.Dash) -> None:
    socketio = with_probes(attach_flask_socketio(app, identify=None))
    client = socketio.test_client(app.server, flask_test_client=logged_in(app, "alice"))
    assert client.is_connected()
    assert not any(room.startswith("dash-live:user:") for room in rooms_of(client))


def test_connect_handler_runs_after_joining_the_user_room(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    seen: list[Any] = []

    @socketio.on("connect")
    def connect(auth: Any) -> None:
        seen.append((auth, sorted(flask_socketio.rooms())))

    socketio.test_client(app.server, auth={"token": "t"}, flask_test_client=logged_in(app, "al"))
    [(auth, rooms)] = seen
    assert auth == {"token": "t"}
    assert "dash-live:user:al" in rooms


def test_connect_handler_without_arguments(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    calls: list[str] = []

    @socketio.on("connect")
    def connect() -> None:
        calls.append(flask.request.sid)  # type: ignore[attr-defined]

    client = socketio.test_client(app.server)
    assert client.is_connected()
    assert len(calls) == 1


def test_connect_handler_can_refuse_the_connection(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)

    @socketio.on("connect")
    def connect() -> bool:
        return False

    client = socketio.test_client(app.server)
    assert not client.is_connected()


def test_connect_handler_decorator_returns_the_handler(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)

    def connect() -> None:
        pass

    assert socketio.on("connect")(connect) is connect


def test_factory_pattern_joins_user_rooms(app: dash.Dash) -> None:
    socketio = LiveSocketIO()
    socketio.init_app(app.server)
    client = socketio.test_client(app.server, flask_test_client=logged_in(app, "alice"))
    push_props("badge", {"children": 1}, user="alice", socketio=socketio)
    assert len(client.get_received()) == 1


def participants(socketio: LiveSocketIO, room: str) -> int:
    return len(list(socketio.server.manager.get_participants("/", room)))


def test_every_tab_of_a_user_joins_and_a_closed_tab_leaves(app: dash.Dash) -> None:
    socketio = attach_flask_socketio(app)
    first = socketio.test_client(app.server, flask_test_client=logged_in(app, "alice"))
    second = socketio.test_client(app.server, flask_test_client=logged_in(app, "alice"))
    assert participants(socketio, user_room("alice")) == 2
    first.disconnect()
    assert participants(socketio, user_room("alice")) == 1
    push_props("badge", {"children": 3}, user="alice")
    assert second.get_received() == [
        {"name": UPDATE_EVENT, "args": [[["badge", "children", "set", 3]]], "namespace": "/"}
    ]
