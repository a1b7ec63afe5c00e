"""A real ``redis-server`` on 127.0.0.1, started and stopped by PID (never a mock)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

from tests.processes import free_port, stop_process, wait_for_port

REDIS_SERVER = "/usr/bin/redis-server"


class RedisServer:
    """One throwaway Redis: no persistence, loopback only, restartable on the same port."""

    def __init__(self) -> None:
        if shutil.which(REDIS_SERVER) is None:
            raise RuntimeError(
                f"{REDIS_SERVER} is missing: `make test` installs Debian's redis-server as root"
            )
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="dash-live-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self.dir,
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, 15)
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
