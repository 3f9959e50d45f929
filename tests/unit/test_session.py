"""The daemon's single flight and event batching, with a fake engine and no sleeps.

The fake engine's scan blocks on a gate the test opens, so "a request arrives while a scan
runs" is a fact of the test, not a race against the clock.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from sourcepacker.daemon.session import Session
from sourcepacker.engine import ScanReport
from sourcepacker.model import Sums
from sourcepacker.selection import Selection


class FakeCache:
    path = None

    def save(self) -> bool:
        return False


class FakeRules:
    outside_files: tuple[Path, ...] = ()


class GatedEngine:
    """Records each scan's arguments; each scan waits until the test opens its gate."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = FakeCache()
        self.encoding = "o200k_base"
        self.calls: list[dict[str, Any]] = []
        self.started = threading.Semaphore(0)
        self.gates: list[threading.Event] = []
        self.cancels: list[threading.Event] = []
        self.fail_next = False
        self.rules_invalidated = 0
        self.rules = FakeRules()

    def scan(self, **kwargs: Any) -> ScanReport:
        gate = threading.Event()
        self.gates.append(gate)
        self.cancels.append(kwargs["cancel"])
        self.calls.append(kwargs)
        self.started.release()
        gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise OSError("disk on fire")
        report = ScanReport(files=len(self.calls))
        report.cancelled = kwargs["cancel"].is_set()
        return report

    def totals(self) -> tuple[Sums, Sums]:
        return Sums(), Sums()

    def prompt_tokens(self, options: object = None, *, read: bool = True) -> int:
        return 0

    def take_changed_dirs(self) -> list[str]:
        return []

    def selection(self) -> Selection:
        return Selection()

    def set_selection(self, selection: Selection) -> None: ...

    def invalidate_rules(self) -> None:
        self.rules_invalidated += 1

    def close(self) -> None: ...


async def started(engine: GatedEngine) -> None:
    """Wait (without a deadline of our own) until the engine's next scan has begun."""
    await asyncio.get_running_loop().run_in_executor(None, engine.started.acquire)


@pytest.fixture
async def session(tmp_path: Path) -> Any:
    engine = GatedEngine(tmp_path)
    s = Session("file:///ws", engine, lambda _m, _p: None, None)  # type: ignore[arg-type]
    yield s, engine
    for gate in engine.gates:
        gate.set()
    s.stop()
    await asyncio.get_running_loop().run_in_executor(None, s.close)


async def test_a_whole_scan_cancels_the_running_one_and_follows_it(session: Any) -> None:
    s, engine = session
    first = s.request_scan()
    await started(engine)
    second = s.request_scan()  # supersedes: the running scan is told to stop
    third = s.request_scan(["a.py"])  # merges into the queued follow-up
    assert engine.cancels[0].is_set()
    engine.gates[0].set()
    assert (await first).cancelled
    await started(engine)
    engine.gates[1].set()
    report2, report3 = await second, await third
    assert report2 is report3  # one follow-up served both
    assert len(engine.calls) == 2
    assert engine.calls[1]["paths"] is None  # the whole folder won over one path


async def test_targeted_requests_do_not_cancel_and_merge_into_one_follow_up(
    session: Any,
) -> None:
    s, engine = session
    first = s.request_scan(["a.py"])
    await started(engine)
    later = [s.request_scan(["b.py"]), s.request_scan(["c.py"], force=True)]
    assert not engine.cancels[0].is_set()
    engine.gates[0].set()
    assert not (await first).cancelled
    await started(engine)
    engine.gates[1].set()
    reports = [await w for w in later]
    assert reports[0] is reports[1]
    assert engine.calls[1]["paths"] == ["b.py", "c.py"]
    assert engine.calls[1]["force"] is True
    assert len(engine.calls) == 2


async def test_a_failed_scan_fails_its_waiters_and_the_next_one_runs(session: Any) -> None:
    s, engine = session
    engine.fail_next = True
    first = s.request_scan()
    await started(engine)
    second = s.request_scan(["a.py"])
    engine.gates[0].set()
    with pytest.raises(OSError, match="disk on fire"):
        await first
    await started(engine)
    engine.gates[1].set()
    assert (await second).files == 2


async def test_file_events_batch_into_one_targeted_scan(session: Any) -> None:
    s, engine = session
    for rel in ("src/a.py", "src/b.py", "src/a.py"):
        s.file_changed(rel)
    s._event_batch.flush()  # the batch window ends (its timing is tested in test_timers)
    await started(engine)
    engine.gates[0].set()
    assert engine.calls[0]["paths"] == ["src/a.py", "src/b.py"]


async def test_a_rules_file_event_rescans_the_whole_folder(session: Any) -> None:
    s, engine = session
    s.file_changed("src/a.py")
    s.file_changed("docs/.gitignore")
    s.file_changed("src/b.py")
    s._event_batch.flush()
    await started(engine)
    engine.gates[0].set()
    assert engine.calls[0]["paths"] is None
    assert engine.rules_invalidated == 1


