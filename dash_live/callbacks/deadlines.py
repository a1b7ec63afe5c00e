"""One timer for every stream deadline of the process: a backstop for the stream timeout.

A stream's timeout is enforced by the loop that writes its frames
(:func:`dash_live.callbacks.streams.frames`), but that loop does not run while a write is blocked:
a client that stops reading, with its connection open, holds the write forever, and the
generator would outlive its timeout for as long as the client stays. :data:`deadlines` runs
an action (cancel the stream) at a given time whatever the writer is doing. One daemon thread
(a greenlet under gevent) serves every stream, started when the first deadline is armed; a
deadline that is disarmed in time costs nothing but its entry.

>>> import threading
>>> timers = Deadlines()
>>> fired = threading.Event()
>>> handle = timers.arm(0.01, fired.set)
>>> fired.wait(5)
True
>>> timers.disarm(timers.arm(60, fired.clear)); timers.pending()
0
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

__all__ = ["Deadlines", "deadlines"]

logger = logging.getLogger("dash_live")


class Deadlines:
    """Actions to run at given times, by one worker thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._actions: dict[int, Callable[[], None]] = {}
        self._handles = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, delay: float, action: Callable[[], None]) -> int:
        """Run ``action()`` in ``delay`` seconds; return a handle for :meth:`disarm`."""
        with self._wake:
            handle = next(self._handles)
            self._actions[handle] = action
            heapq.heappush(self._heap, (self._clock() + delay, handle))
            if self._thread is None or not self._thread.is_alive():
                # Started here, not at import: a forking server (gunicorn) starts it in the
                # worker that needs it.
                self._thread = threading.Thread(
                    target=self._run, name="dash-live-deadlines", daemon=True
                )
                self._thread.start()
            self._wake.notify()
        return handle

    def disarm(self, handle: int) -> None:
        """Forget an action that has not run yet (idempotent)."""
        with self._wake:
            self._actions.pop(handle, None)
            # The heap entry stays until its time; drop it now when the heap is mostly dead.
            if len(self._heap) > 2 * len(self._actions) + 64:
                self._heap = [entry for entry in self._heap if entry[1] in self._actions]
                heapq.heapify(self._heap)

    def pending(self) -> int:
        """How many actions wait to run."""
        with self._wake:
            return len(self._actions)

    def _run(self) -> None:
        while True:
            with self._wake:
                action = self._next_due()
            try:
                action()
            except Exception:  # one failed action must not stop the others
                logger.exception("a stream deadline action failed")

    def _next_due(self) -> Callable[[], None]:
        """Wait (holding the condition) until an armed action is due; return it."""
        while True:
            if not self._heap:
                self._wake.wait()
                continue
            when, handle = self._heap[0]
            if handle not in self._actions:
                heapq.heappop(self._heap)
                continue
            remaining = when - self._clock()
            if remaining > 0:
                self._wake.wait(remaining)
                continue
            heapq.heappop(self._heap)
            return self._actions.pop(handle)


deadlines = Deadlines()
