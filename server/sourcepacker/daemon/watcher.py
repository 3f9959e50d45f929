"""The daemon's own file watcher, for clients that cannot watch files for us.

VS Code registers ``didChangeWatchedFiles`` for us; Neovim, Helix, Emacs or a script often
cannot (no ``dynamicRegistration``) or refuse. Their sessions get this watcher instead, so a
no-change rescan trusts events there too (daemon/session.py) instead of walking every file.

**watchfiles** (Rust ``notify`` underneath: inotify, FSEvents, ReadDirectoryChangesW; abi3
wheels) watches each folder recursively. We drive its ``RustNotify`` from one thread per folder
rather than ``awatch`` on the event loop: ``awatch`` runs each wait through anyio's worker
threads, which idle on for 10 s after the watcher stops, while our own thread ends when we set
its stop event and is joined at shutdown (tests/unit/test_watcher.py checks none is left).

What is fed to the session (on the event loop): the paths inside the folder, relative, except
our own folders (``.sourcepacker/``, a cache dir inside the folder) and anything below a folder
the ignore rules leave out (``node_modules``, ``.git``, ...), so an ``npm install`` or a
``git gc`` costs a prefix match per event here, not a rescan (``.git/info/exclude`` still
passes: it is an ignore-rules file).

When events may be lost, the session is told so and its next rescan walks:

- The watcher fails (watchfiles raises ``WatchfilesRustInternalError``: a name that is not
  UTF-8, ``caf\\xe9.txt``, tried; an error of the backend): ``watcher_lost``, a restart
  (``watcher_started`` again) and a walk, at most MAX_RESTARTS times; then walks only.
- A kernel queue overflow. notify reports it as a path-less event flagged ``Rescan``, and
  watchfiles 1.3 drops path-less events without a word (samuelcolvin/watchfiles#348, open), so
  it is invisible here. An overflow needs 16,384 queued events (``max_queued_events``), which
  notify's reader thread drains without the GIL: only a bulk operation gets there, and a batch
  of OVERFLOW_SUSPECT_CHANGES changes or more (ignored folders included) is taken for one: the
  folder is walked.
- A folder created once inotify's limit is reached gets no watch, and watchfiles 1.3 says
  nothing (tried in a user namespace with ``max_inotify_watches`` = 3; notify 8.2 reports it,
  the notify inside watchfiles 1.3 did not). So on Linux each new folder of a batch is looked
  for among this process's inotify watches (``/proc/self/fdinfo``: a line per watch with its
  inode; 9 ms CPU with 1,111 folders watched, only for batches that add folders). One still
  missing at the next look (notify adds the watch just after reporting the folder; rescans
  wait for that look) is a failure as above, and the restart then fails on the limit: walks.

Starting can fail (``max_user_watches`` reached: notify needs one watch per folder, ignored ones
included; a folder we may not read; no inotify, where notify would fall back to polling every
file): one warning line, and the folder stays on walks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

from ..ignore import INFO_EXCLUDE, IgnoreRules
from ..selection import parent_of

log = logging.getLogger(__name__)

#: How long one batch may gather changes: a long burst (a checkout) is cut into batches this long.
DEBOUNCE_MS = 500
#: The wait between two looks at notify's queue. A change is delivered after one or two steps
#: (30-60 ms; the session then batches 30 ms more); idle, each step costs a GIL acquisition.
STEP_MS = 30
#: An idle wait returns after this long (in practice one step, 30 ms), so that
#: :meth:`FolderWatcher.sync` is answered within 30-60 ms even when nothing changes (at 50 ms,
#: two steps: a no-change rescan took 0.12 s, most of it this wait).
TIMEOUT_MS = 20
#: Batches this big may come with a kernel queue overflow nobody reports (module docstring).
OVERFLOW_SUSPECT_CHANGES = 2000
#: Restarts after a failure, per folder; past that the folder stays on walks.
MAX_RESTARTS = 3
#: Our own folder in every workspace (profiles, instructions): its writes are not changes.
OWN_FOLDER = ".sourcepacker"
#: watchfiles' change kinds (``watchfiles.Change``).
ADDED = 1

Changes = set[tuple[int, str]]


class EventSource(Protocol):
    """What the thread needs of watchfiles' ``RustNotify`` (tests pass a fake)."""

    def watch(
        self, debounce_ms: int, step_ms: int, timeout_ms: int, stop_event: threading.Event | None
    ) -> Changes | str: ...

    def close(self) -> None: ...


SourceFactory = Callable[[Path], EventSource]
#: The given new folders that no watch covers (Linux: inotify's limit was reached).
DirCheck = Callable[[list[str]], list[str]]


