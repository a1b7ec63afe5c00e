"""Held writes: while an event loop is busy, each stream on it holds its updates for a moment
and writes them together, as one ``update`` event.

Why. On a loaded server most of what one streamed token costs is its write: a system call
that, on loopback, also runs the receiving side of TCP, plus the ASGI server's framing. At
1,000 clients x 100 tokens/s (benchmark S4) one core is saturated and every token waits for
the others'. Writing four tokens at once cuts the writes fourfold, for the reader too. The
price is latency, at most ``hold`` plus one tick, so it is paid only when the loop is busy:
an idle server writes each update the moment it is yielded.

How busy. :class:`LoopLoad` samples the CPU time of the loop's own thread every :data:`TICK`
while streams are open and keeps a moving average of its share of one core. A stream starts
holding when that share reaches ``busy_share`` and stops when it falls under half of it (the
gap keeps a load near the threshold from flipping the mode on every tick).

What is held is text, not objects: each batch is encoded when it is yielded and kept as the
inside of its JSON array, so held updates are plain strings, which the cyclic garbage
collector never scans (holding ``Update`` tuples for 40 ms promoted them into the old
generation and doubled the full collections, each a 100 ms pause of the whole loop).

A stream that goes quiet with updates held is flushed by the tick, in a task of its own; the
stream waits for that write before its next one, so the order of updates is kept.
"""

from __future__ import annotations

import asyncio
import random
import time
import weakref
from collections.abc import Awaitable, Callable

from .sse import update_event

__all__ = ["TICK", "LoopLoad", "WriteHold", "load_of"]

Write = Callable[[str], Awaitable[None]]

#: How often the load of a loop with open streams is sampled, seconds.
TICK = 0.02
#: Weight of the newest sample in the moving average: about 4 ticks of memory.
_ALPHA = 0.25

_loads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopLoad] = weakref.WeakKeyDictionary()


def load_of(loop: asyncio.AbstractEventLoop) -> LoopLoad:
    """The :class:`LoopLoad` of ``loop``, made on first use."""
    load = _loads.get(loop)
    if load is None:
        load = _loads[loop] = LoopLoad(loop)
    return load


class LoopLoad:
    """The share of one core an event loop's thread has used lately, as a moving average.

    Sampled by a timer on the loop while at least one stream is open (:meth:`open`,
    :meth:`close`); each tick also flushes the held updates of streams that have gone quiet.

    >>> loop = asyncio.new_event_loop()
    >>> load = LoopLoad(loop)
    >>> load.sample(at=1.0, cpu=0.0)   # the first sample only sets the baseline
    >>> load.sample(at=1.1, cpu=0.1)   # all of the last 0.1 s on the CPU
    >>> round(load.share, 2)
    0.25
    >>> loop.close()
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.share = 0.0
        self._open = 0
        self._at: float | None = None
        self._cpu = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._holding: set[WriteHold] = set()

    def open(self) -> None:
        """A stream opened on this loop: sample while any is open. Call on the loop's thread."""
        self._open += 1
        if self._timer is None:
            self._at = None
            self._timer = self.loop.call_later(TICK, self._tick)

    def close(self) -> None:
        """A stream on this loop ended."""
        self._open -= 1

    def sample(self, at: float, cpu: float) -> None:
        """Fold in a reading: ``at`` on the loop's clock, ``cpu`` the thread's CPU seconds."""
        if self._at is not None and at > self._at:
            used = min((cpu - self._cpu) / (at - self._at), 1.0)
            self.share += _ALPHA * (used - self.share)
        self._at, self._cpu = at, cpu

    def watch(self, hold: WriteHold) -> None:
        """``hold`` holds updates now: flush them if it goes quiet."""
        self._holding.add(hold)

    def unwatch(self, hold: WriteHold) -> None:
        self._holding.discard(hold)

    def _tick(self) -> None:
        now = self.loop.time()
        # thread_time: this thread's CPU only, so other threads' work (a sync generator, a
        # plain callback) does not make the loop look busy.
        self.sample(now, time.thread_time())
        for hold in [h for h in self._holding if h.overdue(now)]:
            hold.flush_soon()
        if self._open > 0:
            self._timer = self.loop.call_later(TICK, self._tick)
        else:  # idle: forget the load, and start afresh with the next stream
            self._timer = None
            self.share = 0.0


class WriteHold:
    """One stream's held updates (see the module doc).

    ``write`` sends a text to the client; ``hold`` is the longest an update is held, seconds
    (0: never); ``busy_share`` the load at which holding starts (0: always hold).
    """

    def __init__(self, load: LoopLoad, write: Write, hold: float, busy_share: float) -> None:
        self._load = load
        self._write = write
        self._hold = hold
        self._on = busy_share if hold > 0 else float("inf")
        self._off = busy_share / 2
        self._holding = False
        self._parts: list[str] = []  # the insides of the held batches' JSON arrays
        self._since = 0.0
        self.flushing: asyncio.Task[None] | None = None

    def offer(self, batch: str) -> str | None:
        """The text to write now for ``batch`` (an encoded batch), or None when it is held.

        What is written now carries whatever was held before ``batch``, in order, as one event.
        """
        if not self._parts:
            was_holding = self._holding
            self._holding = self._load.share >= (self._off if was_holding else self._on)
            if not self._holding:
                return update_event(batch)
            self._since = self._load.loop.time()
            if not was_holding:
                # Streams that start holding on the same tick, and yield on the same loop
                # iteration (a timer each, as in S4), would otherwise write on the same
                # iteration too, every hold: a short first hold spreads their writes.
                self._since -= random.random() * self._hold
            self._load.watch(self)
        self._parts.append(batch[1:-1])
        if self._load.loop.time() - self._since < self._hold:
            return None
        return self.take()

    def take(self) -> str | None:
        """Everything held, as one ``update`` event (None when nothing is held)."""
        if not self._parts:
            return None
        text = update_event(f"[{','.join(self._parts)}]")
        self._parts.clear()
        self._load.unwatch(self)
        return text

    def overdue(self, now: float) -> bool:
        """Held longer than the stream itself would hold: it has gone quiet."""
        return bool(self._parts) and now - self._since >= self._hold + TICK

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
        self._load.unwatch(self)
