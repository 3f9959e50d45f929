"""One workspace folder inside the daemon: its engine, its scans and its notifications.

Scans run on the session's own executor (never pygls's pool, whose threads also read stdin).
Single flight: a new whole-folder scan request cancels the running one and becomes its
follow-up; requests that arrive meanwhile merge into that one follow-up. The engine calls the
listener from the scan thread; the listener only hands data to the event loop, which alone
talks to the client.

Trusting events: while a file watcher is live (the editor's ``didChangeWatchedFiles``
registration, or our own), a whole-folder scan without ``force`` does not walk again once one
complete walk has run since the watcher started: it rescans only the paths that events named
since that walk (100k files: a walk lstats every file, 0.44-0.61 s; see docs/benchmarks.md).
Anything that may have lost events makes the next whole-folder scan a real walk: no watcher,
the watcher lost or restarted, ``force``, a settings or ignore-rules change, more than
MAX_TARGETED_PATHS paths named, a cancelled or failed walk, and the first scan of a session.
Ignore files above the folder (git's rules from the work tree's top) are not in any watched
folder of ours: a trusted rescan stats them first and walks when one changed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pygls.progress import Progress as ProgressClient

from ..engine import Engine, ScanReport
from ..ignore import is_rules_file
from ..memory import trim_heap
from ..model import FileState, Sums
from ..options import PackOptions
from ..profiles import load_last, save_last
from .notify import Notifier, Progress, Sender
from .paths import uri_path
from .protocol import TokenSum, Totals
from .timers import Debouncer
from .watcher import OWN_FOLDER, FolderWatcher, SourceFactory, rust_source

log = logging.getLogger(__name__)

#: The cache is written this long after the last scan (and at shutdown, and every ~1k entries).
SAVE_AFTER_QUIET_SECONDS = 2.0
#: Clicks in quick succession (a user ticking files) end in one write of the selection.
SELECTION_SAVE_DELAY_SECONDS = 0.5
#: File events are gathered this long from the first one: a branch switch's burst is one scan.
EVENT_BATCH_SECONDS = 0.03
#: Beyond this many changed paths a whole-folder rescan is cheaper than targeted stats.
MAX_TARGETED_PATHS = 2000


def token_sum(s: Sums) -> TokenSum:
    return TokenSum(s.tokens, s.exact, s.estimated, s.files, s.pending)


@dataclass
class _ScanRequest:
    paths: set[str] | None = None  # None: the whole folder
    force: bool = False
    waiters: list[asyncio.Future[ScanReport]] = field(default_factory=list)

    def merge(self, paths: list[str] | None, force: bool) -> None:
        if paths is None or self.paths is None:
            self.paths = None
        else:
            self.paths.update(paths)
        self.force = self.force or force


class Session:
    """Made on the event loop; ``engine`` is the folder's engine (tests pass a fake-pool one)."""

    def __init__(
        self, root_uri: str, engine: Engine, send: Sender, progress: ProgressClient | None
    ) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.root_uri = root_uri
        self.engine = engine
        self.root: Path = engine.root
        self.progress_client = progress
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="sp-scan")
        self.new_files: frozenset[str] = frozenset()
        self.notifier = Notifier(root_uri, engine, self.totals, send, loop)
        self._running: asyncio.Task[None] | None = None
        self._cancel = threading.Event()
        self._queued: _ScanRequest | None = None
        self._save = Debouncer(
            loop,
            SAVE_AFTER_QUIET_SECONDS,
            lambda: loop.run_in_executor(self.executor, self._write_cache),
        )
        self._selection = Debouncer(
            loop,
            SELECTION_SAVE_DELAY_SECONDS,
            lambda: loop.run_in_executor(None, self._write_selection),
        )
        self._events: set[str] | None = set()  # None: rescan the whole folder
        self._event_batch = Debouncer(loop, EVENT_BATCH_SECONDS, self._flush_events)
        self.scanning = False
        #: A watcher feeds :meth:`file_changed` (see the module docstring).
        self.watching = False
        #: Bumped whenever events may have been lost: a walk started before it proves nothing.
        self._epoch = 0
        #: The epoch in which the last complete walk started (None: no walk to trust).
        self._walked_epoch: int | None = None
        #: The ignore files above the folder as that walk saw them (their stats).
        self._walk_stamp: tuple[tuple[Path, tuple[int, ...] | None], ...] = ()
        #: Paths events named since that walk started; None: too many to rescan one by one.
        self._since_walk: set[str] | None = set()
        #: How the last whole-folder request was served: "walk" or "events" (tests, stats).
        self.last_whole_scan = ""
        #: The daemon's own watcher, when the client watches nothing for us (daemon/watcher.py).
        self.own_watcher: FolderWatcher | None = None
        #: None until a pack of the selection says otherwise: the settings' format, no budget.
        self.pack_options: PackOptions | None = None
        self._prompt_running = False
        self._prompt_computed: tuple[PackOptions | None, int] | None = None
        if self.cache_dir is not None:
            engine.set_selection(load_last(self.cache_dir))

    @property
    def cache_dir(self) -> Path | None:
        path = self.engine.cache.path
        return path.parent if path is not None else None

    def totals(self) -> Totals:
        selected, workspace = self.engine.totals()
        prompt = self.engine.prompt_tokens(self.pack_options, read=False)
        computed, self._prompt_computed = self._prompt_computed, None
        if prompt is None:
            if computed is not None and computed[0] == self.pack_options:
                prompt = computed[1]  # just computed off the loop (files unreadable or changing)
            else:
                self._compute_prompt()
        return Totals(
            self.root_uri,
            token_sum(selected),
            token_sum(workspace),
            self.engine.encoding,
            prompt,
            self.pack_options.budget if self.pack_options else None,
        )

    def use_pack_options(self, options: PackOptions) -> None:
        """The options of the prompt figure in totals: those of the last pack of the selection
        (without the one-off parts: git context, since-last, split)."""
        options = options.with_changes(diff=False, log=0, since_last=False, split_tokens=None)
        if options != self.pack_options:
            self.pack_options = options
            self.engine.prepare_packs(options)  # scans shape files for it on their workers
            self.notifier.totals_changed()

    def _compute_prompt(self) -> None:
        """Compute the prompt figure off the loop (it may read files), then send totals again."""
        if self._prompt_running:
            return
        self._prompt_running = True
        loop = self._loop  # totals() runs on the loop, but be safe from any thread
        options = self.pack_options

        def done(fut: asyncio.Future[int | None]) -> None:
            self._prompt_running = False
            if fut.cancelled():
                return
            if (exc := fut.exception()) is not None:
                log.warning("cannot compute the prompt figure: %s", exc)
                return
            result = fut.result()
            self._prompt_computed = None if result is None else (options, result)
            self.notifier.totals_changed()

        def start() -> None:
            loop.run_in_executor(None, self.engine.prompt_tokens, options).add_done_callback(done)

        loop.call_soon_threadsafe(start)

    def remember_selection(self) -> None:
        """Persist the selection soon, off the event loop (the write fsyncs)."""
        if self.cache_dir is not None:
            self._selection.poke()

    def _write_selection(self) -> None:
        if self.cache_dir is None:
            return
        try:
            save_last(self.cache_dir, self.engine.selection())
        except OSError as exc:
            log.warning("cannot save the selection: %s", exc)

    # --- scans -----------------------------------------------------------------------------

    def watcher_started(self) -> None:
        """A watcher now reports changes; the next complete walk makes events trusted."""
        self.watching = True
        self.distrust_events()

    def watcher_lost(self) -> None:
        """The watcher stopped, restarted or overflowed: events may be missing."""
        self.watching = False
        self.distrust_events()

    def distrust_events(self) -> None:
        """The next whole-folder scan walks (settings or rules changed, events lost)."""
        self._epoch += 1
        self._walked_epoch = None

    @property
    def trusts_events(self) -> bool:
        return self.watching and self._walked_epoch == self._epoch and self._since_walk is not None

    def start_own_watcher(self, open_source: SourceFactory = rust_source) -> FolderWatcher:
        """Watch the folder from the daemon; it calls :meth:`watcher_started` once live."""
        own = [OWN_FOLDER]
        cache_dir = self.cache_dir
        if cache_dir is not None:  # SOURCEPACKER_CACHE_DIR may lie inside the folder
            try:
                own.append(cache_dir.resolve().relative_to(self.root).as_posix())
            except ValueError:
                pass
        watcher = FolderWatcher(
            self.root,
            self,
            lambda: self.engine.rules,
            self._loop,
            own_dirs=tuple(d for d in own if d != "."),
            open_source=open_source,
        )
        self.own_watcher = watcher
        watcher.start()
        return watcher

    async def events_settled(self) -> None:
        """Until our watcher has handed over every change made before this call (a client that
        wrote a file and asks for a rescan sees it; 30-60 ms, a walk of 100k files ~1 s)."""
        if self.own_watcher is not None:
            await asyncio.wrap_future(self.own_watcher.sync())

    @property
    def watcher(self) -> str:
        """Who feeds :meth:`file_changed` now: "client", "daemon" or "none"."""
        if not self.watching:
            return "none"
        return "daemon" if self.own_watcher is not None and self.own_watcher.live else "client"

    def file_changed(self, rel: str) -> None:
        """A file event for ``rel`` ("" = the folder itself); scanned after a short batch."""
        if rel == "" or is_rules_file(rel):
            self.engine.invalidate_rules()
            self._events = None  # rules changed: every path may flip
            self.distrust_events()
        elif self._events is not None:
            self._events.add(rel)
        if self._since_walk is not None:
            self._since_walk.add(rel)
            if len(self._since_walk) > MAX_TARGETED_PATHS:
                self._since_walk = None
        self._event_batch.arm()

    def is_outside_rules_file(self, uri: str) -> bool:
        """True for a rules file above the folder that its ignore rules were read from."""
        path = uri_path(uri)
        return path is not None and path in self.engine.rules.outside_files

    def _flush_events(self) -> None:
        paths, self._events = self._events, set()
        if paths is None or len(paths) > MAX_TARGETED_PATHS:
            self.request_scan()
        elif paths:
            self.request_scan(sorted(paths))

    def request_scan(
        self, paths: list[str] | None = None, force: bool = False
    ) -> asyncio.Future[ScanReport]:
        """Queue a scan (merging with a queued one) and cancel the running one."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[ScanReport] = loop.create_future()
        if self._queued is None:
            self._queued = _ScanRequest(None if paths is None else set(paths), force)
        else:
            self._queued.merge(paths, force)
        self._queued.waiters.append(waiter)
        if self._running is None or self._running.done():
            self._running = loop.create_task(self._drain())
        elif paths is None:
            self._cancel.set()  # a whole-folder scan supersedes the running one
        return waiter

    async def _drain(self) -> None:
        while self._queued is not None:
            request, self._queued = self._queued, None
            self._cancel = threading.Event()
            try:
                report = await self._run(request)
            except Exception as exc:  # one failed scan must not stop the daemon
                log.exception("scan of %s failed", self.root)
                for w in request.waiters:
                    if not w.done():
                        w.set_exception(exc)
                continue
            for w in request.waiters:
                if not w.done():
                    w.set_result(report)

    async def _run(self, request: _ScanRequest) -> ScanReport:
        loop = asyncio.get_running_loop()
        if self.progress_client is None:
            progress = Progress(None, None, loop)
        else:
            progress = await Progress.start(
                self.progress_client, loop, "Scanning", on_cancel=self._cancel.set
            )
        listener = _Listener(self, loop, progress, self._cancel)
        paths = sorted(request.paths) if request.paths is not None else None
        cancel = self._cancel
        mode = ""  # a targeted scan
        walk_epoch: int | None = None
        if paths is None and not request.force and self.trusts_events:
            # Ignore files above the folder: the daemon's watcher does not watch them, and a
            # client may not (no relative patterns). A few stats tell whether they changed.
            stamp = await loop.run_in_executor(self.executor, self._outside_rules_stamp)
            if stamp != self._walk_stamp:
                self.engine.invalidate_rules()
                self.distrust_events()
        if paths is None and not request.force and self.trusts_events:
            assert self._since_walk is not None
            paths, mode = sorted(self._since_walk), "events"  # only what events named
        elif paths is None:
            mode, walk_epoch = "walk", self._epoch if self.watching else None
            self._since_walk = set()  # events from now on are the ones a later scan needs
        if mode:
            self.last_whole_scan = mode
        self.scanning = True

        def scan() -> ScanReport:
            if mode == "walk":  # what the rules above the folder were when the walk began
                self._walk_stamp = self._outside_rules_stamp()
            return self.engine.scan(
                force=request.force, paths=paths, cancel=cancel, listener=listener, persist=False
            )

        try:
            report = await loop.run_in_executor(self.executor, scan)
        except BaseException:
            if mode == "walk":
                self._walked_epoch = None  # a failed walk proves nothing
            raise
        finally:
            self.scanning = False
            progress.end()
            self.notifier.finish()
            self._save.poke()  # write the cache once things are quiet, not after every event
        if mode == "walk":
            # Trusted from now on only if complete and nothing was lost since it started.
            complete = not report.cancelled and walk_epoch == self._epoch
            self._walked_epoch = walk_epoch if complete else None
        elif mode == "events":
            # The folder's files, as the walk this replaces would have reported.
            report.files = self.engine.totals()[1].files
        return report

    def _outside_rules_stamp(self) -> tuple[tuple[Path, tuple[int, ...] | None], ...]:
        """Each ignore file above the folder with its stat (None: absent); on the scan thread."""
        out: list[tuple[Path, tuple[int, ...] | None]] = []
        for path in self.engine.rules.outside_files:
            try:
                st = os.stat(path)
            except OSError:
                out.append((path, None))
            else:
                out.append((path, (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)))
        return tuple(out)

    def _write_cache(self) -> None:
        self.engine.cache.save()
        trim_heap()  # after a scan and its save, what they freed goes back (~8 MB at 100k)

    def cancel_scans(self) -> None:
        self._queued = None
        self._cancel.set()

    def stop(self) -> None:
        """On the event loop, before :meth:`close`: no new scans, no pending timers."""
        if self.own_watcher is not None:
            self.own_watcher.stop()
        self._save.cancel()
        self._event_batch.cancel()
        if self._selection.cancel():
            self._write_selection()  # the user's last click must survive the restart
        self.cancel_scans()

    def close(self) -> None:
        """Off the event loop: wait for the scan thread, stop the pool, write the cache."""
        self.cancel_scans()
        if self.own_watcher is not None:
            self.own_watcher.stop()
            self.own_watcher.join()  # ends within one step (watcher.STEP_MS)
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.engine.close()


class _Listener:
    """Engine callbacks (scan thread) → event loop."""

    def __init__(
        self,
        session: Session,
        loop: asyncio.AbstractEventLoop,
        progress: Progress,
        cancel: threading.Event,
    ) -> None:
        self.session, self.loop, self.bar, self.cancel = session, loop, progress, cancel

    def discovered(self, files: int) -> None:
        self.loop.call_soon_threadsafe(self.session.notifier.totals_changed, True)
        self.loop.call_soon_threadsafe(self.bar.report, f"Found {files:,} files", None)

    def progress(self, done: int, total: int) -> None:
        if self.bar.cancelled():
            self.cancel.set()
        pct = int(done * 100 / total) if total else 100
        self.loop.call_soon_threadsafe(self.bar.report, f"Tokenizing {done:,}/{total:,}", pct)

    def counted(self, files: list[FileState]) -> None:
        self.loop.call_soon_threadsafe(self.session.notifier.files_changed, files)
