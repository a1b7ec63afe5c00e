"""dash_live._compat: what each supported Dash can run, refused at declaration when it cannot,
and the app being served found on every version."""

from __future__ import annotations

import re
from collections.abc import Iterator

import dash
import flask
import pytest
from dash import ALL, ALLSMALLER, MATCH, Input, State

from dash_live import UnsupportedDashError, _compat, event_callback, stream_props
from dash_live._compat import (
    DASH_VERSION,
    INITIAL_CALL_WITHOUT_OUTPUTS,
    MATCH_WITHOUT_OUTPUTS,
    _version,
    current_app,
    remember_app,
)
from dash_live.core.stream_props import StreamProps


def gen(*_args: object) -> Iterator[StreamProps]:
    yield stream_props("out", {"children": 1})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.0.0", (3, 0)),
        ("3.2.0", (3, 2)),
        ("4.4.1", (4, 4)),
        ("4.10.0rc1", (4, 10)),
        ("5", (5, 0)),
    ],
)
def test_the_dash_version_is_read_as_major_and_minor(text: str, expected: tuple[int, int]) -> None:
    assert _version(text) == expected


def test_the_installed_dash_refuses_exactly_what_it_cannot_run() -> None:
    # Run in every venv of `make compat`: on Dash 3.x these raise, on 4.4.1 they register.
    match = Input({"type": "cell", "index": MATCH}, "n_clicks")
    if DASH_VERSION < MATCH_WITHOUT_OUTPUTS:
        with pytest.raises(UnsupportedDashError, match=re.escape(f"Dash {dash.__version__}")):
            event_callback(match)(gen)
    else:
        assert event_callback(match)(gen) is gen
    if DASH_VERSION < INITIAL_CALL_WITHOUT_OUTPUTS:
        with pytest.raises(UnsupportedDashError, match=re.escape("plotly/dash#3770")):
            event_callback(Input("go", "n_clicks"), prevent_initial_call=False)(gen)
    else:
        assert event_callback(Input("go", "n_clicks"), prevent_initial_call=False)(gen) is gen


@pytest.fixture
def dash_3_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_compat, "DASH_VERSION", (3, 2))


@pytest.mark.parametrize(
    ("kwargs", "wildcard"),
    [
        ({}, MATCH),
        ({}, ALLSMALLER),
        ({"cancel": [Input({"type": "stop", "index": MATCH}, "n_clicks")]}, None),
    ],
)
@pytest.mark.usefixtures("dash_3_2")
def test_a_wildcard_on_an_old_dash_is_refused_when_declared(
    kwargs: dict[str, object], wildcard: object
) -> None:
    deps: list[Input | State] = [Input("go", "n_clicks")]
    if wildcard is not None:
        deps.append(State({"type": "cell", "index": wildcard}, "value"))
    with pytest.raises(UnsupportedDashError) as refused:
        event_callback(*deps, **kwargs)  # type: ignore[arg-type]
    message = str(refused.value)
    assert "needs Dash >= 4.1" in message
    assert f"this is Dash {dash.__version__}" in message
    assert ("ALLSMALLER" if wildcard is ALLSMALLER else "MATCH") in message


@pytest.mark.usefixtures("dash_3_2")
def test_an_initial_call_on_an_old_dash_is_refused_when_declared() -> None:
    with pytest.raises(UnsupportedDashError, match=re.escape("needs Dash >= 4.2")):
        event_callback(Input("go", "n_clicks"), prevent_initial_call=False)
    # What that Dash does run is still accepted: ALL, and the default prevent_initial_call.
    assert event_callback(Input({"type": "cell", "index": ALL}, "n_clicks"))(gen) is gen


def test_unsupported_dash_is_a_dash_live_runtime_error() -> None:
    from dash_live import DashLiveError

    assert issubclass(UnsupportedDashError, DashLiveError)
    assert issubclass(UnsupportedDashError, RuntimeError)


def test_the_app_serving_a_flask_request_is_found_when_several_exist() -> None:
    first = dash.Dash("first")
    second = dash.Dash("second")  # created last: what dash.get_app() alone answers on Dash 3
    remember_app(first)
    remember_app(second)
    with first.server.app_context():
        assert current_app() is first
    with second.server.app_context():
        assert current_app() is second


def test_outside_any_request_the_current_app_is_dash_get_app() -> None:
    app = dash.Dash("alone")
    assert not flask.has_app_context()
    assert current_app() is dash.get_app() is app
