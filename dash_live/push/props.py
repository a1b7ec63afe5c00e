"""Pushing prop updates from Python to the pages: :func:`push_props` and room membership.

A push reaches the browser over the Socket.IO connection of a ``DashSocketIO`` component and is
applied by the page itself: no clientside callback is needed. It works from a Dash callback, a
Socket.IO handler, a background thread, or (with a message queue) another process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.exceptions import NotAttachedError, TargetError
from ..core.updates import batch_from_pairs, updates_for
from .asgi_server import Sent
from .names import RESERVED_PREFIX, user_room
from .rooms import ROOMS_EVENT
from .server import AnySocketIO, current_socketio

__all__ = ["join_room", "leave_room", "push_props"]


def _server(socketio: AnySocketIO | None) -> AnySocketIO:
    server = socketio if socketio is not None else current_socketio()
    if server is None:
        raise NotAttachedError(
            "no Socket.IO server to push through: call dash_live.attach_socketio(app) first, "
            "or pass socketio=..."
        )
    return server


def _check_room(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise TargetError(f"{name} must be a non-empty str (a socket id or room), got {value!r}")
    return value


def _recipients(to: object, user: object, broadcast: bool) -> str | list[str] | None:
    given = [name for name, value in (("to", to), ("user", user)) if value is not None]
    if broadcast:
        given.append("broadcast")
    if len(given) != 1:
        raise TargetError(
            "say who receives the push with exactly one of to=<socket id or room>, "
            f"user=<user id> or broadcast=True (got {', '.join(given) or 'none'})"
        )
    if broadcast:
        return None
    if user is not None:
        if not isinstance(user, (str, int)) or user == "":
            raise TargetError(f"user must be a non-empty str or int user id, got {user!r}")
        return user_room(user)
    if isinstance(to, (list, tuple, set)):
        if not to:
            raise TargetError("to= names no recipient: the list is empty")
        return [_check_room(item, "every entry of to=") for item in to]
    return _check_room(to, "to=")


def push_props(
    component_id: Any,
    props: dict[str, Any] | None = None,
    *,
    to: str | Sequence[str] | None = None,
    user: str | int | None = None,
    broadcast: bool = False,
    namespace: str = "/",
    socketio: AnySocketIO | None = None,
) -> Sent:
    """Set props of components on connected pages, from anywhere in the server.

    Call it with one component, ``push_props("answer", {"children": "hi"}, to=sid)``, or with a
    batch that the page applies in one render,
    ``push_props([("answer", {...}), ("bar", {...})], to=sid)``.

    Parameters:
        component_id: a component id (str or dict), or a list of ``(id, props)`` pairs.
        props: prop name to value. Wrap a value in :func:`~dash_live.append` or
            :func:`~dash_live.merge` to extend the current value; a ``dash.Patch`` is applied
            as a patch. Values are encoded as Dash encodes callback outputs.
        to: a socket id (a DashSocketIO's ``socketId``), a room, or a list of them.
        user: a user id: every tab of that user (see ``attach_socketio(identify=...)``).
        broadcast: True to send to every connected page.
        namespace: the Socket.IO namespace of the receiving DashSocketIO components.
        socketio: the server to push through; default: the one :func:`attach_socketio` made.

    Exactly one of ``to``, ``user`` and ``broadcast`` must be given. A socket id or room that
    nobody is connected to receives nothing, as in Socket.IO. Bad ids, props, values or
    recipients raise here, naming the value.

    Returns None once the push is sent; on the event loop of an app on Dash's FastAPI or
    Quart backend (an ``async def`` callback or handler), the task that sends it, which you may
    await to learn that it went out (a failed Redis publish raises ``MessageQueueError`` there;
    a failure nobody awaits is logged).

    Example::

        >>> import dash
        >>> from dash_live import attach_socketio, append
        >>> socketio = attach_socketio(dash.Dash(__name__))
        >>> push_props("answer", {"children": append(" word")}, broadcast=True)
        >>> push_props("answer", {"children": "x"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dash_live.core.exceptions.TargetError: say who receives the push ... (got none)
    """
    if props is None and isinstance(component_id, (list, tuple)):
        updates = batch_from_pairs(component_id)
    else:
        updates = updates_for(component_id, props)
    room = _recipients(to, user, broadcast)
    return _server(socketio).emit_updates(updates, to=room, namespace=namespace)


def join_room(
    room: str, sid: str, *, namespace: str = "/", socketio: AnySocketIO | None = None
) -> None:
    """Add the connection ``sid`` to ``room`` (from a Dash callback, a thread, anywhere).

    The tab keeps the membership across reconnections (see :mod:`dash_live.push.rooms`): its
    ``DashSocketIO`` joins the room again by itself, and lists it in its ``rooms`` prop.
    ``flask_socketio.join_room(room)`` inside a handler joins for the current connection only.

    Example::

        >>> import dash
        >>> from dash_live import attach_socketio
        >>> socketio = attach_socketio(dash.Dash(__name__))
        >>> join_room("dash-live:admins", "some-sid")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dash_live.core.exceptions.TargetError: room 'dash-live:admins' uses the reserved prefix ...
    """
    _check_room(room, "room")
    if room.startswith(RESERVED_PREFIX):
        raise TargetError(f"room {room!r} uses the reserved prefix {RESERVED_PREFIX!r}")
    server = _server(socketio)
    sid = _check_room(sid, "sid")
    server.enter(sid, room, namespace)
    holder = server.holder_of(sid)
    # A connection with no holder gets no token: its membership ends with the connection.
    change = (
        {"join": room}
        if holder is None
        else {"join": room, "token": server.room_signer.token(room, holder)}
    )
    server.emit_reserved(ROOMS_EVENT, change, to=sid, namespace=namespace)


def leave_room(
    room: str, sid: str, *, namespace: str = "/", socketio: AnySocketIO | None = None
) -> None:
    """Remove the connection ``sid`` from ``room``; its tab stops joining it again.

    Raises :class:`~dash_live.core.exceptions.MessageQueueError` when the app shares a Redis
    message queue and Redis did not take the revocation: the connection has left the room,
    and this process refuses the tab's token, but another worker would still honour it until
    it expires.

    Example::

        >>> import dash
        >>> from dash_live import attach_socketio
        >>> socketio = attach_socketio(dash.Dash(__name__))
        >>> leave_room("lobby", "")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        dash_live.core.exceptions.TargetError: sid must be a non-empty str ... got ''
    """
    _check_room(room, "room")
    server = _server(socketio)
    sid = _check_room(sid, "sid")
    server.exit(sid, room, namespace)
    # The tab forgets its token first, so that it is gone even if the revocation below raises.
    server.emit_reserved(ROOMS_EVENT, {"leave": room}, to=sid, namespace=namespace)
    holder = server.holder_of(sid)
    if holder is not None:
        # Revoked, not only forgotten by the tab: a kept copy no longer rejoins, in any worker
        # that shares this one's Redis (else in this process; MessageQueueError if Redis
        # did not take it).
        server.room_signer.revoke(room, holder)
