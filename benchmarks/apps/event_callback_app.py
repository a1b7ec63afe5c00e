"""dash-event-callback 1.2.0, written as its README has users write it.

``setup_event_callback()`` must run before ``Dash()`` (without it the endpoint does not exist),
and every event callback must be declared before ``Dash()`` too. The README sets props with
``stream_props(id, {"children": ...})`` and has no append, so text is accumulated on the server
and the whole text so far is sent each time. Its default stream timeout (30 s) would end S1
after ~300 tokens, so the documented ``timeout`` argument is raised; the package still sleeps
0.1 s after every frame, by design.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from typing import Any

from dash import Dash, Input

from benchmarks.apps.common import Params, layout, mark_ready, parse_params, serve_flask, stamp
from benchmarks.apps.common import tokens as make_tokens

# Untyped and not installed in the project's own venv: imported by name.
dec: Any = importlib.import_module("dash_event_callback")


def add_callbacks(params: Params) -> None:
    tokens = make_tokens(params.tokens)

    @dec.event_callback(Input("s1-go", "n_clicks"))
    def s1(n_clicks: int) -> Iterator[bytes]:
        text = ""
        for token in tokens:
            text += token
            yield dec.stream_props("s1-out", {"children": text})

    @dec.event_callback(Input("s2-go", "n_clicks"))
    def s2(n_clicks: int) -> Iterator[bytes]:
        for i in range(params.updates):
            if i:
                time.sleep(params.interval)
            yield dec.stream_props("s2-out", {"children": stamp(i)})

    for index in range(params.streams):
        add_stream(index, params)


def add_stream(index: int, params: Params) -> None:
    @dec.event_callback(Input(f"s3-go-{index}", "n_clicks"))
    def s3(n_clicks: int) -> Iterator[bytes]:
        for k in range(params.stream_updates):
            if k:
                time.sleep(params.stream_interval)
            yield dec.stream_props(f"s3-out-{index}", {"children": str(k + 1)})


def build(params: Params) -> Dash:
    dec.setup_event_callback(timeout=int(params.timeout))
    add_callbacks(params)
    app = Dash(__name__)
    app.layout = layout(params)
    mark_ready(app)
    return app


if __name__ == "__main__":
    options = parse_params()
    serve_flask(build(options), options.port)
