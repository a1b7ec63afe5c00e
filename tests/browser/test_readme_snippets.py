"""Every Python block of the README runs as written, and does in Chromium what the README says.

A complete program (```python) is written to a file and run as a module (so everything but its
``if __name__ == "__main__":`` part runs), then its ``app`` is served; the FastAPI one is served
the way the README says, ``uvicorn app:server``, in a child process. A fragment (```py) runs
inside an app that defines the names it uses. :func:`test_every_python_block_of_the_readme_is_run`
fails when a block is added, moved or renamed without a test here.
"""

from __future__ import annotations

import itertools
import runpy
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dash_ag_grid as dag
import flask
import pytest
from dash import Dash, Input, Output, State, html
from playwright.sync_api import Page, expect

from dash_live import DashSocketIO, append, attach_socketio, join_room, push_props
from devtools.processes import ServerProcess
from tests.conftest import LiveServer, needs_fastapi, needs_quart
from tests.readme_blocks import Block, block, python_blocks

Serve = Callable[[object], LiveServer]

RUN: set[tuple[str, int]] = set()  # the blocks the tests below run, by (section, index)


def readme_block(section: str, index: int = 0) -> Block:
    found = block(section, index)
    RUN.add(found.key)
    return found


SOCKETIO = readme_block("Quick start: Socket.IO")
SOCKETIO_ASGI = readme_block("On Dash's FastAPI and Quart backends")
PUSHING = readme_block("Pushing props")
EVENT_CALLBACK = readme_block("Quick start: event callbacks")
FASTAPI = readme_block("`@event_callback` parameters", 0)
QUART = readme_block("`@event_callback` parameters", 1)
TESTING = readme_block("`@event_callback` parameters", 2)


def test_every_python_block_of_the_readme_is_run() -> None:
    every = [b.key for b in python_blocks()]
    assert len(every) == len(set(every))
    assert set(every) == RUN, f"README blocks without a test here: {set(every) - RUN}"
    complete = (SOCKETIO, SOCKETIO_ASGI, EVENT_CALLBACK, FASTAPI, QUART, TESTING)
    assert all(b.language == "python" for b in complete)
    assert PUSHING.language == "py"


def run_program(code: Block, folder: Path) -> dict[str, Any]:
    """Run a complete block as the module ``readme_app``, from a file, as Python would."""
    path = folder / "readme_app.py"
    path.write_text(code.code)
    return runpy.run_path(str(path), run_name="readme_app")


def connected(page: Page) -> None:
    """Wait until the page's DashSocketIO is connected. Until Dash has loaded the layout,
    getLayout throws: that is "not yet", not an error."""
    page.wait_for_function(
        """() => {
            try {
                return window.dash_component_api.getLayout('socket').props.connected === true;
            } catch (error) {
                return false;
            }
        }"""
    )


def record_texts(page: Page, selector: str) -> None:
    """Keep every text the element shows from now on, in ``window.seen``."""
    page.evaluate(
        """(selector) => {
            const node = document.querySelector(selector);
            window.seen = [];
            new MutationObserver(() => window.seen.push(node.textContent)).observe(
                node, {childList: true, subtree: true, characterData: true});
        }""",
        selector,
    )


def assert_grew(page: Page) -> None:
    """The recorded texts show a stream, not one write: texts that each start the next."""
    seen = [text for text in page.evaluate("window.seen") if text]
    assert len(set(seen)) >= 2, seen
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(seen)), seen


def test_the_socketio_quick_start_streams_a_notification_and_an_answer(
    page: Page, serve: Serve, tmp_path: Path
) -> None:
    app = run_program(SOCKETIO, tmp_path)["app"]
    page.goto(serve(app).url)
    connected(page)
    record_texts(page, "#answer")
    page.click("#ask")
    expect(page.locator("#note")).to_have_text("Thinking...")
    expect(page.locator("#answer")).to_have_text("streamed word by word ")
    expect(page.locator("#ask")).to_have_text("Ask again")
    assert_grew(page)


def pushing_app() -> Dash:
    """An app around the "Pushing props" fragment: a tab of user alice, in room lobby, and the
    components the fragment addresses. The fragment runs, as written, in a callback."""
    app = Dash(__name__)
    app.server.secret_key = "readme"
    attach_socketio(app)

    @app.server.before_request
    def log_in() -> None:
        flask.session["user_id"] = "alice"  # what the app's own login would set

    app.layout = html.Div(
        [
            DashSocketIO(id="socket"),
            html.Button("run", id="run"),
            html.Div(id="answer"),
            html.Div(id="chat-log", children=[]),
            html.Div(id="banner"),
            html.Div(id="badge"),
            dag.AgGrid(id="grid", columnDefs=[{"field": "city"}], rowData=[]),
            html.Progress(id="bar", value="0", max="100"),
            html.Div(id="done"),
        ]
    )

    @app.callback(
        Output("done", "children"),
        Input("run", "n_clicks"),
        State("socket", "socketId"),
        prevent_initial_call=True,
    )
    def run(_clicks: int, socket_id: str) -> str:
        join_room("lobby", socket_id)
        names = {"push_props": push_props, "append": append, "socket_id": socket_id}
        names |= {"message": "hi, lobby", "rows": [{"city": "Lyon"}, {"city": "Oslo"}]}
        exec(compile(PUSHING.code, f"README.md line {PUSHING.line}", "exec"), names)
        return "pushed"

    return app


