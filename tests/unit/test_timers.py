"""The daemon's debounce helper on a fake clock."""

from __future__ import annotations

import pytest

from fakeclock import FakeScheduler
from sourcepacker.daemon.timers import Debouncer


def make() -> tuple[FakeScheduler, Debouncer, list[float]]:
    clock = FakeScheduler()
    fired: list[float] = []
    return clock, Debouncer(clock, 0.5, lambda: fired.append(clock.time())), fired


def test_poke_runs_once_after_the_last_poke() -> None:
    clock, debounce, fired = make()
    start = clock.time()
    for _ in range(5):  # five clicks 0.2 s apart: one write, 0.5 s after the last
        debounce.poke()
        clock.advance(0.2)
    assert fired == []
    clock.advance(1.0)
    assert fired == pytest.approx([start + 0.8 + 0.5])
    assert not debounce.pending


def test_arm_batches_from_the_first_event() -> None:
    clock, debounce, fired = make()
    start = clock.time()
    for _ in range(9):  # a steady stream still gets handled every 0.5 s
        debounce.arm()
        clock.advance(0.1)
    assert fired == pytest.approx([start + 0.5])
    clock.advance(0.2)
    assert fired == pytest.approx([start + 0.5, start + 1.0])


def test_cancel_and_flush() -> None:
    clock, debounce, fired = make()
    assert not debounce.cancel()
    debounce.poke()
    assert debounce.cancel()
    clock.advance(1.0)
    assert fired == []
    debounce.poke()
    debounce.flush()  # at shutdown: the pending action runs now, once
    clock.advance(1.0)
    assert fired == [clock.time() - 1.0]
    debounce.flush()  # nothing pending: nothing runs
    assert len(fired) == 1
