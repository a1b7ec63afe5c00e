"""dash-socketio 1.1.1, written as its README has users write it.

A normal callback emits one event per token to the tab's socket id with ``flask_socketio.emit``
and the README's clientside callback accumulates them: ``(word, text) => text + word`` on
``data-stream``. The README paces its words 50 ms apart; S1 emits with no sleep, S2 20 ms apart.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from dash import Dash, Input, Output, State
from flask_socketio import SocketIO, emit

from benchmarks.apps.common import Params, layout, mark_ready, parse_params, serve_flask, stamp
from benchmarks.apps.common import tokens as make_tokens

# Untyped and not installed in the project's own venv: imported by name.
dash_socketio: Any = importlib.import_module("dash_socketio")


def build(params: Params) -> Dash:
    tokens = make_tokens(params.tokens)
    app = Dash(__name__)
    app.server.secret_key = "bench"
    # The README writes SocketIO(app.server); Flask-SocketIO would pick gevent because the bench
    # venv has it installed, which does not work under the threaded dev server the README runs.
    SocketIO(app.server, async_mode="threading")
    app.layout = layout(
        params, dash_socketio.DashSocketIO(id="sock", eventNames=["stream", "tick"])
    )
    mark_ready(app, "sock")

    @app.callback(
        Output("s1-status", "children"),
        Input("s1-go", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def s1(_n: int, socket_id: str) -> str:
        for token in tokens:
            emit("stream", token, namespace="/", to=socket_id)
        return "sent"

    app.clientside_callback(
        "(word, text) => text + word",
        Output("s1-out", "children"),
        Input("sock", "data-stream"),
        State("s1-out", "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("s2-status", "children"),
        Input("s2-go", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def s2(_n: int, socket_id: str) -> str:
        for i in range(params.updates):
            if i:
                time.sleep(params.interval)
            emit("tick", stamp(i), namespace="/", to=socket_id)
        return "sent"

    app.clientside_callback(
        "(tick) => tick",
        Output("s2-out", "children"),
        Input("sock", "data-tick"),
        prevent_initial_call=True,
    )
    return app


if __name__ == "__main__":
    options = parse_params()
    serve_flask(build(options), options.port)
