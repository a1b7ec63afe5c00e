"""dash_live.callbacks.handoff: a bounded batch hand-off between two threads, in both forms (the
lock-based LockedHandoff, and QueueHandoff over queue.Queue for gevent).
Every wait has a timeout and waits on a condition (a join or an Event), never on the clock."""

from __future__ import annotations

import queue
import threading

import pytest

from dash_live.callbacks.handoff import Handoff, LockedHandoff, QueueHandoff, new_handoff

WAIT = 5.0  # seconds: a generous bound for what should happen at once


@pytest.fixture(params=[LockedHandoff, QueueHandoff])
def kind(request: pytest.FixtureRequest) -> type[Handoff[object]]:
    cls: type[Handoff[object]] = request.param
    return cls


def test_take_returns_the_whole_backlog_in_order(kind: type[Handoff[object]]) -> None:
    box = kind(10)
    for i in range(7):
        assert box.put(i)
    assert box.qsize() == 7
    assert box.take() == list(range(7))
    assert box.empty()


def test_take_times_out_with_nothing(kind: type[Handoff[object]]) -> None:
    box = kind(1)
    assert box.take(timeout=0.01) == []
    assert box.take(timeout=0) == []


def test_a_waiting_take_wakes_on_the_first_put(kind: type[Handoff[object]]) -> None:
    box = kind(4)
    got: list[list[object]] = []
    waiting = threading.Thread(target=lambda: got.append(box.take(timeout=WAIT)))
    waiting.start()
    box.put("x")
    waiting.join(WAIT)
    assert not waiting.is_alive()
    assert got == [["x"]]


def test_a_full_box_holds_the_producer_until_a_take(kind: type[Handoff[object]]) -> None:
    box = kind(3)
    third_in = threading.Event()

    def produce() -> None:
        for i in range(4):
            box.put(i)
            if i == 2:
                third_in.set()

    producer = threading.Thread(target=produce)
    producer.start()
    assert third_in.wait(WAIT)
    producer.join(0.1)
    assert producer.is_alive()  # the fourth item has no room
    assert box.full()
    assert box.put(99, timeout=0) is False
    assert box.take() == [0, 1, 2]
    producer.join(WAIT)
    assert not producer.is_alive()
    assert box.take() == [3]


@pytest.mark.parametrize("size", [0, -1])
def test_a_box_needs_room_for_one(size: int, kind: type[Handoff[object]]) -> None:
    with pytest.raises(ValueError, match=str(size)):
        kind(size)


def test_the_queue_form_is_chosen_where_queue_queue_is_gevents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert type(new_handoff(2)) is LockedHandoff
    monkeypatch.setattr(queue.Queue, "__module__", "gevent._gevent_cqueue")
    assert type(new_handoff(2)) is QueueHandoff
