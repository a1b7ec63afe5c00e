"""dash_live.callbacks.request: a stream request must match the dependencies its callback
declared."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dash import ALL, ALLSMALLER, MATCH, Input, State

from dash_live import event_callback, stream_props
from dash_live._compat import DASH_VERSION, MATCH_WITHOUT_OUTPUTS
from dash_live.callbacks.request import StreamRequestError, parse_stream_request
from dash_live.core.stream_props import StreamProps
from dash_live.core.updates import stringify_id

STREAM = "abcdef0123456789"
GO = {"id": "go", "property": "n_clicks", "value": 1}
QUESTION = {"id": "question", "property": "value", "value": "why?"}


def key_of(func: Any) -> str:
    return f"{func.__module__}.{func.__qualname__}"


@pytest.fixture
def plain() -> str:
    @event_callback(Input("go", "n_clicks"), State("question", "value"))
    def answer(n_clicks: int, question: str) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": question})

    return key_of(answer)


def body(key: str, **fields: Any) -> dict[str, Any]:
    request: dict[str, Any] = {
        "callback": key,
        "stream": STREAM,
        "inputs": [GO],
        "state": [QUESTION],
        "changedPropIds": ["go.n_clicks"],
    }
    request.update(fields)
    return request


def refused(request: object, status: int = 400) -> str:
    with pytest.raises(StreamRequestError) as info:
        parse_stream_request(request)
    assert info.value.status == status
    return str(info.value)


# Valid requests.


def test_a_valid_request(plain: str) -> None:
    request = parse_stream_request(body(plain))
    assert request.callback.key == plain
    assert request.stream_id == STREAM
    assert request.inputs == [GO]
    assert request.state == [QUESTION]
    assert request.changed_prop_ids == ["go.n_clicks"]


def test_state_and_changed_prop_ids_may_be_left_out_when_empty() -> None:
    @event_callback(Input("go", "n_clicks"))
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    request = parse_stream_request({"callback": key_of(gen), "stream": STREAM, "inputs": [GO]})
    assert request.state == []
    assert request.changed_prop_ids == []


def test_value_may_be_absent_as_dash_omits_it_for_unset_props(plain: str) -> None:
    request = parse_stream_request(body(plain, inputs=[{"id": "go", "property": "n_clicks"}]))
    assert request.inputs == [{"id": "go", "property": "n_clicks"}]


@pytest.mark.parametrize("stream", ["a" * 8, "A-b_C-9" + "x" * 57])
def test_stream_id_lengths(plain: str, stream: str) -> None:
    assert parse_stream_request(body(plain, stream=stream)).stream_id == stream


def cell(index: int, value: Any = 1) -> dict[str, Any]:
    return {"id": {"type": "cell", "index": index}, "property": "n_clicks", "value": value}


def cell_prop_id(index: int) -> str:
    return f'{{"index":{index},"type":"cell"}}.n_clicks'


@pytest.fixture
def with_all() -> str:
    @event_callback(Input({"type": "cell", "index": ALL}, "n_clicks"))
    def gen(clicks: list[int]) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": sum(clicks)})

    return key_of(gen)


def test_all_takes_a_list_of_matching_entries(with_all: str) -> None:
    request = parse_stream_request(
        body(
            with_all,
            inputs=[[cell(0), cell(1), cell(2)]],
            state=[],
            changedPropIds=[cell_prop_id(1)],
        )
    )
    assert request.inputs == [[cell(0), cell(1), cell(2)]]
    assert request.changed_prop_ids == ['{"index":1,"type":"cell"}.n_clicks']


def test_all_with_no_components(with_all: str) -> None:
    request = parse_stream_request(body(with_all, inputs=[[]], state=[], changedPropIds=[]))
    assert request.inputs == [[]]


@pytest.fixture
def with_match() -> str:
    if DASH_VERSION < MATCH_WITHOUT_OUTPUTS:
        pytest.skip("needs Dash >= 4.1: MATCH in a callback without outputs")

    @event_callback(
        Input({"type": "cell", "index": MATCH}, "n_clicks"),
        State({"type": "label", "index": MATCH}, "children"),
        State({"type": "label", "index": ALLSMALLER}, "children"),
    )
    def gen(clicks: int, label: str, before: list[str]) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": label})

    return key_of(gen)


def label(index: int) -> dict[str, Any]:
    return {"id": {"type": "label", "index": index}, "property": "children", "value": f"L{index}"}


def test_match_and_allsmaller_shaped_as_dash_shapes_them(with_match: str) -> None:
    request = parse_stream_request(
        body(
            with_match,
            inputs=[cell(2)],
            state=[label(2), [label(0), label(1)]],
            changedPropIds=[cell_prop_id(2)],
        )
    )
    assert request.inputs == [cell(2)]
    assert request.state == [label(2), [label(0), label(1)]]


def test_stringify_id_is_dash_s_form() -> None:
    assert stringify_id("go") == "go"
    assert stringify_id({"type": "cell", "index": 1}) == '{"index":1,"type":"cell"}'


# Refused requests: the status to answer with and a message naming what is wrong.


@pytest.mark.parametrize("request_body", [None, [], "text", 3])
def test_body_must_be_an_object(request_body: object) -> None:
    assert f"got {request_body!r}" in refused(request_body)


def test_long_bodies_are_cut_in_the_message() -> None:
    message = refused(["x" * 1000])
    assert len(message) < 200


def test_unknown_callback_is_404(plain: str) -> None:
    assert "no event callback is registered as 'tests.nothing'" in refused(
        body("tests.nothing"), status=404
    )
    assert "registered as None" in refused(body(plain, callback=None), status=404)
    assert "registered as 3" in refused(body(plain, callback=3), status=404)


@pytest.mark.parametrize("stream", ["short", "x" * 65, "has space1", "slash/123", None, 12345678])
def test_bad_stream_id_is_named(plain: str, stream: object) -> None:
    assert f"got {stream!r}" in refused(body(plain, stream=stream))


def test_stream_id_with_trailing_newline_is_refused(plain: str) -> None:
    refused(body(plain, stream="abcdefgh\n"))


@pytest.mark.parametrize("inputs", [None, GO, [], [GO, GO]])
def test_inputs_must_be_one_entry_per_input(plain: str, inputs: object) -> None:
    assert "inputs must be a list of 1 entries" in refused(body(plain, inputs=inputs))


@pytest.mark.parametrize("state", [None, [], [QUESTION, QUESTION]])
def test_state_must_be_one_entry_per_state(plain: str, state: object) -> None:
    assert "state must be a list of 1 entries" in refused(body(plain, state=state))


def test_entry_with_unknown_keys_is_named(plain: str) -> None:
    entry = {"id": "go", "property": "n_clicks", "value": 1, "extra": True}
    message = refused(body(plain, inputs=[entry]))
    assert message.startswith("inputs[0]: expected {id, property, value}")
    assert "'extra': True" in message


def test_entry_that_is_not_an_object(plain: str) -> None:
    assert "state[0]: expected {id, property, value}, got 'why?'" in refused(
        body(plain, state=["why?"])
    )


def test_undeclared_property_is_named(plain: str) -> None:
    message = refused(body(plain, inputs=[{"id": "go", "property": "disabled", "value": 1}]))
    assert "inputs[0]: 'go'.'disabled' is not the declared 'go'.'n_clicks'" in message


def test_undeclared_id_is_named(plain: str) -> None:
    message = refused(body(plain, state=[{"id": "password", "property": "value", "value": "x"}]))
    assert "state[0]: id 'password' is not declared by the callback (declared: 'question')" in (
        message
    )


@pytest.mark.parametrize("changed", [["question.value"], ["other.n_clicks"], "go.n_clicks"])
def test_changed_prop_ids_must_name_inputs(plain: str, changed: object) -> None:
    message = refused(body(plain, changedPropIds=changed))
    assert message.startswith("changedPropIds must name inputs of this request")
    assert repr(changed)[:20] in message


def test_unhashable_changed_prop_id_is_refused(plain: str) -> None:
    refused(body(plain, changedPropIds=[{"a": 1}]))


def test_all_entries_must_be_a_list(with_all: str) -> None:
    message = refused(body(with_all, inputs=[cell(0)], state=[], changedPropIds=[]))
    assert message == "inputs[0]: a pattern-matching dependency takes a list"


def test_id_outside_an_all_pattern_is_refused(with_all: str) -> None:
    row = {"id": {"type": "row", "index": 0}, "property": "n_clicks", "value": 1}
    message = refused(body(with_all, inputs=[[cell(0), row]], state=[], changedPropIds=[]))
    assert "{'type': 'row', 'index': 0}" in message


def test_wrong_property_under_a_pattern_is_refused(with_all: str) -> None:
    entry = dict(cell(0), property="disabled")
    message = refused(body(with_all, inputs=[[entry]], state=[], changedPropIds=[]))
    assert "'disabled'" in message


def test_match_must_stand_for_one_value(with_match: str) -> None:
    message = refused(
        body(with_match, inputs=[cell(2)], state=[label(3), []], changedPropIds=[cell_prop_id(2)])
    )
    assert "'index': 3" in message


@pytest.mark.parametrize(
    "bad_id",
    [
        {"type": "cell"},  # a key missing
        {"type": "cell", "index": 0, "extra": 1},  # a key too many
        {"type": "cell", "index": [0]},  # not a str, number or bool
        "cell-0",  # not a dict
    ],
)
def test_ids_that_cannot_match_a_pattern_are_refused(with_match: str, bad_id: Any) -> None:
    entry = {"id": bad_id, "property": "n_clicks", "value": 1}
    message = refused(body(with_match, inputs=[entry], state=[label(0), []], changedPropIds=[]))
    assert message.startswith("inputs[0]: id ")


def test_refusals_are_dash_live_value_errors(plain: str) -> None:
    with pytest.raises(ValueError, match="stream must be an id"):
        parse_stream_request(body(plain, stream="bad"))
