"""dash_live.transports.write_hold: a busy loop's streams hold their updates and write them
together, in order; an idle loop's write each at once; a quiet stream's held updates are flushed."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from dash_live.core.sse import parse_events, update_event
from dash_live.core.updates import Update, decode_batch, encode_batch
from dash_live.transports.busy import TICK, Load
from dash_live.transports.write_hold import MAX_HELD_BYTES, LoopLoad, WriteHold


class ClockLoop(asyncio.SelectorEventLoop):
    """A real event loop whose clock the test sets: ``offer`` reads ``loop.time()``."""

    now = 100.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def loop() -> Iterator[ClockLoop]:
    clock_loop = ClockLoop()
    yield clock_loop
    clock_loop.close()


T = TypeVar("T")


def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(scenario())`` in a thread of its own: in the whole suite the main thread
    already has a loop running (Playwright's sync API, used by the browser tests)."""
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(asyncio.run(scenario()))
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the scenario did not finish in 30 s"
    if errors:
        raise errors[0]
    return results[0]


def batch(i: int) -> str:
    return encode_batch([Update("out", "children", "append", f"t{i} ")])


def values(text: str) -> list[object]:
    """Every update value in ``text`` (SSE events), in order."""
    return [u.value for name, data in parse_events(text) for u in decode_batch(data)]


def hold_on(
    loop: asyncio.AbstractEventLoop,
    share: float,
    hold: float = 0.04,
    busy_share: float = 0.5,
    frame: Callable[[str], str] = update_event,
) -> WriteHold:
    load = LoopLoad(loop)
    load.share = share

    async def write(_text: str) -> None:
        raise AssertionError("offer never writes by itself")

    return WriteHold(load, write, hold, busy_share, frame)


def test_an_idle_loop_writes_each_update_at_once(loop: ClockLoop) -> None:
    hold = hold_on(loop, share=0.2)
    assert hold.offer(batch(0)) == update_event(batch(0))
    assert hold.offer(batch(1)) == update_event(batch(1))
    assert hold.take() is None


def test_a_busy_loop_holds_updates_and_writes_them_as_one_event_in_order(
    loop: ClockLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "dash_live.transports.busy.random.random", lambda: 0.0
    )  # no short first hold
    hold = hold_on(loop, share=0.9, hold=0.04)
    assert [hold.offer(batch(i)) for i in range(3)] == [None, None, None]
    loop.now += 0.039
    assert hold.offer(batch(3)) is None
    loop.now += 0.002  # the first update has now been held over 40 ms: out with everything
    text = hold.offer(batch(4))
    assert text is not None
    assert [name for name, _ in parse_events(text)] == ["update"]
    assert values(text) == [f"t{i} " for i in range(5)]
    assert hold.take() is None  # nothing left behind


