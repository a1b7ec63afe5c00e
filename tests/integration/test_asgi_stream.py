"""Event callbacks on Dash's FastAPI backend over real HTTP: the app served by uvicorn on
127.0.0.1 (in a thread of this process), driven by ``requests`` as the browser drives it."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import dash
import pytest
import requests
from dash import Input, Output, ctx, html

from dash_live import append, event_callback, stream_props
from dash_live.callbacks.streams import live_streams
from dash_live.core.wire import CANCEL_ROUTE
from devtools.processes import ServerProcess
from tests.conftest import LiveServer
from tests.integration.streams import (
    OpenStream,
    applied,
    new_stream_id,
    post_stream,
    stream_body,
    updates_in,
    wait_until,
)

Serve = Callable[[object], LiveServer]


def fastapi_app(**settings: object) -> dash.Dash:
    app = dash.Dash(__name__, backend="fastapi")
    app.layout = html.Div([html.Button(id="go"), html.Div(id="out"), html.Div(id="status")])
    for name, value in settings.items():
        setattr(app.server.state, name, value)
    return app


def declare_held() -> Callable[..., AsyncIterator[object]]:
    """Declare an event callback that yields "open", then waits until its stream is stopped.
    (Declaring any event callback also gives the app its stream routes.)"""

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def held(_clicks: int) -> AsyncIterator[object]:
        yield stream_props("out", {"children": "open"})
        await asyncio.Event().wait()

    return held


def test_callbacks_declared_before_a_fastapi_app_leave_it_working(serve: Serve) -> None:
    # Regression: declared first, the callbacks registered the Flask views through dash.hooks,
    # and their return annotation made FastAPI raise inside Dash(backend="fastapi").
    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def early(_clicks: int) -> AsyncIterator[object]:
        yield stream_props("out", {"children": "early"})

    app = fastapi_app()
    server = serve(app)
    index = requests.get(server.url + "/", timeout=10)
    assert index.status_code == 200
    assert '<script id="_dash-live-config" type="application/json">{"transport": "sse"}' in (
        index.text
    )
    layout = requests.get(server.url + "/_dash-layout", timeout=10).json()
    assert layout["props"]["children"][0]["props"]["id"] == "go"
    streamed = post_stream(server.url, stream_body(early))
    assert streamed.updates == [["out", "children", "set", "early"]]
    assert streamed.end == "done"


def test_an_async_generator_streams_in_order_with_the_callback_context(serve: Serve) -> None:
    app = fastapi_app(DASH_LIVE_BUSY_HOLD=0)  # however busy the loop: each update at once

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def tokens(clicks: int) -> AsyncIterator[object]:
        yield stream_props("status", {"children": f"{ctx.triggered_id} {clicks}"})
        for i in range(300):
            yield stream_props("out", {"children": append(f"t{i} ")})
            if i % 50 == 0:
                await asyncio.sleep(0)

    streamed = post_stream(serve(app).url, stream_body(tokens))
    assert streamed.complete
    assert streamed.end == "done"
    state = applied(streamed.updates)
    assert state[("status", "children")] == "go 1"
    assert state[("out", "children")] == "".join(f"t{i} " for i in range(300))
    # Driven by the response itself: one event per yield, nothing folded or lost.
    assert streamed.names.count("update") == 301


def test_a_busy_loops_streams_hold_updates_and_write_them_together_in_order(
    serve: Serve,
) -> None:
    # A busy share of 0 makes the loop count as busy however idle it is: every stream holds.
    app = fastapi_app(DASH_LIVE_BUSY_SHARE=0, DASH_LIVE_BUSY_HOLD=0.05)

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def tokens(_clicks: int) -> AsyncIterator[object]:
        for i in range(40):
            yield stream_props("out", {"children": append(f"t{i} ")})
            yield stream_props("status", {"children": i})
            await asyncio.sleep(0.005)

    streamed = post_stream(serve(app).url, stream_body(tokens))
    assert streamed.end == "done"
    state = applied(streamed.updates)
    assert state[("out", "children")] == "".join(f"t{i} " for i in range(40))
    assert [u[3] for u in streamed.updates if u[0] == "status"] == list(range(40))
    # 80 yields over ~0.2 s, held up to 50 ms at a time: a handful of events, not 80.
    assert 1 <= streamed.names.count("update") <= 20, streamed.names


@pytest.mark.parametrize("ending", ["cancel", "error", "timeout"])
def test_held_updates_go_out_before_the_end(serve: Serve, ending: str) -> None:
    # Held for up to 60 s, so only the end of the stream can let them out.
    app = fastapi_app(DASH_LIVE_BUSY_SHARE=0, DASH_LIVE_BUSY_HOLD=60)
    release = asyncio.Event()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True, timeout=1)
    async def held(_clicks: int) -> AsyncIterator[object]:
        yield stream_props("out", {"children": "a"})
        yield stream_props("out", {"children": "b"})
        if ending == "error":
            raise RuntimeError("the model went away")
        await release.wait()  # until cancelled, or timed out

    server = serve(app)
    stream = OpenStream(server.url, stream_body(held))
    try:
        if ending == "cancel":
            stream.read_until(lambda s: s.text.startswith(": keep-alive"))
            assert wait_until(lambda: live_streams.count() == 1, 5)
            answer = requests.post(
                f"{server.url}/{CANCEL_ROUTE}", json={"stream": stream.stream_id}, timeout=10
            )
            assert answer.status_code == 204
        stream.read_to_end()
        names = [name for name, _ in stream.events]
        both = [["out", "children", "set", "a"], ["out", "children", "set", "b"]]
        assert stream.events[0] == ("update", both), names
        expected = {"cancel": "cancelled", "error": "error", "timeout": "timeout"}[ending]
        assert stream.events[-1] == ("end", {"reason": expected}), names
    finally:
        stream.close()


def test_a_quiet_busy_stream_is_flushed_without_waiting_for_its_next_yield(serve: Serve) -> None:
    app = fastapi_app(DASH_LIVE_BUSY_SHARE=0, DASH_LIVE_BUSY_HOLD=0.05)
    release = threading.Event()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def quiet(_clicks: int) -> AsyncIterator[object]:
        yield stream_props("out", {"children": "first"})
        # No further yield until the test has seen "first": only the tick can let it out.
        await asyncio.to_thread(release.wait, 10)
        yield stream_props("out", {"children": "second"})

    server = serve(app)
    stream = OpenStream(server.url, stream_body(quiet))
    try:
        stream.read_first_update()
        assert updates_in(stream.events) == [["out", "children", "set", "first"]]
        release.set()
        stream.read_to_end()
        assert stream.events[-1] == ("end", {"reason": "done"})
        assert updates_in(stream.events)[-1] == ["out", "children", "set", "second"]
    finally:
        stream.close()


def test_a_sync_generator_runs_in_a_thread_and_streams_everything(serve: Serve) -> None:
    app = fastapi_app()
    threads: set[str] = set()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    def tokens(_clicks: int) -> Iterator[object]:
        threads.add(threading.current_thread().name)
        for i in range(2000):
            yield stream_props("out", {"children": append(f"t{i} ")})

    streamed = post_stream(serve(app).url, stream_body(tokens))
    assert streamed.end == "done"
    assert applied(streamed.updates)[("out", "children")] == "".join(f"t{i} " for i in range(2000))
    # Its own thread, named after it: not the event loop's.
    assert len(threads) == 1
    assert threads.pop().startswith("dash-live:")


def test_a_failing_generator_reports_without_internals_and_resets(serve: Serve) -> None:
    app = fastapi_app()

    @event_callback(
        Input("go", "n_clicks"),
        prevent_initial_call=True,
        reset_props={"status": {"children": "idle"}},
    )
    async def failing(_clicks: int) -> AsyncIterator[object]:
        yield stream_props("out", {"children": "partial"})
        raise RuntimeError("secret internals")

    streamed = post_stream(serve(app).url, stream_body(failing))
    assert streamed.end == "error"
    assert "secret internals" not in streamed.text
    assert streamed.errors[0]["traceback"] is None
    assert applied(streamed.updates)[("status", "children")] == "idle"


def test_the_timeout_cancels_an_async_generator_where_it_waits(serve: Serve) -> None:
    app = fastapi_app()
    closed = threading.Event()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True, timeout=0.5)
    async def stuck(_clicks: int) -> AsyncIterator[object]:
        try:
            yield stream_props("out", {"children": "started"})
            await asyncio.sleep(60)
            yield stream_props("out", {"children": "never"})
        finally:
            closed.set()

    started = time.monotonic()
    streamed = post_stream(serve(app).url, stream_body(stuck))
    assert streamed.end == "timeout"
    assert "timed out after 0.5 s" in streamed.errors[0]["message"]
    assert time.monotonic() - started < 10
    assert closed.wait(5)


def test_cancel_stops_a_running_stream(serve: Serve) -> None:
    app = fastapi_app()
    closed = threading.Event()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def endless(_clicks: int) -> AsyncIterator[object]:
        try:
            for i in range(100_000):
                yield stream_props("out", {"children": str(i)})
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    server = serve(app)
    stream = OpenStream(server.url, stream_body(endless))
    try:
        stream.read_first_update()
        answer = requests.post(
            f"{server.url}/{CANCEL_ROUTE}", json={"stream": stream.stream_id}, timeout=10
        )
        assert answer.status_code == 204
        stream.read_to_end()
        assert stream.complete
        assert stream.events[-1] == ("end", {"reason": "cancelled"})
        assert closed.wait(5)
    finally:
        stream.close()


def test_a_vanished_client_closes_the_generator_and_frees_its_slot(serve: Serve) -> None:
    app = fastapi_app()
    closed = threading.Event()

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def quiet(_clicks: int) -> AsyncIterator[object]:
        try:
            yield stream_props("out", {"children": "hello"})
            await asyncio.sleep(60)  # quiet: only the disconnect can end it early
        finally:
            closed.set()

    stream = OpenStream(serve(app).url, stream_body(quiet))
    stream.read_first_update()
    stream.close()
    assert closed.wait(10), "the generator outlived its client"
    assert wait_until(lambda: live_streams.count() == 0, 5)


def test_keep_alives_flow_while_the_generator_is_quiet(serve: Serve) -> None:
    app = fastapi_app(DASH_LIVE_KEEPALIVE=0.1)

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def slow(_clicks: int) -> AsyncIterator[object]:
        await asyncio.sleep(0.6)
        yield stream_props("out", {"children": "late"})

    streamed = post_stream(serve(app).url, stream_body(slow))
    assert streamed.end == "done"
    before_update = streamed.text.split("event: update", 1)[0]
    # One at the start, then one per 0.1 s of silence: at least three in 0.6 s.
    assert before_update.count(": keep-alive") >= 3, streamed.text


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"callback": "nope", "stream": "s1"}, 404, "nope"),
        ("not a dict", 400, "not a dict"),
        ({"stream": "x" * 2_000_000}, 413, "DASH_LIVE_MAX_BODY_BYTES"),
    ],
)
def test_bad_requests_are_refused_naming_the_problem(
    serve: Serve, body: Any, status: int, fragment: str
) -> None:
    declare_held()
    server = serve(fastapi_app())
    streamed = post_stream(server.url, body)
    assert streamed.status == status
    assert fragment in streamed.text


def test_the_per_client_limit_applies(serve: Serve) -> None:
    app = fastapi_app(DASH_LIVE_MAX_STREAMS_PER_CLIENT=2)
    held = declare_held()

    server = serve(app)
    streams = [OpenStream(server.url, stream_body(held)) for _ in range(2)]
    try:
        for stream in streams:
            stream.read_first_update()
        refused = post_stream(server.url, stream_body(held))
        assert refused.status == 429
        assert "DASH_LIVE_MAX_STREAMS_PER_CLIENT" in refused.text
    finally:
        for stream in streams:
            stream.close()
    assert wait_until(lambda: live_streams.count() == 0, 10)


def test_cancel_without_a_stream_id_is_refused(serve: Serve) -> None:
    declare_held()
    server = serve(fastapi_app())
    answer = requests.post(f"{server.url}/{CANCEL_ROUTE}", json={"nope": 1}, timeout=10)
    assert answer.status_code == 400
    assert "nope" in answer.text


def test_normal_callbacks_answer_while_200_streams_are_open(serve: Serve) -> None:
    app = fastapi_app()
    held = declare_held()

    app.server.state.DASH_LIVE_MAX_STREAMS_PER_CLIENT = 1000

    @app.callback(Output("status", "children"), Input("out", "children"))
    def echo(value: str) -> str:
        return f"echo {value}"

    server = serve(app)
    streams = [OpenStream(server.url, stream_body(held)) for _ in range(200)]
    try:
        for stream in streams:
            stream.read_first_update()
        assert live_streams.count() == 200
        answer = requests.post(
            server.url + "/_dash-update-component",
            json={
                "output": "status.children",
                "outputs": {"id": "status", "property": "children"},
                "inputs": [{"id": "out", "property": "children", "value": "x"}],
                "changedPropIds": ["out.children"],
                "state": [],
            },
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["response"]["status"]["children"] == "echo x"
    finally:
        for stream in streams:
            stream.close()
    assert wait_until(lambda: live_streams.count() == 0, 10)


DEPLOYED = "tests.integration.apps.fastapi_deployed"


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(
            ("-m", "uvicorn", f"{DEPLOYED}:server", "--workers", "2", "--port", "{port}"),
            id="uvicorn --workers 2",
        ),
        pytest.param(("-m", DEPLOYED, "{port}"), id="app.run"),
    ],
)
def test_the_readme_deployments_stream(command: tuple[str, ...], tmp_path: Path) -> None:
    # Its own process group: Dash's app.run serves from a uvicorn child, which a SIGTERM to the
    # parent alone leaves running.
    server = ServerProcess([sys.executable, *command], log=tmp_path / "server.log", group=True)
    port = server.port
    try:
        try:
            process = server.start(60).process
        except RuntimeError as error:
            raise AssertionError(str(error)) from None
        assert process is not None
        body = {
            "callback": f"{DEPLOYED}.count",
            "inputs": [{"id": "go", "property": "n_clicks", "value": 1}],
            "state": [],
            "changedPropIds": ["go.n_clicks"],
        }
        pids = set()
        for _ in range(4):
            streamed = post_stream(f"http://127.0.0.1:{port}", {**body, "stream": new_stream_id()})
            assert streamed.end == "done", streamed.text
            state = applied(streamed.updates)
            assert state[("out", "children")] == "".join(f"{i} " for i in range(20))
            pids.add(int(state[("status", "children")]))
        if "--workers" in command:
            assert process.pid not in pids  # the supervisor's worker processes serve
        else:
            assert len(pids) == 1  # Dash's app.run serves from one (child) uvicorn process
    finally:
        server.stop()


def test_an_existing_fastapi_server_given_to_dash_gets_the_routes(serve: Serve) -> None:
    from fastapi import FastAPI

    @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
    async def hello(_clicks: int) -> AsyncIterator[object]:
        yield stream_props("out", {"children": "hello"})

    own = FastAPI()
    app = dash.Dash(__name__, server=own)  # type: ignore[arg-type]  # typed for Flask only
    app.layout = html.Div([html.Button(id="go"), html.Div(id="out")])
    assert app.server is own
    streamed = post_stream(serve(app).url, stream_body(hello))
    assert streamed.updates == [["out", "children", "set", "hello"]]
    assert streamed.end == "done"
