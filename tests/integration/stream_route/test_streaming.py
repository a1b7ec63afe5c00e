"""A normal stream over real HTTP: every update in order, values encoded as Dash encodes outputs,
async generators, declaration order, callback context."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import dash
import numpy as np
from dash import ALL, Input, Patch, State, ctx
from dash._utils import to_json as dash_to_json

from dash_live import append, event_callback, merge, stream_props
from dash_live.callbacks.streams import live_streams
from dash_live.core.wire import STREAM_ROUTE
from tests.integration.streams import (
    Serve,
    applied,
    new_app,
    post_stream,
    stream_body,
    wait_until,
)


def test_every_update_arrives_in_order_then_end_done(serve: Serve) -> None:
    def make() -> tuple[dash.Dash, Callable[..., Any]]:
        app = new_app()

        @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
        def count(n_clicks: int) -> Iterator[object]:
            for i in range(100):
                yield stream_props("out", {"children": append([i])})
            yield stream_props([("done", {"children": "done"}), ("status", {"title": n_clicks})])

        return app, count

    app, count = make()
    result = post_stream(serve(app).url, stream_body(count))
    assert result.status == 200
    assert result.complete
    # A backlog may travel folded (coalesce.py): appends concatenate, in order.
    assert applied(result.updates) == {
        ("out", "children"): list(range(100)),
        ("done", "children"): "done",
        ("status", "title"): 1,
    }
    assert result.updates[-2:] == [
        ["done", "children", "set", "done"],
        ["status", "title", "set", 1],
    ]
    assert set(result.names) == {"update", "end"}
    assert result.end == "done"


def test_values_arrive_encoded_as_dash_encodes_outputs(serve: Serve) -> None:
    patch = Patch()
    patch["layout"]["title"] = "patched"
    patch["data"][0]["y"].append(4)
    values = {
        "array": np.array([1.5, np.nan, 3.0]),
        "ints": np.arange(4),
        "scalar": np.int64(7),
        "nan": float("nan"),
        "nested": {"x": np.array([[1, 2], [3, 4]]), "y": [float("nan"), 2]},
    }

    app = new_app()

    @event_callback(Input("go", "n_clicks"))
    def values_stream(_clicks: int) -> Iterator[object]:
        yield stream_props("graph", {"figure": patch})
        yield stream_props("out", {"children": append(" more"), "style": merge({"color": "red"})})
        yield stream_props("list", {"data": append([np.float64(1.0), float("nan")])})
        for name, value in values.items():
            yield stream_props("values", {name: value})

    result = post_stream(serve(app).url, stream_body(values_stream))
    assert result.end == "done"
    expected = [
        ["graph", "figure", "patch", json.loads(dash_to_json(patch))],
        ["out", "children", "append", " more"],
        ["out", "style", "merge", {"color": "red"}],
        ["list", "data", "append", [1.0, None]],
    ] + [["values", name, "set", json.loads(dash_to_json(value))] for name, value in values.items()]
    assert result.updates == expected
    # Spelled out, so the test does not only trust Dash's encoder.
    assert result.updates[0][3]["__dash_patch_update"] == "__dash_patch_update"
    by_name = {update[1]: update[3] for update in result.updates[4:]}
    assert by_name == {
        "array": [1.5, None, 3.0],
        "ints": [0, 1, 2, 3],
        "scalar": 7,
        "nan": None,
        "nested": {"x": [[1, 2], [3, 4]], "y": [None, 2]},
    }
    assert "NaN" not in result.text


def test_async_generator_streams_with_context(serve: Serve) -> None:
    app = new_app()

    @event_callback(Input("go", "n_clicks"), State("status", "children"))
    async def tick(n_clicks: int, status: str) -> AsyncIterator[object]:
        yield stream_props("status", {"children": f"{ctx.triggered_id} {n_clicks} {status}"})
        for i in range(20):
            await asyncio.sleep(0)
            yield stream_props("out", {"children": append(f"{i},")})

    body = stream_body(tick, state=[{"id": "status", "property": "children", "value": "idle"}])
    result = post_stream(serve(app).url, body)
    assert result.status == 200
    assert result.updates[0] == ["status", "children", "set", "go 1 idle"]
    assert applied(result.updates) == {
        ("status", "children"): "go 1 idle",
        ("out", "children"): "".join(f"{i}," for i in range(20)),
    }
    assert result.end == "done"


def test_finished_async_streams_end_cleanly_and_free_their_slot(serve: Serve) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_MAX_STREAMS_PER_CLIENT"] = 2

    @event_callback(Input("go", "n_clicks"))
    async def short(_clicks: int) -> AsyncIterator[object]:
        await asyncio.sleep(0)
        yield stream_props("out", {"children": "x"})

    server = serve(app)
    results = [post_stream(server.url, stream_body(short)) for _ in range(3)]
    assert [r.status for r in results] == [200, 200, 200]
    assert all(r.complete for r in results)
    assert wait_until(lambda: live_streams.count() == 0, 5)


def test_callback_declared_before_dash_app(serve: Serve) -> None:
    def make() -> tuple[dash.Dash, Callable[..., Any]]:
        @event_callback(Input("go", "n_clicks"))
        def early(_clicks: int) -> Iterator[object]:
            yield stream_props("out", {"children": "declared before Dash()"})

        return new_app(), early

    app, early = make()
    result = post_stream(serve(app).url, stream_body(early))
    assert result.updates == [["out", "children", "set", "declared before Dash()"]]
    assert result.end == "done"


def test_callback_declared_after_dash_app(serve: Serve) -> None:
    def make() -> tuple[dash.Dash, Callable[..., Any]]:
        app = new_app()

        @event_callback(Input("go", "n_clicks"))
        def late(_clicks: int) -> Iterator[object]:
            yield stream_props("out", {"children": "declared after Dash()"})

        return app, late

    app, late = make()
    assert "/" + STREAM_ROUTE in app.routes
    result = post_stream(serve(app).url, stream_body(late))
    assert result.updates == [["out", "children", "set", "declared after Dash()"]]
    assert result.end == "done"


def test_pattern_matching_inputs_and_triggered_id(serve: Serve) -> None:
    app = new_app()

    @event_callback(Input({"type": "cell", "index": ALL}, "n_clicks"))
    def cells(clicks: list[int | None]) -> Iterator[object]:
        yield stream_props("out", {"children": f"{ctx.triggered_id['index']}:{clicks}"})

    cell_inputs = [
        {"id": {"type": "cell", "index": i}, "property": "n_clicks", "value": v}
        for i, v in enumerate([None, 2, None])
    ]
    body = stream_body(cells, inputs=[cell_inputs], changed=['{"index":1,"type":"cell"}.n_clicks'])
    result = post_stream(serve(app).url, body)
    assert result.updates == [["out", "children", "set", "1:[None, 2, None]"]]
    assert result.end == "done"
