"""dash_live.core.updates: every op round-trips through encode_batch/decode_batch; bad input raises
InvalidUpdateError naming the value."""

from __future__ import annotations

import json
from typing import Any

import dash
import pytest

from dash_live import InvalidUpdateError, append, merge
from dash_live.core.updates import (
    UPDATE_EVENT,
    Append,
    Merge,
    Update,
    batch_from_pairs,
    decode_batch,
    encode_batch,
    updates_for,
    validate_component_id,
)


def round_trip(updates: list[Update]) -> list[Update]:
    return decode_batch(encode_batch(updates))


# Round trips, one per op.


def test_set_round_trips() -> None:
    updates = updates_for("answer", {"children": "hello", "style": {"color": "red"}})
    assert [(u.prop, u.op) for u in updates] == [("children", "set"), ("style", "set")]
    assert round_trip(updates) == updates


def test_append_text_round_trips() -> None:
    updates = updates_for("answer", {"children": append(" word")})
    assert updates == [Update("answer", "children", "append", " word")]
    assert round_trip(updates) == updates


def test_append_list_round_trips() -> None:
    updates = updates_for("log", {"children": append([1, "two", {"three": 3}])})
    assert updates == [Update("log", "children", "append", [1, "two", {"three": 3}])]
    assert round_trip(updates) == updates


def test_merge_round_trips() -> None:
    updates = updates_for("box", {"style": merge({"color": "red", "width": 3})})
    assert updates == [Update("box", "style", "merge", {"color": "red", "width": 3})]
    assert round_trip(updates) == updates


def test_patch_round_trips_as_dash_encodes_it() -> None:
    patch = dash.Patch()
    patch.append(4)
    patch["title"] = "new"
    updates = updates_for("fig", {"data": patch})
    assert len(updates) == 1
    assert updates[0].op == "patch"
    assert updates[0].value == patch.to_plotly_json()
    decoded = round_trip(updates)
    assert decoded[0].op == "patch"
    assert decoded[0].value["__dash_patch_update"] == "__dash_patch_update"
    assert [op["operation"] for op in decoded[0].value["operations"]] == ["Append", "Assign"]


def test_batch_of_every_op_round_trips_in_order() -> None:
    patch = dash.Patch()
    patch.prepend("x")
    updates = batch_from_pairs(
        [
            ("a", {"children": "set"}),
            ("b", {"children": append("more")}),
            ({"type": "cell", "index": 2}, {"style": merge({"top": 0})}),
            ("c", {"data": patch}),
        ]
    )
    assert [u.op for u in updates] == ["set", "append", "merge", "patch"]
    assert round_trip(updates) == [
        Update(u.id, u.prop, u.op, json.loads(json.dumps(u.value))) for u in updates
    ]


def test_encode_batch_is_compact_json_array_of_updates() -> None:
    text = encode_batch([Update("a", "children", "set", [1, None])])
    assert text == '[["a","children","set",[1,null]]]'


def test_update_event_name_is_namespaced() -> None:
    assert UPDATE_EVENT == "dash-live:update"


# append() and merge().


def test_append_accepts_tuple_as_list() -> None:
    assert append((1, 2)) == Append([1, 2])


@pytest.mark.parametrize("bad", [3, None, {"a": 1}, b"bytes", 2.5])
def test_append_rejects_non_str_non_list_naming_it(bad: Any) -> None:
    with pytest.raises(InvalidUpdateError, match="append\\(\\) takes a str or a list") as info:
        append(bad)
    assert repr(bad) in str(info.value)
    assert type(bad).__name__ in str(info.value)


def test_merge_copies_the_mapping() -> None:
    source = {"color": "red"}
    marker = merge(source)
    source["color"] = "blue"
    assert marker == Merge({"color": "red"})


@pytest.mark.parametrize("bad", [[("a", 1)], "color: red", 5, None])
def test_merge_rejects_non_mapping_naming_it(bad: Any) -> None:
    with pytest.raises(InvalidUpdateError, match="merge\\(\\) takes a dict") as info:
        merge(bad)
    assert repr(bad) in str(info.value)


# Ids and props.


def test_dict_ids_are_kept_as_dicts() -> None:
    cid = {"type": "cell", "index": 3, "on": True}
    updates = updates_for(cid, {"children": "x"})
    assert updates[0].id == cid
    assert round_trip(updates)[0].id == cid


@pytest.mark.parametrize("bad", ["", {}, None, 3, ["a"]])
def test_invalid_component_ids_are_named(bad: Any) -> None:
    with pytest.raises(InvalidUpdateError, match="a component id must be") as info:
        validate_component_id(bad)
    assert repr(bad) in str(info.value)


