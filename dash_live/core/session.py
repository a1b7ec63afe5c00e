"""One run of an event callback as a state machine, with no I/O: no threads, sockets, web
framework or event loop. The transports drive it (:mod:`dash_live.transports`).

A driver tells the session what happened, with the time it happened:

- :meth:`StreamSession.feed` what the generator produced: tuples of updates, then
  :class:`Finished` (it returned or was closed) or :class:`Failed` (it raised);
- :meth:`StreamSession.stop` that the driver stopped the generator itself (the timeout passed,
  or a cancel or a vanished client cancelled it);

and asks it:

- :meth:`StreamSession.frames`: what to write now, in one write (:mod:`dash_live.core.frames`);
  the timeout and the keep-alive are decided here, from ``now``;
- :meth:`StreamSession.wait`: how long the driver may sleep if nothing arrives before it must
  ask again (the next keep-alive, or the deadline);
- :attr:`StreamSession.over`: whether the end frame was made; :attr:`StreamSession.timed_out`:
  whether the generator must be stopped because its time ran out.

Updates that queued up while the previous write was going out travel folded
(:mod:`dash_live.core.coalesce`), at most :data:`MAX_UPDATES_PER_FRAME` per frame.

>>> from dash_live.core.updates import Update
>>> class Spec:
...     name, key, reset_updates, on_error = "count", "app.count", (), None
>>> session = StreamSession(Spec(), timeout=60, keepalive=15, debug=False, now=0.0)
>>> session.feed([(Update("n", "children", "set", 1),), (Update("n", "children", "set", 2),)])
>>> session.frames(now=0.1)
[Updates(batch='[["n","children","set",2]]')]
>>> session.frames(now=15.2), session.wait(now=15.2)
([KeepAlive()], 15.0)
>>> session.feed([Finished()])
>>> session.frames(now=16.0), session.over
([End(reason='done')], True)
"""

from __future__ import annotations

import logging
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from .coalesce import coalesce
from .frames import End, Failure, Frame, KeepAlive, Updates
from .stream_props import updates_of
from .updates import Update, encode_batch
from .wire import EndReason

__all__ = [
    "MAX_UPDATES_PER_FRAME",
    "Callback",
    "Failed",
    "Finished",
    "Item",
    "StreamSession",
]

#: Updates sent in one frame at most, so one write never holds a huge backlog.
MAX_UPDATES_PER_FRAME = 2000

logger = logging.getLogger("dash_live")


@dataclass(frozen=True)
class Finished:
    """The generator returned, or was closed (``cancelled``: because it was cancelled)."""

    cancelled: bool = False


@dataclass(frozen=True)
class Failed:
    """The generator raised ``error``."""

    error: BaseException


#: What a generator's driver hands the session: one yield's updates, or how it ended.
Item = tuple[Update, ...] | Finished | Failed


class Callback(Protocol):
    """What a session reads of the event callback it runs (an ``EventCallback``)."""

    @property
    def name(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def reset_updates(self) -> Sequence[Update]: ...
    @property
    def on_error(self) -> Callable[..., Any] | None: ...


class StreamSession:
    """The frames of one run, from what its generator produced and the clock (module doc)."""

    def __init__(
        self, callback: Callback, *, timeout: float, keepalive: float, debug: bool, now: float
    ) -> None:
        self.callback = callback
        self.timeout = timeout
        self.keepalive = keepalive
        self.debug = debug
        self.deadline = now + timeout
        self.over = False
        self.timed_out = False
        self._quiet_since = now  # the last write, for the keep-alive
        self._backlog: deque[Item] = deque()

    @property
    def pending(self) -> bool:
        """Whether something fed is still to be sent (the driver need not wait to ask)."""
        return bool(self._backlog)

    def feed(self, items: Iterable[Item]) -> None:
        """What the generator produced since the last call, oldest first."""
        self._backlog.extend(items)

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until :meth:`frames` has something to say without new input."""
        if self.over:
            return 0.0
        return max(0.0, min(self._quiet_since + self.keepalive, self.deadline) - now)

    def batch_now(self, updates: tuple[Update, ...], now: float) -> str | None:
        """The one yield ``updates`` as the batch that goes out at once, encoded: what
        :meth:`frames` would make of it alone, without the frame around it (the hot path of a
        driver that writes each yield as it comes). None when that is not the whole story:
        something is backlogged, the run is over or past its deadline; then :meth:`feed` it
        and ask :meth:`frames`."""
        if self._backlog or self.over or now >= self.deadline:
            return None
        self._quiet_since = now
        return encode_batch(coalesce(updates) if len(updates) > 1 else updates)

    def frames(self, now: float) -> list[Frame]:
        """What goes out now, in one write: the folded backlog, and the end once it came; a
        keep-alive after ``keepalive`` seconds of silence; the timeout notice past the
        deadline. Empty when there is nothing to say."""
        if self.over:
            return []
        if now >= self.deadline:
            self.timed_out = True
            return self.stop("timeout")
        batch: list[Update] = []
        ending: Finished | Failed | None = None
        while self._backlog and len(batch) < MAX_UPDATES_PER_FRAME:
            item = self._backlog.popleft()
            if isinstance(item, tuple):
                batch.extend(item)
            else:
                ending = item
                break
        out: list[Frame] = [Updates(encode_batch(coalesce(batch)))] if batch else []
        if isinstance(ending, Failed):
            out += self._failure(ending.error)
        elif isinstance(ending, Finished):
            out.append(self._end("cancelled" if ending.cancelled else "done"))
        elif not out and now - self._quiet_since >= self.keepalive:
            out.append(KeepAlive())
        if out:
            self._quiet_since = now
        return out

    def stop(self, reason: Literal["timeout", "cancelled"]) -> list[Frame]:
        """The driver stopped the generator: the last frames (none if the end went out)."""
        if self.over:
            return []
        self._backlog.clear()
        if reason == "cancelled":
            return [self._end("cancelled")]
        logger.warning("event callback %s timed out after %s s", self.callback.key, self.timeout)
        out: list[Frame] = []
        if self.callback.reset_updates:
            out.append(Updates(encode_batch(self.callback.reset_updates)))
        out.append(Failure(f"{self.callback.name} timed out after {self.timeout:g} s", None))
        out.append(self._end("timeout"))
        return out

    def _end(self, reason: EndReason) -> End:
        self.over = True
        self._backlog.clear()
        return End(reason)

    def _failure(self, error: BaseException) -> list[Frame]:
        """What a run whose generator raised ``error`` sends last (logged here)."""
        spec = self.callback
        logger.error(
            "event callback %s failed", spec.key, exc_info=(type(error), error, error.__traceback__)
        )
        updates: list[Update] = list(spec.reset_updates)
        out: list[Frame] = []
        if spec.on_error is not None:
            try:
                handled = spec.on_error(error)
                if handled is not None:
                    updates.extend(updates_of(handled))
            except Exception:
                logger.exception("the on_error handler of %s failed", spec.key)
            else:
                # The app handled it: its own updates, and no error notice.
                if updates:
                    out.append(Updates(encode_batch(updates)))
                out.append(self._end("error"))
                return out
        if updates:
            out.append(Updates(encode_batch(updates)))
        if self.debug:
            text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            out.append(Failure(f"{spec.name}: {type(error).__name__}: {error}", text))
        else:
            # No server internals leak to the browser outside debug mode.
            message = f"The event callback {spec.name} failed; the server log has details."
            out.append(Failure(message, None))
        out.append(self._end("error"))
        return out
