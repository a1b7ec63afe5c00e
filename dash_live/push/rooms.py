"""Room memberships that survive reconnections, and only for the tab they were given to.

A reconnected tab is a new Socket.IO connection, with a new socket id and no rooms. So when
:func:`dash_live.join_room` puts a connection in a room, the server also sends that tab a token:
the room name, the *holder* and the time, signed with the app's secret. The tab keeps its tokens
and shows them in the ``auth`` of every reconnection; the server joins a room again, before the
app's own ``connect`` handler runs, only when the token

- carries a valid signature (a client cannot forge one for a room it was never put in);
- names the reconnecting holder: the verified user (see ``session_user``) when the connection
  has one, else the tab's own random id, which ``DashSocketIO`` sends as ``auth["dash-live:tab"]``
  (so a token issued to user X's tab does not work for user Y, nor for another tab);
- is younger than ``max_age`` (``DASH_LIVE_ROOM_TOKEN_MAX_AGE``, a day by default; each
  reconnection is sent fresh tokens, so only a tab away longer than that loses its rooms);
- was not revoked: :func:`dash_live.leave_room` revokes the holder's tokens of that room issued
  until then. This process remembers revocations for ``max_age``; with a Redis message queue
  (``DASH_LIVE_REDIS_URL``) they are also kept in Redis, for ``max_age``, so every worker
  refuses a revoked token (:class:`RedisRevocations`).

A connection with no holder (no verified user, no tab id) gets no token: its memberships last
as long as the connection.

The signing key is the Flask app's ``secret_key`` when it has one (the same in every worker, so
memberships also survive a restart or a move to another worker), else a random key of this
process (memberships then survive network cuts, not restarts).

Wire: ``dash-live:rooms`` carries ``{"join": room, "token": token}`` or ``{"leave": room}``;
the client sends its tokens as ``auth["dash-live:rooms"]`` and its id as ``auth["dash-live:tab"]``.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeSerializer

from ..core import wire
from ..core.exceptions import MessageQueueError

__all__ = [
    "AUTH_KEY",
    "DEFAULT_MAX_AGE",
    "ROOMS_EVENT",
    "TAB_KEY",
    "RedisRevocations",
    "Revocations",
    "RoomSigner",
    "tab_of",
]

ROOMS_EVENT = wire.ROOMS_EVENT
AUTH_KEY = wire.ROOMS_AUTH_KEY
TAB_KEY = wire.TAB_AUTH_KEY
#: Seconds a room token is honoured (DASH_LIVE_ROOM_TOKEN_MAX_AGE).
DEFAULT_MAX_AGE = 24 * 3600.0
#: Revocations remembered at most (older ones expire first).
MAX_REVOCATIONS = 100_000
#: Tokens a reconnecting tab may present; more are ignored.
MAX_TOKENS = 256

logger = logging.getLogger("dash_live")


class Revocations(Protocol):
    """Where revocations are shared with the other processes of the app."""

    def record(self, key: str, revoked: float, keep: float) -> None:
        """Remember for ``keep`` seconds: tokens of ``key`` issued until ``revoked`` are void."""

    def revoked(self, keys: list[str]) -> list[float | None]:
        """When each key was revoked last, or None."""


# Set KEYS[1] to ARGV[1] for ARGV[2] seconds unless it holds a later time: a revocation is
# never moved back in time by a slower worker.
_RECORD = """
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
"""


class RedisRevocations:
    """Revocations in Redis: one key per (room, holder), expiring with the tokens it voids.

    A worker that cannot reach Redis when a tab reconnects refuses the tab's tokens (the tab
    then reconnects without those rooms) rather than honour one that may have been revoked.
    """

    PREFIX = "dash-live:revoked:"

    def __init__(self, url: str) -> None:
        import redis  # python-socketio's Redis manager needs it too

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def record(self, key: str, revoked: float, keep: float) -> None:
        self.client.eval(_RECORD, 1, self.PREFIX + key, repr(revoked), max(1, int(keep) + 1))

    def revoked(self, keys: list[str]) -> list[float | None]:
        if not keys:
            return []
        found = self.client.mget([self.PREFIX + key for key in keys])
        return [None if value is None else float(value) for value in found]


class RoomSigner:
    """Signs room memberships for one app and checks what reconnecting tabs present.

    >>> signer = RoomSigner("not-a-real-secret")
    >>> token = signer.token("news", "tab:1f2e")
    >>> signer.rooms_in({AUTH_KEY: [token], "user": "kept"}, "tab:1f2e")
    ['news']
    >>> signer.rooms_in({AUTH_KEY: [token]}, "user:mallory")
    []
    >>> signer.revoke("news", "tab:1f2e")
    >>> signer.rooms_in({AUTH_KEY: [token]}, "tab:1f2e")
    []
    """

    def __init__(
        self,
        secret: str | bytes | None,
        max_age: float = DEFAULT_MAX_AGE,
        shared: Revocations | None = None,
    ) -> None:
        key = secret or secrets.token_bytes(32)
        self._serializer = URLSafeSerializer(key, salt="dash-live-room-v2")
        # Names revocations in a shared store without showing rooms or holders, and apart
        # from those of another app (another secret) on the same Redis.
        self._key_of = hmac.new(key.encode() if isinstance(key, str) else key, b"", "sha256")
        self.shared = shared
        self.max_age = max_age
        self.clock = time.time  # what "now" is (tests move it)
        self._lock = threading.Lock()
        # (room, holder) -> when leave_room revoked the tokens issued until then.
        self._revoked: dict[tuple[str, str], float] = {}

    def token(self, room: str, holder: str) -> str:
        """A token for ``holder``'s membership of ``room``, issued now."""
        return str(self._serializer.dumps([room, holder, self.clock()]))

    def revoke(self, room: str, holder: str) -> None:
        """Refuse from now on every token of ``holder`` for ``room`` issued until now."""
        now = self.clock()
        with self._lock:
            self._revoked[(room, holder)] = now
            if len(self._revoked) > MAX_REVOCATIONS:
                # Older revocations only refuse tokens that have expired by now anyway.
                expired = [k for k, at in self._revoked.items() if now - at > self.max_age]
                for key in expired or list(self._revoked)[: len(self._revoked) // 2]:
                    del self._revoked[key]
        if self.shared is not None:
            try:
                self.shared.record(self._shared_key(room, holder), now, self.max_age)
            except Exception as error:
                raise MessageQueueError(
                    f"the tokens of room {room!r} were revoked in this process, but Redis did "
                    f"not take the revocation ({error}): another worker still lets the tab "
                    f"rejoin with one until it expires (DASH_LIVE_ROOM_TOKEN_MAX_AGE)",
                    delivered_locally=True,
                ) from error

    def rooms_in(self, auth: object, holder: str | None) -> list[str]:
        """The rooms whose tokens in ``auth`` are valid for ``holder`` (None: no rooms)."""
        tokens = auth.get(AUTH_KEY) if isinstance(auth, dict) else None
        if holder is None or not isinstance(tokens, list):
            return []
        valid: list[tuple[str, float]] = []
        for token in tokens[:MAX_TOKENS]:
            found = self._room_of(token, holder)
            if found is None:
                logger.debug("ignored a room token that is not %s's: %.40r", holder, token)
            else:
                valid.append(found)
        return [room for room, _ in self._not_revoked_elsewhere(valid, holder)]

    def _shared_key(self, room: str, holder: str) -> str:
        digest = self._key_of.copy()
        digest.update(f"{room}\0{holder}".encode())
        return digest.hexdigest()

    def _not_revoked_elsewhere(
        self, valid: list[tuple[str, float]], holder: str
    ) -> list[tuple[str, float]]:
        if self.shared is None or not valid:
            return valid
        try:
            revoked = self.shared.revoked([self._shared_key(room, holder) for room, _ in valid])
        except Exception:
            logger.warning(
                "could not read room revocations from Redis: %d room tokens of %s refused",
                len(valid),
                holder,
                exc_info=True,
            )
            return []
        return [
            (room, issued)
            for (room, issued), at in zip(valid, revoked, strict=True)
            if at is None or issued > at
        ]

    def _room_of(self, token: object, holder: str) -> tuple[str, float] | None:
        if not isinstance(token, str):
            return None
        try:
            room, owner, issued = self._serializer.loads(token)
        except (BadSignature, ValueError, TypeError):  # forged, or not our shape
            return None
        if not isinstance(room, str) or owner != holder or not isinstance(issued, float):
            return None
        if self.clock() - issued > self.max_age:
            return None  # expired
        with self._lock:
            revoked = self._revoked.get((room, holder))
        return None if revoked is not None and issued <= revoked else (room, issued)


def tab_of(auth: object) -> str | None:
    """The tab id a connection's ``auth`` carries (``DashSocketIO`` sends one), or None.

    >>> tab_of({TAB_KEY: "0123456789abcdef0123456789abcdef"})
    '0123456789abcdef0123456789abcdef'
    >>> tab_of({TAB_KEY: "short"}) is None
    True
    """
    tab = auth.get(TAB_KEY) if isinstance(auth, dict) else None
    if isinstance(tab, str) and 16 <= len(tab) <= 64 and tab.isalnum():
        return tab
    return None


def holder_for(user: str | None, auth: object) -> str | None:
    """Who holds a connection's room tokens: its verified user, else its tab, else nobody.

    >>> holder_for("alice", None), holder_for(None, {TAB_KEY: "ab" * 16}), holder_for(None, {})
    ('user:alice', 'tab:abababababababababababababababab', None)
    """
    if user is not None:
        return f"user:{user}"
    tab = tab_of(auth)
    return None if tab is None else f"tab:{tab}"


def without_room_tokens(auth: Any) -> Any:
    """``auth`` as the app's own connect handler should see it."""
    if isinstance(auth, dict) and (AUTH_KEY in auth or TAB_KEY in auth):
        auth = {key: value for key, value in auth.items() if key not in (AUTH_KEY, TAB_KEY)}
        return auth or None
    return auth


def app_signer(secret: object, config: Mapping[str, Any], redis_url: str | None) -> RoomSigner:
    """The signer of one app: keyed with its secret (a random key of the process without one),
    tokens living ``DASH_LIVE_ROOM_TOKEN_MAX_AGE`` seconds of its ``config``, and revocations
    shared through Redis when the app's servers share ``redis_url``."""
    max_age = config.get("DASH_LIVE_ROOM_TOKEN_MAX_AGE", DEFAULT_MAX_AGE)
    if isinstance(max_age, bool) or not isinstance(max_age, (int, float)) or max_age <= 0:
        raise ValueError(
            f"DASH_LIVE_ROOM_TOKEN_MAX_AGE must be a positive number of seconds, got {max_age!r}"
        )
    key = secret if isinstance(secret, (str, bytes)) else None
    shared = RedisRevocations(redis_url) if redis_url is not None else None
    return RoomSigner(key, float(max_age), shared)
