"""What the stream and cancel routes of Dash's ASGI backends (FastAPI, Quart) share.

Each backend reads its request its own way (Starlette's ``Request``, Quart's ``request``) and
hands over what it read: a coroutine for the JSON body, the request's :class:`HttpFacts`, the
client's address and the owner. The steps after that, and their order, are one:
:func:`open_stream` checks the body, prepares the stream and registers it under its client's
quota, before the response starts, so a refused request is an HTTP error and not a stream;
:func:`add_routes` puts the two routes under the app's prefix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import dash

from .._compat import set_current_app
from ..callbacks.settings import StreamSettings, server_config
from ..callbacks.streams import HttpFacts, PreparedStream, debug_mode, live_streams, prepare_stream
from .asgi import LoopStream

__all__ = ["OpenStream", "add_routes", "open_stream"]

View = TypeVar("View")


@dataclass(frozen=True)
class OpenStream:
    """A stream that passed every check and holds its place in ``live_streams``: what
    :func:`~dash_live.transports.asgi.serve` needs, and ``close`` to give the place back."""

    prepared: PreparedStream
    run: LoopStream
    settings: StreamSettings
    debug: bool

    def close(self) -> None:
        live_streams.close(self.prepared.request.stream_id)


async def open_stream(
    app: dash.Dash,
    json_body: Callable[[], Awaitable[Any]],
    http: HttpFacts,
    client: str,
    owner: str,
) -> OpenStream:
    """Check and register one stream request; a ``StreamRequestError`` names what was wrong
    (the body, the callback, the client's quota) and registers nothing."""
    set_current_app(app)  # dash.get_app() and debug_mode() answer for this very app
    settings = StreamSettings.from_config(server_config(app.server))
    prepared = prepare_stream(await json_body(), http)
    run = LoopStream(asyncio.get_running_loop())
    live_streams.open(
        prepared.request.stream_id, client, run, settings.max_streams_per_client, owner
    )
    return OpenStream(prepared, run, settings, debug_mode())


def add_routes(
    app: dash.Dash,
    views: Iterable[tuple[str, View]],
    register: Callable[[str, str, View], None],
) -> list[str]:
    """Register each ``(route, view)`` under the app's prefix with ``register(path, name,
    view)`` (``name``: a short endpoint name of ours); the paths, for the body limit."""
    prefix = app.config.routes_pathname_prefix
    paths = []
    for route, view in views:
        # Not the path as the name: Dash names hooks.route's endpoints so, and they would clash.
        register(prefix + route, "dash_live_" + route.rsplit("/", 1)[-1], view)
        paths.append(prefix + route)
    return paths
