"""What each file adds to a streamed prompt, remembered across runs (its count, its wrapper).

A file's segment (``pack.stream_segment``: the wrapper and the text) is fixed by the path it
shows, its content, the format, what is done to it (the derived variant) and the encoding. For
a text the layout keeps as it is, this store remembers the segment's exact count and the
layout's *facts* (xml: CDATA or raw; markdown: the fence's length), so the next pack of the
same content wraps its bytes with ``pack.stream_known`` and writes them: no decode-and-scan for
markup, no boundary cut, no tokenizer call. On the stdlib that was most of a warm pack's CPU
after reading and writing (figures in docs/benchmarks.md).

Keys: xxh3_64 of all of the above (a 64-bit content key, as the token cache trusts). The file
also records a hash of ``pack.py`` itself: any change to a layout discards every entry. One
msgpack file per workspace cache dir, checksummed and written atomically; only the entries the
last packs used are kept once it grows past twice their number. Damage → a warning, an empty
store.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from pathlib import Path

import msgspec
import xxhash

from .cache import atomic_write, seal, unseal

log = logging.getLogger(__name__)

SEGMENTS_FILE = "segments.msgpack"
_VERSION = 1
#: Then the xxh3_64 of the body: a damaged file would give wrong counts, so it is checked.
_MAGIC = b"SPSEGS\x00\x00"
_FACT_BITS = 8


class _File(msgspec.Struct):
    version: int
    layout: int
    entries: dict[int, int] = {}


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_File)


@cache
def layout_version() -> int:
    """A hash of pack.py's source: the layouts' version, bumped by any edit to them."""
    from . import pack

    try:
        return xxhash.xxh3_64_intdigest(Path(pack.__file__).read_bytes())
    except OSError:  # no source next to the bytecode: never reuse an entry across versions
        return 0


class SegmentMemo:
    """``key → (segment tokens, layout facts)``; thread-safe; ``save`` writes when changed."""

    def __init__(self, directory: Path | None) -> None:
        self.path = None if directory is None else directory / SEGMENTS_FILE
        self._entries: dict[int, int] = {}
        self._used: set[int] = set()
        self._dirty = False
        self._lock = threading.Lock()
        self._load()

    @staticmethod
    def key(shown: str, digest: int, size: int, fmt: str, variant: str, encoding: str) -> int:
        head = f"{fmt}\0{variant}\0{encoding}\0{shown}\0".encode("utf-8", "surrogatepass")
        return xxhash.xxh3_64_intdigest(head + digest.to_bytes(8, "little") + size.to_bytes(8))

    def get(self, key: int) -> tuple[int, int] | None:
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                return None
            self._used.add(key)
        return value >> _FACT_BITS, value & ((1 << _FACT_BITS) - 1)

    def put(self, key: int, tokens: int, facts: int) -> None:
        assert 0 <= facts < 1 << _FACT_BITS
        with self._lock:
            self._entries[key] = tokens << _FACT_BITS | facts
            self._used.add(key)
            self._dirty = True

    def save(self) -> None:
        if self.path is None:
            return
        with self._lock:
            if not self._dirty:
                return
            if len(self._entries) > 2 * len(self._used) + 10_000:  # bounded by recent packs
                self._entries = {k: self._entries[k] for k in self._used}
            body = _encoder.encode(_File(_VERSION, layout_version(), dict(self._entries)))
            self._dirty = False
        data = seal(_MAGIC, body)
        try:
            atomic_write(self.path, data, durable=False)  # checksummed
        except OSError as exc:  # an optimisation: never fail a pack for it
            log.warning("cannot write %s: %s", self.path, exc)

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            stored = _decoder.decode(unseal(_MAGIC, self.path.read_bytes(), "segments"))
            if any(v < 1 << _FACT_BITS for v in stored.entries.values()):
                raise ValueError("a segment of no tokens")
        except FileNotFoundError:
            return
        except (OSError, ValueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("discarding %s: %s", self.path, exc)
            return
        if stored.version == _VERSION and stored.layout == layout_version():
            self._entries = stored.entries
