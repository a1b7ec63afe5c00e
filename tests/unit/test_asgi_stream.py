"""dash_live.asgi_stream: a sync generator feeding the event loop holds back when the page is
behind, and stops when cancelled."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable, Iterator

from dash_live import stream_props
from dash_live.asgi_stream import _LoopFedRunner
from dash_live.runner import QUEUE_SIZE, Finished, Item
from dash_live.stream_session import PreparedStream


class _Request:
    """The two attributes _LoopFedRunner reads of a checked stream request."""

    def __init__(self, func: Callable[..., object]) -> None:
        self.callback = type("Spec", (), {"func": staticmethod(func), "name": "fast"})()


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

    loop = asyncio.new_event_loop()
    serving = threading.Thread(target=loop.run_forever, daemon=True)
    serving.start()
    try:
        items: asyncio.Queue[Item] = asyncio.Queue()
        prepared = PreparedStream(_Request(fast), [], contextvars.copy_context())  # type: ignore[arg-type]
        runner = _LoopFedRunner(prepared, loop, items)
        runner.start()
        # Nobody takes anything: the producer must stop at QUEUE_SIZE updates in flight.
        deadline = time.monotonic() + 10
        while items.qsize() < QUEUE_SIZE and time.monotonic() < deadline:
            time.sleep(0.01)  # polling the queue the loop thread fills
        assert items.qsize() == QUEUE_SIZE
        assert produced <= QUEUE_SIZE + 1  # the one it holds, waiting for a slot
        # One slot given back lets exactly one more in.
        runner.taken()
        deadline = time.monotonic() + 10
        while items.qsize() < QUEUE_SIZE + 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert items.qsize() == QUEUE_SIZE + 1
        runner.cancel()
        assert closed.wait(5), "the generator was not closed after cancel"
        runner.thread.join(5)
        assert not runner.thread.is_alive()
        assert produced <= QUEUE_SIZE + 2
        assert not any(isinstance(item, Finished) for item in items._queue)  # type: ignore[attr-defined]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        serving.join(5)
        loop.close()
