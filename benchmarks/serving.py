"""How the benchmarks serve their apps (``benchmarks.apps``): the gunicorn and uvicorn command
lines, the log files of the servers, and a load scenario's server started on a free port.

Every server runs in a :class:`devtools.processes.ServerProcess`, its output in
``$BENCH_LOG_DIR`` (``/tmp/dash-live-bench``), one file per server name.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from devtools.processes import ServerProcess

LOGS = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/dash-live-bench"))

__all__ = ["LOGS", "gunicorn_argv", "log_file", "serve", "uvicorn_argv"]


def gunicorn_argv(app: str, worker: str, threads: int = 1) -> list[str]:
    """``gunicorn -k <worker> -w 1`` serving ``app`` on ``{port}``."""
    argv = [sys.executable, "-m", "gunicorn", "-k", worker, "-w", "1"]
    if worker == "gthread":
        argv += ["--threads", str(threads)]
    # gevent's default of 1,000 connections per worker would cap S4 at C = 1,000 exactly.
    argv += ["--worker-connections", "10000", "--backlog", "4096", "--timeout", "600"]
    argv += ["--graceful-timeout", "2", "--log-level", "warning", "-b", "127.0.0.1:{port}"]
    from gunicorn.config import KNOWN_SETTINGS  # type: ignore[import-untyped]

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # gunicorn >= 27 opens a control socket in $HOME, shared by every gunicorn started.
        argv.append("--no-control-socket")
    return [*argv, app]


def uvicorn_argv(app: str) -> list[str]:
    """``uvicorn`` serving ``app`` on ``{port}``."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--log-level",
        "warning",
        "--no-access-log",
        "--backlog",
        "4096",
    ]


def log_file(name: str) -> Path:
    """Where the server called ``name`` writes its output."""
    return LOGS / f"{name.replace(' ', '_').replace('/', '_')}.log"


def serve(
    name: str, argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> tuple[ServerProcess, dict[str, Any]]:
    """Start ``argv`` on a free port; return the server and its ``GET /bench/info`` (``pid``:
    the process serving requests, gunicorn's worker rather than its master), once that answers:
    gunicorn listens before its worker has imported the app."""
    server = ServerProcess(argv, env=env, log=log_file(name), name=name).start(timeout)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with urllib.request.urlopen(server.url + "/bench/info", timeout=5) as answer:
                    info: dict[str, Any] = json.loads(answer.read())
                    return server, info
            except OSError:
                assert server.process is not None
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{name} did not answer /bench/info; see {server.log}:\n{server.output()}"
                    ) from None
                time.sleep(0.1)  # polling a worker that is still importing the app
    except BaseException:
        server.stop()
        raise
