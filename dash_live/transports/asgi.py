"""The asyncio driver of event callbacks, shared by Dash's ASGI backends (FastAPI, Quart).

A backend's routes check the request, register a :class:`LoopStream` and call :func:`serve`
with two things of their own: how to write a body chunk, and how to learn that the client went
away. Everything else is here:

- an ``async def`` generator runs on the server's event loop, driven inline: each yielded
  update goes through the session (:mod:`dash_live.core.session`) and is written before the
  generator is resumed (while the loop is busy, held for a moment to go out with the next ones:
  :mod:`dash_live.transports.write_hold`). No thread and no queue sit between the two, so the
  write is the backpressure and an open stream costs one coroutine and its task;
- a plain generator runs in a thread of its own (:class:`~dash_live.callbacks.runner.
  StreamRunner`) and wakes the loop through its hand-off's ``on_filled``; what queued up
  meanwhile is folded by the session before it is written.

Meanwhile the serving task watches the client, the clock and the silence: a disconnect, a
cancel request or the timeout cancels an async generator at the ``await`` it is waiting on and
closes a sync one at its next ``yield``; after ``DASH_LIVE_KEEPALIVE`` seconds of silence a
keep-alive comment goes out.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable

from ..callbacks.runner import StreamRunner
from ..callbacks.settings import StreamSettings
from ..callbacks.streams import PreparedStream, new_session
from ..core.frames import Frame, KeepAlive, Updates
from ..core.session import Failed, Finished, StreamSession
from ..core.sse import KEEP_ALIVE, EndReason, sse_text
from ..core.stream_props import updates_of
from .write_hold import WriteHold, load_of

__all__ = ["SLICE", "LoopStream", "Write", "serve"]

logger = logging.getLogger("dash_live")

#: Writes one chunk of the response body.
Write = Callable[[str], Awaitable[None]]
#: The longest an async generator's stream runs on the loop without letting others run, seconds.
SLICE = 0.01


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
    write: Write,
    disconnected: Callable[[], Awaitable[None]],
) -> None:
    """Run the stream to its end, writing its frames with ``write``; ``disconnected()`` returns
    when the client has gone away. The response's headers must have been sent."""
    loop = asyncio.get_running_loop()
    load = load_of(loop)
    load.open()
    hold = WriteHold(load, write, settings.busy_hold, settings.busy_share)
    session = new_session(prepared.request, settings, debug, loop.time())
    try:
        await write(KEEP_ALIVE)  # out at once, so the page knows the stream started
        await _watch(prepared, stream, session, write, hold, disconnected)
    finally:
        hold.drop()
        load.close()


async def _watch(
    prepared: PreparedStream,
    stream: LoopStream,
    session: StreamSession,
    write: Write,
    hold: WriteHold,
    disconnected: Callable[[], Awaitable[None]],
) -> None:
    """Run the pump; meanwhile watch the client, the clock and the silence."""
    loop = asyncio.get_running_loop()
    # A task runs in a copy of the context it is created in: the pump runs in the request's,
    # so dash.ctx works in an async generator (create_task(context=) needs Python 3.11).
    pump = prepared.context.run(asyncio.create_task, _pump(prepared, stream, session, write, hold))
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
                await write(KEEP_ALIVE)
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
    write: Write,
    hold: WriteHold,
) -> None:
    func = prepared.request.callback.func
    try:
        if inspect.isasyncgenfunction(func):
            await _drive_async(prepared, stream, session, write, hold)
        else:
            await _drive_sync(prepared, session, write, hold)
    except asyncio.CancelledError:
        # Stopped on purpose: what follows still writes (uncancel exists from Python 3.11).
        uncancel = getattr(asyncio.current_task(), "uncancel", None)
        if uncancel is not None:
            uncancel()
        if not stream.gone:
            timed_out = stream.reason == "timeout"
            await _finish(write, hold, session.stop("timeout" if timed_out else "cancelled"))
        return
    except Exception as error:  # reported to the page, logged by the session
        session.feed([Failed(error)])
        await _finish(write, hold, session.frames(asyncio.get_running_loop().time()))
        return


async def _drive_async(
    prepared: PreparedStream,
    stream: LoopStream,
    session: StreamSession,
    write: Write,
    hold: WriteHold,
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
            # loop is busy and the stream holds it (write_hold), it is sent at once.
            updates = updates_of(value)
            batch = session.batch_now(updates, now)
            if batch is not None:
                text = hold.offer(batch)
                if text is not None:
                    if hold.flushing is not None:  # rare: no coroutine call on the hot path
                        await hold.wait_flush()
                    await write(text)
                continue
            # Not at once (past the deadline, most likely): the session says what goes out.
            session.feed((updates,))
            out = session.frames(now)
            if session.over:  # past the deadline: the notice, after what is held
                await _finish(write, hold, out)
                return
            for frame in out:
                await _offer(frame, write, hold)
    finally:
        await generator.aclose()
    # Returned: the end follows what is still held.
    session.feed([Finished(cancelled=stream.reason is not None)])
    await _finish(write, hold, session.frames(loop.time()))


async def _drive_sync(
    prepared: PreparedStream, session: StreamSession, write: Write, hold: WriteHold
) -> None:
    spec = prepared.request.callback
    loop = asyncio.get_running_loop()
    runner = StreamRunner(spec.func, prepared.args, prepared.context, name=f"dash-live:{spec.name}")
    filled = asyncio.Event()

    def wake() -> None:  # from the generator's thread, when the empty hand-off gets an item
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
                    await _finish(write, hold, out)
                    return
                for frame in out:
                    await _offer(frame, write, hold)
                if not session.pending:
                    break
    finally:
        # However the run ends: a sync generator is closed at its next yield.
        runner.cancel()


async def _offer(frame: Frame, write: Write, hold: WriteHold) -> None:
    """Write one frame that is not the last, through the hold when it is an update."""
    if isinstance(frame, Updates):
        text = hold.offer(frame.batch)
        if text is None:
            return
        if hold.flushing is not None:  # rare: no coroutine call on the hot path
            await hold.wait_flush()
    else:
        text = sse_text(frame)
    await write(text)


async def _finish(write: Write, hold: WriteHold, frames: list[Frame]) -> None:
    """Write a stream's closing frames after whatever updates are still held (in one write)."""
    held = await hold.settle()
    text = "".join([held or "", *(sse_text(frame) for frame in frames)])
    if text:
        await write(text)
