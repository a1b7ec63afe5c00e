"""``@event_callback``: a generator callback whose yields stream to the page over SSE.

Registration: the decorator validates its arguments at once, remembers the callback in a
process-wide registry (keyed by module and name, so every worker process agrees on the key),
and registers through ``dash.clientside_callback`` a callback with no outputs on the same
Inputs and States. When an Input changes, that clientside callback starts the stream
(``window.dash_live.startStream``), so prevent_initial_call, pattern matching and the
callback context behave exactly as in any Dash callback. Like ``@dash.callback``, it works
before or after ``Dash()`` is created, in page modules too.
"""

from __future__ import annotations

import inspect
import json
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dash
from dash.dependencies import ALLSMALLER, MATCH, Input, Output, State

from .._compat import check_event_callback
from ..core.serialize import to_json
from ..core.updates import Update, updates_for, validate_component_id
from .settings import Transport, check_transport

__all__ = ["EventCallback", "event_callback", "registered", "reset"]

F = TypeVar("F", bound=Callable[..., Any])

ErrorHandler = Callable[[Exception], Any]


@dataclass(frozen=True)
class Running:
    """A prop set while the stream runs and restored when it ends, however it ends."""

    output: Output
    during: Any
    after: Any


@dataclass
class EventCallback:
    """What the stream route needs to know about one registered event callback."""

    key: str
    func: Callable[..., Any]
    inputs: tuple[Input, ...]
    states: tuple[State, ...]
    running: tuple[Running, ...] = ()
    cancel: tuple[tuple[Input, Any], ...] = ()
    reset_updates: tuple[Update, ...] = ()
    on_error: ErrorHandler | None = None
    timeout: float | None = None
    transport: Transport | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.func.__qualname__


_registry: dict[str, EventCallback] = {}
# Called after each registration. The composition root (dash_live/transports/install.py) adds
# the stream routes to an app that already exists here: this module cannot import the
# transports, which import it.
registration_hooks: list[Callable[[], None]] = []
_lock = threading.Lock()
_NO_TARGET = object()


def registered(key: str) -> EventCallback | None:
    """The event callback registered under ``key``, if any."""
    return _registry.get(key)


def _unique_key(base: str, func: Callable[..., Any]) -> str:
    # A factory that builds two apps declares two functions with one qualified name; numbering
    # the later ones keeps each app's button on its own generator. The numbering follows the
    # order of declaration, which every worker process running the same code repeats.
    with _lock:
        key, number = base, 1
        while key in _registry and _registry[key].func is not func:
            number += 1
            key = f"{base}#{number}"
        return key


def all_registered() -> list[EventCallback]:
    """Every registered event callback."""
    with _lock:
        return list(_registry.values())


def reset() -> None:
    """Forget every registered event callback (for tests)."""
    with _lock:
        _registry.clear()


def _check_dependencies(dependencies: Sequence[object]) -> tuple[list[Input], list[State]]:
    inputs, states = [], []
    for dep in dependencies:
        if isinstance(dep, Input):
            inputs.append(dep)
        elif isinstance(dep, State):
            states.append(dep)
        elif isinstance(dep, Output):
            raise TypeError(
                f"event_callback takes no Output ({dep!r}): yield stream_props(...) to update "
                "any component, or use running=[...] for props set while it runs"
            )
        else:
            raise TypeError(f"event_callback takes Input and State dependencies, got {dep!r}")
    if not inputs:
        raise TypeError("event_callback needs at least one Input to start it")
    if any(isinstance(dep, Input) for dep in dependencies[len(inputs) :]):
        raise TypeError("event_callback takes its Inputs first, then its States")
    return inputs, states


def _check_running(running: Sequence[object] | None) -> tuple[Running, ...]:
    result = []
    for item in running or ():
        if not (isinstance(item, (tuple, list)) and len(item) == 3):
            raise TypeError(
                f"running takes (Output, value_while_running, value_after) triples, got {item!r}"
            )
        output, during, after = item
        if not isinstance(output, Output):
            raise TypeError(f"the first item of a running triple must be an Output, got {output!r}")
        validate_component_id(output.component_id)
        to_json([during, after])  # raises PayloadError naming the value
        result.append(Running(output, during, after))
    return tuple(result)


