"""Socket.IO on Dash's ASGI backends (``Dash(backend="fastapi")``, ``backend="quart"``).

:func:`dash_live.attach_socketio` gives such an app a :class:`LiveAsyncSocketIO`: python-socketio's
asyncio server, mounted in front of the backend's ASGI app at the path ``DashSocketIO`` looks for
(``socket.io`` under the app's prefix), so the page side is the same as on Flask. What the
Flask server does, this one does the same way: event names and payloads checked and encoded
once at the call site, the rooms a tab was put in restored from its signed tokens when it
reconnects (:mod:`dash_live.push.rooms`), and ``push_props``, ``join_room`` and ``leave_room``
working from anywhere.

"Anywhere" is the difference an event loop makes. python-socketio's asyncio server must be
called on its loop, but a push comes from a sync callback, a thread or an ``async`` handler
alike. :meth:`LiveAsyncSocketIO.emit` and the others are plain functions that find their way:

- on the server's loop (an ``async def`` callback or handler) the emit is scheduled as a task,
  in call order, and goes out when the caller next awaits. Dash runs a *sync* callback on the
  loop too, so what a sync callback pushes leaves when it returns: push progressively from an
  ``async def`` callback, or from a thread;
- from any other thread, the call hands the emit to the loop and waits for it, so errors raise
  at the call site and a fast producer is paced by the server.

Handlers take python-socketio's arguments (``sid`` first; a ``connect`` handler ``sid, environ,
auth``) and may be ``async def`` or plain functions (run in a thread). Event callbacks stream
over this server too, as over Flask-SocketIO (``DASH_LIVE_TRANSPORT = "socketio"``, or
``transport="socketio"``): :mod:`dash_live.transports.asgi_socketio`.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import dash
import socketio

from .._compat import backend_name
from ..callbacks.settings import server_config
from ..core.serialize import RawJSON, SocketJSON
from ..core.updates import UPDATE_EVENT, Update, encode_batch
from ..transports import asgi_socketio
from . import rooms
from .encode import PayloadLimit, encode_arg
from .names import check_handler_name, user_room, validate_event_name

__all__ = ["AsyncIdentify", "LiveAsyncSocketIO"]

logger = logging.getLogger("dash_live")

#: Given the handshake's environ (python-socketio's: the ASGI scope is ``environ["asgi.scope"]``),
#: returns the verified user id whose room the connection joins, or None.
AsyncIdentify = Callable[[dict[str, Any]], Any]
#: Where an app without Flask's ``secret_key`` (FastAPI) keeps the key that signs room tokens:
#: its ``app.server.state`` or the environment. The same in every worker.
SECRET_SETTING = "DASH_LIVE_SECRET_KEY"
#: What an emit returns: on the server's loop, the task that sends it; elsewhere None (sent).
Sent = asyncio.Task[Any] | None
Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class LiveAsyncSocketIO(PayloadLimit):
    """Socket.IO for a Dash app on an ASGI backend; create it with ``attach_socketio(app)``.

    >>> import dash
    >>> from dash_live import attach_socketio
    >>> socketio = attach_socketio(dash.Dash(__name__, backend="fastapi"))
    >>> socketio.path
    'socket.io'
    >>> socketio.emit("progress", {"done": 3})  # nobody connected yet: reaches no one
    """

    def __init__(
        self,
        app: dash.Dash,
        *,
        identify: AsyncIdentify | None = None,
        max_payload_bytes: int,
        redis_url: str | None = None,
        **options: Any,
    ) -> None:
        self.set_payload_limit(max_payload_bytes)
        if identify is not None and not callable(identify):
            raise TypeError(f"identify must be a function of the environ or None, got {identify!r}")
        self.identify = identify
        prefix = app.config.routes_pathname_prefix or "/"
        self.path: str = options.pop("path", None) or prefix.lstrip("/") + "socket.io"
        options.setdefault("json", SocketJSON)
        self.server = socketio.AsyncServer(async_mode="asgi", **options)
        self.socket_app = socketio.ASGIApp(self.server, socketio_path=self.path)
        # The loop that serves the app, known from its first request (or lifespan event).
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # Quart has Flask's secret_key; a FastAPI app has none: DASH_LIVE_SECRET_KEY in its
        # state or the environment, else a random key of the process.
        config = server_config(app.server)
        secret = (
            getattr(app.server, "secret_key", None)
            or config.get(SECRET_SETTING)
            or os.environ.get(SECRET_SETTING)
        )
        self.room_signer = rooms.app_signer(secret, config, redis_url)
        self._holders: dict[str, str] = {}  # sid -> who holds its room tokens (rooms.py)
        self.server.on("connect", self._connect)
        self.server.on("disconnect", self._disconnect)
        self._connect_handler: Callable[..., Any] | None = None
        self._disconnect_handler: Callable[..., Any] | None = None
        self.streams = asgi_socketio.install(app, self.server)
        _mount(app, self)

    # Handlers --------------------------------------------------------------------------------

    def on(self, event: str, namespace: str | None = None) -> Callable[..., Any]:
        """Register a handler, as python-socketio's ``@sio.on``; a plain function runs in a
        thread of its own (so it may block and push), an ``async def`` on the loop."""
        check_handler_name(event)

        def decorator(handler: Callable[..., Any]) -> Callable[..., Any]:
            if event == "connect":
                self._connect_handler = handler
            elif event == "disconnect":
                self._disconnect_handler = handler
            else:
                self.server.on(event, _on_loop(handler), namespace=namespace)
            return handler

        return decorator

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
        user = await self._join_user_room(sid, environ)
        await self._restore_rooms(sid, auth, user)
        if self._connect_handler is None:
            return None
        return await _call(self._connect_handler, sid, environ, rooms.without_room_tokens(auth))

    async def _disconnect(self, sid: str, *reason: Any) -> None:
        self._holders.pop(sid, None)
        self.streams.closed(sid)
        if self._disconnect_handler is not None:
            await _call(self._disconnect_handler, sid, *reason)

    async def _join_user_room(self, sid: str, environ: dict[str, Any]) -> str | None:
        if self.identify is None:
            return None
        user = self.identify(environ)
        if inspect.isawaitable(user):
            user = await user
        if user is None:
            return None
        await self.server.enter_room(sid, user_room(user))
        return str(user)

    async def _restore_rooms(self, sid: str, auth: Any, user: str | None) -> None:
        holder = rooms.holder_for(user, auth)
        if holder is None:
            return
        self._holders[sid] = holder
        signer = self.room_signer
        # With shared revocations the check asks Redis: in a thread, not on the loop.
        held = (
            await asyncio.to_thread(signer.rooms_in, auth, holder)
            if signer.shared is not None
            else signer.rooms_in(auth, holder)
        )
        for room in held:
            await self.server.enter_room(sid, room)
            change = {"join": room, "token": self.room_signer.token(room, holder)}
            await self.server.emit(rooms.ROOMS_EVENT, change, to=sid)

    def holder_of(self, sid: str) -> str | None:
        """Who holds the room tokens of the connection ``sid`` (None: nobody, or not here)."""
        return self._holders.get(sid)

    # Emitting, from anywhere ------------------------------------------------------------------

    def emit(self, event: str, *args: Any, **kwargs: Any) -> Sent:
        """Emit an event, as python-socketio's ``emit`` (``to=``, ``room=``, ``skip_sid=``,
        ``namespace=``), callable from any thread or coroutine; the name and payload are
        checked and encoded here, raising at the call site.

        From a thread it returns once the server took the message (a Redis publish that
        failed raises :class:`~dash_live.core.exceptions.MessageQueueError` here). On the
        server's loop it returns the task that sends it: await it to learn of a failure (one
        nobody awaits is logged)."""
        validate_event_name(event)
        encoded = [encode_arg(arg, f"the payload of event {event!r}", self) for arg in args]
        data: Any = encoded[0] if len(encoded) == 1 else tuple(encoded) if encoded else None
        return self.run(self.server.emit(event, data, **kwargs))

    def emit_updates(self, updates: list[Update], **kwargs: Any) -> Sent:
        """Send prop updates to DashSocketIO components (see :func:`dash_live.push_props`)."""
        text = encode_batch(updates)
        self.check_size(len(text), f"the update of {updates[0].id!r}")
        return self.run(self.server.emit(UPDATE_EVENT, RawJSON(text), **kwargs))

    def emit_reserved(self, event: str, data: Any, *, to: str, namespace: str = "/") -> None:
        """One of dash-live's own events (``dash-live:rooms``), unchecked."""
        self.run(self.server.emit(event, data, to=to, namespace=namespace))

    def enter(self, sid: str, room: str, namespace: str = "/") -> None:
        self.run(self.server.enter_room(sid, room, namespace=namespace))

    def exit(self, sid: str, room: str, namespace: str = "/") -> None:
        self.run(self.server.leave_room(sid, room, namespace=namespace))

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Sent:
        """Run one of the server's coroutines on its loop, from wherever the caller is: from
        another thread, wait for it (its error raises here); on the loop, start it as a task
        (tasks start in call order, so one tab's messages keep theirs) and return the task."""
        loop = self.loop
        if loop is None or loop.is_closed():
            coroutine.close()  # the app serves no request yet: no connection to reach
            return None
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task = loop.create_task(coroutine)
            self._tasks.add(task)  # held until done: the loop keeps only a weak reference
            task.add_done_callback(self._task_done)
            return task
        asyncio.run_coroutine_threadsafe(coroutine, loop).result()
        return None

    async def close(self) -> None:
        """Let go of Redis at the server's shutdown: the listener task and its connections (a
        process that goes on, as a test's, would otherwise leave them open)."""
        manager = self.server.manager
        listener = getattr(manager, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        for name in ("pubsub", "redis"):
            client = getattr(manager, name, None)
            if client is not None and hasattr(client, "aclose"):
                await client.aclose()
        shared = self.room_signer.shared
        if shared is not None and hasattr(shared, "client"):
            shared.client.close()

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        # Awaited or not, the failure is logged: a push nobody awaited must not vanish.
        logger.error("a Socket.IO emit failed: %s", task.exception())


async def _call(handler: Callable[..., Any], *args: Any) -> Any:
    """Call an app's handler: an ``async def`` on the loop, a plain function in a thread."""
    if inspect.iscoroutinefunction(handler):
        return await handler(*args)
    return await asyncio.to_thread(handler, *args)


def _on_loop(handler: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def run(*args: Any) -> Any:
        return await _call(handler, *args)

    run.__name__ = getattr(handler, "__name__", "handler")
    return run


class _Mount:
    """ASGI app in front of the backend's: Socket.IO's path to python-socketio, the rest on."""

    def __init__(self, live: LiveAsyncSocketIO, app: ASGIApp) -> None:
        self.live = live
        self.app = app
        self.prefix = "/" + live.path.strip("/") + "/"

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.live.loop is None:
            self.live.loop = asyncio.get_running_loop()
        if scope["type"] == "lifespan":
            live = self.live

            async def receive_lifespan() -> Any:
                message = await receive()
                if message.get("type") == "lifespan.shutdown":
                    await live.close()
                return message

            await self.app(scope, receive_lifespan, send)
            return
        path = scope.get("path", "")
        if scope["type"] in ("http", "websocket") and (path + "/").startswith(self.prefix):
            await self.live.socket_app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _mount(app: dash.Dash, live: LiveAsyncSocketIO) -> None:
    server: Any = app.server
    if backend_name(app) == "fastapi":
        # Starlette builds its middleware stack on the first request, from this method.
        build = server.build_middleware_stack
        server.build_middleware_stack = lambda: _Mount(live, build())
    else:  # quart: its documented place for middleware
        server.asgi_app = _Mount(live, server.asgi_app)
