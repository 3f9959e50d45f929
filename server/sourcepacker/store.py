"""The token store shared by every workspace: ``(encoding, xxh3_64, size) → tokens``.

Counts are content-addressed, so one store serves every workspace, clone and worktree: a file
identical in two of them is tokenized once. Each workspace keeps its own path snapshot, and the
counts of its own files, in its ``TokenCache`` file (see cache.py); this store is asked only on
a miss there, so a warm run never loads it.

Layout: one folder per encoding, ``SHARDS`` shard files in it, chosen by the digest's top bits.
A shard is the ``SPSTORE`` header (xxh3_64 of the body) then a msgpack array whose fields are
little-endian arrays (hashes, sizes, counts, last-use days), sorted by hash. Loading one is a
checksum and four ``array.frombytes`` (a million entries: 45 ms CPU, where today's msgpack list
of tuples costs 0.49 s to decode and 1.67 s with its checks), and a lookup is a ``bisect``. A
shard is loaded on the first miss that falls in it and dropped after each save, so an edit in
a store of 2M entries reads one ~0.8 MB shard; a cold scan of a new workspace loads them all
(~26 bytes an entry in memory) until its save.

Saving: under a file lock on the encoding's folder (``filelock``: fcntl.flock on POSIX,
msvcrt.locking on Windows), each shard with new or newly used entries is re-read from disk,
merged (union; the newer last-use day wins), evicted (unused for ``MAX_AGE_DAYS``, then the
oldest beyond its share of ``MAX_ENTRIES``) and written atomically. Readers never take the lock:
``os.replace`` shows them the old shard or the new one. A shard that fails its checksum or holds
an impossible entry is discarded with one warning and rebuilt by the next save.
"""

from __future__ import annotations

import array
import bisect
import logging
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import msgspec
import xxhash

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
    today,
)
from .fs import ReadRefused, read_vetted

log = logging.getLogger(__name__)

STORE_VERSION = 1
#: The store's folder under the cache base (the version in the name: a new layout never reads
#: an old one, and the old one ages out with the rest of the user cache).
STORE_DIR_NAME = f"tokens-v{STORE_VERSION}"
#: 64 shards: at MAX_ENTRIES a shard holds ~31k entries (~0.8 MB, 1.4 ms to load); a cold scan
#: rewrites at most 64 files at its end.
SHARD_BITS = 6
SHARDS = 1 << SHARD_BITS
SHARD_CAP = MAX_ENTRIES // SHARDS
MAGIC = b"SPSTORE\x00"
HEADER_SIZE = len(MAGIC) + 8
#: A shard is ~26 bytes an entry; four times its share of the cap is damage, not data.
MAX_SHARD_BYTES = 4 * 26 * SHARD_CAP + 4096
#: How long a save waits for another process's save before leaving its entries for the next
#: one (a full merge of 2M entries takes ~2 s).
LOCK_TIMEOUT_SECONDS = 20.0
_ENCODING_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_LITTLE = sys.byteorder == "little"


class StoreDamaged(ValueError):
    """A shard that must not be trusted; the message says why, on one line."""


@dataclass
class _Shard:
    """One loaded shard: parallel arrays sorted by hash."""

    hashes: array.array[int]
    sizes: array.array[int]
    tokens: array.array[int]
    days: array.array[int]

    def find(self, digest: int, size: int) -> int:
        """The index of ``(digest, size)``, or -1."""
        hashes = self.hashes
        i = bisect.bisect_left(hashes, digest)
        while i < len(hashes) and hashes[i] == digest:
            if self.sizes[i] == size:
                return i
            i += 1
        return -1


_EMPTY = _Shard(array.array("Q"), array.array("Q"), array.array("Q"), array.array("H"))


