"""A dash-live app on Dash's FastAPI backend, deployed for real by
``tests/integration/test_asgi_stream.py``:

- ``uvicorn --workers 2 tests.integration.apps.fastapi_deployed:server``
- ``python -m tests.integration.apps.fastapi_deployed PORT`` (``app.run``)

:func:`count` (key ``tests.integration.apps.fastapi_deployed.count``) streams ``0 .. COUNT-1``
from an async generator, then the pid of the process that ran it. :func:`flood` (async) and
:func:`flood_sync` stream 64 KiB updates until their 2 s timeout; ``GET /_deployed/state``
says what the process holds for streams.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import dash
from dash import Input, html

from dash_live import append, attach_socketio, event_callback, stream_props
from dash_live.callbacks.deadlines import deadlines
from dash_live.callbacks.streams import live_streams

COUNT = 20


@event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
async def count(_n_clicks: int) -> AsyncIterator[object]:
    for i in range(COUNT):
        yield stream_props("out", {"children": append(f"{i} ")})
        await asyncio.sleep(0)
    yield stream_props("status", {"children": str(os.getpid())})


#: The timeout of :func:`flood` and :func:`flood_sync`, in seconds.
FLOOD_TIMEOUT = 2
_flooding = 0  # flood generators open in this process (async ones on the loop, sync in threads)
_flooding_lock = threading.Lock()


def _count(step: int) -> None:
    global _flooding
    with _flooding_lock:
        _flooding += step


@event_callback(Input("flood", "n_clicks"), prevent_initial_call=True, timeout=FLOOD_TIMEOUT)
async def flood(_n_clicks: int) -> AsyncIterator[object]:
    """Yield 64 KiB updates as fast as they are written, until stopped."""
    _count(1)
    try:
        while True:
            yield stream_props("out", {"children": "x" * 65536})
    finally:
        _count(-1)


@event_callback(Input("flood-sync", "n_clicks"), prevent_initial_call=True, timeout=FLOOD_TIMEOUT)
def flood_sync(_n_clicks: int) -> Iterator[object]:
    """:func:`flood` as a sync generator (it runs in a thread of its own)."""
    _count(1)
    try:
        while True:
            yield stream_props("out", {"children": "x" * 65536})
    finally:
        _count(-1)


app = dash.Dash(__name__, backend="fastapi")
app.layout = html.Div(
    [
        html.Button(id="go"),
        html.Button(id="flood"),
        html.Button(id="flood-sync"),
        html.Div(id="out"),
        html.Div(id="status"),
    ]
)
attach_socketio(app)  # streams over Socket.IO too: test_hardening's socket cases
server = app.server
if "DEPLOYED_MAX_STREAMS" in os.environ:  # test_hardening tries the per-client limit
    server.state.DASH_LIVE_MAX_STREAMS_PER_CLIENT = int(os.environ["DEPLOYED_MAX_STREAMS"])


async def state() -> dict[str, Any]:
    """What this process holds for streams: to count after each abusive case."""
    with _flooding_lock:
        flooding = _flooding
    return {
        "flooding": flooding,
        "streams": live_streams.count(),
        "deadlines": deadlines.pending(),
        # Threads that run generators (named by runner.py), not the server's own pool.
        "stream_threads": sum(t.name.startswith("dash-live:") for t in threading.enumerate()),
        "tasks": len(asyncio.all_tasks()) - 1,  # not this request's own
    }


server.add_api_route("/_deployed/state", state, methods=["GET"])

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False)
