"""A bounded hand-off from one producer thread to one consumer that takes everything at once.

An event callback's generator runs in a thread of its own and the response drains what it
made. ``queue.Queue`` costs a lock round and a notification per item on both sides, which is
most of the hand-off when a generator yields thousands of small updates with no pause. Here
the producer appends under a lock and only wakes the consumer when the box was empty; the
consumer swaps the whole backlog out in one step.

>>> box: Handoff[int] = Handoff(2)
>>> box.put(1), box.put(2), box.put(3, timeout=0)
(True, True, False)
>>> box.take(), box.take(timeout=0)
([1, 2], [])
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["Handoff"]

T = TypeVar("T")


class Handoff(Generic[T]):
    """At most ``maxsize`` items wait; :meth:`put` blocks while the box is full."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize!r}")
        self.maxsize = maxsize
        self._items: list[T] = []
        lock = threading.Lock()
        self._filled = threading.Condition(lock)
        self._emptied = threading.Condition(lock)

    def put(self, item: T, timeout: float | None = None) -> bool:
        """Add ``item``, waiting up to ``timeout`` seconds for room; False if none came."""
        with self._filled:
            if len(self._items) >= self.maxsize and not self._emptied.wait_for(
                lambda: len(self._items) < self.maxsize, timeout
            ):
                return False
            self._items.append(item)
            if len(self._items) == 1:  # the consumer may be waiting on an empty box
                self._filled.notify()
            return True

    def take(self, timeout: float | None = None) -> list[T]:
        """Everything waiting, oldest first, after waiting up to ``timeout`` seconds for a
        first item; an empty list if none came."""
        with self._filled:
            if not self._items:
                self._filled.wait_for(lambda: bool(self._items), timeout)
            items, self._items = self._items, []
            if items:
                self._emptied.notify()
            return items

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return len(self._items) >= self.maxsize