class Sink(Protocol):
    """The session's side, called on the event loop."""

    def watcher_started(self) -> None: ...

    def watcher_lost(self) -> None: ...

    def distrust_events(self) -> None: ...

    def file_changed(self, rel: str) -> None: ...

    def request_scan(self) -> object: ...


class PollingRefusedError(OSError):
    """notify fell back to polling: stat'ing every file every interval costs more than walks."""


def rust_source(root: Path) -> EventSource:
    """A recursive native watch of ``root``; raises OSError when it cannot be had."""
    from watchfiles._rust_notify import RustNotify

    # debug off, no forced polling (poll delay unused), recursive, permission errors raised:
    # ignoring them would leave the folders after an unreadable one unwatched, silently.
    source = RustNotify([str(root)], False, False, 1000, True, False)
    if repr(source).startswith("RustNotify(Poll"):  # no inotify (errno 38): notify polls
        source.close()
        raise PollingRefusedError("no native file events here (notify would poll every file)")
    return source


def unwatched_dirs(dirs: list[str]) -> list[str]:
    """Those of ``dirs`` (absolute) that no inotify instance of this process watches.

    Each watch is a line of ``/proc/self/fdinfo/FD`` with the inode and the kernel's device
    number (``sdev``, major << 20 | minor). Elsewhere than Linux (no per-folder watches) or
    without /proc: nothing is reported missing.
    """
    if sys.platform != "linux" or not dirs:
        return []
    watched: set[tuple[int, int]] = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return []
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"/proc/self/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("inotify wd:"):
                        kv = dict(part.split(":", 1) for part in line.split()[1:4])
                        sdev = int(kv["sdev"], 16)
                        dev = os.makedev(sdev >> 20, sdev & 0xFFFFF)
                        watched.add((dev, int(kv["ino"], 16)))
        except (OSError, ValueError, KeyError):
            continue
    missing = []
    for path in dirs:
        try:
            st = os.stat(path)
        except OSError:
            continue  # gone again: nothing to watch
        if (st.st_dev, st.st_ino) not in watched:
            missing.append(path)
    return missing


def is_own(rel: str, own_dirs: Iterable[str]) -> bool:
    return any(rel == d or rel.startswith(d + "/") for d in own_dirs)


def relevant_paths(
    root: str, changes: Iterable[str], rules: IgnoreRules, own_dirs: tuple[str, ...]
) -> list[str]:
    """The changed paths the session must look at, relative to ``root`` (sorted).

    Left out: paths outside ``root`` and the root itself (its attributes count for nothing),
    our own folders, and paths below a folder the rules ignore (asked once per folder).
    """
    prefix = root.rstrip(os.sep) + os.sep
    ignored_dir: dict[str, bool] = {}
    out: set[str] = set()
    for path in changes:
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if os.sep != "/":
            rel = rel.replace(os.sep, "/")
        if not rel or is_own(rel, own_dirs):
            continue
        parent = parent_of(rel)
        if parent and rel != INFO_EXCLUDE and _dir_ignored(rules, parent, ignored_dir):
            continue
        out.add(rel)
    return sorted(out)


def _dir_ignored(rules: IgnoreRules, rel_dir: str, memo: dict[str, bool]) -> bool:
    hit = memo.get(rel_dir)
    if hit is None:  # is_ignored looks at the parents too: git never looks inside an ignored one
        hit = memo[rel_dir] = rules.is_ignored(rel_dir, True)
    return hit


