"""The dash-live wire format: prop updates and the frames that carry them. Pure, no I/O.

An **update** changes one prop of one component::

    [id, prop, op, value]

``id`` is a component id (a string, or a dict for pattern-matching ids), ``prop`` a prop name,
and ``op`` one of:

========  ==================================================================================
``set``   the prop becomes ``value``
``append`` ``value`` (a string or a list) is added to the end of the current string or list
``merge`` the keys of ``value`` (a dict) are merged into the current dict
``patch`` ``value`` is a ``dash.Patch`` (``{"__dash_patch_update": ..., "operations": [...]}``)
========  ==================================================================================

A **batch** is a JSON array of updates, applied in order and rendered together. Over Socket.IO
a batch is the single argument of the event ``dash-live:update``.

Values are encoded as Dash encodes callback outputs (see :mod:`dash_live.core.serialize`).

In Python, the operation is chosen by the value given for a prop:

>>> for update in updates_for("answer", {"children": append(" word"), "style": {"color": "red"}}):
...     print(update.prop, update.op, update.value)
children append  word
style set {'color': 'red'}
>>> encode_batch(updates_for("answer", {"children": append(" word")}))
'[["answer","children","append"," word"]]'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Union

from . import wire
from .exceptions import InvalidUpdateError
from .serialize import to_json

__all__ = [
    "UPDATE_EVENT",
    "Append",
    "ComponentId",
    "Merge",
    "Update",
    "append",
    "decode_batch",
    "encode_batch",
    "merge",
    "updates_for",
    "validate_component_id",
]

#: The Socket.IO event that carries a batch of updates to DashSocketIO.
UPDATE_EVENT = wire.UPDATE_EVENT

Op = wire.OpName
ComponentId = Union[str, Mapping[str, Any]]  # noqa: UP007 (a runtime alias on Python 3.10)


@dataclass(slots=True)  # not frozen: frozen dataclasses are built several times slower
class Append:
    """Marks a value to append to the prop instead of replacing it. Build it with :func:`append`."""

    value: str | list[Any]


@dataclass(slots=True)  # not frozen: frozen dataclasses are built several times slower
class Merge:
    """Marks a dict to merge into the prop instead of replacing it. Build it with :func:`merge`."""

    value: dict[str, Any]


def append(value: str | Sequence[Any]) -> Append:
    """Append ``value`` to a string or list prop, without re-sending what is already there.

    Strings append to strings, lists (or tuples) extend lists:

    >>> append(" world")
    Append(value=' world')
    >>> append([4, 5])
    Append(value=[4, 5])
    >>> append(3)
    Traceback (most recent call last):
    ...
    dash_live.core.exceptions.InvalidUpdateError: append() takes a str or a list, got 3 (int)
    """
    if isinstance(value, str):
        return Append(value)
    if isinstance(value, (list, tuple)):
        return Append(list(value))
    raise InvalidUpdateError(
        f"append() takes a str or a list, got {value!r} ({type(value).__name__})"
    )


def merge(value: Mapping[str, Any]) -> Merge:
    """Merge the keys of ``value`` into a dict prop (such as ``style``), keeping the others.

    >>> merge({"color": "red"})
    Merge(value={'color': 'red'})
    """
    if not isinstance(value, Mapping):
        raise InvalidUpdateError(f"merge() takes a dict, got {value!r} ({type(value).__name__})")
    return Merge(dict(value))


class Update(NamedTuple):
    """One prop change: the unit every transport carries.

    A named tuple, not a dataclass: one is built for every update a generator yields, and a
    tuple is built several times faster than a frozen dataclass. It also encodes as the wire
    form ``[id, prop, op, value]`` as it is.

    >>> to_json([Update("a", "children", "append", "x")])
    '[["a","children","append","x"]]'
    """

    id: ComponentId
    prop: str
    op: Op
    value: Any

    def to_wire(self) -> list[Any]:
        return [self.id, self.prop, self.op, self.value]


def validate_component_id(component_id: object) -> ComponentId:
    """Return ``component_id`` if Dash accepts it as an id, else raise naming it.

    >>> validate_component_id({"type": "cell", "index": 3})
    {'type': 'cell', 'index': 3}
    >>> validate_component_id("")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dash_live.core.exceptions.InvalidUpdateError: a component id must be ... got ''
    """
    if type(component_id) is str and component_id and "." not in component_id:
        return component_id  # the common case, checked first: this runs for every update
    if isinstance(component_id, str) and component_id:
        if "." in component_id:
            raise InvalidUpdateError(
                f"component id {component_id!r} contains '.', which Dash does not allow in ids"
            )
        return component_id
    if isinstance(component_id, Mapping) and component_id:
        for key, value in component_id.items():
            if not isinstance(key, str) or not isinstance(value, (str, int, float, bool)):
                raise InvalidUpdateError(
                    f"dict id {dict(component_id)!r} must map str keys to str, number or bool "
                    f"values; {key!r}: {value!r} is not allowed"
                )
        return component_id
    raise InvalidUpdateError(
        f"a component id must be a non-empty str or a dict, got {component_id!r}"
    )


def _is_patch(value: object) -> bool:
    return type(value).__name__ == "Patch" and hasattr(value, "to_plotly_json")


def updates_for(component_id: object, props: object) -> list[Update]:
    """The updates that set ``props`` (a dict of prop name to value) on one component.

    A value wrapped by :func:`append` or :func:`merge`, or a ``dash.Patch``, becomes that
    operation; any other value replaces the prop.
    """
    cid = validate_component_id(component_id)
    if not (type(props) is dict or isinstance(props, Mapping)) or not props:
        raise InvalidUpdateError(
            f"props for {cid!r} must be a non-empty dict of prop name to value, got {props!r}"
        )
    updates = []
    for prop, value in props.items():
        if not isinstance(prop, str) or not prop or "." in prop:
            raise InvalidUpdateError(f"{prop!r} is not a valid prop name (for component {cid!r})")
        if isinstance(value, Append):
            updates.append(Update(cid, prop, "append", value.value))
        elif isinstance(value, Merge):
            updates.append(Update(cid, prop, "merge", value.value))
        elif _is_patch(value):
            updates.append(Update(cid, prop, "patch", value.to_plotly_json()))
        else:
            updates.append(Update(cid, prop, "set", value))
    return updates


def batch_from_pairs(pairs: Iterable[object]) -> list[Update]:
    """Updates from ``[(id, props), ...]``: the batch form of push_props and stream_props."""
    updates: list[Update] = []
    for pair in pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise InvalidUpdateError(
                f"a batch holds (component_id, props) pairs; {pair!r} is not one"
            )
        updates.extend(updates_for(pair[0], pair[1]))
    if not updates:
        raise InvalidUpdateError("a batch must hold at least one (component_id, props) pair")
    return updates


_quote = json.encoder.encode_basestring_ascii  # what the JSON encoder does to a str (C)


def encode_batch(updates: Sequence[Update]) -> str:
    """Encode updates as the JSON array DashSocketIO and the stream client apply.

    >>> encode_batch([Update("out", "children", "append", "é\\n")])
    '[["out","children","append","\\\\u00e9\\\\n"]]'
    """
    if len(updates) == 1:
        # The commonest batch by far (a token, a status), string in and string out: written
        # directly, with the encoder's own escaping, at a third of the encoder's cost.
        cid, prop, op, value = updates[0]
        if type(cid) is str and type(value) is str:
            return f'[[{_quote(cid)},{_quote(prop)},"{op}",{_quote(value)}]]'
    # An Update is a tuple: the encoder writes it as the list [id, prop, op, value].
    return to_json(updates if isinstance(updates, (list, tuple)) else list(updates))


def decode_batch(text: str | bytes) -> list[Update]:
    """Decode a batch produced by :func:`encode_batch` (used by tests and tools).

    >>> decode_batch('[["a","children","set","x"]]')
    [Update(id='a', prop='children', op='set', value='x')]
    """
    raw = json.loads(text)
    if not isinstance(raw, list):
        raise InvalidUpdateError(f"a batch must be a JSON array, got {raw!r}")
    updates = []
    for item in raw:
        if not (isinstance(item, list) and len(item) == 4):
            raise InvalidUpdateError(f"an update must be [id, prop, op, value], got {item!r}")
        cid, prop, op, value = item
        if op not in ("set", "append", "merge", "patch"):
            raise InvalidUpdateError(f"unknown update operation {op!r} in {item!r}")
        if not isinstance(prop, str) or not prop:
            raise InvalidUpdateError(f"a prop name must be a non-empty str, got {prop!r}")
        updates.append(Update(validate_component_id(cid), prop, op, value))
    return updates


def stringify_id(component_id: object) -> str:
    """Dash's string form of an id (sorted-key compact JSON for dict ids); wildcards appear
    as Dash writes them (``["ALL"]``).

    >>> stringify_id({"type": "row", "index": 2})
    '{"index":2,"type":"row"}'
    """
    if isinstance(component_id, str):
        return component_id
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"), default=_wildcard_json)


def _wildcard_json(value: object) -> object:
    # Dash's wildcards (ALL, MATCH, ALLSMALLER) know their JSON form; nothing else may appear.
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return json.loads(to_json())
    raise TypeError(f"{value!r} cannot be part of a component id")
