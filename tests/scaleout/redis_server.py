"""A real ``redis-server`` on 127.0.0.1, started and stopped by PID (never a mock)."""

from __future__ import annotations

import shutil
import tempfile

from devtools.processes import ServerProcess

REDIS_SERVER = "/usr/bin/redis-server"


class RedisServer:
    """One throwaway Redis: no persistence, loopback only, restartable on the same port."""

    def __init__(self) -> None:
        if shutil.which(REDIS_SERVER) is None:
            raise RuntimeError(
                f"{REDIS_SERVER} is missing: `make test` installs Debian's redis-server as root"
            )
        self.dir = tempfile.mkdtemp(prefix="dash-live-redis-")
        self.server = ServerProcess(
            [
                REDIS_SERVER,
                "--port", "{port}",
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self.dir,
            ],
            name="redis-server",
        )  # fmt: skip
        self.port = self.server.port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.server.start(15)
        return self

    def stop(self) -> None:
        self.server.stop()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
