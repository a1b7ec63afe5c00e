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

>>> from dash_live.core.updates import Update
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
from typing import Any

from . import wire
from .updates import Update, stringify_id

__all__ = ["INCREMENTAL_PROPS", "coalesce"]

#: Props whose values are increments (the same list as the page's applier, src/ts/client/ops.ts).
INCREMENTAL_PROPS = wire.INCREMENTAL_PROPS


def _key(update: Update) -> tuple[str, str]:
    return stringify_id(update.id), update.prop


class _Run:
    """An update and the appends or merges folded into it so far.

    The pieces are kept apart and combined once, in :meth:`result`: adding each append to the
    text so far would copy the text once per append, quadratic in a long backlog of tokens.
    """

    __slots__ = ("first", "kind", "pieces")

    def __init__(self, first: Update) -> None:
        self.first = first
        value = first.value
        # What later appends or merges can fold into: text, a list, or a dict (a set's value).
        self.kind: type | None = next((k for k in (str, list, dict) if isinstance(value, k)), None)
        self.pieces: list[Any] = [value]

    def absorb(self, after: Update) -> bool:
        """Fold ``after`` (same prop, later) in; False when it does not fold."""
        if after.op == "append" and self.first.op in ("set", "append"):
            if self.kind in (str, list) and isinstance(after.value, self.kind):
                self.pieces.append(after.value)
                return True
        elif after.op == "merge" and self.first.op in ("set", "merge") and self.kind is dict:
            self.pieces.append(after.value)
            return True
        return False

    def result(self) -> Update:
        first, pieces = self.first, self.pieces
        if len(pieces) == 1:
            return first
        if self.kind is str:
            value: Any = "".join(pieces)
        elif self.kind is list:
            value = [item for piece in pieces for item in piece]
        else:
            value = {}
            for piece in pieces:
                value.update(piece)
        return Update(first.id, first.prop, first.op, value)


def coalesce(updates: Sequence[Update]) -> list[Update]:
    """Fold ``updates`` (applied in order, in one render) into an equivalent shorter list."""
    if len(updates) < 2:
        return list(updates)
    out: list[_Run | Update | None] = []
    last: dict[tuple[str, str], int] = {}  # key -> index in out of its latest foldable run
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
        else:
            run = out[index] if index is not None else None
            if isinstance(run, _Run) and run.absorb(update):
                continue
        last[key] = len(out)
        out.append(_Run(update))
    return [item.result() if isinstance(item, _Run) else item for item in out if item is not None]
