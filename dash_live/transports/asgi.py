"""The asyncio driver of event callbacks, shared by Dash's ASGI backends (FastAPI, Quart).

A transport checks the request, registers a :class:`LoopStream` and calls :func:`serve` with
two things of its own: a :class:`Sink` that puts frames on its wire, and how to learn that the
client went away. An HTTP route's sink is :class:`SSESink` (Server-Sent Events text, through a
:class:`~dash_live.transports.write_hold.WriteHold`); the Socket.IO transport's emits each frame
(:mod:`dash_live.transports.asgi_socketio`). Everything else is here:

- an ``async def`` generator runs on the server's event loop, driven inline: each yielded
  update goes through the session (:mod:`dash_live.core.session`) and is handed to the sink
  before the generator is resumed. No thread and no queue sit between the two, so the sink's
  write is the backpressure and an open stream costs one coroutine and its task;
- a plain generator runs in a thread of its own (:class:`~dash_live.callbacks.runner.
  StreamRunner`) and wakes the loop through its hand-off's ``on_filled``; what queued up
  meanwhile is folded by the session before it is written.

Meanwhile the serving task watches the client, the clock and the silence: a disconnect, a
cancel request or the timeout cancels an async generator at the ``await`` it is waiting on and
closes a sync one at its next ``yield``; after ``DASH_LIVE_KEEPALIVE`` seconds of silence the
sink is asked for a keep-alive (an SSE comment; nothing on a socket, whose pings watch it).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from ..callbacks.runner import StreamRunner
from ..callbacks.settings import StreamSettings
from ..callbacks.streams import PreparedStream, new_session
from ..core.frames import Frame, KeepAlive, Updates
from ..core.session import Failed, Finished, StreamSession
from ..core.sse import KEEP_ALIVE, EndReason, sse_text, update_event
from ..core.stream_props import updates_of
from .write_hold import WriteHold, load_of

__all__ = ["SLICE", "HeldSink", "LoopStream", "SSESink", "Sink", "Write", "serve", "serve_sse"]

logger = logging.getLogger("dash_live")

#: Writes one chunk of the response body.
Write = Callable[[str], Awaitable[None]]
#: The longest an async generator's stream runs on the loop without letting others run, seconds.
SLICE = 0.01


class Sink(Protocol):
    """Where one stream's frames go, as :func:`serve` hands them over (in order, one at a time).

    ``start``, ``offer`` and ``send`` are plain methods that return what to await, None when
    there is nothing to wait for: the hot path, once per yield, makes no coroutine it does not
    need.
    """

    def start(self) -> Awaitable[None] | None:
        """The stream started: tell the page at once (called before anything else)."""

    def offer(self, batch: str) -> Awaitable[None] | None:
        """An encoded batch of updates: send it now or hold it to go out with the next."""

    def send(self, frame: Frame) -> Awaitable[None] | None:
        """A frame other than updates that is not the last (a keep-alive, as a rule)."""

    async def finish(self, frames: list[Frame]) -> None:
        """The closing frames, after whatever is still held; called at most once."""

    def drop(self) -> None:
        """The stream is over (however it ended): let go of what is held."""


class HeldSink:
    """The part of a :class:`Sink` that holds updates while the loop is busy
    (:class:`~dash_live.transports.write_hold.WriteHold`); a subclass says how a text is
    delivered (:meth:`deliver`) and ``frame`` how a batch becomes that text."""

    def __init__(self, settings: StreamSettings, frame: Callable[[str], str]) -> None:
        self._load = load_of(asyncio.get_running_loop())
        self._load.open()
        self._hold = WriteHold(
            self._load, self.deliver, settings.busy_hold, settings.busy_share, frame
        )

    def deliver(self, text: str) -> Awaitable[None]:
        """Put ``text`` (one or more batches, framed) on the wire."""
        raise NotImplementedError

    def offer(self, batch: str) -> Awaitable[None] | None:
        text = self._hold.offer(batch)
        if text is None:
            return None
        if self._hold.flushing is not None:  # rare: the hot path awaits send's own coroutine
            return self._after_flush(text)
        return self.deliver(text)

    async def _after_flush(self, text: str) -> None:
        await self._hold.wait_flush()
        await self.deliver(text)

    def drop(self) -> None:
        self._hold.drop()
        self._load.close()


class SSESink(HeldSink):
    """A :class:`Sink` writing Server-Sent Events text with ``write``."""

    def __init__(self, write: Write, settings: StreamSettings) -> None:
        self._write = write
        super().__init__(settings, update_event)

    def deliver(self, text: str) -> Awaitable[None]:
        return self._write(text)

    def start(self) -> Awaitable[None]:
        return self._write(KEEP_ALIVE)

    def send(self, frame: Frame) -> Awaitable[None] | None:
        if isinstance(frame, Updates):
            return self.offer(frame.batch)
        return self._write(sse_text(frame))

    async def finish(self, frames: list[Frame]) -> None:
        held = await self._hold.settle()
        text = "".join([held or "", *(sse_text(frame) for frame in frames)])
        if text:  # one write: the end goes out with the last updates
            await self._write(text)


class LoopStream:
    """One run on the event loop, as :data:`~dash_live.callbacks.streams.live_streams` holds it.

    :meth:`cancel` may be called from any thread; the run stops with ``reason``.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.reason: EndReason | None = None
        self.gone = False
        self.pump: asyncio.Task[None] | None = None

    def cancel(self) -> None:
        # A closed loop (the server stopped) has nothing left to cancel.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.stop, "cancelled")

    def stop(self, reason: EndReason, gone: bool = False) -> None:
        """Stop the run (on the loop's thread); the first reason given is the one reported."""
        if self.reason is None:
            self.reason = reason
        self.gone = self.gone or gone
        if self.pump is not None and not self.pump.done():
            self.pump.cancel()


