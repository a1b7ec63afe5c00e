"""The Socket.IO transport of event callbacks: all streams of a tab over the page's connection.

With one HTTP response per stream, a browser holds at most six connections per origin over
HTTP/1.1: the seventh stream, and every normal callback, waits for one to free up. Over the
page's Socket.IO connection any number of streams share one WebSocket.

Wire format, namespace ``/``::

    client -> server  "dash-live:stream"  <the body of a stream request>   ack: {"ok": true}
                                                                           or {"error", "status"}
    client -> server  "dash-live:cancel"  {"stream": id}                     ack: none, or
                                                                           {"error", "status"}
    server -> client  "dash-live:frame"   stream id, kind, data            ack: once applied

``kind`` and ``data`` are those of :mod:`dash_live.stream_session` (``update``: a batch,
``error``: ``[message, traceback]``, ``end``: the reason). At most :data:`WINDOW` frames of a
stream are unacknowledged at a time: a slow page holds the producer back through the runner's
bounded hand-off instead of letting frames pile up in memory. A disconnect cancels every stream
of that connection on the server. A client event with other arguments than these is answered
with ``{"error", "status"}`` naming what was expected.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import flask

from . import wire
from .runner import StreamRunner
from .serialize import RawJSON
from .settings import StreamSettings
from .stream_request import StreamRequest, StreamRequestError
from .stream_session import cancelled_stream, debug_mode, frames, live_streams, start_stream

if TYPE_CHECKING:
    from .socketio_server import LiveSocketIO

__all__ = ["CANCEL_EVENT", "FRAME_EVENT", "START_EVENT", "WINDOW", "install"]

START_EVENT = wire.START_EVENT
CANCEL_EVENT = wire.CANCEL_EVENT
FRAME_EVENT = wire.FRAME_EVENT
#: Frames of one stream in flight (sent, not yet acknowledged by the page).
WINDOW = 8
_POLL = 0.2  # how often a pump waiting for acknowledgements looks for cancellation

logger = logging.getLogger("dash_live")


def owner_key(sid: str) -> str:
    """Who owns a stream started over a connection: that connection alone cancels it."""
    return "sid:" + sid


def client_address() -> str:
    """The address of the connecting client (the handshake's), against which its streams count:
    a second socket of the same client shares the limit, as HTTP streams do."""
    return flask.request.remote_addr or "?"


def _pump(
    socketio: LiveSocketIO,
    sid: str,
    request: StreamRequest,
    runner: StreamRunner,
    settings: StreamSettings,
    debug: bool,
) -> None:
    in_flight = threading.BoundedSemaphore(WINDOW)
    stream_id = request.stream_id

    def send(kind: str, data: Any, release: Callable[..., None]) -> None:
        socketio.server.emit(
            FRAME_EVENT,
            (stream_id, kind, data),
            to=sid,
            namespace="/",
            callback=release,
            # The connection lives in this process (it sent the request): skip the queue.
            ignore_queue=True,
        )

    # frames() enforces the timeout between the frames it makes; a page that stops
    # acknowledging holds the pump here instead, so the wait enforces the same deadline.
    deadline = time.monotonic() + (request.callback.timeout or settings.timeout)

    def room_for(kind: str) -> bool:
        """Wait for room in the window; False when the frame is not worth sending any more."""
        let_go = None
        while not in_flight.acquire(timeout=_POLL):
            now = time.monotonic()
            if now > deadline:
                logger.warning(
                    "the page of Socket.IO stream %s stopped acknowledging; closed at its timeout",
                    stream_id,
                )
                return False
            if runner.cancelled.is_set():
                if kind != "end":
                    return False  # cancelled or disconnected: nobody is reading any more
                # The end frame tells a page that is still there how the stream ended (after
                # a cancel it sent); a page that went away never acknowledges, so its wait is
                # bounded by the keep-alive interval, as a vanished HTTP client's is.
                let_go = now + settings.keepalive if let_go is None else let_go
                if now > let_go:
                    return False
        return True

    try:
        for group in frames(request, runner, settings, debug):
            for kind, data in group:
                if kind == "keepalive":
                    continue  # Engine.IO's own pings watch the connection.
                if not room_for(kind):
                    return
                payload = RawJSON(data) if kind == "update" else data
                send(kind, payload, lambda *_: in_flight.release())
    except Exception:
        logger.exception("the Socket.IO stream %s of %s broke", stream_id, request.callback.key)
    finally:
        runner.cancel()
        live_streams.close(stream_id)


def install(socketio: LiveSocketIO) -> None:
    """Serve event-callback streams over ``socketio`` (called by ``attach_socketio``)."""

    # The handlers take any arguments: a client may emit an event with none or several, and a
    # handler of one parameter would raise TypeError in Socket.IO's thread, leaving the caller
    # waiting for an acknowledgement that never comes (issue 12).

    @socketio.on_reserved(START_EVENT)
    def start(*args: object) -> dict[str, Any]:
        if len(args) != 1:
            return _wrong_arguments(START_EVENT, "the stream request", args)
        sid: str = flask.request.sid  # type: ignore[attr-defined]
        settings = StreamSettings.from_config(flask.current_app.config)
        try:
            request, runner = start_stream(args[0], client_address(), settings, owner_key(sid))
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
            return _wrong_arguments(CANCEL_EVENT, "{'stream': id}", args)
        sid: str = flask.request.sid  # type: ignore[attr-defined]
        # Someone else's stream, or one that has ended, is answered as a cancelled one: the
        # answer tells nobody which ids run.
        live_streams.cancel(stream_id, owner_key(sid))
        return None


def _wrong_arguments(event: str, expected: str, args: tuple[object, ...]) -> dict[str, Any]:
    """The answer to an event that did not carry the one argument it takes."""
    got = f"{len(args)} arguments" if len(args) != 1 else f"{args[0]!r:.80}"
    return {"error": f"{event} takes one argument, {expected}; got {got}", "status": 400}


def cancel_connection_streams(sid: str) -> None:
    """Cancel the streams of a connection that went away."""
    cancelled = live_streams.cancel_owner(owner_key(sid))
    if cancelled:
        logger.debug("cancelled %d streams of disconnected socket %s", cancelled, sid)
