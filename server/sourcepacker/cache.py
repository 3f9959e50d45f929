"""One workspace's cache: its path snapshot and its token counts, persisted atomically.

Token counts are content-addressed — ``(encoding, xxh3_64, size) → tokens`` — so identical files
anywhere count once and a renamed file is never re-tokenized. The counts a workspace uses are
kept in its own file, so a warm run reads that one file; a miss asks the store shared by every
workspace (store.py, ``shared``), and a new count goes to both. The path snapshot
``path → (size, mtime_ns, inode, hash)`` lets a restarted process skip unchanged files without
reading them, as git's index does. Both live in one msgpack file written to a temp file, fsynced
and ``os.replace``d, so a crash mid-write leaves the old file or the new one, never a torn one.
A file of another version, one that fails its checksum (xxh3_64 of the body, in an 16-byte
header) or to decode, or one holding a value no scan could have written (a negative count, a
path that is absolute or climbs out with ``..``) is discarded whole with one warning and
rebuilt: the cache is an optimisation and must never stop a scan nor be trusted blindly (it may
be damaged on disk, or committed into a repository by someone else).

Paths are ``surrogateescape`` strings inside (POSIX names are bytes); names that are not valid
UTF-8 are stored as their exact bytes in ``raw_paths``, because msgpack strings must be UTF-8.

The cache is bounded: each token entry carries the day it was last used, and a save drops
entries unused for ``MAX_AGE_DAYS`` (then the oldest, beyond ``MAX_ENTRIES``). Counts of unsaved
editor buffers never enter it (the engine keeps those in a small in-memory table), so typing
does not grow the file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import msgspec
import xxhash

from .fs import ReadRefused, SkipReason, is_utf8_name, name_bytes, read_vetted
from .memory import trim_heap

log = logging.getLogger(__name__)

CACHE_VERSION = 3
CACHE_FILE_NAME = f"cache-v{CACHE_VERSION}.msgpack"
ENV_CACHE_DIR = "SOURCEPACKER_CACHE_DIR"
#: Persist after this many new entries, so a killed process loses little work.
FLUSH_EVERY = 1000
#: ... but not more often than this (see TokenCache.maybe_flush).
MIN_FLUSH_SECONDS = 5.0
#: Token entries not used for this many days are dropped at the next save.
MAX_AGE_DAYS = 30
#: ... and beyond this many entries the least recently used go first (~40 bytes each on disk).
MAX_ENTRIES = 2_000_000
#: A temp file untouched this long is left over from a killed writer, even when a process with
#: the pid in its name is alive (pids are reused); one whose writer is dead goes at once.
STALE_TEMP_SECONDS = 600
#: ``MAGIC`` then the xxh3_64 of the body, little-endian: 16 bytes before the msgpack body.
MAGIC = b"SPCACHE\x00"
HEADER_SIZE = len(MAGIC) + 8
#: A cache larger than this is not read (2M entries at ~40 bytes, plus 1M paths at ~60 bytes).
MAX_CACHE_BYTES = 512 * 1024 * 1024
#: 1 TiB, far beyond settings.MAX_FILE_SIZE_LIMIT (1 GiB): a larger size is damage.
MAX_SANE_SIZE = 1 << 40
_U64 = 1 << 64
_SKIP_VALUES = frozenset({"", *(r.value for r in SkipReason)})
#: In memory a count and the day it was last used share one int, ``tokens << DAY_BITS | day``:
#: days since the epoch fit in 16 bits until 2149. With the content key also one int
#: (``size << 64 | xxh3_64``) an entry costs ~120 bytes instead of ~320 for two dicts keyed by
#: (encoding, hash, size) tuples (tests/bench/bench_memory.py, 100k files).
DAY_BITS = 16
DAY_MASK = (1 << DAY_BITS) - 1
HASH_MASK = (1 << 64) - 1


class PathRecord(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """What the last scan saw of one path; ``array_like`` keeps 100k records compact.

    ``gc=False``: scalars only, so no cycles; untracked records are 16 bytes smaller each and
    the collector never walks 100k of them.
    """

    size: int
    mtime_ns: int
    ino: int
    hash: int
    #: Modified so close to when it was seen that a later same-size edit could keep the same
    #: mtime (git's "racily clean" case): such a record is always re-hashed next time.
    racy: bool = False
    #: A skip reason found by reading (binary, invalid-utf8): unchanged files stay skipped
    #: without being read again.
    skip: str = ""
    #: Compared as git's index does: ``os.utime`` can put an mtime back, never a ctime.
    ctime_ns: int = 0


class TokenEntry(msgspec.Struct, array_like=True, frozen=True):
    hash: int
    size: int
    tokens: int
    #: Days since the epoch when this entry was last used (see MAX_AGE_DAYS).
    day: int = 0


class CacheFile(msgspec.Struct):
    """The on-disk layout; bump ``CACHE_VERSION`` on any change."""

    version: int
    tokens: dict[str, list[TokenEntry]] = {}
    paths: dict[str, PathRecord] = {}
    #: Names that are not valid UTF-8, as their exact bytes.
    raw_paths: list[tuple[bytes, PathRecord]] = []


class SharedCounts(Protocol):
    """The store shared by every workspace (store.TokenStore); declared here to avoid a cycle."""

    def get(self, encoding: str, digest: int, size: int) -> int | None: ...
    def add(self, encoding: str, digest: int, size: int, tokens: int) -> None: ...
    def save(self) -> bool: ...


class CacheDamaged(ValueError):
    """A cache file that must not be trusted; the message says why, on one line."""


_encoder = msgspec.msgpack.Encoder()


class _Decoded(msgspec.Struct):
    """:class:`CacheFile` as first decoded: the paths stay bytes until the token entries are
    freed, so the two never peak together (load at 100k files: traced peak 80 -> 53 MB)."""

    version: int
    tokens: dict[str, list[TokenEntry]] = {}
    paths: msgspec.Raw = msgspec.Raw(b"\x80")  # msgpack's empty map
    raw_paths: msgspec.Raw = msgspec.Raw(b"\x90")  # ... and empty array


_decoder = msgspec.msgpack.Decoder(_Decoded)
_paths_decoder = msgspec.msgpack.Decoder(dict[str, PathRecord])
_raw_paths_decoder = msgspec.msgpack.Decoder(list[tuple[bytes, PathRecord]])


@dataclass
class TokenCache:
    """In-memory cache with a dirty revision; safe to use from several threads."""

    path: Path | None
    #: The store shared by all workspaces (store.TokenStore), asked on a miss here.
    shared: SharedCounts | None = None
    #: encoding → {``content_key(hash, size)``: ``tokens << DAY_BITS | day last used``}; use
    #: :meth:`get`, :meth:`put` and :meth:`entries` rather than this layout.
    tokens: dict[str, dict[int, int]] = field(default_factory=dict)
    #: The restored path snapshot, until :meth:`take_paths` hands it over (then empty).
    paths: dict[str, PathRecord] = field(default_factory=dict)
    #: Where a save takes the path snapshot from once :meth:`take_paths` was called (the
    #: engine's model, one record at a time); None: from ``paths``.
    snapshot: Callable[[], Iterable[tuple[str, PathRecord]]] | None = field(
        default=None, repr=False
    )
    revision: int = 0
    saved_revision: int = 0
    load_error: str | None = None
    #: The cache folder's real path when loaded: a save refuses to follow it anywhere else
    #: (a folder swapped for a symlink meanwhile would otherwise redirect the write).
    real_dir: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _last_save_end: float = field(default=float("-inf"), repr=False)
    _last_save_seconds: float = field(default=0.0, repr=False)

    @classmethod
    def load(cls, path: Path | None, shared: SharedCounts | None = None) -> TokenCache:
        """The workspace's cache file at ``path`` (None: memory only), over ``shared``."""
        cache = cls(path, shared=shared)
        if path is None:
            return cache
        cache.real_dir = os.path.realpath(path.parent)
        try:
            data, st = read_vetted(cache.real_dir, os.fspath(path), MAX_CACHE_BYTES)
        except FileNotFoundError:
            return cache
        except (OSError, ReadRefused) as exc:  # a FIFO, a device, a link out, too large
            cache.load_error = f"cannot read cache {path}: {exc}"
            log.warning("%s; starting empty", cache.load_error)
            return cache
        try:
            stored = _decode(data)
            tokens = valid_tokens(stored.tokens)
            stored.tokens = {}  # the entries go before the paths are decoded
            paths = _valid_paths(stored)
        except CacheDamaged as exc:
            cache.load_error = f"damaged cache {path}: {exc}"
            log.warning("%s; discarding it and rebuilding", cache.load_error)
            return cache
        cache.tokens, cache.paths = tokens, paths
        if st.st_mtime < time.time() - 86400:  # in use: a sweep must not take it (store.py)
            with contextlib.suppress(OSError):
                os.utime(path)
        return cache

    def get(self, encoding: str, digest: int, size: int) -> int | None:
        """The count of a content: this workspace's own table, else the shared store."""
        key = content_key(digest, size)
        packed = self.tokens.get(encoding, {}).get(key)
        if packed is None:
            if self.shared is None:
                return None
            tokens = self.shared.get(encoding, digest, size)
            if tokens is not None:  # now one of this workspace's counts: saved with its file
                self._keep(encoding, key, tokens)
            return tokens
        day = today()
        if packed & DAY_MASK != day:  # a new int only on the first hit of the day
            self.tokens[encoding][key] = packed & ~DAY_MASK | day
        return packed >> DAY_BITS

    def put(
        self, encoding: str, digest: int, size: int, tokens: int, *, share: bool = True
    ) -> None:
        """A count just computed: kept here and, with ``share``, offered to the shared store.

        Not shared: the counts of a pack's glue (wrappers naming this workspace's paths, file
        edges), of no use elsewhere; a cold stdlib pack made ~4,500 of them, spread over every
        shard, so its last save rewrote all 64 shards after the files' own save had.
        """
        self._keep(encoding, content_key(digest, size), tokens)
        if share and self.shared is not None:
            self.shared.add(encoding, digest, size, tokens)

    def _keep(self, encoding: str, key: int, tokens: int) -> None:
        with self._lock:
            table = self.tokens.setdefault(encoding, {})
            old = table.get(key)
            table[key] = tokens << DAY_BITS | today()
            if old is None or old >> DAY_BITS != tokens:
                self.revision += 1

    def adopt(self, tokens: dict[str, dict[int, int]]) -> int:
        """Take counts this workspace lacks (``valid_tokens``' layout) as used today; how many.

        They stay this workspace's own: never offered to the shared store (see legacy.py).
        """
        day, added = today(), 0
        with self._lock:
            for encoding, entries in tokens.items():
                table = self.tokens.setdefault(encoding, {})
                for key, packed in entries.items():
                    if key not in table:
                        table[key] = packed & ~DAY_MASK | day
                        added += 1
            if added:
                self.revision += 1
        return added

    def entries(self, encoding: str) -> list[tuple[int, int, int]]:
        """``(hash, size, tokens)`` of every entry of ``encoding`` (tests, tools)."""
        with self._lock:
            items = list(self.tokens.get(encoding, {}).items())
        return [(key & HASH_MASK, key >> 64, packed >> DAY_BITS) for key, packed in items]

    def entry_count(self) -> int:
        return sum(len(table) for table in self.tokens.values())

    def take_paths(
        self, snapshot: Callable[[], Iterable[tuple[str, PathRecord]]]
    ) -> dict[str, PathRecord]:
        """The restored records, handed over: from now on a save asks ``snapshot`` for them.

        The engine rebuilds its model from these and drops them, so each file's state is held
        once, not twice (a PathRecord and its ints: ~110 bytes a file, bench_memory.py). A
        save encodes what ``snapshot`` yields one record at a time (:func:`_encode_paths`);
        it iterates without this lock, so ``snapshot`` may take the engine's.
        """
        with self._lock:
            records, self.paths = self.paths, {}
            self.snapshot = snapshot
        return records

    def paths_changed(self) -> None:
        """What :attr:`snapshot` returns has changed: the next save must write it."""
        with self._lock:
            self.revision += 1

    def set_paths(self, records: dict[str, PathRecord], removed: Iterable[str] = ()) -> None:
        with self._lock:
            self.paths.update(records)
            for rel in removed:
                self.paths.pop(rel, None)
            if records or removed:
                self.revision += 1

    @property
    def dirty(self) -> bool:
        return self.revision != self.saved_revision

    def maybe_flush(self) -> bool:
        """Save when ``FLUSH_EVERY`` changes accumulated and the last save is not too recent.

        A save rewrites the whole file (0.1–0.5 s at 100k entries), so during a long cold scan
        it waits at least ``MIN_FLUSH_SECONDS`` and ten times the last save's duration: the
        writes then cost under 10% of the scan, and a killed process loses seconds of work.
        """
        if self.revision - self.saved_revision < FLUSH_EVERY:
            return False
        quiet = max(MIN_FLUSH_SECONDS, 10 * self._last_save_seconds)
        if time.monotonic() - self._last_save_end < quiet:
            return False
        # This file only: the shared store is merged at the end (save), so a cold scan rewrites
        # its shards once, not at every flush.
        return self._save_own()

    def save(self) -> bool:
        """Write this file atomically, then merge new counts into the shared store.

        Returns whether this file was written (False, and a log line, when not writable).
        """
        saved = self._save_own()
        if self.shared is not None:
            self.shared.save()
        if saved:
            trim_heap()  # the encoded buffers (~14 MB at 100k files) stay resident otherwise
        return saved

    def _save_own(self) -> bool:
        if self.path is None or not self.dirty:
            return False
        with self._write_lock:
            started = time.monotonic()
            with self._lock:  # C-level copies only: put() from the pool waits microseconds
                self._evict()
                revision = self.revision
                tables = {enc: list(table.items()) for enc, table in self.tokens.items()}
                paths = dict(self.paths)
            # Plain tuples encode exactly as the array-like TokenEntry decodes, but cost less.
            by_encoding = {
                encoding: [
                    (key & HASH_MASK, key >> 64, packed >> DAY_BITS, packed & DAY_MASK)
                    for key, packed in items
                ]
                for encoding, items in tables.items()
                if items
            }
            # Outside self._lock: the snapshot takes the engine's lock, and the engine calls
            # put() while holding it.
            records = self.snapshot() if self.snapshot is not None else paths.items()
            encoded, raw = _encode_paths(records)
            snapshot = {
                "version": CACHE_VERSION,
                "tokens": by_encoding,
                "paths": encoded,
                "raw_paths": raw,
            }
            try:
                self._check_dir()
                atomic_write(self.path, encode_cache(_encoder.encode(snapshot)), durable=False)
            except OSError as exc:
                log.warning("cannot write cache %s: %s", self.path, exc)
                return False
            # A put() that raced this write bumped revision past ``revision``: stays dirty.
            self.saved_revision = revision
            remove_stale_temps(self.path)
            self._last_save_end = time.monotonic()
            self._last_save_seconds = self._last_save_end - started
            return True

    def _check_dir(self) -> None:
        assert self.path is not None
        real = os.path.realpath(self.path.parent)
        if self.real_dir is not None and real != self.real_dir:
            raise OSError(f"the cache folder now resolves to {real}, not {self.real_dir}")

    def _evict(self) -> None:
        """Drop entries unused for MAX_AGE_DAYS, then the oldest beyond MAX_ENTRIES."""
        oldest = today() - MAX_AGE_DAYS
        stale = [
            (enc, key)
            for enc, table in self.tokens.items()
            for key, packed in table.items()
            if packed & DAY_MASK < oldest
        ]
        excess = self.entry_count() - len(stale) - MAX_ENTRIES
        if excess > 0:
            fresh = sorted(
                (packed & DAY_MASK, enc, key)
                for enc, table in self.tokens.items()
                for key, packed in table.items()
                if packed & DAY_MASK >= oldest
            )
            stale += [(enc, key) for _day, enc, key in fresh[:excess]]
        for enc, key in stale:
            self.tokens[enc].pop(key, None)
        if stale:
            self.revision += 1


