"""Drives an event callback's generator in a worker thread, apart from the HTTP response.

Why a separate thread: the response must keep writing (keep-alives, the timeout notice) while
the generator is busy between two yields, and the generator must be closed when the client
goes away. The runner and the response meet at a bounded hand-off:

- every yielded value is validated and handed over as a tuple of updates (a :class:`Handoff`:
  the response takes the whole backlog at once); when it is full the producer waits
  (backpressure), checking for cancellation while it waits;
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
from dataclasses import dataclass
from typing import Any, cast

from .exceptions import InvalidUpdateError
from .handoff import Handoff, new_handoff
from .protocol import Update
from .stream_updates import StreamProps

__all__ = ["Failed", "Finished", "StreamRunner", "updates_of"]

# Enough to absorb a burst without letting a fast producer run far ahead of a slow client.
QUEUE_SIZE = 256
_POLL = 0.1  # how often a producer waiting on a full queue looks for cancellation


@dataclass(frozen=True)
class Finished:
    """The generator returned or was closed."""


@dataclass(frozen=True)
class Failed:
    """The generator raised ``error``."""

    error: BaseException


Item = tuple[Update, ...] | Finished | Failed


def updates_of(value: object) -> tuple[Update, ...]:
    """The updates of one yielded value: a ``stream_props(...)`` or a list of them."""
    if isinstance(value, StreamProps):
        return value.updates
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(item, StreamProps) for item in value)
    ):
        return tuple(update for item in value for update in item.updates)
    raise InvalidUpdateError(
        f"an event callback must yield stream_props(...) (or a list of them), got {value!r}"
    )


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
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> StreamRunner:
        self.thread.start()
        return self

    def cancel(self) -> None:
        """Stop the generator: at its next yield, or at once if it is async."""
        self.cancelled.set()
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            # The loop may close between our read and this call: the task has then finished,
            # so there is nothing left to cancel.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)

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
            self._put(Failed(error))
            return
        self._put(Finished())

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
                # Wait for room without blocking the loop, so cancellation stays immediate.
                while not self.cancelled.is_set():
                    if self.items.put(updates, timeout=0):
                        break
                    await asyncio.sleep(_POLL / 10)
        except asyncio.CancelledError:
            pass
        finally:
            # Forget the loop before asyncio.run closes it, so a late cancel() skips it.
            self._loop = self._task = None
            await generator.aclose()

    def _put(self, item: Item) -> bool:
        """Hand ``item`` over, waiting while the hand-off is full; False once cancelled."""
        while not self.items.put(item, timeout=_POLL):
            if self.cancelled.is_set():
                # Nobody reads any more; the end markers may be dropped.
                return False
        return True
