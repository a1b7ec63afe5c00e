"""What every benchmark app shares: its parameters, the page, the payloads, the server loop.

The page (ids the scripts drive):

- ``ready``: becomes ``"ready"`` once the page can be clicked (for Socket.IO apps: connected);
- S1 ``s1-go`` starts the token stream into ``s1-out``;
- S2 ``s2-go`` starts the timed updates into ``s2-out``, each ``"<index>:<send time ms>"``;
- S3 ``s3-go-<i>`` starts stream ``i``, which writes ``"1"`` ... ``"<stream_updates>"`` into
  ``s3-out-<i>``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dash import Dash, Input, Output, html
from werkzeug.serving import make_server

__all__ = ["Params", "layout", "mark_ready", "parse_params", "serve_flask", "stamp", "tokens"]


@dataclass(frozen=True)
class Params:
    port: int
    mode: str
    tokens: int
    updates: int
    interval: float
    streams: int
    stream_updates: int
    stream_interval: float
    timeout: float
    max_streams: int


def parse_params(argv: Sequence[str] | None = None) -> Params:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", default="")
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--updates", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--streams", type=int, default=20)
    parser.add_argument("--stream-updates", type=int, default=50)
    parser.add_argument("--stream-interval", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--max-streams", type=int, default=0, help="0: the system's default")
    args = parser.parse_args(argv)
    return Params(
        port=args.port,
        mode=args.mode,
        tokens=args.tokens,
        updates=args.updates,
        interval=args.interval,
        streams=args.streams,
        stream_updates=args.stream_updates,
        stream_interval=args.stream_interval,
        timeout=args.timeout,
        max_streams=args.max_streams,
    )


def tokens(count: int) -> list[str]:
    """The S1 tokens: short, distinct, in order (``"t0 t1 ... "``)."""
    return [f"t{i} " for i in range(count)]


def stamp(index: int) -> str:
    """An S2 payload: the update's index and the server's send time in ms since the epoch."""
    return f"{index}:{time.time() * 1000:.3f}"


def layout(params: Params, *extra: Any) -> html.Div:
    streams = [
        html.Div([html.Button(f"go {i}", id=f"s3-go-{i}"), html.Span(id=f"s3-out-{i}")])
        for i in range(params.streams)
    ]
    return html.Div(
        [
            *extra,
            html.Div(id="ready"),
            html.Button("S1", id="s1-go"),
            html.Div(id="s1-status"),
            html.Div("", id="s1-out"),
            html.Button("S2", id="s2-go"),
            html.Div(id="s2-status"),
            html.Div(id="s2-out"),
            html.Div(streams, id="s3"),
        ]
    )


def mark_ready(app: Dash, socket: str | None = None) -> None:
    """Show ``ready`` when the page is rendered, or once the Socket.IO component ``socket``
    is connected."""
    if socket is None:
        app.clientside_callback("() => 'ready'", Output("ready", "children"), Input("ready", "id"))
    else:
        app.clientside_callback(
            "(sid) => (sid ? 'ready' : '')",
            Output("ready", "children"),
            Input(socket, "socketId"),
        )


def serve_flask(app: Dash, port: int) -> None:
    """Serve a Flask-backed Dash app with Werkzeug's threaded server (what ``app.run`` uses)
    until the process is terminated."""
    make_server("127.0.0.1", port, app.server, threaded=True).serve_forever()
