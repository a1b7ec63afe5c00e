"""Delivery speed of dash-live in real headless Chromium, on loopback.

Scenarios (each run REPEAT times; the median is printed):
- events: 1,000 Socket.IO events emitted with no delay into a clientside accumulator on
  ``data-burst`` (every event must arrive, in order);
- append: 5,000 words pushed with ``push_props(..., append(word))`` from one callback;
- stream: 2,000 tokens yielded by an ``@event_callback`` with no sleep, appended to one element;
- reference: one plain Dash callback returning the same 2,000-token text at once.

Each time runs from the click to the moment the complete text is on the page.
Run: ``make bench`` (or ``.venv/bin/python benchmarks/bench_delivery.py``).
Side-by-side comparisons with the packages dash-live replaces are a separate issue.
"""

from __future__ import annotations

import logging
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dash
from dash import Input, Output, State, html
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import machine_facts
from dash_live import (
    DashSocketIO,
    append,
    attach_socketio,
    event_callback,
    push_props,
    stream_props,
)
from dash_live.push import server as socketio_server
from devtools.chromium import CHROMIUM, CHROMIUM_FLAGS

PACKAGES = ["dash", "dash-live", "flask-socketio", "python-socketio", "playwright"]
REPEAT = 3
EVENTS = 1000
WORDS = [f"w{i}" for i in range(5000)]
TOKENS = [f"t{i} " for i in range(2000)]


def build_app() -> dash.Dash:
    socketio_server.reset()
    app = dash.Dash(__name__)
    socketio = attach_socketio(app)
    app.layout = html.Div(
        [
            DashSocketIO(id="sock", eventNames=["burst"]),
            html.Div(id="sid"),
            *(html.Button(name, id=name) for name in ("events", "append", "stream", "reference")),
            *(html.Div(id=f"{name}-out") for name in ("events", "append", "stream", "reference")),
        ]
    )
    app.clientside_callback("(s) => s || ''", Output("sid", "children"), Input("sock", "socketId"))
    app.clientside_callback(
        "(v, t) => (t ? t + ',' : '') + v",
        Output("events-out", "children"),
        Input("sock", "data-burst"),
        State("events-out", "children"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output("events", "title"),
        Input("events", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def emit_events(_n: int, sid: str) -> str:
        for i in range(EVENTS):
            socketio.emit("burst", i, to=sid)
        return "sent"

    @app.callback(
        Output("append", "title"),
        Input("append", "n_clicks"),
        State("sock", "socketId"),
        prevent_initial_call=True,
    )
    def push_words(_n: int, sid: str) -> str:
        for i, word in enumerate(WORDS):
            push_props("append-out", {"children": append(word if i == 0 else " " + word)}, to=sid)
        return "sent"

    @event_callback(Input("stream", "n_clicks"), prevent_initial_call=True)
    def stream_tokens(_n: int) -> Iterator[object]:
        for token in TOKENS:
            yield stream_props("stream-out", {"children": append(token)})

    @app.callback(
        Output("reference-out", "children"),
        Input("reference", "n_clicks"),
        prevent_initial_call=True,
    )
    def reference(_n: int) -> str:
        return "".join(TOKENS)

    return app


def timed(page: Page, button: str, expected: str) -> float:
    page.reload()
    page.wait_for_function("() => (document.querySelector('#sid')?.textContent ?? '') !== ''")
    start = time.perf_counter()
    page.click(f"#{button}")
    page.wait_for_function(
        f"(text) => document.querySelector('#{button}-out')?.textContent === text",
        arg=expected,
        timeout=120_000,
        polling="raf",
    )
    return time.perf_counter() - start


def main() -> None:
    app = build_app()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request drowns the figures
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    expected: dict[str, str] = {
        "events": ",".join(str(i) for i in range(EVENTS)),
        "append": " ".join(WORDS),
        "stream": "".join(TOKENS),
        "reference": "".join(TOKENS),
    }
    results: dict[str, float] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            print(machine_facts(PACKAGES, browser))
            print(f"median of {REPEAT} runs; click to complete text on the page")
            page = browser.new_page()
            page.goto(url)
            for name, text in expected.items():
                runs = [timed(page, name, text) for _ in range(REPEAT)]
                print(name, [f"{r:.2f}" for r in runs], flush=True)
                results[name] = statistics.median(runs)
            browser.close()
    finally:
        server.shutdown()
        thread.join(5)
    labels: dict[str, Callable[[float], str]] = {
        "events": lambda s: (
            f"{EVENTS} events to a clientside callback: {s:.2f} s "
            f"({EVENTS / s:,.0f} callbacks/s), none lost"
        ),
        "append": lambda s: f"{len(WORDS)} appended words via push_props: {s:.2f} s",
        "stream": lambda s: f"{len(TOKENS)} tokens from an event callback: {s:.2f} s",
        "reference": lambda s: f"one plain callback returning the same text: {s:.2f} s",
    }
    for name, seconds in results.items():
        print(labels[name](seconds))
    print(f"stream / reference: {results['stream'] / results['reference']:.1f}x")


if __name__ == "__main__":
    main()
