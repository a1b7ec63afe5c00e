"""dash_live.transports.asgi: a sync generator feeding the event loop wakes it through the hand-off,
holds back when the page is behind, and stops when cancelled."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import Iterator

from dash_live import stream_props
from dash_live.callbacks.runner import QUEUE_SIZE, Finished, StreamRunner


def test_a_fast_sync_generator_waits_for_room_and_stops_when_cancelled() -> None:
    produced = 0
    closed = threading.Event()

    def fast() -> Iterator[object]:
        nonlocal produced
        try:
            for i in range(100_000):
                produced += 1
                yield stream_props("out", {"children": i})
        finally:
            closed.set()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        filled = asyncio.Event()
        runner = StreamRunner(fast, [], contextvars.copy_context())

        def wake() -> None:
            loop.call_soon_threadsafe(filled.set)

        runner.items.on_filled = wake
        runner.start()
        # The first item wakes the loop: no polling.
        await asyncio.wait_for(filled.wait(), 10)
        # Nobody takes anything: the producer must stop at QUEUE_SIZE updates in flight.
        await asyncio.wait_for(asyncio.to_thread(_until_full, runner), 10)
        assert runner.items.qsize() == QUEUE_SIZE
        assert produced <= QUEUE_SIZE + 1  # the one it holds, waiting for room
        # Taking the backlog lets the producer go on, and the next item wakes the loop again.
        filled.clear()
        assert len(runner.items.take(timeout=0)) == QUEUE_SIZE
        await asyncio.wait_for(filled.wait(), 10)
        await asyncio.wait_for(asyncio.to_thread(_until_full, runner), 10)
        runner.cancel()
        assert await asyncio.to_thread(closed.wait, 5), "the generator was not closed"
        await asyncio.to_thread(runner.thread.join, 5)
        assert not runner.thread.is_alive()
        # Nobody reads after a cancel: nothing more is added, the end marker neither.
        left = runner.items.take(timeout=0)
        assert len(left) == QUEUE_SIZE
        assert not any(isinstance(item, Finished) for item in left)
        assert produced <= 2 * QUEUE_SIZE + 2

    # A loop of its own in a thread of its own: the browser tests' Playwright keeps one running
    # in this thread, where asyncio.run would refuse.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result(timeout=60)


def _until_full(runner: StreamRunner) -> None:
    # The test's own wait for a state the producer thread reaches; bounded by wait_for.
    while not runner.items.full():
        threading.Event().wait(0.005)
