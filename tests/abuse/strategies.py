"""What the abuse suite generates and checks, shared by its files (issue 12): JSON-like values,
stream requests that are valid for one of the suite's event callbacks (and the same with one
field broken), and the check that a refusal names its problem.

The event callbacks are module-level generator functions, registered by
:func:`declare_callbacks`: tests/conftest.py empties the registry around every test, so each
test declares them again (the same functions, so the same keys) before it sends anything.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from dash import ALL, ALLSMALLER, MATCH, Input, State, html
from hypothesis import strategies as st

from dash_live import event_callback, stream_props
from dash_live._compat import DASH_VERSION, MATCH_WITHOUT_OUTPUTS
from dash_live.callbacks.decorator import registered
from dash_live.core.stream_props import StreamProps
from dash_live.core.updates import stringify_id

Body = dict[str, Any]
E = TypeVar("E", bound=BaseException)
R = TypeVar("R")

#: Whether the installed Dash runs MATCH/ALLSMALLER dependencies in an event callback.
MATCH_SUPPORTED = DASH_VERSION >= MATCH_WITHOUT_OUTPUTS
#: Seconds any single wait of the suite may take.
WAIT = 10.0
#: The longest refusal message accepted: a refusal names the problem, it does not echo a body.
MAX_MESSAGE = 1000
TRACEBACK = "Traceback (most recent call last)"
#: Reprs of server internals that must never reach a client.
INTERNAL_REPRS = ("<function ", "<bound method ", " object at 0x", "<class '", "<module '")

# Field names of stream requests and their entries: drawn as dict keys now and then, so that
# arbitrary values look like requests often enough to get past the first checks.
FIELDS = ("callback", "stream", "inputs", "state", "changedPropIds", "id", "property", "value")
# Texts that have broken, or would break, a careless encoder or message.
AWKWARD_TEXTS = (
    "",
    " leading space",
    "  two leading spaces",
    "line\nbreak",
    "carriage\rreturn",
    "\r\n",
    "\x00",
    "\ud800",  # a lone surrogate: no UTF-8 encoding exists
    "\u2028",
    "é",
    "go.n_clicks",
    "a.b",
    TRACEBACK,
    "<function f at 0x1>",
)


def texts(max_size: int = 24) -> st.SearchStrategy[str]:
    """Any text, surrogates included, and often one of :data:`AWKWARD_TEXTS`."""
    return st.text(st.characters(exclude_categories=()), max_size=max_size) | st.sampled_from(
        AWKWARD_TEXTS
    )


def long_texts() -> st.SearchStrategy[str]:
    """Texts of a few thousand characters: what a message must not echo whole."""
    return st.integers(2 * MAX_MESSAGE, 20_000).map(lambda size: "x" * size)


def json_values(
    *, finite: bool = False, binary: bool = False, max_leaves: int = 12
) -> st.SearchStrategy[Any]:
    """Anything ``json.loads`` can return: NaN and infinities too unless ``finite``; with
    ``binary``, bytes as well (which Socket.IO carries as attachments)."""
    scalars: st.SearchStrategy[Any] = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=not finite, allow_infinity=not finite)
        | texts()
        | long_texts()
    )
    if binary:
        scalars = scalars | st.binary(max_size=16)
    keys = st.sampled_from(FIELDS) | texts(8)
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


# The suite's event callbacks. Whatever values a request carries, they answer with one update.


def answer(n_clicks: object, question: object) -> Iterator[StreamProps]:
    yield stream_props("out", {"children": f"{n_clicks!r:.40} {question!r:.40}"})


def total(clicks: object) -> Iterator[StreamProps]:
    yield stream_props("out", {"children": f"{clicks!r:.80}"})


def labelled(clicks: object, label: object, before: object) -> Iterator[StreamProps]:
    yield stream_props("out", {"children": f"{clicks!r:.40} {label!r:.40} {before!r:.40}"})


def key_of(func: object) -> str:
    """The callback key the page sends: module and qualified name of the generator."""
    return f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"


def declare_callbacks() -> None:
    """Register the suite's event callbacks unless they are registered (idempotent)."""
    if registered(key_of(answer)) is None:
        event_callback(Input("go", "n_clicks"), State("question", "value"))(answer)
    if registered(key_of(total)) is None:
        event_callback(Input({"type": "cell", "index": ALL}, "n_clicks"))(total)
    if MATCH_SUPPORTED and registered(key_of(labelled)) is None:
        event_callback(
            Input({"type": "cell", "index": MATCH}, "n_clicks"),
            State({"type": "label", "index": MATCH}, "children"),
            State({"type": "label", "index": ALLSMALLER}, "children"),
        )(labelled)


def layout() -> html.Div:
    """A page with the components the suite's callbacks name."""
    return html.Div(
        [
            html.Button(id="go"),
            html.Div(id="question"),
            html.Div(id="out"),
            html.Button(id={"type": "cell", "index": 0}),
            html.Div(id={"type": "label", "index": 0}),
        ]
    )


# Valid stream requests, and the same with one thing broken.

#: The entry of the button that starts ``answer``, as the page sends it.
GO: Body = {"id": "go", "property": "n_clicks", "value": 1}


def stream_ids() -> st.SearchStrategy[str]:
    """Fresh stream ids (one stream per id at a time: a reused running id is answered 409)."""
    return st.uuids().map(lambda u: u.hex)


