"""A failing generator: what the page is told in and out of debug mode, `on_error`, what may be
yielded."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dash import Input

from dash_live import event_callback, stream_props
from tests.integration.streams import (
    Serve,
    key_of,
    new_app,
    post_stream,
    stream_body,
)


class Failing:
    """An app whose event callback sends one update, then raises."""

    SECRET = "secret internals 1234"

    def __init__(self, debug: bool = False, on_error: Callable[[Exception], Any] | None = None):
        self.app = new_app()
        if debug:
            self.app.enable_dev_tools(
                debug=True, dev_tools_hot_reload=False, dev_tools_disable_version_check=True
            )

        @event_callback(
            Input("go", "n_clicks"),
            reset_props={"status": {"children": "reset"}},
            on_error=on_error,
        )
        def failing(_clicks: int) -> Iterator[object]:
            yield stream_props("out", {"children": "before the failure"})
            raise RuntimeError(Failing.SECRET)

        self.func = failing


def test_error_outside_debug_mode_hides_internals_and_logs_them(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    failing = Failing()
    with caplog.at_level(logging.ERROR, logger="dash_live"):
        result = post_stream(serve(failing.app).url, stream_body(failing.func))
    assert result.updates == [
        ["out", "children", "set", "before the failure"],
        ["status", "children", "set", "reset"],
    ]
    assert result.names == ["update", "update", "error", "end"]
    (error,) = result.errors
    assert "failed; the server log has details" in error["message"]
    assert error["traceback"] is None
    assert Failing.SECRET not in result.text
    assert "RuntimeError" not in result.text
    assert result.end == "error"
    logged = [r for r in caplog.records if r.name == "dash_live" and r.exc_info]
    assert logged, "the traceback was not logged"
    assert any(key_of(failing.func) in r.getMessage() for r in logged)
    exc_info = logged[0].exc_info
    assert exc_info is not None
    assert isinstance(exc_info[1], RuntimeError)
    assert Failing.SECRET in caplog.text
    assert "Traceback" in caplog.text


def test_error_in_debug_mode_sends_message_and_traceback(serve: Serve) -> None:
    failing = Failing(debug=True)
    result = post_stream(serve(failing.app).url, stream_body(failing.func))
    assert result.names == ["update", "update", "error", "end"]
    (error,) = result.errors
    assert f"RuntimeError: {Failing.SECRET}" in error["message"]
    assert "failing" in error["message"]
    assert error["traceback"].startswith("Traceback")
    assert Failing.SECRET in error["traceback"]
    assert result.end == "error"


def test_on_error_updates_replace_the_generic_error(serve: Serve) -> None:
    seen: list[Exception] = []

    def handle(error: Exception) -> object:
        seen.append(error)
        return [stream_props("status", {"children": f"handled {type(error).__name__}"})]

    failing = Failing(on_error=handle)
    result = post_stream(serve(failing.app).url, stream_body(failing.func))
    assert result.updates == [
        ["out", "children", "set", "before the failure"],
        ["status", "children", "set", "reset"],
        ["status", "children", "set", "handled RuntimeError"],
    ]
    assert result.errors == []
    assert "server log" not in result.text
    assert Failing.SECRET not in result.text
    assert result.end == "error"
    assert len(seen) == 1
    assert str(seen[0]) == Failing.SECRET


def test_a_failing_on_error_falls_back_to_the_generic_error(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    def handle(error: Exception) -> object:
        raise ValueError("the handler broke too")

    failing = Failing(on_error=handle)
    with caplog.at_level(logging.ERROR, logger="dash_live"):
        result = post_stream(serve(failing.app).url, stream_body(failing.func))
    (error,) = result.errors
    assert "failed; the server log has details" in error["message"]
    assert result.end == "error"
    assert "the on_error handler" in caplog.text
    assert "the handler broke too" in caplog.text


def test_yielding_something_else_than_stream_props_is_an_error(serve: Serve) -> None:
    app = new_app()
    app.enable_dev_tools(
        debug=True, dev_tools_hot_reload=False, dev_tools_disable_version_check=True
    )

    @event_callback(Input("go", "n_clicks"))
    def wrong(_clicks: int) -> Iterator[object]:
        yield {"out": "not stream_props"}

    result = post_stream(serve(app).url, stream_body(wrong))
    (error,) = result.errors
    assert "InvalidUpdateError" in error["message"]
    assert "stream_props" in error["message"]
    assert result.end == "error"
