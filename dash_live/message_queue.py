"""Several processes, one audience: Socket.IO's Redis message queue, configured by one setting.

Every process that serves Socket.IO (gunicorn workers, several instances) and every process
that only pushes (a job runner, a scheduler, a Celery or RQ worker) names the same Redis URL:

- ``attach_socketio(app, redis_url=...)``, or the ``DASH_LIVE_REDIS_URL`` Flask setting or
  environment variable, makes a server exchange its emits with the others through Redis;
- in a process with no app, :func:`push_props` finds ``DASH_LIVE_REDIS_URL`` in the environment
  and publishes through Redis without further set-up (or use :func:`connect_message_queue`).

This is Flask-SocketIO's own message queue (python-socketio's ``RedisManager``), with one change:
a publish that fails raises :class:`~dash_live.exceptions.MessageQueueError` at the call site,
where python-socketio would log the failure and drop the message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import socketio

from .exceptions import MessageQueueError

__all__ = ["CHANNEL", "REDIS_URL_SETTING", "LiveRedisManager", "redis_url_from"]

#: The Flask setting and environment variable holding the Redis URL.
REDIS_URL_SETTING = "DASH_LIVE_REDIS_URL"
#: The Redis channel; Flask-SocketIO's default, so plain ``flask_socketio.SocketIO`` emitters
#: sharing the URL interoperate.
CHANNEL = "flask-socketio"

_SCHEMES = ("redis://", "rediss://", "unix://", "redis+sentinel://")


def redis_url_from(config: Mapping[str, Any] | None = None) -> str | None:
    """The Redis URL from a Flask config, else the environment, else None.

    >>> redis_url_from({"DASH_LIVE_REDIS_URL": "redis://127.0.0.1:6379/0"})
    'redis://127.0.0.1:6379/0'
    >>> redis_url_from({"DASH_LIVE_REDIS_URL": "http://nope"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: DASH_LIVE_REDIS_URL must be a Redis URL (redis://host:port/db, ...), got 'http://nope'
    """
    url = (config or {}).get(REDIS_URL_SETTING) or os.environ.get(REDIS_URL_SETTING) or None
    if url is None:
        return None
    return check_redis_url(url)


def check_redis_url(url: object) -> str:
    if not isinstance(url, str) or not url.startswith(_SCHEMES):
        raise ValueError(
            f"{REDIS_URL_SETTING} must be a Redis URL (redis://host:port/db, rediss://, "
            f"unix://), got {url!r}"
        )
    return url


class LiveRedisManager(socketio.RedisManager):  # type: ignore[misc]
    """python-socketio's Redis manager, raising when a message cannot be published."""

    def __init__(self, url: str, *, write_only: bool = False) -> None:
        super().__init__(check_redis_url(url), channel=CHANNEL, write_only=write_only)

    def _publish(self, data: Any) -> Any:
        # The parent tries twice, logs, and returns None when both attempts failed.
        receivers = super()._publish(data)
        if receivers is None:
            raise MessageQueueError(
                f"could not publish to the Redis message queue at {self.redis_url!r}: "
                "is redis-server running and reachable? (the message was not sent)"
            )
        return receivers
