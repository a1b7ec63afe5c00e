"""dash_live.core.exceptions: one base class, each error also a builtin of the same meaning."""

from __future__ import annotations

import pytest

import dash_live
from dash_live import (
    DashLiveError,
    InvalidEventNameError,
    InvalidUpdateError,
    NotAttachedError,
    PayloadError,
    PayloadTooLargeError,
    TargetError,
    append,
)
from dash_live.callbacks.request import StreamRequestError


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (InvalidUpdateError, ValueError),
        (PayloadError, TypeError),
        (PayloadTooLargeError, ValueError),
        (InvalidEventNameError, ValueError),
        (TargetError, ValueError),
        (NotAttachedError, RuntimeError),
        (StreamRequestError, ValueError),
    ],
)
def test_hierarchy(error: type[Exception], builtin: type[Exception]) -> None:
    assert issubclass(error, DashLiveError)
    assert issubclass(error, builtin)


def test_every_error_is_exported_and_derives_from_the_base() -> None:
    exported = {
        name: getattr(dash_live, name)
        for name in dash_live.__all__
        if isinstance(getattr(dash_live, name), type)
        and issubclass(getattr(dash_live, name), Exception)
    }
    assert {
        "DashLiveError",
        "InvalidEventNameError",
        "InvalidUpdateError",
        "NotAttachedError",
        "PayloadError",
        "PayloadTooLargeError",
        "TargetError",
    } <= set(exported)
    assert all(issubclass(error, DashLiveError) for error in exported.values())


def test_code_unaware_of_dash_live_still_catches_its_errors() -> None:
    with pytest.raises(ValueError) as info:  # noqa: PT011 (the builtin base is the point)
        append(3)  # type: ignore[arg-type]
    assert isinstance(info.value, InvalidUpdateError)


def test_stream_request_error_carries_an_http_status() -> None:
    assert StreamRequestError("bad").status == 400
    error = StreamRequestError("gone", status=404)
    assert error.status == 404
    assert str(error) == "gone"
