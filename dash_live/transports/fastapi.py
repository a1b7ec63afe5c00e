"""The HTTP transport of event callbacks on Dash's FastAPI backend (``Dash(backend="fastapi")``).

The same routes, events and page client as the Flask transport
(:mod:`dash_live.transports.flask_sse`); the stream itself is run by the asyncio driver
(:mod:`dash_live.transports.asgi`). What is FastAPI's here: the two Starlette routes, the
response that hands the driver ASGI's ``send`` and ``receive``, and the body limit. The routes
are added by a ``dash.hooks.setup`` hook, ahead of Dash's own, so the backend's request hooks
(``before_request``) apply as they do to Dash's routes.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import dash
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ..callbacks.request import StreamRequestError, not_json_body
from ..callbacks.streams import (
    HttpFacts,
    cancel_request,
    http_owner,
)
from ..core.wire import CANCEL_ROUTE, STREAM_ROUTE
from .asgi import serve_sse
from .asgi_routes import OpenStream, add_routes, open_stream
from .body_limit import BodyLimit

__all__ = ["StreamResponse", "install"]

logger = logging.getLogger("dash_live")

_installed: weakref.WeakSet[Any] = weakref.WeakSet()


class StreamResponse(Response):
    """The ``text/event-stream`` response that runs one event callback."""

    media_type = "text/event-stream"

    def __init__(self, stream: OpenStream) -> None:
        # Not Response.__init__: a body would give the response a Content-Length.
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        def write(text: str) -> Awaitable[None]:
            # Not async def: the driver awaits send's own coroutine, one coroutine per frame.
            return send({"type": "http.response.body", "body": text.encode(), "more_body": True})

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            stream = self.stream
            await serve_sse(
                stream.prepared, stream.run, stream.settings, stream.debug, write, disconnected
            )
            if not stream.run.gone:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            self.stream.close()


def _http_facts(request: Request) -> HttpFacts:
    return HttpFacts(
        cookies=dict(request.cookies),
        headers=dict(request.headers),
        path=f"{request.url.path}?{request.url.query}",
        remote=request.client.host if request.client else None,
        origin=request.headers.get("origin"),
    )


async def _json_body(request: Request) -> Any:
    """The request's JSON body; a :class:`StreamRequestError` when there is none to read."""
    # Dash's middleware has already read the body of JSON requests to its routes (the _dash-
    # prefix is theirs too) and keeps it on the request state, None when it could not parse
    # it (JSON's null too); the stream cannot be read twice.
    if hasattr(request.state, "json_body"):
        body = request.state.json_body
    else:
        try:
            body = await request.json()
        except (ValueError, RecursionError):
            body = None
    if body is None:
        raise not_json_body()
    return body


def _owner(request: Request) -> str:
    """Who owns a stream this request starts or cancels (see ``http_owner``)."""
    return http_owner(
        request.client.host if request.client else None, request.headers.get("authorization")
    )


def _refuse(error: StreamRequestError) -> Response:
    return PlainTextResponse(str(error), status_code=error.status)


def _routes(app: dash.Dash) -> Iterable[tuple[str, Callable[[Request], Awaitable[Response]]]]:
    async def stream(request: Request) -> Response:
        try:
            # The body's size was checked before anyone read it (BodyLimit, see install).
            opened = await open_stream(
                app,
                lambda: _json_body(request),
                _http_facts(request),
                request.client.host if request.client else "?",
                _owner(request),
            )
        except StreamRequestError as error:
            return _refuse(error)
        return StreamResponse(opened)

    async def cancel(request: Request) -> Response:
        try:
            cancel_request(await _json_body(request), _owner(request))
        except StreamRequestError as error:
            return _refuse(error)
        return Response(status_code=204)

    return ((STREAM_ROUTE, stream), (CANCEL_ROUTE, cancel))


def install(app: dash.Dash) -> None:
    """Add the stream and cancel routes to a Dash app on the FastAPI backend (idempotent)."""
    server = app.server
    if server in _installed:
        return
    paths = add_routes(
        app,
        _routes(app),
        lambda path, name, endpoint: server.add_api_route(
            path, endpoint, name=name, methods=["POST"], include_in_schema=False
        ),
    )
    # Ahead of every middleware, Dash's included, which reads each body under _dash- first:
    # Starlette builds its stack on the first request, from this method (asgi_body_limit.py).
    build_stack = server.build_middleware_stack

    def build_limited_stack() -> ASGIApp:
        return BodyLimit.of_server(build_stack(), paths, server)

    server.build_middleware_stack = build_limited_stack
    _installed.add(server)
