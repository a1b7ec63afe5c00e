"""The dash-live app of benchmarks S4-S6, served by gunicorn in its own process.

- ``tokens`` (key ``benchmarks.apps.live_app.tokens``): 500 tokens at 100 tokens/s, the
  generator sleeping 0.01 s after each yield (S4, ideal 5.0 s);
- ``flood``: as many updates per second as :data:`FLOOD_RATE` allows for
  :data:`FLOOD_SECONDS`, each setting a counter to ``i`` and appending one character (S6);
- ``POST /bench/broadcast``: one ``push_props(..., broadcast=True)`` carrying the server's
  ``time.time()`` (S5);
- ``GET /bench/info``: pid, async mode, open streams.

``BENCH_TRANSPORT`` (``sse`` or ``socketio``) sets ``DASH_LIVE_TRANSPORT``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import dash
import flask
from dash import Input, html

from dash_live import (
    DashSocketIO,
    append,
    attach_socketio,
    event_callback,
    push_props,
    stream_props,
)
from dash_live.callbacks.streams import live_streams

TOKENS = 500
TOKEN_PAUSE = 0.01
FLOOD_RATE = 50_000
FLOOD_SECONDS = float(os.environ.get("BENCH_FLOOD_SECONDS", "10"))


@event_callback(Input("cap-go", "n_clicks"), prevent_initial_call=True, timeout=600)
def tokens(n_clicks: int) -> Iterator[object]:
    # n_clicks 0 is the load generator's warm-up: a short stream, so lazy imports are done
    # before the server's memory is measured.
    for i in range(TOKENS if n_clicks else 3):
        yield stream_props("cap-out", {"children": append(f"tok{i} ")})
        time.sleep(TOKEN_PAUSE)


@event_callback(Input("flood-go", "n_clicks"), prevent_initial_call=True, timeout=600)
def flood(_n: int) -> Iterator[object]:
    total = int(FLOOD_RATE * FLOOD_SECONDS)
    start = time.perf_counter()
    for i in range(total):
        # Paced to FLOOD_RATE: sleep only when ahead of schedule (a sleep per update would
        # cap the rate far below it).
        ahead = start + i / FLOOD_RATE - time.perf_counter()
        if ahead > 0.001:
            time.sleep(ahead)
        yield stream_props(
            [("flood-count", {"children": i}), ("flood-text", {"children": append("x")})]
        )
    elapsed = time.perf_counter() - start
    yield stream_props("flood-rate", {"children": f"{total / elapsed:.0f}"})


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey is not None and monkey.is_module_patched("socket"))


app = dash.Dash(__name__)
app.server.config["DASH_LIVE_TRANSPORT"] = os.environ.get("BENCH_TRANSPORT", "sse")
# Every load-generator client comes from 127.0.0.1: the per-address limit must not refuse them.
app.server.config["DASH_LIVE_MAX_STREAMS_PER_CLIENT"] = 100_000
app.server.config["DASH_LIVE_STREAM_TIMEOUT"] = 600
socketio = attach_socketio(app)
app.layout = html.Div(
    [
        DashSocketIO(id="sock"),
        html.Div(id="sid"),
        html.Button("tokens", id="cap-go"),
        html.Div(id="cap-out"),
        html.Button("flood", id="flood-go"),
        html.Div(id="flood-count"),
        html.Div(id="flood-rate"),
        html.Div(id="flood-text", style={"wordBreak": "break-all"}),
        html.Div(id="fan-out"),
    ]
)
app.clientside_callback("(s) => s || ''", dash.Output("sid", "children"), Input("sock", "socketId"))


@app.server.post("/bench/broadcast")
def broadcast() -> dict[str, Any]:
    sent = time.time()
    push_props("fan-out", {"children": sent}, broadcast=True, socketio=socketio)
    return {"sent": sent, "call_seconds": time.time() - sent}


@app.server.get("/bench/info")
def info() -> dict[str, Any]:
    return {
        "pid": os.getpid(),
        "async_mode": getattr(socketio, "async_mode", "asyncio"),
        "gevent_patched": _gevent_patched(),
        "open_streams": live_streams.count(),
        "transport": flask.current_app.config["DASH_LIVE_TRANSPORT"],
    }


server = app.server
