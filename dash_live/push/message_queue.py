"""Several processes, one audience: Socket.IO's Redis message queue, configured by one setting.

Every process that serves Socket.IO (gunicorn workers, several instances) and every process
that only pushes (a job runner, a scheduler, a Celery or RQ worker) names the same Redis URL:

- ``attach_socketio(app, redis_url=...)``, or the ``DASH_LIVE_REDIS_URL`` Flask setting or
  environment variable, makes a server exchange its emits with the others through Redis;
- in a process with no app, :func:`push_props` finds ``DASH_LIVE_REDIS_URL`` in the environment
  and publishes through Redis without further set-up (or use :func:`connect_message_queue`).

This is Flask-SocketIO's own message queue (python-socketio's ``RedisManager``), with one change:
a publish that fails, or that no process is subscribed to receive, raises
:class:`~dash_live.core.exceptions.MessageQueueError` at the call site, where python-socketio would
log the failure and drop the message; the error says whether this process's own clients got it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import socketio

from ..core.exceptions import MessageQueueError

__all__ = [
    "CHANNEL",
    "REDIS_URL_SETTING",
    "LiveAsyncRedisManager",
    "LiveRedisManager",
    "publish_error",
    "redis_url_from",
]

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
        # The parent tries twice, logs, and returns None when both attempts failed; else the
        # number of processes subscribed to the channel that Redis handed the message to.
        receivers = super()._publish(data)
        if receivers is None or receivers == 0:
            raise publish_error(self, data, receivers)
        return receivers


class LiveAsyncRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """The same for python-socketio's asyncio server (Dash's FastAPI and Quart backends), on
    the same channel: a job's ``push_props`` reaches Flask and ASGI servers alike."""

    def __init__(self, url: str) -> None:
        super().__init__(check_redis_url(url), channel=CHANNEL)

    async def _publish(self, data: Any) -> Any:
        receivers = await super()._publish(data)
        if receivers is None or receivers == 0:
            raise publish_error(self, data, receivers)
        return receivers


def publish_error(manager: Any, data: Any, receivers: int | None) -> MessageQueueError:
    """The error of a publish that did not reach every process (``receivers`` None: Redis
    refused it; 0: no process was subscribed), saying who did get the message."""
    # A server process has already delivered an emit to its own clients (python-socketio's
    # pub/sub managers handle it here before publishing); a write-only emitter has none.
    local = not manager.write_only and isinstance(data, dict) and data.get("method") == "emit"
    here = (
        "It reached the clients connected to this process, not those of other processes: "
        "do not retry it here (they would get it twice)."
        if local
        else "Nobody received it."
    )
    if receivers is None:
        return MessageQueueError(
            f"could not publish to the Redis message queue at {manager.redis_url!r}: "
            f"is redis-server running and reachable? {here}",
            delivered_locally=local,
        )
    # Redis took the message but no process listens: after a Redis restart the servers
    # subscribe again within seconds; meanwhile a push reported as sent would be lost.
    return MessageQueueError(
        f"no process is subscribed to the Redis message queue at {manager.redis_url!r} "
        f"(channel {manager.channel!r}) to deliver the push: are the app's servers running "
        f"and connected to this Redis? {here}",
        delivered_locally=local,
    )
