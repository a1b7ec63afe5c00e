"""Server-Sent Events framing for event-callback streams. Pure, no I/O.

A stream is a ``text/event-stream`` response (https://html.spec.whatwg.org/multipage/
server-sent-events.html) made of these events, each ended by a blank line::

    event: update
    data: [[id, prop, op, value], ...]      a batch (see dash_live.core.updates)

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

from . import frames, wire
from .frames import End, Failure, Frame, KeepAlive, Updates

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


def sse_text(frame: Frame) -> str:
    """One frame (:mod:`dash_live.core.frames`) as Server-Sent Events text: its kind is the
    event's name, its one encoding the event's data; a keep-alive is a comment.

    >>> sse_text(End("done"))
    'event: end\\ndata: {"reason":"done"}\\n\\n'
    >>> sse_text(KeepAlive())
    ': keep-alive\\n\\n'
    """
    if type(frame) is Updates:  # the hot path, once per write: no dispatch
        return _event("update", frame.batch)
    if isinstance(frame, KeepAlive):
        return KEEP_ALIVE
    return _event(frames.kind(frame), frames.data(frame))


def update_event(batch_json: str) -> str:
    """An ``update`` event carrying an encoded batch
    (:func:`dash_live.core.updates.encode_batch`)."""
    return _event("update", batch_json)


def error_event(message: str, traceback: str | None = None) -> str:
    """An ``error`` event; ``traceback`` is only sent to apps in debug mode."""
    return sse_text(Failure(message, traceback))


def end_event(reason: EndReason) -> str:
    """The ``end`` event: the last of every stream."""
    return sse_text(End(reason))


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
