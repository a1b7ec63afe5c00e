"""A Dash app served by several processes that share one Redis (``DASH_LIVE_REDIS_URL``).

``python -m tests.scaleout.app PORT`` serves it with the threaded dev server; gunicorn serves
``tests.scaleout.app:server``. Socket.IO handlers used by the tests:

- ``whoami`` answers the PID of the process holding the connection;
- ``join`` puts the connection in a room;
- ``start-job`` runs :mod:`tests.scaleout.job` in a separate process, which streams its progress
  to this connection through Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import dash
import flask
from dash import html

import dash_live
from dash_live import DashSocketIO
from tests.typed import attach_flask_socketio


def create_app() -> tuple[dash.Dash, dash_live.LiveSocketIO]:
    app = dash.Dash(__name__)
    # One secret for every worker: a room token signed by one is honoured by the others.
    app.server.secret_key = os.environ.get("APP_SECRET_KEY")
    socketio = attach_flask_socketio(app)  # the Redis URL comes from DASH_LIVE_REDIS_URL
    app.layout = html.Div([DashSocketIO(id="socket"), html.Div(id="progress")])

    @app.server.route("/login/<name>")
    def login(name: str) -> str:
        # The app's own login: the session (signed with the shared secret) names the user.
        flask.session["user_id"] = name
        return "logged in"

    @socketio.on("whoami")
    def whoami() -> int:
        return os.getpid()

    @socketio.on("join")
    def join(room: str) -> str:
        request: Any = flask.request
        dash_live.join_room(room, request.sid)
        return room

    @socketio.on("leave")
    def leave(room: str) -> str:
        request: Any = flask.request
        dash_live.leave_room(room, request.sid)
        return room

    @socketio.on("start-job")
    def start_job(steps: int) -> int:
        request: Any = flask.request
        job = subprocess.Popen(
            [sys.executable, "-m", "tests.scaleout.job", request.sid, str(int(steps))],
            env=os.environ.copy(),
        )
        # Reap it in the background so no zombie is left behind.
        socketio.start_background_task(job.wait)
        return job.pid

    return app, socketio


app, socketio = create_app()
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False)
