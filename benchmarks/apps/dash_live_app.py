"""dash-live: ``@event_callback`` streams over SSE (``--mode sse``) or over the page's Socket.IO
connection (``--mode socketio``), and ``push_props`` from normal callbacks (``--mode push``).

Written as the README shows: ``yield stream_props(id, {"children": append(token)})``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from dash import Dash, Input, Output, State

from benchmarks.apps.common import Params, layout, mark_ready, parse_params, serve_flask, stamp
from benchmarks.apps.common import tokens as make_tokens
from dash_live import DashSocketIO, append, attach_socketio, event_callback, push_props
from dash_live import stream_props as live_props


def add_event_callbacks(params: Params) -> None:
    tokens = make_tokens(params.tokens)

    @event_callback(Input("s1-go", "n_clicks"), prevent_initial_call=True, timeout=params.timeout)
    def s1(_n: int) -> Iterator[object]:
        for token in tokens:
            yield live_props("s1-out", {"children": append(token)})

    @event_callback(Input("s2-go", "n_clicks"), prevent_initial_call=True, timeout=params.timeout)
    def s2(_n: int) -> Iterator[object]:
        for i in range(params.updates):
            if i:
                time.sleep(params.interval)
            yield live_props("s2-out", {"children": stamp(i)})

    for index in range(params.streams):
        add_stream(index, params)


def add_stream(index: int, params: Params) -> None:
    @event_callback(
        Input(f"s3-go-{index}", "n_clicks"), prevent_initial_call=True, timeout=params.timeout
    )
    def s3(_n: int) -> Iterator[object]:
        for k in range(params.stream_updates):
            if k:
                time.sleep(params.stream_interval)
            yield live_props(f"s3-out-{index}", {"children": str(k + 1)})


def add_push_callbacks(app: Dash, params: Params) -> None:
    tokens = make_tokens(params.tokens)

    @app.callback(
        Output("s1-status", "children"),
        Input("s1-go", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def s1(_n: int, sid: str) -> str:
        for token in tokens:
            push_props("s1-out", {"children": append(token)}, to=sid)
        return "sent"

    @app.callback(
        Output("s2-status", "children"),
        Input("s2-go", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def s2(_n: int, sid: str) -> str:
        for i in range(params.updates):
            if i:
                time.sleep(params.interval)
            push_props("s2-out", {"children": stamp(i)}, to=sid)
        return "sent"


def build(params: Params) -> Dash:
    app = Dash(__name__)
    if params.max_streams:
        app.server.config["DASH_LIVE_MAX_STREAMS_PER_CLIENT"] = params.max_streams
    if params.mode == "sse":
        app.layout = layout(params)
        mark_ready(app)
        add_event_callbacks(params)
        return app
    app.server.config["DASH_LIVE_TRANSPORT"] = "socketio"
    attach_socketio(app)
    app.layout = layout(params, DashSocketIO(id="sock"))
    mark_ready(app, "sock")
    if params.mode == "push":
        add_push_callbacks(app, params)
    else:
        add_event_callbacks(params)
    return app


if __name__ == "__main__":
    options = parse_params()
    serve_flask(build(options), options.port)
