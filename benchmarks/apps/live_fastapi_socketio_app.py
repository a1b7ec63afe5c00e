"""dash-live's Socket.IO on Dash's FastAPI backend, for S5 (fan-out), served by uvicorn.

``POST /bench/broadcast``: one ``push_props(..., broadcast=True)`` carrying the server's
``time.time()``; ``GET /bench/info``: the pid. The page is a ``DashSocketIO``, as a real app's.
"""

from __future__ import annotations

import os
import time
from typing import Any

import dash
from dash import html

from dash_live import DashSocketIO, attach_socketio, push_props

app = dash.Dash(__name__, backend="fastapi")
socketio = attach_socketio(app)
app.layout = html.Div([DashSocketIO(id="sock"), html.Div(id="fan-out")])
server = app.server


@server.post("/bench/broadcast")
async def broadcast() -> dict[str, Any]:
    sent = time.time()
    task = push_props("fan-out", {"children": sent}, broadcast=True, socketio=socketio)
    if task is not None:
        await task  # sent: the emit has queued the message for every socket
    return {"sent": sent, "call_seconds": time.time() - sent}


@server.get("/bench/info")
async def info() -> dict[str, Any]:
    return {"pid": os.getpid(), "async_mode": "asyncio"}
