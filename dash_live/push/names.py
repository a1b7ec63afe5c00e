"""The names a push travels under: event names a ``DashSocketIO`` can receive, and user rooms."""

from __future__ import annotations

import re

from ..core import wire
from ..core.exceptions import InvalidEventNameError

__all__ = ["RESERVED_PREFIX", "check_handler_name", "user_room", "validate_event_name"]

RESERVED_PREFIX = wire.RESERVED_PREFIX
# Names Socket.IO itself uses; a client cannot receive them as ordinary events.
_SOCKETIO_RESERVED = {"connect", "connect_error", "disconnect", "disconnecting", "message"}
# The event name becomes part of a Dash prop name (`data-<event>`): Dash splits prop ids at "."
# and "@", so only a conservative alphabet is accepted.
_EVENT_NAME = re.compile(r"[A-Za-z0-9_-]+")


def validate_event_name(event: object) -> str:
    """Return ``event`` if a DashSocketIO can receive it as ``data-<event>``, else raise.

    >>> validate_event_name("chat-message")
    'chat-message'
    >>> validate_event_name("chat.message")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dash_live.core.exceptions.InvalidEventNameError: event name 'chat.message' cannot become ...
    """
    if not isinstance(event, str) or not event:
        raise InvalidEventNameError(f"an event name must be a non-empty str, got {event!r}")
    if event.startswith(RESERVED_PREFIX) or event in _SOCKETIO_RESERVED:
        raise InvalidEventNameError(
            f"event name {event!r} is reserved (Socket.IO's own names and the "
            f"{RESERVED_PREFIX!r} prefix)"
        )
    if not _EVENT_NAME.fullmatch(event):
        raise InvalidEventNameError(
            f"event name {event!r} cannot become a Dash prop 'data-{event}': "
            "use letters, digits, '_' and '-'"
        )
    return event


def user_room(user_id: object) -> str:
    """The room holding every connection of one user.

    >>> user_room("alice")
    'dash-live:user:alice'
    """
    return f"{RESERVED_PREFIX}user:{user_id}"


def check_handler_name(event: object) -> None:
    """Refuse an app handler for one of dash-live's own events (the reserved prefix)."""
    if isinstance(event, str) and event.startswith(RESERVED_PREFIX):
        raise InvalidEventNameError(
            f"event name {event!r} is reserved for dash-live's own handlers "
            f"(the {RESERVED_PREFIX!r} prefix)"
        )
