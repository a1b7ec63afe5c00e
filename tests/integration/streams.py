"""Driving the event-callback stream route over real HTTP, as the browser drives it
(``POST <prefix>_dash-live/stream``, reading the ``text/event-stream`` body as it arrives):
request bodies, stream readers, apps. Used by tests/integration/stream_route and others."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import dash
import requests
from dash import Input, State, html

from dash_live import event_callback, stream_props
from dash_live.core.sse import parse_events
from dash_live.core.wire import STREAM_ROUTE
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