async def serve(
    prepared: PreparedStream,
    stream: LoopStream,
    settings: StreamSettings,
    debug: bool,
    sink: Sink,
    disconnected: Callable[[], Awaitable[object]],
) -> None:
    """Run the stream to its end, handing its frames to ``sink``; ``disconnected()`` returns
    when the client has gone away."""
    loop = asyncio.get_running_loop()
    session = new_session(prepared.request, settings, debug, loop.time())
    try:
        started = sink.start()
        if started is not None:
            await started
        await _watch(prepared, stream, session, sink, disconnected)
    finally:
        sink.drop()


async def serve_sse(
    prepared: PreparedStream,
    stream: LoopStream,
    settings: StreamSettings,
    debug: bool,
    write: Write,
    disconnected: Callable[[], Awaitable[object]],
) -> None:
    """:func:`serve` as a Server-Sent Events body written with ``write``. The response's
    headers must have been sent."""
    await serve(prepared, stream, settings, debug, SSESink(write, settings), disconnected)


async def _watch(
    prepared: PreparedStream,
    stream: LoopStream,
    session: StreamSession,
    sink: Sink,
    disconnected: Callable[[], Awaitable[object]],
) -> None:
    """Run the pump; meanwhile watch the client, the clock and the silence."""
    loop = asyncio.get_running_loop()
    # A task runs in a copy of the context it is created in: the pump runs in the request's,
    # so dash.ctx works in an async generator (create_task(context=) needs Python 3.11).
    pump = prepared.context.run(asyncio.create_task, _pump(prepared, stream, session, sink))
    stream.pump = pump
    if stream.reason is not None:  # cancelled before it started
        pump.cancel()
    listener = asyncio.ensure_future(disconnected())
    try:
        while not pump.done():
            now = loop.time()
            if now >= session.deadline and stream.reason is None:
                stream.stop("timeout")
            wait = session.wait(now) if stream.reason is None else None
            done, _ = await asyncio.wait(
                {pump, listener}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
            )
            if listener in done:
                if not pump.done():
                    stream.stop("cancelled", gone=True)
                await asyncio.wait({pump})
            elif (
                not done
                and loop.time() < session.deadline
                # The pump takes every frame as soon as it is fed, so all the session can say
                # here is that it was quiet for a keep-alive interval.
                and session.frames(loop.time()) == [KeepAlive()]
            ):
                sent = sink.send(KeepAlive())
                if sent is not None:
                    await sent
    finally:
        listener.cancel()
        if not pump.done():  # this task itself was cancelled (server shutdown)
            pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump


