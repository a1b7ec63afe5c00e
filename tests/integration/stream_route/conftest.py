"""Fixtures of the stream route tests: held generators released and open streams closed at
teardown, and no stream left registered for the next test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from dash_live.callbacks.runner import StreamRunner
from dash_live.callbacks.streams import live_streams
from tests.integration.streams import Body, OpenStream, wait_until


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event generators wait on; set at teardown so no generator outlives its test."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def opened() -> Iterator[Callable[[str, Body], OpenStream]]:
    """Open streams that are closed at teardown, whatever the test did."""
    streams: list[OpenStream] = []

    def open_stream(base_url: str, body: Body) -> OpenStream:
        stream = OpenStream(base_url, body)
        streams.append(stream)
        return stream

    yield open_stream
    for stream in streams:
        stream.close()


@pytest.fixture(autouse=True)
def _no_stream_left_over() -> Iterator[None]:
    # live_streams is process-wide and counts streams per client address (all tests connect
    # from 127.0.0.1): a stream one test leaks must not use up the
    # per-client limit of the next test.
    yield
    if not wait_until(lambda: live_streams.count() == 0, 5):
        with live_streams.lock:
            for entry in live_streams.streams.values():
                runner = entry.runner
                if isinstance(runner, StreamRunner):
                    runner.cancelled.set()  # not cancel(): that is what raises for async runners
                else:
                    runner.cancel()
            live_streams.streams.clear()
            live_streams.per_client.clear()
            live_streams.of_owner.clear()
