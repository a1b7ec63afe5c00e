"""A bounded hand-off from one producer thread to one consumer that takes everything at once.

An event callback's generator runs in a thread of its own and the response drains what it
made. ``queue.Queue`` costs a lock round and a notification per item on both sides, which is
most of the hand-off when a generator yields thousands of small updates with no pause. Here
the producer appends under a lock and only wakes the consumer when the box was empty; the
consumer swaps the whole backlog out in one step.

Under gevent it is the other way round: gevent's monkey-patching replaces ``queue.Queue`` with
its own compiled queue, which hands items between greenlets directly, while a lock and
condition written in Python cost a few trips through the hub (about 19 us an item against 6).
:func:`new_handoff` picks :class:`QueueHandoff` there, :class:`LockedHandoff` elsewhere.

>>> box: Handoff[int] = LockedHandoff(2)
>>> box.put(1), box.put(2), box.put(3, timeout=0)
(True, True, False)
>>> box.take(), box.take(timeout=0)
([1, 2], [])
"""

from __future__ import annotations

import queue
import threading
from typing import Generic, TypeVar

__all__ = ["Handoff", "LockedHandoff", "QueueHandoff", "new_handoff"]

T = TypeVar("T")


class Handoff(Generic[T]):
    """At most ``maxsize`` items wait; :meth:`put` blocks while the box is full."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize!r}")
        self.maxsize = maxsize

    def put(self, item: T, timeout: float | None = None) -> bool:
        """Add ``item``, waiting up to ``timeout`` seconds for room; False if none came."""
        raise NotImplementedError

    def take(self, timeout: float | None = None) -> list[T]:
        """Everything waiting (at most ``maxsize`` items), oldest first, after waiting up to
        ``timeout`` seconds for a first item; an empty list if none came."""
        raise NotImplementedError

    def qsize(self) -> int:
        raise NotImplementedError

    def empty(self) -> bool:
        return self.qsize() == 0

    def full(self) -> bool:
        return self.qsize() >= self.maxsize


class LockedHandoff(Handoff[T]):
    """The producer appends under a lock; the consumer swaps the list out."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self._items: list[T] = []
        lock = threading.Lock()
        self._filled = threading.Condition(lock)
        self._emptied = threading.Condition(lock)

    def put(self, item: T, timeout: float | None = None) -> bool:
        with self._filled:
            if len(self._items) >= self.maxsize and not (
                _may_wait(timeout)
                and self._emptied.wait_for(lambda: len(self._items) < self.maxsize, timeout)
            ):
                return False
            self._items.append(item)
            if len(self._items) == 1:  # the consumer may be waiting on an empty box
                self._filled.notify()
            return True

    def take(self, timeout: float | None = None) -> list[T]:
        with self._filled:
            if not self._items and _may_wait(timeout):
                self._filled.wait_for(lambda: bool(self._items), timeout)
            items, self._items = self._items, []
            if items:
                self._emptied.notify()
            return items

    def qsize(self) -> int:
        return len(self._items)


class QueueHandoff(Handoff[T]):
    """The same hand-off over ``queue.Queue``: for gevent, whose queue is native."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self._queue: queue.Queue[T] = queue.Queue(maxsize)

    def put(self, item: T, timeout: float | None = None) -> bool:
        try:
            if _may_wait(timeout):
                self._queue.put(item, timeout=timeout)
            else:
                self._queue.put_nowait(item)
        except queue.Full:
            return False
        return True

    def take(self, timeout: float | None = None) -> list[T]:
        try:
            items = [
                self._queue.get(timeout=timeout) if _may_wait(timeout) else self._queue.get_nowait()
            ]
        except queue.Empty:
            return []
        while len(items) < self.maxsize:  # a box's worth, as LockedHandoff takes
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def qsize(self) -> int:
        return self._queue.qsize()


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
