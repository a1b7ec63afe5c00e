"""Refuse an oversized stream or cancel request on an ASGI backend before anyone reads its body.

Dash's FastAPI middleware reads and parses the JSON body of every request under ``_dash-``
before the route runs, so the route's own size check came after a 200 MB body had been read
into memory (and parsed, stalling the loop). :class:`BodyLimit` wraps the whole middleware
stack, Dash's included, and answers 413 from the ``Content-Length`` header alone; the body is
never read, and the connection is closed, since its unread rest cannot be skipped for free.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # typing only: the Quart backend has no Starlette
    from starlette.types import ASGIApp, Receive, Scope, Send

from ..callbacks.request import StreamRequestError
from ..callbacks.settings import StreamSettings, server_config
from ..callbacks.streams import check_body_size

__all__ = ["BodyLimit"]


def _content_length(scope: Scope) -> int | str | None:
    """The parsed Content-Length, the header as sent when it is not a number, or None."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            text = value.decode("latin-1")
            return int(text) if text.isdigit() else text
    return None


class BodyLimit:
    """ASGI middleware: a request to one of ``paths`` whose declared body exceeds
    ``DASH_LIVE_MAX_BODY_BYTES`` (or declares none) is answered 413 without being read."""

    def __init__(
        self, app: ASGIApp, paths: Collection[str], settings: Callable[[], StreamSettings]
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.settings = settings

    @classmethod
    def of_server(cls, app: ASGIApp, paths: Collection[str], server: Any) -> BodyLimit:
        """The limit of ``server``'s config, read at each request (the config may change after
        the app is built, as Dash's own settings may)."""
        return cls(app, paths, lambda: StreamSettings.from_config(server_config(server)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") in self.paths:
            try:
                check_body_size(_content_length(scope), self.settings())
            except StreamRequestError as error:
                await _refuse(send, error)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, error: StreamRequestError) -> None:
    body = str(error).encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
