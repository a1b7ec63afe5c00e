"""The Socket.IO transport of event callbacks on Dash's ASGI backends (FastAPI, Quart).

The same events, acknowledgements and page client as on Flask (:mod:`dash_live.transports.
socketio`, whose module doc gives the wire format), served by python-socketio's asyncio server
that :func:`dash_live.attach_socketio` mounts in front of the app. The stream is run by the
asyncio driver (:mod:`dash_live.transports.asgi`), as an HTTP stream of these backends is:
an ``async def`` generator on the loop, a plain one in a thread of its own. What is this
transport's own is its :class:`SocketSink`, which emits each frame to the connection that asked
for it, at most :data:`~dash_live.transports.socket_wire.WINDOW` unacknowledged at a time: a
page that stops acknowledging holds its generator back, and the driver ends the stream at its
timeout. Only every :data:`~dash_live.transports.socket_wire.ACK_EVERY`-th frame asks for an
acknowledgement, and the frames between go straight to Engine.IO as encoded Socket.IO packets:
python-socketio's ``emit`` makes a task per recipient and scans the data for binary parts,
which for one frame to one connection is most of its cost. While the loop is busy, a stream's
updates are held a moment and emitted together (:mod:`dash_live.transports.write_hold`), as
over SSE: fewer, larger packets when it matters.

A disconnect ends every stream of that connection at once (see :meth:`SocketStreams.closed`);
nothing more is sent to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from http.cookies import SimpleCookie
from typing import Any, Protocol

import dash

from ..callbacks.request import StreamRequestError
from ..callbacks.settings import StreamSettings
from ..callbacks.streams import HttpFacts, cancelled_stream, live_streams
from ..core import frames, wire
from ..core.frames import Frame, KeepAlive, Updates
from ..core.serialize import RawJSON, to_json
from .asgi import HeldSink, serve
from .asgi_routes import OpenStream, open_stream
from .socket_wire import (
    ACK_EVERY,
    WINDOW,
    asks_ack,
    attached_servers,
    owner_key,
    wrong_arguments,
)

__all__ = ["SocketSink", "SocketStreams", "Window", "install"]

logger = logging.getLogger("dash_live")


class EngineIO(Protocol):
    """What this transport uses of python-engineio's ``AsyncServer`` (``AsyncServer.eio``)."""

    async def send(self, sid: str, data: str) -> None: ...


class Manager(Protocol):
    """What this transport uses of python-socketio's client manager (``AsyncServer.manager``)."""

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None: ...


class AsyncServer(Protocol):
    """What this transport uses of python-socketio's ``AsyncServer``."""

    eio: EngineIO
    manager: Manager

    def on(self, event: str, handler: Any = None, namespace: str | None = None) -> Any: ...

    def emit(self, event: str, data: Any = None, **kwargs: Any) -> Awaitable[None]: ...

    def get_environ(self, sid: str, namespace: str | None = None) -> dict[str, Any] | None: ...


class Window:
    """The frames of one stream sent and not yet acknowledged (at most ``size``), on the loop.

    >>> window = Window(1)
    >>> window.take_now(), window.take_now()
    (True, False)
    >>> window.release(); window.take_now()
    True
    >>> window.release(3); [window.take_now() for _ in range(4)]
    [True, True, True, False]
    """

    def __init__(self, size: int = WINDOW) -> None:
        self._free = size
        self._freed = asyncio.Event()

    def take_now(self) -> bool:
        """Take a place if one is free, without waiting."""
        if self._free <= 0:
            return False
        self._free -= 1
        return True

    async def take(self) -> None:
        """Take a place, waiting for an acknowledgement while none is free."""
        while self._free <= 0:
            self._freed.clear()
            await self._freed.wait()
        self._free -= 1

    def release(self, count: int = 1) -> None:
        """The page acknowledged ``count`` frames."""
        self._free += count
        self._freed.set()

    def acked(self, *_answer: object) -> None:
        """Socket.IO's callback of a frame that asked for an acknowledgement."""
        self.release(ACK_EVERY)


