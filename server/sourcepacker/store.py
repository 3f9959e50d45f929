"""The token store shared by every workspace: ``(encoding, xxh3_64, size) → tokens``.

Counts are content-addressed, so one store serves every workspace, clone and worktree: a file
identical in two of them is tokenized once. Each workspace keeps its own path snapshot, and the
counts of its own files, in its ``TokenCache`` file (see cache.py); this store is asked only on
a miss there, so a warm run never loads it (a warm pack of the stdlib beside a 2M-entry store
costs what it costs beside an empty one). The counts a workspace keeps are a copy (~40 bytes
each on disk): what makes its warm load independent of the size of the store.

Layout: one folder per encoding, ``SHARDS`` shard files in it, chosen by the digest's top bits.
A shard is the ``SPSTORE`` header (xxh3_64 of the body) then a msgpack array whose fields are
little-endian arrays (hashes, sizes, counts, last-use days), sorted by hash. Loading one is a
checksum and four ``array.frombytes`` (a million entries: 38–49 ms CPU, where the workspace
file's msgpack list of tuples costs 0.49 s to decode and 1.8–2.1 s with its checks;
tests/bench/bench_store.py), and a lookup is a ``bisect``. A
shard is loaded on the first miss that falls in it and dropped after each save, so an edit in
a store of 2M entries reads one ~0.8 MB shard; a cold scan of a new workspace loads them all
(~26 bytes an entry in memory) until its save.

Saving: under a file lock on the encoding's folder (``filelock``: fcntl.flock on POSIX,
msvcrt.locking on Windows), each shard with new or newly used entries is re-read from disk,
merged (union; the newer last-use day wins), evicted (unused for ``MAX_AGE_DAYS``, then the
oldest beyond its share of ``MAX_ENTRIES``) and written atomically. Readers never take the lock:
``os.replace`` shows them the old shard or the new one. A shard that fails its checksum or holds
an impossible entry is discarded with one warning and rebuilt by the next save.

No litter: once a day at most, a save also removes the workspace folders beside the store
(``<name>-<12 hex digits>``, holding a cache file and no sub-folder) whose files are all unused
for ``MAX_AGE_DAYS``: clones and temporary checkouts that are gone. A workspace in use keeps its
folder: loading its cache file moves that file's mtime forward once a day.
"""

from __future__ import annotations

import array
import bisect
import collections
import contextlib
import logging
import os
import re
import stat
import sys
import threading
import time
from pathlib import Path

import msgspec

from .cache import (
    DAY_BITS,
    DAY_MASK,
    HASH_MASK,
    MAX_AGE_DAYS,
    MAX_ENTRIES,
    MAX_SANE_SIZE,
    atomic_write,
    cache_base,
    content_key,
    remove_stale_temps,
    seal,
    today,
    unseal,
)
from .fs import ReadRefused, read_vetted

log = logging.getLogger(__name__)

STORE_VERSION = 1
#: The store's folder under the cache base (the version in the name: a new layout never reads
#: an old one).
STORE_DIR_NAME = f"tokens-v{STORE_VERSION}"
#: 64 shards: at MAX_ENTRIES a shard holds ~31k entries (~0.8 MB, 0.4–0.7 ms to load); a cold scan
#: rewrites at most 64 files at its end.
SHARD_BITS = 6
SHARDS = 1 << SHARD_BITS
SHARD_CAP = MAX_ENTRIES // SHARDS
MAGIC = b"SPSTORE\x00"
#: A shard is ~26 bytes an entry; four times its share of the cap is damage, not data.
MAX_SHARD_BYTES = 4 * 26 * SHARD_CAP + 4096
#: How long a save waits for another process's save before leaving its entries for the next
#: one: new counts in every shard of a 2M-entry store merge in 0.5 s CPU (1.2 s when the cap
#: evicts; tests/bench/bench_store.py), and the daemon's save must not hold its scans long.
LOCK_TIMEOUT_SECONDS = 5.0
_ENCODING_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
#: A workspace's folder in the cache base, as cache.default_cache_dir names it.
_WORKSPACE_DIR = re.compile(r".+-[0-9a-f]{12}")
#: In the store's folder: its mtime is the last sweep of the workspace folders.
SWEEP_MARK = ".swept"
_LITTLE = sys.byteorder == "little"


