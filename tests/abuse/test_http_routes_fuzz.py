"""The HTTP routes of event callbacks (``POST <prefix>_dash-live/stream`` and ``.../cancel``)
on real servers, fed generated requests (issue 12: every refusal names the problem; no 5xx; no
dead handler).

A Dash app with the suite's event callbacks is served on 127.0.0.1, on Flask (a threaded
Werkzeug server) and on Dash's FastAPI backend (uvicorn), and sent any body: JSON values,
stream requests valid or broken in one field, raw bytes, invalid UTF-8, truncated JSON, JSON
nested thousands deep, numbers too large to read, bodies over the size limit, chunked bodies,
wrong content types. Whatever arrives, the answer is a 4xx naming the problem in plain text,
a cancel's 204, or a ``text/event-stream`` that runs to its end; never a 5xx. Afterwards the
server holds no stream and no thread more than before.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import dash
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from dash_live.callbacks.streams import live_streams
from dash_live.core.sse import parse_events
from dash_live.core.wire import CANCEL_ROUTE, STREAM_ROUTE
from tests.abuse.strategies import (
    WAIT,
    answer,
    assert_names_problem,
    declare_callbacks,
    json_values,
    key_of,
    layout,
    near_valid_bodies,
    new_stream_id,
    stream_bodies,
    valid_bodies,
    wait_until,
)
from tests.conftest import AsgiLiveServer, LiveServer, needs_fastapi

EXAMPLES = 150
#: DASH_LIVE_MAX_BODY_BYTES of the apps under test: small, so bodies over it stay cheap.
LIMIT = 16 * 1024
#: Threads a server may still hold once idle, over what it held before the run.
THREAD_MARGIN = 2


@dataclass(frozen=True)
class Served:
    url: str
    backend: str


@pytest.fixture(scope="module", params=["flask", pytest.param("fastapi", marks=needs_fastapi)])
def served(request: pytest.FixtureRequest) -> Iterator[Served]:
    """The suite's app on one backend, served for the whole module (tests declare the event
    callbacks again: the registry is emptied around every test)."""
    backend: str = request.param
    declare_callbacks()  # before Dash(): the app gets the routes from dash.hooks
    live: LiveServer | AsgiLiveServer
    if backend == "flask":
        app = dash.Dash(__name__)
        app.server.config["DASH_LIVE_MAX_BODY_BYTES"] = LIMIT
        app.layout = layout()
        live = LiveServer(app.server)
    else:
        app = dash.Dash(__name__, backend="fastapi")
        app.server.state.DASH_LIVE_MAX_BODY_BYTES = LIMIT
        app.layout = layout()
        live = AsgiLiveServer(app.server)
    try:
        yield Served(live.url, backend)
    finally:
        live.stop()


# What is sent: a body (bytes), its content type, and whether it goes chunked (no length).


@dataclass(frozen=True)
class Post:
    body: bytes
    content_type: str | None
    chunked: bool

    def __repr__(self) -> str:
        shown = repr(self.body) if len(self.body) <= 300 else f"{self.body[:300]!r}... "
        return f"Post({shown} ({len(self.body)} bytes), {self.content_type!r}, {self.chunked})"


def dumps(value: Any) -> bytes:
    # NaN and infinities as the tokens Python's json reads back (and browsers never send).
    return json.dumps(value).encode()


def _request_with(inputs: bytes) -> bytes:
    """A stream request for ``answer`` whose ``inputs`` is the given JSON text."""
    head = {"callback": key_of(answer), "stream": new_stream_id()}
    return dumps(head)[:-1] + b', "inputs": ' + inputs + b', "state": []}'


# Bodies that no generated JSON value reaches: nesting past the parser's recursion limit,
# numbers past what it reads, non-finite numbers.
DEEP = [
    b"[" * 5000,
    b'{"a":' * 5000,
    b"[" * 5000 + b"]" * 5000,
    b"[" * 900 + b"]" * 900,
    _request_with(b"[" * 5000),
    _request_with(b"[" * 950 + b"]" * 950),
    _request_with(b'[{"id": ' + b"[" * 900 + b"]" * 900 + b', "property": "n_clicks"}]'),
]
NUMBERS = [
    b"1" * 5000,
    b"-" + b"9" * 4300,
    b"1e999999",
    b"-1e999999",
    b"NaN",
    b"-Infinity",
    b'{"callback": ' + b"9" * 4200 + b"}",
    b'{"callback": "' + key_of(answer).encode() + b'", "stream": 1e400}',
    _request_with(b'[{"id": "go", "property": "n_clicks", "value": ' + b"7" * 4299 + b"}]"),
]
INVALID_UTF8 = [b"\xff", b"\xfe\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"]
CONTENT_TYPES = [
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "APPLICATION/JSON",
    "application/jsonx",
    "text/plain",
    "text/event-stream",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=zzz",
    "multipart/form-data",
    "application/octet-stream",
    "",
    "*/*",
]


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    whole = dumps(draw(near_valid_bodies() | valid_bodies()))
    return whole[: draw(st.integers(0, len(whole) - 1))]


@st.composite
def with_invalid_utf8(draw: st.DrawFn) -> bytes:
    whole = dumps(draw(valid_bodies()))
    at = draw(st.integers(0, len(whole)))
    return whole[:at] + draw(st.sampled_from(INVALID_UTF8)) + whole[at:]


@st.composite
def other_encodings(draw: st.DrawFn) -> bytes:
    # json.loads reads UTF-16 and UTF-32 bytes, with or without a byte order mark.
    text = json.dumps(draw(valid_bodies()), ensure_ascii=draw(st.booleans()))
    codec = draw(st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1"]))
    return text.encode(codec, errors="replace")


@st.composite
def around_the_limit(draw: st.DrawFn) -> bytes:
    body = draw(valid_bodies())
    size = draw(st.integers(LIMIT - 256, LIMIT + 4096))
    body["padding"] = ""  # a field the route ignores: the body stays valid, only longer
    body["padding"] = "x" * max(0, size - len(dumps(body)))
    return dumps(body)


def bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(
        valid_bodies().map(dumps),
        near_valid_bodies().map(dumps),
        stream_bodies().map(dumps),
        json_values().map(dumps),
        st.binary(max_size=300),
        truncated(),
        with_invalid_utf8(),
        other_encodings(),
        around_the_limit(),
        st.sampled_from(DEEP + NUMBERS),
    )


def posts(body: st.SearchStrategy[bytes]) -> st.SearchStrategy[Post]:
    return st.builds(
        Post,
        body=body,
        # Half as the page sends them, the rest in some other type or none at all.
        content_type=st.one_of(
            st.just("application/json"),
            st.just("application/json"),
            st.sampled_from(CONTENT_TYPES),
            st.none(),
        ),
        # One in four without a length (chunked): hypothesis draws the first item most.
        chunked=st.sampled_from([False, False, False, True]),
    )


def cancel_bodies() -> st.SearchStrategy[bytes]:
    cancels = st.fixed_dictionaries({"stream": json_values() | st.uuids().map(lambda u: u.hex)})
    return st.one_of(cancels.map(dumps), cancels.map(dumps), bodies())


# Sending and judging.


def send(served: Served, route: str, post: Post) -> requests.Response:
    data: bytes | Iterator[bytes] = iter([post.body]) if post.chunked else post.body
    headers = {} if post.content_type is None else {"Content-Type": post.content_type}
    return requests.post(
        f"{served.url}/{route}", data=data, headers=headers, timeout=WAIT, stream=True
    )


def read_to_end(response: requests.Response) -> str:
    """The whole body of a stream, which must end within WAIT seconds."""
    deadline = time.monotonic() + WAIT
    chunks = []
    for chunk in response.iter_content(chunk_size=None):
        chunks.append(chunk)
        assert time.monotonic() < deadline, "a stream outlived its bound"
    return b"".join(chunks).decode()


def assert_refusal(response: requests.Response, post: Post) -> None:
    """A 4xx whose body is plain text naming the problem."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers.get("Content-Type", "").startswith("text/plain"), response.headers
    assert_names_problem(response.text, repr(post.body))


