"""A dash-live app on Dash's FastAPI backend, deployed for real by
``tests/integration/test_asgi_stream.py``:

- ``uvicorn --workers 2 tests.integration.apps.fastapi_deployed:server``
- ``python -m tests.integration.apps.fastapi_deployed PORT`` (``app.run``)

:func:`count` (key ``tests.integration.apps.fastapi_deployed.count``) streams ``0 .. COUNT-1``
from an async generator, then the pid of the process that ran it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import dash
from dash import Input, html

from dash_live import append, event_callback, stream_props

COUNT = 20


@event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
async def count(_n_clicks: int) -> AsyncIterator[object]:
    for i in range(COUNT):
        yield stream_props("out", {"children": append(f"{i} ")})
        await asyncio.sleep(0)
    yield stream_props("status", {"children": str(os.getpid())})


app = dash.Dash(__name__, backend="fastapi")
app.layout = html.Div([html.Button(id="go"), html.Div(id="out"), html.Div(id="status")])
server = app.server

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), debug=False)
