"""Room memberships that survive reconnections.

A reconnected tab is a new Socket.IO connection, with a new socket id and no rooms. So when
:func:`dash_live.join_room` puts a connection in a room, the server also sends that tab a token:
the room name signed with the app's secret. The tab keeps its tokens and shows them in the
``auth`` of every reconnection; the server checks each signature and joins those rooms again
before the app's own ``connect`` handler runs. A client cannot forge a token for a room it was
never put in.

The signing key is the Flask app's ``secret_key`` when it has one (the same in every worker, so
memberships also survive a restart or a move to another worker), else a random key of this
process (memberships then survive network cuts, not restarts).

Wire: ``dash-live:rooms`` carries ``{"join": room, "token": token}`` or ``{"leave": room}``;
the client sends its tokens as ``auth["dash-live:rooms"]``.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["AUTH_KEY", "ROOMS_EVENT", "RoomSigner"]

ROOMS_EVENT = "dash-live:rooms"
AUTH_KEY = "dash-live:rooms"
#: Tokens a reconnecting tab may present; more are ignored.
MAX_TOKENS = 256

logger = logging.getLogger("dash_live")


class RoomSigner:
    """Signs room names for one app and checks what reconnecting tabs present.

    >>> signer = RoomSigner("not-a-real-secret")
    >>> signer.rooms_in({AUTH_KEY: [signer.token("news")], "user": "kept"})
    ['news']
    >>> signer.rooms_in({AUTH_KEY: ["forged"]})
    []
    """

    def __init__(self, secret: str | bytes | None) -> None:
        self._serializer = URLSafeSerializer(
            secret or secrets.token_bytes(32), salt="dash-live-room"
        )

    def token(self, room: str) -> str:
        return str(self._serializer.dumps(room))

    def rooms_in(self, auth: object) -> list[str]:
        """The rooms whose tokens in ``auth`` carry a valid signature."""
        tokens = auth.get(AUTH_KEY) if isinstance(auth, dict) else None
        if not isinstance(tokens, list):
            return []
        rooms = []
        for token in tokens[:MAX_TOKENS]:
            try:
                room = self._serializer.loads(token) if isinstance(token, str) else None
            except BadSignature:
                room = None
            if isinstance(room, str):
                rooms.append(room)
            else:
                logger.debug("ignored a room token with a bad signature: %.40r", token)
        return rooms


def without_room_tokens(auth: Any) -> Any:
    """``auth`` as the app's own connect handler should see it."""
    if isinstance(auth, dict) and AUTH_KEY in auth:
        auth = {key: value for key, value in auth.items() if key != AUTH_KEY}
        return auth or None
    return auth
