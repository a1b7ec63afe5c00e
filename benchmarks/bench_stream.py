"""S1, token stream: 2,000 short tokens produced with no sleep, accumulated into one element.

Measured in headless Chromium, from the click to the complete text in the DOM (the page's clock
and a MutationObserver), and the tokens that never showed. Side by side in one run, each system
in a server process of its own (``benchmarks/apps``):

- dash-live ``@event_callback`` over SSE and over Socket.IO, and ``push_props(append(...))``
  from a normal callback;
- dash-event-callback 1.2.0 (sleeps 0.1 s after every frame by design: capped, see ``--dec-cap``);
- dash-socketio 1.1.1 with its README's clientside accumulator ``(word, text) => text + word``;
- Dash background callback with ``progress`` (DiskcacheManager);
- Dash WebSocket callback on the FastAPI backend (``set_props`` with a ``Patch``);
- the reference: one plain Dash callback returning the whole text at once.

Targets: dash-live within 2x of the plain callback, no token lost, >= 50x faster than
dash-event-callback. Run: ``make bench`` or ``.venv-bench/bin/python benchmarks/bench_stream.py``
(``--quick`` for one run of 200 tokens).
"""

from __future__ import annotations

import re
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

PLAIN = System("plain Dash callback (reference)", "plain_app")
LIVE = [
    LIVE_SSE,
    LIVE_SOCKETIO,
    System("dash-live push_props(append)", "dash_live_app", "push"),
]
SYSTEMS = [
    *LIVE,
    DEC,
    DASH_SOCKETIO,
    BACKGROUND,
    WEBSOCKET,
    PLAIN,
]
QUIET = 5.0  # seconds without a change that end a run which will not complete
CAP = 120.0
TOKEN = re.compile(r"t(\d+) ")


@dataclass(frozen=True)
class Result:
    system: System
    outcomes: list[Outcome]
    tokens: int

    @property
    def seconds(self) -> float:
        return median([o.seconds for o in self.outcomes])

    @property
    def complete(self) -> bool:
        return all(o.complete for o in self.outcomes)

    @property
    def capped(self) -> bool:
        return any(o.capped for o in self.outcomes)

    def shown(self, outcome: Outcome) -> int:
        return len(set(TOKEN.findall(outcome.texts[0])))

    @property
    def lost(self) -> int:
        """Tokens missing from the final text (for a capped run: only those missing before the
        last token shown, the rest was not sent yet)."""
        worst = 0
        for outcome in self.outcomes:
            indexes = {int(i) for i in TOKEN.findall(outcome.texts[0])}
            horizon = max(indexes) + 1 if outcome.capped and indexes else self.tokens
            worst = max(worst, horizon - len(indexes))
        return worst

    @property
    def projected(self) -> float:
        """For capped runs, the time the whole text would take at the rate measured."""
        shown = median([self.shown(o) for o in self.outcomes])
        return self.seconds * self.tokens / shown if shown else float("inf")


def run_system(system: System, args: list[str], runs: int, cap: float, tokens: int) -> Result:
    expected = "".join(f"t{i} " for i in range(tokens))
    outcomes: list[Outcome] = []
    with app_server(system, args) as server, chromium() as browser:
        page = open_page(browser, server.url)
        for run in range(runs):
            if run:
                reload_page(page)
            outcome = click_and_wait(page, ["s1-go"], ["s1-out"], [expected], quiet=QUIET, cap=cap)
            outcomes.append(outcome)
            state = "complete" if outcome.complete else ("capped" if outcome.capped else "ended")
            print(
                f"  {system.label}: run {run + 1}: {outcome.seconds:.3f} s, {state}, "
                f"{len(set(TOKEN.findall(outcome.texts[0])))}/{tokens} tokens shown",
                flush=True,
            )
    return Result(system, outcomes, tokens)


def main() -> None:
    options = parse_args(__doc__ or "")
    runs = options.runs or (1 if options.quick else 3)
    tokens = 200 if options.quick else 2000
    dec_cap = options.dec_cap or (15.0 if options.quick else 60.0)
    with chromium() as browser:
        facts = machine_facts(PACKAGES, browser)
    print("S1 token stream: click to the complete text in the DOM")
    print(facts)
    print(
        f"{tokens} tokens, no sleep; median of {runs} run(s); a run that cannot complete ends "
        f"after {QUIET:.0f} s without change; dash-event-callback capped at {dec_cap:.0f} s"
    )
    results: dict[str, Result] = {}
    for system in SYSTEMS:
        if not selected(system, options.only):
            continue
        cap = dec_cap if system is DEC else CAP
        app_args = ["--tokens", str(tokens), "--timeout", str(max(cap, 60.0) + 60)]
        results[system.label] = run_system(system, app_args, runs, cap, tokens)
    report(results, tokens)


def report(results: dict[str, Result], tokens: int) -> None:
    reference = results.get(PLAIN.label)
    print()
    print(f"{'system':38} {'median s':>9} {'tokens lost':>12} {'x plain':>8}  note")
    for label, result in results.items():
        ratio = f"{result.seconds / reference.seconds:.1f}" if reference else "-"
        if result.complete:
            note = "complete in every run"
        elif result.capped:
            shown = median([result.shown(o) for o in result.outcomes])
            note = (
                f"capped: {shown:.0f}/{tokens} shown, projected {result.projected:.0f} s "
                "for the whole text"
            )
            ratio = ">" + ratio
        else:
            note = "never complete: time of the last change; the text stopped changing"
            ratio = "n/a"
        seconds = (">" if result.capped else "") + f"{result.seconds:.3f}"
        print(f"{label:38} {seconds:>9} {result.lost:>12} {ratio:>8}  {note}")
    print()
    print("targets:")
    for system in LIVE:
        if system.label in results:
            print_targets(results[system.label], reference, results.get(DEC.label))


def print_targets(result: Result, reference: Result | None, dec: Result | None) -> None:
    label = result.system.label
    if reference:
        ratio = result.seconds / reference.seconds
        verdict = "met" if ratio <= 2 and result.complete else "NOT met"
        print(f"  {label}: within 2x of the plain callback: {ratio:.1f}x, {verdict}")
    verdict = "met" if result.lost == 0 and result.complete else "NOT met"
    print(f"  {label}: zero tokens lost: {result.lost} lost, {verdict}")
    if dec:
        bound = dec.seconds / result.seconds
        speed = dec.projected / result.seconds if dec.capped else bound
        verdict = "met" if speed >= 50 else "NOT met"
        how = f"at least {bound:.0f}x (cap), projected {speed:.0f}x" if dec.capped else ""
        how = how or f"{speed:.0f}x"
        print(f"  {label}: >= 50x faster than dash-event-callback: {how}, {verdict}")


if __name__ == "__main__":
    main()
