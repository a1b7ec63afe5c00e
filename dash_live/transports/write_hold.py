"""Held writes on an event loop: while the loop's thread is busy, each stream on it holds its
updates for a moment and writes them together, as one ``update`` event (why and when:
:mod:`dash_live.transports.busy`).

:class:`LoopLoad` samples the CPU time of the loop's own thread every
:data:`~dash_live.transports.busy.TICK`
while streams are open, so other threads' work (a sync generator, a plain callback) does not
make the loop look busy.

What is held is text, not objects: each batch is encoded when it is yielded and kept as the
inside of its JSON array, so held updates are plain strings, which the cyclic garbage
collector never scans (holding ``Update`` tuples for 40 ms promoted them into the old
generation and doubled the full collections, each a 100 ms pause of the whole loop).

A stream that goes quiet with updates held is flushed by the tick, in a task of its own; the
stream waits for that write before its next one, so the order of updates is kept.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable

from ..core.sse import update_event
from .busy import TICK, Holding, Load

__all__ = ["MAX_HELD_BYTES", "LoopLoad", "WriteHold", "load_of"]

#: Held text is written at once past this size: holding saves writes of small updates, and a
#: producer of large ones would otherwise pile up megabytes in one hold.
MAX_HELD_BYTES = 256 * 1024

Write = Callable[[str], Awaitable[None]]

_loads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopLoad] = weakref.WeakKeyDictionary()


def load_of(loop: asyncio.AbstractEventLoop) -> LoopLoad:
    """The :class:`LoopLoad` of ``loop``, made on first use."""
    load = _loads.get(loop)
    if load is None:
        load = _loads[loop] = LoopLoad(loop)
    return load


class LoopLoad(Load):
    """The share of one core an event loop's thread has used lately (a :class:`Load`).

    Sampled by a timer on the loop while at least one stream is open (:meth:`open`,
    :meth:`close`); each tick also flushes the held updates of streams that have gone quiet.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        # Weakly: a value of _loads that held its key strongly would keep every loop alive.
        self._loop = weakref.ref(loop)
        self._open = 0
        self._timer: asyncio.TimerHandle | None = None
        self._holding: set[WriteHold] = set()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop()
        if loop is None:  # only streams on the loop use its load, and they keep it alive
            raise RuntimeError("this LoopLoad's event loop no longer exists")
        return loop

    def open(self) -> None:
        """A stream opened on this loop: sample while any is open. Call on the loop's thread."""
        self._open += 1
        if self._timer is None:
            self._timer = self.loop.call_later(TICK, self._tick)

    def close(self) -> None:
        """A stream on this loop ended."""
        self._open -= 1

    def watch(self, hold: WriteHold) -> None:
        """``hold`` holds updates now: flush them if it goes quiet."""
        self._holding.add(hold)

    def unwatch(self, hold: WriteHold) -> None:
        self._holding.discard(hold)

    def _tick(self) -> None:
        now = self.loop.time()
        self.sample(now, time.thread_time())  # this thread's CPU only
        for hold in [h for h in self._holding if h.overdue(now)]:
            hold.flush_soon()
        if self._open > 0:
            self._timer = self.loop.call_later(TICK, self._tick)
        else:  # idle: forget the load, and start afresh with the next stream
            self._timer = None
            self.restart()


class WriteHold:
    """One stream's held updates (see the module doc).

    ``write`` sends a text to the client; ``hold`` and ``busy_share`` are as for
    :class:`~dash_live.transports.busy.Holding`. ``frame`` makes that text of one encoded
    batch: an SSE ``update`` event by default; a transport that frames batches itself (the
    socket's emits) passes ``str`` and gets the batch as it is.
    """

    def __init__(
        self,
        load: LoopLoad,
        write: Write,
        hold: float,
        busy_share: float,
        frame: Callable[[str], str] = update_event,
    ) -> None:
        self._load = load
        self._write = write
        self._frame = frame
        self._holding = Holding(load, hold, busy_share)
        self._parts: list[str] = []  # the insides of the held batches' JSON arrays
        self._held = 0  # their total length
        self._until = 0.0
        self.flushing: asyncio.Task[None] | None = None

    def offer(self, batch: str) -> str | None:
        """The text to write now for ``batch`` (an encoded batch), or None when it is held.

        What is written now carries whatever was held before ``batch``, in order, as one event.
        """
        now = self._load.loop.time()
        if not self._parts:
            until = self._holding.until(now)
            if until is None:
                return self._frame(batch)
            self._until = until
            self._load.watch(self)
        self._parts.append(batch[1:-1])
        self._held += len(batch)
        if now < self._until and self._held < MAX_HELD_BYTES:
            return None
        return self.take()

    def take(self) -> str | None:
        """Everything held, as one frame of one batch (None when nothing is held)."""
        if not self._parts:
            return None
        text = self._frame(f"[{','.join(self._parts)}]")
        self._parts.clear()
        self._held = 0
        self._load.unwatch(self)
        return text

    def overdue(self, now: float) -> bool:
        """Held past its time by more than a tick: the stream has gone quiet."""
        return bool(self._parts) and now >= self._until + TICK

    def flush_soon(self) -> None:
        """Write what is held from a task of its own (the stream is waiting elsewhere)."""
        if self.flushing is None:
            self.flushing = self._load.loop.create_task(self._flush())

    async def _flush(self) -> None:
        try:
            text = self.take()
            if text is not None:
                await self._write(text)
        finally:
            self.flushing = None

    async def wait_flush(self) -> None:
        """Wait for a flush in flight (see :attr:`flushing`): the stream's next write follows it."""
        if self.flushing is not None:
            # Shielded: a stream cancelled while it waits must not cancel the write itself.
            await asyncio.shield(self.flushing)

    async def settle(self) -> str | None:
        """Wait for a flush in flight; return what is still held (see :meth:`take`).

        Call before writing anything that must follow the updates yielded so far.
        """
        await self.wait_flush()
        return self.take()

    def drop(self) -> None:
        """The client has gone: forget what is held."""
        self._parts.clear()
        self._held = 0
        self._load.unwatch(self)
