"""``stream_props``: what an event callback yields to update the page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from .exceptions import InvalidUpdateError
from .updates import ComponentId, Update, batch_from_pairs, updates_for

__all__ = ["StreamProps", "stream_props", "updates_of"]


class StreamProps(NamedTuple):
    """Validated prop updates, ready to send. Build it with :func:`stream_props`.

    A named tuple for the same reason as :class:`~dash_live.core.updates.Update`: a generator
    builds one per yield.
    """

    updates: tuple[Update, ...]


def stream_props(
    component_id: ComponentId | Sequence[tuple[ComponentId, dict[str, Any]]] | None = None,
    props: dict[str, Any] | None = None,
    *,
    batch: Sequence[tuple[ComponentId, dict[str, Any]]] | None = None,
) -> StreamProps:
    """Updates for an event callback to ``yield``, applied by the page in one render.

    Works like ``dash.set_props``, one component at a time or as a batch::

        yield stream_props("status", {"children": "working"})
        yield stream_props(component_id="status", props={"children": "working"})
        yield stream_props([("grid", {"rowData": rows}), ("bar", {"value": 40})])
        yield stream_props(batch=[("grid", {"rowData": rows}), ("bar", {"value": 40})])

    Values may be wrapped by :func:`~dash_live.append` or :func:`~dash_live.merge`, or be a
    ``dash.Patch``. Bad ids, props or batches raise :class:`~dash_live.InvalidUpdateError`
    here, where the mistake is, not in the browser.

    >>> stream_props("status", {"children": "ok"}).updates
    (Update(id='status', prop='children', op='set', value='ok'),)
    >>> len(stream_props(batch=[("a", {"children": 1}), ("b", {"value": 2})]).updates)
    2
    """
    if batch is not None:
        if component_id is not None or props is not None:
            raise InvalidUpdateError(
                "stream_props() takes either batch=[...] or a component id and props, not both"
            )
        return StreamProps(tuple(batch_from_pairs(batch)))
    if props is None and isinstance(component_id, (list, tuple)):
        return StreamProps(tuple(batch_from_pairs(component_id)))
    return StreamProps(tuple(updates_for(component_id, props)))


def updates_of(value: object) -> tuple[Update, ...]:
    """The updates of one yielded value: a ``stream_props(...)`` or a list of them."""
    if isinstance(value, StreamProps):
        return value.updates
    if (
        isinstance(value, (list, tuple))
        and value
        and all(isinstance(item, StreamProps) for item in value)
    ):
        return tuple(update for item in value for update in item.updates)
    raise InvalidUpdateError(
        f"an event callback must yield stream_props(...) (or a list of them), got {value!r}"
    )
