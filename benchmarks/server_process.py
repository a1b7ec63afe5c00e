"""Benchmark servers in child processes: the gunicorn and uvicorn command lines, and a server
started on a free port, ready once ``GET /bench/info`` answers, stopped by its PID."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.processes import free_port

ROOT = Path(__file__).resolve().parent.parent
LOGS = Path(os.environ.get("BENCH_LOG_DIR", "/tmp/dash-live-bench"))


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


@dataclass
class ServerProcess:
    """A server in a child process on a free port, ready once ``GET /bench/info`` answers."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The pid serving requests (gunicorn's worker, not its master)."""
        return int(self.info["pid"])

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self.port = free_port()
        LOGS.mkdir(parents=True, exist_ok=True)
        log = (LOGS / f"{self.name.replace(' ', '_').replace('/', '_')}.log").open("wb")
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        argv = [part.replace("{port}", str(self.port)) for part in self.argv]
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/bench/info", timeout=5) as answer:
                    self.info = json.loads(answer.read())
                    return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.name} did not start; see {log.name}") from None
                time.sleep(0.1)  # polling a port that is not open yet

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None