def _check_cancel(cancel: object) -> tuple[tuple[Input, Any], ...]:
    if cancel is None:
        return ()
    items = [cancel] if isinstance(cancel, Input) else cancel
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"cancel takes Inputs or (Input, target_value) pairs, got {cancel!r}")
    result: list[tuple[Input, Any]] = []
    for item in items:
        if isinstance(item, Input):
            result.append((item, _NO_TARGET))
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], Input):
            to_json(item[1])
            result.append((item[0], item[1]))
        else:
            raise TypeError(f"cancel takes Inputs or (Input, target_value) pairs, got {item!r}")
    return tuple(result)


def _check_reset(reset_props: object) -> tuple[Update, ...]:
    if reset_props is None:
        return ()
    # Both forms are accepted: {id: props} and [(id, props), ...].
    pairs = list(reset_props.items()) if isinstance(reset_props, Mapping) else reset_props
    if not isinstance(pairs, (list, tuple)):
        raise TypeError(
            f"reset_props takes {{id: props}} or [(id, props), ...], got {reset_props!r}"
        )
    updates: list[Update] = []
    for pair in pairs:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"reset_props holds (id, props) pairs, got {pair!r}")
        updates.extend(updates_for(pair[0], pair[1]))
    to_json([u.to_wire() for u in updates])
    return tuple(updates)


def _check_timeout(timeout: object) -> float | None:
    if timeout is None:
        return None
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not (timeout > 0 and math.isfinite(timeout))
    ):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    return float(timeout)


def _dep_json(dep: Input | State | Output) -> dict[str, Any]:
    return {"id": dep.component_id, "property": dep.component_property}


def _client_config(spec: EventCallback) -> str:
    config = {
        "callback": spec.key,
        "running": [
            [r.output.component_id, r.output.component_property, r.during, r.after]
            for r in spec.running
        ],
        "reset": [u.to_wire() for u in spec.reset_updates],
        "transport": spec.transport,
    }
    return to_json(config)


