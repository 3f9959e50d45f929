"""One workspace folder inside the daemon: its engine, its scans and its notifications.

Scans run on the session's own executor (never pygls's pool, whose threads also read stdin).
Single flight: a new scan request cancels the running one and becomes its follow-up; requests
that arrive meanwhile merge into that one follow-up. The engine calls the listener from the
scan thread; the listener only hands data to the event loop, which alone talks to the client.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import Engine, ScanReport
from .model import FileState, Sums
from .profiles import load_last, save_last
from .protocol import (
    FileTokens,
    FileTokensParams,
    Notifications,
    TokenSum,
    Totals,
    TreeChangedParams,
)
from .selection import Selection
from .settings import Settings

log = logging.getLogger(__name__)

#: At most one notification of each kind per this many seconds (coalesced in between).
THROTTLE_SECONDS = 0.15
#: The cache is written this long after the last scan (and at shutdown, and every ~1k entries).
SAVE_AFTER_QUIET_SECONDS = 2.0
#: Clicks in quick succession (a user ticking files) end in one write of the selection.
SELECTION_SAVE_DELAY_SECONDS = 0.5


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
    def __init__(self, root_uri: str, root: Path, settings: Settings, send: Sender) -> None:
        self.root_uri = root_uri
        self.root = root
        self.send = send
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="sp-scan")
        self.engine: Engine = Engine(root, settings)
        self.new_files: set[str] = set()
        self.notifier = Notifier(self, send)
        self._running: asyncio.Task[None] | None = None
        self._cancel = threading.Event()
        self._queued: _ScanRequest | None = None
        self._save_handle: asyncio.TimerHandle | None = None
        self._selection_handle: asyncio.TimerHandle | None = None
        self.scanning = False
        cache_dir = self.cache_dir
        if cache_dir is not None:
            self.engine.model.selection = load_last(cache_dir)

    @property
    def cache_dir(self) -> Path | None:
        path = self.engine.cache.path
        return path.parent if path is not None else None

    def totals(self) -> Totals:
        with self.engine.lock:
            model = self.engine.model
            return Totals(
                self.root_uri,
                token_sum(model.selected_totals()),
                token_sum(model.totals()),
                self.engine.encoding,
            )

    def remember_selection(self) -> None:
        """Persist the selection soon, off the event loop (the write fsyncs)."""
        if self.cache_dir is None:
            return
        if self._selection_handle is not None:
            self._selection_handle.cancel()
        loop = asyncio.get_running_loop()
        self._selection_handle = loop.call_later(
            SELECTION_SAVE_DELAY_SECONDS, lambda: loop.run_in_executor(None, self._write_selection)
        )

    def _write_selection(self) -> None:
        self._selection_handle = None
        with self.engine.lock:
            selection = Selection(self.engine.model.selection.rules)
        if self.cache_dir is not None:
            try:
                save_last(self.cache_dir, selection)
            except OSError as exc:
                log.warning("cannot save the selection: %s", exc)

    # --- scans -----------------------------------------------------------------------------

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
        progress = await Progress.start(self, "Scanning", on_cancel=self._cancel.set)
        listener = _Listener(self, loop, progress, self._cancel)
        paths = sorted(request.paths) if request.paths is not None else None
        self.scanning = True
        try:
            report = await loop.run_in_executor(
                self.executor,
                lambda: self.engine.scan(
                    force=request.force,
                    paths=paths,
                    cancel=self._cancel,
                    listener=listener,
                    persist=False,
                ),
            )
        finally:
            self.scanning = False
            progress.end()
            self.notifier.flush_now()
            self._schedule_save()
        return report

    def _schedule_save(self) -> None:
        """Write the cache once things are quiet, not after every edit event."""
        if self._save_handle is not None:
            self._save_handle.cancel()
        loop = asyncio.get_running_loop()
        self._save_handle = loop.call_later(
            SAVE_AFTER_QUIET_SECONDS, lambda: loop.run_in_executor(self.executor, self._save)
        )

    def _save(self) -> None:
        self._save_handle = None
        self.engine.cache.save()

    def cancel_scans(self) -> None:
        self._queued = None
        self._cancel.set()

    def stop(self) -> None:
        """On the event loop, before :meth:`close`: no new scans, no pending timers."""
        if self._save_handle is not None:
            self._save_handle.cancel()
            self._save_handle = None
        if self._selection_handle is not None:
            self._selection_handle.cancel()
            self._write_selection()  # the user's last click must survive the restart
        self.cancel_scans()

    def close(self) -> None:
        """Off the event loop: wait for the scan thread, stop the pool, write the cache."""
        self.cancel_scans()
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.engine.close()


Sender = Callable[[str, Any], None]


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

    def progress(self, phase: str, done: int, total: int) -> None:
        if self.bar.cancelled():
            self.cancel.set()
        pct = int(done * 100 / total) if total else 100
        self.loop.call_soon_threadsafe(self.bar.report, f"Tokenizing {done:,}/{total:,}", pct)

    def counted(self, files: list[FileState]) -> None:
        self.loop.call_soon_threadsafe(self.session.notifier.files_changed, files)


class Progress:
    """``$/progress`` for one scan; a no-op when the client cannot show progress."""

    def __init__(self, session: Session, token: str | None) -> None:
        self.session, self.token = session, token
        self._last = 0.0
        self._future: Future[Any] | None = None

    @classmethod
    async def start(cls, session: Session, title: str, on_cancel: Callable[[], None]) -> Progress:
        """Create the client's progress bar; ``on_cancel`` runs when the user cancels it."""
        from lsprotocol import types

        from .server import SERVER

        token = str(uuid.uuid4())
        try:
            await asyncio.wait_for(SERVER.work_done_progress.create_async(token), 2)
        except Exception:  # client without window.workDoneProgress: degrade silently
            return cls(session, None)
        SERVER.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title=f"SourcePacker: {title}", cancellable=True, percentage=0
            ),
        )
        progress = cls(session, token)
        progress._future = SERVER.work_done_progress.tokens.get(token)
        if progress._future is not None:
            progress._future.add_done_callback(lambda f: on_cancel() if f.cancelled() else None)
        return progress

    def cancelled(self) -> bool:
        return self._future is not None and self._future.cancelled()

    def report(self, message: str, percentage: int | None) -> None:
        if self.token is None:
            return
        now = time.monotonic()
        if now - self._last < THROTTLE_SECONDS and percentage not in (None, 100):
            return
        self._last = now
        from lsprotocol import types

        from .server import SERVER

        SERVER.work_done_progress.report(
            self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
        )

    def end(self) -> None:
        if self.token is None:
            return
        from lsprotocol import types

        from .server import SERVER

        SERVER.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message="Done"))
        self.token = None


