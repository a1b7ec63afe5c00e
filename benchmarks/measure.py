"""Small measurement helpers every benchmark shares: medians, percentiles, the CPU's name."""

from __future__ import annotations

import contextlib
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path

__all__ = ["cpu_model", "median", "percentile"]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100).

    >>> percentile(list(range(1, 101)), 99)
    99
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[min(len(ordered), int(rank)) - 1]


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"
