"""Servers in child processes, for the tests and the benchmarks alike.

:class:`ServerProcess` starts a server command in a child process (from the checkout, with the
checkout on ``PYTHONPATH``), waits until its port on 127.0.0.1 answers, collects what it prints
into a log for error messages, and stops it by its PID (or its process group), never waiting
without bound. The functions under it serve child processes that are not servers of this kind
(a ``redis-server``, a server whose first line of output is read).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent

__all__ = [
    "ROOT",
    "ServerProcess",
    "free_port",
    "stop_process",
    "stop_process_group",
    "wait_for_port",
]


class ServerProcess:
    """A server command in a child process, serving on 127.0.0.1:``port`` until :meth:`stop`.

    ``{port}`` in ``argv`` becomes the port (a free one unless given). Its output (stdout and
    stderr) goes to ``log``, kept, or else to a temporary file which :meth:`stop` copies to
    ``sys.stderr`` (where pytest shows it for a failing test) and removes. A server that exits
    or does not answer within the timeout raises ``RuntimeError`` with the end of its output.
    ``group=True`` starts it in a session of its own and stops its whole process group (servers
    that start processes of their own: job processes, a uvicorn child). It can be started
    again, on the same port, once stopped. As a context manager it stops on exit.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        port: int | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
        log: Path | None = None,
        group: bool = False,
        name: str = "",
    ) -> None:
        self.port = port or free_port()
        self.argv = [part.replace("{port}", str(self.port)) for part in argv]
        self.env = dict(env or {})
        self.cwd = cwd
        self.log = log
        self.group = group
        self.name = name or " ".join(self.argv)
        self.process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    @classmethod
    def module(
        cls, module: str, *args: str, port: int | None = None, env: Mapping[str, str] | None = None
    ) -> ServerProcess:
        """``python -m <module> <port> <args>``, with this interpreter."""
        return cls([sys.executable, "-m", module, "{port}", *args], port=port, env=env)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> ServerProcess:
        """Start the server; return once its port accepts connections."""
        if self._output is not None:
            raise RuntimeError(f"{self.name} is running already")
        output: IO[bytes]
        if self.log is None:
            output = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log")  # noqa: SIM115
        else:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            output = self.log.open("wb")
        try:
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=self.group,
            )
        except BaseException:
            output.close()
            raise
        self._output = output  # closed by stop()
        try:
            wait_for_port(self.port, timeout, self.process)
        except BaseException as error:  # an interrupt too: the child must not outlive us
            tail = self.output()
            self._stop(10.0, echo=False)
            if isinstance(error, (TimeoutError, RuntimeError)):
                raise RuntimeError(f"{self.name} did not start: {error}\n{tail}") from None
            raise
        return self

    def output(self, limit: int = 4000) -> str:
        """The last ``limit`` characters the server printed (of its last run, once stopped, if
        it has a ``log``)."""
        if self._output is not None:
            self._output.flush()
            path = Path(self._output.name)
        elif self.log is not None and self.log.exists():
            path = self.log
        else:
            return ""
        return path.read_text(errors="replace")[-limit:]

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds (to its group, if ``group``). The
        stopped process stays in ``process``, with its return code."""
        self._stop(grace, echo=self.log is None)

    def _stop(self, grace: float, echo: bool) -> None:
        if self._output is None:
            return  # not started, or stopped already
        assert self.process is not None
        try:
            (stop_process_group if self.group else stop_process)(self.process, grace)
        finally:
            if echo and (text := self.output(limit=1 << 20)):
                sys.stderr.write(f"--- output of {self.name}\n{text}")
            output, self._output = self._output, None
            output.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(
    port: int, timeout: float = 30.0, process: subprocess.Popen[Any] | None = None
) -> None:
    """Return once 127.0.0.1:port accepts connections; raise ``TimeoutError`` after ``timeout``
    seconds, or ``RuntimeError`` as soon as ``process`` (the server, if given) has exited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"it exited with {process.returncode}") from None
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
    killed = False
    while _group_alive(group):
        if time.monotonic() > deadline:
            if killed:
                raise TimeoutError(f"process group {group} still runs 10 s after SIGKILL")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            killed, deadline = True, time.monotonic() + 10
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
