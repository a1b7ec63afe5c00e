"""S3, concurrency on one page: 20 streams started at once, 50 updates each 50 ms apart.

Stream ``i`` writes ``"1"`` ... ``"50"`` into ``s3-out-<i>``. Measured in headless Chromium with
the page's clock: from the click on stream 0 alone to its ``"50"``, then (page reloaded) from
clicking all 20 buttons in one task to the moment all 20 show ``"50"``. A stream alone takes at
least 49 x 50 ms = 2.45 s. Side by side: dash-live event callbacks over SSE (a browser opens at
most 6 HTTP/1.1 connections per origin, so streams 7-20 wait) and over Socket.IO (one
connection), dash-event-callback 1.2.0, Dash background callbacks, Dash WebSocket callbacks.
Target: all 20 within 1.2x of one stream alone.

Run: ``make bench`` or ``.venv-bench/bin/python benchmarks/bench_concurrency.py`` (``--quick``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import (
    BACKGROUND,
    DEC,
    LIVE_SOCKETIO,
    LIVE_SSE,
    PACKAGES,
    WEBSOCKET,
    Outcome,
    System,
    app_server,
    chromium,
    click_and_wait,
    median,
    open_page,
    parse_args,
    reload_page,
    selected,
)
from benchmarks.machine import machine_facts

LIVE = [
    LIVE_SSE,
    LIVE_SOCKETIO,
    # The per-tab stream limit set explicitly (the default, 32, was 16 when this ran first).
    System(
        "dash-live Socket.IO (32 streams allowed)",
        "dash_live_app",
        "socketio",
        ("--max-streams", "32"),
    ),
]
SYSTEMS = [
    *LIVE,
    DEC,
    BACKGROUND,
    WEBSOCKET,
]
QUIET = 5.0
CAP = 60.0
INTERVAL = 0.05


@dataclass(frozen=True)
class Run:
    alone: Outcome
    together: Outcome
    final: str

    @property
    def finished(self) -> int:
        return sum(text == self.final for text in self.together.texts)


def run_system(system: System, streams: int, updates: int, runs: int, cap: float) -> list[Run]:
    args = [
        "--streams",
        str(streams),
        "--stream-updates",
        str(updates),
        "--stream-interval",
        str(INTERVAL),
        "--timeout",
        str(cap + 60),
    ]
    final = str(updates)
    buttons = [f"s3-go-{i}" for i in range(streams)]
    targets = [f"s3-out-{i}" for i in range(streams)]
    results: list[Run] = []
    with app_server(system, args) as server, chromium() as browser:
        page = open_page(browser, server.url)
        for number in range(runs):
            if number:
                reload_page(page)
            alone = click_and_wait(page, buttons[:1], targets[:1], [final], quiet=QUIET, cap=cap)
            reload_page(page)
            together = click_and_wait(
                page, buttons, targets, [final] * streams, quiet=QUIET, cap=cap
            )
            run = Run(alone, together, final)
            results.append(run)
            print(
                f"  {system.label}: run {number + 1}: alone {alone.seconds:.2f} s"
                f"{'' if alone.complete else ' (did not finish)'}, {streams} at once "
                f"{together.seconds:.2f} s, {run.finished}/{streams} finished",
                flush=True,
            )
    return results


def main() -> None:
    options = parse_args(__doc__ or "")
    runs = options.runs or (1 if options.quick else 3)
    streams = 20
    updates = 10 if options.quick else 50
    with chromium() as browser:
        facts = machine_facts(PACKAGES, browser)
    print("S3 concurrency on one page: all streams finished vs one stream alone")
    print(facts)
    print(
        f"{streams} streams x {updates} updates {INTERVAL * 1000:.0f} ms apart; medians of "
        f"{runs} run(s); a run ends {QUIET:.0f} s after the last change or at {CAP:.0f} s"
    )
    results: dict[str, list[Run]] = {}
    for system in SYSTEMS:
        if not selected(system, options.only):
            continue
        cap = options.dec_cap if system is DEC and options.dec_cap else CAP
        results[system.label] = run_system(system, streams, updates, runs, cap)
    report(results, streams)


def report(results: dict[str, list[Run]], streams: int) -> None:
    print()
    print(
        f"{'system':42} {'alone s':>8} {f'{streams} at once s':>14} {'finished':>9} "
        f"{'ratio':>6} {'<= 1.2x':>8}"
    )
    for label, runs in results.items():
        alone = median([r.alone.seconds for r in runs])
        together = median([r.together.seconds for r in runs])
        finished = min(r.finished for r in runs)
        complete = all(r.together.complete and r.alone.complete for r in runs)
        ratio = together / alone
        verdict = "met" if complete and ratio <= 1.2 else "NOT met"
        shown = f"{together:.2f}" if complete else f"{together:.2f}*"
        print(
            f"{label:42} {alone:8.2f} {shown:>14} {finished:>6}/{streams} {ratio:6.2f} {verdict:>8}"
        )
    if any(
        not (r.together.complete and r.alone.complete) for runs in results.values() for r in runs
    ):
        print("* not every stream finished: time of the last change seen before the run ended")


if __name__ == "__main__":
    main()
