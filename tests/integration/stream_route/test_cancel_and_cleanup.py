"""Cancel requests, clients that vanish, and a thousand aborted streams that leave nothing
behind."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from dash import Input

from dash_live import event_callback, stream_props
from dash_live.callbacks.runner import StreamRunner
from dash_live.callbacks.streams import live_streams
from dash_live.core.wire import CANCEL_ROUTE
from tests.integration.streams import (
    Body,
    Guarded,
    OpenStream,
    Serve,
    new_app,
    stream_body,
    wait_until,
)


class Ticking:
    """An app whose event callback yields ``count`` ticks ``pace`` seconds apart, recording
    each tick and whether its generator was closed."""

    def __init__(self, count: int, pace: float) -> None:
        self.closed = threading.Event()
        self.yielded: list[int] = []
        self.app = new_app()
        pause = threading.Event()  # never set: a bounded pause between ticks

        @event_callback(Input("go", "n_clicks"))
        def ticking(_clicks: int) -> Iterator[object]:
            try:
                for i in range(count):
                    self.yielded.append(i)
                    yield stream_props("out", {"children": i})
                    pause.wait(pace)
            finally:
                self.closed.set()

        self.func = ticking


def test_cancel_endpoint_closes_the_generator(
    serve: Serve, opened: Callable[[str, Body], OpenStream]
) -> None:
    ticks = Ticking(1000, 0.02)
    server = serve(ticks.app)
    stream = opened(server.url, stream_body(ticks.func))
    stream.read_first_update()
    with requests.post(
        server.url + "/" + CANCEL_ROUTE, json={"stream": stream.stream_id}, timeout=10
    ) as cancelled:
        assert cancelled.status_code == 204
    assert ticks.closed.wait(5), "the generator was not closed"
    stream.read_to_end()
    assert stream.events[-1] == ("end", {"reason": "cancelled"})
    assert len(ticks.yielded) < 1000
    assert wait_until(lambda: live_streams.count() == 0, 5)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"stream": "no-such-stream-running"}, 204, id="unknown-id-is-a-no-op"),
        pytest.param({"nothing": 1}, 400, id="no-stream-id"),
        pytest.param([1], 400, id="not-an-object"),
    ],
)
def test_cancel_endpoint_requests(serve: Serve, body: Any, status: int) -> None:
    guarded = Guarded()
    with requests.post(
        serve(guarded.app).url + "/" + CANCEL_ROUTE, json=body, timeout=10
    ) as response:
        assert response.status_code == status


def test_vanished_client_of_a_busy_generator(
    serve: Serve, opened: Callable[[str, Body], OpenStream]
) -> None:
    ticks = Ticking(2000, 0.01)
    stream = opened(serve(ticks.app).url, stream_body(ticks.func))
    stream.read_first_update()
    stream.close()
    assert ticks.closed.wait(5), "the generator of a vanished client was not closed"
    assert len(ticks.yielded) < 2000
    assert wait_until(lambda: live_streams.count() == 0, 5)


def test_vanished_client_of_a_quiet_generator_is_noticed_by_keep_alive(
    serve: Serve, release: threading.Event, opened: Callable[[str, Body], OpenStream]
) -> None:
    closed = threading.Event()
    app = new_app()
    app.server.config["DASH_LIVE_KEEPALIVE"] = 0.2

    @event_callback(Input("go", "n_clicks"))
    def quiet(_clicks: int) -> Iterator[object]:
        try:
            yield stream_props("out", {"children": "first"})
            release.wait(30)
            yield stream_props("out", {"children": "after release"})
        finally:
            closed.set()

    stream = opened(serve(app).url, stream_body(quiet))
    stream.read_first_update()
    runner = live_streams.streams[stream.stream_id].runner
    assert isinstance(runner, StreamRunner)
    stream.close()
    # Nothing is yielded, so only a failed keep-alive write can reveal the closed connection.
    assert wait_until(lambda: live_streams.count() == 0, 5), "the vanished client went unseen"
    assert runner.cancelled.is_set()
    assert not closed.is_set()
    release.set()  # the generator resumes, yields, and is closed at that yield
    assert closed.wait(5)
    runner.thread.join(5)
    assert not runner.thread.is_alive()


def test_vanished_client_of_a_quiet_async_generator_closes_it_at_once(
    serve: Serve, opened: Callable[[str, Body], OpenStream]
) -> None:
    closed = threading.Event()
    app = new_app()
    app.server.config["DASH_LIVE_KEEPALIVE"] = 0.2

    @event_callback(Input("go", "n_clicks"))
    async def quiet(_clicks: int) -> AsyncIterator[object]:
        try:
            yield stream_props("out", {"children": "first"})
            await asyncio.sleep(30)
            yield stream_props("out", {"children": "never sent"})
        finally:
            closed.set()

    stream = opened(serve(app).url, stream_body(quiet))
    stream.read_first_update()
    stream.close()
    assert closed.wait(5), "the async generator of a vanished client was not cancelled"
    assert wait_until(lambda: live_streams.count() == 0, 5)


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _live_runners() -> int:
    gc.collect()
    return sum(isinstance(o, StreamRunner) for o in gc.get_objects())


def test_a_thousand_aborted_streams_leave_nothing_behind(serve: Serve) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_MAX_STREAMS_PER_CLIENT"] = 1000
    pause = threading.Event()
    closed = [0]
    closed_lock = threading.Lock()

    @event_callback(Input("go", "n_clicks"))
    def chatty(_clicks: int) -> Iterator[object]:
        try:
            for i in range(500):  # ~5 s at most; an aborted stream stops after a few ticks
                yield stream_props("out", {"children": i})
                pause.wait(0.01)
        finally:
            with closed_lock:
                closed[0] += 1

    server = serve(app)

    def abort_streams(count: int) -> None:
        for _ in range(count):
            stream = OpenStream(server.url, stream_body(chatty))
            try:
                stream.read_first_update()
            finally:
                stream.close()

    def settled(streams: int, threads: int) -> bool:
        return live_streams.count() <= streams and threading.active_count() <= threads

    # Warm up (imports, allocator pools, Dash's first-request set-up), then take the baseline.
    abort_streams(20)
    assert wait_until(lambda: closed[0] == 20, 10)
    assert wait_until(lambda: settled(0, threading.active_count()), 10)
    streams_before = live_streams.count()
    assert wait_until(lambda: settled(streams_before, threading.active_count()), 5)
    threads_before = threading.active_count()
    runners_before = _live_runners()
    rss_before = _rss_bytes()

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(abort_streams, 250) for _ in range(4)]:
            future.result(timeout=120)  # a bound against hanging, not a speed target

    assert wait_until(lambda: closed[0] == 1020, 30), f"only {closed[0] - 20} of 1000 closed"
    assert wait_until(lambda: settled(streams_before, threads_before + 5), 30), (
        f"{live_streams.count()} streams and {threading.active_count()} threads left "
        f"(before: {streams_before} and {threads_before})"
    )
    assert _live_runners() <= runners_before
    growth = _rss_bytes() - rss_before
    assert growth < 50 * 1024 * 1024, f"RSS grew by {growth / 1e6:.1f} MB"
