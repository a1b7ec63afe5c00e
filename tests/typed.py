"""attach_socketio as the Flask-backed tests use it, typed as what it returns there."""

from __future__ import annotations

from typing import Any

from dash_live import LiveSocketIO, attach_socketio


def attach_flask_socketio(app: Any, **options: Any) -> LiveSocketIO:
    """``attach_socketio(app, **options)`` on a Flask-backed app: a :class:`LiveSocketIO`
    (on Dash's ASGI backends it is a ``LiveAsyncSocketIO``, which these tests do not use)."""
    socketio = attach_socketio(app, **options)
    assert isinstance(socketio, LiveSocketIO), socketio
    return socketio
