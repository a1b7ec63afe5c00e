"""Take docs/showcase.png: the showcase in Chromium, mid-demo, as the README shows it.

    .venv/bin/python scripts/screenshot_showcase.py [OUTPUT]   # default: docs/showcase.png

The showcase is served in this process by a threaded Werkzeug server on a free 127.0.0.1 port.
Debian's headless Chromium (the browser tests' flags) opens it 1280 px wide, asks LoremLM a
question both ways (Socket.IO and an event callback), streams the table, sends a chat message,
and waits on the page, each step with a deadline, until both answers are complete, the grid
holds every row and the live chart has points; then it takes a full-page screenshot. The job
card needs Redis, so it shows what it needs. Everything started here is stopped before the
script ends, whatever happens.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import plotly.data  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from devtools.chromium import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402
from examples.showcase import chart  # noqa: E402
from examples.showcase.app import create_app  # noqa: E402
from examples.showcase.lorem import DEFAULT_QUESTION, answer_text  # noqa: E402
from examples.showcase.table import ROW_COUNT  # noqa: E402

WIDTH, HEIGHT = 1280, 900
CHART_POINTS = 80  # a line with some shape: 80 points at 0.1 s take 8 s
CHART_INTERVAL = 0.1
MAX_BYTES = 600_000  # what the README may carry
ROWS = len(plotly.data.gapminder())
CHART_COUNT = """() => {
    const plot = document.querySelector('#live-chart .js-plotly-plot');
    return plot && plot.data && plot.data.length ? plot.data[0].x.length : 0;
}"""


def take(output: Path) -> int:
    """Serve the showcase, drive it, write the screenshot to ``output``; return its size."""
    app, _socketio = create_app(word_delay=0.03, chunk_delay=0.05, chart_interval=CHART_INTERVAL)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    serving = threading.Thread(target=server.serve_forever, name="screenshot-server", daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
                page.goto(url)
                expect(page.locator("#connection-badge")).to_have_text("connected", timeout=30_000)
                page.fill("#chat-name", "ada")
                page.fill("#chat-text", "Hello from another tab!")
                page.click("#chat-send")
                expect(page.locator(".chat-message")).to_have_count(1, timeout=10_000)
                page.click("#ask")
                page.click("#ec-ask")
                page.click("#start-table")
                for answer in ("#answer", "#ec-answer"):
                    expect(page.locator(answer)).to_have_text(
                        answer_text(DEFAULT_QUESTION), timeout=60_000
                    )
                page.wait_for_function(f"() => ({ROW_COUNT})() === {ROWS}", timeout=60_000)
                page.wait_for_function(f"() => ({CHART_COUNT})() >= {CHART_POINTS}", timeout=60_000)
                # The notifications have closed (5 s each): they would cover the header.
                expect(page.locator(".mantine-Notification-root")).to_have_count(0, timeout=15_000)
                output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(output), full_page=True)
            finally:
                browser.close()
    finally:
        chart.producer_of(app).stop()
        server.shutdown()
        server.server_close()
        serving.join(5)
    return output.stat().st_size


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "showcase.png"
    size = take(output)
    print(f"{output}: {size} bytes")
    if size > MAX_BYTES:
        print(f"over {MAX_BYTES} bytes: too large for the README", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