class StoreDamaged(ValueError):
    """A shard that must not be trusted; the message says why, on one line."""


class _Shard:
    """One shard: parallel arrays sorted by ``(hash, size)``."""

    __slots__ = ("days", "hashes", "sizes", "tokens")

    def __init__(
        self,
        hashes: array.array[int],
        sizes: array.array[int],
        tokens: array.array[int],
        days: array.array[int],
    ) -> None:
        self.hashes, self.sizes, self.tokens, self.days = hashes, sizes, tokens, days

    @classmethod
    def from_table(cls, table: dict[int, int]) -> _Shard:
        """From ``{content_key: tokens << DAY_BITS | day}``."""
        keys = sorted(table, key=lambda key: (key & HASH_MASK, key >> 64))
        return cls(
            array.array("Q", [key & HASH_MASK for key in keys]),
            array.array("Q", [key >> 64 for key in keys]),
            array.array("Q", [table[key] >> DAY_BITS for key in keys]),
            array.array("H", [table[key] & DAY_MASK for key in keys]),
        )

    def table(self) -> dict[int, int]:
        return {
            content_key(h, s): t << DAY_BITS | d
            for h, s, t, d in zip(self.hashes, self.sizes, self.tokens, self.days, strict=True)
        }

    def find(self, digest: int, size: int) -> int:
        """The index of ``(digest, size)``, or -1."""
        i = self.position(digest, size)
        return (
            i if i < len(self.hashes) and self.hashes[i] == digest and self.sizes[i] == size else -1
        )

    def position(self, digest: int, size: int) -> int:
        """Where ``(digest, size)`` is or would go."""
        hashes = self.hashes
        i = bisect.bisect_left(hashes, digest)
        while i < len(hashes) and hashes[i] == digest and self.sizes[i] < size:
            i += 1
        return i

    def without(self, dropped: list[int]) -> _Shard:
        """A new shard without the entries at ``dropped`` (ascending): slices, copied in C."""
        kept = _empty()
        pairs = list(zip(self.arrays(), kept.arrays(), strict=True))
        start = 0
        for i in [*dropped, len(self.hashes)]:
            for old, new in pairs:
                new.extend(old[start:i])
            start = i + 1
        return kept

    def arrays(self) -> tuple[array.array[int], ...]:
        return (self.hashes, self.sizes, self.tokens, self.days)

    def encode(self) -> bytes:
        """The file's bytes: header (magic, xxh3_64 of the body), then the arrays."""
        arrays = list(self.arrays())
        if not _LITTLE:
            arrays = [array.array(a.typecode, a) for a in arrays]
            for a in arrays:
                a.byteswap()
        body = msgspec.msgpack.encode([STORE_VERSION, *(a.tobytes() for a in arrays)])
        return seal(MAGIC, body)


def _empty() -> _Shard:
    return _Shard(array.array("Q"), array.array("Q"), array.array("Q"), array.array("H"))


_EMPTY = _empty()


