"""One small dash-live app, deployed for real by ``tests/integration/test_deployment.py``.

- ``gunicorn -k gthread --threads 8 -w 1 tests.integration.apps.deployed:server``
- ``gunicorn -k gevent -w 1 tests.integration.apps.deployed:server``
- ``python -m tests.integration.apps.devserver PORT app.run|socketio.run`` (the dev servers)

It serves two event callbacks: :func:`count` (key ``tests.integration.apps.deployed.count``)
streams to completion, :func:`flood` streams 64 KiB updates until its 2 s timeout,
:func:`hold` waits, between two updates, until a Socket.IO client sends
``release`` with the same token. It also serves a Socket.IO handler that pushes props back to
the socket that asked (``push-me``), and ``GET /_deployed/info``: how this process runs (its
pid, async mode and gevent patching), and ``GET /_deployed/state``: what it holds for streams.
"""

from __future__ import annotations

import gc
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
    event_callback,
    push_props,
    stream_props,
)
from dash_live.callbacks.deadlines import deadlines
from dash_live.callbacks.streams import live_streams
from tests.typed import attach_flask_socketio

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


#: The timeout of :func:`flood`, in seconds.
FLOOD_TIMEOUT = 2
_flooding = 0  # flood generators open in this process
_flooding_lock = threading.Lock()


@event_callback(Input("flood", "n_clicks"), prevent_initial_call=True, timeout=FLOOD_TIMEOUT)
def flood(_clicks: int) -> Iterator[object]:
    """Yield 64 KiB updates as fast as they are taken, until stopped; count itself while open."""
    global _flooding
    with _flooding_lock:
        _flooding += 1
    try:
        while True:
            yield stream_props("out", {"children": "x" * 65536})
    finally:
        with _flooding_lock:
            _flooding -= 1


def _live_greenlets() -> int:
    """Greenlets alive in this process (0 without gevent)."""
    if "greenlet" not in sys.modules:
        return 0
    from greenlet import greenlet

    return sum(1 for o in gc.get_objects() if isinstance(o, greenlet) and not o.dead)


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey is not None and monkey.is_module_patched("socket"))


def create_app() -> tuple[dash.Dash, LiveSocketIO]:
    app = dash.Dash(__name__)
    if "DEPLOYED_MAX_STREAMS" in os.environ:  # test_hardening tries the per-client limit
        app.server.config["DASH_LIVE_MAX_STREAMS_PER_CLIENT"] = int(
            os.environ["DEPLOYED_MAX_STREAMS"]
        )
    socketio = attach_flask_socketio(app)
    app.layout = html.Div(
        [
            DashSocketIO(id="socket"),
            html.Button("go", id="go"),
            html.Button("hold", id="hold"),
            html.Button("flood", id="flood"),
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

    @app.server.route("/_deployed/state")
    def state() -> dict[str, Any]:
        """What this process holds for streams: to count after each abusive case."""
        with _flooding_lock:
            flooding = _flooding
        return {
            "flooding": flooding,
            "streams": live_streams.count(),
            "deadlines": deadlines.pending(),
            # Threads that run generators (named by runner.py), not the server's own pool.
            "stream_threads": sum(t.name.startswith("dash-live:") for t in threading.enumerate()),
            "greenlets": _live_greenlets(),
        }

    return app, socketio


app, socketio = create_app()
server = app.server
