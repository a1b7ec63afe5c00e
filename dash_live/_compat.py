"""The private parts of Dash that dash-live reaches, in one place, with what stands in for them
on the Dash versions that lack them (the supported range is pyproject's ``dash>=3.0,<5``).

- ``context_value``, ``AttributeDict``, ``inputs_to_dict`` and ``inputs_to_vals`` build the
  ``dash.ctx`` of a stream as Dash builds it for a normal callback; they are the same in every
  supported version.
- Which app is being served: Dash 3.3 added a per-request app (``dash._get_app.app_context``,
  ``with_app_context_factory``), so ``dash.get_app()`` answers for the app that serves the
  request even when a process holds several; before 3.3 it is the app created last. Where Flask
  serves (a route, a Flask-SocketIO handler, on any version) the app is found from Flask's
  current app instead (:func:`remember_app` keeps the pairs, from Dash's setup hook).
- Backends: Dash 4.2 added ``Dash(backend="fastapi" | "quart")``; older apps run on Flask.
- Callbacks without outputs (what an event callback registers on the page): before Dash 4.1
  the renderer fails on one whose inputs use ``MATCH`` or ``ALLSMALLER`` (the page stops
  rendering: "Cannot read properties of undefined (reading 'id')"), and before Dash 4.2 it never
  makes their initial call (plotly/dash#3770). :func:`check_event_callback` refuses those at
  declaration time, measured on Dash 3.0.0, 3.2.0, 3.4.0, 4.0.0, 4.1.0 and 4.2.0.

Example::

    >>> backend_name(object())
    'flask'
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import dash
import flask
from dash._callback_context import context_value
from dash._utils import AttributeDict, inputs_to_dict, inputs_to_vals

from .core.exceptions import UnsupportedDashError

__all__ = [
    "DASH_VERSION",
    "AttributeDict",
    "add_url",
    "backend_name",
    "bind_app",
    "check_event_callback",
    "context_value",
    "current_app",
    "debug_ui",
    "inputs_to_dict",
    "inputs_to_vals",
    "remember_app",
    "serving_server",
    "set_current_app",
]

_View = TypeVar("_View", bound=Callable[..., Any])


def _version(text: str) -> tuple[int, int]:
    """``"3.2.0"`` -> ``(3, 2)``; a pre-release or local suffix is ignored."""
    major, minor = [*text.split("."), "0"][:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


DASH_VERSION: tuple[int, int] = _version(dash.__version__)

_app_context: ContextVar[Any] | None
_with_app_context_factory: Callable[[Any, Any], Any] | None
try:  # Dash >= 3.3
    from dash._get_app import app_context as _app_context
    from dash._get_app import with_app_context_factory as _with_app_context_factory
except ImportError:  # pragma: no cover - depends on the installed Dash
    _app_context = None
    _with_app_context_factory = None

# Flask app -> the Dash app it serves; weak on both sides so that tests' apps can go away.
_AppRef = weakref.ReferenceType[dash.Dash]
_apps: weakref.WeakKeyDictionary[Any, _AppRef] = weakref.WeakKeyDictionary()


def remember_app(app: dash.Dash) -> None:
    """Record which Dash app ``app.server`` serves (called from Dash's setup hook)."""
    server = getattr(app, "server", None)
    if server is not None:
        # A server that takes no weak reference: dash.get_app() answers instead.
        with contextlib.suppress(TypeError):
            _apps[server] = weakref.ref(app)


def set_current_app(app: dash.Dash) -> None:
    """Make ``dash.get_app()`` answer ``app`` in the current context, where Dash can (>= 3.3)."""
    if _app_context is not None:
        _app_context.set(app)


def bind_app(view: _View, app: dash.Dash) -> _View:
    """``view``, run with ``app`` as the current Dash app (for a route added after ``Dash()``)."""
    if _with_app_context_factory is None:
        return view  # current_app() finds the app from Flask's current app
    bound: _View = _with_app_context_factory(view, app)
    return bound


def current_app() -> dash.Dash:
    """The Dash app serving the current request, else the current one (``dash.get_app()``).

    Raises whatever ``dash.get_app()`` raises when there is no app at all.
    """
    if flask.has_app_context():  # Flask-SocketIO handlers too, where Dash sets no app
        ref = _apps.get(flask.current_app._get_current_object())  # type: ignore[attr-defined]
        app: dash.Dash | None = ref() if ref is not None else None
        if app is not None:
            return app
    found: dash.Dash = dash.get_app()
    return found


def serving_server() -> Any:
    """The server of the app being served: Flask's current app, else the current Dash app's."""
    if flask.has_app_context():
        return flask.current_app
    return current_app().server


def add_url(app: dash.Dash, name: str, view: Callable[..., Any], methods: tuple[str, ...]) -> None:
    """Add a route to a Dash app that exists already, under its prefix, as Dash adds its own
    (``Dash._add_url``: the prefix, ``app.routes``, and the backend's own route table)."""
    app._add_url(name, view, methods)


def debug_ui(app: object) -> bool:
    """Whether ``app`` shows Dash's dev-tools UI (``app.run(debug=True)``; ``_dev_tools``)."""
    return bool(getattr(getattr(app, "_dev_tools", None), "ui", False))


MATCH_WITHOUT_OUTPUTS = (4, 1)
INITIAL_CALL_WITHOUT_OUTPUTS = (4, 2)


def _needs(version: tuple[int, int], feature: str, why: str) -> UnsupportedDashError:
    return UnsupportedDashError(
        f"{feature} needs Dash >= {version[0]}.{version[1]}, and this is Dash {dash.__version__}: "
        f"{why}. Upgrade Dash (pip install 'dash>={version[0]}.{version[1]}')."
    )


def check_event_callback(*, wildcard: str | None, initial_call: bool) -> None:
    """Refuse, with :class:`~dash_live.UnsupportedDashError`, an event callback the installed
    Dash cannot run: ``wildcard`` names a ``MATCH``/``ALLSMALLER`` dependency it uses (or None),
    ``initial_call`` is ``not prevent_initial_call``.

    >>> check_event_callback(wildcard=None, initial_call=False)
    """
    if wildcard is not None and DASH_VERSION < MATCH_WITHOUT_OUTPUTS:
        raise _needs(
            MATCH_WITHOUT_OUTPUTS,
            f"an event callback with a {wildcard} dependency",
            "older renderers stop rendering the page on a callback without outputs that "
            "uses MATCH or ALLSMALLER (use ALL, or one event callback per id)",
        )
    if initial_call and DASH_VERSION < INITIAL_CALL_WITHOUT_OUTPUTS:
        raise _needs(
            INITIAL_CALL_WITHOUT_OUTPUTS,
            "an event callback with prevent_initial_call=False",
            "older renderers never make the initial call of a callback without outputs "
            "(plotly/dash#3770)",
        )


def backend_name(app: object) -> str:
    """The name of the Dash backend ``app`` runs on: "flask", "fastapi" or "quart" (Dash 4.2
    added the choice; before, every app runs on Flask)."""
    return str(getattr(getattr(app, "backend", None), "server_type", "flask"))
