"""The daemon's own watcher: path translation and filtering, failures, and a clean stop.

A fake event source plays watchfiles' ``RustNotify`` (a script of batches and failures) and a
fake loop runs what the thread posts at once, so ``FolderWatcher.run`` is tested in the test's
own thread, without sleeps. Two tests use the real watcher on a temporary folder, waiting on
events (pytest-timeout is the only deadline).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sourcepacker.daemon import watcher as w
from sourcepacker.daemon.session import Session
from sourcepacker.ignore import IgnoreRules

MODIFIED = 2


class FakeSource:
    """Returns the scripted batches (raising the scripted exceptions), then stops."""

    def __init__(self, script: list[Any], block_at_end: bool = False) -> None:
        self.script = list(script)
        self.block_at_end = block_at_end
        self.closed = False

    def watch(self, debounce_ms: int, step_ms: int, timeout_ms: int, stop: Any) -> Any:
        assert stop is not None  # the thread must be stoppable
        if self.script:
            item = self.script.pop(0)
            if isinstance(item, BaseException):
                raise item
            return item
        if self.block_at_end:
            stop.wait()
        else:
            stop.set()  # the script is over: end run() in the test's thread
        return "stop"

    def close(self) -> None:
        self.closed = True


class NowLoop:
    """``call_soon_threadsafe`` that calls at once (run() runs in the test's thread)."""

    def call_soon_threadsafe(self, fn: Callable[..., None], *args: Any) -> None:
        fn(*args)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def watcher_started(self) -> None:
        self.calls.append("started")

    def watcher_lost(self) -> None:
        self.calls.append("lost")

    def distrust_events(self) -> None:
        self.calls.append("distrust")

    def file_changed(self, rel: str) -> None:
        self.calls.append(rel)

    def request_scan(self) -> None:
        self.calls.append("walk")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "logs").mkdir()
    (root / ".gitignore").write_text("logs/\n")
    return root


def batch(root: Path, *rels: str) -> set[tuple[int, str]]:
    return {(MODIFIED, os.path.join(root, *r.split("/"))) for r in rels}


def make(root: Path, sources: list[Any], sink: Any = None, **kw: Any) -> w.FolderWatcher:
    """A watcher whose n-th start gets ``sources[n]`` (an exception there: the start fails)."""
    queue = list(sources)

    def open_source(_root: Path) -> Any:
        item = queue.pop(0)
        if isinstance(item, BaseException):
            raise item
        return item

    rules = IgnoreRules(root)
    kw.setdefault("check_dirs", lambda dirs: [])  # the fakes hold no inotify watch
    return w.FolderWatcher(
        root,
        sink or Recorder(),
        lambda: rules,
        NowLoop(),  # type: ignore[arg-type]
        open_source=open_source,
        **kw,
    )


def test_paths_are_made_relative_and_filtered(root: Path) -> None:
    rules = IgnoreRules(root)
    changes = [
        str(root / "src" / "a.py"),
        str(root / "new dir" / "b.md"),
        str(root),  # the folder itself: its attributes count for nothing
        str(root.parent / "elsewhere.py"),  # outside
        str(root) + "-sibling/c.py",  # shares the prefix, still outside
        str(root / ".sourcepacker" / "profiles.json"),  # our own folder
        str(root / "cache" / "tokens.bin"),  # a cache dir inside the folder
        str(root / "node_modules" / "x" / "index.js"),  # ignored by default
        str(root / "node_modules" / "x" / ".gitignore"),  # a rules file no one reads
        str(root / ".git" / "index"),
        str(root / ".git" / "info" / "exclude"),  # an ignore-rules file: kept
        str(root / "logs" / "today.txt"),  # below a folder .gitignore leaves out
        str(root / "logs"),  # the folder itself: the scan decides (one lstat)
        str(root / "src" / ".gitignore"),
        str(root / "src" / "a.py"),
    ]
    own = (w.OWN_FOLDER, "cache")
    assert w.relevant_paths(str(root), changes, rules, own) == [
        ".git/info/exclude",
        "logs",
        "new dir/b.md",
        "src/.gitignore",
        "src/a.py",
    ]


def test_batches_are_fed_after_the_watcher_is_live(root: Path) -> None:
    source = FakeSource([batch(root, "src/a.py", "logs/x.log"), "timeout", batch(root, "b.md")])
    watcher = make(root, [source])
    watcher.run()
    assert watcher.sink.calls == ["started", "src/a.py", "b.md"]  # type: ignore[attr-defined]
    assert source.closed and watcher.ready.result() is True and not watcher.live


