"""A chat room across tabs: the browser emits, the server validates and pushes to a room.

- Browser to server: a clientside callback sets the ``DashSocketIO``'s ``emit`` prop to
  ``{"event": "chat", "data": {"name": ..., "text": ...}}``; every assignment sends once.
- Joining: each connection joins the ``chat`` room in the Socket.IO ``connect`` handler
  (``join_room("chat", sid)``, in :func:`join_chat`, which the app's one connect handler
  calls). The same call works on Flask and on FastAPI; the tab's ``DashSocketIO`` lists the
  room in its ``rooms`` prop. On Flask dash-live wraps that handler, so the connection also
  joins its user's room first.
- Server to the room: the ``chat`` handler checks the message and, if it is fine,
  ``push_props("chat-log", {"children": append([line])}, to="chat")`` adds one line to the
  log of every open tab. A bad message goes back to its sender only (``to=sid``), as the
  error of the input at fault, and is not broadcast.
"""

from __future__ import annotations

import datetime
from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, State, html

from dash_live import append, join_room, push_props

from .backend import Socket, on
from .status import SOCKET_ID

__all__ = ["MAX_NAME", "MAX_TEXT", "ROOM", "card", "check_message", "join_chat", "register"]

ROOM = "chat"
EVENT = "chat"
MAX_NAME = 30
MAX_TEXT = 500

_SEND = """
(sends, submits, name, text) => ({event: "chat", data: {name: name || "", text: text || ""}})
"""


class InvalidMessage(ValueError):
    """A chat message that the server refuses, and which input it is about."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def check_message(data: object) -> tuple[str, str]:
    """Return ``(name, text)`` from a ``chat`` event payload, or raise :class:`InvalidMessage`.

    >>> check_message({"name": " ann ", "text": "hi"})
    ('ann', 'hi')
    >>> check_message({"name": "ann", "text": " "})
    Traceback (most recent call last):
    ...
    examples.showcase.chat.InvalidMessage: Type a message first.
    """
    if not isinstance(data, dict):
        raise InvalidMessage("chat-text", f"A chat message is an object, got {data!r}.")
    name, text = data.get("name"), data.get("text")
    if not isinstance(name, str) or not name.strip():
        raise InvalidMessage("chat-name", "Enter a name first.")
    if len(name.strip()) > MAX_NAME:
        raise InvalidMessage("chat-name", f"Names have at most {MAX_NAME} characters.")
    if not isinstance(text, str) or not text.strip():
        raise InvalidMessage("chat-text", "Type a message first.")
    if len(text.strip()) > MAX_TEXT:
        raise InvalidMessage("chat-text", f"Messages have at most {MAX_TEXT} characters.")
    return name.strip(), text.strip()


def _line(name: str, text: str) -> Any:
    when = datetime.datetime.now().strftime("%H:%M:%S")
    return html.Div(
        [
            dmc.Text(when, span=True, size="xs", c="dimmed", mr="xs"),
            dmc.Text(name, span=True, fw=700),
            dmc.Text(f": {text}", span=True),
        ],
        className="chat-message",
    )


def card() -> Any:
    """The chat section: ids ``chat-name``, ``chat-text``, ``chat-send``, ``chat-log``."""
    return dmc.Card(
        [
            dmc.Title("Chat room across tabs", order=4),
            dmc.Text(
                "Open this page in another tab or browser: emit sends to the server, "
                "push_props(..., to='chat') reaches every tab in the room.",
                size="sm",
                c="dimmed",
                mb="sm",
            ),
            dmc.ScrollArea(html.Div(id="chat-log", children=[]), h=200, type="auto", mb="sm"),
            dmc.Group(
                [
                    dmc.TextInput(id="chat-name", value="guest", label="Name", w=160),
                    dmc.TextInput(
                        id="chat-text", value="", label="Message", placeholder="Say hello", flex=1
                    ),
                    dmc.Button("Send", id="chat-send"),
                ],
                align="start",
            ),
        ],
        withBorder=True,
        padding="lg",
    )


def join_chat(socketio: Socket, sid: str) -> None:
    """Put the connecting socket ``sid`` in the chat room; call it from the connect handler."""
    join_room(ROOM, sid, socketio=socketio)


def register(app: dash.Dash, socketio: Socket) -> None:
    """Send from the browser on click or Enter; check and broadcast on the server."""
    app.clientside_callback(
        _SEND,
        Output(SOCKET_ID, "emit"),
        Input("chat-send", "n_clicks"),
        Input("chat-text", "n_submit"),
        State("chat-name", "value"),
        State("chat-text", "value"),
        prevent_initial_call=True,
    )

    @on(socketio, EVENT)
    def on_chat(sender: str, data: object) -> None:
        try:
            name, text = check_message(data)
        except InvalidMessage as bad:
            push_props(bad.field, {"error": bad.reason}, to=sender)
            return
        push_props(
            [("chat-name", {"error": None}), ("chat-text", {"error": None, "value": ""})],
            to=sender,
        )
        push_props("chat-log", {"children": append([_line(name, text)])}, to=ROOM)
