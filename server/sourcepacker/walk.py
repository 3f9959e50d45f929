"""Stat-only discovery: which files of a workspace count, and why the others do not.

This is the hot path of every rescan (a no-change rescan of 100k files should stay well under
a second), so the walker never reads file contents: one ``scandir`` per directory, ``d_type``
for the kind of each entry, one ``lstat`` per kept file and one regex per entry for the ignore
rules. Directories are scanned in parallel on a thread pool the caller's engine owns the
lifetime of (``scandir`` and ``lstat`` release the GIL). Symlinks are followed only inside the
root and never twice into the same real directory, so a cycle ends as a ``symlink-loop`` skip.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from .fs import SkipReason, decode_text, is_binary_name, is_inside, special_kind
from .ignore import DirRules, IgnoreRules, as_match_text

__all__ = [
    "FoundFile",
    "SkipReason",
    "Skipped",
    "WalkResult",
    "classify_content",
    "decode_text",
    "walk",
]


@dataclass(slots=True, frozen=True)
class FoundFile:
    """A countable file: its stat is what change detection compares (as git's index does)."""

    rel: str
    size: int
    mtime_ns: int
    ino: int
    #: The inode change time: moves on every write, rename or ``os.utime``, so an edit whose
    #: mtime was put back (``cp -p``, ``rsync -t``, ``tar``) is still seen.
    ctime_ns: int = 0


@dataclass(slots=True, frozen=True)
class Skipped:
    """A path the user may want to see, with the reason it is not counted."""

    rel: str
    reason: SkipReason
    detail: str = ""


@dataclass(slots=True)
class WalkResult:
    """Everything one walk found, sorted by ``rel``; ``dirs`` counts directories scanned."""

    files: list[FoundFile]
    skipped: list[Skipped]
    ignored: int
    dirs: int
    #: Symlinked folders met (followed or refused as loops).
    linked_dirs: int = 0


def classify_content(data: bytes) -> SkipReason | None:
    """BINARY if a NUL is in the first 8 KiB, INVALID_UTF8 if strict decoding fails."""
    decoded = decode_text(data)
    return decoded if isinstance(decoded, SkipReason) else None


def _no_match(_text: str) -> re.Match[str] | None:
    return None


@dataclass(slots=True)
class _Dir:
    """A directory to scan; ``included`` means an include glob matched it or a parent."""

    path: str
    rel: str
    included: bool


@dataclass(slots=True)
class _Out:
    """What one directory scan produced, merged into the walk under its lock."""

    files: list[FoundFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    subdirs: list[_Dir] = field(default_factory=list)
    visited: list[tuple[tuple[int, int], str]] = field(default_factory=list)
    ignored: int = 0


class _Walker:
    """State shared by the pool's tasks; one instance per ``walk`` call."""

    def __init__(
        self,
        root: Path,
        rules: IgnoreRules,
        max_size: int,
        cancel: threading.Event,
        on_batch: Callable[[list[FoundFile]], None] | None,
    ) -> None:
        self.root = os.fspath(root)
        self.root_real = os.path.realpath(self.root)
        self.rules = rules
        self.max_size = max_size
        self.cancel = cancel
        self.on_batch = on_batch
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.pending = 0
        self.files: list[FoundFile] = []
        self.skipped: list[Skipped] = []
        self.ignored = 0
        self.dirs = 0
        self.visited: dict[tuple[int, int], str] = {}  # real directory -> rel it was listed at
        self.links: list[tuple[_Dir, tuple[int, int]]] = []  # symlinked dirs, followed later
        self.error: BaseException | None = None
        self.linked_dirs = 0

    def run(self, pool: ThreadPoolExecutor, subtree: str = "") -> None:
        st = os.stat(self.root)
        self.visited[(st.st_dev, st.st_ino)] = ""
        batch = [_Dir(self.root, "", self.rules.includes_all)]
        if subtree:
            st = os.stat(os.path.join(self.root, subtree))
            self.visited[(st.st_dev, st.st_ino)] = subtree
            parts = subtree.split("/")
            included = self.rules.includes_all or any(
                self.rules.include_matches("/".join(parts[: i + 1]), True)
                for i in range(len(parts))
            )
            batch = [_Dir(os.path.join(self.root, subtree), subtree, included)]
        # Real directories first, then symlinked ones in sorted order, round after round: the
        # real tree always wins over a link to it, and which link wins is deterministic.
        while batch and not self.cancel.is_set():
            self.done.clear()
            self._submit(pool, batch)
            self.done.wait()
            if self.error is not None:
                raise self.error
            batch = self._claim_links()

    def _claim_links(self) -> list[_Dir]:
        links, self.links = sorted(self.links, key=lambda item: item[0].rel), []
        self.linked_dirs += len(links)
        batch: list[_Dir] = []
        for task, key in links:
            seen = self.visited.get(key)
            if seen is None:
                self.visited[key] = task.rel
                batch.append(task)
                continue
            cycle = not seen or task.rel.startswith(seen + "/")
            detail = f"cycle back to {seen or '.'}" if cycle else f"same directory as {seen}"
            self.skipped.append(Skipped(task.rel, SkipReason.SYMLINK_LOOP, detail))
        return batch

    def _submit(self, pool: ThreadPoolExecutor, dirs: list[_Dir]) -> None:
        with self.lock:
            self.pending += len(dirs)
        for d in dirs:
            pool.submit(self._task, pool, d)

    def _task(self, pool: ThreadPoolExecutor, d: _Dir) -> None:
        try:
            if not self._stopped():
                out = self._scan(d)
                self._merge(out)
                if not self._stopped():
                    self._submit(pool, out.subdirs)
        except BaseException as exc:  # surfaced by run(); a lost error would look like success
            self.error = exc
        finally:
            with self.lock:
                self.pending -= 1
                if self.pending == 0:
                    self.done.set()

    def _stopped(self) -> bool:
        return self.cancel.is_set() or self.error is not None

    def _merge(self, out: _Out) -> None:
        with self.lock:
            self.files.extend(out.files)
            self.skipped.extend(out.skipped)
            self.ignored += out.ignored
            self.dirs += 1
            self.visited.update(out.visited)
        if self.on_batch is not None and out.files:
            self.on_batch(out.files)

    def _scan(self, d: _Dir) -> _Out:
        out = _Out()
        try:
            with os.scandir(d.path) as it:
                self._entries(it, d, out)
        except FileNotFoundError as exc:
            out.skipped.append(Skipped(d.rel, SkipReason.VANISHED, exc.strerror or ""))
        except OSError as exc:
            out.skipped.append(Skipped(d.rel, SkipReason.UNREADABLE, exc.strerror or str(exc)))
        return out

    def _entries(self, it: Iterator[os.DirEntry[str]], d: _Dir, out: _Out) -> None:
        # The per-file path is inlined on purpose: at 100k files every call counts, and this
        # loop's own overhead is about as large as the lstat it wraps.
        rules = self.rules.dir_rules(d.rel)
        match = rules.file_re.fullmatch if rules.file_re is not None else _no_match
        prefix, max_size = d.rel + "/" if d.rel else "", self.max_size
        match_base = rules.prefix + as_match_text(prefix)  # patterns see paths from git's top
        included, include = d.included, self.rules.include_matches
        files, skipped = out.files, out.skipped
        for entry in it:
            name = entry.name
            rel = prefix + name
            if entry.is_dir(follow_symlinks=False):
                self._subdir(entry, rel, rules, included, out)
                continue
            if not entry.is_file(follow_symlinks=False):
                self._other(entry, rel, rules, included, out)
                continue
            m = match(match_base + (name if name.isascii() else as_match_text(name)))
            if (
                (m and m.lastindex is None)
                or name == ".git"
                or not (included or include(rel, False))
            ):
                out.ignored += 1
            elif is_binary_name(name):
                skipped.append(Skipped(rel, SkipReason.BINARY, "extension"))
            else:
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    skipped.append(Skipped(rel, SkipReason.VANISHED, "gone before stat"))
                    continue
                except OSError as exc:
                    skipped.append(Skipped(rel, SkipReason.UNREADABLE, exc.strerror or ""))
                    continue
                if st.st_size > max_size:
                    skipped.append(Skipped(rel, SkipReason.TOO_LARGE, f"{st.st_size} bytes"))
                else:
                    files.append(
                        FoundFile(rel, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
                    )

    def _subdir(
        self, entry: os.DirEntry[str], rel: str, rules: DirRules, included: bool, out: _Out
    ) -> None:
        if entry.name == ".git" or rules.is_ignored(rel, True):
            out.ignored += 1  # not descended: git never re-includes below an excluded dir
            return
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            out.skipped.append(Skipped(rel, SkipReason.VANISHED, "gone before stat"))
            return
        except OSError as exc:
            out.skipped.append(Skipped(rel, SkipReason.UNREADABLE, exc.strerror or ""))
            return
        out.visited.append(((st.st_dev, st.st_ino), rel))
        out.subdirs.append(_Dir(entry.path, rel, included or self.rules.include_matches(rel, True)))

    def _other(
        self, entry: os.DirEntry[str], rel: str, rules: DirRules, included: bool, out: _Out
    ) -> None:
        """Symlinks and special files: rare, so clarity beats speed here."""
        try:
            st = os.stat(entry.path) if entry.is_symlink() else entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            if not rules.is_ignored(rel, False):
                detail = "broken symlink" if entry.is_symlink() else "gone before stat"
                out.skipped.append(Skipped(rel, SkipReason.VANISHED, detail))
            return
        except OSError as exc:
            reason = SkipReason.SYMLINK_LOOP if exc.errno == errno.ELOOP else SkipReason.UNREADABLE
            out.skipped.append(Skipped(rel, reason, exc.strerror or ""))
            return
        is_dir = stat.S_ISDIR(st.st_mode)
        if rules.is_ignored(rel, is_dir):
            out.ignored += 1
        elif entry.is_symlink() and not is_inside(self.root_real, entry.path):
            target = os.path.realpath(entry.path)
            out.skipped.append(Skipped(rel, SkipReason.SYMLINK_OUTSIDE, target))
        elif is_dir:
            inc = included or self.rules.include_matches(rel, True)
            with self.lock:
                self.links.append((_Dir(entry.path, rel, inc), (st.st_dev, st.st_ino)))
        elif not stat.S_ISREG(st.st_mode):
            out.skipped.append(Skipped(rel, SkipReason.SPECIAL, special_kind(st.st_mode)))
        elif not (included or self.rules.include_matches(rel, False)):
            out.ignored += 1
        else:
            self._linked_file(rel, st, out)

    def _linked_file(self, rel: str, st: os.stat_result, out: _Out) -> None:
        if is_binary_name(rel):
            out.skipped.append(Skipped(rel, SkipReason.BINARY, "extension"))
        elif st.st_size > self.max_size:
            out.skipped.append(Skipped(rel, SkipReason.TOO_LARGE, f"{st.st_size} bytes"))
        else:
            out.files.append(FoundFile(rel, st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns))


def walk(
    root: Path,
    rules: IgnoreRules,
    *,
    max_size: int = 2 * 1024 * 1024,
    workers: int = 4,
    cancel: threading.Event | None = None,
    on_batch: Callable[[list[FoundFile]], None] | None = None,
    subtree: str = "",
) -> WalkResult:
    """List the countable files under ``root``; ``on_batch`` hears each directory's files.

    With ``cancel`` set the walk returns promptly with what it has so far. ``on_batch`` runs on
    the pool's threads, so it must be quick and thread-safe. ``subtree`` (a real folder below
    ``root``, not ignored) limits the walk to it; the caller checks ``linked_dirs``, since
    which link wins a loop can depend on folders outside the subtree.
    """
    walker = _Walker(root, rules, max_size, cancel or threading.Event(), on_batch)
    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="sourcepacker-walk") as pool:
        walker.run(pool, subtree)
    walker.files.sort(key=attrgetter("rel"))
    walker.skipped.sort(key=attrgetter("rel"))
    return WalkResult(walker.files, walker.skipped, walker.ignored, walker.dirs, walker.linked_dirs)