class TokenStore:
    """The shared store of one cache base; thread-safe. ``directory=None``: memory only."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._loaded: dict[tuple[str, int], _Shard] = {}
        #: encoding → {content_key: ``tokens << DAY_BITS | day``} to merge at the next save:
        #: counts computed here, and counts this process used (their day moves forward).
        self._pending: dict[str, dict[int, int]] = {}
        #: Shards found damaged: warned about once, rewritten by the next save.
        self._damaged: set[tuple[str, int]] = set()
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()

    def get(self, encoding: str, digest: int, size: int) -> int | None:
        if self.directory is None or not _ENCODING_NAME.fullmatch(encoding):
            return None
        noted = self._pending.get(encoding, {}).get(content_key(digest, size))
        if noted is not None:  # computed or used in this process, not saved yet
            return noted >> DAY_BITS
        shard = self._shard(encoding, digest >> (64 - SHARD_BITS))
        i = shard.find(digest, size)
        if i < 0:
            return None
        tokens = shard.tokens[i]
        if not (0 < tokens <= size if size else tokens == 0) or size > MAX_SANE_SIZE:
            self._discard(encoding, digest >> (64 - SHARD_BITS), f"impossible entry {tokens}")
            return None
        if shard.days[i] != today():  # used today: its day moves forward at the next save
            self._note(encoding, digest, size, tokens)
        return tokens

    def add(self, encoding: str, digest: int, size: int, tokens: int) -> None:
        """A count computed here; written at the next :meth:`save`."""
        if self.directory is not None and _ENCODING_NAME.fullmatch(encoding):
            self._note(encoding, digest, size, tokens)

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(len(table) for table in self._pending.values())

    def _note(self, encoding: str, digest: int, size: int, tokens: int) -> None:
        with self._lock:
            self._pending.setdefault(encoding, {})[content_key(digest, size)] = (
                tokens << DAY_BITS | today()
            )

    def _shard(self, encoding: str, index: int) -> _Shard:
        key = (encoding, index)
        shard = self._loaded.get(key)
        if shard is not None:
            return shard
        assert self.directory is not None
        path = shard_path(self.directory, encoding, index)
        try:
            shard = _read_shard(path, index)
        except StoreDamaged as exc:
            self._discard(encoding, index, str(exc))
            shard = _empty()
        with self._lock:
            return self._loaded.setdefault(key, shard)

    def _discard(self, encoding: str, index: int, why: str) -> None:
        """Forget a damaged shard (one warning); the next save rebuilds it."""
        assert self.directory is not None
        with self._lock:
            self._loaded[(encoding, index)] = _EMPTY  # never merged into: read only
            if (encoding, index) in self._damaged:
                return
            self._damaged.add((encoding, index))
        path = shard_path(self.directory, encoding, index)
        log.warning("damaged token store shard %s: %s; discarding it", path, why)

    def save(self) -> bool:
        """Merge what this process computed or used into the shards on disk.

        False (entries kept for the next save) when the folder is not writable or another
        process holds the lock longer than ``LOCK_TIMEOUT_SECONDS``.
        """
        if self.directory is None:
            return False
        with self._save_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
                for encoding, _index in self._damaged:
                    pending.setdefault(encoding, {})
                if not pending:
                    self._loaded.clear()
                    return False
            ok = True
            for encoding, entries in pending.items():
                if not self._merge_encoding(encoding, entries):
                    ok = False
                    with self._lock:  # keep them; newer notes made meanwhile win
                        table = self._pending.setdefault(encoding, {})
                        for key, packed in entries.items():
                            table.setdefault(key, packed)
            with self._lock:
                self._loaded.clear()  # a read cache: shards reload on the next miss
            if ok:
                sweep_workspaces(self.directory.parent)
            return ok

    def _merge_encoding(self, encoding: str, entries: dict[int, int]) -> bool:
        from filelock import FileLock, Timeout  # only a save that has something to write

        assert self.directory is not None
        folder = self.directory / encoding
        with self._lock:  # damaged shards are rewritten even with nothing new in them
            by_shard: dict[int, list[tuple[int, int]]] = {
                index: [] for enc, index in self._damaged if enc == encoding
            }
        for key, packed in entries.items():
            by_shard.setdefault((key & HASH_MASK) >> (64 - SHARD_BITS), []).append((key, packed))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with FileLock(folder / ".lock", timeout=LOCK_TIMEOUT_SECONDS):
                path = None
                for index, items in sorted(by_shard.items()):
                    path = shard_path(self.directory, encoding, index)
                    data = merge(self._on_disk(encoding, index), items).encode()
                    atomic_write(path, data, durable=False)  # checksummed: see atomic_write
                    with self._lock:
                        self._damaged.discard((encoding, index))
                if path is not None:
                    remove_stale_temps(path, every_file=True)
        except Timeout:
            log.warning("token store %s is busy (locked); counts kept for the next save", folder)
            return False
        except OSError as exc:
            log.warning("cannot write token store %s: %s", folder, exc)
            return False
        return True

    def _on_disk(self, encoding: str, index: int) -> _Shard:
        """The shard as it is on disk now (re-read under the lock); empty when damaged.

        Its counts are not checked one by one here (a checksum guards the file; each count is
        checked when used): a shard found holding an impossible one is rebuilt from nothing.
        """
        assert self.directory is not None
        if (encoding, index) in self._damaged:
            return _empty()
        try:
            return _read_shard(shard_path(self.directory, encoding, index), index)
        except StoreDamaged as exc:
            self._discard(encoding, index, str(exc))
            return _empty()


def sweep_workspaces(base: Path) -> list[str]:
    """Remove the workspace folders of ``base`` unused for MAX_AGE_DAYS (once a day); their names.

    Only folders that look like ours (see the module docstring); a folder with anything else in
    it, a sub-folder or a link, is left alone.
    """
    mark = base / STORE_DIR_NAME / SWEEP_MARK
    now = time.time()
    try:
        if now - mark.stat().st_mtime < 86400:
            return []
        mark.touch()
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            mark.touch()
    except OSError:
        return []
    cutoff = now - MAX_AGE_DAYS * 86400
    removed = []
    with contextlib.suppress(OSError), os.scandir(base) as entries:
        for entry in entries:
            if _WORKSPACE_DIR.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    if _remove_if_unused(Path(entry.path), cutoff):
                        removed.append(entry.name)
    if removed:
        log.info(
            "removed %d workspace cache folders unused for %d days", len(removed), MAX_AGE_DAYS
        )
    return removed


def _remove_if_unused(folder: Path, cutoff: float) -> bool:
    files = list(folder.iterdir())
    if not any(f.name.startswith("cache-v") for f in files):
        return False
    stats = [f.lstat() for f in files]
    if (
        any(not stat.S_ISREG(st.st_mode) for st in stats)
        or max(st.st_mtime for st in stats) >= cutoff
    ):
        return False
    for f in files:
        f.unlink()
    folder.rmdir()
    return True


_stores: dict[Path, TokenStore] = {}
_stores_lock = threading.Lock()


def shared_store(directory: Path) -> TokenStore:
    """The one TokenStore of ``directory`` in this process: a daemon's workspaces share what
    each computed before any of them saves, and one lock holder merges for all."""
    with _stores_lock:
        store = _stores.get(directory)
        if store is None:
            store = _stores[directory] = TokenStore(directory)
        return store


def shard_path(directory: Path, encoding: str, index: int) -> Path:
    return directory / encoding / f"{index:02x}.bin"


def merge(shard: _Shard, items: list[tuple[int, int]]) -> _Shard:
    """``shard`` with ``items`` (``(content_key, tokens << DAY_BITS | day)``, distinct keys)
    merged in (a union; the newer last-use day wins), then evicted: entries unused for
    MAX_AGE_DAYS go, then the oldest beyond SHARD_CAP.

    Array work in C where it can (slices, ``itertools.compress``): a shard of 31k entries merges
    in a few ms, where going through a dict of its entries cost ~60 ms.
    """
    news: list[tuple[int, int, int, int]] = []
    for key, packed in items:
        digest, size = key & HASH_MASK, key >> 64
        i = shard.find(digest, size)
        if i < 0:
            news.append((digest, size, packed >> DAY_BITS, packed & DAY_MASK))
        elif packed & DAY_MASK > shard.days[i]:
            shard.tokens[i], shard.days[i] = packed >> DAY_BITS, packed & DAY_MASK
    if news:
        news.sort()
        merged = _empty()
        parts = list(zip(shard.arrays(), merged.arrays(), strict=True))
        start = 0
        for entry in news:
            at = shard.position(entry[0], entry[1])
            for (old, new), value in zip(parts, entry, strict=True):
                new.extend(old[start:at])
                new.append(value)
            start = at
        for old, new in parts:
            new.extend(old[start:])
        shard = merged
    dropped = _evicted(shard.days, today() - MAX_AGE_DAYS, SHARD_CAP)
    return shard.without(dropped) if dropped else shard


def _evicted(days: array.array[int], oldest: int, cap: int) -> list[int]:
    """Positions to drop: days before ``oldest``; past ``cap``, the oldest down to 15/16 of it.

    The slack makes the pass over every entry (~5 ms for a full shard) rare: once a day for
    the age, once per ~2k new entries of a full shard for the cap, not at every save.
    """
    if not days or (min(days) >= oldest and len(days) <= cap):
        return []
    counts = collections.Counter(days)
    fresh = len(days) - sum(n for day, n in counts.items() if day < oldest)
    excess = fresh - (cap - cap // 16) if fresh > cap else 0
    cut, partial = oldest, 0  # drop days < cut, and the first ``partial`` entries of day cut
    for day in sorted(d for d in counts if d >= oldest):
        if excess <= 0:
            break
        if counts[day] <= excess:
            excess -= counts[day]
            cut = day + 1
        else:
            cut, partial, excess = day, excess, 0
    dropped = []
    for i, day in enumerate(days):
        if day < cut:
            dropped.append(i)
        elif day == cut and partial:
            dropped.append(i)
            partial -= 1
    return dropped


def encode_shard(table: dict[int, int]) -> bytes:
    """A shard file's bytes for ``{content_key: tokens << DAY_BITS | day}`` (tests, tools)."""
    return _Shard.from_table(table).encode()