def event_callback(
    *dependencies: Input | State,
    prevent_initial_call: bool = True,
    running: Sequence[tuple[Output, Any, Any]] | None = None,
    cancel: Input | Sequence[Input | tuple[Input, Any]] | None = None,
    reset_props: Mapping[Any, dict[str, Any]] | Sequence[tuple[Any, dict[str, Any]]] | None = None,
    on_error: ErrorHandler | None = None,
    timeout: float | None = None,
    transport: Transport | None = None,
    concat: bool = True,
) -> Callable[[F], F]:
    """Turn a generator into a callback that streams prop updates to the page as it yields.

    Parameters:
        dependencies: ``Input``s (at least one; any of them starts the stream) then
            ``State``s, as in ``@dash.callback``; pattern-matching ids are supported. Their
            values are passed to the generator in order.
        prevent_initial_call: ``True`` (the default, as in dash-event-callback) starts the
            stream only when an Input changes, not when the page loads; ``False`` also starts
            it at page load, as Dash's callbacks do by default.
        running: ``[(Output(id, prop), value_while_running, value_after), ...]``: set when
            the stream starts, restored when it ends, fails, times out or is cancelled.
        cancel: Inputs that stop a running stream, each optionally paired with a target
            value, ``(Input("stop", "n_clicks"), value)``, to stop only when the input takes
            that value. The generator is closed on the server too.
        reset_props: ``{id: props}`` or ``[(id, props), ...]`` applied when the stream is
            cancelled, fails or times out.
        on_error: called with the exception when the generator raises; whatever
            ``stream_props`` it returns (one, a list, or None) is applied. The traceback is
            always logged; without a handler the page shows Dash's error (details only in
            debug mode).
        timeout: seconds of wall-clock time the stream may run (default: the app's
            ``DASH_LIVE_STREAM_TIMEOUT`` config, 60 s). Enforced even while the generator is
            busy between yields.
        transport: how the updates travel: ``"sse"``, one HTTP response per stream, or
            ``"socketio"``, over the page's Socket.IO connection shared by all streams of the
            tab (needs :func:`~dash_live.attach_socketio`). Default: the app's
            ``DASH_LIVE_TRANSPORT`` config, ``"sse"`` when unset.
        concat: accepted for dash-event-callback compatibility and has no effect: there it
            chose whether its SSE component joined the frames of one chunk; dash-live applies
            every update, in order, whatever the chunking.

    The decorated function may be a generator (``def`` with ``yield``, run in a worker
    thread) or an async generator (``async def`` with ``yield``), and is returned unchanged.

    Example::

        >>> from dash import Input
        >>> from dash_live import event_callback, stream_props
        >>> @event_callback(Input("go", "n_clicks"))
        ... def count(n_clicks):
        ...     for i in range(3):
        ...         yield stream_props("out", {"children": str(i)})
        >>> count.__name__
        'count'
    """
    inputs, states = _check_dependencies(dependencies)
    running_spec = _check_running(running)
    cancel_spec = _check_cancel(cancel)
    reset_spec = _check_reset(reset_props)
    timeout_spec = _check_timeout(timeout)
    transport_spec = check_transport(transport)
    if on_error is not None and not callable(on_error):
        raise TypeError(f"on_error must be callable, got {on_error!r}")
    if not isinstance(prevent_initial_call, bool):
        raise TypeError(f"prevent_initial_call must be True or False, got {prevent_initial_call!r}")
    if not isinstance(concat, bool):
        raise TypeError(f"concat must be True or False (it has no effect), got {concat!r}")
    check_event_callback(
        wildcard=_wildcard([*inputs, *states, *(inp for inp, _ in cancel_spec)]),
        initial_call=not prevent_initial_call,
    )

    def decorator(func: F) -> F:
        if not (inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)):
            raise TypeError(
                f"@event_callback decorates a generator function (one that yields "
                f"stream_props), but {func.__qualname__!r} does not yield"
            )
        key = _unique_key(f"{func.__module__}.{func.__qualname__}", func)
        spec = EventCallback(
            key=key,
            func=func,
            inputs=tuple(inputs),
            states=tuple(states),
            running=running_spec,
            cancel=cancel_spec,
            reset_updates=reset_spec,
            on_error=on_error,
            timeout=timeout_spec,
            transport=transport_spec,
        )
        with _lock:
            _registry[key] = spec
        _register_clientside(spec, prevent_initial_call)
        for hook in registration_hooks:
            hook()
        return func

    return decorator


def _wildcard(dependencies: Sequence[Input | State]) -> str | None:
    """The name of the first MATCH or ALLSMALLER in the dependencies' ids, or None."""
    for dep in dependencies:
        if isinstance(dep.component_id, dict):
            for value in dep.component_id.values():
                if value is MATCH or value is ALLSMALLER:
                    return "MATCH" if value is MATCH else "ALLSMALLER"
    return None


def _register_clientside(spec: EventCallback, prevent_initial_call: bool) -> None:
    config = _client_config(spec)
    dash.clientside_callback(
        f"function() {{ window.dash_live.startStream({config}, "
        "window.dash_clientside.callback_context); }",
        *spec.inputs,
        *spec.states,
        prevent_initial_call=prevent_initial_call,
    )
    if spec.cancel:
        targets = [None if t is _NO_TARGET else [t] for _, t in spec.cancel]
        dash.clientside_callback(
            f"function() {{ window.dash_live.cancelStream({json.dumps(spec.key)}, "
            f"{to_json(targets)}, window.dash_clientside.callback_context); }}",
            *[inp for inp, _ in spec.cancel],
            prevent_initial_call=True,
        )


def dependency_json(dep: Input | State) -> dict[str, Any]:
    """The dependency as Dash writes it in a callback request: ``{"id", "property"}``."""
    return _dep_json(dep)
