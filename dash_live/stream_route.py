"""The HTTP transport of event callbacks: ``POST <prefix>_dash-live/stream`` and ``.../cancel``.

A stream request starts a run (:mod:`dash_live.stream_session`) whose frames are written as
Server-Sent Events (:mod:`dash_live.sse`) as soon as they are yielded, several per write when
they come quickly. While the generator is quiet a keep-alive comment goes out: a write to a
vanished client fails, and the generator is closed.

The routes are registered through ``dash.hooks.route`` when dash_live is imported, so the app
needs no set-up call, and the app's own request hooks (``before_request``, dash-auth) apply.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import dash
import flask
from dash import hooks

from ._compat import backend_name, bind_app, current_app, remember_app
from .event_callbacks import all_registered
from .exceptions import NotAttachedError
from .nodelay import set_nodelay
from .runner import StreamRunner
from .settings import StreamSettings, server_config
from .sse import KEEP_ALIVE, sse_text
from .stream_request import StreamRequest, StreamRequestError
from .stream_session import (
    cancel_request,
    check_body_size,
    debug_mode,
    frames,
    http_owner,
    live_streams,
    start_stream,
)
from .wire import CANCEL_ROUTE, CONFIG_SCRIPT_ID, STREAM_ROUTE

__all__ = ["CANCEL_ROUTE", "STREAM_ROUTE", "ensure_routes", "live_streams"]


logger = logging.getLogger("dash_live")


def _respond(
    request: StreamRequest,
    runner: StreamRunner,
    settings: StreamSettings,
    debug: bool,
    done: Callable[[], None],
) -> Iterator[str]:
    try:
        # Headers go out at once, so the browser knows the stream started.
        yield KEEP_ALIVE
        for group in frames(request, runner, settings, debug):
            yield "".join(sse_text(frame) for frame in group)
    finally:
        # Also when the client vanished: the write raised and the server closed this iterator.
        runner.cancel()
        done()


# The two views return Any, not flask.Response: hooks.route registers them on every Dash app, and
# Dash's FastAPI backend turns a return annotation into a response model, which a Flask class
# cannot be (Dash() itself raised). There the async routes of asgi_stream.py answer instead.


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
    client = flask.request.remote_addr or "?"
    owner = _owner()
    set_nodelay(flask.request.environ)  # every frame goes out at once (see nodelay.py)
    try:
        check_body_size(flask.request.content_length, settings)
        request, runner = start_stream(_json_body(), client, settings, owner)
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


def _serving_server() -> Any:
    """The server of the app being served: Flask's current app, else the current Dash app's."""
    if flask.has_app_context():
        return flask.current_app
    return current_app().server


def _page_config(index: str) -> str:
    """Dash index hook: tell the page how event callbacks stream by default."""
    server = _serving_server()
    settings = StreamSettings.from_config(server_config(server))
    wanted = {settings.transport} | {
        spec.transport for spec in all_registered() if spec.transport is not None
    }
    # Socket.IO attached to this very app (Flask-SocketIO registers itself in its extensions).
    if "socketio" in wanted and "socketio" not in getattr(server, "extensions", {}):
        raise NotAttachedError(
            "event callbacks set to stream over Socket.IO (DASH_LIVE_TRANSPORT or "
            "transport='socketio') need dash_live.attach_socketio(app), on Dash's Flask backend"
        )
    script = (
        f'<script id="{CONFIG_SCRIPT_ID}" type="application/json">'
        f"{json.dumps({'transport': settings.transport})}</script>"
    )
    if "</head>" in index:
        return index.replace("</head>", script + "</head>", 1)
    return script + index


def _setup_backend(app: dash.Dash) -> None:
    """Dash setup hook: on the FastAPI backend the routes are async ones (asgi_stream.py).

    Setup hooks run before Dash adds its routes, so these come first and answer; the
    ``hooks.route`` views registered for Flask never see a request there.
    """
    remember_app(app)
    backend = backend_name(app)
    if backend == "fastapi":
        from .asgi_stream import install

        install(app)
    elif backend != "flask":
        logger.warning(
            "dash_live event callbacks stream on Dash's Flask and FastAPI backends; this app "
            "runs on %r, where they will not start",
            backend,
        )


def _refuse(error: StreamRequestError) -> flask.Response:
    return flask.Response(str(error), status=error.status, mimetype="text/plain")


_registered_with_hooks = False
_lock = threading.Lock()


def ensure_routes() -> None:
    """Make sure every Dash app gets the stream routes.

    Apps created from now on get them through ``dash.hooks``. An app that already exists
    (dash_live imported after ``Dash()``, e.g. from a page module) gets them directly.
    """
    global _registered_with_hooks
    with _lock:
        if not _registered_with_hooks:
            hooks.route(STREAM_ROUTE, methods=("POST",))(_stream_view)
            hooks.route(CANCEL_ROUTE, methods=("POST",))(_cancel_view)
            hooks.index()(_page_config)
            hooks.setup()(_setup_backend)
            _registered_with_hooks = True
    try:
        app = current_app()
    except Exception:  # no app yet: the hooks will serve it
        return
    remember_app(app)
    server = getattr(app, "server", None)
    if backend_name(app) != "flask":
        _setup_backend(app)
        return
    prefix = app.config.routes_pathname_prefix
    if isinstance(server, flask.Flask) and prefix + STREAM_ROUTE not in app.routes:
        try:
            for name, view in ((STREAM_ROUTE, _stream_view), (CANCEL_ROUTE, _cancel_view)):
                app._add_url(name, bind_app(view, app), ("POST",))
        except AssertionError:
            # That app already serves requests and Flask takes no new routes; an app created
            # later gets them from the hooks.
            logger.debug("routes not added to %r: it is already serving", app)
