"""Plain Flask-SocketIO (what dash-socketio's server side is): the S5 fan-out reference.

``POST /bench/broadcast`` calls ``socketio.emit("fan-out", time.time())`` to everyone.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import flask
from flask_socketio import SocketIO


def _async_mode() -> str:
    # Flask-SocketIO would pick gevent whenever it is importable, even in a gthread worker.
    monkey = sys.modules.get("gevent.monkey")
    return "gevent" if monkey is not None and monkey.is_module_patched("socket") else "threading"


server = flask.Flask(__name__)
socketio = SocketIO(server, async_mode=_async_mode())


@server.post("/bench/broadcast")
def broadcast() -> dict[str, Any]:
    sent = time.time()
    socketio.emit("fan-out", sent)
    return {"sent": sent, "call_seconds": time.time() - sent}


@server.get("/bench/info")
def info() -> dict[str, Any]:
    return {"pid": os.getpid(), "async_mode": socketio.async_mode}