class TokenStore:
    """The shared store of one cache base; thread-safe. ``directory=None``: memory only."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._loaded: dict[tuple[str, int], _Shard] = {}
        #: encoding → {content_key: ``tokens << DAY_BITS | day``} to merge at the next save:
        #: counts computed here, and counts this process used (their day moves forward).
        self._pending: dict[str, dict[int, int]] = {}
        self._lock = threading.Lock()
        self._save_lock = threading.Lock()
        self.warnings: list[str] = []

    def get(self, encoding: str, digest: int, size: int) -> int | None:
        if self.directory is None or not _ENCODING_NAME.fullmatch(encoding):
            return None
        shard = self._shard(encoding, digest >> (64 - SHARD_BITS))
        i = shard.find(digest, size)
        if i < 0:
            return None
        tokens = shard.tokens[i]
        if not (0 < tokens <= size if size else tokens == 0) or size > MAX_SANE_SIZE:
            self._discard(encoding, digest >> (64 - SHARD_BITS), f"impossible entry {tokens}")
            return None
        self._note(encoding, digest, size, tokens)  # used today: its day moves forward
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
            self._warn(f"damaged token store shard {path}: {exc}; discarding it")
            shard = _EMPTY
        with self._lock:
            return self._loaded.setdefault(key, shard)

    def _discard(self, encoding: str, index: int, why: str) -> None:
        assert self.directory is not None
        path = shard_path(self.directory, encoding, index)
        self._warn(f"damaged token store shard {path}: {why}; discarding it")
        with self._lock:
            self._loaded[(encoding, index)] = _EMPTY

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("%s", message)

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
            if not pending:
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
            return ok

    def _merge_encoding(self, encoding: str, entries: dict[int, int]) -> bool:
        from filelock import FileLock, Timeout  # only a save that has something to write

        assert self.directory is not None
        folder = self.directory / encoding
        by_shard: dict[int, list[tuple[int, int]]] = {}
        for key, packed in entries.items():
            by_shard.setdefault((key & HASH_MASK) >> (64 - SHARD_BITS), []).append((key, packed))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with FileLock(folder / ".lock", timeout=LOCK_TIMEOUT_SECONDS):
                for index, items in sorted(by_shard.items()):
                    path = shard_path(self.directory, encoding, index)
                    atomic_write(path, encode_shard(merge(self._on_disk(path, index), items)))
                    remove_stale_temps(path)
        except Timeout:
            log.warning("token store %s is busy (locked); counts kept for the next save", folder)
            return False
        except OSError as exc:
            log.warning("cannot write token store %s: %s", folder, exc)
            return False
        return True

    def _on_disk(self, path: Path, index: int) -> dict[int, int]:
        try:
            shard = _read_shard(path, index)
            return _as_table(shard)
        except StoreDamaged as exc:
            self._warn(f"damaged token store shard {path}: {exc}; rebuilding it")
            return {}


def shard_path(directory: Path, encoding: str, index: int) -> Path:
    return directory / encoding / f"{index:02x}.bin"


def merge(table: dict[int, int], items: list[tuple[int, int]]) -> dict[int, int]:
    """Union of ``table`` and ``items`` (the newer last-use day wins), then evicted."""
    for key, packed in items:
        old = table.get(key)
        if old is None or packed & DAY_MASK > old & DAY_MASK:
            table[key] = packed
    oldest = today() - MAX_AGE_DAYS
    kept = {key: packed for key, packed in table.items() if packed & DAY_MASK >= oldest}
    if len(kept) > SHARD_CAP:
        newest = sorted(kept.items(), key=lambda item: item[1] & DAY_MASK, reverse=True)
        kept = dict(newest[:SHARD_CAP])
    return kept


def encode_shard(table: dict[int, int]) -> bytes:
    """A shard file's bytes: header, then the arrays sorted by ``(hash, size)``."""
    keys = sorted(table, key=lambda key: (key & HASH_MASK, key >> 64))
    arrays = [
        array.array("Q", [key & HASH_MASK for key in keys]),
        array.array("Q", [key >> 64 for key in keys]),
        array.array("Q", [table[key] >> DAY_BITS for key in keys]),
        array.array("H", [table[key] & DAY_MASK for key in keys]),
    ]
    if not _LITTLE:
        for a in arrays:
            a.byteswap()
    body = msgspec.msgpack.encode([STORE_VERSION, *(a.tobytes() for a in arrays)])
    return MAGIC + xxhash.xxh3_64_intdigest(body).to_bytes(8, "little") + body


def _read_shard(path: Path, index: int) -> _Shard:
    """The shard at ``path``; empty when missing; StoreDamaged when it must not be trusted."""
    try:
        data, _st = read_vetted(os.path.realpath(path.parent), os.fspath(path), MAX_SHARD_BYTES)
    except FileNotFoundError:
        return _EMPTY
    except (OSError, ReadRefused) as exc:
        raise StoreDamaged(f"cannot read it ({exc})") from None
    if not data.startswith(MAGIC) or len(data) < HEADER_SIZE:
        raise StoreDamaged("no sourcepacker store header")
    body = memoryview(data)[HEADER_SIZE:]
    if xxhash.xxh3_64_intdigest(body) != int.from_bytes(data[len(MAGIC) : HEADER_SIZE], "little"):
        raise StoreDamaged("checksum mismatch")
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


def _as_table(shard: _Shard) -> dict[int, int]:
    """The shard as ``{content_key: tokens << DAY_BITS | day}``, every entry checked."""
    table: dict[int, int] = {}
    for digest, size, tokens, day in zip(
        shard.hashes, shard.sizes, shard.tokens, shard.days, strict=True
    ):
        if size > MAX_SANE_SIZE or not (0 < tokens <= size if size else tokens == 0):
            raise StoreDamaged(f"impossible entry ({digest}, {size}, {tokens})")
        table[content_key(digest, size)] = tokens << DAY_BITS | day
    return table


def default_store_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The shared store: beside the workspaces' folders (inside ``--cache-dir`` when given)."""
    return cache_base(override) / STORE_DIR_NAME
