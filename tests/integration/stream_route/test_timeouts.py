"""The stream timeout (also of a stuck generator), its default from the app config, keep-alive
comments while the generator is quiet."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

from dash import Input

from dash_live import event_callback, stream_props
from dash_live.callbacks.streams import live_streams
from tests.integration.streams import (
    Body,
    OpenStream,
    Serve,
    new_app,
    post_stream,
    stream_body,
    updates_in,
    wait_until,
)


def test_timeout_of_a_stuck_generator(serve: Serve) -> None:
    release = threading.Event()
    closed = threading.Event()
    app = new_app()

    @event_callback(
        Input("go", "n_clicks"), timeout=0.5, reset_props=[("status", {"children": "reset"})]
    )
    def stuck(_clicks: int) -> Iterator[object]:
        try:
            yield stream_props("out", {"children": "started"})
            release.wait(30)  # stuck between yields: only the wall clock ends the stream
            yield stream_props("out", {"children": "never sent"})
        finally:
            closed.set()

    try:
        started = time.monotonic()
        result = post_stream(serve(app).url, stream_body(stuck))
        elapsed = time.monotonic() - started
        assert elapsed < 5, f"the timeout took {elapsed:.1f} s"
        assert result.updates == [
            ["out", "children", "set", "started"],
            ["status", "children", "set", "reset"],
        ]
        (error,) = result.errors
        assert "timed out after 0.5 s" in error["message"]
        assert result.end == "timeout"
        assert result.complete
        assert not closed.is_set(), "the generator cannot be closed while it is stuck"
    finally:
        release.set()
    assert closed.wait(5), "the generator was not closed once it resumed"
    assert wait_until(lambda: live_streams.count() == 0, 5)


def test_default_timeout_comes_from_the_app_config(serve: Serve, release: threading.Event) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_STREAM_TIMEOUT"] = 0.3

    @event_callback(Input("go", "n_clicks"))
    def quiet(_clicks: int) -> Iterator[object]:
        release.wait(30)
        yield stream_props("out", {"children": "never sent"})

    result = post_stream(serve(app).url, stream_body(quiet))
    assert "timed out after 0.3 s" in result.errors[0]["message"]
    assert result.end == "timeout"


def test_keep_alive_comments_while_the_generator_is_quiet(
    serve: Serve, release: threading.Event, opened: Callable[[str, Body], OpenStream]
) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_KEEPALIVE"] = 0.2

    @event_callback(Input("go", "n_clicks"))
    def quiet(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "first"})
        release.wait(30)
        yield stream_props("out", {"children": "last"})

    stream = opened(serve(app).url, stream_body(quiet))
    stream.read_first_update()

    def keep_alives_after_first_update(s: OpenStream) -> int:
        return s.text.split("event: update", 1)[1].count(": keep-alive\n\n")

    stream.read_until(lambda s: keep_alives_after_first_update(s) >= 3, timeout=10)
    release.set()
    stream.read_to_end()
    assert stream.complete
    assert updates_in(stream.events) == [
        ["out", "children", "set", "first"],
        ["out", "children", "set", "last"],
    ]
    assert stream.events[-1] == ("end", {"reason": "done"})
    assert stream.response.headers["Content-Type"].startswith("text/event-stream")
    assert stream.response.headers["Cache-Control"] == "no-cache"
