"""Mantine notifications, fed from the server in the two ways dash-live offers.

- A Socket.IO event: ``socketio.emit("notification", note(...), to=socket_id)`` lands in the
  ``DashSocketIO``'s ``data-notification`` prop; a clientside callback hands it to the
  ``NotificationContainer``. dash-live runs that callback once per event, in order, so a
  burst of notifications loses none.
- A pushed prop: ``push_props`` or ``stream_props`` with
  ``{"sendNotifications": append([note(...)])}``, applied by the page with no callback.

The container empties ``sendNotifications`` once it has shown them. Appending (rather than
setting) keeps two notifications that reach the page in the same animation frame, and every
notification carries an id, so one that is seen twice is shown once (Mantine ignores a
``show`` whose id is already displayed).
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State

from .status import SOCKET_ID

__all__ = ["EVENT", "NOTIFY_ID", "container", "note", "register"]

NOTIFY_ID = "notify"
#: The Socket.IO event whose payload is a notification.
EVENT = "notification"

# Keeps what is still waiting to be shown: the container may not have consumed it yet.
_FROM_EVENT = "(note, waiting) => (waiting || []).concat([note])"


def container() -> Any:
    """The page's one ``NotificationContainer``."""
    return dmc.NotificationContainer(id=NOTIFY_ID, position="bottom-right", autoClose=5000)


def note(
    title: str,
    message: str,
    *,
    color: str = "blue",
    note_id: str | None = None,
    action: Literal["show", "update"] = "show",
    loading: bool = False,
    auto_close: int | bool = 5000,
) -> dict[str, Any]:
    """A notification for ``sendNotifications``; a fresh id unless ``note_id`` is given.

    >>> note("LoremLM", "Done", note_id="n1")["message"]
    'Done'
    """
    return {
        "action": action,
        "id": note_id or f"note-{uuid.uuid4().hex}",
        "title": title,
        "message": message,
        "color": color,
        "loading": loading,
        "autoClose": auto_close,
    }


def register(app: dash.Dash) -> None:
    """Show each ``notification`` event received by the page's ``DashSocketIO``."""
    app.clientside_callback(
        _FROM_EVENT,
        Output(NOTIFY_ID, "sendNotifications"),
        Input(SOCKET_ID, f"data-{EVENT}"),
        State(NOTIFY_ID, "sendNotifications"),
        prevent_initial_call=True,
    )
