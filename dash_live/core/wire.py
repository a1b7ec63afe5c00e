"""Every name the server and the page must agree on, in one place.

The page's side, ``src/ts/client/wire.ts``, is generated from this module by
``scripts/wire_ts.py``; ``tests/unit/test_wire.py`` fails when the two differ. Change a name
here, run the script, rebuild the bundle.

>>> STREAM_ROUTE, FRAME_EVENT
('_dash-live/stream', 'dash-live:frame')
>>> sorted(END_REASONS)
['cancelled', 'done', 'error', 'timeout']
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = [
    "CANCEL_EVENT",
    "CANCEL_ROUTE",
    "CONFIG_KEYS",
    "CONFIG_SCRIPT_ID",
    "END_REASONS",
    "FRAME_EVENT",
    "FRAME_KINDS",
    "INCREMENTAL_PROPS",
    "OPS",
    "RESERVED_PREFIX",
    "ROOMS_AUTH_KEY",
    "ROOMS_EVENT",
    "START_EVENT",
    "STREAM_ROUTE",
    "TAB_AUTH_KEY",
    "UPDATE_EVENT",
    "EndReason",
    "FrameKind",
    "OpName",
]

# Socket.IO event names of dash-live's own; a client may not use the prefix for its events.
RESERVED_PREFIX: Final = "dash-live:"
UPDATE_EVENT: Final = "dash-live:update"  # server -> page: a batch of prop updates (a push)
ROOMS_EVENT: Final = "dash-live:rooms"  # server -> page: the tab's rooms and their tokens
START_EVENT: Final = "dash-live:stream"  # page -> server: start an event-callback stream
CANCEL_EVENT: Final = "dash-live:cancel"  # page -> server: cancel one
FRAME_EVENT: Final = "dash-live:frame"  # server -> page: one frame of a stream

# What DashSocketIO sends in the Socket.IO handshake's auth: its room tokens and its tab id.
ROOMS_AUTH_KEY: Final = "dash-live:rooms"
TAB_AUTH_KEY: Final = "dash-live:tab"

# HTTP routes, under the app's routes_pathname_prefix.
STREAM_ROUTE: Final = "_dash-live/stream"
CANCEL_ROUTE: Final = "_dash-live/cancel"
# The id of the JSON script the index carries: how event callbacks stream by default.
CONFIG_SCRIPT_ID: Final = "_dash-live-config"

FrameKind = Literal["update", "error", "end", "keepalive"]
FRAME_KINDS: Final = frozenset(get_args(FrameKind))
EndReason = Literal["done", "cancelled", "timeout", "error"]
END_REASONS: Final = frozenset(get_args(EndReason))
OpName = Literal["set", "append", "merge", "patch"]
OPS: Final = frozenset(get_args(OpName))

# Props whose every value is an increment the component consumes: never folded to the last.
INCREMENTAL_PROPS: Final = frozenset({"extendData", "prependData", "rowTransaction"})

# Settings, read from the Flask config or the ASGI server's state (settings.py).
CONFIG_KEYS: Final = (
    "DASH_LIVE_STREAM_TIMEOUT",
    "DASH_LIVE_KEEPALIVE",
    "DASH_LIVE_MAX_STREAMS_PER_CLIENT",
    "DASH_LIVE_MAX_BODY_BYTES",
    "DASH_LIVE_TRANSPORT",
    "DASH_LIVE_BUSY_HOLD",
    "DASH_LIVE_BUSY_SHARE",
    "DASH_LIVE_REDIS_URL",
    "DASH_LIVE_ROOM_TOKEN_MAX_AGE",
)
