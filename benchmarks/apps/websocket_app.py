"""Dash 4.4.1 WebSocket callbacks on the FastAPI backend.

Dash 4.4.1 has them as ``Dash(backend="fastapi")`` plus ``websocket=True`` on a callback (or
``websocket_callbacks=True`` on the app): while such a callback runs, ``dash.set_props`` is sent
to the tab at once over the page's WebSocket (a SharedWorker), and a ``Patch`` is applied by the
renderer. Callbacks are ``async def`` as Dash recommends for long-running ones (sync callbacks
share a pool of ``websocket_max_workers`` = 4 threads). Served by uvicorn.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from dash import Dash, Input, Output, Patch, set_props

from benchmarks.apps.common import Params, layout, mark_ready, parse_params, stamp
from benchmarks.apps.common import tokens as make_tokens


def build(params: Params) -> Dash:
    tokens = make_tokens(params.tokens)
    app = Dash(__name__, backend="fastapi")
    app.layout = layout(params)
    mark_ready(app)

    @app.callback(
        Output("s1-status", "children"),
        Input("s1-go", "n_clicks"),
        websocket=True,
        prevent_initial_call=True,
    )
    async def s1(_n: int) -> str:
        for token in tokens:
            text = Patch()
            text += token
            set_props("s1-out", {"children": text})
        return "done"

    @app.callback(
        Output("s2-status", "children"),
        Input("s2-go", "n_clicks"),
        websocket=True,
        prevent_initial_call=True,
    )
    async def s2(_n: int) -> str:
        for i in range(params.updates):
            if i:
                await asyncio.sleep(params.interval)
            set_props("s2-out", {"children": stamp(i)})
        return "done"

    for index in range(params.streams):
        add_stream(app, index, params)
    return app


def add_stream(app: Dash, index: int, params: Params) -> None:
    @app.callback(
        Output(f"s3-go-{index}", "title"),
        Input(f"s3-go-{index}", "n_clicks"),
        websocket=True,
        prevent_initial_call=True,
    )
    async def s3(_n: int) -> str:
        for k in range(params.stream_updates):
            if k:
                await asyncio.sleep(params.stream_interval)
            set_props(f"s3-out-{index}", {"children": str(k + 1)})
        return "done"


if __name__ == "__main__":
    options = parse_params()
    uvicorn: Any = importlib.import_module("uvicorn")
    uvicorn.run(build(options).server, host="127.0.0.1", port=options.port, log_level="warning")
