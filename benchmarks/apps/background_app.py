"""Dash 4.4.1 background callbacks with ``progress`` (``DiskcacheManager``), as Dash's docs
write them: ``set_progress`` reports as the job runs and the page polls every ``interval`` ms
(Dash's default, 1000 ms). Dash resets a progress output to ``None`` when the job ends, so S1 sends
the text so far as progress and returns the complete text as the callback's output.
"""

from __future__ import annotations

import importlib
import tempfile
import time
from collections.abc import Callable
from typing import Any

from dash import Dash, DiskcacheManager, Input, Output

from benchmarks.apps.common import Params, layout, mark_ready, parse_params, serve_flask, stamp
from benchmarks.apps.common import tokens as make_tokens

# Not installed in the project's own venv: imported by name.
diskcache: Any = importlib.import_module("diskcache")

Progress = Callable[[str], None]


def build(params: Params) -> Dash:
    tokens = make_tokens(params.tokens)
    manager = DiskcacheManager(diskcache.Cache(tempfile.mkdtemp(prefix="dash-bench-")))
    app = Dash(__name__, background_callback_manager=manager)
    app.layout = layout(params)
    mark_ready(app)

    @app.callback(
        Output("s1-out", "children"),
        Input("s1-go", "n_clicks"),
        background=True,
        progress=[Output("s1-status", "children")],
        prevent_initial_call=True,
    )
    def s1(set_progress: Progress, _n: int) -> str:
        text = ""
        for token in tokens:
            text += token
            set_progress(text)
        return text

    @app.callback(
        Output("s2-status", "children"),
        Input("s2-go", "n_clicks"),
        background=True,
        progress=[Output("s2-out", "children")],
        progress_default=[""],
        prevent_initial_call=True,
    )
    def s2(set_progress: Progress, _n: int) -> str:
        for i in range(params.updates):
            if i:
                time.sleep(params.interval)
            set_progress(stamp(i))
        return "done"

    for index in range(params.streams):
        add_stream(app, index, params)
    return app


def add_stream(app: Dash, index: int, params: Params) -> None:
    @app.callback(
        Output(f"s3-go-{index}", "title"),
        Input(f"s3-go-{index}", "n_clicks"),
        background=True,
        progress=[Output(f"s3-out-{index}", "children")],
        progress_default=[str(params.stream_updates)],
        prevent_initial_call=True,
    )
    def s3(set_progress: Progress, _n: int) -> str:
        for k in range(params.stream_updates):
            if k:
                time.sleep(params.stream_interval)
            set_progress(str(k + 1))
        return "done"


if __name__ == "__main__":
    options = parse_params()
    serve_flask(build(options), options.port)
