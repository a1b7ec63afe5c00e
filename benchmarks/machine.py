"""The machine and its processes as the benchmarks report them: CPU, memory, package versions
(and the browser's, for the browser benchmarks), load average, open-files limit, and
per-process RSS, CPU time and threads read from /proc."""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.measure import cpu_model

if TYPE_CHECKING:  # the browser benchmarks' type; the others import no Playwright
    from playwright.sync_api import Browser


def raise_fd_limit() -> tuple[int, int]:
    """Raise the soft open-files limit to the hard limit; return (soft, hard) after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def machine_facts(packages: Sequence[str], browser: Browser | None = None) -> str:
    """CPU, memory, Python, the versions of ``packages`` (and of ``browser``'s Chromium, for a
    benchmark that drives one), load average and fd limit, as printable lines."""
    versions = []
    for name in packages:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            module = None
            with contextlib.suppress(ImportError):
                module = importlib.import_module(name.replace("-", "_"))
            version = getattr(module, "__version__", None)
            versions.append(f"{name} {version} (from source)" if version else f"{name} (absent)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lines = [
        f"machine: {platform.platform()}, {os.cpu_count()} cores ({cpu_model()}), "
        f"{_memory_gib():.0f} GiB",
        f"python: {platform.python_version()} ({sys.executable})",
        f"packages: {', '.join(versions)}",
    ]
    if browser is not None:
        lines.append(f"browser: Chromium {browser.version} (headless)")
    lines.append(f"load average (1, 5, 15 min): {load_average()}; open files limit {soft}/{hard}")
    return "\n".join(lines)


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _memory_gib() -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return 0.0


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def wait_until_quiet(busy_below: float = 0.10, settle: float = 1.0, limit: float = 30.0) -> float:
    """Wait until the machine's CPUs were less than ``busy_below`` busy over ``settle`` s (what
    the last round left behind, such as a server closing a thousand sockets, is done), or
    ``limit`` s passed; return the seconds waited. Each round of a capacity benchmark then
    starts on a quiet machine, whatever ran before it."""
    started = time.monotonic()
    busy, total = _cpu_jiffies()
    while True:
        time.sleep(settle)  # the sampling window of the measure itself
        now_busy, now_total = _cpu_jiffies()
        spent = now_total - total
        if (spent and (now_busy - busy) / spent < busy_below) or (
            time.monotonic() - started >= limit
        ):
            return time.monotonic() - started
        busy, total = now_busy, now_total


# Processes: /proc readings.


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (VmRSS), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used by ``pid`` so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of proc(5) (utime, stime), counted after the ")" that ends the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_count(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PeakSampler:
    """Samples a process's RSS and thread count every ``interval`` s, keeping the peaks."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss = rss_bytes(pid)
        self.peak_threads = thread_count(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_rss = max(self.peak_rss, rss_bytes(self.pid))
            self.peak_threads = max(self.peak_threads, thread_count(self.pid))

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.peak_rss = max(self.peak_rss, rss_bytes(self.pid))


def kib(n: float) -> str:
    return f"{n / 1024:,.1f} KiB"
