"""The HTTP transport of event callbacks on Dash's Quart backend (``Dash(backend="quart")``).

The stream is run by the asyncio driver (:mod:`dash_live.transports.asgi`), as on FastAPI; what
is Quart's here is how a route reaches ASGI:

- the two routes are Quart views, added by Dash's setup hook ahead of Dash's own, so the app's
  ``before_request`` hooks apply (``dash.hooks.route`` would wrap an async view in a sync one);
- the response body writes with ASGI's ``send`` itself, frame by frame, and learns of a vanished
  client from ``http.disconnect``: Quart consumes ``receive`` itself, so a middleware around
  ``app.server.asgi_app`` (Quart's documented place for one) hands both to the view through the
  request's scope, and refuses an oversized body before Quart reads it (:mod:`.body_limit`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import dash
import quart

from ..callbacks.request import StreamRequestError, not_json_body
from ..callbacks.streams import (
    HttpFacts,
    cancel_request,
    http_owner,
)
from ..core.wire import CANCEL_ROUTE, STREAM_ROUTE
from .asgi import serve_sse
from .asgi_routes import add_routes, open_stream
from .body_limit import BodyLimit

__all__ = ["install"]

_installed: weakref.WeakSet[Any] = weakref.WeakSet()
_SEND = "dash_live.send"  # scope keys our middleware sets
_GONE = "dash_live.gone"

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _middleware(app: ASGIApp, paths: frozenset[str]) -> ASGIApp:
    """Give the stream route ASGI's ``send`` and an event set on ``http.disconnect``."""

    async def with_channels(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path") not in paths:
            await app(scope, receive, send)
            return
        gone = asyncio.Event()

        async def watched_receive() -> Any:
            message = await receive()
            if message["type"] == "http.disconnect":
                gone.set()
            return message

        scope[_SEND] = send
        scope[_GONE] = gone
        await app(scope, watched_receive, send)

    return with_channels


async def _json_body() -> Any:
    """The request's JSON body; a :class:`StreamRequestError` when there is none to read."""
    try:
        body = await quart.request.get_json(force=True, silent=True)
    except RecursionError:  # silent=True covers malformed JSON, not JSON nested ~1,000 deep
        body = None
    if body is None:
        raise not_json_body()
    return body


def _owner() -> str:
    request = quart.request
    return http_owner(request.remote_addr, request.headers.get("Authorization"))


def _refuse(error: StreamRequestError) -> quart.Response:
    return quart.Response(str(error), status=error.status, mimetype="text/plain")


def _views(app: dash.Dash) -> list[tuple[str, Callable[[], Awaitable[quart.Response]]]]:
    async def stream() -> quart.Response:
        request = quart.request
        try:
            opened = await open_stream(
                app,
                _json_body,
                HttpFacts(
                    cookies=dict(request.cookies),
                    headers=dict(request.headers),
                    path=request.full_path,
                    remote=request.remote_addr,
                    origin=request.headers.get("Origin"),
                ),
                request.remote_addr or "?",
                _owner(),
            )
        except StreamRequestError as error:
            return _refuse(error)
        scope: Any = request.scope  # with the keys our middleware added
        send: Callable[[dict[str, Any]], Awaitable[None]] = scope[_SEND]
        gone: asyncio.Event = scope[_GONE]

        def write(text: str) -> Awaitable[None]:
            # Not async def: the driver awaits send's own coroutine, one coroutine per frame.
            return send({"type": "http.response.body", "body": text.encode(), "more_body": True})

        async def disconnected() -> None:
            await gone.wait()

        async def body_chunks() -> AsyncIterator[bytes]:
            # Quart has sent the headers when it first iterates the body; the driver writes
            # each frame itself, and Quart ends the body after it.
            try:
                await serve_sse(
                    opened.prepared, opened.run, opened.settings, opened.debug, write, disconnected
                )
            finally:
                opened.close()
            return
            yield b""  # an async generator that yields nothing

        response = quart.Response(
            body_chunks(),
            mimetype="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        response.timeout = None  # Quart's RESPONSE_TIMEOUT would cut the stream at 60 s
        return response

    async def cancel() -> quart.Response:
        try:
            cancel_request(await _json_body(), _owner())
        except StreamRequestError as error:
            return _refuse(error)
        return quart.Response("", status=204)

    return [(STREAM_ROUTE, stream), (CANCEL_ROUTE, cancel)]


def install(app: dash.Dash) -> None:
    """Add the stream and cancel routes to a Dash app on the Quart backend (idempotent)."""
    server = app.server
    if server in _installed:
        return
    paths = add_routes(
        app,
        _views(app),
        lambda path, name, view: server.add_url_rule(path, name, view, methods=["POST"]),
    )
    limited = BodyLimit.of_server(server.asgi_app, paths, server)
    server.asgi_app = _middleware(limited, frozenset(paths))
    _installed.add(server)
