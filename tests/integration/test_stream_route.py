"""The event-callback stream route over real HTTP: a Dash app served on 127.0.0.1, driven by
``requests`` exactly as the browser drives it (``POST <prefix>_dash-live/stream``, reading the
``text/event-stream`` body as it arrives)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import dash
import flask
import numpy as np
import pytest
import requests
from dash import ALL, Input, Output, Patch, State, ctx, html
from dash._utils import to_json as dash_to_json

from dash_live import append, attach_socketio, event_callback, merge, stream_props
from dash_live.runner import StreamRunner
from dash_live.sse import parse_events
from dash_live.stream_route import CANCEL_ROUTE, STREAM_ROUTE, live_streams
from tests.conftest import LiveServer

Serve = Callable[[object], LiveServer]
Body = dict[str, Any]
Events = list[tuple[str, Any]]

GO = {"id": "go", "property": "n_clicks", "value": 1}


# Helpers: building requests, reading streams, waiting on conditions.


def key_of(func: Callable[..., Any]) -> str:
    """The callback key the browser sends: module and qualified name of the generator."""
    return f"{func.__module__}.{func.__qualname__}"


def new_stream_id() -> str:
    return uuid.uuid4().hex


def stream_body(
    func: Callable[..., Any],
    inputs: list[Any] | None = None,
    state: list[Any] | None = None,
    changed: list[str] | None = None,
    stream: str | None = None,
) -> Body:
    """A stream request as the browser builds it for ``func``'s declared dependencies."""
    return {
        "callback": key_of(func),
        "stream": stream or new_stream_id(),
        "inputs": [GO] if inputs is None else inputs,
        "state": [] if state is None else state,
        "changedPropIds": ["go.n_clicks"] if changed is None else changed,
    }


def complete_events(text: str) -> Events:
    """The events of ``text`` that are complete (ended by a blank line), JSON-decoded."""
    end = text.rfind("\n\n")
    if end < 0:
        return []
    return [(name, json.loads(data)) for name, data in parse_events(text[: end + 2])]


def updates_in(events: Events) -> list[list[Any]]:
    """Every ``[id, prop, op, value]`` of the update events, in order."""
    return [update for name, data in events if name == "update" for update in data]


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: a bounded pause between polls
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        pause.wait(interval)
    return True


class Streamed:
    """A finished stream request: status, raw body and its events."""

    def __init__(self, status: int, text: str, complete: bool) -> None:
        self.status = status
        self.text = text
        self.complete = complete  # the body ended cleanly (chunked terminator received)
        self.events = complete_events(text) if status == 200 else []

    @property
    def updates(self) -> list[list[Any]]:
        return updates_in(self.events)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    @property
    def errors(self) -> list[Any]:
        return [data for name, data in self.events if name == "error"]

    @property
    def end(self) -> Any:
        assert self.events, f"no events in {self.text!r}"
        name, data = self.events[-1]
        assert name == "end", f"the last event is {name!r}, not end: {self.events!r}"
        return data["reason"]


def applied(updates: list[list[Any]]) -> dict[tuple[str, str], Any]:
    """The end state of set/append updates, applied in order as the page applies them."""
    state: dict[tuple[str, str], Any] = {}
    for component, prop, op, value in updates:
        key = (str(component), prop)
        if op == "append":
            state[key] = state.get(key, type(value)()) + value
        else:
            state[key] = value
    return state


