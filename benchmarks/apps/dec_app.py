"""dash-event-callback 1.2.0 (the SSE seed) streaming the S4 tokens, under gunicorn.

Its endpoint ``POST /dash_update_component_sse`` sleeps 0.1 s after every frame, so 500 tokens
take at least 50 s whatever the generator does. ``GET /bench/info`` gives the callback id the
request body must name.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import dash
from dash import Input, html
from dash_event_callback import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
    event_callback,
    setup_event_callback,
    stream_props,
)
from dash_event_callback._event_callback import (  # type: ignore[import-not-found,import-untyped,unused-ignore]
    _SSEServerObjects,
)

TOKENS = 500
TOKEN_PAUSE = 0.01

# Undocumented but required before Dash(), else the endpoint does not exist. Its default
# 30 s timeout would cut a 55 s stream.
setup_event_callback(timeout=600)


@event_callback(Input("cap-go", "n_clicks"))
def tokens(n_clicks: int) -> Iterator[bytes]:
    for i in range(TOKENS):
        yield stream_props("cap-out", {"children": f"tok{i} "})
        time.sleep(TOKEN_PAUSE)


app = dash.Dash(__name__)
app.layout = html.Div([html.Button("go", id="cap-go"), html.Div(id="cap-out")])
server = app.server


@server.get("/bench/info")
def info() -> dict[str, Any]:
    return {"pid": os.getpid(), "callback_ids": list(_SSEServerObjects.funcs)}
