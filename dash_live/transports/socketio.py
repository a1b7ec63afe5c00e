"""The Socket.IO transport of event callbacks: all streams of a tab over the page's connection.

With one HTTP response per stream, a browser holds at most six connections per origin over
HTTP/1.1: the seventh stream, and every normal callback, waits for one to free up. Over the
page's Socket.IO connection any number of streams share one WebSocket.

Wire format, namespace ``/``::

    client -> server  "dash-live:stream"  <the body of a stream request>   ack: {"ok": true}
                                                                           or {"error", "status"}
    client -> server  "dash-live:cancel"  {"stream": id}                     ack: none, or
                                                                           {"error", "status"}
    server -> client  "dash-live:frame"   stream id, kind, data            ack: once applied,
                                                                           every ACK_EVERY-th

``kind`` and ``data`` are a frame's (:mod:`dash_live.core.frames`), the same JSON as over SSE
(``update``: a batch, ``error``: ``{message, traceback}``, ``end``: ``{reason}``). Every
:data:`~dash_live.transports.socket_wire.ACK_EVERY`-th frame of a stream asks for an
acknowledgement, which stands for it and the frames before it. At most
:data:`WINDOW` frames of a stream are unacknowledged at a time: a slow page holds the producer
back through the runner's bounded hand-off instead of letting frames pile up in memory. A
disconnect cancels every stream of that connection on the server. A client event with other
arguments than these is answered with ``{"error", "status"}`` naming what was expected.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import flask

from ..callbacks.request import StreamRequest, StreamRequestError
from ..callbacks.runner import StreamRunner
from ..callbacks.settings import StreamSettings
from ..callbacks.streams import (
    cancelled_stream,
    debug_mode,
    live_streams,
    new_session,
    run_frames,
    start_stream,
)
from ..core import frames, wire
from ..core.frames import End, KeepAlive
from ..core.serialize import RawJSON
from .flask_request import client_address, flask_facts
from .socket_wire import ACK_EVERY, WINDOW, asks_ack, owner_key, wrong_arguments


class SocketServer(Protocol):
    """What this transport uses of :class:`dash_live.LiveSocketIO` (the push layer, above the
    transports, installs it)."""

    server: Any

    def on_reserved(self, message: str) -> Callable[..., Any]: ...

    def start_background_task(self, target: Callable[..., Any], *args: Any) -> Any: ...


__all__ = ["CANCEL_EVENT", "FRAME_EVENT", "START_EVENT", "WINDOW", "install"]

START_EVENT = wire.START_EVENT
CANCEL_EVENT = wire.CANCEL_EVENT
FRAME_EVENT = wire.FRAME_EVENT
logger = logging.getLogger("dash_live")


class Window:
    """The frames of one stream sent and not yet acknowledged, at most :data:`WINDOW`.

    :meth:`room_for` waits on a condition that an acknowledgement or a cancel wakes: nobody
    polls.
    """

    def __init__(self, size: int = WINDOW) -> None:
        self._free = size
        self._cancelled = False
        self._changed = threading.Condition()

    def release(self, count: int = 1) -> None:
        """The page acknowledged ``count`` frames."""
        with self._changed:
            self._free += count
            self._changed.notify()

    def acked(self, *_answer: object) -> None:
        """Socket.IO's callback of a frame that asked for an acknowledgement."""
        self.release(ACK_EVERY)

    def cancel(self) -> None:
        """The run was cancelled (a cancel, a disconnect): nobody reads the updates any more."""
        with self._changed:
            self._cancelled = True
            self._changed.notify()

    def room_for(self, end: bool, deadline: float, grace: float) -> bool:
        """Take a place for a frame, waiting until ``deadline`` (monotonic); False when the
        frame is not worth sending any more. After a cancel only the end frame is, for up to
        ``grace`` seconds: a page still there learns how the stream ended, and a page that went
        away never acknowledges, so its wait is bounded as a vanished HTTP client's is."""
        with self._changed:
            if not self._changed.wait_for(
                lambda: self._free > 0 or self._cancelled, deadline - time.monotonic()
            ):
                return False
            if self._free <= 0:  # cancelled, and the window is full
                if not end or not self._changed.wait_for(lambda: self._free > 0, grace):
                    return False
            elif self._cancelled and not end:
                return False
            self._free -= 1
            return True


