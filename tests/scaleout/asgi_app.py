"""The scale-out app on Dash's FastAPI backend: the same handlers as :mod:`tests.scaleout.app`,
with python-socketio's arguments (the sid first), served by uvicorn, one process each::

    python -m uvicorn tests.scaleout.asgi_app:server --port PORT

The Redis URL comes from ``DASH_LIVE_REDIS_URL``; the room-token secret from ``APP_SECRET_KEY``,
set as ``DASH_LIVE_SECRET_KEY`` in the app's state (a FastAPI app has no ``secret_key``).
"""

from __future__ import annotations

import asyncio
import os
import sys

import dash
from dash import html

import dash_live
from dash_live import DashSocketIO, attach_socketio

reaping: set[asyncio.Future[int]] = set()


def create_app() -> tuple[dash.Dash, dash_live.LiveAsyncSocketIO]:
    app = dash.Dash(__name__, backend="fastapi")
    # One secret for every worker: a room token signed by one is honoured by the others.
    app.server.state.DASH_LIVE_SECRET_KEY = os.environ.get("APP_SECRET_KEY")
    socketio = attach_socketio(app)
    assert isinstance(socketio, dash_live.LiveAsyncSocketIO)
    app.layout = html.Div([DashSocketIO(id="socket"), html.Div(id="progress")])

    @socketio.on("whoami")
    async def whoami(sid: str) -> int:
        return os.getpid()

    @socketio.on("join")
    def join(sid: str, room: str) -> str:  # a plain function: run in a thread
        dash_live.join_room(room, sid)
        return room

    @socketio.on("leave")
    def leave(sid: str, room: str) -> str:
        dash_live.leave_room(room, sid)
        return room

    @socketio.on("start-job")
    async def start_job(sid: str, steps: int) -> int:
        job = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.scaleout.job", sid, str(int(steps)), env=os.environ.copy()
        )
        reaping.add(asyncio.ensure_future(job.wait()))  # no zombie is left behind
        return job.pid

    return app, socketio


app, socketio = create_app()
server = app.server