@st.composite
def _entry(draw: st.DrawFn, component_id: Any, prop: str) -> Body:
    entry: Body = {"id": component_id, "property": prop}
    # Dash leaves "value" out for a prop that was never set.
    if draw(st.booleans()):
        entry["value"] = draw(json_values(max_leaves=4))
    return entry


def _prop_id(entry: Body) -> str:
    return f"{stringify_id(entry['id'])}.{entry['property']}"


_INDEX = st.integers(-3, 50) | st.text(st.characters(codec="ascii"), max_size=4)


@st.composite
def valid_bodies(draw: st.DrawFn) -> Body:
    """A stream request the server accepts: one of the suite's callbacks, with the entries its
    dependencies declare, any values, and a fresh stream id."""
    kinds = ["plain", "all", "match"] if MATCH_SUPPORTED else ["plain", "all"]
    kind = draw(st.sampled_from(kinds))
    callback: Callable[..., Iterator[StreamProps]]
    inputs: list[Any]
    state: list[Any]
    if kind == "plain":
        callback = answer
        inputs = [draw(_entry("go", "n_clicks"))]
        state = [draw(_entry("question", "value"))]
        changed_from = [_prop_id(inputs[0])]
    elif kind == "all":
        callback = total
        indices = draw(st.lists(_INDEX, unique=True, max_size=3))
        cells = [draw(_entry({"type": "cell", "index": i}, "n_clicks")) for i in indices]
        inputs, state = [cells], []
        changed_from = [_prop_id(cell) for cell in cells]
    else:
        callback = labelled
        index = draw(_INDEX)
        before = draw(st.lists(_INDEX, unique=True, max_size=2))
        inputs = [draw(_entry({"type": "cell", "index": index}, "n_clicks"))]
        state = [
            draw(_entry({"type": "label", "index": index}, "children")),
            [draw(_entry({"type": "label", "index": i}, "children")) for i in before],
        ]
        changed_from = [_prop_id(inputs[0])]
    changed = draw(st.lists(st.sampled_from(changed_from), unique=True)) if changed_from else []
    return {
        "callback": key_of(callback),
        "stream": draw(stream_ids()),
        "inputs": inputs,
        "state": state,
        "changedPropIds": changed,
    }


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path (keys and indices) of every value inside ``node``."""
    children: Iterable[tuple[Any, Any]] = (
        node.items() if isinstance(node, dict) else enumerate(node)
    )
    for key, child in children:
        yield (*path, key)
        if isinstance(child, (dict, list)):
            yield from _paths(child, (*path, key))


def _retyped(value: Any) -> list[Any]:
    """``value`` in other JSON types."""
    return [str(value), [value], {"value": value}, None, 0, -1, 1.5, True, ""]


@st.composite
def near_valid_bodies(draw: st.DrawFn) -> Body:
    """A valid stream request with one field removed, replaced, retyped or extended."""
    body = copy.deepcopy(draw(valid_bodies()))
    *parents, last = draw(st.sampled_from(list(_paths(body))))
    parent: Any = body
    for key in parents:
        parent = parent[key]
    how = draw(st.sampled_from(["remove", "replace", "retype", "extend"]))
    if how == "remove":
        del parent[last]
    elif how == "replace":
        parent[last] = draw(json_values())
    elif how == "retype":
        parent[last] = draw(st.sampled_from(_retyped(parent[last])))
    else:
        target = parent[last]
        if isinstance(target, dict):
            target[draw(st.sampled_from(FIELDS) | texts(8))] = draw(json_values(max_leaves=4))
        elif isinstance(target, list):
            target.append(draw(json_values(max_leaves=4)))
        else:
            parent[last] = [target, target]
    return body


def request_shaped() -> st.SearchStrategy[Body]:
    """Objects with the fields of a stream request, each any value (a registered key often)."""
    keys = [key_of(answer), key_of(total), key_of(labelled)]
    return st.fixed_dictionaries(
        {
            "callback": st.sampled_from(keys) | json_values(max_leaves=3),
            "stream": stream_ids() | json_values(max_leaves=3),
        },
        optional={
            "inputs": json_values(),
            "state": json_values(),
            "changedPropIds": json_values(),
        },
    )


def stream_bodies() -> st.SearchStrategy[Any]:
    """Everything a stream request body may be: arbitrary, shaped like one, near-valid, valid."""
    return json_values() | request_shaped() | near_valid_bodies() | valid_bodies()


def new_stream_id() -> str:
    return uuid.uuid4().hex


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: a bounded pause between polls
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        pause.wait(0.02)
    return True


# Outcomes, and the check every refusal must pass.


def outcome(refusal: type[E], call: Callable[[], R]) -> R | E:
    """What ``call()`` returns, or the ``refusal`` it raises; any other exception propagates
    (and fails the property)."""
    try:
        return call()
    except refusal as error:
        return error


def assert_names_problem(
    message: object, sent: str = "", longest: int | None = MAX_MESSAGE
) -> None:
    """A refusal is a short (at most ``longest`` characters), non-empty text that names the
    problem: no traceback, no repr of a server object (unless the client itself sent that
    text, in ``sent``)."""
    assert isinstance(message, str), f"a refusal that is not text: {message!r:.200}"
    assert message.strip(), f"an empty refusal: {message!r}"
    if longest is not None:
        assert len(message) <= longest, f"a refusal of {len(message)} characters: {message:.300}"
    for marker in (TRACEBACK, *INTERNAL_REPRS):
        assert marker not in message or marker in sent, f"{marker!r} in a refusal: {message:.300}"
