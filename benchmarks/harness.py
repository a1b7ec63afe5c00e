"""What the side-by-side browser benchmarks (S1-S3) share.

- ``app_server`` runs one system's app (a module of ``benchmarks.apps``) in a server process of
  its own, with this interpreter, on 127.0.0.1 and a free port, and stops it by its process id
  (its whole process group: background callbacks start job processes). One process per system
  keeps global patches (dash-event-callback patches Dash through hooks) apart.
- ``chromium`` is Debian's headless Chromium with the browser tests' flags.
- ``click_and_wait`` and ``click_and_record`` click inside the page and time with the page's
  own clock, from the click to what a ``MutationObserver`` sees in the DOM.
- ``PACKAGES`` (whose versions ``benchmarks.machine.machine_facts`` reports), ``median`` and
  ``percentile`` for the report.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.measure import median, percentile  # noqa: E402
from benchmarks.serving import log_file  # noqa: E402
from devtools.chromium import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from devtools.processes import ServerProcess  # noqa: E402

__all__ = [
    "PACKAGES",
    "Outcome",
    "System",
    "app_server",
    "chromium",
    "click_and_record",
    "click_and_wait",
    "median",
    "open_page",
    "parse_args",
    "percentile",
    "reload_page",
    "selected",
]

START_TIMEOUT = 60.0
# The packages of the systems the browser scenarios compare.
PACKAGES = [
    "dash",
    "dash-live",
    "dash-event-callback",
    "dash-socketio",
    "flask-socketio",
    "diskcache",
    "uvicorn",
    "playwright",
]


@dataclass(frozen=True)
class System:
    """One system under benchmark: its label, its app module under ``benchmarks.apps``, the
    ``--mode`` that module takes and any further arguments of the app."""

    label: str
    module: str
    mode: str = ""
    args: tuple[str, ...] = ()


# The systems that several browser scenarios (S1-S3) measure, labelled alike in every table.
LIVE_SSE = System("dash-live event callback, SSE", "dash_live_app", "sse")
LIVE_SOCKETIO = System("dash-live event callback, Socket.IO", "dash_live_app", "socketio")
DEC = System("dash-event-callback 1.2.0", "event_callback_app")
DASH_SOCKETIO = System("dash-socketio 1.1.1", "socketio_app")
BACKGROUND = System("Dash background callback", "background_app")
WEBSOCKET = System("Dash WebSocket callback", "websocket_app")


def app_server(system: System, args: Sequence[str] = ()) -> ServerProcess:
    """The app of one system, started in a server process of its own (stopped when the
    ``with`` block around it ends). It leads a session of its own, and stopping it stops its
    whole process group: job processes of background callbacks may outlive their parent."""
    command = [sys.executable, "-m", f"benchmarks.apps.{system.module}", "--port", "{port}"]
    command += ["--mode", system.mode, *system.args, *args]
    log = log_file(system.label)
    return ServerProcess(command, log=log, group=True, name=system.label).start(START_TIMEOUT)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Browser, url: str) -> Page:
    """A new page (in a context of its own) on ``url``, ready to be clicked.

    Dialogs are dismissed: dash-event-callback reports errors with ``window.alert``.
    """
    page = browser.new_context().new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.goto(url)
    wait_ready(page)
    return page


def reload_page(page: Page) -> None:
    page.reload()
    wait_ready(page)


def wait_ready(page: Page) -> None:
    page.wait_for_function(
        "() => document.getElementById('ready')?.textContent === 'ready'", timeout=30_000
    )


@dataclass(frozen=True)
class Outcome:
    """How one run ended: ``complete`` when every target showed its expected text, after
    ``seconds`` from the click; otherwise ``seconds`` is the time of the last change seen and
    ``capped`` tells whether the run was still going when the cap ended it."""

    complete: bool
    capped: bool
    seconds: float
    texts: list[str]


WAIT_JS = """
async ({buttons, targets, expected, quietMs, capMs}) => {
    const elements = targets.map((id) => document.getElementById(id));
    const done = () => elements.every((el, i) => el.textContent === expected[i]);
    const start = performance.now();
    let last = start;
    let changed = false;
    let completedAt = null;
    const observer = new MutationObserver(() => {
        last = performance.now();
        changed = true;
        if (completedAt === null && done()) {
            completedAt = last;
        }
    });
    for (const el of elements) {
        observer.observe(el, {childList: true, subtree: true, characterData: true});
    }
    for (const id of buttons) {
        document.getElementById(id).click();
    }
    let capped = false;
    await new Promise((resolve) => {
        const check = () => {
            const now = performance.now();
            const quiet = changed && now - last > quietMs;
            capped = now - start > capMs;
            if (completedAt !== null || quiet || capped) {
                resolve();
            } else {
                setTimeout(check, 25);
            }
        };
        check();
    });
    observer.disconnect();
    return {
        complete: completedAt !== null,
        capped: completedAt === null && capped,
        ms: (completedAt ?? last) - start,
        texts: elements.map((el) => el.textContent),
    };
}
"""


def click_and_wait(
    page: Page,
    buttons: Sequence[str],
    targets: Sequence[str],
    expected: Sequence[str],
    *,
    quiet: float,
    cap: float,
) -> Outcome:
    """Click ``buttons`` (in one task) and wait until every element of ``targets`` shows its
    ``expected`` text, or nothing changed for ``quiet`` seconds after a first change, or ``cap``
    seconds passed."""
    result: dict[str, Any] = page.evaluate(
        WAIT_JS,
        {
            "buttons": list(buttons),
            "targets": list(targets),
            "expected": list(expected),
            "quietMs": quiet * 1000,
            "capMs": cap * 1000,
        },
    )
    return Outcome(
        complete=bool(result["complete"]),
        capped=bool(result["capped"]),
        seconds=float(result["ms"]) / 1000,
        texts=list(result["texts"]),
    )


RECORD_JS = """
async ({button, target, lastPrefix, quietMs, capMs}) => {
    const el = document.getElementById(target);
    const seen = [];
    const start = performance.now();
    let last = start;
    let changed = false;
    let finished = false;
    const observer = new MutationObserver(() => {
        const now = performance.now();
        last = now;
        changed = true;
        const text = el.textContent;
        seen.push([text, performance.timeOrigin + now]);
        if (text.startsWith(lastPrefix)) {
            finished = true;
        }
    });
    observer.observe(el, {childList: true, subtree: true, characterData: true});
    document.getElementById(button).click();
    await new Promise((resolve) => {
        const check = () => {
            const now = performance.now();
            if (finished || (changed && now - last > quietMs) || now - start > capMs) {
                resolve();
            } else {
                setTimeout(check, 25);
            }
        };
        check();
    });
    observer.disconnect();
    const skew = Date.now() - (performance.timeOrigin + performance.now());
    return {seen, skew};
}
"""


def click_and_record(
    page: Page, button: str, target: str, last_prefix: str, *, quiet: float, cap: float
) -> tuple[list[tuple[str, float]], float]:
    """Click ``button`` and record every text ``target`` shows with the wall-clock time (ms,
    ``performance.timeOrigin + performance.now()``) at which the DOM showed it, until a text
    starts with ``last_prefix``, or nothing changed for ``quiet`` s, or ``cap`` s passed.

    Returns the texts and the skew of that clock against ``Date.now()`` in ms.
    """
    result: dict[str, Any] = page.evaluate(
        RECORD_JS,
        {
            "button": button,
            "target": target,
            "lastPrefix": last_prefix,
            "quietMs": quiet * 1000,
            "capMs": cap * 1000,
        },
    )
    seen = [(str(text), float(at)) for text, at in result["seen"]]
    return seen, float(result["skew"])


def selected(system: System, only: Sequence[str]) -> bool:
    """Whether ``--only`` (a list of label fragments; empty: all) selects ``system``."""
    return not only or any(part.lower() in system.label.lower() for part in only)


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick", action="store_true", help="1 run and small sizes, to check the set-up"
    )
    parser.add_argument("--runs", type=int, default=None, help="runs per system (default 3)")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only the systems whose label contains this text (repeatable)",
    )
    parser.add_argument(
        "--dec-cap",
        type=float,
        default=None,
        help="seconds after which a dash-event-callback run is ended (it sleeps 0.1 s a frame)",
    )
    return parser.parse_args()
