"""dash_live.core.serialize: values encode exactly as Dash encodes callback outputs."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import pickle
from typing import Any

import dash
import numpy as np
import pandas as pd
import pytest
from dash import dcc, html
from dash._utils import to_json as dash_to_json

from dash_live import PayloadError
from dash_live.core.serialize import RawJSON, SocketJSON, to_json

# Each value is compared with dash._utils.to_json, which is what Dash sends for an output.
DASH_VALUES: dict[str, Any] = {
    "numpy int array": np.array([1, 2, 3]),
    "numpy 2-d array": np.array([[1.5, 2.0], [3.0, 4.0]]),
    "numpy float64": np.float64(1.5),
    "numpy int64": np.int64(7),
    "numpy bool": np.bool_(True),
    "numpy datetime64": np.datetime64("2024-01-02"),
    "numpy array with nan": np.array([1.0, np.nan, np.inf]),
    "pandas series": pd.Series([1, 2, 3]),
    "pandas series with missing": pd.Series([1.0, None]),
    "pandas timestamp": pd.Timestamp("2024-01-02 03:04:05"),
    "pandas NaT": pd.NaT,
    "pandas records": pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_dict("records"),
    "datetime": dt.datetime(2024, 1, 2, 3, 4, 5),
    "aware datetime": dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
    "date": dt.date(2026, 11, 22),
    "decimal": decimal.Decimal("1.25"),
    "nan": float("nan"),
    "inf in list": [float("inf"), float("-inf"), 1],
    "nan in dict": {"a": float("nan"), "b": [2.5]},
    "component": html.Div([html.Span("x"), dcc.Input(id="q", value=3)], id="root"),
    "plain": {"text": "hi", "items": (1, 2), "none": None, "unicode": "é✓"},
}


@pytest.mark.parametrize("name", DASH_VALUES)
def test_encodes_as_dash_does(name: str) -> None:
    value = DASH_VALUES[name]
    assert to_json(value) == dash_to_json(value)


def test_numpy_and_pandas_values() -> None:
    assert to_json(np.array([[1, 2], [3, 4]])) == "[[1,2],[3,4]]"
    assert to_json({"x": np.float32(0.5), "n": np.int8(-3)}) == '{"x":0.5,"n":-3}'
    assert to_json(pd.Series([1.0, np.nan])) == "[1.0,null]"
    assert to_json(pd.Timestamp("2024-01-02 03:04:05")) == '"2024-01-02T03:04:05"'


def test_datetimes_as_iso_strings() -> None:
    assert to_json([dt.date(2026, 11, 22), dt.datetime(2026, 1, 2, 3, 4)]) == (
        '["2026-11-22","2026-01-02T03:04:00"]'
    )


def test_nan_and_infinity_become_null() -> None:
    assert to_json([float("nan"), float("inf"), -float("inf"), 2.5]) == "[null,null,null,2.5]"
    assert to_json({"deep": {"er": [np.nan]}}) == '{"deep":{"er":[null]}}'


def test_component_is_encoded_through_to_plotly_json() -> None:
    decoded = json.loads(to_json(html.Div("x", id="a")))
    assert decoded == {
        "props": {"children": "x", "id": "a"},
        "type": "Div",
        "namespace": "dash_html_components",
    }


def test_patch_is_encoded_as_its_operations() -> None:
    patch = dash.Patch()
    patch.append(3)
    patch["title"] = "t"
    decoded = json.loads(to_json(patch))
    assert decoded["__dash_patch_update"] == "__dash_patch_update"
    assert decoded["operations"] == [
        {"operation": "Append", "location": [], "params": {"value": 3}},
        {"operation": "Assign", "location": ["title"], "params": {"value": "t"}},
    ]


def test_raw_json_is_spliced_as_its_value() -> None:
    assert to_json({"pre": RawJSON('{"a":[1,2]}')}) == '{"pre":{"a":[1,2]}}'


def test_output_is_compact() -> None:
    assert to_json({"a": [1, 2], "b": {"c": None}}) == '{"a":[1,2],"b":{"c":null}}'


class Opaque:
    pass


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (Opaque(), "Opaque"),
        ({"nested": [Opaque()]}, "Opaque"),
        ([float("nan"), Opaque()], "Opaque"),
        ({1, 2}, "set"),
        (b"bytes", "bytes"),
    ],
)
def test_unserialisable_value_raises_payload_error_naming_the_type(
    value: Any, type_name: str
) -> None:
    with pytest.raises(PayloadError, match="cannot encode") as info:
        to_json(value)
    assert f"Object of type {type_name} is not JSON serializable" in str(info.value)


def test_dataframe_is_refused_as_dash_refuses_it() -> None:
    frame = pd.DataFrame({"a": [1, 2]})
    with pytest.raises(TypeError, match="DataFrame"):
        dash_to_json(frame)
    with pytest.raises(PayloadError, match="Object of type DataFrame"):
        to_json(frame)


def test_payload_error_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        to_json(Opaque())


def test_circular_value_raises_payload_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(PayloadError, match="it contains itself"):
        to_json(loop)


def test_raw_json_with_nan_beside_it() -> None:
    assert to_json([RawJSON('{"a":1}'), float("nan")]) == '[{"a":1},null]'


# RawJSON and SocketJSON, the json module python-socketio is given.


def test_raw_json_repr_is_truncated() -> None:
    assert repr(RawJSON('"' + "x" * 100 + '"')).endswith("...)")
    assert repr(RawJSON("[1]")) == "RawJSON('[1]')"
    assert len(RawJSON("[1,2]")) == 5


def test_raw_json_survives_pickling() -> None:
    # Message queues pickle emitted values on their way to other processes.
    restored = pickle.loads(pickle.dumps(RawJSON('{"a":1}')))
    assert isinstance(restored, RawJSON)
    assert restored.text == '{"a":1}'


def test_socket_json_splices_raw_arguments() -> None:
    packet = ["event", RawJSON('{"a":1}'), {"b": np.int64(2)}]
    assert SocketJSON.dumps(packet) == '["event",{"a":1},{"b":2}]'
    assert SocketJSON.loads(SocketJSON.dumps(packet)) == ["event", {"a": 1}, {"b": 2}]


def test_socket_json_encodes_plain_packets_as_dash() -> None:
    assert SocketJSON.dumps(["event", float("nan")]) == '["event",null]'
    assert SocketJSON.dumps({"sid": "x"}) == '{"sid":"x"}'
