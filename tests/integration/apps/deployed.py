"""One small dash-live app, deployed for real by ``tests/integration/test_deployment.py``.

- ``gunicorn -k gthread --threads 8 -w 1 tests.integration.apps.deployed:server``
- ``gunicorn -k gevent -w 1 tests.integration.apps.deployed:server``
- ``python -m tests.integration.apps.devserver PORT app.run|socketio.run`` (the dev servers)

It serves two event callbacks: :func:`count` (key ``tests.integration.apps.deployed.count``)
streams to completion, :func:`hold` waits, between two updates, until a Socket.IO client sends
``release`` with the same token. It also serves a Socket.IO handler that pushes props back to
the socket that asked (``push-me``), and ``GET /_deployed/info``: how this process runs (its
pid, async mode and gevent patching).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import dash
import flask
from dash import Input, State, dcc, html

from dash_live import (
    DashSocketIO,
    LiveSocketIO,
    append,
    attach_socketio,
    event_callback,
    push_props,
    stream_props,
)

#: Updates the event callback yields before it ends.
COUNT = 20


@event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
def count(n_clicks: int) -> Iterator[object]:
    """Stream ``0 1 ... COUNT-1`` into ``out``, then who ran it."""
    yield stream_props("out", {"children": ""})
    for i in range(COUNT):
        yield stream_props("out", {"children": append(f"{i} ")})
    yield stream_props("status", {"children": f"clicked {n_clicks} in {os.getpid()}"})


#: Seconds :func:`hold` waits for its release before it gives up.
HOLD_SECONDS = 20

_gates: dict[str, threading.Event] = {}
_gates_lock = threading.Lock()


def _gate(token: str) -> threading.Event:
    with _gates_lock:
        return _gates.setdefault(token, threading.Event())


@event_callback(Input("hold", "n_clicks"), State("token", "value"), prevent_initial_call=True)
def hold(_clicks: int, token: str) -> Iterator[object]:
    """Yield ``holding``, wait until ``release`` arrives over Socket.IO, yield ``released``."""
    yield stream_props("out", {"children": f"holding {token}"})
    released = _gate(token).wait(HOLD_SECONDS)
    yield stream_props("out", {"children": f"released {token}" if released else "gave up"})


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey is not None and monkey.is_module_patched("socket"))


def create_app() -> tuple[dash.Dash, LiveSocketIO]:
    app = dash.Dash(__name__)
    socketio = attach_socketio(app)
    app.layout = html.Div(
        [
            DashSocketIO(id="socket"),
            html.Button("go", id="go"),
            html.Button("hold", id="hold"),
            dcc.Input(id="token", value=""),
            html.Div(id="out"),
            html.Div(id="status"),
        ]
    )

    @socketio.on("push-me")
    def push_me(text: Any) -> str:
        sid: str = flask.request.sid  # type: ignore[attr-defined]
        push_props("out", {"children": append(str(text))}, to=sid, socketio=socketio)
        return "pushed"

    @socketio.on("release")
    def release(token: Any) -> str:
        _gate(str(token)).set()
        return "released"

    @app.server.route("/_deployed/info")
    def info() -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "async_mode": socketio.async_mode,
            "gevent_patched": _gevent_patched(),
        }

    return app, socketio


app, socketio = create_app()
server = app.server
