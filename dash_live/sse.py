"""Server-Sent Events framing for event-callback streams. Pure, no I/O.

A stream is a ``text/event-stream`` response (https://html.spec.whatwg.org/multipage/
server-sent-events.html) made of these events, each ended by a blank line::

    event: update
    data: [[id, prop, op, value], ...]      a batch (see dash_live.protocol)

    event: error
    data: {"message": "...", "traceback": "..." | null}

    event: end
    data: {"reason": "done" | "cancelled" | "timeout" | "error"}

    : keep-alive                             a comment: ignored by the client; it makes a
                                             vanished client show up as a failed write

``data`` is always one line: JSON never holds a raw newline. The ``end`` event is always the
last, so the client can tell a finished stream from a broken connection.

>>> update_event('[["a","children","set","x"]]')
'event: update\\ndata: [["a","children","set","x"]]\\n\\n'
>>> end_event("done")
'event: end\\ndata: {"reason":"done"}\\n\\n'
"""

from __future__ import annotations

import json
from typing import Any

from . import wire

__all__ = [
    "KEEP_ALIVE",
    "EndReason",
    "end_event",
    "error_event",
    "parse_events",
    "sse_text",
    "update_event",
]

EndReason = wire.EndReason

KEEP_ALIVE = ": keep-alive\n\n"


def _event(name: str, data: str) -> str:
    if "\n" in data or "\r" in data:
        raise ValueError(f"SSE data must be one line, got {data[:80]!r}")
    return f"event: {name}\ndata: {data}\n\n"


def update_event(batch_json: str) -> str:
    """An ``update`` event carrying an encoded batch (:func:`dash_live.protocol.encode_batch`)."""
    return _event("update", batch_json)


def error_event(message: str, traceback: str | None = None) -> str:
    """An ``error`` event; ``traceback`` is only sent to apps in debug mode."""
    return _event("error", json.dumps({"message": message, "traceback": traceback}))


def end_event(reason: EndReason) -> str:
    """The ``end`` event: the last of every stream."""
    return _event("end", json.dumps({"reason": reason}, separators=(",", ":")))


def sse_text(frame: tuple[wire.FrameKind, Any]) -> str:
    """One frame of a run (:func:`dash_live.stream_session.frames`) as Server-Sent Events text.

    >>> sse_text(("end", "done"))
    'event: end\\ndata: {"reason":"done"}\\n\\n'
    >>> sse_text(("finale", None))
    Traceback (most recent call last):
    ...
    ValueError: unknown frame kind 'finale'; the kinds are ['end', 'error', 'keepalive', 'update']
    """
    kind, data = frame
    if kind == "update":
        return update_event(data)
    if kind == "error":
        return error_event(*data)
    if kind == "end":
        return end_event(data)
    if kind == "keepalive":
        return KEEP_ALIVE
    # A frame the transport does not know is a bug to report, not a keep-alive to send.
    raise ValueError(f"unknown frame kind {kind!r}; the kinds are {sorted(wire.FRAME_KINDS)}")


def parse_events(text: str) -> list[tuple[str, str]]:
    """Split a complete SSE text into ``(event, data)`` pairs, skipping comments.

    >>> parse_events("event: end\\ndata: {}\\n\\n: keep-alive\\n\\n")
    [('end', '{}')]
    """
    events = []
    # An event counts once a blank line ends it; text after the last one is incomplete
    # (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
    for block in text.split("\n\n")[:-1]:
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                # One space after the colon is the separator, as the spec and the page's reader
                # (src/ts/client/sse.ts) have it; more are data (" x" must not read back "x").
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)
        if data:
            events.append((name, "\n".join(data)))
    return events
