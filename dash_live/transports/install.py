"""The composition root: the one place that gives Dash apps the stream routes and hooks.

Imported by ``dash_live/__init__.py`` alone (an import-linter contract says so). It registers,
once per process, through ``dash.hooks``:

- the Flask views of :mod:`dash_live.transports.flask_sse` (``hooks.route``), which Dash adds
  to every Flask-backed app it creates;
- a setup hook that, on an ASGI backend, adds that backend's own async routes ahead of Dash's
  (:mod:`dash_live.transports.fastapi`, :mod:`dash_live.transports.quart`);
- an index hook that tells the page which transport streams by default.

An app created before dash_live was imported (a page module importing it late) gets its routes
when the first event callback is declared: :func:`ensure_routes` runs as a registration hook of
:mod:`dash_live.callbacks.decorator`.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import dash
from dash import hooks

from .._compat import backend_name, current_app, remember_app, serving_server
from ..callbacks.decorator import all_registered, registration_hooks
from ..callbacks.settings import StreamSettings, server_config
from ..core.exceptions import NotAttachedError
from ..core.wire import CONFIG_SCRIPT_ID
from . import flask_sse
from .socket_wire import streams_over_socketio

__all__ = ["ensure_routes"]

logger = logging.getLogger("dash_live")

_registered_with_hooks = False
_lock = threading.Lock()


def _page_config(index: str) -> str:
    """Dash index hook: tell the page how event callbacks stream by default."""
    server = serving_server()
    settings = StreamSettings.from_config(server_config(server))
    wanted = {settings.transport} | {
        spec.transport for spec in all_registered() if spec.transport is not None
    }
    if "socketio" in wanted and not streams_over_socketio(server):
        raise NotAttachedError(
            "event callbacks set to stream over Socket.IO (DASH_LIVE_TRANSPORT or "
            "transport='socketio') need dash_live.attach_socketio(app) on this app"
        )
    script = (
        f'<script id="{CONFIG_SCRIPT_ID}" type="application/json">'
        f"{json.dumps({'transport': settings.transport})}</script>"
    )
    if "</head>" in index:
        return index.replace("</head>", script + "</head>", 1)
    return script + index


def _setup_backend(app: dash.Dash) -> None:
    """Dash setup hook: on an ASGI backend the routes are that backend's async ones.

    Setup hooks run before Dash adds its routes, so these come first and answer; the
    ``hooks.route`` views registered for Flask never see a request there. The backend's module
    is imported here, when an app runs on it: its framework may not be installed otherwise.
    """
    remember_app(app)
    backend = backend_name(app)
    install: Any
    if backend == "fastapi":
        from .fastapi import install
    elif backend == "quart":
        from .quart import install
    else:
        if backend != "flask":
            logger.warning(
                "dash_live event callbacks stream on Dash's Flask, FastAPI and Quart backends; "
                "this app runs on %r, where they will not start",
                backend,
            )
        return
    install(app)


def ensure_routes() -> None:
    """Make sure every Dash app gets the stream routes.

    Apps created from now on get them through ``dash.hooks``. An app that already exists
    (dash_live imported after ``Dash()``, e.g. from a page module) gets them directly.
    """
    global _registered_with_hooks
    with _lock:
        if not _registered_with_hooks:
            for name, view in flask_sse.VIEWS:
                hooks.route(name, methods=("POST",))(view)
            hooks.index()(_page_config)
            hooks.setup()(_setup_backend)
            _registered_with_hooks = True
    try:
        app = current_app()
    except Exception:  # no app yet: the hooks will serve it
        return
    remember_app(app)
    if backend_name(app) == "flask":
        flask_sse.add_routes(app)
    else:
        _setup_backend(app)


if ensure_routes not in registration_hooks:
    registration_hooks.append(ensure_routes)
