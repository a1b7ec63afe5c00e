"""The pure checks of a stream or cancel request, fed generated bodies (issue 12: every refusal
names the problem; no 5xx; no dead handler).

Whatever a client sends, ``parse_stream_request``, ``cancelled_stream``, ``cancel_request`` and
``check_body_size`` either accept it or raise :class:`StreamRequestError` with a 4xx status and
a short message naming the problem: any other exception would reach the client as a 500 (over
HTTP) or as a Socket.IO call never answered.
"""

from __future__ import annotations

import threading
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dash_live.callbacks.request import StreamRequest, StreamRequestError, parse_stream_request
from dash_live.callbacks.settings import StreamSettings
from dash_live.callbacks.streams import (
    cancel_request,
    cancelled_stream,
    check_body_size,
    live_streams,
)
from tests.abuse.strategies import (
    assert_names_problem,
    declare_callbacks,
    json_values,
    near_valid_bodies,
    new_stream_id,
    outcome,
    request_shaped,
    stream_ids,
    texts,
    valid_bodies,
)

# Pure functions: many examples are cheap.
FUZZ = settings(max_examples=250, deadline=None)


def parsed_or_refused(body: object) -> StreamRequest | StreamRequestError:
    """Parse ``body``; a refusal must be a 4xx naming the problem, anything else fails."""
    result = outcome(StreamRequestError, lambda: parse_stream_request(body))
    if isinstance(result, StreamRequestError):
        assert 400 <= result.status < 500, result.status
        assert_names_problem(str(result), repr(body))
    return result


@FUZZ
@given(body=json_values(max_leaves=30))
def test_any_json_value_is_parsed_or_refused_by_name(body: object) -> None:
    declare_callbacks()
    parsed_or_refused(body)


@FUZZ
@given(body=request_shaped())
def test_any_request_shaped_object_is_parsed_or_refused_by_name(body: dict[str, Any]) -> None:
    declare_callbacks()
    parsed_or_refused(body)


@FUZZ
@given(body=valid_bodies())
def test_a_valid_request_is_accepted_as_sent(body: dict[str, Any]) -> None:
    declare_callbacks()
    request = parse_stream_request(body)
    assert request.callback.key == body["callback"]
    assert request.stream_id == body["stream"]
    assert request.inputs == body["inputs"]
    assert request.state == body["state"]
    assert request.changed_prop_ids == body["changedPropIds"]


@FUZZ
@given(body=near_valid_bodies())
def test_a_request_broken_in_one_field_is_parsed_or_refused_by_name(body: dict[str, Any]) -> None:
    declare_callbacks()
    outcome = parsed_or_refused(body)
    if isinstance(outcome, StreamRequest):
        # Accepted (the change kept it valid, a value changed): what runs is what was sent.
        assert outcome.stream_id == body["stream"]
        assert outcome.inputs == body["inputs"]
        assert outcome.state == body.get("state", [])


@FUZZ
@given(body=json_values(max_leaves=30) | st.fixed_dictionaries({"stream": json_values()}))
def test_cancelled_stream_names_a_stream_or_none(body: object) -> None:
    stream = cancelled_stream(body)
    if isinstance(body, dict) and isinstance(body.get("stream"), str):
        assert stream == body["stream"]
    else:
        assert stream is None


class Runner:
    """A stand-in for a running stream: records whether it was told to stop."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()


@FUZZ
@given(
    body=json_values(max_leaves=30)
    | st.fixed_dictionaries({"stream": json_values() | stream_ids() | st.just("VICTIM")}),
    owner=texts(),
)
def test_a_cancel_request_is_handled_or_refused_and_stops_only_the_owners_stream(
    body: object, owner: str
) -> None:
    # A running stream of somebody else's, which no cancel request of ``owner`` may stop.
    victim, runner = new_stream_id(), Runner()
    if isinstance(body, dict) and body.get("stream") == "VICTIM":
        body["stream"] = victim
    live_streams.open(victim, "127.0.0.1", runner, limit=1_000, owner="http:alice")
    try:
        result = outcome(StreamRequestError, lambda: cancel_request(body, "mallory:" + owner))
        if isinstance(result, StreamRequestError):
            assert result.status == 400
            assert_names_problem(str(result), repr(body))
            assert cancelled_stream(body) is None, "a cancel naming a stream was refused"
        else:
            assert cancelled_stream(body) is not None, "a cancel naming no stream was taken"
        assert not runner.cancelled.is_set(), "a cancel request stopped another owner's stream"
        cancel_request({"stream": victim}, "http:alice")
        assert runner.cancelled.is_set(), "the owner's cancel did not stop the stream"
    finally:
        live_streams.close(victim)


@FUZZ
@given(
    length=st.integers() | texts(64) | st.none(),
    limit=st.integers(min_value=0, max_value=2**40),
)
def test_check_body_size_accepts_a_known_size_within_the_limit_only(
    length: int | str | None, limit: int
) -> None:
    within = isinstance(length, int) and length <= limit
    result = outcome(
        StreamRequestError, lambda: check_body_size(length, StreamSettings(max_body_bytes=limit))
    )
    if isinstance(result, StreamRequestError):
        assert result.status == 413
        assert not within, f"{length!r} refused under a limit of {limit}"
        assert_names_problem(str(result), repr(length))
        assert "DASH_LIVE_MAX_BODY_BYTES" in str(result)
        assert str(limit) in str(result)
    else:
        assert within, f"{length!r} accepted over a limit of {limit}"
