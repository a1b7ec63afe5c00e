"""How busy the server is, and when a stream should hold its updates to write them together.

On a loaded server most of what one streamed update costs is its write: a system call that,
on loopback, also runs the receiving side of TCP, plus the ASGI server's framing. At 1,000
clients x 100 tokens/s (benchmark S4) one core is saturated and every token waits for the
others'. Writing four updates at once cuts the writes fourfold, for the reader too. The price
is latency, at most the hold, so it is paid only when the server is busy: an idle one writes
each update at once.

:class:`Load` keeps a moving average of a thread's share of one core, sampled every
:data:`TICK`. :class:`Holding` is one stream's decision: hold from ``busy_share`` on, until the
share falls under half of it (the gap keeps a load near the threshold from flipping the mode on
every tick). :mod:`dash_live.transports.write_hold` applies both on Dash's FastAPI backend.

A loop that stays saturated (:data:`SATURATED`) even while its streams hold is short of writes
still: the hold stretches, a quarter more each tick, up to :data:`MAX_STRETCH` times the
setting, and shrinks back the same way once the load eases. A Socket.IO emit costs several times
an SSE write (python-socketio encodes a packet, queues it and handles its acknowledgement), so
that is where it counts: S4 at 1,000 clients over Socket.IO on FastAPI took 55.3 s with a fixed
40 ms hold, 19.3 s with 0.2 s, 10.9 s with 0.5 s and 10.3 s with 1 s, against 9.9 s for plain
FastAPI SSE on the same machine.

Not on the WSGI servers: under gunicorn's gevent worker, a response greenlet that slept out the
hold before writing cut the writes fourfold but not the time (S4 at 1,000 over SSE: 8.7 and
11.5 s held against 9.3 and 9.6 s not, interleaved), and over Socket.IO it was slower (12.4 and
13.8 s against 10.3 and 10.5 s); most of a token's cost there is the greenlet switches of the
generator's own sleep, which holding does not touch.
"""

from __future__ import annotations

import random

__all__ = ["MAX_STRETCH", "SATURATED", "TICK", "Holding", "Load"]

#: How often a load is sampled, seconds.
TICK = 0.02
#: Weight of the newest sample in the moving average: about 4 ticks of memory.
_ALPHA = 0.25
#: The load at which holds stretch, and the one under which they shrink back.
SATURATED = 0.9
_EASED = 0.7
#: The longest a hold stretches, as a multiple of the setting (0.64 s for the default 0.04 s).
MAX_STRETCH = 16.0
#: How much a hold stretches or shrinks per tick: 16 times in 13 ticks, about a quarter second.
_STEP = 1.25


class Load:
    """A moving average of the share of one core used lately.

    >>> load = Load()
    >>> load.sample(at=1.0, cpu=0.0)   # the first sample only sets the baseline
    >>> load.sample(at=1.1, cpu=0.1)   # all of the last 0.1 s on the CPU
    >>> round(load.share, 2)
    0.25

    ``stretch`` is how many times its setting a hold lasts now: it grows while the share stays
    at :data:`SATURATED` or more.

    >>> for tick in range(2, 40):
    ...     load.sample(at=tick * 0.1, cpu=tick * 0.1)  # saturated
    >>> load.stretch == MAX_STRETCH
    True
    """

    def __init__(self) -> None:
        self.share = 0.0
        self.stretch = 1.0
        self._at: float | None = None
        self._cpu = 0.0

    def sample(self, at: float, cpu: float) -> None:
        """Fold in a reading: ``at`` wall-clock seconds, ``cpu`` CPU seconds used so far."""
        if self._at is not None and at > self._at:
            used = min((cpu - self._cpu) / (at - self._at), 1.0)
            self.share += _ALPHA * (used - self.share)
            if self.share >= SATURATED:
                self.stretch = min(self.stretch * _STEP, MAX_STRETCH)
            elif self.share < _EASED:
                self.stretch = max(self.stretch / _STEP, 1.0)
        self._at, self._cpu = at, cpu

    def restart(self) -> None:
        """Forget the past: the next sample is a baseline again."""
        self.share = 0.0
        self.stretch = 1.0
        self._at = None


class Holding:
    """Whether, and until when, one stream holds its updates.

    ``hold`` is the longest an update is held, seconds (0: never), times the load's
    ``stretch``; ``busy_share`` the load at which holding starts (0: always hold).

    >>> load = Load()
    >>> holding = Holding(load, hold=0.04, busy_share=0.5)
    >>> holding.until(now=10.0) is None   # idle: write at once
    True
    >>> load.share = 0.6
    >>> 9.99 < holding.until(now=10.0) <= 10.04
    True
    """

    def __init__(self, load: Load, hold: float, busy_share: float) -> None:
        self.load = load
        self.hold = hold
        self._on = busy_share if hold > 0 else float("inf")
        self._off = busy_share / 2
        self.holding = False

    def until(self, now: float) -> float | None:
        """The time until which updates arriving from ``now`` on are held, or None when they
        should go out at once."""
        was_holding = self.holding
        self.holding = self.load.share >= (self._off if was_holding else self._on)
        if not self.holding:
            return None
        hold = self.hold * self.load.stretch
        if was_holding:
            return now + hold
        # Streams that start holding on the same tick, and are woken together (a timer each,
        # as in S4), would otherwise write together too, every hold: a short first hold
        # spreads their writes.
        return now + hold * (1.0 - random.random())