def test_a_failing_watcher_is_lost_then_restarted(root: Path) -> None:
    failing = FakeSource([batch(root, "a.py"), RuntimeError("error in underlying watcher: x")])
    again = FakeSource([batch(root, "b.py")])
    watcher = make(root, [failing, again])
    watcher.run()
    assert watcher.sink.calls == ["started", "a.py", "lost", "started", "walk", "b.py"]  # type: ignore[attr-defined]
    assert failing.closed and again.closed


def test_after_max_restarts_the_folder_stays_on_walks(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sources = [FakeSource([RuntimeError("boom")]) for _ in range(w.MAX_RESTARTS + 1)]
    watcher = make(root, sources)
    watcher.run()
    calls = watcher.sink.calls  # type: ignore[attr-defined]
    assert calls == ["started", "lost"] + ["started", "walk", "lost"] * w.MAX_RESTARTS
    assert calls[-1] == "lost"  # not watching: the session walks
    assert "failed 4 times; rescans walk the folder" in caplog.text


def test_a_watch_that_cannot_start_logs_one_line(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limit = OSError(
        'OS file watch limit reached. about ["/ws/src"] '
        '(Error { kind: MaxFilesWatch, paths: ["/ws/src"] })\nmore'
    )
    watcher = make(root, [limit])
    watcher.run()
    assert watcher.sink.calls == []  # type: ignore[attr-defined]
    assert watcher.ready.result() is False
    [record] = caplog.records
    assert record.getMessage().count("\n") == 0 and record.exc_info is None
    message = record.getMessage()
    assert "OS file watch limit reached" in message and "raise fs.inotify" in message
    assert "Error {" not in message  # notify's debug dump left out


def test_a_burst_makes_the_next_rescan_walk(root: Path) -> None:
    """watchfiles drops notify's overflow signal: a burst this big is treated as one."""
    big = {
        (MODIFIED, str(root / "node_modules" / f"{i}.js"))
        for i in range(w.OVERFLOW_SUSPECT_CHANGES)
    }
    watcher = make(root, [FakeSource([big, batch(root, "a.py")])])
    watcher.run()
    assert watcher.sink.calls == ["started", "distrust", "walk", "a.py"]  # type: ignore[attr-defined]


def test_a_new_folder_without_a_watch_is_a_failure(root: Path) -> None:
    """Past inotify's limit watchfiles adds no watch for a new folder and says nothing."""
    (root / "fresh").mkdir()
    added = {(w.ADDED, str(root / "fresh")), (w.ADDED, str(root / "src" / "new.py"))}
    checked: list[list[str]] = []

    def check(dirs: list[str]) -> list[str]:
        checked.append(dirs)
        return dirs

    watcher = make(root, [FakeSource([added, "timeout"]), FakeSource([])], check_dirs=check)
    watcher.run()
    fresh = str(root / "fresh")
    assert checked == [[fresh], [fresh]]  # only folders, only added ones; looked at twice
    calls = watcher.sink.calls  # type: ignore[attr-defined]
    assert calls == ["started", "fresh", "src/new.py", "lost", "started", "walk"]


def test_a_watch_added_late_is_no_failure(root: Path) -> None:
    """notify adds the watch of a new folder just after reporting it: one more look."""
    (root / "fresh").mkdir()
    looks = iter([[str(root / "fresh")], []])
    source = FakeSource([{(w.ADDED, str(root / "fresh"))}, "timeout", "timeout"])
    watcher = make(root, [source], check_dirs=lambda dirs: next(looks))
    watcher.run()
    assert watcher.sink.calls == ["started", "fresh"]  # type: ignore[attr-defined]


def test_unwatched_dirs_reads_this_process_watches(root: Path) -> None:
    if sys.platform != "linux":
        pytest.skip("per-folder watches are inotify's")
    from watchfiles._rust_notify import RustNotify

    source = RustNotify([str(root / "src")], False, False, 1000, True, False)
    try:
        watched, other = str(root / "src"), str(root / "logs")
        assert w.unwatched_dirs([watched, other]) == [other]
    finally:
        source.close()


def _watch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("sp-watch-")]


def test_stop_ends_the_thread(root: Path) -> None:
    source = FakeSource([], block_at_end=True)
    watcher = make(root, [source])
    watcher.start()
    assert watcher.ready.result() is True
    assert watcher.alive
    watcher.stop()
    watcher.join()
    assert not watcher.alive and source.closed and not _watch_threads()


def test_the_real_watcher_reports_an_edit_and_stops(root: Path) -> None:
    seen: list[str] = []
    got = threading.Event()

    class Sink(Recorder):
        def file_changed(self, rel: str) -> None:
            seen.append(rel)
            got.set()

    rules = IgnoreRules(root)
    watcher = w.FolderWatcher(root, Sink(), lambda: rules, NowLoop())  # type: ignore[arg-type]
    watcher.start()
    assert watcher.ready.result() is True  # live: the watches are in place
    (root / "logs" / "ignored.txt").write_text("x")
    (root / "src" / "fresh").mkdir()  # a new folder: watched (checked in /proc), no failure
    (root / "src" / "new.py").write_text("X = 1\n")
    got.wait()  # no deadline of ours: pytest-timeout
    watcher.stop()
    watcher.join()
    assert "src/new.py" in seen and not any(r.startswith("logs/") for r in seen)
    assert "lost" not in watcher.sink.calls  # type: ignore[attr-defined]
    assert not _watch_threads()


async def test_a_session_stops_its_watcher_on_close(root: Path) -> None:
    """The session's own watcher: live → trusted after a walk; close leaves no thread."""
    from test_session import GatedEngine

    engine = GatedEngine(root)
    engine.rules = IgnoreRules(root)  # type: ignore[attr-defined]
    s = Session("file:///ws", engine, lambda _m, _p: None, None)  # type: ignore[arg-type]
    watcher = s.start_own_watcher(lambda _root: FakeSource([], block_at_end=True))
    assert await asyncio.wrap_future(watcher.ready) is True
    assert s.watching and s.watcher == "daemon"
    s.stop()
    await asyncio.get_running_loop().run_in_executor(None, s.close)
    assert not _watch_threads()


class GatedSource(FakeSource):
    """Each ``watch`` returns the next item the test puts (blocking until then)."""

    def __init__(self) -> None:
        super().__init__([])
        import queue

        self.items: queue.Queue[Any] = queue.Queue()
        self.calls = threading.Semaphore(0)

    def watch(self, debounce_ms: int, step_ms: int, timeout_ms: int, stop: Any) -> Any:
        self.calls.release()
        item = self.items.get()
        if item == "stop":
            stop.set()
        return item


def test_sync_waits_for_a_wait_that_began_after_it(root: Path) -> None:
    """A rescan request sees every change made before it: the answer comes after the next
    complete wait on notify, once its paths were posted."""
    source = GatedSource()
    watcher = make(root, [source])
    watcher.start()
    source.calls.acquire()  # the thread waits in its first watch()
    synced = watcher.sync()
    source.items.put(batch(root, "a.py"))  # the wait in progress ends: not enough
    source.calls.acquire()  # the second watch() began
    assert not synced.done()
    source.items.put("timeout")  # a whole wait after sync(): everything is in
    synced.result()
    assert watcher.sink.calls == ["started", "a.py"]  # type: ignore[attr-defined]
    source.items.put("stop")
    watcher.join()
    assert watcher.sync().done()  # not watching: answered at once


@pytest.mark.parametrize(
    ("options", "mode", "warned"),
    [
        (None, "auto", False),
        ({}, "auto", False),
        ({"fileWatcher": "daemon"}, "daemon", False),
        ({"fileWatcher": "off", "encoding": "cl100k_base"}, "off", False),
        ({"fileWatcher": "inotify"}, "auto", True),
        ({"fileWatcher": ["off"]}, "auto", True),
    ],
)
def test_the_file_watcher_option(options: Any, mode: str, warned: bool) -> None:
    from sourcepacker.daemon.handlers.lifecycle import watcher_mode

    warnings: list[str] = []

    class Ls:
        def warn(self, message: str) -> None:
            warnings.append(message)

    assert watcher_mode(Ls(), options) == mode  # type: ignore[arg-type]
    assert len(warnings) == int(warned)


def test_a_rescan_waits_for_the_second_look_at_a_new_folder(root: Path) -> None:
    (root / "fresh").mkdir()
    source = GatedSource()
    watcher = make(root, [source, FakeSource([])], check_dirs=lambda dirs: dirs)
    watcher.start()
    source.calls.acquire()  # the first watch() waits
    synced = watcher.sync()  # answered by the second one at the earliest
    source.items.put("timeout")
    source.calls.acquire()  # the second began, holding the request
    source.items.put({(w.ADDED, str(root / "fresh"))})  # a folder without a watch (yet?)
    source.calls.acquire()  # the third began
    assert not synced.done()  # not answered until the folder is looked at again
    source.items.put("timeout")
    synced.result()
    watcher.join()
    assert watcher.sink.calls[:3] == ["started", "fresh", "lost"]  # type: ignore[attr-defined]