def _read_shard(path: Path, index: int) -> _Shard:
    """The shard at ``path``; empty when missing; StoreDamaged when it must not be trusted."""
    try:
        data, _st = read_vetted(os.path.realpath(path.parent), os.fspath(path), MAX_SHARD_BYTES)
    except FileNotFoundError:
        return _empty()
    except (OSError, ReadRefused) as exc:
        raise StoreDamaged(f"cannot read it ({exc})") from None
    return decode_shard(data, index)


def decode_shard(data: bytes, index: int) -> _Shard:
    """A shard file's bytes as arrays; StoreDamaged when they must not be trusted."""
    try:
        body = unseal(MAGIC, data, "store")
    except ValueError as exc:
        raise StoreDamaged(str(exc)) from None
    try:
        version, *fields = msgspec.msgpack.decode(body, type=tuple[int, bytes, bytes, bytes, bytes])
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise StoreDamaged(str(exc).splitlines()[0]) from None
    if version != STORE_VERSION:
        raise StoreDamaged(f"version {version}, expected {STORE_VERSION}")
    arrays = [array.array(code) for code in "QQQH"]
    for a, raw in zip(arrays, fields, strict=True):
        if len(raw) % a.itemsize:
            raise StoreDamaged("truncated array")
        a.frombytes(raw)
        if not _LITTLE:
            a.byteswap()
    if len({len(a) for a in arrays}) != 1:
        raise StoreDamaged("arrays of different lengths")
    hashes = arrays[0]
    # Cheap structural checks; each count is checked when it is used (TokenStore.get) or merged.
    if hashes and (
        hashes[0] >> (64 - SHARD_BITS) != index or hashes[-1] >> (64 - SHARD_BITS) != index
    ):
        raise StoreDamaged("entries of another shard")
    return _Shard(*arrays)


def default_store_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The shared store: beside the workspaces' folders (inside ``--cache-dir`` when given)."""
    return cache_base(override) / STORE_DIR_NAME
