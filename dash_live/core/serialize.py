"""JSON encoding of values the way Dash encodes callback outputs.

Dash serialises with plotly's encoder: components through ``to_plotly_json``, numpy and pandas
values as lists and scalars, datetimes as ISO strings, and NaN or infinity as ``null``. Plotly's
encoder achieves the last by encoding, decoding and re-encoding every value, which triples the
cost of the common case. Here the C encoder runs first, with plotly's per-type conversions as its
``default``; only a value that really holds NaN or infinity takes plotly's slower path.

>>> to_json({"n": 1, "when": __import__("datetime").date(2026, 11, 22)})
'{"n":1,"when":"2026-11-22"}'
>>> to_json([float("nan"), 2.5])
'[null,2.5]'
"""

from __future__ import annotations

import json
from typing import Any

from plotly.io.json import to_json_plotly
from plotly.utils import PlotlyJSONEncoder

from .exceptions import PayloadError

__all__ = ["RawJSON", "SocketJSON", "to_json"]

_PLOTLY = PlotlyJSONEncoder()


def _default(value: Any) -> Any:
    # Dash components and Patch objects describe themselves; everything else (numpy, pandas,
    # datetime, decimal, PIL images) is converted by plotly's encoder as Dash would.
    to_plotly_json = getattr(value, "to_plotly_json", None)
    if callable(to_plotly_json):
        return to_plotly_json()
    if isinstance(value, RawJSON):
        return json.loads(value.text)
    return _PLOTLY.default(value)


_FAST = json.JSONEncoder(default=_default, allow_nan=False, separators=(",", ":"))


def _one_encoder() -> Any:
    # JSONEncoder.encode builds a new C encoder on every call, which costs as much as encoding
    # a small update. This one is built once. Without a markers dict (kept per call by
    # JSONEncoder, and left dirty by a failed encode) a value that contains itself recurses
    # until RecursionError instead of raising "Circular reference", which to_json reports the
    # same way. None where the C accelerator is missing.
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    return make(
        None, _default, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, False
    )


_C_ENCODE = _one_encoder()


def _encode(value: Any) -> str:
    if _C_ENCODE is None:
        return _FAST.encode(value)
    return "".join(_C_ENCODE(value, 0))


def _without_raw(value: Any) -> Any:
    # plotly's encoder knows nothing of RawJSON: decode pre-encoded parts before handing over.
    if isinstance(value, RawJSON):
        return json.loads(value.text)
    if isinstance(value, (list, tuple)):
        return [_without_raw(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_raw(item) for key, item in value.items()}
    return value


def to_json(value: Any) -> str:
    """Encode ``value`` as compact JSON, exactly as Dash would send it as a callback output.

    Raises :class:`~dash_live.core.exceptions.PayloadError` naming the value when it cannot be
    encoded.

    >>> to_json({"text": "hi", "items": (1, 2)})
    '{"text":"hi","items":[1,2]}'
    """
    try:
        return _encode(value)
    except RecursionError:
        raise PayloadError(
            f"cannot encode {value!r}: it contains itself, or is nested too deeply"
        ) from None
    except ValueError as fast_error:
        if "Circular reference" in str(fast_error):
            raise PayloadError(f"cannot encode {value!r}: it contains itself") from None
        # NaN or infinity somewhere inside: plotly's encoder turns them into null like Dash.
        try:
            return str(to_json_plotly(_without_raw(value)))
        except (TypeError, ValueError) as error:
            raise PayloadError(f"cannot encode {value!r} as JSON: {error}") from None
    except TypeError as error:
        raise PayloadError(
            f"cannot encode {value!r} as JSON: {error}; send JSON types, Dash components, "
            "numpy or pandas values, or datetimes"
        ) from None


class RawJSON:
    """JSON text encoded once, ahead of time, to be inserted verbatim into a Socket.IO packet.

    >>> SocketJSON.dumps(["event", RawJSON('{"a":1}')])
    '["event",{"a":1}]'
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return f"RawJSON({self.text[:60]!r}{'...' if len(self.text) > 60 else ''})"

    def __reduce__(self) -> tuple[type[RawJSON], tuple[str]]:
        # Pickled by Socket.IO message queues on the way to other processes.
        return (RawJSON, (self.text,))


class SocketJSON:
    """The ``json`` module python-socketio is given by :func:`dash_live.attach_socketio`.

    python-socketio encodes a packet's data (``[event, *args]``) with ``dumps``. This one
    understands every value Dash does, and splices :class:`RawJSON` arguments in without
    encoding them a second time. Note that python-socketio installs its ``json`` module for the
    whole process.
    """

    @staticmethod
    def dumps(obj: Any, **_options: Any) -> str:
        if isinstance(obj, list) and any(isinstance(item, RawJSON) for item in obj):
            parts = (item.text if isinstance(item, RawJSON) else to_json(item) for item in obj)
            return "[" + ",".join(parts) + "]"
        return to_json(obj)

    @staticmethod
    def loads(text: str | bytes, **options: Any) -> Any:
        return json.loads(text, **options)
