"""``setup_event_callback``: dash-event-callback's set-up call, kept so a migrated app runs.

dash-event-callback needs ``setup_event_callback(timeout=30)`` before ``Dash()``: without it
its stream route does not exist. dash-live installs its routes by itself, so the call has only
one effect left, the one an app may rely on: the stream timeout it names (30 s by default, as
in the original, where dash-live's own default is 60 s) becomes the timeout of every app that
does not set ``DASH_LIVE_STREAM_TIMEOUT``. It warns, and the warning says what to write instead.
"""

from __future__ import annotations

import math
import warnings

from .settings import set_default_timeout

__all__ = ["LEGACY_TIMEOUT", "setup_event_callback"]

#: dash-event-callback 1.2.0's default stream timeout, in seconds.
LEGACY_TIMEOUT = 30


def setup_event_callback(timeout: float = LEGACY_TIMEOUT) -> None:
    """Accept dash-event-callback's set-up call: set the default stream timeout and warn.

    Parameters:
        timeout: seconds of wall-clock time a stream may run, for every app whose config does
            not set ``DASH_LIVE_STREAM_TIMEOUT`` (an ``@event_callback(timeout=...)`` still
            wins). Default 30, dash-event-callback's.

    Example::

        >>> import warnings
        >>> from dash_live import setup_event_callback
        >>> from dash_live.callbacks.settings import StreamSettings, reset_default_timeout
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     setup_event_callback(timeout=300)
        >>> caught[0].category.__name__
        'DeprecationWarning'
        >>> StreamSettings.from_config({}).timeout
        300.0
        >>> reset_default_timeout()
    """
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not (timeout > 0 and math.isfinite(timeout))
    ):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    warnings.warn(
        "setup_event_callback() is not needed with dash-live: its routes install themselves. "
        f"To keep this timeout, delete the call and set "
        f'app.server.config["DASH_LIVE_STREAM_TIMEOUT"] = {timeout!r} '
        f"(on the FastAPI backend: app.server.state.DASH_LIVE_STREAM_TIMEOUT = {timeout!r}), "
        f"or pass timeout={timeout!r} to @event_callback.",
        DeprecationWarning,
        stacklevel=2,
    )
    set_default_timeout(float(timeout))
