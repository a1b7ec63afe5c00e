"""dash_live.testing.run_event_callback: users' own unit tests of event callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from dash import Input, State, ctx
from dash.exceptions import MissingCallbackContextException

from dash_live import InvalidUpdateError, append, event_callback, stream_props
from dash_live.core.stream_props import StreamProps
from dash_live.core.updates import Update
from dash_live.testing import run_event_callback


@event_callback(Input("go", "n_clicks"), State("question", "value"), prevent_initial_call=True)
def answer(n_clicks: int, question: str) -> Iterator[StreamProps | list[StreamProps]]:
    yield stream_props("answer", {"children": ""})
    for word in question.split():
        yield stream_props("answer", {"children": append(word + " ")})
    yield [stream_props("status", {"children": "done"}), stream_props("go", {"disabled": False})]


def test_returns_every_update_in_order() -> None:
    assert run_event_callback(answer, 1, "why blue") == [
        Update("answer", "children", "set", ""),
        Update("answer", "children", "append", "why "),
        Update("answer", "children", "append", "blue "),
        Update("status", "children", "set", "done"),
        Update("go", "disabled", "set", False),
    ]


def test_async_generators() -> None:
    async def count(n: int) -> AsyncIterator[StreamProps]:
        for i in range(n):
            await asyncio.sleep(0)
            yield stream_props("out", {"children": i})

    assert [u.value for u in run_event_callback(count, 3)] == [0, 1, 2]


def test_triggered_is_seen_through_dash_ctx() -> None:
    def which(a: int, b: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": str(ctx.triggered_id)})
        yield stream_props("out", {"children": [t["prop_id"] for t in ctx.triggered]})

    first, second = run_event_callback(which, 1, 2, triggered=["b.n_clicks"])
    assert first.value == "b"
    assert second.value == ["b.n_clicks"]


def test_the_callback_context_is_restored_afterwards() -> None:
    def probe() -> Iterator[StreamProps]:
        yield stream_props("out", {"children": str(ctx.triggered_id)})

    run_event_callback(probe, triggered=["x.value"])
    with pytest.raises(MissingCallbackContextException, match="only available from a callback"):
        _ = ctx.triggered_id


def test_errors_propagate() -> None:
    def failing() -> Iterator[StreamProps]:
        yield stream_props("out", {"children": 1})
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom"):
        run_event_callback(failing)


def test_async_errors_propagate() -> None:
    async def failing() -> AsyncIterator[StreamProps]:
        yield stream_props("out", {"children": 1})
        raise KeyError("missing")

    with pytest.raises(KeyError, match="missing"):
        run_event_callback(failing)


def test_a_bad_yield_raises_naming_it() -> None:
    def bad() -> Iterator[object]:
        yield {"children": 1}

    with pytest.raises(InvalidUpdateError, match="got \\{'children': 1\\}"):
        run_event_callback(bad)


def test_a_generator_that_yields_nothing() -> None:
    def nothing() -> Iterator[StreamProps]:
        return
        yield  # pragma: no cover

    assert run_event_callback(nothing) == []


def test_an_async_generator_runs_even_inside_a_running_event_loop() -> None:
    # As in Jupyter, an async test, or beside Playwright's sync API.
    @event_callback(Input("go", "n_clicks"))
    async def stream(_clicks: int) -> AsyncIterator[object]:
        for i in range(3):
            await asyncio.sleep(0)
            yield stream_props("out", {"children": i})

    async def inside_a_loop() -> list[Any]:
        asyncio.get_running_loop()  # the premise: a loop runs in this thread
        return [u.value for u in run_event_callback(stream, 1)]

    # A thread of its own for the outer loop: this test process may already run one in the
    # main thread (Playwright's sync API, when the browser tier ran first).
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, inside_a_loop()).result(timeout=30) == [0, 1, 2]
