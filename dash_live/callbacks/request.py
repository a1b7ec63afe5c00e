"""Validation of a stream request against the event callback it names. Pure, no I/O.

The browser sends what Dash's renderer sends for a callback (``inputs``, ``state``,
``changedPropIds``), plus the callback key and a stream id. Every id and prop must be one the
callback declared (a pattern-matching dependency accepts the ids its pattern matches), so a
client can start only what the app registered, with only the values the app asked for.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dash.dependencies import ALL, ALLSMALLER, MATCH, Input, State

from ..core.exceptions import DashLiveError
from ..core.updates import stringify_id
from .decorator import EventCallback, registered

__all__ = ["StreamRequest", "StreamRequestError", "not_json_body", "parse_stream_request"]

_STREAM_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# A refusal shows the client's values cut to this many characters: it names the problem, it
# does not send a body of up to DASH_LIVE_MAX_BODY_BYTES back (issue 12).
_SHOWN = 120
_WILDCARDS = (ALL, MATCH, ALLSMALLER)
_MULTI = (ALL, ALLSMALLER)


class StreamRequestError(DashLiveError, ValueError):
    """A stream request the server refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StreamRequest:
    callback: EventCallback
    stream_id: str
    inputs: list[Any]
    state: list[Any]
    changed_prop_ids: list[str]


def _shown(value: object) -> str:
    """``repr(value)`` for a refusal message, cut to ``_SHOWN`` characters.

    >>> _shown("x" * 1000)[-8:]
    'xxxxx...'
    """
    text = repr(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def _is_wildcard(value: object) -> bool:
    return any(value == w for w in _WILDCARDS)


def _pattern(dep: Input | State) -> Any:
    return dep.component_id


def _multi(dep: Input | State) -> bool:
    pattern = _pattern(dep)
    return isinstance(pattern, dict) and any(any(v == w for w in _MULTI) for v in pattern.values())


def _matches(pattern: object, concrete: object, matched: dict[str, Any]) -> bool:
    if not isinstance(pattern, dict):
        return pattern == concrete
    if not isinstance(concrete, dict) or set(concrete) != set(pattern):
        return False
    for key, want in pattern.items():
        got = concrete[key]
        if not isinstance(got, (str, int, float, bool)):
            return False
        if want == MATCH:
            # Every MATCH in one request must stand for the same value.
            if matched.setdefault(key, got) != got:
                return False
        elif not _is_wildcard(want) and want != got:
            return False
    return True


def _check_entry(dep: Input | State, entry: object, matched: dict[str, Any], where: str) -> None:
    if not isinstance(entry, Mapping) or set(entry) - {"id", "property", "value"}:
        raise StreamRequestError(f"{where}: expected {{id, property, value}}, got {_shown(entry)}")
    if entry.get("property") != dep.component_property:
        raise StreamRequestError(
            f"{where}: {_shown(entry.get('id'))}.{_shown(entry.get('property'))} is not the "
            f"declared {stringify_id(_pattern(dep))!r}.{dep.component_property!r}"
        )
    if not _matches(_pattern(dep), entry.get("id"), matched):
        raise StreamRequestError(
            f"{where}: id {_shown(entry.get('id'))} is not declared by the callback "
            f"(declared: {stringify_id(_pattern(dep))!r})"
        )


def _check_list(
    deps: Sequence[Input | State], given: object, name: str, matched: dict[str, Any]
) -> list[Any]:
    if not isinstance(given, list) or len(given) != len(deps):
        raise StreamRequestError(
            f"{name} must be a list of {len(deps)} entries, one per declared dependency"
        )
    for index, (dep, entry) in enumerate(zip(deps, given, strict=True)):
        where = f"{name}[{index}]"
        if _multi(dep):
            if not isinstance(entry, list) or len(entry) > 10_000:
                raise StreamRequestError(f"{where}: a pattern-matching dependency takes a list")
            for item in entry:
                _check_entry(dep, item, matched, where)
        else:
            _check_entry(dep, entry, matched, where)
    return given


def parse_stream_request(body: object) -> StreamRequest:
    """Check a decoded request body; raise :class:`StreamRequestError` naming what is wrong."""
    if not isinstance(body, dict):
        raise StreamRequestError(f"the request body must be a JSON object, got {body!r:.80}")
    key = body.get("callback")
    callback = registered(key) if isinstance(key, str) else None
    if callback is None:
        raise StreamRequestError(f"no event callback is registered as {_shown(key)}", status=404)
    stream_id = body.get("stream")
    if not isinstance(stream_id, str) or not _STREAM_ID.fullmatch(stream_id):
        raise StreamRequestError(
            f"stream must be an id of 8-64 letters/digits, got {_shown(stream_id)}"
        )
    # Every MATCH of the request, in inputs and state alike, stands for the same value.
    matched: dict[str, Any] = {}
    inputs = _check_list(callback.inputs, body.get("inputs"), "inputs", matched)
    state = _check_list(callback.states, body.get("state", []), "state", matched)
    changed = body.get("changedPropIds", [])
    allowed = set()
    for entry in inputs:
        for item in entry if isinstance(entry, list) else [entry]:
            allowed.add(f"{stringify_id(item['id'])}.{item['property']}")
    if not isinstance(changed, list) or any(
        not isinstance(c, str) or c not in allowed for c in changed
    ):
        raise StreamRequestError(
            f"changedPropIds must name inputs of this request, got {changed!r:.200}"
        )
    return StreamRequest(callback, stream_id, inputs, state, changed)


def not_json_body() -> StreamRequestError:
    """The refusal of a stream or cancel request whose body could not be read as JSON (the ASGI
    backends; Flask's own reader says the same, see transports/flask_sse.py)."""
    return StreamRequestError(
        "the request body must be a JSON object; it was null, not JSON, or nested too deeply "
        "to read"
    )