async def _pump(
    prepared: PreparedStream,
    stream: LoopStream,
    session: StreamSession,
    sink: Sink,
) -> None:
    func = prepared.request.callback.func
    try:
        if inspect.isasyncgenfunction(func):
            await _drive_async(prepared, stream, session, sink)
        else:
            await _drive_sync(prepared, session, sink)
    except asyncio.CancelledError:
        # Stopped on purpose: what follows still writes (uncancel exists from Python 3.11).
        uncancel = getattr(asyncio.current_task(), "uncancel", None)
        if uncancel is not None:
            uncancel()
        if not stream.gone:
            timed_out = stream.reason == "timeout"
            await sink.finish(session.stop("timeout" if timed_out else "cancelled"))
        return
    except Exception as error:  # reported to the page, logged by the session
        session.feed([Failed(error)])
        await sink.finish(session.frames(asyncio.get_running_loop().time()))
        return


async def _drive_async(
    prepared: PreparedStream,
    stream: LoopStream,
    session: StreamSession,
    sink: Sink,
) -> None:
    generator = prepared.request.callback.func(*prepared.args)
    loop = asyncio.get_running_loop()
    resumed = loop.time()
    try:
        async for value in generator:
            # A generator that never awaits (it yields from memory), writing to a client
            # whose send does not block yet, would never give the loop back: every other
            # request and stream of the process would wait. At most SLICE at a time.
            now = loop.time()
            if now - resumed >= SLICE:
                await asyncio.sleep(0)
                resumed = loop.time()
            # The hot path, once per yield: the session encodes the update and, unless the
            # sink holds it (write_hold: the loop is busy), it is sent at once.
            updates = updates_of(value)
            batch = session.batch_now(updates, now)
            if batch is not None:
                sending = sink.offer(batch)
                if sending is not None:
                    await sending
                continue
            # Not at once (past the deadline, most likely): the session says what goes out.
            session.feed((updates,))
            out = session.frames(now)
            if session.over:  # past the deadline: the notice, after what is held
                await sink.finish(out)
                return
            await _send(out, sink)
    finally:
        await generator.aclose()
    # Returned: the end follows what is still held.
    session.feed([Finished(cancelled=stream.reason is not None)])
    await sink.finish(session.frames(loop.time()))


async def _drive_sync(prepared: PreparedStream, session: StreamSession, sink: Sink) -> None:
    spec = prepared.request.callback
    loop = asyncio.get_running_loop()
    runner = StreamRunner(spec.func, prepared.args, prepared.context, name=f"dash-live:{spec.name}")
    filled = asyncio.Event()

    def wake() -> None:  # from the generator's thread, when the empty hand-off gets an item
        # A closed loop (the server stopped while the generator finished) has nobody to wake.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(filled.set)

    runner.items.on_filled = wake
    runner.start()
    try:
        while True:
            items = runner.items.take(timeout=0)
            if not items:
                filled.clear()
                items = runner.items.take(timeout=0)  # an item may have come before clear()
                if not items:
                    await filled.wait()
                    continue
            session.feed(items)
            while True:  # at most MAX_UPDATES_PER_FRAME a frame: a long backlog takes several
                out = session.frames(loop.time())
                if session.over:
                    await sink.finish(out)
                    return
                await _send(out, sink)
                if not session.pending:
                    break
    finally:
        # However the run ends: a sync generator is closed at its next yield.
        runner.cancel()


async def _send(out: list[Frame], sink: Sink) -> None:
    """Hand the sink frames that are not the last, in order."""
    for frame in out:
        sending = sink.send(frame)
        if sending is not None:
            await sending
