"""Only what the app registered starts, with only the values it declared; malformed, oversized and
repeated requests are refused naming the problem; the app's request hooks apply."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator

import flask
import pytest
import requests
from dash import Input

from dash_live import event_callback, stream_props
from dash_live.callbacks.streams import live_streams
from dash_live.core.wire import STREAM_ROUTE
from tests.integration.streams import (
    GO,
    Body,
    Guarded,
    OpenStream,
    Serve,
    complete_events,
    new_app,
    post_stream,
    stream_body,
    updates_in,
    wait_until,
)


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
