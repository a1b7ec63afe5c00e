"""An app for connection-lifecycle tests, run in its own process so it can be stopped.

``python -m tests.browser.apps.lifecycle PORT [REFUSE]``: with REFUSE=N the first N connection
attempts are refused by the connect handler.
"""

from __future__ import annotations

import sys

import dash
from dash import Input, Output, State, html
from socketio.exceptions import ConnectionRefusedError

from dash_live import DashSocketIO, attach_socketio


def create_app(refuse: int = 0) -> tuple[dash.Dash, object]:
    app = dash.Dash(__name__)
    socketio = attach_socketio(app)
    refused = {"count": 0}

    @socketio.on("connect")
    def on_connect() -> None:
        if refused["count"] < refuse:
            refused["count"] += 1
            # Socket.IO's own exception: its message reaches the client's connect_error.
            raise ConnectionRefusedError(f"refused attempt {refused['count']}")

    app.layout = html.Div(
        [
            DashSocketIO(
                id="sock",
                options={"reconnectionDelay": 100, "reconnectionDelayMax": 300},
            ),
            html.Div(id="state"),
            html.Div(id="sid"),
            html.Div(id="error"),
            html.Div(id="error-log"),
        ]
    )
    app.clientside_callback(
        "(err, log) => err ? (log ? log + '|' : '') + err : dash_clientside.no_update",
        Output("error-log", "children"),
        Input("sock", "error"),
        State("error-log", "children"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "(c, sid, err) => [c ? 'connected' : 'disconnected', sid || '', err || '']",
        Output("state", "children"),
        Output("sid", "children"),
        Output("error", "children"),
        Input("sock", "connected"),
        Input("sock", "socketId"),
        Input("sock", "error"),
    )
    return app, socketio


if __name__ == "__main__":
    port = int(sys.argv[1])
    app, socketio = create_app(int(sys.argv[2]) if len(sys.argv) > 2 else 0)
    app.run(host="127.0.0.1", port=port, debug=False)
