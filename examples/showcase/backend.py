"""The one seam between the showcase's two backends: Flask (the default) and Dash's FastAPI.

Every card is written once, against what both Socket.IO servers offer (``push_props``,
``join_room``, ``emit``). Four things differ, and only this module knows them:

- building the app: ``dash.Dash(..., backend="fastapi")`` on FastAPI;
- how a Socket.IO handler learns its connection: python-socketio (``LiveAsyncSocketIO``) passes
  the socket id first, Flask-SocketIO (``LiveSocketIO``) sets ``flask.request.sid``. :func:`on`
  registers a handler that takes the socket id first on both;
- where a blocking callback runs: Flask runs a callback in a request thread, Dash's FastAPI
  backend runs a plain ``def`` callback on its event loop, where sleeping between two pushes
  would stall every tab (and the pushes would only leave once it returns; see
  :mod:`dash_live.push.asgi_server`). :func:`off_the_loop` hands it to a thread there;
- serving: :func:`serve`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, Literal

import dash
import flask

from dash_live import LiveAsyncSocketIO, LiveSocketIO

__all__ = [
    "BACKENDS",
    "Backend",
    "Socket",
    "check_backend",
    "new_app",
    "off_the_loop",
    "on",
    "serve",
]

Backend = Literal["flask", "fastapi"]
#: The backends the showcase runs on; the first is the default.
BACKENDS: tuple[Backend, ...] = ("flask", "fastapi")
#: What ``attach_socketio`` returns on either backend.
Socket = LiveSocketIO | LiveAsyncSocketIO
#: A Socket.IO handler as the cards write it: ``handler(sid, *data)``.
Handler = Callable[..., None]
#: Seconds uvicorn lets open requests finish when it stops: an event-callback stream may run for
#: minutes, and ``kill`` (or Ctrl+C) should end the demo now, not then.
GRACEFUL_STOP = 3


def check_backend(name: object) -> Backend:
    """``name`` if the showcase runs on that backend, else a ``ValueError`` naming it.

    >>> check_backend("fastapi")
    'fastapi'
    >>> check_backend("quart")
    Traceback (most recent call last):
    ...
    ValueError: the showcase runs on backend 'flask' or 'fastapi', got 'quart'
    """
    if name not in BACKENDS:
        allowed = " or ".join(repr(backend) for backend in BACKENDS)
        raise ValueError(f"the showcase runs on backend {allowed}, got {name!r}")
    return name


def new_app(backend: Backend, name: str, **options: Any) -> dash.Dash:
    """``dash.Dash(name, **options)`` on ``backend`` (Flask without the argument, which Dash
    before 4.2 does not take)."""
    if backend != "flask":
        options["backend"] = backend
    return dash.Dash(name, **options)


def on(socketio: Socket, event: str) -> Callable[[Handler], Handler]:
    """Register ``handler(sid, *data)`` for ``event`` on either server, as python-socketio
    calls handlers: the connection's socket id first, then the event's data (none for
    ``connect`` and ``disconnect``). It is a plain function: on FastAPI it runs in a thread, so
    it may block on the live chart's lock while the producer, holding it, waits for the event
    loop to send a point (on the loop, that wait would never end).

    >>> from dash_live import attach_socketio
    >>> socketio = attach_socketio(dash.Dash(__name__, backend="fastapi"))
    >>> @on(socketio, "chat")
    ... def on_chat(sid: str, data: object) -> None:
    ...     print(f"{sid} says {data!r}")
    """

    # What the cards do not use: connect's environ and auth, disconnect's reason.
    with_data = event not in ("connect", "disconnect")

    def register(handler: Handler) -> Handler:
        def python_socketio(sid: str, *data: Any) -> None:
            handler(sid, *(data if with_data else ()))

        def flask_socketio(*data: Any) -> None:
            sid: str = flask.request.sid  # type: ignore[attr-defined]  # set by Flask-SocketIO
            handler(sid, *(data if with_data else ()))

        asgi = isinstance(socketio, LiveAsyncSocketIO)
        socketio.on(event)(python_socketio if asgi else flask_socketio)
        return handler

    return register


def off_the_loop(app: dash.Dash) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator for a Dash callback that blocks (sleeps, pushes as it goes): unchanged on
    Flask; on an ASGI backend an ``async def`` that runs it in a thread, so that the event loop
    goes on serving every tab, and sends each push as it is made.

    >>> app = dash.Dash(__name__, backend="fastapi")
    >>> import inspect
    >>> inspect.iscoroutinefunction(off_the_loop(app)(lambda clicks: clicks))
    True
    """

    def decorate(callback: Callable[..., Any]) -> Callable[..., Any]:
        if isinstance(app.server, flask.Flask):
            return callback

        @functools.wraps(callback)
        async def in_a_thread(*args: Any) -> Any:
            # to_thread copies the context: Dash's callback_context is there in the thread.
            return await asyncio.to_thread(callback, *args)

        return in_a_thread

    return decorate


def serve(app: dash.Dash, port: int, debug: bool) -> None:
    """Serve the app on 127.0.0.1:``port`` until the process is stopped.

    On Flask that is Dash's ``app.run``. On FastAPI it is uvicorn, in this process: Dash's
    ``app.run`` there starts ``python -m uvicorn <module>:<variable>.server`` as a child, which
    imports the module again and would not find the app that ``create_app()`` built under
    ``__main__``, nor the private Redis and the live chart's producer of this process; and a
    ``kill`` of this process would leave that child serving. ``debug`` turns on Dash's dev
    tools on both, the code reloader on Flask only (uvicorn's needs an import string).
    """
    # The version check would ask dash-version.plotly.com: the showcase must work offline.
    if isinstance(app.server, flask.Flask):
        app.run(host="127.0.0.1", port=port, debug=debug, dev_tools_disable_version_check=True)
        return
    import uvicorn  # dash[fastapi] brings it; the Flask showcase does not need it

    app.enable_dev_tools(debug=debug, dev_tools_disable_version_check=True)
    uvicorn.run(app.server, host="127.0.0.1", port=port, timeout_graceful_shutdown=GRACEFUL_STOP)
