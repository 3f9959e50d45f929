"""One workspace folder: discovery, change detection, counting, totals and packing.

The daemon and the command line both drive this class; it owns the model, the cache, the
ignore rules and the tokenizer pool, and serialises every change to the model under one lock
so readers (a request handler on the event loop) always see consistent sums.

A scan is: walk (stat only) → compare each file's ``(size, mtime_ns, inode)`` with the
snapshot → read and hash only what differs → tokenize only new hashes → merge batch by
batch, telling a listener after each step so an editor can show estimates at once and exact
counts as they converge.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import xxhash

from . import lastpack
from .cache import CACHE_FILE_NAME, PathRecord, TokenCache, default_cache_dir
from .counting import FileCount
from .derived import DerivedStore, variant_key
from .fs import ReadRefused, read_vetted, split_stat_key, stat_key
from .ignore import IgnoreRules
from .model import FileState, Sums, TokenState, WorkspaceModel
from .options import PackOptions
from .pack import PackFormat, render, segment_tokens
from .packing import (
    Context,
    PackResult,
    Source,
    pack_files,
    sections_for,
    shape_file,
    stream_files,
)
from .pool import TokenizerPool
from .segments import SegmentMemo
from .selection import ROOT, Selection
from .settings import Settings
from .store import default_store_dir, shared_store
from .walk import FoundFile, Skipped, SkipReason, decode_text, walk

if TYPE_CHECKING:  # each imported where used: a CLI pack needs none of them (~10 ms of start-up)
    from . import profiles
    from .listing import DirEntry

log = logging.getLogger(__name__)

#: A file modified this close to the moment it was read may be edited again without its
#: mtime moving (coarse timestamps: 2 s on FAT, a jiffy on ext4), so it is re-hashed next time.
RACY_WINDOW_NS = 2_000_000_000
#: One walker thread: on a warm page cache each lstat is ~1 µs and the GIL hand-over costs
#: more than a second thread saves (100k files: 0.94 s with 1 thread, 1.06 s with 2, 1.69 s
#: with 4, medians on the 2-core machine). Cold disks or network file systems may differ.
WALK_WORKERS = 1
DIFF_CHUNK = 2000
#: While walking, tell the listener about newly found files at most this often.
EARLY_ESTIMATE_SECONDS = 0.1
#: Counts of unsaved editor buffers kept in memory (never persisted): a user typing makes one
#: version per keystroke burst, and only the latest few can come back (undo).
BUFFER_COUNTS_KEPT = 256

#: Memo value of a file that could not be read (pack() reports it skipped).
UNREADABLE = -1

T = TypeVar("T")
PoolFactory = Callable[[Settings], TokenizerPool]


def default_pool(settings: Settings) -> TokenizerPool:
    return TokenizerPool(
        settings.encoding, settings.pool_kind, settings.pool_size, counter=settings.counter
    )


class ScanListener(Protocol):
    def discovered(self, files: int) -> None: ...
    def progress(self, done: int, total: int) -> None: ...
    def counted(self, files: list[FileState]) -> None: ...


class _Quiet:
    def discovered(self, files: int) -> None: ...
    def progress(self, done: int, total: int) -> None: ...
    def counted(self, files: list[FileState]) -> None: ...


class _Relay:
    """A listener passing everything on to another one."""

    def __init__(self, to: ScanListener) -> None:
        self.to = to

    def discovered(self, files: int) -> None:
        self.to.discovered(files)

    def progress(self, done: int, total: int) -> None:
        self.to.progress(done, total)

    def counted(self, files: list[FileState]) -> None:
        self.to.counted(files)


@dataclass
class ScanReport:
    files: int = 0
    read: int = 0
    tokenized: int = 0
    cache_hits: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    removed: int = 0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    cancelled: bool = False


@dataclass
class EngineStats:
    """Running totals since the engine started, for ``--stats`` and the ``stats`` request."""

    scans: int = 0
    read: int = 0
    tokenized: int = 0
    cache_hits: int = 0
    stage_seconds: Counter[str] = field(default_factory=Counter)
    last: ScanReport = field(default_factory=ScanReport)


@dataclass(frozen=True)
class Telemetry:
    """A consistent copy of the engine's figures, taken under its lock."""

    files: int
    skipped: Counter[str]
    scans: int
    read: int
    tokenized: int
    cache_hits: int
    stage_seconds: dict[str, float]
    last_tokenized: int
    last_read: int
    queue_depth: int
    last_batch_seconds: float