def test_id_with_dot_is_refused() -> None:
    with pytest.raises(InvalidUpdateError, match=r"'a\.b' contains '\.'"):
        updates_for("a.b", {"children": 1})


@pytest.mark.parametrize(
    "bad_id", [{"type": ["x"]}, {1: "x"}, {"type": None}, {"type": {"nested": 1}}]
)
def test_dict_id_with_bad_key_or_value_is_named(bad_id: dict[Any, Any]) -> None:
    with pytest.raises(InvalidUpdateError, match="must map str keys") as info:
        validate_component_id(bad_id)
    assert repr(bad_id) in str(info.value)


@pytest.mark.parametrize("bad_prop", ["", "a.b", 3])
def test_invalid_prop_names_are_named(bad_prop: Any) -> None:
    with pytest.raises(InvalidUpdateError, match="is not a valid prop name") as info:
        updates_for("answer", {bad_prop: 1})
    assert repr(bad_prop) in str(info.value)
    assert "'answer'" in str(info.value)


@pytest.mark.parametrize("bad_props", [{}, None, [("children", 1)], "children"])
def test_props_must_be_a_non_empty_dict(bad_props: Any) -> None:
    with pytest.raises(InvalidUpdateError, match="must be a non-empty dict") as info:
        updates_for("answer", bad_props)
    assert repr(bad_props) in str(info.value)


def test_batch_from_pairs_with_dict_ids() -> None:
    updates = batch_from_pairs(
        [({"type": "cell", "index": 0}, {"children": "a"}), ("b", {"value": 1, "max": 2})]
    )
    assert updates == [
        Update({"type": "cell", "index": 0}, "children", "set", "a"),
        Update("b", "value", "set", 1),
        Update("b", "max", "set", 2),
    ]


@pytest.mark.parametrize("bad_pair", ["ab", ("a",), ("a", {"children": 1}, "extra"), 7])
def test_batch_from_pairs_rejects_non_pairs_naming_them(bad_pair: Any) -> None:
    with pytest.raises(InvalidUpdateError, match="is not one") as info:
        batch_from_pairs([("ok", {"children": 1}), bad_pair])
    assert repr(bad_pair) in str(info.value)


def test_batch_from_pairs_rejects_empty_batch() -> None:
    with pytest.raises(InvalidUpdateError, match="at least one"):
        batch_from_pairs([])


def test_batch_from_pairs_validates_each_pair() -> None:
    with pytest.raises(InvalidUpdateError, match="a component id must be"):
        batch_from_pairs([("ok", {"children": 1}), ("", {"children": 2})])


# Decoding malformed batches.


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1}', "a batch must be a JSON array, got {'a': 1}"),
        ('[["a", "children", "set"]]', "an update must be \\[id, prop, op, value\\]"),
        ('["a"]', "an update must be \\[id, prop, op, value\\], got 'a'"),
        ('[["a", "children", "replace", 1]]', "unknown update operation 'replace'"),
        ('[["", "children", "set", 1]]', "a component id must be"),
        ('[[null, "children", "set", 1]]', "got None"),
    ],
)
def test_decode_batch_rejects_malformed_batches(text: str, message: str) -> None:
    with pytest.raises(InvalidUpdateError, match=message):
        decode_batch(text)


def test_decode_batch_accepts_bytes() -> None:
    assert decode_batch(b'[["a","value","set",1]]') == [Update("a", "value", "set", 1)]


def test_decode_batch_of_non_json_raises_value_error() -> None:
    # json.JSONDecodeError; like InvalidUpdateError it is a ValueError.
    with pytest.raises(ValueError, match="Expecting value"):
        decode_batch("not json")


def test_decode_batch_rejects_invalid_prop_names() -> None:
    with pytest.raises(InvalidUpdateError, match="3"):
        decode_batch('[["a", 3, "set", 1]]')


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (the builtin base is the point)
        append(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    ["plain", 'quote " and \\ backslash', "é ü 漢字 😀", "\n\r\t\x00\x1f\x7f", "</script>", ""],
)
def test_the_single_string_fast_path_encodes_as_the_encoder_does(value: str) -> None:
    from dash_live.core.serialize import to_json

    update = Update("out", "children", "append", value)
    assert encode_batch([update]) == to_json([[update.id, update.prop, update.op, update.value]])
    assert json.loads(encode_batch([update])) == [["out", "children", "append", value]]
