"""A bounded hand-off from one producer thread to one consumer that takes everything at once.

An event callback's generator runs in a thread of its own and the response drains what it
made. ``queue.Queue`` costs a lock round and a notification per item on both sides, which is
most of the hand-off when a generator yields thousands of small updates with no pause. Here
the producer appends under a lock and only wakes the consumer when the box was empty; the
consumer swaps the whole backlog out in one step.

Nobody polls. A producer waits for room until there is some or the box is :meth:`closed
<Handoff.close>` (the run was cancelled); a consumer waits on the box, or, on an event loop,
is woken by ``on_filled`` (called when an empty box gets an item).

Under gevent it is the other way round: gevent's monkey-patching replaces ``queue.Queue`` with
its own compiled queue, which hands items between greenlets directly, while a lock and
condition written in Python cost a few trips through the hub (about 19 us an item against 6).
:func:`new_handoff` picks :class:`QueueHandoff` there, :class:`LockedHandoff` elsewhere.

>>> box: Handoff[int] = LockedHandoff(2)
>>> box.put(1), box.put(2), box.put(3, timeout=0)
(True, True, False)
>>> box.take(), box.take(timeout=0)
([1, 2], [])
>>> box.close(); box.put(4), box.take()
(True, [4])
>>> box.put(5), box.put(6), box.put(7), box.take()  # closed and full: dropped
(True, True, False, [5, 6])
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Handoff", "LockedHandoff", "QueueHandoff", "new_handoff"]

T = TypeVar("T")


class Handoff(Generic[T]):
    """At most ``maxsize`` items wait; :meth:`put` blocks while the box is full and open.

    Once closed, :meth:`put` no longer waits: the item goes in while there is room, and is
    dropped (False) when there is none; a producer that sees ``closed`` stops.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize!r}")
        self.maxsize = maxsize
        self.closed = False
        #: Called (from the producer's thread) when an empty box gets an item.
        self.on_filled: Callable[[], None] | None = None

    def put(self, item: T, timeout: float | None = None) -> bool:
        """Add ``item``, waiting up to ``timeout`` seconds for room while the box is open;
        whether it was added."""
        raise NotImplementedError

    def put_last(self, item: T, timeout: float) -> bool:
        """Add a producer's last item (its end marker), waiting up to ``timeout`` seconds for
        room even when the box is closed: a consumer still reading learns how the run ended."""
        raise NotImplementedError

    def take(self, timeout: float | None = None) -> list[T]:
        """Everything waiting, oldest first, after waiting up to ``timeout`` seconds for a
        first item; an empty list if none came."""
        raise NotImplementedError

    def close(self) -> None:
        """Wake a producer waiting for room, and let no put wait again."""
        raise NotImplementedError

    def qsize(self) -> int:
        raise NotImplementedError

    def empty(self) -> bool:
        return self.qsize() == 0

    def full(self) -> bool:
        return self.qsize() >= self.maxsize

    def _filled(self) -> None:
        if self.on_filled is not None:
            self.on_filled()


class LockedHandoff(Handoff[T]):
    """The producer appends under a lock; the consumer swaps the list out."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self._items: list[T] = []
        lock = threading.Lock()
        self._filled_cond = threading.Condition(lock)
        self._emptied = threading.Condition(lock)

    def put(self, item: T, timeout: float | None = None) -> bool:
        with self._filled_cond:
            if len(self._items) >= self.maxsize and (
                self.closed
                or not _may_wait(timeout)
                or not self._emptied.wait_for(
                    lambda: self.closed or len(self._items) < self.maxsize, timeout
                )
                or len(self._items) >= self.maxsize  # woken by close(), still no room
            ):
                return False
            self._items.append(item)
            first = len(self._items) == 1
            if first:  # the consumer may be waiting on an empty box
                self._filled_cond.notify()
        if first:
            self._filled()
        return True

    def put_last(self, item: T, timeout: float) -> bool:
        with self._filled_cond:
            if not self._emptied.wait_for(lambda: len(self._items) < self.maxsize, timeout):
                return False
            self._items.append(item)
            first = len(self._items) == 1
            if first:
                self._filled_cond.notify()
        if first:
            self._filled()
        return True

    def take(self, timeout: float | None = None) -> list[T]:
        with self._filled_cond:
            if not self._items and _may_wait(timeout):
                self._filled_cond.wait_for(lambda: bool(self._items), timeout)
            items, self._items = self._items, []
            if items:
                self._emptied.notify()
            return items

    def close(self) -> None:
        with self._filled_cond:
            self.closed = True
            self._emptied.notify_all()

    def qsize(self) -> int:
        return len(self._items)


class QueueHandoff(Handoff[T]):
    """The same hand-off over ``queue.Queue``: for gevent, whose queue is native.

    A producer blocked in ``Queue.put`` can only be woken by room, so :meth:`close` makes some:
    it moves the oldest item aside (``_spilled``), where :meth:`take` finds it first.
    """

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self._queue: queue.Queue[T] = queue.Queue(maxsize)
        self._spilled: deque[T] = deque()
        self._lock = threading.Lock()

    def put(self, item: T, timeout: float | None = None) -> bool:
        if self.closed:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                return False
            return True
        try:
            if _may_wait(timeout):
                self._queue.put(item, timeout=timeout)
            else:
                self._queue.put_nowait(item)
        except queue.Full:
            return False
        if self._queue.qsize() == 1:
            self._filled()
        return True

    def put_last(self, item: T, timeout: float) -> bool:
        try:
            self._queue.put(item, timeout=timeout)
        except queue.Full:
            return False
        if self._queue.qsize() == 1:
            self._filled()
        return True

    def take(self, timeout: float | None = None) -> list[T]:
        items: list[T] = []
        if not self._spilled:
            with contextlib.suppress(queue.Empty):
                items.append(
                    self._queue.get(timeout=timeout)
                    if _may_wait(timeout)
                    else self._queue.get_nowait()
                )
        if not self.closed:
            # Nothing is spilled before close(): no lock on the hot path (once per frame).
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    return items
        with self._lock:
            # Spilled items are older than what is still queued, newer than what was got.
            items.extend(self._spilled)
            self._spilled.clear()
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
        return items

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._spill_one()

    def _spill_one(self) -> None:
        # Under self._lock: make room for a producer blocked on a full queue.
        if self._queue.full():
            with contextlib.suppress(queue.Empty):
                self._spilled.append(self._queue.get_nowait())

    def qsize(self) -> int:
        return self._queue.qsize() + len(self._spilled)


def new_handoff(maxsize: int) -> Handoff[T]:
    """The hand-off that suits this process: :class:`QueueHandoff` when gevent has replaced
    ``queue.Queue``, :class:`LockedHandoff` otherwise."""
    if queue.Queue.__module__.startswith("gevent"):
        return QueueHandoff(maxsize)
    return LockedHandoff(maxsize)


def _may_wait(timeout: float | None) -> bool:
    # Condition.wait_for(..., 0) still waits once: it hands the lock back and takes it again,
    # which under gevent is a switch to the hub per call. A zero timeout means: do not wait.
    return timeout is None or timeout > 0
