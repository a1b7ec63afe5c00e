"""dash_live.core.sse: the Server-Sent Events framing of event-callback streams."""

from __future__ import annotations

import json

import pytest

from dash_live.core.sse import KEEP_ALIVE, end_event, error_event, parse_events, update_event
from dash_live.core.updates import Update, decode_batch, encode_batch


def test_update_event_frame() -> None:
    batch = encode_batch([Update("a", "children", "append", "x\ny")])
    frame = update_event(batch)
    assert frame == f"event: update\ndata: {batch}\n\n"
    # JSON escapes the newline inside the value: data stays one line.
    assert frame.count("\n") == 3


def test_update_event_round_trips_through_parse_events() -> None:
    updates = [Update("a", "children", "append", "multi\nline\r\ntext"), Update("b", "v", "set", 1)]
    [(name, data)] = parse_events(update_event(encode_batch(updates)))
    assert name == "update"
    assert decode_batch(data) == updates


def test_error_event_frame_with_and_without_traceback() -> None:
    [(name, data)] = parse_events(error_event("boom\nsecond line", "Traceback...\n  line 1"))
    assert name == "error"
    assert json.loads(data) == {
        "message": "boom\nsecond line",
        "traceback": "Traceback...\n  line 1",
    }
    [(_, data)] = parse_events(error_event("boom"))
    assert json.loads(data) == {"message": "boom", "traceback": None}


@pytest.mark.parametrize("reason", ["done", "cancelled", "timeout", "error"])
def test_end_event_frame(reason: str) -> None:
    frame = end_event(reason)  # type: ignore[arg-type]
    assert frame == f'event: end\ndata: {{"reason":"{reason}"}}\n\n'
    assert parse_events(frame) == [("end", f'{{"reason":"{reason}"}}')]


def test_keep_alive_is_a_comment_that_parse_events_skips() -> None:
    assert KEEP_ALIVE.startswith(":")
    assert KEEP_ALIVE.endswith("\n\n")
    assert parse_events(KEEP_ALIVE) == []
    text = KEEP_ALIVE + update_event("[]") + KEEP_ALIVE + end_event("done")
    assert [name for name, _ in parse_events(text)] == ["update", "end"]


@pytest.mark.parametrize("data", ["a\nb", "a\rb", "line\r\n"])
def test_multi_line_data_is_refused(data: str) -> None:
    with pytest.raises(ValueError, match="SSE data must be one line"):
        update_event(data)


def test_parse_events_joins_multi_line_data_as_the_spec_says() -> None:
    # https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage
    assert parse_events("event: note\ndata: one\ndata: two\n\n") == [("note", "one\ntwo")]


def test_parse_events_defaults_the_event_name_to_message() -> None:
    assert parse_events("data: hello\n\n") == [("message", "hello")]


def test_parse_events_of_a_whole_stream_keeps_order() -> None:
    updates = [update_event(encode_batch([Update("a", "children", "set", i)])) for i in range(4)]
    text = KEEP_ALIVE + "".join(updates) + error_event("bad") + end_event("error")
    events = parse_events(text)
    assert [name for name, _ in events] == ["update"] * 4 + ["error", "end"]
    values = [decode_batch(data)[0].value for name, data in events if name == "update"]
    assert values == [0, 1, 2, 3]


def complete_part(buffer: str) -> tuple[str, str]:
    """Split a buffer at its last blank line: (complete events, the partial rest)."""
    end = buffer.rfind("\n\n")
    return (buffer[: end + 2], buffer[end + 2 :]) if end >= 0 else ("", buffer)


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 64])
def test_partial_chunks_parse_to_the_same_events(chunk_size: int) -> None:
    stream = (
        KEEP_ALIVE
        + update_event(encode_batch([Update("a", "children", "append", "é✓ " * 20)]))
        + error_event("boom", "tb")
        + end_event("error")
    )
    events: list[tuple[str, str]] = []
    buffer = ""
    for start in range(0, len(stream), chunk_size):
        buffer += stream[start : start + chunk_size]
        complete, buffer = complete_part(buffer)
        events.extend(parse_events(complete))
    assert buffer == ""
    assert events == parse_events(stream)
    assert [name for name, _ in events] == ["update", "error", "end"]


def test_parse_events_drops_an_unterminated_final_event() -> None:
    assert parse_events('event: update\ndata: [["a","x","set",1]]') == []
