"""Drives an event callback's generator in a worker thread, apart from the HTTP response.

Why a separate thread: the response must keep writing (keep-alives, the timeout notice) while
the generator is busy between two yields, and the generator must be closed when the client
goes away. The runner and the response meet at a bounded hand-off:

- every yielded value is validated and handed over as a tuple of updates (a :class:`Handoff`:
  the response takes the whole backlog at once); when it is full the producer waits
  (backpressure) until there is room or the run is cancelled, which closes the hand-off and
  wakes it: no polling;
- :meth:`StreamRunner.cancel` (client gone, cancel request, timeout) makes a sync generator
  close at its next ``yield`` (``GeneratorExit`` runs its ``finally`` blocks); an async
  generator is cancelled at once, at the ``await`` it is waiting on;
- a sync generator blocked inside a call cannot be interrupted, since Python cannot kill a
  thread: it is closed when that call returns and it yields again.

The worker runs in a copy of the request's context variables with Dash's callback context
set, so ``dash.ctx`` works inside the generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
from collections.abc import AsyncGenerator, Callable, Generator, Iterable
from typing import Any, cast

from ..core.session import Failed, Finished, Item
from ..core.stream_props import updates_of
from .handoff import Handoff, new_handoff

__all__ = ["QUEUE_SIZE", "Failed", "Finished", "Item", "StreamRunner"]

# Enough to absorb a burst without letting a fast producer run far ahead of a slow client.
QUEUE_SIZE = 256
#: How long a run's end marker waits for room in a full hand-off, seconds: a consumer still
#: reading makes some at once; one that went away never does.
END_GRACE = 1.0


class StreamRunner:
    """Runs ``func(*args)`` (a generator function, sync or async) in a daemon thread."""

    def __init__(
        self,
        func: Callable[..., Any],
        args: Iterable[Any],
        context: contextvars.Context,
        name: str = "dash-live-stream",
    ) -> None:
        self.items: Handoff[Item] = new_handoff(QUEUE_SIZE)
        self.cancelled = threading.Event()
        self._func = func
        self._args = tuple(args)
        self._context = context
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._on_cancel: list[Callable[[], None]] = []
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> StreamRunner:
        self.thread.start()
        return self

    def cancel(self) -> None:
        """Stop the generator: at its next yield, or at once if it is async."""
        self.cancelled.set()
        self.items.close()  # a producer waiting for room gives up now
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            # The loop may close between our read and this call: the task has then finished,
            # so there is nothing left to cancel.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        for callback in self._on_cancel:
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the cancelling thread) when the run is cancelled: a driver
        waiting on something else than the hand-off wakes up this way."""
        self._on_cancel.append(callback)
        if self.cancelled.is_set():
            callback()

    # The worker side.

    def _run(self) -> None:
        self._context.run(self._drive)

    def _drive(self) -> None:
        try:
            produced: Any = self._func(*self._args)
            if inspect.isasyncgen(produced):
                asyncio.run(self._drive_async(cast("AsyncGenerator[Any, None]", produced)))
            else:
                self._drive_sync(produced)
        except Exception as error:  # reported to the client, logged by the response side
            self._put_end(Failed(error))
            return
        self._put_end(Finished(cancelled=self.cancelled.is_set()))

    def _drive_sync(self, generator: Generator[Any, None, None]) -> None:
        try:
            for value in generator:
                if self.cancelled.is_set() or not self._put(updates_of(value)):
                    break
        finally:
            generator.close()

    async def _drive_async(self, generator: AsyncGenerator[Any, None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        if self.cancelled.is_set():
            return
        try:
            async for value in generator:
                if self.cancelled.is_set():
                    break
                updates = updates_of(value)
                if not self.items.put(updates, timeout=0) and (
                    # Full: wait for room in another thread, so the loop stays free and a
                    # cancel (which closes the hand-off) still reaches the task at once.
                    self.items.closed or not await asyncio.to_thread(self.items.put, updates)
                ):
                    break
        except asyncio.CancelledError:
            pass
        finally:
            # Forget the loop before asyncio.run closes it, so a late cancel() skips it.
            self._loop = self._task = None
            await generator.aclose()

    def _put_end(self, item: Finished | Failed) -> None:
        # Waits for room like any item while the run is on; once cancelled, END_GRACE more.
        if not self.items.put(item):
            self.items.put_last(item, END_GRACE)

    def _put(self, item: Item) -> bool:
        """Hand ``item`` over, waiting while the hand-off is full; False once cancelled."""
        return self.items.put(item) and not self.cancelled.is_set()
