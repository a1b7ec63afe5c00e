"""The dash-live app of benchmark S4 on Dash's FastAPI backend, served by uvicorn.

``tokens`` (key ``benchmarks.apps.live_fastapi_app.tokens``): 500 tokens at 100 tokens/s from
an ``async def`` generator, which runs on the event loop (ideal 5.0 s); ``tokens_sync``: the same
from a plain generator, which runs in a thread of its own. ``GET /bench/info``: pid and open
streams. With ``BENCH_TRANSPORT=socketio`` the streams go over Socket.IO (``attach_socketio``).
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import dash
from dash import Input, html

from dash_live import append, attach_socketio, event_callback, stream_props
from dash_live.callbacks.streams import live_streams

TOKENS = 500
TOKEN_PAUSE = 0.01


@event_callback(Input("cap-go", "n_clicks"), prevent_initial_call=True, timeout=600)
async def tokens(n_clicks: int) -> AsyncIterator[object]:
    # n_clicks 0 is the load generator's warm-up: a short stream.
    for i in range(TOKENS if n_clicks else 3):
        yield stream_props("cap-out", {"children": append(f"tok{i} ")})
        await asyncio.sleep(TOKEN_PAUSE)


@event_callback(Input("cap-sync", "n_clicks"), prevent_initial_call=True, timeout=600)
def tokens_sync(n_clicks: int) -> Iterator[object]:
    for i in range(TOKENS if n_clicks else 3):
        yield stream_props("cap-out", {"children": append(f"tok{i} ")})
        time.sleep(TOKEN_PAUSE)


app = dash.Dash(__name__, backend="fastapi")
# Every load-generator client comes from 127.0.0.1: the per-address limit must not refuse them.
app.server.state.DASH_LIVE_MAX_STREAMS_PER_CLIENT = 100_000
app.server.state.DASH_LIVE_STREAM_TIMEOUT = 600
if os.environ.get("BENCH_TRANSPORT") == "socketio":  # the streams over python-socketio's server
    app.server.state.DASH_LIVE_TRANSPORT = "socketio"
    attach_socketio(app)
app.layout = html.Div(
    [
        html.Button("tokens", id="cap-go"),
        html.Button("tokens (sync)", id="cap-sync"),
        html.Div(id="cap-out"),
    ]
)


@app.server.get("/bench/info")
async def info() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "async_mode": "asyncio",
        "open_streams": live_streams.count(),
        "tasks": len(asyncio.all_tasks()),
        "objects": len(gc.get_objects()),
    }


server = app.server