def test_the_pushing_props_lines_reach_a_tab_a_room_everyone_a_user_and_render_once(
    page: Page, serve: Serve
) -> None:
    page.goto(serve(pushing_app()).url)
    connected(page)
    page.click("#run")
    expect(page.locator("#done")).to_have_text("pushed")
    expect(page.locator("#answer")).to_have_text("hello")
    expect(page.locator("#chat-log")).to_have_text("hi, lobby")
    expect(page.locator("#banner")).to_have_text("Deploying")
    expect(page.locator("#badge")).to_have_text("3")
    expect(page.locator("#grid")).to_contain_text("Oslo")
    expect(page.locator("#bar")).to_have_attribute("value", "40")


@pytest.fixture
def event_callback_app(tmp_path: Path) -> dict[str, Any]:
    return run_program(EVENT_CALLBACK, tmp_path)


def test_the_event_callback_quick_start_streams_the_answer(
    page: Page, serve: Serve, event_callback_app: dict[str, Any]
) -> None:
    page.goto(serve(event_callback_app["app"]).url)
    expect(page.locator("#ask")).to_be_enabled()
    record_texts(page, "#answer")
    page.click("#ask")
    expect(page.locator("#answer")).to_have_text("You asked: Why is the sky blue? ")
    expect(page.locator("#ask")).to_be_enabled()  # `running` restored it
    assert_grew(page)


def test_the_event_callback_quick_start_stops_on_stop(
    page: Page, serve: Serve, event_callback_app: dict[str, Any]
) -> None:
    page.goto(serve(event_callback_app["app"]).url)
    # A question long enough (400 words at 0.05 s) that the stream is still going when Stop
    # is clicked, however slow the machine.
    page.fill("#question", " ".join(["why"] * 400))
    page.click("#ask")
    expect(page.locator("#answer")).to_contain_text("You asked: why")
    expect(page.locator("#ask")).to_be_disabled()  # `running`, while it streams
    page.click("#stop")
    expect(page.locator("#answer")).to_have_text("Stopped.")
    expect(page.locator("#ask")).to_be_enabled()


def test_the_testing_lines_pass_against_the_quick_start(
    event_callback_app: dict[str, Any],
) -> None:
    names = dict(event_callback_app)
    exec(compile(TESTING.code, f"README.md line {TESTING.line}", "exec"), names)
    assert names["updates"], "run_event_callback gave no updates"


def under_uvicorn(code: Block, folder: Path) -> Iterator[str]:
    """A block as the file app.py, served by `uvicorn app:server` from its folder: its URL."""
    (folder / "app.py").write_text(code.code)
    command = [sys.executable, "-m", "uvicorn", "app:server", "--host", "127.0.0.1"]
    command += ["--log-level", "warning", "--port", "{port}"]
    with ServerProcess(command, cwd=folder).start() as server:
        yield server.url


@pytest.fixture
def uvicorn_app(tmp_path: Path) -> Iterator[str]:
    """The FastAPI block, served as the README says."""
    yield from under_uvicorn(FASTAPI, tmp_path)


@needs_fastapi
def test_the_fastapi_example_streams_500_tokens_under_uvicorn(page: Page, uvicorn_app: str) -> None:
    page.goto(uvicorn_app)
    page.click("#go")
    tokens = "".join(f"token {i} " for i in range(500))
    # 500 tokens 10 ms apart take over 5 s, Playwright's default wait.
    expect(page.locator("#out")).to_have_text(tokens, timeout=60_000)


@pytest.fixture
def hypercorn_app(tmp_path: Path) -> Iterator[str]:
    """The Quart block as the file app.py, served by `hypercorn app:server` from its folder."""
    (tmp_path / "app.py").write_text(QUART.code)
    command = [sys.executable, "-m", "hypercorn", "app:server", "--bind", "127.0.0.1:{port}"]
    with ServerProcess(command, cwd=tmp_path).start() as server:
        yield server.url


@needs_quart
def test_the_quart_example_streams_200_tokens_under_hypercorn(
    page: Page, hypercorn_app: str
) -> None:
    page.goto(hypercorn_app)
    page.click("#go")
    tokens = "".join(f"token {i} " for i in range(200))
    expect(page.locator("#out")).to_have_text(tokens, timeout=60_000)


@pytest.fixture
def uvicorn_socketio_app(tmp_path: Path) -> Iterator[str]:
    """The Socket.IO block for ASGI backends, served as the README says."""
    yield from under_uvicorn(SOCKETIO_ASGI, tmp_path)


@needs_fastapi
def test_the_asgi_socketio_example_pushes_word_by_word_under_uvicorn(
    page: Page, uvicorn_socketio_app: str
) -> None:
    page.goto(uvicorn_socketio_app)
    connected(page)
    record_texts(page, "#answer")
    page.click("#ask")
    expect(page.locator("#answer")).to_have_text("streamed word by word ", timeout=15_000)
    expect(page.locator("#ask")).to_have_text("Ask again")
    assert_grew(page)
