"""The stream route inside an app: normal callbacks answer while streams run, routes follow the
path prefix, the page learns the default transport."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import dash
import pytest
import requests
from dash import Input, Output

from dash_live import attach_socketio, event_callback, stream_props
from dash_live.callbacks.streams import live_streams
from dash_live.core.wire import CANCEL_ROUTE, STREAM_ROUTE
from tests.integration.streams import (
    Body,
    Guarded,
    OpenStream,
    Serve,
    new_app,
    post_stream,
    stream_body,
)


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
