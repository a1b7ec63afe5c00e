"""What the side-by-side browser benchmarks (S1-S3) share.

- ``AppServer`` runs one system's app (a module of ``benchmarks.apps``) in a server process of
  its own, with this interpreter, on 127.0.0.1 and a free port, and stops it by its process id
  (its whole process group: background callbacks start job processes). One process per system
  keeps global patches (dash-event-callback patches Dash through hooks) apart.
- ``chromium`` is Debian's headless Chromium with the browser tests' flags.
- ``click_and_wait`` and ``click_and_record`` click inside the page and time with the page's
  own clock, from the click to what a ``MutationObserver`` sees in the DOM.
- ``machine_facts``, ``median`` and ``percentile`` for the report.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import dash
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.measure import cpu_model, median, percentile  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from tests.processes import free_port  # noqa: E402

__all__ = [
    "AppServer",
    "Outcome",
    "System",
    "chromium",
    "click_and_record",
    "click_and_wait",
    "machine_facts",
    "median",
    "open_page",
    "parse_args",
    "percentile",
    "reload_page",
    "selected",
]

START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


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


class AppServer:
    """The app of one system, served by a process of its own until the ``with`` block ends."""

    def __init__(self, system: System, args: Sequence[str] = ()) -> None:
        self.system = system
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in __exit__)
            prefix=f"bench-{system.module}-", suffix=".log", delete=False
        )
        self.command = [
            sys.executable,
            "-m",
            f"benchmarks.apps.{system.module}",
            "--port",
            str(self.port),
            "--mode",
            system.mode,
            *system.args,
            *args,
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> AppServer:
        # A session of its own, so that stopping it also stops the job processes it started.
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        tail = self.log_tail()
        self.stop()
        raise RuntimeError(f"{self.system.label} did not start:\n{tail}")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server's process group (its id is the server's own id, as the server leads
        its session), politely first, then for good: job processes of background callbacks may
        outlive their parent."""
        process, self.process = self.process, None
        if process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        text = Path(self.log.name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


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


def machine_facts(browser: Browser) -> list[str]:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [
        f"machine: {os.cpu_count()} CPUs, {cpu_model()}, {platform.platform()}",
        f"Python {platform.python_version()}, Dash {dash.__version__}, "
        f"Chromium {browser.version} (headless), load average {load}",
    ]


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
