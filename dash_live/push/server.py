"""Attaching Socket.IO to a Dash app: :func:`attach_socketio` and :class:`LiveSocketIO`.

``LiveSocketIO`` is a ``flask_socketio.SocketIO`` that

- chooses its async mode from how the process really runs (gevent or eventlet only when the
  process is monkey-patched for it, else threads), so the dev server and gunicorn both work;
- encodes every emitted value as Dash does, once, at the call site: a value that cannot be
  encoded or is too large raises there, naming it, instead of failing later in a worker;
- rejects event names that no ``data-<event>`` prop could receive;
- puts each connection of a logged-in user in that user's room, so a push can reach all of a
  user's tabs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, cast

import dash
import flask
from flask_socketio import SocketIO
from socketio.exceptions import ConnectionRefusedError as SocketRefused

from .._compat import backend_name
from ..core.serialize import RawJSON, SocketJSON
from ..core.updates import UPDATE_EVENT, Update, encode_batch
from ..transports import socketio as socket_streams
from ..transports.nodelay import NoDelayMiddleware
from . import rooms
from .asgi_server import AsyncIdentify, LiveAsyncSocketIO
from .encode import PayloadLimit, encode_arg
from .message_queue import (
    LiveAsyncRedisManager,
    LiveRedisManager,
    check_redis_url,
    redis_url_from,
)
from .names import check_handler_name, user_room, validate_event_name

__all__ = [
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "AnySocketIO",
    "LiveSocketIO",
    "attach_socketio",
    "connect_message_queue",
    "current_socketio",
    "session_user",
    "user_room",
    "validate_event_name",
]

#: Default limit for one emitted message, encoded. Large enough for a sizeable table.
DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024

Identify = Callable[[], Any]

_active: AnySocketIO | None = None


def session_user() -> str | None:
    """The default user identity of a connection: one the server verified, else None.

    That is ``session["user_id"]`` (set by the app's own login), else the user dash-auth
    verified (its ``BasicAuth`` and ``OIDCAuth`` put ``{"email": ...}`` in ``session["user"]``
    once the credentials check out). Flask signs the session with ``app.server.secret_key``,
    so a client cannot forge either. An ``Authorization`` header alone names nobody: anyone can
    send one, and the Socket.IO handshake does not run dash-auth's check. Called inside the
    request of a connecting socket:

    >>> import base64
    >>> app = flask.Flask(__name__)
    >>> app.secret_key = "not-this-one-in-production"
    >>> claim = {"Authorization": "Basic " + base64.b64encode(b"alice:wrong").decode()}
    >>> with app.test_request_context(headers=claim):
    ...     print(session_user())
    ...     flask.session["user"] = {"email": "alice", "groups": []}  # as dash-auth does
    ...     session_user()
    None
    'alice'
    """
    user = flask.session.get("user_id")
    if user is None:
        verified = flask.session.get("user")
        if isinstance(verified, dict) and isinstance(verified.get("email"), str):
            user = verified["email"]
    return None if user is None else str(user)


def _choose_async_mode() -> str:
    # Flask-SocketIO picks gevent whenever it is importable, which breaks the threaded dev
    # server; only a monkey-patched process can use gevent or eventlet.
    try:
        from gevent import monkey

        if monkey.is_module_patched("socket"):
            return "gevent"
    except ImportError:
        pass
    try:
        import eventlet.patcher

        if eventlet.patcher.is_monkey_patched("socket"):
            return "eventlet"
    except ImportError:
        pass
    return "threading"


class LiveSocketIO(PayloadLimit, SocketIO):  # type: ignore[misc]
    """A ``flask_socketio.SocketIO`` for Dash apps. Create it with :func:`attach_socketio`.

    Use it as Flask-SocketIO's ``SocketIO``: ``@socketio.on(...)``, ``socketio.emit(...)``,
    ``socketio.run(app)``. Emits are checked and encoded at the call site:

    >>> import dash
    >>> socketio = attach_socketio(dash.Dash(__name__))
    >>> socketio.emit("progress", {"done": 3})  # to every connected page
    >>> socketio.emit("progress", object())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dash_live.core.exceptions.PayloadError: cannot encode <object object at ...> as JSON...
    """

    def __init__(
        self,
        app: Any = None,
        *,
        identify: Identify | None = session_user,
        max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        request_hooks: bool = True,
        **kwargs: Any,
    ) -> None:
        self.set_payload_limit(max_payload_bytes)
        if not isinstance(request_hooks, bool):
            raise TypeError(f"request_hooks must be True or False, got {request_hooks!r}")
        self.identify = identify
        self.request_hooks = request_hooks
        kwargs.setdefault("json", SocketJSON)
        kwargs.setdefault("async_mode", _choose_async_mode())
        self._installed = False
        # Replaced by one keyed with the app's secret once attached to an app.
        self.room_signer = rooms.RoomSigner(None)
        # sid -> who holds that connection's room tokens (see rooms.py); this process's only.
        self._holders: dict[str, str] = {}
        super().__init__(app, **kwargs)

    def init_app(self, app: Any, **kwargs: Any) -> None:
        """Attach to a Flask app, as ``flask_socketio.SocketIO.init_app`` (``app`` None: a
        write-only emitter for another process)."""
        super().init_app(app, **kwargs)
        if app is not None and not isinstance(app.wsgi_app, NoDelayMiddleware):
            app.wsgi_app = NoDelayMiddleware(app.wsgi_app)
        if app is not None and not self._installed:
            self._installed = True
            # With a Redis message queue, leave_room's revocations reach every worker.
            manager = self.server.manager
            shared = (
                manager.redis_url
                if isinstance(manager, LiveRedisManager) and not manager.write_only
                else None
            )
            self.room_signer = rooms.app_signer(app.secret_key, app.config, shared)
            # Join user rooms and cancel a closed tab's streams even when the app registers no
            # connect or disconnect handler of its own.
            self.on("connect")(lambda: None)
            self.on("disconnect")(lambda: None)
            socket_streams.install(self)

    def on(self, message: str, namespace: str | None = None) -> Callable[..., Any]:
        """Register a Socket.IO event handler, as ``flask_socketio.SocketIO.on``.

        A ``connect`` handler is wrapped so that the connection first joins its user's room,
        a ``disconnect`` handler so that the event-callback streams of the connection are
        cancelled first.
        """
        check_handler_name(message)
        register = super().on(message, namespace)
        if message == "disconnect":
            return self._wrap_disconnect(register)
        if message != "connect":
            return cast(Callable[..., Any], register)

        def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
            takes_auth = _accepts_argument(handler)

            def connect(auth: Any = None) -> Any:
                self._admit()
                user = self._join_user_room()
                self._restore_rooms(auth, user)
                auth = rooms.without_room_tokens(auth)
                return handler(auth) if takes_auth else handler()

            register(connect)
            return handler

        return decorator

    def on_reserved(self, message: str) -> Callable[..., Any]:
        """Register one of dash-live's own handlers (a ``dash-live:`` event)."""
        return cast(Callable[..., Any], super().on(message, "/"))

    def _wrap_disconnect(self, register: Callable[..., Any]) -> Callable[..., Any]:
        def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
            takes_reason = _accepts_argument(handler)

            def disconnect(*reason: Any) -> Any:
                request: Any = flask.request
                self._holders.pop(request.sid, None)
                socket_streams.cancel_connection_streams(request.sid)
                return handler(*reason[:1]) if takes_reason else handler()

            register(disconnect)
            return handler

        return decorator

    def _admit(self) -> None:
        """Run the app's ``before_request`` hooks on the connection's handshake, as Flask runs
        them before any route: a hook that answers (dash-auth's 401, a login redirect) refuses
        the connection. So the socket, its streams and its pushes are covered by the app's
        authentication as its HTTP routes are (Flask-SocketIO runs no hook of its own)."""
        if not self.request_hooks:
            return
        answer = flask.current_app.preprocess_request()
        if answer is not None:
            status = getattr(flask.current_app.make_response(answer), "status_code", "?")
            # Socket.IO's own exception: its message reaches the client's connect_error.
            raise SocketRefused(
                f"the app's before_request hooks refused this connection (HTTP {status})"
            )

    def _restore_rooms(self, auth: Any, user: str | None) -> None:
        """Rejoin the rooms whose tokens this connection's holder presents, and send it fresh
        tokens for them (so an active tab never sees its tokens expire)."""
        request: Any = flask.request
        holder = rooms.holder_for(user, auth)
        if holder is None:
            return
        self._holders[request.sid] = holder
        for room in self.room_signer.rooms_in(auth, holder):
            self.server.enter_room(request.sid, room, request.namespace)
            change = {"join": room, "token": self.room_signer.token(room, holder)}
            self.server.emit(rooms.ROOMS_EVENT, change, to=request.sid, namespace=request.namespace)

    def holder_of(self, sid: str) -> str | None:
        """Who holds the room tokens of the connection ``sid`` (None: nobody, or not here)."""
        return self._holders.get(sid)

    def _join_user_room(self) -> str | None:
        """Join the connection's verified user's room; return that user (or None)."""
        if self.identify is None:
            return None
        user = self.identify()
        if user is None:
            return None
        # Flask-SocketIO sets sid and namespace on the request of a Socket.IO event.
        request: Any = flask.request
        self.server.enter_room(request.sid, user_room(user), request.namespace)
        return str(user)

    def encode_arg(self, value: Any, what: str) -> Any:
        """Encode one emitted value now, checking its size; binary values pass untouched."""
        return encode_arg(value, what, self)

    def emit(self, event: str, *args: Any, **kwargs: Any) -> Any:
        """Emit an event, as ``flask_socketio.SocketIO.emit``, after checking its name and
        encoding its arguments (both raise here, at the call site, naming the bad value)."""
        validate_event_name(event)
        encoded = [self.encode_arg(arg, f"the payload of event {event!r}") for arg in args]
        return super().emit(event, *encoded, **kwargs)

    def send(self, data: Any, json: bool = False, **kwargs: Any) -> Any:
        """Send a plain Socket.IO ``message`` (or ``json``) event, as ``flask_socketio``'s
        ``send``; the payload is encoded and size-checked here like an emit's."""
        event = "json" if json else "message"
        encoded = self.encode_arg(data, f"the payload of a {event!r} message")
        # Socket.IO's own event names are reserved for emit(), not for send() itself.
        return super().emit(event, encoded, **kwargs)

    def emit_updates(self, updates: list[Update], **kwargs: Any) -> None:
        """Send prop updates to DashSocketIO components (see :func:`dash_live.push_props`)."""
        text = encode_batch(updates)
        self.check_size(len(text), f"the update of {updates[0].id!r}")
        super().emit(UPDATE_EVENT, RawJSON(text), **kwargs)

    def emit_reserved(self, event: str, data: Any, *, to: str, namespace: str = "/") -> None:
        """One of dash-live's own events (``dash-live:rooms``), unchecked."""
        self.server.emit(event, data, to=to, namespace=namespace)

    def enter(self, sid: str, room: str, namespace: str = "/") -> None:
        self.server.enter_room(sid, room, namespace=namespace)

    def exit(self, sid: str, room: str, namespace: str = "/") -> None:
        self.server.leave_room(sid, room, namespace=namespace)

    def run(self, app: Any, host: str | None = None, port: int | None = None, **kw: Any) -> None:
        """Serve ``app`` (a Dash app or its Flask server), as ``flask_socketio.SocketIO.run``."""
        super().run(getattr(app, "server", app), host=host, port=port, **kw)


#: What push_props, join_room and leave_room send through: the Flask or the ASGI server.
AnySocketIO = LiveSocketIO | LiveAsyncSocketIO


def _accepts_argument(handler: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(handler).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in parameters
    )


def attach_socketio(
    app: Any,
    *,
    identify: Identify | None = session_user,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
    redis_url: str | None = None,
    request_hooks: bool = True,
    **socketio_options: Any,
) -> AnySocketIO:
    """Attach Socket.IO to a Dash app and return the server, ready for ``@socketio.on``.

    On Dash's FastAPI and Quart backends this is a :class:`~dash_live.push.asgi_server.
    LiveAsyncSocketIO` (python-socketio's asyncio server, mounted in front of the app; see its
    module for what differs there); everywhere else a :class:`LiveSocketIO`.

    Parameters:
        app: the ``dash.Dash`` app (or its Flask server).
        identify: called while a socket connects (inside its request context); returns the
            user id whose room the connection joins, or None. Default: :func:`session_user`.
            Pass None to keep connections anonymous.
        max_payload_bytes: the largest encoded message a push or emit may send.
        request_hooks: run the app's ``before_request`` hooks (dash-auth's check among them)
            on each connection's handshake, refusing the connection when one answers; False
            when the app authenticates sockets itself (a ``connect`` handler).
        redis_url: a Redis URL shared by every process that serves or pushes (gunicorn workers,
            instances, job processes); default: the ``DASH_LIVE_REDIS_URL`` Flask setting or
            environment variable; None of them: this process alone. See
            :mod:`dash_live.push.message_queue`.
        socketio_options: passed to ``flask_socketio.SocketIO``: ``async_mode`` (default:
            chosen from the process), ``cors_allowed_origins`` (default: same origin only),
            ``path``, ...

    The Socket.IO endpoint lives under the app's ``routes_pathname_prefix``, where
    DashSocketIO looks for it. Run the app as usual: ``app.run(debug=True)``,
    ``socketio.run(app)``, or gunicorn.

    Example::

        >>> import dash
        >>> app = dash.Dash(__name__)
        >>> socketio = attach_socketio(app)
        >>> socketio.async_mode
        'threading'
    """
    if isinstance(app, dash.Dash) and backend_name(app) in ("fastapi", "quart"):
        return _attach_asgi(
            app, identify, max_payload_bytes, redis_url, request_hooks, socketio_options
        )
    server = getattr(app, "server", app)
    if not isinstance(server, flask.Flask):
        raise TypeError(f"attach_socketio() needs a Dash app or a Flask app, got {app!r}")
    if "path" not in socketio_options:
        prefix = getattr(getattr(app, "config", None), "routes_pathname_prefix", None) or "/"
        socketio_options["path"] = prefix.lstrip("/") + "socket.io"
    url = check_redis_url(redis_url) if redis_url is not None else redis_url_from(server.config)
    if url is not None and "client_manager" not in socketio_options:
        socketio_options["client_manager"] = LiveRedisManager(url)
    socketio = LiveSocketIO(
        server,
        identify=identify,
        max_payload_bytes=max_payload_bytes,
        request_hooks=request_hooks,
        **socketio_options,
    )
    global _active
    _active = socketio
    return socketio


def _attach_asgi(
    app: dash.Dash,
    identify: Identify | AsyncIdentify | None,
    max_payload_bytes: int,
    redis_url: str | None,
    request_hooks: bool,
    options: dict[str, Any],
) -> LiveAsyncSocketIO:
    """attach_socketio on Dash's FastAPI or Quart backend (:mod:`dash_live.push.asgi_server`)."""
    url = check_redis_url(redis_url) if redis_url is not None else redis_url_from()
    if url is not None and "client_manager" not in options:
        options["client_manager"] = LiveAsyncRedisManager(url)
    if not isinstance(request_hooks, bool):
        raise TypeError(f"request_hooks must be True or False, got {request_hooks!r}")
    socketio = LiveAsyncSocketIO(
        app,
        redis_url=url,
        # session_user reads Flask's session, which an ASGI app does not have.
        identify=None if identify is session_user else cast(AsyncIdentify | None, identify),
        max_payload_bytes=max_payload_bytes,
        **options,
    )
    global _active
    _active = socketio
    return socketio


def connect_message_queue(
    redis_url: str | None = None, *, max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
) -> LiveSocketIO:
    """A write-only Socket.IO emitter for a process that serves no app (a job, a scheduler).

    It publishes through Redis to the processes that serve the pages; ``push_props`` uses it
    (and :func:`push_props` creates one by itself from ``DASH_LIVE_REDIS_URL`` when this
    process attached no app). Nothing connects to Redis until the first push.

    Example::

        >>> emitter = connect_message_queue("redis://127.0.0.1:6379/0")
        >>> emitter.server.manager.write_only
        True
    """
    url = check_redis_url(redis_url) if redis_url is not None else redis_url_from()
    if url is None:
        raise ValueError(
            "connect_message_queue() needs a Redis URL: pass one or set DASH_LIVE_REDIS_URL"
        )
    return LiveSocketIO(
        None,
        max_payload_bytes=max_payload_bytes,
        message_queue=url,
        client_manager=LiveRedisManager(url, write_only=True),
    )


def current_socketio() -> AnySocketIO | None:
    """The server the last :func:`attach_socketio` call created, if any; in a process with no
    app but ``DASH_LIVE_REDIS_URL`` set, an emitter publishing through that Redis."""
    global _active
    if _active is None and redis_url_from() is not None:
        _active = connect_message_queue()
    return _active


def reset() -> None:
    """Forget the attached server (for tests that build several apps in one process)."""
    global _active
    _active = None
