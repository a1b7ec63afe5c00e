"""The wire formats, fed generated updates and frames (issue 12: every refusal names the
problem; no 5xx; no dead handler).

An update batch (:mod:`dash_live.core.updates`) decodes back to what was encoded, as one line of
ASCII; every frame of a run becomes one well-formed Server-Sent Event (:mod:`dash_live.core.sse`)
that reads back as it was sent, however the text is cut on its way; and a decoder handed
garbage refuses it by name instead of failing some other way.
"""

from __future__ import annotations

import json
import math
from typing import Any, get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from dash_live.core.exceptions import InvalidUpdateError
from dash_live.core.frames import End, Failure, Frame, KeepAlive, Updates
from dash_live.core.serialize import to_json
from dash_live.core.sse import EndReason, parse_events, sse_text, update_event
from dash_live.core.updates import Update, decode_batch, encode_batch
from tests.abuse.strategies import assert_names_problem, json_values, outcome, texts

FUZZ = settings(max_examples=200, deadline=None)

# What Dash accepts as an id (validate_component_id): a str without "." or a dict of
# str/number/bool. Finite numbers only: Dash sends NaN and infinities as null.
_ID_VALUES = (
    texts(8) | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans()
)
component_ids = texts().filter(lambda s: bool(s) and "." not in s) | st.dictionaries(
    texts(8), _ID_VALUES, min_size=1, max_size=3
)
prop_names = texts().filter(lambda s: bool(s) and "." not in s)
operations = st.sampled_from(["set", "append", "merge", "patch"])
updates = st.builds(Update, component_ids, prop_names, operations, json_values(finite=True))
batches = st.lists(updates, min_size=1, max_size=6)
str_ids = component_ids.filter(lambda i: isinstance(i, str))
str_updates = st.builds(Update, str_ids, prop_names, operations, texts())

REASONS: tuple[EndReason, ...] = get_args(EndReason)
frames = st.one_of(
    st.builds(Updates, batches.map(encode_batch)),
    st.builds(Failure, texts(200), st.none() | texts(400)),
    st.builds(End, st.sampled_from(REASONS)),
    st.just(KeepAlive()),
)


def expected_event(frame: Frame) -> tuple[str, Any] | None:
    """What the page should read back from ``frame``: (event, decoded data), or None."""
    if isinstance(frame, Updates):
        return ("update", json.loads(frame.batch))
    if isinstance(frame, Failure):
        return ("error", {"message": frame.message, "traceback": frame.traceback})
    if isinstance(frame, End):
        return ("end", {"reason": frame.reason})
    return None


def read_back(text: str) -> list[tuple[str, Any]]:
    return [(name, json.loads(data)) for name, data in parse_events(text)]


@FUZZ
@given(batch=batches)
def test_an_encoded_batch_decodes_back_to_its_updates(batch: list[Update]) -> None:
    assert decode_batch(encode_batch(batch)) == batch


@FUZZ
@given(update=str_updates)
def test_the_one_string_update_shortcut_writes_what_the_encoder_writes(update: Update) -> None:
    encoded = encode_batch([update])
    assert encoded == to_json([update])
    assert decode_batch(encoded) == [update]


@FUZZ
@given(batch=batches)
def test_an_encoded_batch_is_one_line_of_ascii_that_travels_as_one_event(
    batch: list[Update],
) -> None:
    encoded = encode_batch(batch)
    assert encoded.isascii()
    assert "\n" not in encoded
    assert "\r" not in encoded
    assert parse_events(update_event(encoded)) == [("update", encoded)]


@FUZZ
@given(numbers=st.lists(st.floats(), min_size=1, max_size=8))
def test_non_finite_numbers_travel_as_null_as_dash_sends_them(numbers: list[float]) -> None:
    [update] = decode_batch(encode_batch([Update("out", "figure", "set", numbers)]))
    assert update.value == [x if math.isfinite(x) else None for x in numbers]


@FUZZ
@given(value=json_values(max_leaves=20))
def test_decode_batch_takes_a_batch_or_refuses_it_by_name(value: Any) -> None:
    decoded = outcome(InvalidUpdateError, lambda: decode_batch(json.dumps(value)))
    if isinstance(decoded, InvalidUpdateError):
        # A tool's decoder, not a server's: its message may quote the whole value.
        assert_names_problem(str(decoded), repr(value), longest=None)
    else:
        assert isinstance(value, list)
        assert len(decoded) == len(value)
        assert all(isinstance(update, Update) for update in decoded)


@FUZZ
@given(text=texts(64) | st.binary(max_size=64))
def test_decode_batch_refuses_text_that_is_not_json(text: str | bytes) -> None:
    # InvalidUpdateError and json's JSONDecodeError alike are ValueErrors.
    decoded = outcome(ValueError, lambda: decode_batch(text))
    if isinstance(decoded, ValueError):
        assert_names_problem(str(decoded), repr(text), longest=None)
    else:
        assert all(isinstance(update, Update) for update in decoded)


@FUZZ
@given(frame=frames)
def test_every_frame_is_one_well_formed_event(frame: Frame) -> None:
    text = sse_text(frame)
    assert text.endswith("\n\n")
    # The blank line that ends an event comes once, at its end: nothing inside splits it.
    assert "\n\n" not in text[:-2]
    # A browser's EventSource also ends lines at a lone CR: none may appear.
    assert "\r" not in text
    for line in text[:-2].split("\n"):
        assert line.startswith(("event: ", "data: ", ":")), line
    expected = expected_event(frame)
    assert read_back(text) == ([] if expected is None else [expected])


@FUZZ
@given(run=st.lists(frames, max_size=8), cut=st.integers(min_value=0))
def test_a_stream_reads_back_in_order_however_it_is_cut(run: list[Frame], cut: int) -> None:
    text = "".join(sse_text(frame) for frame in run)
    events = read_back(text)
    assert events == [e for e in map(expected_event, run) if e is not None]
    # What arrived so far reads as the events it completes, never as others.
    arrived = text[: cut % (len(text) + 1)]
    assert events[: len(read_back(arrived))] == read_back(arrived)


@FUZZ
@given(data=texts(64))
def test_update_event_keeps_any_one_line_data_and_refuses_the_rest(data: str) -> None:
    one_line = "\n" not in data and "\r" not in data
    event = outcome(ValueError, lambda: update_event(data))
    if isinstance(event, ValueError):
        assert not one_line, f"one line of data refused: {data!r}"
        assert "SSE data must be one line" in str(event)
    else:
        assert one_line, f"several lines of data accepted: {data!r}"
        # As the spec and the page's reader (src/ts/client/sse.ts) read it: one space after
        # "data:" is the separator, every other character is data.
        assert parse_events(event) == [("update", data)]
