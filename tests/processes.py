"""Servers run as child processes, for tests that stop and restart them."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Return once 127.0.0.1:port accepts connections; raise after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"nothing listens on 127.0.0.1:{port} after {timeout} s"
                ) from None
            time.sleep(0.05)  # polling a port that is not open yet; not synchronising a race


def stop_process(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """Stop a child process by its PID: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def stop_process_group(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """Stop a child started with ``start_new_session=True`` and every process it started: its
    process group, whose id is its PID. SIGTERM, then SIGKILL after ``grace`` seconds; returns
    once no process of the group is left."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _group_alive(group):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            deadline = time.monotonic() + 10
        process.poll()  # reap the leader, or it stays a zombie in the group
        time.sleep(0.05)  # polling for processes to exit; nothing to wait on across a group
    process.wait(10)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    # A leader that exited but is not reaped yet still counts; poll() reaps it.
    return True


class ServerProcess:
    """``python -m <module> <port>`` in a child process, stopped by its PID."""

    def __init__(
        self, module: str, port: int, *args: str, env: dict[str, str] | None = None
    ) -> None:
        self.module = module
        self.port = port
        self.args = args
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, str(self.port), *self.args], cwd=ROOT, env=env
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None