class Engine:
    """One workspace folder. Every public method takes the engine's lock itself.

    Collaborators come in through the constructor: ``cache`` (default: loaded from the
    workspace's cache location) and ``pool_factory`` (default: a tokenizer pool for the
    settings; called again when the encoding or pool settings change).
    """

    def __init__(
        self,
        root: Path,
        settings: Settings | None = None,
        *,
        cache: TokenCache | None = None,
        pool_factory: PoolFactory = default_pool,
    ) -> None:
        self.root = root.resolve()
        self.settings = settings or Settings()
        self._lock = threading.RLock()
        self.model = WorkspaceModel()
        self.stats = EngineStats()
        self.overlays: dict[str, str] = {}
        self._prepared: PackOptions | None = None
        self._segment_store: SegmentMemo | None = None
        #: A scan_and_pack's scan is counting: a pack's read waits for counts (_await_count).
        self._following = False
        self._counted = threading.Condition(self._lock)
        self._buffer_counts: OrderedDict[tuple[str, int, int], int] = OrderedDict()
        self.rules = self._make_rules()
        if cache is None:
            cache = _default_cache(self.root, self.settings.cache_dir)
        self.cache = cache
        self._pool_factory = pool_factory
        self._pool = pool_factory(self.settings)
        self._stores: dict[str, DerivedStore] = {}
        #: (rel, hash, size, format, variant, encoding) → the file's segment count in a prompt.
        self._segments: dict[tuple[str, int, int, str, str, str], int] = {}
        self._restore_snapshot()

    @property
    def pool(self) -> TokenizerPool:
        return self._pool

    @property
    def encoding(self) -> str:
        return self.settings.encoding

    def _make_rules(self) -> IgnoreRules:
        return IgnoreRules(self.root, include=self.settings.include, exclude=self.settings.exclude)

    def _restore_snapshot(self) -> None:
        """Known files with their cached counts: exact totals before anything is read."""
        with self._lock:
            records = self.cache.take_paths(self.path_snapshot)
            self.model.load(self._states_from(records))

    def _states_from(self, records: dict[str, PathRecord]) -> Iterator[FileState]:
        """Each record's state, the record dropped as soon as it is used: its freed ints make
        room for the state's (restore at 100k files: RSS 4 MB less than with all alive)."""
        for rel in list(records):
            yield self._state_from_record(rel, records.pop(rel))

    def path_snapshot(self) -> Iterator[tuple[str, PathRecord]]:
        """What a restarted process may trust without reading: built from the model at save time.

        Only files whose hash matches their stat: counted, or skipped by what reading found
        (binary, ...). Left out: estimates and stale counts (stat newer than hash), skips the
        walk finds again (hash None), unreadable files, and editor buffers (not the disk's).
        """
        with self._lock:
            overlays = self.overlays
            files = [f for f in self.model.files.values() if f.hash is not None]
            files = [f for f in files if f.rel not in overlays] if overlays else files
        exact, skipped = TokenState.EXACT, TokenState.SKIPPED
        for f in files:
            if f.state is exact or (f.state is skipped and f.skip is not SkipReason.UNREADABLE):
                yield f.rel, _record(f, f.racy)

    def _state_from_record(self, rel: str, rec: PathRecord) -> FileState:
        stat = stat_key(rec.mtime_ns, rec.ctime_ns, rec.ino)
        if rec.skip:
            return FileState(
                rel,
                rec.size,
                stat=stat,
                hash=rec.hash,
                state=TokenState.SKIPPED,
                skip=SkipReason(rec.skip),
            )
        tokens = self.cache.get(self.encoding, rec.hash, rec.size)
        return FileState(
            rel,
            rec.size,
            stat=stat,
            hash=rec.hash,
            tokens=tokens,
            state=TokenState.EXACT if tokens is not None else TokenState.ESTIMATED,
            racy=rec.racy,
        )

    # --- settings --------------------------------------------------------------------------

    def apply_settings(self, settings: Settings) -> bool:
        """Adopt new settings; returns True when a rescan is needed."""
        old, self.settings = self.settings, settings
        if _pool_settings(settings) != _pool_settings(old):
            self._pool.close()
            self._pool = self._pool_factory(settings)
            with self._lock:
                for f in list(self.model.files.values()):
                    if f.hash is not None and f.state is not TokenState.SKIPPED:
                        self.model.put(self._state_from_record(f.rel, _record(f)))
        if (settings.include, settings.exclude, settings.max_file_size) != (
            old.include,
            old.exclude,
            old.max_file_size,
        ):
            self.rules = self._make_rules()
            return True
        return settings.encoding != old.encoding

    def invalidate_rules(self) -> None:
        """An ignore file changed: rules are re-read on the next scan."""
        self.rules.invalidate()

    # --- scanning --------------------------------------------------------------------------

    def scan(
        self,
        *,
        force: bool = False,
        paths: Sequence[str] | None = None,
        cancel: threading.Event | None = None,
        listener: ScanListener | None = None,
        persist: bool = True,
    ) -> ScanReport:
        """Bring the model up to date with the disk; ``paths`` limits it to those files/folders.

        ``persist=False`` leaves writing the cache to the caller (the daemon writes after a
        quiet period rather than after every file event).
        """
        listener = listener or _Quiet()
        report = ScanReport()
        clock = time.perf_counter()
        found, skipped = self._discover(paths, cancel, listener, report)
        report.stage_seconds["walk"] = time.perf_counter() - clock
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            self._finish(report, persist=False)  # a cancelled scan still counts as one
            return report
        clock = time.perf_counter()
        to_read = self._apply_discovery(found, skipped, paths, force, report)
        del found, skipped  # 100k FoundFiles (~20 MB) must not outlive the counting
        report.stage_seconds["diff"] = time.perf_counter() - clock
        listener.discovered(report.files)
        clock = time.perf_counter()
        self._count(self._selected_first(to_read), cancel, listener, report)
        report.stage_seconds["count"] = time.perf_counter() - clock
        report.cancelled = cancel is not None and cancel.is_set()
        self._finish(report, persist)
        return report

    def _discover(
        self,
        paths: Sequence[str] | None,
        cancel: threading.Event | None,
        listener: ScanListener,
        report: ScanReport,
    ) -> tuple[list[FoundFile], list[Skipped]]:
        if paths is None:
            result = walk(
                self.root,
                self.rules,
                max_size=self.settings.max_file_size,
                workers=WALK_WORKERS,
                cancel=cancel,
                on_batch=_EarlyEstimates(self, listener),
            )
            return result.files, result.skipped
        found: list[FoundFile] = []
        skipped: list[Skipped] = []
        for rel in paths:
            from .targeted import walk_path

            sub_found, sub_skipped = walk_path(
                self.root, rel, self.rules, max_size=self.settings.max_file_size, cancel=cancel
            )
            found.extend(sub_found)
            skipped.extend(sub_skipped)
        return found, skipped

    def _apply_discovery(
        self,
        found: list[FoundFile],
        skipped: list[Skipped],
        paths: Sequence[str] | None,
        force: bool,
        report: ScanReport,
    ) -> list[str]:
        """Merge what the walk saw; return the files that must be read."""
        to_read: list[str] = []
        # The lock is taken per chunk so that a request (listFiles on the event loop) never
        # waits for a 100k-file diff: ~2k files take a few milliseconds.
        for start in range(0, len(found), DIFF_CHUNK):
            with self._lock:
                self._diff_chunk(found[start : start + DIFF_CHUNK], force, to_read)
        seen = {ff.rel for ff in found}
        seen.update(sk.rel for sk in skipped)
        with self._lock:
            model = self.model
            for sk in skipped:
                report.skipped[sk.reason.value] += 1
                skip = FileState(
                    sk.rel, 0, state=TokenState.SKIPPED, skip=sk.reason, detail=sk.detail
                )
                model.put(skip)
            in_scope = model.files if paths is None else [f.rel for f in model.files_under(paths)]
            gone = [rel for rel in in_scope if rel not in seen]
            for rel in gone:
                model.remove(rel)
            if gone:
                self.cache.paths_changed()
        report.removed = len(gone)
        report.files = len(found)
        return to_read

    def _diff_chunk(self, found: list[FoundFile], force: bool, to_read: list[str]) -> None:
        """Like git's index: a file whose size, mtime, ctime and inode are unchanged is not read.

        The ctime catches what the mtime misses: ``cp -p``, ``rsync -t`` and ``tar`` put the
        mtime back after a same-size edit, but only the kernel sets the ctime.
        """
        model = self.model
        for ff in found:
            old = model.files.get(ff.rel)
            if old is not None and ff.rel in self.overlays:
                continue  # the editor's buffer wins until it is closed
            if (
                not force
                and old is not None
                and old.hash is not None
                and old.size == ff.size
                and old.stat == ff.stat
                and not old.racy
                and old.state in (TokenState.EXACT, TokenState.SKIPPED)
            ):
                continue
            to_read.append(ff.rel)
            if old is None:
                model.put(_estimate(ff))
            elif old.state is TokenState.EXACT:
                stale = _seen(ff, hash=old.hash, tokens=old.tokens, state=TokenState.STALE)
                model.put(stale)

    def _selected_first(self, rels: list[str]) -> list[str]:
        """Tokenize what the user is looking at before the rest."""
        with self._lock:
            selected = self.model.selection.is_selected
            # The pack's order within each group: scan_and_pack's pack follows the workers.
            return sorted(rels, key=lambda rel: (not selected(rel), rel.split("/")))

    def _count(
        self,
        rels: list[str],
        cancel: threading.Event | None,
        listener: ScanListener,
        report: ScanReport,
    ) -> None:
        encoding = self.encoding

        def lookup(digest: int, size: int) -> int | None:
            return self.cache.get(encoding, digest, size)

        total, done = len(rels), 0
        listener.progress(0, total)
        prepared = self._prepared
        shape = None
        store = None if prepared is None else self._store(prepared)
        if prepared is not None and store is not None:
            shape = (prepared.transforms, prepared.mask_secrets)
        batches = self._pool.count_files(
            str(self.root), rels, lookup, cancel, max_size=self.settings.max_file_size, shape=shape
        )
        for batch in batches:
            merged = self._merge(batch, report, store)
            done += len(batch)
            listener.counted(merged)
            listener.progress(done, total)
            self.cache.maybe_flush()

    def _merge(
        self, batch: list[FileCount], report: ScanReport, store: DerivedStore | None = None
    ) -> list[FileState]:
        now = time.time_ns()
        merged: list[FileState] = []
        with self._lock:
            for fc in batch:
                if fc.skip is SkipReason.VANISHED:
                    self.model.remove(fc.rel)
                    report.skipped[fc.skip.value] += 1
                    continue
                report.read += 1
                if fc.skip is not None:
                    report.skipped[fc.skip.value] += 1
                    state = _seen(
                        fc, hash=fc.hash, state=TokenState.SKIPPED, skip=fc.skip, detail=fc.detail
                    )
                else:
                    assert fc.tokens is not None
                    if fc.from_cache:
                        report.cache_hits += 1
                    else:
                        report.tokenized += 1
                        self.cache.put(self.encoding, fc.hash, fc.size, fc.tokens)
                    if fc.shaped is not None and store is not None:
                        store.put(fc.hash, fc.size, fc.shaped.derived)
                        if fc.shaped.derived.text is not None:
                            sh = fc.shaped
                            self.cache.put(self.encoding, sh.digest, sh.size, sh.tokens)
                    state = _seen(fc, hash=fc.hash, tokens=fc.tokens, state=TokenState.EXACT)
                self.model.put(state)
                merged.append(state)
                state.racy = now - fc.mtime_ns < RACY_WINDOW_NS
            if batch:
                self.cache.paths_changed()  # path_snapshot() builds the records at save time
            if self._following:
                self._counted.notify_all()
        return merged

    def _finish(self, report: ScanReport, persist: bool) -> None:
        with self._lock:
            st = self.stats
            st.scans += 1
            st.read += report.read
            st.tokenized += report.tokenized
            st.cache_hits += report.cache_hits
            st.stage_seconds.update(report.stage_seconds)
            st.last = report
        if persist:
            self.cache.save()

    # --- editor buffers --------------------------------------------------------------------

    def set_overlay(self, rel: str, text: str) -> FileState | None:
        """Count an unsaved editor buffer as the file's content until it is closed.

        None when ``rel`` is not a counted file (ignored, skipped, unknown): an open buffer does
        not change that. Buffer counts stay out of the persisted cache (see BUFFER_COUNTS_KEPT).
        """
        with self._lock:
            old = self.model.files.get(rel)
        if old is None or old.state is TokenState.SKIPPED:
            return None
        data = text.encode("utf-8", "surrogatepass")
        digest = xxhash.xxh3_64_intdigest(data)
        tokens = self._buffer_count(text, digest, len(data))
        with self._lock:
            self.overlays[rel] = text
            # No stat: a buffer's hash never matches the disk's stat, so once the buffer is
            # dropped nothing (a scan, a saved snapshot) takes its count for the file's.
            state = FileState(
                rel,
                len(data),
                hash=digest,
                tokens=tokens,
                state=TokenState.EXACT,
            )
            self.model.put(state)
        return state

    def _buffer_count(self, text: str, digest: int, size: int) -> int:
        key = (self.encoding, digest, size)
        tokens = self.cache.get(*key)
        if tokens is None:
            with self._lock:
                tokens = self._buffer_counts.get(key)
                if tokens is not None:
                    self._buffer_counts.move_to_end(key)
        if tokens is None:
            tokens = self._pool.count_text(text)
            with self._lock:
                self._buffer_counts[key] = tokens
                while len(self._buffer_counts) > BUFFER_COUNTS_KEPT:
                    self._buffer_counts.popitem(last=False)
        return tokens

    def add_estimates(self, files: list[FoundFile]) -> None:
        """Files new to the model join it as estimates (during a walk)."""
        with self._lock:
            model = self.model
            for ff in files:
                if ff.rel not in model.files:
                    model.put(_estimate(ff))

    def drop_overlay(self, rel: str) -> bool:
        with self._lock:
            return self.overlays.pop(rel, None) is not None

    # --- reads for the edges (each takes the lock once) -------------------------------------

    def inspect(self, read: Callable[[WorkspaceModel], T]) -> T:
        """Run ``read`` on a consistent model; it must not keep references to mutable parts."""
        with self._lock:
            return read(self.model)

    def totals(self) -> tuple[Sums, Sums]:
        """The selected files' sums and the whole folder's."""
        with self._lock:
            return self.model.selected_totals(), self.model.totals()

    def list_dir(
        self, rel: str, *, include_skipped: bool = False, new_files: frozenset[str] = frozenset()
    ) -> list[DirEntry] | None:
        with self._lock:
            from .listing import list_dir

            return list_dir(self.model, rel, include_skipped=include_skipped, new_files=new_files)

    def file_tokens(self) -> list[tuple[str, int, str]]:
        """(path, tokens, state) of every counted file (skipped ones left out), sorted by path:
        for a client's filter and its marks on heavy files."""
        with self._lock:
            files = [f for f in self.model.files.values() if f.skip is None]
            return sorted((f.rel, f.shown_tokens, f.state.value) for f in files)

    def explain(self, rel: str) -> str | None:
        """Why a path the user named adds no counted file; None when it adds some."""
        with self._lock:
            f = self.model.files.get(rel)
            node = self.model.dir(rel)
            if f is not None:
                if f.state is not TokenState.SKIPPED:
                    return None
                reason = f.skip.value if f.skip else "skipped"
                return f"{reason} ({f.detail})" if f.detail else reason
            if node is not None and node.sums.files:
                return None
        path = self.root / rel
        if not os.path.lexists(path):
            return "missing"
        if self.rules.root_ignored:
            return "ignored: the whole folder is ignored by git's rules"
        if rel and self.rules.is_ignored(rel, path.is_dir()):
            return "ignored (.gitignore, .sourcepackerignore, --exclude or the defaults)"
        if rel and not path.is_dir() and not self.rules.is_included(rel):
            return "not matched by --include"
        return "no countable files" if path.is_dir() else "not counted"

    def knows(self, rel: str) -> bool:
        with self._lock:
            return rel in self.model.files

    def take_changed_dirs(self) -> list[str]:
        with self._lock:
            return self.model.take_changed_dirs()

    def telemetry(self) -> Telemetry:
        with self._lock:
            st = self.stats
            skipped: Counter[str] = Counter(
                f.skip.value for f in self.model.files.values() if f.skip is not None
            )
            return Telemetry(
                files=self.model.totals().files,
                skipped=skipped,
                scans=st.scans,
                read=st.read,
                tokenized=st.tokenized,
                cache_hits=st.cache_hits,
                stage_seconds=dict(st.stage_seconds),
                last_tokenized=st.last.tokenized,
                last_read=st.last.read,
                queue_depth=self._pool.queue_depth,
                last_batch_seconds=self._pool.last_batch_seconds,
            )

    # --- the selection and profiles ---------------------------------------------------------

    def set_checked(self, paths: Sequence[str], checked: bool) -> None:
        with self._lock:
            self.model.selection.set(paths, checked)

    def selection(self) -> Selection:
        """A copy of the selection rules."""
        with self._lock:
            return Selection(self.model.selection.rules)

    def set_selection(self, selection: Selection) -> None:
        with self._lock:
            self.model.selection = Selection(selection.rules)

    def save_profile(self, name: str) -> profiles.ProfileInfo:
        with self._lock:
            from . import profiles

            return profiles.save(self.root, name, self.model)

    def load_profile(self, name: str) -> list[str]:
        """Apply profile ``name``; returns the selected files that are new since it was saved."""
        with self._lock:
            from . import profiles

            return profiles.load(self.root, name, self.model)

    # --- packing ----------------------------------------------------------------------------

    @property
    def cache_dir(self) -> Path | None:
        """Where this workspace's cache files live (None: an in-memory cache)."""
        return None if self.cache.path is None else self.cache.path.parent

    def pack(
        self,
        options: PackOptions | None = None,
        *,
        paths: Sequence[str] | None = None,
        remember: bool = True,
        write: Callable[[bytes], object] | None = None,
    ) -> PackResult:
        """Pack ``paths`` (files or folders), or the current selection when None.

        ``remember``: record the packed files' hashes for the next ``since_last`` pack.
        ``write``: stream the prompt there as it is made (:func:`packing.stream_files`; not
        with ``split_tokens`` or ``since_last``); the result then holds no text.
        Raises :class:`gitctx.GitError` when git context is asked for outside a repository.
        """
        options = options or PackOptions(format=self.settings.format)
        with self._lock:
            if paths is None:
                candidates = self.model.files_selected()
            else:
                candidates = self.model.files_under(list(paths) or [ROOT])
        rels = sorted(f.rel for f in candidates if f.state is not TokenState.SKIPPED)
        from . import gitctx

        context = Context(
            git_diff=gitctx.diff(self.root, rels) if options.diff else "",
            git_log=gitctx.log(self.root, options.log) if options.log else "",
            last=lastpack.load(self.cache_dir) if options.since_last else None,
            store=self._store(options),
            segments=self._segment_memo() if write is not None else None,
            encoding=self.encoding,
        )
        if write is not None:
            result = stream_files(
                candidates, self.read_text, self.count_text, write, options, context
            )
        else:
            result = pack_files(candidates, self.read_text, self.count_text, options, context)
        if remember:
            lastpack.save(self.cache_dir, result.hashes)
        self.cache.save()
        return result

    def scan_and_pack(
        self,
        options: PackOptions,
        write: Callable[[bytes], object],
        *,
        paths: Sequence[str] | None = None,
        force: bool = False,
        listener: ScanListener | None = None,
        select: Callable[[], object] | None = None,
    ) -> tuple[ScanReport, PackResult]:
        """Scan, and stream the pack of the selection while the scan still counts.

        The pack starts once the walk is done (after ``select``, which may need the files
        known; with a tree, once the scan is: the tree lists the files first) and follows the
        pool's workers file by file: a file whose count is not in yet waits for it
        (:meth:`_await_count`) instead of being tokenized twice. The workers take the files in
        the pack's order, selected first, so the wait is short, and the reading, wrapping and
        writing overlap the counting (a cold pack's serial tail, ~0.4 s of the stdlib's). A
        file whose content changed meanwhile is counted by the pack itself once the scan is
        over. ``write``: as :meth:`pack`'s.
        """
        self.prepare_packs(options)
        walked = threading.Event()
        outcome: dict[str, Any] = {}

        class _Walked(_Relay):
            # The first progress call starts the count: every file is in the model by then
            # (``discovered`` also comes mid-walk, with early estimates).
            def progress(self, done: int, total: int) -> None:
                super().progress(done, total)
                walked.set()

        def scan() -> None:
            try:
                outcome["report"] = self.scan(
                    paths=paths, force=force, listener=_Walked(listener or _Quiet())
                )
            except BaseException as exc:  # re-raised on the caller's thread
                outcome["error"] = exc
            finally:
                walked.set()
                with self._lock:
                    self._following = False
                    self._counted.notify_all()

        with self._lock:
            self._following = True
        thread = threading.Thread(target=scan, name="sp-scan", daemon=True)
        thread.start()
        try:
            walked.wait()
            if options.tree:  # the tree comes first and lists the files: every one must be known
                thread.join()
            if "error" not in outcome:
                if select is not None:
                    select()
                result = self.pack(options, write=write)
        finally:
            thread.join()
        if "error" in outcome:
            raise outcome["error"]
        with self._lock:  # a file the pack met before the scan read it: the scan's reason
            for row in result.skipped:
                f = self.model.files.get(row["path"])
                if row["reason"] == "unreadable" and f is not None and f.skip is not None:
                    row["reason"] = f.skip.value
        report: ScanReport = outcome["report"]
        return report, result

    def _await_count(self, digest: int, size: int) -> int | None:
        """The cached count of (digest, size), waiting for the scan that :meth:`scan_and_pack`
        runs to count it; None once that scan is over without it (the caller counts)."""
        with self._lock:
            while (tokens := self.cache.get(self.encoding, digest, size)) is None:
                if not self._following:
                    return None
                self._counted.wait()
            return tokens

    def prepare_packs(self, options: PackOptions | None) -> None:
        """Scans from now on also shape each file they tokenize as ``options`` would (mask,
        transforms), on the pool's workers, so a pack after a cold scan finds it done."""
        self._prepared = options

    def _segment_memo(self) -> SegmentMemo:
        with self._lock:
            if self._segment_store is None:
                self._segment_store = SegmentMemo(self.cache_dir)
            return self._segment_store

    def _store(self, options: PackOptions) -> DerivedStore | None:
        variant = variant_key(options.transforms, options.mask_secrets)
        if not variant:
            return None
        with self._lock:
            store = self._stores.get(variant)
            if store is None:
                store = self._stores[variant] = DerivedStore(self.cache_dir, variant)
            return store

    def prompt_tokens(self, options: PackOptions | None = None, *, read: bool = True) -> int | None:
        """What ``pack(options).tokens`` gives for the selection, without building the prompt.

        ``read=False``: answer only from memory (None when a file would have to be read), for
        callers on an event loop; they compute the figure with ``read=True`` elsewhere.

        The header (instructions, tree) is rendered and counted; each file adds its segment
        count (:func:`pack.segment_tokens`), memoized by path, content hash, format and variant,
        so an unchanged selection reads no file. Git context, ``since_last`` and splitting are
        left out: this is the figure of the selection itself (the status bar's).
        """
        options = (options or PackOptions(format=self.settings.format)).with_changes(
            diff=False, log=0, since_last=False, split_tokens=None
        )
        fmt = PackFormat(options.format)
        variant = variant_key(options.transforms, options.mask_secrets)
        store = self._store(options)
        with self._lock:
            files = [f for f in self.model.files_selected() if f.state is not TokenState.SKIPPED]
            overlaid = {f.rel for f in files if f.rel in self.overlays}
        total = 0
        rels: list[str] = []
        for f in files:
            key = (f.rel, f.hash or 0, f.size, fmt.value, variant, self.encoding)
            seg = None if f.hash is None or f.rel in overlaid else self._segments.get(key)
            if seg is None:
                if not read and f.rel not in overlaid:
                    return None
                src = self.read_text(f.rel)
                if src is None:
                    if f.hash is not None:
                        self._segments[key] = UNREADABLE
                    continue  # unreadable: pack() reports it skipped and packs nothing
                packed, _ = shape_file(f.rel, src, options, store)
                seg = segment_tokens(fmt, packed, self.count_text)
                digest = src.digest
                if digest == f.hash and f.rel not in overlaid:
                    if len(self._segments) > 200_000:  # bounded: a few MB at most
                        self._segments.clear()
                    self._segments[key] = seg
            if seg == UNREADABLE:
                continue
            total += seg
            rels.append(f.rel)
        sections = sections_for(options, Context(), [])
        total += render([], fmt, tree=options.tree, count=self.count_text, sections=sections,
                        tree_paths=rels).tokens  # fmt: skip
        if fmt is PackFormat.JSON and rels:  # the last file closes without a comma
            total += self.count_text("}\n") - self.count_text("},\n")
        if store is not None:
            store.save()
        return total

    def count_text(self, text: str) -> int:
        """``text → tokens`` through the content-addressed cache (pack wrappers, glue)."""
        data = text.encode("utf-8", "surrogatepass")
        digest, size = xxhash.xxh3_64_intdigest(data), len(data)
        tokens = self.cache.get(self.encoding, digest, size)
        if tokens is None:
            tokens = self._pool.count_text(text)
            self.cache.put(self.encoding, digest, size, tokens, share=False)  # glue: ours only
        return tokens

    def read_text(self, rel: str) -> Source | None:
        """The text to pack for ``rel``, its content key, and its exact count when cached."""
        with self._lock:
            overlay = self.overlays.get(rel)
            f = self.model.files.get(rel)
        if overlay is not None:
            data = overlay.encode("utf-8", "surrogatepass")
            digest = xxhash.xxh3_64_intdigest(data)
            tokens = self.cache.get(self.encoding, digest, len(data))
            if tokens is None and f is not None and f.hash == digest:
                tokens = f.tokens
            return Source(overlay, tokens, digest, len(data))
        try:
            # Vetted as a scan reads (fs.read_vetted): whatever the name points at now, only a
            # regular file inside the folder, within the size cap, is ever packed.
            data, _st = read_vetted(
                str(self.root), os.path.join(self.root, rel), self.settings.max_file_size
            )
        except (OSError, ReadRefused):
            return None
        text = decode_text(data)  # as a scan decides: a binary or non-UTF-8 file is not text
        if isinstance(text, SkipReason):
            return None
        digest = xxhash.xxh3_64_intdigest(data)
        tokens = self.cache.get(self.encoding, digest, len(data))
        if tokens is None and self._following:
            tokens = self._await_count(digest, len(data))
        return Source(text, tokens, digest, len(data), data)

    def close(self) -> None:
        self._pool.close()
        self.cache.save()


