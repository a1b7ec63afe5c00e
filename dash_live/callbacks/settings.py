"""Settings of event-callback streams, read from the server's config (or a FastAPI app's state).

======================================  ========  ===============================================
``DASH_LIVE_STREAM_TIMEOUT``            60        default wall-clock limit of a stream, seconds
``DASH_LIVE_KEEPALIVE``                 2.0       seconds of silence before a keep-alive is sent;
                                                  bounds how long a vanished client goes unseen
``DASH_LIVE_MAX_STREAMS_PER_CLIENT``    32        concurrent streams per client address (SSE;
                                                  behind a proxy, apply Werkzeug's ProxyFix so
                                                  the address is the client's) or per socket
``DASH_LIVE_MAX_BODY_BYTES``            1048576   largest stream request body
``DASH_LIVE_TRANSPORT``                 "sse"     how event callbacks stream by default:
                                                  ``"sse"`` (one HTTP response per stream) or
                                                  ``"socketio"`` (the page's connection)
``DASH_LIVE_BUSY_HOLD``                 0.04      FastAPI backend: how long a stream holds its
                                                  updates, to write them together, while the
                                                  event loop is busy; seconds, 0 never holds;
                                                  up to 16 times as long while it is saturated
``DASH_LIVE_BUSY_SHARE``                0.5       the share of one core the event loop's thread
                                                  must be using for streams to hold (0: always)
======================================  ========  ===============================================

Set them like any Flask setting: ``app.server.config["DASH_LIVE_STREAM_TIMEOUT"] = 300``. On
Dash's FastAPI backend, whose server has no config, set them on its state:
``app.server.state.DASH_LIVE_STREAM_TIMEOUT = 300``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["StreamSettings", "reset_default_timeout", "server_config", "set_default_timeout"]

# The stream timeout of every app whose config does not set DASH_LIVE_STREAM_TIMEOUT. Only the
# dash-event-callback shim (``setup_event_callback(timeout=...)``) changes it: that call set a
# process-wide timeout before any app existed, so a migrated app keeps the timeout it chose.
_default_timeout: float | None = None


def set_default_timeout(timeout: float) -> None:
    """Make ``timeout`` the stream timeout of every app that does not configure one."""
    global _default_timeout
    _default_timeout = timeout


def reset_default_timeout() -> None:
    """Forget :func:`set_default_timeout` (for tests)."""
    global _default_timeout
    _default_timeout = None


Transport = Literal["sse", "socketio"]
TRANSPORTS: tuple[Transport, ...] = ("sse", "socketio")


def check_transport(transport: object, name: str = "transport") -> Transport | None:
    """``transport`` if it is one dash-live knows (or None), else a ValueError naming it."""
    if transport is None or transport in TRANSPORTS:
        return transport
    raise ValueError(f"{name} must be 'sse' or 'socketio', got {transport!r}")


@dataclass(frozen=True)
class StreamSettings:
    timeout: float = 60.0
    keepalive: float = 2.0
    max_streams_per_client: int = 32
    max_body_bytes: int = 1024 * 1024
    transport: str = "sse"
    busy_hold: float = 0.04
    busy_share: float = 0.5

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StreamSettings:
        """The settings in ``config``; a bad value raises ValueError naming the setting."""
        return cls(
            timeout=float(
                config.get(
                    "DASH_LIVE_STREAM_TIMEOUT",
                    cls.timeout if _default_timeout is None else _default_timeout,
                )
            ),
            keepalive=float(config.get("DASH_LIVE_KEEPALIVE", cls.keepalive)),
            max_streams_per_client=int(
                config.get("DASH_LIVE_MAX_STREAMS_PER_CLIENT", cls.max_streams_per_client)
            ),
            max_body_bytes=int(config.get("DASH_LIVE_MAX_BODY_BYTES", cls.max_body_bytes)),
            transport=check_transport(
                config.get("DASH_LIVE_TRANSPORT", cls.transport), "DASH_LIVE_TRANSPORT"
            )
            or cls.transport,
            busy_hold=_non_negative(config, "DASH_LIVE_BUSY_HOLD", cls.busy_hold),
            busy_share=_non_negative(config, "DASH_LIVE_BUSY_SHARE", cls.busy_share),
        )


def _non_negative(config: Mapping[str, Any], name: str, default: float) -> float:
    raw = config.get(name, default)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a number of at least 0, got {raw!r}")
    return value


def server_config(server: object) -> Mapping[str, Any]:
    """The settings of a Dash app's server: Flask's (or Quart's) ``config``, or the attributes
    set on a FastAPI app's ``state``.

    >>> import flask
    >>> app = flask.Flask("x")
    >>> app.config["DASH_LIVE_KEEPALIVE"] = 5
    >>> StreamSettings.from_config(server_config(app)).keepalive
    5.0
    """
    config = getattr(server, "config", None)
    if isinstance(config, Mapping):
        return config
    # starlette.datastructures.State keeps what was set on it in ``_state``.
    state = getattr(getattr(server, "state", None), "_state", None)
    return state if isinstance(state, Mapping) else {}
