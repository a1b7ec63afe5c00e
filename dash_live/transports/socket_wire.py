"""What the two Socket.IO transports of event callbacks share: Flask-SocketIO's
(:mod:`dash_live.transports.socketio`) and python-socketio's asyncio server on Dash's ASGI
backends (:mod:`dash_live.transports.asgi_socketio`). The events are those of
:mod:`dash_live.core.wire`; the rules here make both answer a page alike.

>>> WINDOW % ACK_EVERY
0
>>> owner_key("Xyz")
'sid:Xyz'
>>> wrong_arguments("dash-live:cancel", "{'stream': id}", ())
{'error': "dash-live:cancel takes one argument, {'stream': id}; got 0 arguments", 'status': 400}
"""

from __future__ import annotations

import weakref
from typing import Any

__all__ = [
    "ACK_EVERY",
    "WINDOW",
    "asks_ack",
    "attached_servers",
    "owner_key",
    "streams_over_socketio",
    "wrong_arguments",
]

#: Frames of one stream in flight (sent, not yet acknowledged by the page): a slow page holds
#: its producer back instead of letting frames pile up in the server's memory.
WINDOW = 8
#: Every this many frames of a stream, one asks the page for an acknowledgement, which stands
#: for it and the frames before it: an acknowledgement is a packet the server must parse and
#: dispatch, as costly as a frame. :data:`WINDOW` is a multiple of it, so a full window always
#: holds a frame whose acknowledgement is on its way.
ACK_EVERY = 4

#: The web servers (an ASGI app's FastAPI or Quart object) whose Socket.IO server streams event
#: callbacks; a Flask app is known by Flask-SocketIO's entry in its ``extensions``.
attached_servers: weakref.WeakSet[Any] = weakref.WeakSet()


def owner_key(sid: str) -> str:
    """Who owns a stream started over a connection: that connection alone cancels it."""
    return "sid:" + sid


def asks_ack(sent: int) -> bool:
    """Whether a stream's ``sent``-th frame (from 1) asks for an acknowledgement.

    >>> [n for n in range(1, 10) if asks_ack(n)]
    [4, 8]
    """
    return sent % ACK_EVERY == 0


def wrong_arguments(event: str, expected: str, args: tuple[object, ...]) -> dict[str, Any]:
    """The answer to an event that did not carry the one argument it takes."""
    got = f"{len(args)} arguments" if len(args) != 1 else f"{args[0]!r:.80}"
    return {"error": f"{event} takes one argument, {expected}; got {got}", "status": 400}


def streams_over_socketio(server: Any) -> bool:
    """Whether Socket.IO is attached to the app served by ``server``, ready to stream."""
    return "socketio" in getattr(server, "extensions", {}) or server in attached_servers
