"""Folding a backlog of updates into fewer, with the same end result. Pure, no I/O.

When a page reads more slowly than a generator yields, updates queue up on the server. Before
they are sent, the queued run is folded prop by prop, so the backlog costs what its end state
costs rather than what its history did:

- a plain ``set`` replaces whatever came before it for that prop;
- ``append`` after ``set`` or ``append`` (same kind, str or list) concatenates;
- ``merge`` after ``merge`` or a ``set`` of a dict merges;
- a ``patch`` and the incremental props (``extendData``, ``prependData``, ``rowTransaction``,
  whose every value is an increment the component consumes) are never folded: the page keeps
  every increment.

A batch is applied in one render, so folding only removes states that would never have been
seen on screen.

>>> from dash_live.protocol import Update
>>> folded = coalesce([
...     Update("answer", "children", "set", ""),
...     Update("bar", "value", "set", 10),
...     Update("answer", "children", "append", "Hello"),
...     Update("bar", "value", "set", 20),
...     Update("answer", "children", "append", " world"),
... ])
>>> [(u.id, u.prop, u.op, u.value) for u in folded]
[('answer', 'children', 'set', 'Hello world'), ('bar', 'value', 'set', 20)]
"""

from __future__ import annotations

from collections.abc import Sequence

from .protocol import Update
from .stream_request import stringify_id

__all__ = ["INCREMENTAL_PROPS", "coalesce"]

#: Props whose values are increments (the same list as the page's applier, src/ts/client/ops.ts).
INCREMENTAL_PROPS = frozenset({"extendData", "prependData", "rowTransaction"})


def _key(update: Update) -> tuple[str, str]:
    return stringify_id(update.id), update.prop


def _fold(before: Update, after: Update) -> Update | None:
    """``before`` then ``after`` (same prop) as one update, or None when they do not fold."""
    if after.op == "append" and before.op in ("set", "append"):
        old, new = before.value, after.value
        if isinstance(old, str) and isinstance(new, str):
            return Update(before.id, before.prop, before.op, old + new)
        if isinstance(old, list) and isinstance(new, list):
            return Update(before.id, before.prop, before.op, old + new)
    if after.op == "merge" and before.op in ("set", "merge") and isinstance(before.value, dict):
        return Update(before.id, before.prop, before.op, {**before.value, **after.value})
    return None


def coalesce(updates: Sequence[Update]) -> list[Update]:
    """Fold ``updates`` (applied in order, in one render) into an equivalent shorter list."""
    if len(updates) < 2:
        return list(updates)
    out: list[Update | None] = []
    last: dict[tuple[str, str], int] = {}  # key -> index in out of its latest update
    for update in updates:
        key = _key(update)
        if update.prop in INCREMENTAL_PROPS or update.op == "patch":
            last.pop(key, None)  # nothing folds across an increment or a patch
            out.append(update)
            continue
        index = last.get(key)
        if update.op == "set":
            if index is not None:
                out[index] = None  # the prop's earlier state would never be seen
            last[key] = len(out)
            out.append(update)
            continue
        previous = out[index] if index is not None else None
        folded = _fold(previous, update) if previous is not None else None
        if folded is not None and index is not None:
            out[index] = folded
        else:
            last[key] = len(out)
            out.append(update)
    return [update for update in out if update is not None]
