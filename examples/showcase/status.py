"""The page's connection: one ``DashSocketIO`` component, and a badge that shows its state.

The component reports its connection as read-only props (``connected``, ``socketId``,
``error``, ``reconnectAttempts``). A clientside callback turns them into the badge's text and
colour, so the badge keeps working while the server is unreachable: no request is needed to
say that requests fail.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output

from dash_live import DashSocketIO

__all__ = ["BADGE_ID", "SOCKET_ID", "badge", "register", "socket_component"]

SOCKET_ID = "socket"
BADGE_ID = "connection-badge"
DETAIL_ID = "connection-detail"

# Runs in the browser: connected wins, then a retry under way, then the plain failure.
_SHOW_STATE = """
(connected, error, attempts, socketId) => {
    if (connected) {
        return ["connected", "green", "socket " + (socketId || "")];
    }
    if (attempts) {
        return ["reconnecting (attempt " + attempts + ")", "yellow", error || ""];
    }
    return ["disconnected", "red", error || ""];
}
"""


def socket_component(event_names: list[str]) -> Any:
    """The one ``DashSocketIO`` of the page, receiving ``event_names`` as ``data-<event>``."""
    # Retry quickly after a restart of the demo server (socket.io-client waits up to 5 s).
    return DashSocketIO(
        id=SOCKET_ID,
        eventNames=event_names,
        options={"reconnectionDelay": 500, "reconnectionDelayMax": 2000},
    )


def badge() -> Any:
    """The badge and a line of detail (the socket id, or the last connection error)."""
    return dmc.Group(
        [
            dmc.Badge("disconnected", id=BADGE_ID, color="gray", variant="dot", size="lg"),
            dmc.Text(id=DETAIL_ID, size="xs", c="dimmed"),
        ],
        gap="xs",
    )


def register(app: dash.Dash) -> None:
    """Wire the badge to the component's connection props."""
    app.clientside_callback(
        _SHOW_STATE,
        Output(BADGE_ID, "children"),
        Output(BADGE_ID, "color"),
        Output(DETAIL_ID, "children"),
        Input(SOCKET_ID, "connected"),
        Input(SOCKET_ID, "error"),
        Input(SOCKET_ID, "reconnectAttempts"),
        Input(SOCKET_ID, "socketId"),
    )
