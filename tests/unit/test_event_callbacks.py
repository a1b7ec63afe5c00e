"""dash_live.callbacks.decorator: decoration-time validation, the registry, and the clientside
callbacks that start and cancel streams."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import dash
import pytest
from dash import ALL, MATCH, Input, Output, State, html
from dash._callback import GLOBAL_CALLBACK_LIST, GLOBAL_INLINE_SCRIPTS

from dash_live import InvalidUpdateError, PayloadError, event_callback, stream_props
from dash_live.callbacks.decorator import all_registered, registered, reset
from dash_live.core.stream_props import StreamProps
from dash_live.core.updates import Update
from dash_live.core.wire import STREAM_ROUTE
from tests.conftest import needs_initial_call, needs_match

GO = Input("go", "n_clicks")


def key_of(func: Any) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def script_of(entry: dict[str, Any]) -> str:
    """The JavaScript body Dash keeps for a clientside callback entry."""
    name = entry["clientside_function"]["function_name"]
    [script] = [s for s in GLOBAL_INLINE_SCRIPTS if name in s]
    return str(script)


def config_in(script: str, call: str) -> Any:
    match = re.search(rf"window\.dash_live\.{call}\((.*), window\.dash_clientside", script)
    assert match, script
    return match.group(1)


# Registration.


def test_registers_under_module_and_qualname() -> None:
    @event_callback(GO, State("q", "value"), prevent_initial_call=True)
    def answer(n_clicks: int, question: str) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": question})

    key = key_of(answer)
    assert key == f"{__name__}.test_registers_under_module_and_qualname.<locals>.answer"
    spec = registered(key)
    assert spec is not None
    assert spec.func is answer
    assert spec.name == answer.__qualname__
    assert [(d.component_id, d.component_property) for d in spec.inputs] == [("go", "n_clicks")]
    assert [(d.component_id, d.component_property) for d in spec.states] == [("q", "value")]
    assert spec.timeout is None


def test_returns_the_function_unchanged() -> None:
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    assert event_callback(GO)(gen) is gen


def test_async_generators_are_accepted() -> None:
    @event_callback(GO)
    async def agen(n: int) -> AsyncIterator[StreamProps]:
        yield stream_props("out", {"children": n})

    assert registered(key_of(agen)) is not None


def test_reset_forgets_every_callback() -> None:
    @event_callback(GO)
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    assert registered(key_of(gen)) is not None
    reset()
    assert registered(key_of(gen)) is None


def test_unknown_key_is_not_registered() -> None:
    assert registered("no.such.callback") is None


def test_options_are_stored_validated() -> None:
    def on_error(error: Exception) -> None:
        return None

    @event_callback(
        GO,
        running=[(Output("go", "disabled"), True, False)],
        cancel=[Input("stop", "n_clicks"), (Input("mode", "value"), "off")],
        reset_props={"out": {"children": "Stopped."}},
        on_error=on_error,
        timeout=5,
    )
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    spec = registered(key_of(gen))
    assert spec is not None
    assert [(r.output.component_id, r.during, r.after) for r in spec.running] == [
        ("go", True, False)
    ]
    assert [(i.component_id, target) for i, target in spec.cancel][1] == ("mode", "off")
    assert spec.reset_updates == (Update("out", "children", "set", "Stopped."),)
    assert spec.on_error is on_error
    assert spec.timeout == 5.0


def test_reset_props_in_both_forms() -> None:
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    event_callback(GO, reset_props={"a": {"children": 1}, "b": {"value": 2}})(gen)
    as_dict = registered(key_of(gen))
    event_callback(GO, reset_props=[("a", {"children": 1}), ("b", {"value": 2})])(gen)
    as_pairs = registered(key_of(gen))
    assert as_dict is not None
    assert as_pairs is not None
    assert as_dict.reset_updates == as_pairs.reset_updates
    assert [u.id for u in as_pairs.reset_updates] == ["a", "b"]


@needs_match
def test_pattern_matching_dependencies_are_kept() -> None:
    @event_callback(Input({"type": "cell", "index": ALL}, "n_clicks"), State({"k": MATCH}, "v"))
    def gen(clicks: list[int], value: Any) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": 1})

    spec = registered(key_of(gen))
    assert spec is not None
    assert spec.inputs[0].component_id == {"type": "cell", "index": ALL}
    assert spec.states[0].component_id == {"k": MATCH}


# Decoration-time validation.


def test_non_generator_function_is_refused_naming_it() -> None:
    def plain(n: int) -> str:
        return "x"

    with pytest.raises(TypeError, match=r"'test_non_generator_function_is_refused_naming_it\."):
        event_callback(GO)(plain)
    with pytest.raises(TypeError, match="does not yield"):
        event_callback(GO)(plain)
    assert registered(key_of(plain)) is None


def test_coroutine_function_is_refused() -> None:
    async def coroutine(n: int) -> None:
        return None

    with pytest.raises(TypeError, match="decorates a generator function"):
        event_callback(GO)(coroutine)


def test_output_is_refused_pointing_to_stream_props() -> None:
    with pytest.raises(TypeError, match=r"takes no Output .*yield stream_props"):
        event_callback(Output("out", "children"), GO)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["go.n_clicks", ("go", "n_clicks"), None, 3])
def test_other_dependencies_are_refused_naming_them(bad: Any) -> None:
    with pytest.raises(TypeError, match="takes Input and State dependencies") as info:
        event_callback(GO, bad)
    assert repr(bad) in str(info.value)


def test_at_least_one_input() -> None:
    with pytest.raises(TypeError, match="needs at least one Input"):
        event_callback(State("q", "value"))
    with pytest.raises(TypeError, match="needs at least one Input"):
        event_callback()


def test_inputs_come_first() -> None:
    with pytest.raises(TypeError, match="takes its Inputs first, then its States"):
        event_callback(State("q", "value"), GO)
    with pytest.raises(TypeError, match="Inputs first"):
        event_callback(GO, State("q", "value"), Input("other", "value"))


@pytest.mark.parametrize(
    ("running", "error", "message"),
    [
        ([(Output("go", "disabled"), True)], TypeError, "triples, got \\(<Output"),
        ([Output("go", "disabled")], TypeError, "triples, got <Output `go.disabled`>"),
        ([("go", True, False)], TypeError, "must be an Output, got 'go'"),
        ([(Input("go", "disabled"), True, False)], TypeError, "must be an Output, got <Input"),
        ([(Output("go", "disabled"), object(), False)], PayloadError, "Object of type object"),
        ([(Output("", "disabled"), True, False)], InvalidUpdateError, "got ''"),
    ],
)
def test_bad_running(running: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        event_callback(GO, running=running)


@pytest.mark.parametrize(
    ("cancel", "error", "message"),
    [
        ("stop", TypeError, "cancel takes Inputs or \\(Input, target_value\\) pairs, got 'stop'"),
        ([State("stop", "n_clicks")], TypeError, "got <State `stop.n_clicks`>"),
        ([(Input("stop", "n_clicks"),)], TypeError, "pairs, got \\(<Input"),
        ([("stop", 1)], TypeError, "got \\('stop', 1\\)"),
        ([(Input("mode", "value"), object())], PayloadError, "Object of type object"),
    ],
)
def test_bad_cancel(cancel: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        event_callback(GO, cancel=cancel)


def test_cancel_accepts_a_single_input() -> None:
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    event_callback(GO, cancel=Input("stop", "n_clicks"))(gen)
    spec = registered(key_of(gen))
    assert spec is not None
    assert [i.component_id for i, _ in spec.cancel] == ["stop"]


@pytest.mark.parametrize(
    ("reset_props", "error", "message"),
    [
        ("out", TypeError, "reset_props takes \\{id: props\\} or .*got 'out'"),
        (42, TypeError, "got 42"),
        ([("out",)], TypeError, "reset_props holds \\(id, props\\) pairs, got \\('out',\\)"),
        ({"out": "Stopped."}, InvalidUpdateError, "props for 'out' must be a non-empty dict"),
        ({"": {"children": 1}}, InvalidUpdateError, "got ''"),
        ({"out": {"children": object()}}, PayloadError, "Object of type object"),
    ],
)
def test_bad_reset_props(reset_props: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        event_callback(GO, reset_props=reset_props)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "5", [5]])
def test_bad_timeout_is_named(bad: Any) -> None:
    with pytest.raises(ValueError, match="timeout must be a positive number") as info:
        event_callback(GO, timeout=bad)
    assert repr(bad) in str(info.value)


def test_fractional_timeout_is_accepted() -> None:
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    event_callback(GO, timeout=0.5)(gen)
    spec = registered(key_of(gen))
    assert spec is not None
    assert spec.timeout == 0.5


@pytest.mark.parametrize("bad", ["handler", 3])
def test_on_error_must_be_callable(bad: Any) -> None:
    with pytest.raises(TypeError, match="on_error must be callable") as info:
        event_callback(GO, on_error=bad)
    assert repr(bad) in str(info.value)


# The clientside callbacks.


def test_start_callback_has_no_output_and_the_same_dependencies() -> None:
    @event_callback(
        GO,
        State("q", "value"),
        prevent_initial_call=True,
        running=[(Output("go", "disabled"), True, False)],
        reset_props=[("out", {"children": "Stopped."})],
    )
    def answer(n: int, q: str) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": q})

    [entry] = GLOBAL_CALLBACK_LIST
    assert entry["no_output"] is True
    assert entry["inputs"] == [{"id": "go", "property": "n_clicks"}]
    assert entry["state"] == [{"id": "q", "property": "value"}]
    assert entry["prevent_initial_call"] is True
    config = json.loads(config_in(script_of(entry), "startStream"))
    assert config["callback"] == key_of(answer)
    assert config["running"] == [["go", "disabled", True, False]]
    assert config["reset"] == [["out", "children", "set", "Stopped."]]


def test_the_default_waits_for_an_input_change_as_dash_event_callback_does() -> None:
    # dash-event-callback defaults to prevent_initial_call=True: a migrated app must not start
    # every stream (an LLM call, a database scan) when the page loads.
    @event_callback(GO)
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    [entry] = GLOBAL_CALLBACK_LIST
    assert entry["prevent_initial_call"] is True


@pytest.mark.parametrize("concat", [True, False])
def test_concat_is_accepted_and_changes_nothing(concat: bool) -> None:
    @event_callback(GO, concat=concat)
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    [entry] = GLOBAL_CALLBACK_LIST
    assert registered(key_of(gen)) is not None
    assert entry["prevent_initial_call"] is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"concat": "yes"}, "concat must be True or False (it has no effect), got 'yes'"),
        ({"prevent_initial_call": None}, "prevent_initial_call must be True or False, got None"),
    ],
)
def test_flags_that_are_not_booleans_are_refused_by_value(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=re.escape(message)):
        event_callback(GO, **kwargs)


@needs_initial_call
def test_prevent_initial_call_false_starts_on_load() -> None:
    @event_callback(GO, prevent_initial_call=False)
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    [entry] = GLOBAL_CALLBACK_LIST
    assert entry["prevent_initial_call"] is False


def test_pattern_matching_inputs_reach_the_clientside_callback() -> None:
    @event_callback(Input({"type": "cell", "index": ALL}, "n_clicks"))
    def gen(clicks: list[int]) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": 1})

    [entry] = GLOBAL_CALLBACK_LIST
    assert entry["inputs"] == [{"id": '{"index":["ALL"],"type":"cell"}', "property": "n_clicks"}]


def test_cancel_callback_with_targets() -> None:
    @event_callback(GO, cancel=[Input("stop", "n_clicks"), (Input("mode", "value"), "off")])
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    start, cancel = GLOBAL_CALLBACK_LIST
    assert "startStream" in script_of(start)
    assert cancel["no_output"] is True
    assert cancel["prevent_initial_call"] is True
    assert cancel["inputs"] == [
        {"id": "stop", "property": "n_clicks"},
        {"id": "mode", "property": "value"},
    ]
    arguments = config_in(script_of(cancel), "cancelStream")
    key, targets = json.loads(f"[{arguments}]")
    assert key == key_of(gen)
    assert targets == [None, ["off"]]


def test_no_cancel_callback_without_cancel_inputs() -> None:
    @event_callback(GO)
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    [entry] = GLOBAL_CALLBACK_LIST
    assert "startStream" in script_of(entry)


def test_an_existing_app_gets_the_stream_routes() -> None:
    app = dash.Dash(__name__)
    app.layout = html.Div()

    @event_callback(GO)
    def gen(n: int) -> Iterator[StreamProps]:
        yield stream_props("out", {"children": n})

    rules = {rule.rule for rule in app.server.url_map.iter_rules()}
    assert f"/{STREAM_ROUTE}" in rules
    assert "/_dash-live/cancel" in rules


def test_two_apps_from_one_factory_keep_their_own_generators() -> None:
    def create_app(label: str) -> str:
        @event_callback(Input("go", "n_clicks"), prevent_initial_call=True)
        def stream(_clicks: int) -> Iterator[StreamProps]:
            yield stream_props("out", {"children": label})

        spec = next(s for s in all_registered() if s.func is stream)
        return spec.key

    first, second = create_app("A"), create_app("B")
    assert second == first + "#2"
    for key, label in ((first, "A"), (second, "B")):
        spec = registered(key)
        assert spec is not None
        assert next(spec.func(1)).updates[0].value == label
