"""dash_live.callbacks.legacy: dash-event-callback's setup_event_callback, kept as a warning shim
whose timeout becomes the default stream timeout."""

from __future__ import annotations

import re

import flask
import pytest

import dash_live
from dash_live.callbacks.settings import StreamSettings, server_config

NOT_NEEDED = re.escape("setup_event_callback() is not needed with dash-live")


def test_it_is_importable_from_the_package() -> None:
    assert "setup_event_callback" in dash_live.__all__
    assert dash_live.setup_event_callback is not None


def test_it_warns_with_what_to_write_instead() -> None:
    with pytest.warns(DeprecationWarning, match=NOT_NEEDED) as caught:
        dash_live.setup_event_callback(timeout=300)
    message = str(caught[0].message)
    assert 'app.server.config["DASH_LIVE_STREAM_TIMEOUT"] = 300' in message
    assert "timeout=300" in message


def test_its_default_is_the_originals_30_seconds() -> None:
    assert StreamSettings.from_config({}).timeout == 60.0
    with pytest.warns(DeprecationWarning, match=NOT_NEEDED):
        dash_live.setup_event_callback()
    assert StreamSettings.from_config({}).timeout == 30.0


def test_its_timeout_becomes_the_default_of_every_app() -> None:
    with pytest.warns(DeprecationWarning, match=NOT_NEEDED):
        dash_live.setup_event_callback(timeout=300)
    server = flask.Flask("x")
    assert StreamSettings.from_config(server_config(server)).timeout == 300.0


def test_an_apps_own_setting_still_wins() -> None:
    with pytest.warns(DeprecationWarning, match=NOT_NEEDED):
        dash_live.setup_event_callback(timeout=300)
    server = flask.Flask("x")
    server.config["DASH_LIVE_STREAM_TIMEOUT"] = 5
    assert StreamSettings.from_config(server_config(server)).timeout == 5.0


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "30", None])
def test_a_bad_timeout_is_refused_by_value(bad: object) -> None:
    with pytest.raises(ValueError, match=re.escape(f"got {bad!r}")):
        dash_live.setup_event_callback(timeout=bad)  # type: ignore[arg-type]
    assert StreamSettings.from_config({}).timeout == 60.0
