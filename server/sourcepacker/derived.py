"""What a file becomes in a pack (transforms, masked secrets), cached by what determines it.

Key: the file's content (xxh3_64 and size) and the *variant*: the transform key with
``TRANSFORMS_VERSION`` and, when masking, ``RULES_VERSION``. Value: the derived text, or None
when it equals the file's own text (the common case: no secret, nothing to compress), plus
the redactions. A warm ``--compress`` run therefore parses nothing and scans nothing; the
derived text's token count comes from the token cache, keyed by the derived text's own hash
(equivalent to keying it by content hash + variant, and shared by identical outputs).

Why the text is kept, not only its count: the prompt must contain it, and re-deriving it is the
cost being avoided (tree-sitter parses ~10-20 MB/s; the stdlib took seconds, see
tests/bench/bench_shape.py). One msgpack file per variant in the workspace's cache dir, written
atomically. A file that fails to load is discarded, as the token cache is.

Bounded as the token cache is: each entry carries the day it was last used, and a save drops
entries unused for ``MAX_AGE_DAYS``, then the oldest beyond ``MAX_DERIVED_ENTRIES``; a variant's
whole file goes when no pack used it for ``MAX_AGE_DAYS`` (a new transforms or rules version is
a new variant, so old files would otherwise stay forever). A loaded file's mtime is moved to
today (once a day at most) so that a variant in use is never taken for an unused one.

Not shared between workspaces, unlike token counts: a pack loads its variant's file whole, so a
shared one would make every warm pack load the texts of every workspace; what sharing would
save is one parse per file per clone, once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
import xxhash

from .cache import MAX_AGE_DAYS, atomic_write, today

log = logging.getLogger(__name__)

DERIVED_VERSION = 1
FILE_PATTERN = "derived-*.msgpack"
#: Beyond this many entries in one variant's file the least recently used go first (a text is
#: stored only when it differs from the file's own; the stdlib's --compress file holds 2,255).
MAX_DERIVED_ENTRIES = 200_000


class Derived(msgspec.Struct, array_like=True, frozen=True):
    #: The derived text; None when it equals the file's own text.
    text: str | None
    #: ``(line, kind)`` of each masked secret, in text order.
    redactions: list[tuple[int, str]] = []


class _File(msgspec.Struct):
    version: int
    entries: dict[str, Derived] = {}
    #: key → the day it was last used (days since the epoch); a missing day reads as today.
    days: dict[str, int] = {}


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_File)


def variant_key(transforms: Sequence[str], mask: bool) -> str:
    """The part of the key that names what is done to a file; "" when nothing is."""
    parts = []
    if transforms:
        from .transforms import TRANSFORMS_VERSION, transform_key

        parts.append(f"t{TRANSFORMS_VERSION}:{transform_key(transforms)}")  # type: ignore[arg-type]
    if mask:
        from .secrets import RULES_VERSION

        parts.append(f"m{RULES_VERSION}")
    return ",".join(parts)


class DerivedStore:
    """Derived texts of one variant; thread-safe; ``save`` writes it when it changed."""

    def __init__(self, directory: Path | None, variant: str) -> None:
        self.variant = variant
        name = xxhash.xxh3_64_hexdigest(variant.encode())[:12]
        self.path = None if directory is None else directory / f"derived-{name}.msgpack"
        self._entries: dict[str, Derived] = {}
        self._days: dict[str, int] = {}
        self._dirty = False
        self._lock = threading.Lock()
        self._load()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            stored = _decoder.decode(self.path.read_bytes())
            _touch_daily(self.path)
        except FileNotFoundError:
            return
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("discarding derived-text cache %s: %s", self.path, exc)
            return
        if stored.version == DERIVED_VERSION:
            self._entries, self._days = stored.entries, stored.days

    @staticmethod
    def key(digest: int, size: int) -> str:
        return f"{digest:x}:{size}"

    def get(self, digest: int, size: int) -> Derived | None:
        key = self.key(digest, size)
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._days[key] = today()  # in memory: written with the next change
            return value

    def put(self, digest: int, size: int, value: Derived) -> None:
        key = self.key(digest, size)
        with self._lock:
            self._entries[key] = value
            self._days[key] = today()
            self._dirty = True

    def __len__(self) -> int:
        return len(self._entries)

    def save(self) -> None:
        if self.path is None:
            return
        with self._lock:
            if not self._dirty:
                return
            self._evict()
            data = _encoder.encode(_File(DERIVED_VERSION, dict(self._entries), dict(self._days)))
            self._dirty = False
        try:
            atomic_write(self.path, data)
        except OSError as exc:  # an optimisation: never fail a pack for it
            log.warning("cannot write derived-text cache %s: %s", self.path, exc)
            return
        remove_unused_variants(self.path.parent)

    def _evict(self) -> None:
        """Drop entries unused for MAX_AGE_DAYS, then the oldest beyond MAX_DERIVED_ENTRIES."""
        day = today()
        oldest = day - MAX_AGE_DAYS
        days = {key: self._days.get(key, day) for key in self._entries}
        keep = [key for key, used in days.items() if used >= oldest]
        if len(keep) > MAX_DERIVED_ENTRIES:
            keep = sorted(keep, key=days.__getitem__, reverse=True)[:MAX_DERIVED_ENTRIES]
        self._entries = {key: self._entries[key] for key in keep}
        self._days = {key: days[key] for key in keep}


def remove_unused_variants(directory: Path) -> None:
    """Delete the derived-text files of ``directory`` that no pack used for MAX_AGE_DAYS."""
    cutoff = time.time() - MAX_AGE_DAYS * 86400
    for path in directory.glob(FILE_PATTERN):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def _touch_daily(path: Path) -> None:
    """Move the mtime to now when it is a day old: the file is in use (see the docstring)."""
    with contextlib.suppress(OSError):
        if path.stat().st_mtime < time.time() - 86400:
            os.utime(path)


def derive(rel: str, text: str, transforms: Sequence[str], mask: bool) -> Derived:
    """Mask, then transform ``text`` (BOM already dropped); None text when nothing changed."""
    out = text
    reds: list[tuple[int, str]] = []
    if mask:
        from .secrets import mask_secrets

        out, found = mask_secrets(out)
        reds = [(r.line, r.kind) for r in found]
    if transforms:
        from .transforms import Transform, apply_transforms

        out = apply_transforms(rel, out, [Transform(t) for t in transforms])
    return Derived(None if out == text else out, reds)


@dataclass(frozen=True, slots=True)
class Shaped:
    """A file derived where it was read (a scan's worker), ready for the store and the cache."""

    derived: Derived
    #: Content key and exact count of ``derived.text`` (zeros when it is None).
    digest: int = 0
    size: int = 0
    tokens: int = 0


def shape_text(
    rel: str, text: str, transforms: Sequence[str], mask: bool, count: Callable[[str], int]
) -> Shaped:
    """``derive`` a file's text as a pack will (BOM dropped), and count the result."""
    d = derive(rel, text.removeprefix("\ufeff"), transforms, mask)
    if d.text is None:
        return Shaped(d)
    data = d.text.encode("utf-8", "surrogatepass")
    return Shaped(d, xxhash.xxh3_64_intdigest(data), len(data), count(d.text))
