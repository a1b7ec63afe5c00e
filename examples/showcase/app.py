"""The showcase app that ``make demo`` serves at http://127.0.0.1:8050.

``create_app()`` builds the app (tests serve it with no delays); running the module serves it::

    python -m examples.showcase.app          # or: make demo
    SHOWCASE_BACKEND=fastapi python -m examples.showcase.app   # or: make demo BACKEND=fastapi
    SHOWCASE_WORD_DELAY=0.1 DASH_DEBUG=true python -m examples.showcase.app

``SHOWCASE_BACKEND`` picks Dash's backend: ``flask`` (the default, served by Dash's ``app.run``)
or ``fastapi`` (served by uvicorn; see :mod:`.backend` for all that differs).
``SHOWCASE_WORD_DELAY`` (seconds between two LoremLM words, default 0.03) and
``SHOWCASE_CHUNK_DELAY`` (seconds between two table chunks, default 0.2) and
``SHOWCASE_CHART_INTERVAL`` (seconds between two points of the live chart, default 0.5) set the
pace;
``DASH_DEBUG=true`` turns on Dash's dev tools and, on Flask, its reloader. An optional first
argument is the port (default 8050).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import dash
import dash_mantine_components as dmc

from dash_live import attach_socketio

from . import backend as backends
from . import chart, chat, jobs, lorem, notify, status, table
from .backend import Socket

__all__ = [
    "DEFAULT_CHART_INTERVAL",
    "DEFAULT_CHUNK_DELAY",
    "DEFAULT_JOB_DELAY",
    "DEFAULT_WORD_DELAY",
    "create_app",
]

DEFAULT_WORD_DELAY = 0.03
DEFAULT_CHUNK_DELAY = 0.2
DEFAULT_JOB_DELAY = 0.25
DEFAULT_CHART_INTERVAL = chart.DEFAULT_INTERVAL


def _layout() -> Any:
    header = dmc.Group(
        [
            dmc.Stack(
                [
                    dmc.Title("dash-live showcase", order=2),
                    dmc.Text(
                        "Server push for Dash: Socket.IO pushes, event-callback streams, rooms.",
                        c="dimmed",
                    ),
                ],
                gap=0,
            ),
            status.badge(),
        ],
        justify="space-between",
        mb="lg",
    )
    return dmc.MantineProvider(
        [
            status.socket_component(event_names=[notify.EVENT]),
            notify.container(),
            dmc.Container(
                [
                    header,
                    dmc.Box(chart.card(), mb="lg"),
                    dmc.SimpleGrid(
                        [lorem.socketio_card(), lorem.event_callback_card()],
                        cols={"base": 1, "md": 2},
                        mb="lg",
                    ),
                    dmc.SimpleGrid([chat.card(), jobs.card()], cols={"base": 1, "md": 2}, mb="lg"),
                    table.card(),
                ],
                size="xl",
                py="lg",
            ),
        ]
    )


def create_app(
    word_delay: float = DEFAULT_WORD_DELAY,
    chunk_delay: float = DEFAULT_CHUNK_DELAY,
    job_delay: float = DEFAULT_JOB_DELAY,
    chart_interval: float = DEFAULT_CHART_INTERVAL,
    backend: str = "flask",
) -> tuple[dash.Dash, Socket]:
    """Build the showcase: the Dash app and its Socket.IO server.

    Parameters:
        word_delay: seconds between two words of a LoremLM answer (0 in tests).
        chunk_delay: seconds between two chunks of the streamed table (0 in tests).
        job_delay: seconds each step of the background job takes.
        chart_interval: seconds between two points of the live chart (> 0). Its producer
            thread starts with the first connection; ``chart.producer_of(app).stop()`` ends it.
        backend: ``"flask"`` (Flask-SocketIO) or ``"fastapi"`` (Dash's FastAPI backend, with
            python-socketio's asyncio server); another value raises ``ValueError``.

    With ``DASH_LIVE_REDIS_URL`` set, Socket.IO goes through that Redis and the background
    job card is enabled.

    Example::

        >>> app, socketio = create_app(word_delay=0, chunk_delay=0)
        >>> app.title
        'dash-live showcase'
        >>> create_app(backend="django")
        Traceback (most recent call last):
        ...
        ValueError: the showcase runs on backend 'flask' or 'fastapi', got 'django'
    """
    app = backends.new_app(backends.check_backend(backend), __name__, title="dash-live showcase")
    socketio = attach_socketio(app)
    app.layout = _layout()
    status.register(app)
    notify.register(app)
    lorem.register(app, socketio, word_delay)
    chat.register(app, socketio)
    producer = chart.register(app, socketio, chart_interval)

    # Both servers keep one handler per event and namespace: these do what each card needs of
    # a connection.
    @backends.on(socketio, "connect")
    def on_connect(sid: str) -> None:
        chat.join_chat(socketio, sid)
        producer.welcome(sid)

    @backends.on(socketio, "disconnect")
    def on_disconnect(sid: str) -> None:
        producer.forget(sid)

    table.register(chunk_delay)
    jobs.register(app, job_delay)
    return app, socketio


def _delay(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value is None else float(value)


def _die_with_parent() -> None:
    # Linux: the kernel sends SIGTERM to the child when the demo dies, however it dies.
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(10)


def _private_redis() -> subprocess.Popen[bytes] | None:
    """Start a throwaway redis-server for the demo's background-job card, when there is one
    and no DASH_LIVE_REDIS_URL was given; it stops with the demo."""
    if os.environ.get("DASH_LIVE_REDIS_URL") or shutil.which("redis-server") is None:
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)  # redis-server is starting
    atexit.register(_stop, server)
    os.environ["DASH_LIVE_REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
    return server


if __name__ == "__main__":
    # SIGTERM (e.g. `kill`) ends the demo through sys.exit, so atexit stops the private Redis.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        chosen = backends.check_backend(os.environ.get("SHOWCASE_BACKEND", backends.BACKENDS[0]))
    except ValueError as error:
        sys.exit(f"SHOWCASE_BACKEND (make demo BACKEND=...): {error}")
    _private_redis()
    showcase, _ = create_app(
        word_delay=_delay("SHOWCASE_WORD_DELAY", DEFAULT_WORD_DELAY),
        chunk_delay=_delay("SHOWCASE_CHUNK_DELAY", DEFAULT_CHUNK_DELAY),
        chart_interval=_delay("SHOWCASE_CHART_INTERVAL", DEFAULT_CHART_INTERVAL),
        backend=chosen,
    )
    debug = os.environ.get("DASH_DEBUG", "").lower() in ("1", "true", "yes")
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8050
    backends.serve(showcase, port, debug)
