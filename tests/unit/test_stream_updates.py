"""dash_live.stream_props: its four call forms and their validation."""

from __future__ import annotations

from typing import Any

import dash
import pytest

from dash_live import InvalidUpdateError, append, merge, stream_props
from dash_live.core.stream_props import StreamProps
from dash_live.core.updates import Update

PAIRS: list[tuple[Any, dict[str, Any]]] = [
    ("grid", {"rowData": [{"a": 1}]}),
    ({"type": "bar", "index": 0}, {"value": 40}),
]
EXPECTED = (
    Update("grid", "rowData", "set", [{"a": 1}]),
    Update({"type": "bar", "index": 0}, "value", "set", 40),
)


def test_positional_id_and_props() -> None:
    assert stream_props("status", {"children": "working"}) == StreamProps(
        (Update("status", "children", "set", "working"),)
    )


def test_keyword_id_and_props() -> None:
    assert stream_props(component_id="status", props={"children": "working"}).updates == (
        Update("status", "children", "set", "working"),
    )


def test_positional_list_of_pairs() -> None:
    assert stream_props(PAIRS).updates == EXPECTED


def test_tuple_of_pairs_is_a_batch_too() -> None:
    assert stream_props(tuple(PAIRS)).updates == EXPECTED


def test_batch_keyword() -> None:
    assert stream_props(batch=PAIRS).updates == EXPECTED


def test_ops_are_kept() -> None:
    patch = dash.Patch()
    patch.append(1)
    updates = stream_props(
        "a", {"children": append("x"), "style": merge({"top": 0}), "data": patch}
    ).updates
    assert [u.op for u in updates] == ["append", "merge", "patch"]


def test_batch_with_id_or_props_is_refused() -> None:
    with pytest.raises(InvalidUpdateError, match=r"either batch=\[\.\.\.\] or a component id"):
        stream_props("a", batch=PAIRS)
    with pytest.raises(InvalidUpdateError, match="not both"):
        stream_props(props={"children": 1}, batch=PAIRS)


def test_empty_batch_is_refused() -> None:
    with pytest.raises(InvalidUpdateError, match="at least one"):
        stream_props(batch=[])
    with pytest.raises(InvalidUpdateError, match="at least one"):
        stream_props([])


def test_id_without_props_is_refused_naming_it() -> None:
    with pytest.raises(InvalidUpdateError, match="props for 'status' must be a non-empty dict"):
        stream_props("status")


def test_nothing_at_all_is_refused() -> None:
    with pytest.raises(InvalidUpdateError, match="got None"):
        stream_props()


def test_bad_pair_in_batch_is_named() -> None:
    with pytest.raises(InvalidUpdateError, match="'oops' is not one"):
        stream_props(batch=[("a", {"children": 1}), "oops"])  # type: ignore[list-item]


def test_bad_id_and_prop_are_named() -> None:
    with pytest.raises(InvalidUpdateError, match="got ''"):
        stream_props("", {"children": 1})
    with pytest.raises(InvalidUpdateError, match=r"'a\.b' is not a valid prop name"):
        stream_props("x", {"a.b": 1})
