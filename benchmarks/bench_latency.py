"""S2, latency: 200 updates 20 ms apart, each carrying its server send time, from yield to DOM.

Each update is ``"<index>:<time.time() in ms>"``, taken just before the system is handed the
update (``yield``, ``push_props``, ``emit``, ``set_progress``, ``set_props``). In headless
Chromium a MutationObserver, installed before the click, notes the wall-clock time
(``performance.timeOrigin + performance.now()``, sub-millisecond; its skew against
``Date.now()`` is printed) at which the DOM shows each update. Server and browser share the
machine's clock. Per run: p50/p95/p99 of the latency over the updates shown and how many were
never shown; the medians of the runs are printed, side by side for every system that can
express the scenario. Target: p99 < 5 ms.

Run: ``make bench`` or ``.venv-bench/bin/python benchmarks/bench_latency.py`` (``--quick``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (
    BACKGROUND,
    DASH_SOCKETIO,
    DEC,
    LIVE_SOCKETIO,
    LIVE_SSE,
    PACKAGES,
    WEBSOCKET,
    System,
    app_server,
    chromium,
    click_and_record,
    median,
    open_page,
    parse_args,
    percentile,
    reload_page,
    selected,
)
from benchmarks.machine import machine_facts

LIVE = [
    LIVE_SSE,
    LIVE_SOCKETIO,
    System("dash-live push_props", "dash_live_app", "push"),
]
SYSTEMS = [
    *LIVE,
    DEC,
    DASH_SOCKETIO,
    BACKGROUND,
    WEBSOCKET,
]
NOT_EXPRESSIBLE = {
    "plain Dash callback": "returns once; it cannot deliver 200 updates while it runs",
}
QUIET = 5.0
INTERVAL = 0.02


@dataclass(frozen=True)
class Run:
    latencies: list[float]  # ms, one per update shown
    updates: int
    skew: float

    @property
    def lost(self) -> int:
        return self.updates - len(self.latencies)

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


def measure(seen: list[tuple[str, float]], updates: int, skew: float) -> Run:
    first: dict[int, float] = {}
    for text, shown_at in seen:
        index, _, sent = text.partition(":")
        if index.isdigit() and sent and int(index) not in first:
            first[int(index)] = shown_at - float(sent)
    return Run(list(first.values()), updates, skew)


def run_system(system: System, updates: int, runs: int, cap: float) -> list[Run]:
    args = ["--updates", str(updates), "--interval", str(INTERVAL), "--timeout", str(cap + 60)]
    results: list[Run] = []
    with app_server(system, args) as server, chromium() as browser:
        page = open_page(browser, server.url)
        for number in range(runs):
            if number:
                reload_page(page)
            seen, skew = click_and_record(
                page, "s2-go", "s2-out", f"{updates - 1}:", quiet=QUIET, cap=cap
            )
            run = measure(seen, updates, skew)
            results.append(run)
            print(
                f"  {system.label}: run {number + 1}: p50 {run.p(50):.1f} ms, "
                f"p99 {run.p(99):.1f} ms, {len(run.latencies)}/{updates} shown",
                flush=True,
            )
    return results


def main() -> None:
    options = parse_args(__doc__ or "")
    runs = options.runs or (1 if options.quick else 3)
    updates = 50 if options.quick else 200
    with chromium() as browser:
        facts = machine_facts(PACKAGES, browser)
    print("S2 latency: server send time to the DOM showing the update")
    print(facts)
    print(f"{updates} updates {INTERVAL * 1000:.0f} ms apart; medians of {runs} run(s)")
    results: dict[str, list[Run]] = {}
    for system in SYSTEMS:
        if not selected(system, options.only):
            continue
        # dash-event-callback sleeps 0.1 s after each frame: its updates come 120 ms apart.
        per_update = INTERVAL + (0.1 if system is DEC else 0)
        cap = options.dec_cap if system is DEC and options.dec_cap else updates * per_update + 30
        results[system.label] = run_system(system, updates, runs, cap)
    report(results, updates)


def report(results: dict[str, list[Run]], updates: int) -> None:
    print()
    print(
        f"{'system':38} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'not shown':>10} {'p99 < 5 ms':>11}"
    )
    for label, runs in results.items():
        p99 = median([r.p(99) for r in runs])
        print(
            f"{label:38} {median([r.p(50) for r in runs]):8.1f} "
            f"{median([r.p(95) for r in runs]):8.1f} {p99:8.1f} "
            f"{median([r.p(100) for r in runs]):8.1f} "
            f"{median([float(r.lost) for r in runs]):>7.0f}/{updates} "
            f"{'met' if p99 < 5 else 'NOT met':>11}"
        )
    for label, reason in NOT_EXPRESSIBLE.items():
        print(f"{label:38} not expressible: {reason}")
    skews = [abs(r.skew) for runs in results.values() for r in runs]
    print(
        f"clock: largest |Date.now() - (timeOrigin + now())| seen: {max(skews, default=0):.2f} ms"
    )


if __name__ == "__main__":
    main()
