"""dash_live.callbacks.runner.StreamRunner: sync and async generators behind a bounded hand-off.

Every wait here has a timeout and waits on a condition (an Event, a join, a hand-off take), never on
the clock alone."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from dash_live import InvalidUpdateError, stream_props
from dash_live.callbacks.runner import QUEUE_SIZE, Failed, Finished, Item, StreamRunner
from dash_live.core.stream_props import StreamProps, updates_of

WAIT = 5.0  # seconds: generous upper bound for anything that should happen at once


def start(func: Callable[..., Any], *args: Any) -> StreamRunner:
    return StreamRunner(func, args, contextvars.copy_context()).start()


# What a take returned and a test has not looked at yet, per runner.
_taken: weakref.WeakKeyDictionary[StreamRunner, deque[Item]] = weakref.WeakKeyDictionary()


def next_item(runner: StreamRunner) -> Item:
    waiting = _taken.setdefault(runner, deque())
    if not waiting:
        waiting.extend(runner.items.take(timeout=WAIT))
    assert waiting, f"nothing came from the runner in {WAIT} s"
    return waiting.popleft()


def drain(runner: StreamRunner) -> tuple[list[Any], Item]:
    """The values of every update until the end marker, and the end marker."""
    values: list[Any] = []
    while True:
        item = next_item(runner)
        if not isinstance(item, tuple):
            return values, item
        values.extend(update.value for update in item)


def count_sync(n: int) -> Iterator[StreamProps]:
    for i in range(n):
        yield stream_props("out", {"children": i})


async def count_async(n: int) -> AsyncIterator[StreamProps]:
    for i in range(n):
        await asyncio.sleep(0)
        yield stream_props("out", {"children": i})


@pytest.mark.parametrize("func", [count_sync, count_async])
def test_items_in_order_then_finished(func: Callable[[int], Any]) -> None:
    runner = start(func, 5)
    values, end = drain(runner)
    assert values == [0, 1, 2, 3, 4]
    assert end == Finished()
    runner.thread.join(WAIT)
    assert not runner.thread.is_alive()


def test_a_yield_of_several_stream_props_is_one_item() -> None:
    def several() -> Iterator[list[StreamProps]]:
        yield [stream_props("a", {"children": 1}), stream_props("b", {"value": 2})]

    runner = start(several)
    item = next_item(runner)
    assert isinstance(item, tuple)
    assert [(u.id, u.value) for u in item] == [("a", 1), ("b", 2)]
    assert next_item(runner) == Finished()


def test_updates_of_refuses_other_values_naming_them() -> None:
    with pytest.raises(InvalidUpdateError, match=r"must yield stream_props.*got 'text'"):
        updates_of("text")
    with pytest.raises(InvalidUpdateError, match="got \\[\\]"):
        updates_of([])


class Boom(Exception):
    pass


def failing_sync() -> Iterator[StreamProps]:
    yield stream_props("out", {"children": "before"})
    raise Boom("sync")


async def failing_async() -> AsyncIterator[StreamProps]:
    yield stream_props("out", {"children": "before"})
    raise Boom("async")


@pytest.mark.parametrize(("func", "message"), [(failing_sync, "sync"), (failing_async, "async")])
def test_exception_becomes_failed(func: Callable[[], Any], message: str) -> None:
    runner = start(func)
    values, end = drain(runner)
    assert values == ["before"]
    assert isinstance(end, Failed)
    assert isinstance(end.error, Boom)
    assert str(end.error) == message


def test_a_bad_yield_becomes_failed() -> None:
    def bad() -> Iterator[str]:
        yield "not stream_props"

    end = next_item(start(bad))
    assert isinstance(end, Failed)
    assert isinstance(end.error, InvalidUpdateError)


def test_a_function_that_raises_before_its_generator_starts() -> None:
    def broken(n: int) -> Iterator[StreamProps]:
        raise Boom("at call")

    # Not a generator function: calling it raises at once.
    end = next_item(start(broken, 1))
    assert isinstance(end, Failed)
    assert str(end.error) == "at call"


def test_generator_sees_the_given_context() -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var")
    context = contextvars.copy_context()
    context.run(var.set, "from the request")

    def read() -> Iterator[StreamProps]:
        yield stream_props("out", {"children": var.get("unset")})

    runner = StreamRunner(read, (), context).start()
    assert drain(runner) == (["from the request"], Finished())
    assert var.get("unset") == "unset"


# Cancellation.


def test_cancel_closes_a_sync_generator_at_its_next_yield() -> None:
    gate, closed = threading.Event(), threading.Event()
    after_cancel: list[int] = []

    def slow() -> Iterator[StreamProps]:
        try:
            yield stream_props("out", {"children": 0})
            gate.wait(WAIT)  # busy between yields, as a real callback is
            yield stream_props("out", {"children": 1})
            after_cancel.append(1)  # never reached: closed at the yield above
            yield stream_props("out", {"children": 2})
        finally:
            closed.set()

    runner = start(slow)
    first = next_item(runner)
    assert isinstance(first, tuple)
    runner.cancel()
    assert not closed.is_set()  # still inside gate.wait: cannot be interrupted
    gate.set()
    assert closed.wait(WAIT)
    runner.thread.join(WAIT)
    assert not runner.thread.is_alive()
    assert after_cancel == []
    # The value yielded after cancel() is not handed over; the end marker is.
    assert next_item(runner) == Finished(cancelled=True)
    assert runner.items.empty()


def test_cancel_before_the_first_item_of_a_sync_generator() -> None:
    started, closed = threading.Event(), threading.Event()
    gate = threading.Event()

    def waits() -> Iterator[StreamProps]:
        try:
            started.set()
            gate.wait(WAIT)
            yield stream_props("out", {"children": "late"})
        finally:
            closed.set()

    runner = start(waits)
    assert started.wait(WAIT)
    runner.cancel()
    gate.set()
    assert closed.wait(WAIT)
    assert next_item(runner) == Finished(cancelled=True)


def test_cancel_of_an_async_generator_blocked_in_await_is_immediate() -> None:
    waiting = threading.Event()
    closed = threading.Event()
    outcome: list[str] = []

    async def sleeper() -> AsyncIterator[StreamProps]:
        try:
            yield stream_props("out", {"children": "first"})
            waiting.set()
            await asyncio.sleep(100)
            yield stream_props("out", {"children": "never"})
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        finally:
            closed.set()

    runner = start(sleeper)
    assert isinstance(next_item(runner), tuple)
    assert waiting.wait(WAIT)
    began = time.monotonic()
    runner.cancel()
    assert closed.wait(WAIT)
    assert time.monotonic() - began < 2  # far from the 100 s sleep
    assert outcome == ["cancelled"]
    assert next_item(runner) == Finished(cancelled=True)
    runner.thread.join(WAIT)
    assert not runner.thread.is_alive()


def test_cancel_before_an_async_generator_starts_never_runs_it() -> None:
    ran = threading.Event()

    async def never() -> AsyncIterator[StreamProps]:
        ran.set()
        yield stream_props("out", {"children": 1})

    runner = StreamRunner(never, (), contextvars.copy_context())
    runner.cancel()
    runner.start()
    runner.thread.join(WAIT)
    assert not runner.thread.is_alive()
    assert not ran.is_set()
    assert next_item(runner) == Finished(cancelled=True)


@pytest.mark.parametrize("func", [count_sync, count_async])
def test_cancel_after_the_stream_finished_is_a_no_op(func: Callable[[int], Any]) -> None:
    # Regression: cancel() after asyncio.run closed the runner's loop raised
    # "RuntimeError: Event loop is closed".
    runner = start(func, 2)
    assert drain(runner) == ([0, 1], Finished())
    runner.thread.join(WAIT)
    assert not runner.thread.is_alive()
    runner.cancel()
    runner.cancel()
    assert runner.cancelled.is_set()
    assert runner.items.empty()


# Backpressure.


def wait_until_full(runner: StreamRunner) -> None:
    deadline = time.monotonic() + WAIT
    while not runner.items.full():
        assert time.monotonic() < deadline, "the queue never filled"
        runner.thread.join(0.01)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_backpressure_blocks_the_producer_and_loses_nothing(kind: str) -> None:
    produced = 0

    def producer() -> Iterator[StreamProps]:
        nonlocal produced
        for i in range(1000):
            produced += 1
            yield stream_props("out", {"children": i})

    async def async_producer() -> AsyncIterator[StreamProps]:
        for props in producer():
            yield props

    assert QUEUE_SIZE == 256
    runner = start(producer if kind == "sync" else async_producer)
    assert runner.items.maxsize == QUEUE_SIZE
    wait_until_full(runner)
    # The producer is held: it has made at most one item more than the queue holds, and
    # stays there while nobody reads.
    runner.thread.join(0.2)
    assert runner.thread.is_alive()
    assert QUEUE_SIZE <= produced <= QUEUE_SIZE + 1
    values, end = drain(runner)
    assert values == list(range(1000))
    assert end == Finished()
    assert produced == 1000


def test_cancel_releases_a_producer_blocked_on_a_full_queue() -> None:
    closed = threading.Event()

    def endless() -> Iterator[StreamProps]:
        try:
            while True:
                yield stream_props("out", {"children": "x"})
        finally:
            closed.set()

    runner = start(endless)
    wait_until_full(runner)
    runner.cancel()
    assert closed.wait(WAIT)
    runner.thread.join(WAIT)
    assert not runner.thread.is_alive()
    # Nobody reads after a cancel: the end marker may be dropped, nothing more is added.
    assert runner.items.qsize() == QUEUE_SIZE


def test_cancel_releases_an_async_producer_waiting_for_room() -> None:
    closed = threading.Event()

    async def endless() -> AsyncIterator[StreamProps]:
        try:
            while True:
                yield stream_props("out", {"children": "x"})
        finally:
            closed.set()

    runner = start(endless)
    wait_until_full(runner)
    runner.cancel()
    assert closed.wait(WAIT)
    runner.thread.join(WAIT)
    assert not runner.thread.is_alive()
    assert runner.items.qsize() == QUEUE_SIZE
