"""coalesce: a backlog folds to the same end state, and increments are never lost."""

from __future__ import annotations

from typing import Any

import pytest

from dash_live.core.coalesce import coalesce
from dash_live.core.updates import Update


def wire(updates: list[Update]) -> list[list[Any]]:
    return [u.to_wire() for u in updates]


def apply(updates: list[Update], state: dict[tuple[str, str], Any]) -> dict[tuple[str, str], Any]:
    """A reference applier for set/append/merge, as the page applies them."""
    state = dict(state)
    for u in updates:
        key = (str(u.id), u.prop)
        if u.op == "set":
            state[key] = u.value
        elif u.op == "append":
            state[key] = state.get(key, type(u.value)()) + u.value
        elif u.op == "merge":
            state[key] = {**state.get(key, {}), **u.value}
    return state


def test_sets_keep_the_latest_value() -> None:
    updates = [Update("n", "children", "set", i) for i in range(1000)]
    assert wire(coalesce(updates)) == [["n", "children", "set", 999]]


def test_appends_concatenate_strings_and_lists() -> None:
    text = [Update("t", "children", "append", f"w{i} ") for i in range(100)]
    items = [Update("l", "data", "append", [i]) for i in range(5)]
    assert wire(coalesce(text + items)) == [
        ["t", "children", "append", "".join(f"w{i} " for i in range(100))],
        ["l", "data", "append", [0, 1, 2, 3, 4]],
    ]


def test_append_after_set_becomes_one_set() -> None:
    updates = [Update("t", "children", "set", "a"), Update("t", "children", "append", "b")]
    assert wire(coalesce(updates)) == [["t", "children", "set", "ab"]]


def test_merges_fold_into_each_other_and_into_a_set_dict() -> None:
    updates = [
        Update("s", "style", "set", {"color": "red"}),
        Update("s", "style", "merge", {"width": 1}),
        Update("s", "style", "merge", {"color": "blue"}),
    ]
    assert wire(coalesce(updates)) == [["s", "style", "set", {"color": "blue", "width": 1}]]


@pytest.mark.parametrize("prop", ["extendData", "prependData", "rowTransaction"])
def test_increments_are_never_folded(prop: str) -> None:
    updates = [Update("g", prop, "set", {"add": [i]}) for i in range(3)]
    assert wire(coalesce(updates)) == wire(updates)


def test_nothing_folds_across_a_patch() -> None:
    patch = {"__dash_patch_update": "__dash_patch_update", "operations": []}
    updates = [
        Update("t", "children", "append", "a"),
        Update("t", "children", "patch", patch),
        Update("t", "children", "append", "b"),
    ]
    assert wire(coalesce(updates)) == wire(updates)


def test_mixed_kinds_that_do_not_fold_stay_in_order() -> None:
    updates = [
        Update("t", "children", "set", 5),
        Update("t", "children", "append", "x"),  # append to a number: the page's business
    ]
    assert wire(coalesce(updates)) == wire(updates)


def test_dict_ids_fold_by_their_canonical_form() -> None:
    updates = [
        Update({"type": "c", "index": 1}, "children", "set", 1),
        Update({"index": 1, "type": "c"}, "children", "set", 2),
    ]
    assert wire(coalesce(updates)) == [[{"index": 1, "type": "c"}, "children", "set", 2]]


def test_any_mix_reaches_the_same_end_state() -> None:
    ops: list[Update] = []
    for i in range(300):
        key = ("a", "b", "c")[i % 3]
        kind = i % 7
        if kind in (0, 1, 2):
            ops.append(Update(key, "children", "append", f"{i},"))
        elif kind == 3:
            ops.append(Update(key, "children", "set", f"reset{i};"))
        elif kind == 4:
            ops.append(Update(key, "style", "merge", {f"k{i % 5}": i}))
        elif kind == 5:
            ops.append(Update(key, "style", "set", {"base": i}))
        else:
            ops.append(Update(key, "value", "set", i))
    start: dict[tuple[str, str], Any] = {(k, "children"): "" for k in "abc"}
    start.update({(k, "style"): {} for k in "abc"})
    folded = coalesce(ops)
    assert len(folded) < len(ops) / 10
    assert apply(folded, start) == apply(ops, start)


def test_a_long_run_folds_to_one_update_and_leaves_its_inputs_alone() -> None:
    rows: list[Any] = [[0]]
    style = {"color": "red"}
    updates = [
        Update("text", "children", "set", "start:"),
        *(Update("text", "children", "append", f"t{i} ") for i in range(5000)),
        Update("table", "data", "set", rows),
        *(Update("table", "data", "append", [i]) for i in range(1, 100)),
        Update("box", "style", "set", style),
        *(Update("box", "style", "merge", {f"k{i % 7}": i}) for i in range(50)),
    ]
    before = [Update(u.id, u.prop, u.op, u.value) for u in updates]
    assert wire(coalesce(updates)) == [
        ["text", "children", "set", "start:" + "".join(f"t{i} " for i in range(5000))],
        ["table", "data", "set", [[0], *range(1, 100)]],
        ["box", "style", "set", {"color": "red", **{f"k{i % 7}": i for i in range(43, 50)}}],
    ]
    # The values the generator yielded are not modified: they may still be in its hands.
    assert updates == before
    assert rows == [[0]]
    assert style == {"color": "red"}


def test_subclasses_of_str_list_and_dict_fold_like_their_bases() -> None:
    class Text(str):
        pass

    class Style(dict[str, Any]):
        pass

    updates = [
        Update("a", "children", "set", Text("x")),
        Update("a", "children", "append", "y"),
        Update("b", "style", "set", Style(color="red")),
        Update("b", "style", "merge", {"width": 1}),
    ]
    assert wire(coalesce(updates)) == [
        ["a", "children", "set", "xy"],
        ["b", "style", "set", {"color": "red", "width": 1}],
    ]
