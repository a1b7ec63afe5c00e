"""dash_live.core.session, driven directly: the items and the clock in, the frames out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dash_live import append
from dash_live.core.frames import End, Failure, KeepAlive, Updates
from dash_live.core.session import Finished, StreamSession
from dash_live.core.updates import Update, decode_batch, updates_for


@dataclass
class Spec:
    """What a session reads of an event callback (its ``Callback`` protocol)."""

    name: str = "answer"
    key: str = "app.answer"
    reset_updates: Sequence[Update] = ()
    on_error: Callable[..., Any] | None = None


def session(now: float = 0.0) -> StreamSession:
    return StreamSession(Spec(), timeout=10.0, keepalive=2.0, debug=False, now=now)


def token(text: str) -> tuple[Update, ...]:
    return tuple(updates_for("out", {"children": append(text)}))


def test_batch_now_is_what_frames_makes_of_one_yield_alone() -> None:
    fast, slow = session(), session()
    batch = fast.batch_now(token("a "), 1.0)
    slow.feed([token("a ")])
    assert [Updates(batch or "")] == slow.frames(1.0)
    # It counts as a write: no keep-alive before another keep-alive interval of silence.
    assert fast.frames(2.5) == []
    assert fast.frames(3.0) == [KeepAlive()]


def test_batch_now_declines_behind_a_backlog_so_order_holds() -> None:
    run = session()
    run.feed([token("a ")])
    assert run.batch_now(token("b "), 1.0) is None
    run.feed([token("b ")])
    (frame,) = run.frames(1.0)
    assert isinstance(frame, Updates)
    assert decode_batch(frame.batch) == [Update("out", "children", "append", "a b ")]


def test_batch_now_declines_past_the_deadline_and_after_the_end() -> None:
    late = session()
    assert late.batch_now(token("a "), 10.0) is None
    late.feed([token("a ")])
    out = late.frames(10.0)
    assert isinstance(out[0], Failure)
    assert out[-1] == End("timeout")
    over = session()
    over.feed([Finished(cancelled=False)])
    assert over.frames(1.0) == [End("done")]
    assert over.batch_now(token("a "), 1.5) is None