class _EarlyEstimates:
    """Files new to the model join it as estimates while the walk is still going.

    On a first open of a large tree the editor then shows a total within ~0.1 s instead of
    after the whole walk (1.9 s at 100k files); known files wait for the diff as before.
    """

    def __init__(self, engine: Engine, listener: ScanListener) -> None:
        self.engine, self.listener = engine, listener
        self.found = 0
        self.last_told = time.monotonic()

    def __call__(self, files: list[FoundFile]) -> None:
        self.engine.add_estimates(files)
        self.found += len(files)
        now = time.monotonic()
        if now - self.last_told >= EARLY_ESTIMATE_SECONDS:
            self.last_told = now
            self.listener.discovered(self.found)


class _Stat(Protocol):
    """What a walk (FoundFile) or a read (FileCount) saw of a file."""

    @property
    def rel(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def stat(self) -> int: ...


def _seen(seen: _Stat, **fields: Any) -> FileState:
    """A file's state from what was seen of it, plus ``fields`` (hash, tokens, state, ...)."""
    return FileState(seen.rel, seen.size, stat=seen.stat, **fields)


def _estimate(ff: FoundFile) -> FileState:
    return _seen(ff)


def _record(f: FileState, racy: bool = False) -> PathRecord:
    skip = f.skip.value if f.skip else ""
    mtime_ns, ctime_ns, ino = split_stat_key(f.stat)
    return PathRecord(f.size, mtime_ns, ino, f.hash or 0, racy, skip, ctime_ns)


def _default_cache(root: Path, override: str | None) -> TokenCache:
    """The workspace's own cache file over the store shared by every workspace.

    A workspace new to this cache takes the counts of its old in-tree cache once (legacy.py).
    """
    path = default_cache_dir(root, override) / CACHE_FILE_NAME
    fresh = not path.exists()
    cache = TokenCache.load(path, shared=shared_store(default_store_dir(override)))
    if fresh:
        from . import legacy  # once per workspace: warm runs do not import it

        legacy.import_in_tree(root, cache)
    return cache


def _pool_settings(s: Settings) -> tuple[str, str, int, str]:
    return (s.encoding, s.pool_kind, s.pool_size, s.counter)
