"""Run event callbacks in your own unit tests, without a browser or a server.

>>> from dash import Input
>>> from dash_live import event_callback, stream_props
>>> @event_callback(Input("go", "n_clicks"))
... def count(n_clicks):
...     for i in range(n_clicks):
...         yield stream_props("out", {"children": str(i)})
>>> [u.value for u in run_event_callback(count, 2)]
['0', '1']
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from ._compat import AttributeDict, context_value
from .core.stream_props import updates_of
from .core.updates import Update

__all__ = ["run_event_callback"]


def _run(coroutine: Coroutine[Any, Any, list[Update]]) -> list[Update]:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # A loop already runs in this thread (Jupyter, Playwright's sync API, an async test):
    # asyncio.run would refuse, so the generator gets a thread and a loop of its own.
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


def run_event_callback(
    func: Callable[..., Any], *args: Any, triggered: Sequence[str] = ()
) -> list[Update]:
    """Drive the generator ``func(*args)`` to its end and return every update it yielded.

    Parameters:
        func: the function decorated with ``@event_callback`` (sync or async generator).
        args: the values of its Inputs and States, in order.
        triggered: prop ids (``"go.n_clicks"``) that ``dash.ctx.triggered_id`` and
            ``ctx.triggered`` report inside the generator.

    An exception raised by the generator propagates, as it would reach ``on_error``.

    The list is what the generator yielded, one update per prop per ``stream_props``, in
    order: not what a browser would receive. A live stream folds the updates that queue up
    between two writes (the last ``children`` wins, ``append`` joins), and how many queue up
    depends on the machine's speed; a test that asserts every step would turn flaky if it saw
    that. To test what reaches the page, use a browser test (``tests/browser`` shows how).
    """
    context = AttributeDict(
        triggered_inputs=[{"prop_id": prop_id, "value": None} for prop_id in triggered],
        inputs_list=[],
        states_list=[],
        outputs_list=[],
        input_values={},
        state_values={},
        updated_props={},
    )
    token = context_value.set(context)
    try:
        produced = func(*args)
        if inspect.isasyncgen(produced):

            async def collect() -> list[Update]:
                return [u async for value in produced for u in updates_of(value)]

            return _run(collect())
        return [update for value in produced for update in updates_of(value)]
    finally:
        context_value.reset(token)
