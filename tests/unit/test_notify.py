"""Notification throttling and coalescing, on a fake clock."""

from __future__ import annotations

import itertools
from typing import Any

from fakeclock import FakeScheduler
from sourcepacker.daemon.notify import THROTTLE_SECONDS, Notifier
from sourcepacker.daemon.protocol import Notifications, TokenSum, Totals
from sourcepacker.model import FileState, TokenState


class Source:
    def __init__(self) -> None:
        self.dirs: list[str] = []

    def take_changed_dirs(self) -> list[str]:
        dirs, self.dirs = self.dirs, []
        return dirs


def setup() -> tuple[FakeScheduler, Notifier, list[tuple[str, Any]], Source]:
    clock, source, sent = FakeScheduler(), Source(), []
    zero = TokenSum(0, 0, 0, 0, 0)

    def totals() -> Totals:
        return Totals("file:///ws", zero, zero, "o200k_base")

    notifier = Notifier("file:///ws", source, totals, lambda m, p: sent.append((m, p)), clock)
    return clock, notifier, sent, source


def kinds(sent: list[tuple[str, Any]]) -> list[str]:
    return [method.rsplit("/", 1)[-1] for method, _params in sent]


def exact(rel: str, tokens: int) -> FileState:
    return FileState(rel, 10, hash=1, tokens=tokens, state=TokenState.EXACT)


def test_first_totals_go_out_at_once_then_throttled() -> None:
    clock, notifier, sent, _source = setup()
    notifier.totals_changed(urgent=True)
    assert kinds(sent) == ["totals"]
    for _ in range(20):  # a burst within one window: one more notification, not twenty
        notifier.totals_changed(urgent=True)
        clock.advance(THROTTLE_SECONDS / 10)
    clock.advance(THROTTLE_SECONDS)
    assert kinds(sent) == ["totals", "totals", "totals"]


def test_file_counts_coalesce_by_path_with_the_latest_value() -> None:
    clock, notifier, sent, source = setup()
    notifier.files_changed([exact("a.py", 1), exact("b.py", 2)])
    notifier.files_changed([exact("a.py", 3)])
    source.dirs = ["src"]
    clock.advance(THROTTLE_SECONDS)
    assert kinds(sent) == ["fileTokens", "treeChanged", "totals"]
    files = {f.path: f.tokens for f in sent[0][1].files}
    assert files == {"a.py": 3, "b.py": 2}
    assert sent[1][1].dirs == ["src"]


def test_windows_are_spaced_by_the_throttle() -> None:
    clock, notifier, sent, _source = setup()
    times = []
    for _ in range(30):
        before = len(sent)
        notifier.files_changed([exact("a.py", 1)])
        clock.advance(0.01)
        if len(sent) > before:
            times.append(clock.time())
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps and min(gaps) >= THROTTLE_SECONDS - 1e-9


def test_flush_now_sends_what_is_pending_and_cancels_the_timer() -> None:
    clock, notifier, sent, _source = setup()
    notifier.totals_changed(urgent=True)
    notifier.files_changed([exact("a.py", 1)])
    assert clock.pending == 1
    notifier.flush_now()  # end of a scan: the final state, now
    assert kinds(sent) == ["totals", "fileTokens", "totals"]
    clock.advance(1.0)
    assert len(sent) == 3
    assert sent[-1][0] == Notifications.TOTALS