def _encode_paths(
    records: Iterable[tuple[str, PathRecord]],
) -> tuple[msgspec.Raw, list[tuple[bytes, PathRecord]]]:
    """The ``paths`` map, encoded one record at a time, and the names that are not UTF-8.

    A dict of 100k records built for one ``encode`` costs ~110 bytes a file at its peak, and
    Python keeps that peak as RSS after the save (freed objects leave arenas half full);
    appended one by one, each record reuses the last one's memory.
    """
    buf = bytearray(5)  # a map32 header, filled in once the count is known
    raw: list[tuple[bytes, PathRecord]] = []
    count = 0
    for rel, rec in records:
        if not is_utf8_name(rel):
            raw.append((name_bytes(rel), rec))
            continue
        _encoder.encode_into(rel, buf, -1)
        _encoder.encode_into(rec, buf, -1)
        count += 1
    buf[0] = 0xDF
    buf[1:5] = count.to_bytes(4, "big")
    return msgspec.Raw(buf), raw


def content_key(digest: int, size: int) -> int:
    """One int for a content's ``(xxh3_64, size)``: ~40 bytes where a tuple costs ~140."""
    return size << 64 | digest


def today() -> int:
    return int(time.time() // 86400)


def seal(magic: bytes, body: bytes) -> bytes:
    """A file that proves itself: ``magic``, the xxh3_64 of ``body`` (8 bytes, little-endian),
    then ``body``. The cache, the store's shards and the segment memo are written so."""
    return magic + xxhash.xxh3_64_intdigest(body).to_bytes(8, "little") + body


def unseal(magic: bytes, data: bytes, what: str) -> memoryview:
    """The body of a :func:`seal`-ed file; ValueError (``no sourcepacker WHAT header``,
    ``checksum mismatch``) when it does not prove itself."""
    head = len(magic) + 8
    if not data.startswith(magic) or len(data) < head:
        raise ValueError(f"no sourcepacker {what} header")
    body = memoryview(data)[head:]
    if xxhash.xxh3_64_intdigest(body) != int.from_bytes(data[len(magic) : head], "little"):
        raise ValueError("checksum mismatch")
    return body


def encode_cache(body: bytes) -> bytes:
    """The file's bytes: the header (magic, xxh3_64 of ``body``) then ``body``."""
    return seal(MAGIC, body)


def _decode(data: bytes) -> _Decoded:
    try:
        body = unseal(MAGIC, data, "cache")
    except ValueError as exc:
        raise CacheDamaged(str(exc)) from None
    try:
        stored = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CacheDamaged(str(exc).splitlines()[0]) from None
    if stored.version != CACHE_VERSION:
        raise CacheDamaged(f"version {stored.version}, expected {CACHE_VERSION}")
    return stored


def valid_tokens(stored: dict[str, list[TokenEntry]]) -> dict[str, dict[int, int]]:
    """The in-memory layout (see DAY_BITS) of the stored entries, each checked."""
    tokens: dict[str, dict[int, int]] = {}
    for encoding, entries in stored.items():
        table = tokens[encoding] = {}
        for e in entries:
            # A token covers at least one byte, so a count never exceeds the size.
            ok = 0 <= e.hash < _U64 and 0 <= e.size <= MAX_SANE_SIZE and e.day >= 0
            if not (ok and (0 < e.tokens <= e.size if e.size else e.tokens == 0)):
                raise CacheDamaged(f"impossible token entry {e!r}")
            table[content_key(e.hash, e.size)] = e.tokens << DAY_BITS | min(e.day, DAY_MASK)
    return tokens


def _valid_paths(stored: _Decoded) -> dict[str, PathRecord]:
    """The decoded dict itself, each record checked: no copy of 100k entries (nor a pair each)."""
    try:
        paths = _paths_decoder.decode(stored.paths)
        raw_paths = _raw_paths_decoder.decode(stored.raw_paths)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CacheDamaged(str(exc).splitlines()[0]) from None
    for raw, rec in raw_paths:
        paths[raw.decode("utf-8", "surrogateescape")] = rec
    for rel, rec in paths.items():
        if not is_safe_rel(rel):
            raise CacheDamaged(f"path {rel!r} is not a relative path inside the workspace")
        if not (
            0 <= rec.size <= MAX_SANE_SIZE
            and 0 <= rec.hash < _U64
            and rec.ino >= 0
            and rec.skip in _SKIP_VALUES
        ):
            raise CacheDamaged(f"impossible record for {rel!r}")
    return paths


def is_safe_rel(rel: str) -> bool:
    """A normalised relative POSIX path: no ``..``, ``.`` or empty part, not absolute, no NUL."""
    if not rel or "\0" in rel or rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        return False
    # String checks only: a PurePosixPath per record made 100k records cost 1.24 s instead of
    # 0.30 s (timeit, load 10); a non-empty rel without empty parts always has parts anyway.
    return _BAD_PARTS.isdisjoint(rel.split("/"))


_BAD_PARTS = frozenset({"", ".", ".."})


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so readers see the old or the new file, never a mix.

    ``durable=False`` skips the fsync, for files that prove themselves (a checksum) and are only
    a cache: a killed process cannot tear them either way (the rename is atomic, the page cache
    survives); only an OS crash could leave one damaged, and it is then discarded and rebuilt.
    A cold stdlib pack wrote 64 store shards + its cache: ~66 fsyncs, 0.1-0.3 s of its time.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # The writer's pid in the name lets the next writer remove what a killed one left.
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove_stale_temps(path: Path, *, every_file: bool = False) -> None:
    """Delete temp files of writers killed mid-write (each as large as the cache).

    ``every_file``: those of every file in ``path``'s folder (one listing for a folder of
    shards instead of one per shard written).

    A temp file named with the pid of a process that no longer exists goes at once; others
    only when old: a fresh one may belong to a live process (the CLI beside the daemon) that
    is writing right now, and a write takes well under a second even for 100k files.
    """
    cutoff = time.time() - STALE_TEMP_SECONDS
    pattern = ".*.tmp" if every_file else f".{path.name}.*.tmp"
    for tmp in path.parent.glob(pattern):
        # ".NAME.PID.RANDOM.tmp": the pid follows the name (names hold no dots but the suffix)
        rest = tmp.name[len(path.name) + 2 :] if not every_file else _after_name(tmp.name)
        with contextlib.suppress(OSError):
            if not _writer_alive(rest) or tmp.stat().st_mtime < cutoff:
                tmp.unlink()


def _after_name(temp_name: str) -> str:
    """``PID.RANDOM.tmp`` of a ``.NAME.PID.RANDOM.tmp`` whose NAME has one dot (``3f.bin``)."""
    parts = temp_name[1:].split(".", 2)
    return parts[2] if len(parts) == 3 else ""


def _writer_alive(rest: str) -> bool:
    """From ``PID.RANDOM.tmp``: False only when that pid is certainly gone (POSIX)."""
    pid_text = rest.split(".", 1)[0]
    if os.name != "posix" or not pid_text.isdigit():
        return True  # Windows' os.kill would terminate the process, not probe it
    pid = int(pid_text)
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: alive, owned by another user
    return True


def cache_base(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder of every workspace's cache folder and of the shared token store.

    Precedence: explicit override (``--cache-dir``, the ``cacheDir`` setting) →
    ``$SOURCEPACKER_CACHE_DIR`` → the user's cache directory (platformdirs:
    ``~/.cache/sourcepacker`` on Linux).
    """
    if override:
        return Path(override)
    env = os.environ.get(ENV_CACHE_DIR)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("sourcepacker"))


def default_cache_dir(root: Path, override: str | os.PathLike[str] | None = None) -> Path:
    """Where the cache of workspace ``root`` lives: never inside the workspace by default.

    An explicit override is the folder itself; otherwise one sub-folder of :func:`cache_base`
    per workspace, keyed by its real path. Pointing the CLI at someone else's checkout leaves
    no file in it.
    """
    if override:
        return Path(override)
    return cache_base() / _workspace_key(root)


def _workspace_key(root: Path) -> str:
    resolved = str(root.resolve())
    digest = xxhash.xxh3_64_hexdigest(os.fsencode(resolved))[:12]
    return f"{Path(resolved).name or 'root'}-{digest}"
