"""The frames of a stream, and their one encoding. Pure, no I/O.

A run of an event callback (:mod:`dash_live.core.session`) makes four kinds of frame:

================  ==============================================================
:class:`Updates`  a batch of updates, already encoded (``[[id, prop, op, value], ...]``)
:class:`Failure`  the error a failed generator reports (a traceback only in debug mode)
:class:`End`      how the stream ended; always the last frame
:class:`KeepAlive`  nothing to say: a transport that must probe a quiet client writes here
================  ==============================================================

Every transport sends a frame's :func:`kind` and its :func:`data`, the same JSON text on every
wire: a Server-Sent Event is ``event: <kind>`` with ``data: <data>`` (:mod:`dash_live.core.sse`),
a Socket.IO frame is ``(stream id, kind, data)``. ``Frame`` is a closed union: a function that
takes one handles the four kinds or mypy says which it forgot.

>>> data(End("done"))
'{"reason":"done"}'
>>> data(Failure("boom", None))
'{"message":"boom","traceback":null}'
>>> kind(Updates('[["a","children","set",1]]'))
'update'
>>> kind(("finale", None))  # type: ignore[arg-type]
Traceback (most recent call last):
...
TypeError: not a frame: ('finale', None); the kinds are ['end', 'error', 'keepalive', 'update']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NoReturn

from .wire import FRAME_KINDS, EndReason, FrameKind

__all__ = ["End", "Failure", "Frame", "KeepAlive", "Updates", "data", "kind"]


@dataclass(frozen=True, slots=True)
class Updates:
    """A batch of updates as encoded JSON text (:func:`dash_live.core.updates.encode_batch`)."""

    batch: str


@dataclass(frozen=True, slots=True)
class Failure:
    """The generator failed: what the page shows, and the traceback in debug mode only."""

    message: str
    traceback: str | None


@dataclass(frozen=True, slots=True)
class End:
    """The stream is over, and why."""

    reason: EndReason


@dataclass(frozen=True, slots=True)
class KeepAlive:
    """Nothing was said for a while."""


Frame = Updates | Failure | End | KeepAlive

_COMPACT = (",", ":")


def _not_a_frame(value: NoReturn) -> NoReturn:
    # Reached only when a caller ignored the type (mypy rejects the call): refuse loudly, a
    # frame no client knows must not go out as something else.
    raise TypeError(f"not a frame: {value!r}; the kinds are {sorted(FRAME_KINDS)}")


def kind(frame: Frame) -> FrameKind:
    """The frame's name on the wire."""
    match frame:
        case Updates():
            return "update"
        case Failure():
            return "error"
        case End():
            return "end"
        case KeepAlive():
            return "keepalive"
        case _:
            _not_a_frame(frame)


def data(frame: Frame) -> str:
    """The frame's payload: one line of JSON, the same over every transport.

    Raises ValueError for a :class:`KeepAlive`, which carries nothing (each transport writes
    its own probe: an SSE comment; Engine.IO pings on the socket).
    """
    match frame:
        case Updates(batch):
            return batch
        case Failure(message, traceback):
            return json.dumps({"message": message, "traceback": traceback}, separators=_COMPACT)
        case End(reason):
            return json.dumps({"reason": reason}, separators=_COMPACT)
        case KeepAlive():
            raise ValueError("a keep-alive frame carries no data")
        case _:
            _not_a_frame(frame)