class FolderWatcher:
    """One folder's watcher thread. ``start`` on the loop, ``stop`` then ``join`` at the end."""

    def __init__(
        self,
        root: Path,
        sink: Sink,
        rules: Callable[[], IgnoreRules],
        loop: asyncio.AbstractEventLoop,
        *,
        own_dirs: tuple[str, ...] = (OWN_FOLDER,),
        open_source: SourceFactory = rust_source,
        check_dirs: DirCheck = unwatched_dirs,
    ) -> None:
        self.root, self.sink, self.rules, self.loop = root, sink, rules, loop
        self.own_dirs = own_dirs
        self.open_source = open_source
        self.check_dirs = check_dirs
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: True once live, False when it could not start; set from the thread.
        self.ready: Future[bool] = Future()
        #: True while events flow (read by stats; written by the thread).
        self.live = False
        self._lock = threading.Lock()
        self._waiters: list[Future[None]] = []
        self._ended = False

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.run, name=f"sp-watch-{self.root.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end; it notices within one step (STEP_MS)."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def sync(self) -> Future[None]:
        """Done once every change made before this call has been handed to the session.

        A client that writes a file and then asks for a rescan must see the file. inotify
        queues the event before the write returns; the answer comes after the first wait on
        notify that began after this call has ended, and after its paths were posted.
        """
        fut: Future[None] = Future()
        with self._lock:
            if self.live and not self._ended:
                self._waiters.append(fut)
                return fut
        fut.set_result(None)  # not watching: the session walks anyway
        return fut

    def _answer(self, waiters: list[Future[None]]) -> None:
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the thread ------------------------------------------------------------------------

    def run(self) -> None:
        """Watch until stopped, restarting after a failure (public for tests: no thread)."""
        failures = 0
        try:
            while not self._stop.is_set():
                try:
                    source = self.open_source(self.root)
                except Exception as exc:  # OSError: watch limit, permission, gone, polling
                    log.warning(
                        "cannot watch %s for changes (%s); rescans walk the folder",
                        self.root,
                        _one_line(exc),
                    )
                    return
                try:
                    self.live = True
                    self._post(self.sink.watcher_started)
                    if failures:  # what happened while it was down is found by a walk
                        self._post(self._walk)
                    _set(self.ready, True)
                    failed = self._pump(source)
                finally:
                    self.live = False
                    source.close()
                if not failed:
                    return
                failures += 1
                if failures > MAX_RESTARTS:
                    log.warning(
                        "file watcher of %s failed %d times; rescans walk the folder",
                        self.root,
                        failures,
                    )
                    return
        finally:
            _set(self.ready, False)
            with self._lock:
                self._ended = True
                waiters, self._waiters = self._waiters, []
            self._answer(waiters)

    def _pump(self, source: EventSource) -> bool:
        """Hand batches to the session until stopped (False) or the source fails (True)."""
        suspects: list[str] = []  # new folders without a watch at the last look
        while not self._stop.is_set():
            with self._lock:
                waiters, self._waiters = self._waiters, []
            try:
                batch = source.watch(DEBOUNCE_MS, STEP_MS, TIMEOUT_MS, self._stop)
            except Exception as exc:  # WatchfilesRustInternalError and the like
                log.warning(
                    "file watcher of %s failed (%s); restarting it, the next rescan walks",
                    self.root,
                    _one_line(exc),
                )
                self._post(self.sink.watcher_lost)  # before the waiters' scans run
                self._answer(waiters)
                return True
            if isinstance(batch, str):  # "stop", "timeout", "signal"
                batch = set()
            rels = relevant_paths(
                str(self.root), (p for _c, p in batch), self.rules(), self.own_dirs
            )
            if rels:
                self._post(self._feed, rels)
            new_dirs = self._added_dirs(batch, rels)
            if suspects or new_dirs:
                missing = self.check_dirs(suspects + new_dirs)
                # Still unwatched one wait later: notify was not just slow to add the watch.
                if lost := [d for d in missing if d in suspects]:
                    log.warning(
                        "file watcher of %s: no watch for the new folder %s (inotify's limit: "
                        "raise fs.inotify.max_user_watches); restarting it, the next rescan walks",
                        self.root,
                        lost[0],
                    )
                    self._post(self.sink.watcher_lost)
                    self._answer(waiters)
                    return True
                suspects = missing
            if len(batch) >= OVERFLOW_SUSPECT_CHANGES:
                self._post(self.sink.distrust_events)
                self._post(self._walk)
            if suspects:  # a rescan must not trust events before the next look
                with self._lock:
                    self._waiters[:0] = waiters
            else:
                self._answer(waiters)  # after the posts: the loop runs them first
        return False

    def _added_dirs(self, batch: Changes, rels: list[str]) -> list[str]:
        """The folders this batch added among the relevant paths (one stat per added path)."""
        added = {p for change, p in batch if change == ADDED}
        paths = (os.path.join(self.root, *rel.split("/")) for rel in rels)
        return [p for p in paths if p in added and os.path.isdir(p)]

    def _walk(self) -> None:
        self.sink.request_scan()  # distrusted: the whole-folder scan walks

    def _feed(self, rels: list[str]) -> None:
        for rel in rels:
            self.sink.file_changed(rel)

    def _post(self, fn: Callable[..., None], *args: object) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop has closed (after ``exit``): nobody is listening
            self._stop.set()


def _set(fut: Future[bool], value: bool) -> None:
    if not fut.done():
        fut.set_result(value)


def _one_line(exc: BaseException) -> str:
    """The reason, without notify's debug dump (`` (Error { kind: ..., paths: [...] })``)."""
    lines = str(exc).strip().splitlines()
    text = lines[0].split(" (Error {", 1)[0] if lines else type(exc).__name__
    if "MaxFilesWatch" in str(exc):  # one inotify watch per folder, ignored ones included
        text += "; raise fs.inotify.max_user_watches"
    return text