# --- trusting events: a whole-folder rescan that does not walk ------------------------------


async def finish(s: Session, engine: GatedEngine, **kwargs: Any) -> ScanReport:
    """Request a scan and let it run to its end."""
    waiter = s.request_scan(**kwargs)
    await started(engine)
    engine.gates[-1].set()
    report: ScanReport = await waiter
    return report


async def event(s: Session, engine: GatedEngine, rel: str) -> None:
    """A file event, its batch flushed and its targeted scan finished."""
    s.file_changed(rel)
    s._event_batch.flush()
    await started(engine)
    engine.gates[-1].set()
    while s._running is not None and not s._running.done():
        await asyncio.sleep(0)  # yield to the loop; no deadline


async def test_without_a_watcher_every_whole_scan_walks(session: Any) -> None:
    s, engine = session
    await finish(s, engine)
    await finish(s, engine)
    assert [c["paths"] for c in engine.calls] == [None, None]
    assert s.last_whole_scan == "walk"


async def test_after_one_walk_with_a_watcher_a_rescan_visits_only_named_paths(
    session: Any,
) -> None:
    s, engine = session
    s.watcher_started()
    await finish(s, engine)  # the first scan of a session always walks
    await finish(s, engine)
    assert engine.calls[1]["paths"] == []  # nothing changed: nothing stat'ed
    assert s.last_whole_scan == "events"
    await event(s, engine, "src/a.py")
    await finish(s, engine)
    assert engine.calls[-1]["paths"] == ["src/a.py"]  # named since the walk: checked again


async def test_a_walk_that_began_before_the_watcher_is_not_trusted(session: Any) -> None:
    s, engine = session
    first = s.request_scan()
    await started(engine)
    s.watcher_started()  # registration answered while the first walk ran
    engine.gates[0].set()
    await first
    await finish(s, engine)
    await finish(s, engine)
    assert [c["paths"] for c in engine.calls] == [None, None, []]


@pytest.mark.parametrize(
    "lose",
    [
        lambda s: s.watcher_lost(),
        lambda s: s.distrust_events(),  # settings changed
        lambda s: s.watcher_started(),  # the watcher restarted
    ],
    ids=["watcher lost", "settings changed", "watcher restarted"],
)
async def test_when_events_may_be_lost_the_next_rescan_walks(session: Any, lose: Any) -> None:
    s, engine = session
    s.watcher_started()
    await finish(s, engine)
    lose(s)
    await finish(s, engine)
    assert engine.calls[-1]["paths"] is None


async def test_force_and_rules_files_walk(session: Any) -> None:
    s, engine = session
    s.watcher_started()
    await finish(s, engine)
    await finish(s, engine, force=True)
    assert engine.calls[-1]["paths"] is None
    await finish(s, engine)  # the forced walk was complete: trusted again
    assert engine.calls[-1]["paths"] == []
    s.file_changed(".gitignore")
    s._event_batch.cancel()  # its own whole-folder scan is not the point here
    await finish(s, engine)
    assert engine.calls[-1]["paths"] is None


async def test_too_many_named_paths_make_the_rescan_walk(
    session: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    s, engine = session
    monkeypatch.setattr("sourcepacker.daemon.session.MAX_TARGETED_PATHS", 2)
    s.watcher_started()
    await finish(s, engine)
    for rel in ("a", "b", "c"):
        s.file_changed(rel)
    s._event_batch.cancel()
    await finish(s, engine)
    assert engine.calls[-1]["paths"] is None


async def test_a_cancelled_or_failed_walk_is_not_trusted(session: Any) -> None:
    s, engine = session
    s.watcher_started()
    first = s.request_scan()
    await started(engine)
    s.cancel_scans()
    engine.gates[0].set()
    assert (await first).cancelled
    await finish(s, engine)  # walks again, and completes
    assert engine.calls[-1]["paths"] is None
    engine.fail_next = True
    with pytest.raises(OSError):
        await finish(s, engine, force=True)
    await finish(s, engine)
    assert engine.calls[-1]["paths"] is None
    await finish(s, engine)
    assert engine.calls[-1]["paths"] == []


async def test_an_ignore_file_above_the_folder_that_changed_makes_the_rescan_walk(
    session: Any, tmp_path: Path
) -> None:
    """No watcher may report it (ours watches the folder only): the trusted rescan stats it."""
    s, engine = session
    above = tmp_path / ".gitignore"
    above.write_text("*.log\n")
    engine.rules.outside_files = (above,)
    s.watcher_started()
    await finish(s, engine)
    await finish(s, engine)
    assert engine.calls[-1]["paths"] == []  # unchanged: trusted
    above.write_text("*.log\n*.tmp\n")
    await finish(s, engine)
    assert engine.calls[-1]["paths"] is None and engine.rules_invalidated == 1
    await finish(s, engine)
    assert engine.calls[-1]["paths"] == []  # that walk saw the new rules: trusted again
