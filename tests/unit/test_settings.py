"""dash_live.callbacks.settings: stream settings read from the server's config."""

from __future__ import annotations

import pytest

from dash_live.callbacks.settings import StreamSettings
from tests.conftest import needs_fastapi


def test_defaults() -> None:
    settings = StreamSettings.from_config({})
    assert settings.timeout == 60.0
    assert settings.keepalive == 2.0
    assert settings.max_streams_per_client == 32
    assert settings.max_body_bytes == 1024 * 1024


def test_values_from_the_config_are_converted() -> None:
    settings = StreamSettings.from_config(
        {
            "DASH_LIVE_STREAM_TIMEOUT": 300,
            "DASH_LIVE_KEEPALIVE": "0.5",
            "DASH_LIVE_MAX_STREAMS_PER_CLIENT": "4",
            "DASH_LIVE_MAX_BODY_BYTES": 2048,
            "UNRELATED": 1,
        }
    )
    assert (settings.timeout, settings.keepalive) == (300.0, 0.5)
    assert (settings.max_streams_per_client, settings.max_body_bytes) == (4, 2048)
    assert isinstance(settings.timeout, float)


@needs_fastapi
def test_a_fastapi_app_keeps_its_settings_on_its_state() -> None:
    from fastapi import FastAPI

    from dash_live.callbacks.settings import server_config

    server = FastAPI()
    assert StreamSettings.from_config(server_config(server)) == StreamSettings()
    server.state.DASH_LIVE_KEEPALIVE = 0.25
    server.state.DASH_LIVE_TRANSPORT = "socketio"
    settings = StreamSettings.from_config(server_config(server))
    assert (settings.keepalive, settings.transport) == (0.25, "socketio")


def test_a_server_with_neither_config_nor_state_has_the_defaults() -> None:
    from dash_live.callbacks.settings import server_config

    assert server_config(object()) == {}


def test_held_writes_are_on_by_default_and_can_be_set() -> None:
    assert (StreamSettings().busy_hold, StreamSettings().busy_share) == (0.04, 0.5)
    settings = StreamSettings.from_config({"DASH_LIVE_BUSY_HOLD": "0", "DASH_LIVE_BUSY_SHARE": 1})
    assert (settings.busy_hold, settings.busy_share) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DASH_LIVE_BUSY_HOLD", -0.1),
        ("DASH_LIVE_BUSY_HOLD", "soon"),
        ("DASH_LIVE_BUSY_SHARE", float("nan")),
        ("DASH_LIVE_BUSY_SHARE", float("inf")),
        ("DASH_LIVE_BUSY_SHARE", None),
    ],
)
def test_a_bad_held_write_setting_is_refused_by_name(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"{name} must be a number of at least 0, got {value!r}"):
        StreamSettings.from_config({name: value})