def settle(threads_before: int) -> None:
    """The run left nothing behind: no stream registered, no thread more than a margin."""
    assert wait_until(lambda: live_streams.count() == 0), (
        f"{live_streams.count()} streams left registered"
    )
    assert wait_until(lambda: threading.active_count() <= threads_before + THREAD_MARGIN), (
        f"{threading.active_count()} threads, {threads_before} before: {threading.enumerate()}"
    )


def run_examples(examples: Callable[[], None]) -> None:
    threads_before = threading.active_count()
    examples()
    settle(threads_before)


def test_the_stream_route_streams_or_refuses_by_name_never_failing(served: Served) -> None:
    declare_callbacks()

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(post=posts(bodies()))
    def stream(post: Post) -> None:
        with send(served, STREAM_ROUTE, post) as response:
            if response.status_code != 200:
                assert_refusal(response, post)
                return
            assert response.headers["Content-Type"].startswith("text/event-stream")
            events = parse_events(read_to_end(response))
            # The suite's callbacks yield one update, then end: both arrive, the end last.
            assert [name for name, _ in events] == ["update", "end"], events
            assert events[-1] == ("end", '{"reason":"done"}'), events

    run_examples(stream)


def test_the_cancel_route_cancels_or_refuses_by_name_never_failing(served: Served) -> None:
    declare_callbacks()

    @settings(max_examples=EXAMPLES, deadline=None)
    @given(post=posts(cancel_bodies()))
    def cancel(post: Post) -> None:
        with send(served, CANCEL_ROUTE, post) as response:
            if response.status_code == 204:
                assert response.content == b""
            else:
                assert_refusal(response, post)

    run_examples(cancel)
