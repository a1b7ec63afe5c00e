"""run_frames over a StreamSession: what a run sends, and how a backlog is folded first."""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import Iterator

from dash import Input

from dash_live import append, event_callback, stream_props
from dash_live.callbacks.request import parse_stream_request
from dash_live.callbacks.runner import StreamRunner
from dash_live.callbacks.settings import StreamSettings
from dash_live.callbacks.streams import new_session, run_frames
from dash_live.core.frames import End, Updates

BACKLOG = 200  # below the runner's queue size: the whole run is queued before the page reads


def test_a_backlog_travels_folded_to_its_end_state() -> None:
    @event_callback(Input("go", "n_clicks"))
    def fast(_clicks: int) -> Iterator[object]:
        for i in range(BACKLOG):
            yield stream_props(
                [("counter", {"children": i}), ("log", {"children": append(f"{i},")})]
            )

    request = parse_stream_request(
        {
            "callback": f"{fast.__module__}.{fast.__qualname__}",
            "stream": "stream-0001",
            "inputs": [{"id": "go", "property": "n_clicks", "value": 1}],
            "state": [],
            "changedPropIds": ["go.n_clicks"],
        }
    )
    runner = StreamRunner(fast, [1], contextvars.copy_context()).start()
    runner.thread.join(10)
    assert not runner.thread.is_alive(), "the producer did not finish"

    session = new_session(request, StreamSettings(), debug=False, now=time.monotonic())
    groups = list(run_frames(session, runner))

    assert len(groups) == 1
    (update, end) = groups[0]
    assert end == End("done")
    assert isinstance(update, Updates)
    # One batch, applied in one render: the order across different props does not matter.
    assert sorted(json.loads(update.batch)) == [
        ["counter", "children", "set", BACKLOG - 1],
        ["log", "children", "append", "".join(f"{i}," for i in range(BACKLOG))],
    ]
