"""What a file becomes in a pack (transforms, masked secrets), cached by what determines it.

Key: the file's content (xxh3_64 and size) and the *variant*: the transform key with
``TRANSFORMS_VERSION`` and, when masking, ``RULES_VERSION``. Value: the derived text, or None
when it equals the file's own text (the common case: no secret, nothing to compress), plus
the redactions. A warm ``--compress`` run therefore parses nothing and scans nothing; the
derived text's token count comes from the token cache, keyed by the derived text's own hash
(equivalent to keying it by content hash + variant, and shared by identical outputs).

Why the text is kept, not only its count: the prompt must contain it, and re-deriving it is the
cost being avoided (tree-sitter parses ~10-20 MB/s; the stdlib took seconds, see
tests/bench/bench_shape.py). One msgpack file per variant in the cache dir, written atomically;
entries unused by the packs of one process are kept (the files are small: unchanged texts are
stored as None). A file that fails to load is discarded, as the token cache is.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import msgspec
import xxhash

from .cache import atomic_write

log = logging.getLogger(__name__)

DERIVED_VERSION = 1


class Derived(msgspec.Struct, array_like=True, frozen=True):
    #: The derived text; None when it equals the file's own text.
    text: str | None
    #: ``(line, kind)`` of each masked secret, in text order.
    redactions: list[tuple[int, str]] = []


class _File(msgspec.Struct):
    version: int
    entries: dict[str, Derived] = {}


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
        self._dirty = False
        self._lock = threading.Lock()
        self._load()

    def _load(self) -> None:
        if self.path is None:
            return
        try:
            stored = _decoder.decode(self.path.read_bytes())
        except FileNotFoundError:
            return
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("discarding derived-text cache %s: %s", self.path, exc)
            return
        if stored.version == DERIVED_VERSION:
            self._entries = stored.entries

    @staticmethod
    def key(digest: int, size: int) -> str:
        return f"{digest:x}:{size}"

    def get(self, digest: int, size: int) -> Derived | None:
        with self._lock:
            return self._entries.get(self.key(digest, size))

    def put(self, digest: int, size: int, value: Derived) -> None:
        with self._lock:
            self._entries[self.key(digest, size)] = value
            self._dirty = True

    def save(self) -> None:
        if self.path is None:
            return
        with self._lock:
            if not self._dirty:
                return
            data = _encoder.encode(_File(DERIVED_VERSION, dict(self._entries)))
            self._dirty = False
        try:
            atomic_write(self.path, data)
        except OSError as exc:  # an optimisation: never fail a pack for it
            log.warning("cannot write derived-text cache %s: %s", self.path, exc)


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