class Notifier:
    """Coalesces ``fileTokens`` / ``totals`` / ``treeChanged``: one of each per 150 ms at most."""

    def __init__(self, session: Session, send: Sender) -> None:
        self.session, self.send = session, send
        self.files: dict[str, FileState] = {}
        self.totals_dirty = False
        self._handle: asyncio.TimerHandle | None = None
        self._last_sent = 0.0

    def files_changed(self, files: list[FileState]) -> None:
        for f in files:
            self.files[f.rel] = f
        self.totals_changed()

    def totals_changed(self, urgent: bool = False) -> None:
        self.totals_dirty = True
        if urgent and self._last_sent == 0.0:
            self.flush_now()  # the very first totals go out at once
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self._handle is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, self._last_sent + THROTTLE_SECONDS - time.monotonic())
        self._handle = loop.call_later(delay, self.flush_now)

    def flush_now(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._last_sent = time.monotonic()
        uri = self.session.root_uri
        with self.session.engine.lock:
            dirs = self.session.engine.model.take_changed_dirs()
        if self.files:
            files = [FileTokens(f.rel, f.shown_tokens, f.state.value) for f in self.files.values()]
            self.files = {}
            self.send(Notifications.FILE_TOKENS, FileTokensParams(uri, files))
        if dirs:
            self.send(Notifications.TREE_CHANGED, TreeChangedParams(uri, dirs))
        if self.totals_dirty:
            self.totals_dirty = False
            self.send(Notifications.TOTALS, self.session.totals())