def post_stream(
    base_url: str, body: Any, timeout: float = 20.0, route: str = "/" + STREAM_ROUTE
) -> Streamed:
    """POST a stream request and read the whole response (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    with requests.post(base_url + route, json=body, stream=True, timeout=timeout) as response:
        if response.status_code != 200:
            return Streamed(response.status_code, response.text, True)
        text = ""
        complete = True
        try:
            for chunk in response.iter_content(chunk_size=None, decode_unicode=True):
                text += chunk if isinstance(chunk, str) else chunk.decode()
                assert time.monotonic() < deadline, f"the stream ran over {timeout} s: {text!r}"
        except requests.exceptions.ChunkedEncodingError:
            complete = False
        return Streamed(200, text, complete)


class OpenStream:
    """A stream request left open, read a chunk at a time until a condition holds."""

    def __init__(
        self,
        base_url: str,
        body: Body,
        route: str = "/" + STREAM_ROUTE,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.stream_id: str = body["stream"]
        self.response = requests.post(
            base_url + route, json=body, stream=True, timeout=10, headers=headers
        )
        self.status = self.response.status_code
        self._chunks = self.response.iter_content(chunk_size=None, decode_unicode=True)
        self.text = ""
        self.finished = False  # the body was read to its end
        self.complete = False  # ... and it ended cleanly

    @property
    def events(self) -> Events:
        return complete_events(self.text)

    def _read_one(self) -> None:
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self.finished = self.complete = True
        except requests.exceptions.ChunkedEncodingError:
            self.finished = True
        else:
            self.text += chunk if isinstance(chunk, str) else chunk.decode()

    def read_until(self, condition: Callable[[OpenStream], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self):
            assert not self.finished, f"the stream ended before the condition held: {self.text!r}"
            assert time.monotonic() < deadline, f"condition not met in {timeout} s: {self.text!r}"
            self._read_one()

    def read_first_update(self) -> None:
        assert self.status == 200, self.response.text
        self.read_until(lambda s: any(name == "update" for name, _ in s.events))

    def read_to_end(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.finished:
            assert time.monotonic() < deadline, f"the stream did not end in {timeout} s"
            self._read_one()

    def close(self) -> None:
        self.response.close()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event generators wait on; set at teardown so no generator outlives its test."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def opened() -> Iterator[Callable[[str, Body], OpenStream]]:
    """Open streams that are closed at teardown, whatever the test did."""
    streams: list[OpenStream] = []

    def open_stream(base_url: str, body: Body) -> OpenStream:
        stream = OpenStream(base_url, body)
        streams.append(stream)
        return stream

    yield open_stream
    for stream in streams:
        stream.close()


@pytest.fixture(autouse=True)
def _no_stream_left_over() -> Iterator[None]:
    # live_streams is process-wide and counts streams per client address (all tests connect
    # from 127.0.0.1): a stream one test leaks (see the xfail below) must not use up the
    # per-client limit of the next test.
    yield
    if not wait_until(lambda: live_streams.count() == 0, 5):
        with live_streams.lock:
            for entry in live_streams.streams.values():
                runner = entry.runner
                if isinstance(runner, StreamRunner):
                    runner.cancelled.set()  # not cancel(): that is what raises for async runners
                else:
                    runner.cancel()
            live_streams.streams.clear()
            live_streams.per_client.clear()
            live_streams.of_owner.clear()


def layout() -> html.Div:
    return html.Div(
        [
            html.Button("go", id="go"),
            html.Button("btn", id="btn"),
            html.Div(id="out"),
            html.Div(id="status"),
            html.Div(id="normal-out"),
        ]
    )


def new_app(**kwargs: Any) -> dash.Dash:
    app = dash.Dash(__name__, **kwargs)
    app.layout = layout()
    return app


# A normal stream, values, async generators, declaration order, context.


def test_every_update_arrives_in_order_then_end_done(serve: Serve) -> None:
    def make() -> tuple[dash.Dash, Callable[..., Any]]:
        app = new_app()

        @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
        def count(n_clicks: int) -> Iterator[object]:
            for i in range(100):
                yield stream_props("out", {"children": append([i])})
            yield stream_props([("done", {"children": "done"}), ("status", {"title": n_clicks})])

        return app, count

    app, count = make()
    result = post_stream(serve(app).url, stream_body(count))
    assert result.status == 200
    assert result.complete
    # A backlog may travel folded (coalesce.py): appends concatenate, in order.
    assert applied(result.updates) == {
        ("out", "children"): list(range(100)),
        ("done", "children"): "done",
        ("status", "title"): 1,
    }
    assert result.updates[-2:] == [
        ["done", "children", "set", "done"],
        ["status", "title", "set", 1],
    ]
    assert set(result.names) == {"update", "end"}
    assert result.end == "done"


def test_values_arrive_encoded_as_dash_encodes_outputs(serve: Serve) -> None:
    patch = Patch()
    patch["layout"]["title"] = "patched"
    patch["data"][0]["y"].append(4)
    values = {
        "array": np.array([1.5, np.nan, 3.0]),
        "ints": np.arange(4),
        "scalar": np.int64(7),
        "nan": float("nan"),
        "nested": {"x": np.array([[1, 2], [3, 4]]), "y": [float("nan"), 2]},
    }

    app = new_app()

    @event_callback(Input("go", "n_clicks"))
    def values_stream(_clicks: int) -> Iterator[object]:
        yield stream_props("graph", {"figure": patch})
        yield stream_props("out", {"children": append(" more"), "style": merge({"color": "red"})})
        yield stream_props("list", {"data": append([np.float64(1.0), float("nan")])})
        for name, value in values.items():
            yield stream_props("values", {name: value})

    result = post_stream(serve(app).url, stream_body(values_stream))
    assert result.end == "done"
    expected = [
        ["graph", "figure", "patch", json.loads(dash_to_json(patch))],
        ["out", "children", "append", " more"],
        ["out", "style", "merge", {"color": "red"}],
        ["list", "data", "append", [1.0, None]],
    ] + [["values", name, "set", json.loads(dash_to_json(value))] for name, value in values.items()]
    assert result.updates == expected
    # Spelled out, so the test does not only trust Dash's encoder.
    assert result.updates[0][3]["__dash_patch_update"] == "__dash_patch_update"
    by_name = {update[1]: update[3] for update in result.updates[4:]}
    assert by_name == {
        "array": [1.5, None, 3.0],
        "ints": [0, 1, 2, 3],
        "scalar": 7,
        "nan": None,
        "nested": {"x": [[1, 2], [3, 4]], "y": [None, 2]},
    }
    assert "NaN" not in result.text


def test_async_generator_streams_with_context(serve: Serve) -> None:
    app = new_app()

    @event_callback(Input("go", "n_clicks"), State("status", "children"))
    async def tick(n_clicks: int, status: str) -> AsyncIterator[object]:
        yield stream_props("status", {"children": f"{ctx.triggered_id} {n_clicks} {status}"})
        for i in range(20):
            await asyncio.sleep(0)
            yield stream_props("out", {"children": append(f"{i},")})

    body = stream_body(tick, state=[{"id": "status", "property": "children", "value": "idle"}])
    result = post_stream(serve(app).url, body)
    assert result.status == 200
    assert result.updates[0] == ["status", "children", "set", "go 1 idle"]
    assert applied(result.updates) == {
        ("status", "children"): "go 1 idle",
        ("out", "children"): "".join(f"{i}," for i in range(20)),
    }
    assert result.end == "done"


def test_finished_async_streams_end_cleanly_and_free_their_slot(serve: Serve) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_MAX_STREAMS_PER_CLIENT"] = 2

    @event_callback(Input("go", "n_clicks"))
    async def short(_clicks: int) -> AsyncIterator[object]:
        await asyncio.sleep(0)
        yield stream_props("out", {"children": "x"})

    server = serve(app)
    results = [post_stream(server.url, stream_body(short)) for _ in range(3)]
    assert [r.status for r in results] == [200, 200, 200]
    assert all(r.complete for r in results)
    assert wait_until(lambda: live_streams.count() == 0, 5)


def test_callback_declared_before_dash_app(serve: Serve) -> None:
    def make() -> tuple[dash.Dash, Callable[..., Any]]:
        @event_callback(Input("go", "n_clicks"))
        def early(_clicks: int) -> Iterator[object]:
            yield stream_props("out", {"children": "declared before Dash()"})

        return new_app(), early

    app, early = make()
    result = post_stream(serve(app).url, stream_body(early))
    assert result.updates == [["out", "children", "set", "declared before Dash()"]]
    assert result.end == "done"


def test_callback_declared_after_dash_app(serve: Serve) -> None:
    def make() -> tuple[dash.Dash, Callable[..., Any]]:
        app = new_app()

        @event_callback(Input("go", "n_clicks"))
        def late(_clicks: int) -> Iterator[object]:
            yield stream_props("out", {"children": "declared after Dash()"})

        return app, late

    app, late = make()
    assert "/" + STREAM_ROUTE in app.routes
    result = post_stream(serve(app).url, stream_body(late))
    assert result.updates == [["out", "children", "set", "declared after Dash()"]]
    assert result.end == "done"


def test_pattern_matching_inputs_and_triggered_id(serve: Serve) -> None:
    app = new_app()

    @event_callback(Input({"type": "cell", "index": ALL}, "n_clicks"))
    def cells(clicks: list[int | None]) -> Iterator[object]:
        yield stream_props("out", {"children": f"{ctx.triggered_id['index']}:{clicks}"})

    cell_inputs = [
        {"id": {"type": "cell", "index": i}, "property": "n_clicks", "value": v}
        for i, v in enumerate([None, 2, None])
    ]
    body = stream_body(cells, inputs=[cell_inputs], changed=['{"index":1,"type":"cell"}.n_clicks'])
    result = post_stream(serve(app).url, body)
    assert result.updates == [["out", "children", "set", "1:[None, 2, None]"]]
    assert result.end == "done"


# Security: only what the app registered, with only the values it declared.


class Guarded:
    """An app with one event callback that records whether it ever started."""

    def __init__(self, **kwargs: Any) -> None:
        self.started = threading.Event()
        self.app = new_app(**kwargs)

        @event_callback(
            Input("go", "n_clicks"), State("status", "children"), prevent_initial_call=True
        )
        def guarded(_clicks: int, _status: str) -> Iterator[object]:
            self.started.set()
            yield stream_props("out", {"children": "ran"})

        self.func = guarded

    def body(self, **changes: Any) -> Body:
        body = stream_body(
            self.func, state=[{"id": "status", "property": "children", "value": "s"}]
        )
        body.update(changes)
        return body


def test_guarded_app_accepts_a_valid_request(serve: Serve) -> None:
    guarded = Guarded()
    result = post_stream(serve(guarded.app).url, guarded.body())
    assert result.updates == [["out", "children", "set", "ran"]]
    assert guarded.started.is_set()


@pytest.mark.parametrize(
    ("changes", "status", "named"),
    [
        pytest.param(
            {"callback": "nowhere.not_registered"},
            404,
            "nowhere.not_registered",
            id="unknown-callback",
        ),
        pytest.param({"callback": 42}, 404, "42", id="callback-not-str"),
        pytest.param(
            {"inputs": [{"id": "intruder", "property": "n_clicks", "value": 1}]},
            400,
            "intruder",
            id="undeclared-input-id",
        ),
        pytest.param(
            {"inputs": [{"id": "go", "property": "secret_prop", "value": 1}]},
            400,
            "secret_prop",
            id="undeclared-input-prop",
        ),
        pytest.param(
            {"state": [{"id": "password", "property": "value", "value": "x"}]},
            400,
            "password",
            id="undeclared-state-id",
        ),
        pytest.param({"inputs": [GO, GO]}, 400, "1 entries", id="too-many-inputs"),
        pytest.param({"inputs": []}, 400, "1 entries", id="no-inputs"),
        pytest.param({"inputs": GO}, 400, "must be a list", id="inputs-not-a-list"),
        pytest.param({"state": []}, 400, "state", id="missing-state"),
        pytest.param(
            {"changedPropIds": ["other.n_clicks"]}, 400, "other.n_clicks", id="changed-not-an-input"
        ),
        pytest.param(
            {"changedPropIds": ["status.children"]}, 400, "status.children", id="changed-is-a-state"
        ),
        pytest.param(
            {"changedPropIds": "go.n_clicks"}, 400, "changedPropIds", id="changed-not-a-list"
        ),
        pytest.param({"stream": "short"}, 400, "short", id="stream-id-too-short"),
        pytest.param({"stream": "x" * 65}, 400, "stream", id="stream-id-too-long"),
        pytest.param({"stream": "has spaces in it"}, 400, "has spaces", id="stream-id-bad-chars"),
        pytest.param({"stream": 12345678}, 400, "12345678", id="stream-id-not-str"),
    ],
)
def test_malformed_requests_are_refused_naming_the_problem(
    serve: Serve, changes: Body, status: int, named: str
) -> None:
    guarded = Guarded()
    with requests.post(
        serve(guarded.app).url + "/" + STREAM_ROUTE, json=guarded.body(**changes), timeout=10
    ) as response:
        assert response.status_code == status
        assert named in response.text
        assert response.headers["Content-Type"].startswith("text/plain")
    assert not guarded.started.is_set()


def test_body_over_the_limit_is_refused_with_413(serve: Serve) -> None:
    guarded = Guarded()
    guarded.app.server.config["DASH_LIVE_MAX_BODY_BYTES"] = 512
    body = guarded.body(state=[{"id": "status", "property": "children", "value": "x" * 2000}])
    with requests.post(
        serve(guarded.app).url + "/" + STREAM_ROUTE, json=body, timeout=10
    ) as response:
        assert response.status_code == 413
        assert "DASH_LIVE_MAX_BODY_BYTES" in response.text
    assert not guarded.started.is_set()


def test_body_without_content_length_is_refused(serve: Serve) -> None:
    guarded = Guarded()
    data = json.dumps(guarded.body()).encode()
    with requests.post(
        serve(guarded.app).url + "/" + STREAM_ROUTE,
        data=iter([data]),  # an iterable body is sent chunked, with no Content-Length
        headers={"Content-Type": "application/json"},
        timeout=10,
    ) as response:
        assert response.status_code == 413
    assert not guarded.started.is_set()


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(b"not json at all", "application/json", id="not-json"),
        pytest.param(b'{"callback": ', "application/json", id="truncated-json"),
        pytest.param(b"[1, 2, 3]", "application/json", id="json-array"),
        pytest.param(b'{"callback": "x"}', "text/plain", id="not-json-content-type"),
    ],
)
def test_non_json_bodies_are_refused_with_400(serve: Serve, data: bytes, content_type: str) -> None:
    guarded = Guarded()
    with requests.post(
        serve(guarded.app).url + "/" + STREAM_ROUTE,
        data=data,
        headers={"Content-Type": content_type},
        timeout=10,
    ) as response:
        assert response.status_code == 400
        assert "JSON object" in response.text
    assert not guarded.started.is_set()


def test_get_does_not_start_a_stream(serve: Serve) -> None:
    # The stream route takes POST only; a GET falls through to Dash's catch-all page route.
    guarded = Guarded()
    with requests.get(serve(guarded.app).url + "/" + STREAM_ROUTE, timeout=10) as response:
        assert not response.headers["Content-Type"].startswith("text/event-stream")
        assert "_dash-config" in response.text
    assert not guarded.started.is_set()


def test_a_running_stream_id_cannot_be_reused(
    serve: Serve, release: threading.Event, opened: Callable[[str, Body], OpenStream]
) -> None:
    app = new_app()

    @event_callback(Input("go", "n_clicks"))
    def held(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "open"})
        release.wait(30)

    server = serve(app)
    body = stream_body(held)
    first = opened(server.url, body)
    first.read_first_update()
    with requests.post(server.url + "/" + STREAM_ROUTE, json=body, timeout=10) as again:
        assert again.status_code == 409
        assert body["stream"] in again.text


def test_per_client_stream_limit(
    serve: Serve, release: threading.Event, opened: Callable[[str, Body], OpenStream]
) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_MAX_STREAMS_PER_CLIENT"] = 2
    app.server.config["DASH_LIVE_KEEPALIVE"] = 0.2
    starts: list[int] = []

    @event_callback(Input("go", "n_clicks"))
    def held(clicks: int) -> Iterator[object]:
        starts.append(clicks)
        yield stream_props("out", {"children": clicks})
        release.wait(30)

    server = serve(app)
    first = opened(server.url, stream_body(held, inputs=[dict(GO, value=1)]))
    first.read_first_update()
    second = opened(server.url, stream_body(held, inputs=[dict(GO, value=2)]))
    second.read_first_update()
    assert live_streams.count() == 2

    body = stream_body(held, inputs=[dict(GO, value=3)])
    with requests.post(server.url + "/" + STREAM_ROUTE, json=body, timeout=10) as third:
        assert third.status_code == 429
        assert "DASH_LIVE_MAX_STREAMS_PER_CLIENT" in third.text
    assert starts == [1, 2]

    # Closing one connection frees its slot (noticed by the next keep-alive write).
    first.close()
    assert wait_until(lambda: live_streams.count() == 1, 5), "the closed stream still counts"
    fourth = opened(server.url, stream_body(held, inputs=[dict(GO, value=4)]))
    fourth.read_first_update()
    assert updates_in(fourth.events) == [["out", "children", "set", 4]]
    assert starts == [1, 2, 4]


def test_the_apps_before_request_hooks_apply(serve: Serve) -> None:
    guarded = Guarded()

    @guarded.app.server.before_request
    def require_token() -> flask.Response | None:
        if flask.request.headers.get("X-Token") != "let-me-in":
            return flask.Response("token required", status=401)
        return None

    url = serve(guarded.app).url + "/" + STREAM_ROUTE
    with requests.post(url, json=guarded.body(), timeout=10) as refused:
        assert refused.status_code == 401
        assert refused.text == "token required"
    assert not guarded.started.is_set()
    with requests.post(
        url, json=guarded.body(), headers={"X-Token": "let-me-in"}, timeout=10
    ) as allowed:
        assert allowed.status_code == 200
        events = complete_events(allowed.text)
    assert updates_in(events) == [["out", "children", "set", "ran"]]
    assert events[-1] == ("end", {"reason": "done"})


# Errors.


class Failing:
    """An app whose event callback sends one update, then raises."""

    SECRET = "secret internals 1234"

    def __init__(self, debug: bool = False, on_error: Callable[[Exception], Any] | None = None):
        self.app = new_app()
        if debug:
            self.app.enable_dev_tools(
                debug=True, dev_tools_hot_reload=False, dev_tools_disable_version_check=True
            )

        @event_callback(
            Input("go", "n_clicks"),
            reset_props={"status": {"children": "reset"}},
            on_error=on_error,
        )
        def failing(_clicks: int) -> Iterator[object]:
            yield stream_props("out", {"children": "before the failure"})
            raise RuntimeError(Failing.SECRET)

        self.func = failing


def test_error_outside_debug_mode_hides_internals_and_logs_them(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    failing = Failing()
    with caplog.at_level(logging.ERROR, logger="dash_live"):
        result = post_stream(serve(failing.app).url, stream_body(failing.func))
    assert result.updates == [
        ["out", "children", "set", "before the failure"],
        ["status", "children", "set", "reset"],
    ]
    assert result.names == ["update", "update", "error", "end"]
    (error,) = result.errors
    assert "failed; the server log has details" in error["message"]
    assert error["traceback"] is None
    assert Failing.SECRET not in result.text
    assert "RuntimeError" not in result.text
    assert result.end == "error"
    logged = [r for r in caplog.records if r.name == "dash_live" and r.exc_info]
    assert logged, "the traceback was not logged"
    assert any(key_of(failing.func) in r.getMessage() for r in logged)
    exc_info = logged[0].exc_info
    assert exc_info is not None
    assert isinstance(exc_info[1], RuntimeError)
    assert Failing.SECRET in caplog.text
    assert "Traceback" in caplog.text


def test_error_in_debug_mode_sends_message_and_traceback(serve: Serve) -> None:
    failing = Failing(debug=True)
    result = post_stream(serve(failing.app).url, stream_body(failing.func))
    assert result.names == ["update", "update", "error", "end"]
    (error,) = result.errors
    assert f"RuntimeError: {Failing.SECRET}" in error["message"]
    assert "failing" in error["message"]
    assert error["traceback"].startswith("Traceback")
    assert Failing.SECRET in error["traceback"]
    assert result.end == "error"


def test_on_error_updates_replace_the_generic_error(serve: Serve) -> None:
    seen: list[Exception] = []

    def handle(error: Exception) -> object:
        seen.append(error)
        return [stream_props("status", {"children": f"handled {type(error).__name__}"})]

    failing = Failing(on_error=handle)
    result = post_stream(serve(failing.app).url, stream_body(failing.func))
    assert result.updates == [
        ["out", "children", "set", "before the failure"],
        ["status", "children", "set", "reset"],
        ["status", "children", "set", "handled RuntimeError"],
    ]
    assert result.errors == []
    assert "server log" not in result.text
    assert Failing.SECRET not in result.text
    assert result.end == "error"
    assert len(seen) == 1
    assert str(seen[0]) == Failing.SECRET


def test_a_failing_on_error_falls_back_to_the_generic_error(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    def handle(error: Exception) -> object:
        raise ValueError("the handler broke too")

    failing = Failing(on_error=handle)
    with caplog.at_level(logging.ERROR, logger="dash_live"):
        result = post_stream(serve(failing.app).url, stream_body(failing.func))
    (error,) = result.errors
    assert "failed; the server log has details" in error["message"]
    assert result.end == "error"
    assert "the on_error handler" in caplog.text
    assert "the handler broke too" in caplog.text


def test_yielding_something_else_than_stream_props_is_an_error(serve: Serve) -> None:
    app = new_app()
    app.enable_dev_tools(
        debug=True, dev_tools_hot_reload=False, dev_tools_disable_version_check=True
    )

    @event_callback(Input("go", "n_clicks"))
    def wrong(_clicks: int) -> Iterator[object]:
        yield {"out": "not stream_props"}

    result = post_stream(serve(app).url, stream_body(wrong))
    (error,) = result.errors
    assert "InvalidUpdateError" in error["message"]
    assert "stream_props" in error["message"]
    assert result.end == "error"


# Timeouts and keep-alives.


def test_timeout_of_a_stuck_generator(serve: Serve) -> None:
    release = threading.Event()
    closed = threading.Event()
    app = new_app()

    @event_callback(
        Input("go", "n_clicks"), timeout=0.5, reset_props=[("status", {"children": "reset"})]
    )
    def stuck(_clicks: int) -> Iterator[object]:
        try:
            yield stream_props("out", {"children": "started"})
            release.wait(30)  # stuck between yields: only the wall clock ends the stream
            yield stream_props("out", {"children": "never sent"})
        finally:
            closed.set()

    try:
        started = time.monotonic()
        result = post_stream(serve(app).url, stream_body(stuck))
        elapsed = time.monotonic() - started
        assert elapsed < 5, f"the timeout took {elapsed:.1f} s"
        assert result.updates == [
            ["out", "children", "set", "started"],
            ["status", "children", "set", "reset"],
        ]
        (error,) = result.errors
        assert "timed out after 0.5 s" in error["message"]
        assert result.end == "timeout"
        assert result.complete
        assert not closed.is_set(), "the generator cannot be closed while it is stuck"
    finally:
        release.set()
    assert closed.wait(5), "the generator was not closed once it resumed"
    assert wait_until(lambda: live_streams.count() == 0, 5)


def test_default_timeout_comes_from_the_app_config(serve: Serve, release: threading.Event) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_STREAM_TIMEOUT"] = 0.3

    @event_callback(Input("go", "n_clicks"))
    def quiet(_clicks: int) -> Iterator[object]:
        release.wait(30)
        yield stream_props("out", {"children": "never sent"})

    result = post_stream(serve(app).url, stream_body(quiet))
    assert "timed out after 0.3 s" in result.errors[0]["message"]
    assert result.end == "timeout"


def test_keep_alive_comments_while_the_generator_is_quiet(
    serve: Serve, release: threading.Event, opened: Callable[[str, Body], OpenStream]
) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_KEEPALIVE"] = 0.2

    @event_callback(Input("go", "n_clicks"))
    def quiet(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "first"})
        release.wait(30)
        yield stream_props("out", {"children": "last"})

    stream = opened(serve(app).url, stream_body(quiet))
    stream.read_first_update()

    def keep_alives_after_first_update(s: OpenStream) -> int:
        return s.text.split("event: update", 1)[1].count(": keep-alive\n\n")

    stream.read_until(lambda s: keep_alives_after_first_update(s) >= 3, timeout=10)
    release.set()
    stream.read_to_end()
    assert stream.complete
    assert updates_in(stream.events) == [
        ["out", "children", "set", "first"],
        ["out", "children", "set", "last"],
    ]
    assert stream.events[-1] == ("end", {"reason": "done"})
    assert stream.response.headers["Content-Type"].startswith("text/event-stream")
    assert stream.response.headers["Cache-Control"] == "no-cache"


# Cancel, vanished clients, no leaks.


class Ticking:
    """An app whose event callback yields ``count`` ticks ``pace`` seconds apart, recording
    each tick and whether its generator was closed."""

    def __init__(self, count: int, pace: float) -> None:
        self.closed = threading.Event()
        self.yielded: list[int] = []
        self.app = new_app()
        pause = threading.Event()  # never set: a bounded pause between ticks

        @event_callback(Input("go", "n_clicks"))
        def ticking(_clicks: int) -> Iterator[object]:
            try:
                for i in range(count):
                    self.yielded.append(i)
                    yield stream_props("out", {"children": i})
                    pause.wait(pace)
            finally:
                self.closed.set()

        self.func = ticking


def test_cancel_endpoint_closes_the_generator(
    serve: Serve, opened: Callable[[str, Body], OpenStream]
) -> None:
    ticks = Ticking(1000, 0.02)
    server = serve(ticks.app)
    stream = opened(server.url, stream_body(ticks.func))
    stream.read_first_update()
    with requests.post(
        server.url + "/" + CANCEL_ROUTE, json={"stream": stream.stream_id}, timeout=10
    ) as cancelled:
        assert cancelled.status_code == 204
    assert ticks.closed.wait(5), "the generator was not closed"
    stream.read_to_end()
    assert stream.events[-1] == ("end", {"reason": "cancelled"})
    assert len(ticks.yielded) < 1000
    assert wait_until(lambda: live_streams.count() == 0, 5)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"stream": "no-such-stream-running"}, 204, id="unknown-id-is-a-no-op"),
        pytest.param({"nothing": 1}, 400, id="no-stream-id"),
        pytest.param([1], 400, id="not-an-object"),
    ],
)
def test_cancel_endpoint_requests(serve: Serve, body: Any, status: int) -> None:
    guarded = Guarded()
    with requests.post(
        serve(guarded.app).url + "/" + CANCEL_ROUTE, json=body, timeout=10
    ) as response:
        assert response.status_code == status


def test_vanished_client_of_a_busy_generator(
    serve: Serve, opened: Callable[[str, Body], OpenStream]
) -> None:
    ticks = Ticking(2000, 0.01)
    stream = opened(serve(ticks.app).url, stream_body(ticks.func))
    stream.read_first_update()
    stream.close()
    assert ticks.closed.wait(5), "the generator of a vanished client was not closed"
    assert len(ticks.yielded) < 2000
    assert wait_until(lambda: live_streams.count() == 0, 5)


def test_vanished_client_of_a_quiet_generator_is_noticed_by_keep_alive(
    serve: Serve, release: threading.Event, opened: Callable[[str, Body], OpenStream]
) -> None:
    closed = threading.Event()
    app = new_app()
    app.server.config["DASH_LIVE_KEEPALIVE"] = 0.2

    @event_callback(Input("go", "n_clicks"))
    def quiet(_clicks: int) -> Iterator[object]:
        try:
            yield stream_props("out", {"children": "first"})
            release.wait(30)
            yield stream_props("out", {"children": "after release"})
        finally:
            closed.set()

    stream = opened(serve(app).url, stream_body(quiet))
    stream.read_first_update()
    runner = live_streams.streams[stream.stream_id].runner
    assert isinstance(runner, StreamRunner)
    stream.close()
    # Nothing is yielded, so only a failed keep-alive write can reveal the closed connection.
    assert wait_until(lambda: live_streams.count() == 0, 5), "the vanished client went unseen"
    assert runner.cancelled.is_set()
    assert not closed.is_set()
    release.set()  # the generator resumes, yields, and is closed at that yield
    assert closed.wait(5)
    runner.thread.join(5)
    assert not runner.thread.is_alive()


def test_vanished_client_of_a_quiet_async_generator_closes_it_at_once(
    serve: Serve, opened: Callable[[str, Body], OpenStream]
) -> None:
    closed = threading.Event()
    app = new_app()
    app.server.config["DASH_LIVE_KEEPALIVE"] = 0.2

    @event_callback(Input("go", "n_clicks"))
    async def quiet(_clicks: int) -> AsyncIterator[object]:
        try:
            yield stream_props("out", {"children": "first"})
            await asyncio.sleep(30)
            yield stream_props("out", {"children": "never sent"})
        finally:
            closed.set()

    stream = opened(serve(app).url, stream_body(quiet))
    stream.read_first_update()
    stream.close()
    assert closed.wait(5), "the async generator of a vanished client was not cancelled"
    assert wait_until(lambda: live_streams.count() == 0, 5)


def _rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _live_runners() -> int:
    gc.collect()
    return sum(isinstance(o, StreamRunner) for o in gc.get_objects())


def test_a_thousand_aborted_streams_leave_nothing_behind(serve: Serve) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_MAX_STREAMS_PER_CLIENT"] = 1000
    pause = threading.Event()
    closed = [0]
    closed_lock = threading.Lock()

    @event_callback(Input("go", "n_clicks"))
    def chatty(_clicks: int) -> Iterator[object]:
        try:
            for i in range(500):  # ~5 s at most; an aborted stream stops after a few ticks
                yield stream_props("out", {"children": i})
                pause.wait(0.01)
        finally:
            with closed_lock:
                closed[0] += 1

    server = serve(app)

    def abort_streams(count: int) -> None:
        for _ in range(count):
            stream = OpenStream(server.url, stream_body(chatty))
            try:
                stream.read_first_update()
            finally:
                stream.close()

    def settled(streams: int, threads: int) -> bool:
        return live_streams.count() <= streams and threading.active_count() <= threads

    # Warm up (imports, allocator pools, Dash's first-request set-up), then take the baseline.
    abort_streams(20)
    assert wait_until(lambda: closed[0] == 20, 10)
    assert wait_until(lambda: settled(0, threading.active_count()), 10)
    streams_before = live_streams.count()
    assert wait_until(lambda: settled(streams_before, threading.active_count()), 5)
    threads_before = threading.active_count()
    runners_before = _live_runners()
    rss_before = _rss_bytes()

    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [pool.submit(abort_streams, 250) for _ in range(4)]:
            future.result(timeout=120)  # a bound against hanging, not a speed target

    assert wait_until(lambda: closed[0] == 1020, 30), f"only {closed[0] - 20} of 1000 closed"
    assert wait_until(lambda: settled(streams_before, threads_before + 5), 30), (
        f"{live_streams.count()} streams and {threading.active_count()} threads left "
        f"(before: {streams_before} and {threads_before})"
    )
    assert _live_runners() <= runners_before
    growth = _rss_bytes() - rss_before
    assert growth < 50 * 1024 * 1024, f"RSS grew by {growth / 1e6:.1f} MB"


# Normal callbacks and path prefixes.


def test_normal_callbacks_answer_while_streams_run(
    serve: Serve, release: threading.Event, opened: Callable[[str, Body], OpenStream]
) -> None:
    app = new_app()

    @app.callback(Output("normal-out", "children"), Input("btn", "n_clicks"))
    def clicked(n_clicks: int | None) -> str:
        return f"clicked {n_clicks}"

    @event_callback(Input("go", "n_clicks"))
    def held(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "open"})
        release.wait(30)

    server = serve(app)
    streams = [opened(server.url, stream_body(held)) for _ in range(3)]
    for stream in streams:
        stream.read_first_update()
    assert live_streams.count() == 3

    body: dict[str, Any] = {
        "output": "normal-out.children",
        "outputs": {"id": "normal-out", "property": "children"},
        "inputs": [{"id": "btn", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["btn.n_clicks"],
        "state": [],
    }
    with requests.post(server.url + "/_dash-update-component", json=body, timeout=10) as answer:
        assert answer.status_code == 200
        assert answer.json()["response"] == {"normal-out": {"children": "clicked 1"}}
    assert live_streams.count() == 3, "the streams should still be running"


def test_routes_follow_the_path_prefix(serve: Serve) -> None:
    guarded = Guarded(routes_pathname_prefix="/app/", requests_pathname_prefix="/app/")
    server = serve(guarded.app)
    result = post_stream(server.url, guarded.body(), route="/app/" + STREAM_ROUTE)
    assert result.status == 200
    assert result.updates == [["out", "children", "set", "ran"]]
    assert result.end == "done"
    assert "/app/" + STREAM_ROUTE in guarded.app.routes
    with requests.post(
        server.url + "/" + STREAM_ROUTE, json=guarded.body(), timeout=10
    ) as unprefixed:
        assert unprefixed.status_code in (404, 405)
    with requests.post(
        server.url + "/app/" + CANCEL_ROUTE, json={"stream": "not-running-1"}, timeout=10
    ) as cancel:
        assert cancel.status_code == 204


# The page's default transport.


def test_the_page_learns_the_apps_default_transport(serve: Serve) -> None:
    app = new_app()
    app.server.config["DASH_LIVE_TRANSPORT"] = "socketio"
    attach_socketio(app)

    @event_callback(Input("go", "n_clicks"))
    def quiet(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "x"})

    with requests.get(serve(app).url + "/", timeout=10) as page:
        assert page.status_code == 200
        assert '<script id="_dash-live-config" type="application/json">' in page.text
        assert '{"transport": "socketio"}</script>' in page.text


def test_socketio_transport_without_socketio_on_this_app_is_an_error(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    attach_socketio(dash.Dash("another_app"))  # attached elsewhere in the process: not enough
    app = new_app()
    app.server.config["DASH_LIVE_TRANSPORT"] = "socketio"

    @event_callback(Input("go", "n_clicks"))
    def quiet(_clicks: int) -> Iterator[object]:
        yield stream_props("out", {"children": "x"})

    with requests.get(serve(app).url + "/", timeout=10) as page:
        assert page.status_code == 500
    assert "need dash_live.attach_socketio(app)" in caplog.text
