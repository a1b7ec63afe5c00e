"""The deadline timer that backs up the stream timeout (dash_live/callbacks/deadlines.py)."""

from __future__ import annotations

import threading

import pytest

from dash_live.callbacks.deadlines import Deadlines
from dash_live.callbacks.streams import Streams


def test_actions_run_in_the_order_of_their_times_not_of_arming() -> None:
    timers = Deadlines()
    ran: list[str] = []
    done = threading.Event()

    def late() -> None:
        ran.append("late")
        done.set()

    timers.arm(0.2, late)
    timers.arm(0.05, lambda: ran.append("early"))
    assert done.wait(10)
    assert ran == ["early", "late"]
    assert timers.pending() == 0


def test_a_disarmed_action_never_runs() -> None:
    timers = Deadlines()
    ran: list[str] = []
    done = threading.Event()
    timers.disarm(timers.arm(0.05, lambda: ran.append("disarmed")))
    timers.arm(0.1, done.set)
    assert done.wait(10)
    assert ran == []
    timers.disarm(12345)  # unknown or already run: nothing happens


def test_a_failing_action_does_not_stop_the_others(caplog: pytest.LogCaptureFixture) -> None:
    timers = Deadlines()
    done = threading.Event()

    def fail() -> None:
        raise RuntimeError("boom")

    timers.arm(0.01, fail)
    timers.arm(0.05, done.set)
    assert done.wait(10)
    assert "a stream deadline action failed" in caplog.text


def test_many_disarmed_entries_do_not_pile_up() -> None:
    timers = Deadlines()
    for _ in range(1000):
        timers.disarm(timers.arm(3600, lambda: None))
    assert timers.pending() == 0
    assert len(timers._heap) <= 64 + 1


class Runner:
    def __init__(self) -> None:
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()


def test_a_registered_stream_is_cancelled_at_its_backstop() -> None:
    streams = Streams()
    runner = Runner()
    streams.open("s" * 16, "client", runner, limit=4, cancel_after=0.05)
    assert runner.cancelled.wait(10)


def test_a_stream_that_ended_is_not_cancelled_by_its_backstop() -> None:
    streams = Streams()
    ended, later = Runner(), Runner()
    streams.open("a" * 16, "client", ended, limit=4, cancel_after=0.05)
    streams.close("a" * 16)
    streams.open("b" * 16, "client", later, limit=4, cancel_after=0.1)
    assert later.cancelled.wait(10)  # armed after, fired after: the first one had its turn
    assert not ended.cancelled.is_set()
