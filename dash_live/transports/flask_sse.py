"""The HTTP transport of event callbacks: ``POST <prefix>_dash-live/stream`` and ``.../cancel``.

A stream request starts a run (:func:`dash_live.callbacks.streams.start_stream`) whose frames
(:mod:`dash_live.core.session`) are written as Server-Sent Events (:mod:`dash_live.core.sse`)
as soon as they are yielded, several per write when they come quickly. While the generator is
quiet a keep-alive comment goes out: a write to a vanished client fails, and the generator is
closed.

The routes are registered through ``dash.hooks.route`` when dash_live is imported, so the app
needs no set-up call, and the app's own request hooks (``before_request``, dash-auth) apply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import dash
import flask

from .._compat import add_url, bind_app
from ..callbacks.request import StreamRequest, StreamRequestError
from ..callbacks.runner import StreamRunner
from ..callbacks.settings import StreamSettings
from ..callbacks.streams import (
    cancel_request,
    check_body_size,
    debug_mode,
    http_owner,
    live_streams,
    new_session,
    run_frames,
    start_stream,
)
from ..core.sse import KEEP_ALIVE, sse_text
from ..core.wire import CANCEL_ROUTE, STREAM_ROUTE
from .flask_request import client_address, flask_facts
from .nodelay import set_nodelay

__all__ = ["VIEWS", "add_routes"]


logger = logging.getLogger("dash_live")


def _respond(
    request: StreamRequest,
    runner: StreamRunner,
    settings: StreamSettings,
    debug: bool,
    done: Callable[[], None],
) -> Iterator[str]:
    session = new_session(request, settings, debug, time.monotonic())
    try:
        # Headers go out at once, so the browser knows the stream started.
        yield KEEP_ALIVE
        for group in run_frames(session, runner):
            yield sse_text(group[0]) if len(group) == 1 else "".join(map(sse_text, group))
    finally:
        # Also when the client vanished: the write raised and the server closed this iterator.
        runner.cancel()
        done()


# The two views return Any, not flask.Response: hooks.route registers them on every Dash app, and
# Dash's FastAPI backend turns a return annotation into a response model, which a Flask class
# cannot be (Dash() itself raised). There the async routes of fastapi.py answer instead.


def _json_body() -> Any:
    """The request's JSON body, or None when it is not JSON."""
    try:
        return flask.request.get_json(silent=True)
    except RecursionError:
        # silent=True covers malformed JSON only: a body nested ~1,000 deep exhausts the
        # parser's recursion instead, which would otherwise answer 500.
        raise StreamRequestError(
            "the request body is JSON nested too deeply to read; a stream request is "
            "{callback, stream, inputs, state, ...} with each value as Dash sends it"
        ) from None


def _owner() -> str:
    """Who owns a stream the current request starts or cancels (see ``http_owner``)."""
    return http_owner(flask.request.remote_addr, flask.request.headers.get("Authorization"))


def _stream_view() -> Any:
    settings = StreamSettings.from_config(flask.current_app.config)
    client = client_address()
    owner = _owner()
    set_nodelay(flask.request.environ)  # every frame goes out at once (see nodelay.py)
    try:
        check_body_size(flask.request.content_length, settings)
        request, runner = start_stream(_json_body(), flask_facts(), client, settings, owner)
    except StreamRequestError as error:
        return _refuse(error)
    body = _respond(
        request,
        runner,
        settings,
        debug_mode(),
        lambda: live_streams.close(request.stream_id),
    )
    return flask.Response(
        body,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _cancel_view() -> Any:
    try:
        cancel_request(_json_body(), _owner())
    except StreamRequestError as error:
        return _refuse(error)
    return flask.Response(status=204)


def _refuse(error: StreamRequestError) -> flask.Response:
    return flask.Response(str(error), status=error.status, mimetype="text/plain")


VIEWS = ((STREAM_ROUTE, _stream_view), (CANCEL_ROUTE, _cancel_view))


def add_routes(app: dash.Dash) -> None:
    """Add the two routes to a Flask-backed Dash app that exists already (dash_live imported
    after ``Dash()``); apps created later get them through ``dash.hooks``."""
    prefix = app.config.routes_pathname_prefix
    if not isinstance(app.server, flask.Flask) or prefix + STREAM_ROUTE in app.routes:
        return
    try:
        for name, view in VIEWS:
            add_url(app, name, bind_app(view, app), ("POST",))
    except AssertionError:
        # That app already serves requests and Flask takes no new routes; an app created
        # later gets them from the hooks.
        logger.debug("routes not added to %r: it is already serving", app)