def test_a_transport_that_frames_batches_itself_gets_one_merged_batch(
    loop: ClockLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The socket's sink: what is held goes out as one JSON batch, not as an SSE event.
    monkeypatch.setattr("dash_live.transports.busy.random.random", lambda: 0.0)
    hold = hold_on(loop, share=0.9, hold=0.04, frame=str)
    assert [hold.offer(batch(i)) for i in range(3)] == [None, None, None]
    loop.now += 0.05
    merged = hold.offer(batch(3))
    assert merged is not None
    assert [u.value for u in decode_batch(merged)] == [f"t{i} " for i in range(4)]
    idle = hold_on(loop, share=0.1, frame=str)
    assert idle.offer(batch(9)) == batch(9)


def test_the_first_hold_is_shortened_at_random_to_spread_the_writes(
    loop: ClockLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dash_live.transports.busy.random.random", lambda: 0.75)
    hold = hold_on(loop, share=0.9, hold=0.04)
    assert hold.offer(batch(0)) is None
    loop.now += 0.011  # past 0.04 - 0.75 * 0.04, where this first hold ends
    assert values(hold.offer(batch(1)) or "") == ["t0 ", "t1 "]
    # Later holds are whole.
    assert hold.offer(batch(2)) is None
    loop.now += 0.039
    assert hold.offer(batch(3)) is None


def test_holding_starts_at_the_busy_share_and_stops_under_half_of_it(loop: ClockLoop) -> None:
    hold = hold_on(loop, share=0.45, busy_share=0.5)
    assert hold.offer(batch(0)) is not None  # under 0.5: not holding
    hold._load.share = 0.5
    assert hold.offer(batch(1)) is None  # holding from 0.5
    loop.now += 1
    assert values(hold.offer(batch(2)) or "") == ["t1 ", "t2 "]
    hold._load.share = 0.3  # still over 0.25: goes on holding
    assert hold.offer(batch(3)) is None
    loop.now += 1
    assert hold.offer(batch(4)) is not None
    hold._load.share = 0.2  # under half: each update at once again
    assert hold.offer(batch(5)) == update_event(batch(5))


def test_a_zero_hold_never_holds_and_a_zero_share_always_holds(loop: ClockLoop) -> None:
    assert hold_on(loop, share=1.0, hold=0).offer(batch(0)) == update_event(batch(0))
    assert hold_on(loop, share=0.0, busy_share=0).offer(batch(0)) is None


def test_the_load_is_the_threads_share_of_one_core_as_a_moving_average() -> None:
    load = Load()
    load.sample(at=0.0, cpu=5.0)
    assert load.share == 0.0  # a baseline, no reading yet
    for step in range(1, 30):
        load.sample(at=step * 0.02, cpu=5.0 + step * 0.02)  # fully busy
    assert load.share > 0.99
    load.sample(at=0.62, cpu=5.0 + 29 * 0.02 + 0.5)  # more CPU than wall time: counts as 1
    assert load.share <= 1.0
    for step in range(32, 60):
        load.sample(at=step * 0.02, cpu=6.08)  # idle
    assert load.share < 0.01


class Sink:
    """Where a WriteHold writes: each text is recorded; while ``gate`` is clear a write waits,
    as a write to a slow client does."""

    def __init__(self, slow: bool = False) -> None:
        self.texts: list[str] = []
        self.gate = asyncio.Event()
        self.arrived = asyncio.Event()
        if not slow:
            self.gate.set()

    async def write(self, text: str) -> None:
        await self.gate.wait()
        self.texts.append(text)
        self.arrived.set()


def slow_flush() -> tuple[Sink, WriteHold, asyncio.Task[None]]:
    """A stream that holds one update, flushing it (from the task the tick would start) to a
    slow client: the write waits for ``sink.gate``. Call on a running loop."""
    sink = Sink(slow=True)
    hold = WriteHold(LoopLoad(asyncio.get_running_loop()), sink.write, 10, busy_share=0)
    assert hold.offer(batch(0)) is None
    hold.flush_soon()
    assert hold.flushing is not None
    return sink, hold, hold.flushing


def test_a_quiet_streams_held_updates_are_flushed_by_the_tick() -> None:
    async def scenario() -> list[str]:
        sink = Sink()
        load = LoopLoad(asyncio.get_running_loop())
        load.open()
        hold = WriteHold(load, sink.write, hold=0.05, busy_share=0)  # always holds
        assert hold.offer(batch(0)) is None
        assert hold.offer(batch(1)) is None
        assert sink.texts == []
        await asyncio.wait_for(sink.arrived.wait(), timeout=5)  # no more yields: the tick
        await hold.wait_flush()
        assert await hold.settle() is None
        load.close()
        return sink.texts

    assert [values(text) for text in run(scenario)] == [["t0 ", "t1 "]]


def test_a_write_follows_the_flush_in_flight() -> None:
    async def scenario() -> list[str]:
        sink, hold, flush = slow_flush()
        settled = asyncio.ensure_future(hold.settle())
        await asyncio.sleep(0)  # let both start; the settle must still be waiting
        assert not settled.done()
        sink.gate.set()
        assert await asyncio.wait_for(settled, timeout=5) is None
        assert flush.done()
        assert hold.flushing is None
        return sink.texts

    assert [values(text) for text in run(scenario)] == [["t0 "]]


def test_a_cancelled_wait_does_not_cancel_the_flush() -> None:
    async def scenario() -> list[str]:
        sink, hold, flush = slow_flush()
        waiting = asyncio.ensure_future(hold.wait_flush())
        await asyncio.sleep(0)  # waiting on the flush now
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        sink.gate.set()
        await asyncio.wait_for(flush, timeout=5)
        return sink.texts

    assert [values(text) for text in run(scenario)] == [["t0 "]]


def test_the_load_stops_sampling_and_forgets_once_no_stream_is_open() -> None:
    async def scenario() -> tuple[bool, float]:
        running = asyncio.get_running_loop()
        load = LoopLoad(running)
        load.open()
        load.share = 0.8
        load.close()
        deadline = running.time() + 5
        while load._timer is not None and running.time() < deadline:
            await asyncio.sleep(TICK)  # waiting for the timer to see no stream open
        return load._timer is None, load.share

    stopped, share = run(scenario)
    assert stopped
    assert share == 0.0


def test_a_loops_load_does_not_keep_the_loop_alive() -> None:
    import gc
    import weakref

    from dash_live.transports.write_hold import load_of

    loop = asyncio.new_event_loop()
    assert load_of(loop) is load_of(loop)
    gone = weakref.ref(loop)
    loop.close()
    del loop
    gc.collect()
    assert gone() is None


def test_large_updates_are_written_once_the_held_text_reaches_its_cap(
    loop: ClockLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dash_live.transports.busy.random.random", lambda: 0.0)
    hold = hold_on(loop, share=0.9, hold=0.04)
    big = encode_batch([Update("out", "children", "set", "x" * (MAX_HELD_BYTES // 3))])
    assert hold.offer(big) is None
    assert hold.offer(big) is None
    text = hold.offer(big)  # still inside the 40 ms hold, but over the cap: out at once
    assert text is not None
    assert len(values(text)) == 3
    assert hold.take() is None