def _pump(
    socketio: SocketServer,
    sid: str,
    request: StreamRequest,
    runner: StreamRunner,
    settings: StreamSettings,
    debug: bool,
) -> None:
    stream_id = request.stream_id
    window = Window()
    runner.on_cancel(window.cancel)
    session = new_session(request, settings, debug, time.monotonic())
    sent = 0
    try:
        for group in run_frames(session, runner):
            for frame in group:
                if isinstance(frame, KeepAlive):
                    continue  # Engine.IO's own pings watch the connection.
                # run_frames enforces the timeout between the frames it makes; a page that
                # stops acknowledging holds the pump here instead, until the same deadline.
                if not window.room_for(
                    isinstance(frame, End), session.deadline, settings.keepalive
                ):
                    if not runner.cancelled.is_set():
                        logger.warning(
                            "the page of Socket.IO stream %s stopped acknowledging; closed at "
                            "its timeout",
                            stream_id,
                        )
                    return
                sent += 1
                socketio.server.emit(
                    FRAME_EVENT,
                    (stream_id, frames.kind(frame), RawJSON(frames.data(frame))),
                    to=sid,
                    namespace="/",
                    callback=window.acked if asks_ack(sent) else None,
                    # The connection lives in this process (it sent the request): skip the queue.
                    ignore_queue=True,
                )
    except Exception:
        logger.exception("the Socket.IO stream %s of %s broke", stream_id, request.callback.key)
    finally:
        runner.cancel()
        live_streams.close(stream_id)


def install(socketio: SocketServer) -> None:
    """Serve event-callback streams over ``socketio`` (called by ``attach_socketio``)."""

    # The handlers take any arguments: a client may emit an event with none or several, and a
    # handler of one parameter would raise TypeError in Socket.IO's thread, leaving the caller
    # waiting for an acknowledgement that never comes (issue 12).

    @socketio.on_reserved(START_EVENT)
    def start(*args: object) -> dict[str, Any]:
        if len(args) != 1:
            return wrong_arguments(START_EVENT, "the stream request", args)
        sid: str = flask.request.sid  # type: ignore[attr-defined]
        settings = StreamSettings.from_config(flask.current_app.config)
        try:
            request, runner = start_stream(
                args[0], flask_facts(), client_address(), settings, owner_key(sid)
            )
        except StreamRequestError as error:
            return {"error": str(error), "status": error.status}
        socketio.start_background_task(
            _pump, socketio, sid, request, runner, settings, debug_mode()
        )
        return {"ok": True}

    @socketio.on_reserved(CANCEL_EVENT)
    def cancel(*args: object) -> dict[str, Any] | None:
        stream_id = cancelled_stream(args[0]) if len(args) == 1 else None
        if stream_id is None:
            # Refused by name, as the HTTP cancel route refuses it (a page asks no answer).
            return wrong_arguments(CANCEL_EVENT, "{'stream': id}", args)
        sid: str = flask.request.sid  # type: ignore[attr-defined]
        # Someone else's stream, or one that has ended, is answered as a cancelled one: the
        # answer tells nobody which ids run.
        live_streams.cancel(stream_id, owner_key(sid))
        return None


def cancel_connection_streams(sid: str) -> None:
    """Cancel the streams of a connection that went away."""
    cancelled = live_streams.cancel_owner(owner_key(sid))
    if cancelled:
        logger.debug("cancelled %d streams of disconnected socket %s", cancelled, sid)