class SocketSink(HeldSink):
    """A :class:`~dash_live.transports.asgi.Sink` that emits each frame as ``dash-live:frame``
    to the connection ``sid``, within its :class:`Window`. While the loop is busy, updates are
    held a moment and go out as one frame, as over SSE (``DASH_LIVE_BUSY_HOLD``).

    After a cancel or the timeout only the end frame is worth sending: it waits up to the
    keep-alive interval for a place, so a page still there learns how the stream ended and a
    page that went away without a word holds nothing for long.
    """

    def __init__(
        self,
        server: AsyncServer,
        sid: str,
        stream_id: str,
        gone: asyncio.Event,
        settings: StreamSettings,
    ) -> None:
        self._server = server
        self._sid = sid
        self._stream_id = stream_id
        self._gone = gone
        self._grace = settings.keepalive
        self._window = Window()
        self._sent = 0
        # What emit would send of a frame, up to its kind and data: a Socket.IO EVENT ("2") on
        # namespace "/", its arguments encoded as SocketJSON encodes them. Built once: per frame
        # only the kind (a fixed word) and the data (JSON already) are added.
        self._packet_head = f"2[{to_json(wire.FRAME_EVENT)},{to_json(stream_id)},"
        super().__init__(settings, str)  # a batch is emitted as it is: the frame is the emit

    def _emit(self, kind: wire.FrameKind, data: str) -> Awaitable[None]:
        self._sent += 1
        asks = asks_ack(self._sent)
        if not asks:
            eio_sid = self._server.manager.eio_sid_from_sid(self._sid, "/")
            if eio_sid is not None:  # None: the connection has just gone
                return self._server.eio.send(eio_sid, f'{self._packet_head}"{kind}",{data}]')
        return self._server.emit(
            wire.FRAME_EVENT,
            (self._stream_id, kind, RawJSON(data)),
            to=self._sid,
            namespace="/",
            callback=self._window.acked if asks else None,
            # The connection lives in this process (it sent the request): skip the queue.
            ignore_queue=True,
        )

    async def _emit_when_free(self, kind: wire.FrameKind, data: str) -> None:
        await self._window.take()
        await self._emit(kind, data)

    def deliver(self, text: str) -> Awaitable[None]:
        if self._window.take_now():  # the hot path: send's own coroutine, nothing around it
            return self._emit("update", text)
        return self._emit_when_free("update", text)

    def start(self) -> None:
        # The acknowledgement of the start event tells the page; nothing to send.
        return None

    def send(self, frame: Frame) -> Awaitable[None] | None:
        if isinstance(frame, KeepAlive):
            return None  # Engine.IO's own pings watch the connection
        if isinstance(frame, Updates):
            return self.offer(frame.batch)
        return self._emit_when_free(frames.kind(frame), frames.data(frame))

    async def finish(self, closing: list[Frame]) -> None:
        held = await self._hold.settle()
        last: list[tuple[wire.FrameKind, str]] = [("update", held)] if held else []
        last += [(frames.kind(f), frames.data(f)) for f in closing if not isinstance(f, KeepAlive)]
        for kind, data in last:
            if self._gone.is_set():
                return
            try:
                await asyncio.wait_for(self._window.take(), self._grace)
            except asyncio.TimeoutError:  # not the builtin before Python 3.11
                logger.warning(
                    "the page of Socket.IO stream %s stopped acknowledging; closed without "
                    "telling it",
                    self._stream_id,
                )
                return
            await self._emit(kind, data)


class SocketStreams:
    """The event-callback streams of one Socket.IO server on an ASGI app.

    :func:`install` registers its handlers; the server calls :meth:`closed` when a connection
    goes away.
    """

    def __init__(self, app: dash.Dash, server: AsyncServer) -> None:
        self._app = app
        self._server = server
        self._gone: dict[str, asyncio.Event] = {}  # sid -> set when it disconnects
        self._serving: set[asyncio.Task[None]] = set()  # held: the loop keeps weak references

    async def start(self, sid: str, *args: object) -> dict[str, Any]:
        if len(args) != 1:
            return wrong_arguments(wire.START_EVENT, "the stream request", args)
        environ = self._server.get_environ(sid) or {}
        facts = _http_facts(environ)
        body = args[0]

        async def json_body() -> object:
            return body

        try:
            opened = await open_stream(
                self._app, json_body, facts, facts.remote or "?", owner_key(sid)
            )
        except StreamRequestError as error:
            return {"error": str(error), "status": error.status}
        gone = self._gone.setdefault(sid, asyncio.Event())
        task = asyncio.get_running_loop().create_task(self._serve(opened, sid, gone))
        self._serving.add(task)
        task.add_done_callback(self._serving.discard)
        return {"ok": True}

    async def _serve(self, opened: OpenStream, sid: str, gone: asyncio.Event) -> None:
        stream_id = opened.prepared.request.stream_id
        sink = SocketSink(self._server, sid, stream_id, gone, opened.settings)
        try:
            await serve(opened.prepared, opened.run, opened.settings, opened.debug, sink, gone.wait)
        except Exception:
            logger.exception(
                "the Socket.IO stream %s of %s broke",
                stream_id,
                opened.prepared.request.callback.key,
            )
        finally:
            opened.close()

    async def cancel(self, sid: str, *args: object) -> dict[str, Any] | None:
        stream_id = cancelled_stream(args[0]) if len(args) == 1 else None
        if stream_id is None:
            return wrong_arguments(wire.CANCEL_EVENT, "{'stream': id}", args)
        # Someone else's stream, or one that has ended, is answered as a cancelled one.
        live_streams.cancel(stream_id, owner_key(sid))
        return None

    def closed(self, sid: str) -> None:
        """The connection ``sid`` went away: its streams end, and nothing more goes to it."""
        gone = self._gone.pop(sid, None)
        if gone is not None:
            gone.set()
        cancelled = live_streams.cancel_owner(owner_key(sid))
        if cancelled:
            logger.debug("cancelled %d streams of disconnected socket %s", cancelled, sid)


def install(app: dash.Dash, server: AsyncServer) -> SocketStreams:
    """Serve ``app``'s event-callback streams over ``server`` (called by ``attach_socketio``)."""
    streams = SocketStreams(app, server)
    # Handlers of any arguments: a client may emit an event with none or several (issue 12).
    server.on(wire.START_EVENT, streams.start)
    server.on(wire.CANCEL_EVENT, streams.cancel)
    attached_servers.add(app.server)
    return streams


def _http_facts(environ: dict[str, Any]) -> HttpFacts:
    """What ``dash.ctx`` tells a generator of the request that opened the connection."""
    scope: dict[str, Any] = environ.get("asgi.scope", {})
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }
    cookies = SimpleCookie()
    cookies.load(headers.get("cookie", ""))
    client = scope.get("client")
    query = environ.get("QUERY_STRING", "")
    return HttpFacts(
        cookies={name: morsel.value for name, morsel in cookies.items()},
        headers=headers,
        path=environ.get("PATH_INFO", "") + (f"?{query}" if query else ""),
        # python-socketio's environ says 127.0.0.1 for every client; the scope knows better.
        remote=client[0] if client else None,
        origin=headers.get("origin"),
    )
