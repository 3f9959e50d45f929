"""Reading, hashing and tokenizing files: the work done off the main thread.

One function, :func:`read_and_count`, does everything a file needs — read it once, refuse
binary or non-UTF-8 content, hash it with xxh3_64, look the hash up in the cache and tokenize
only on a miss — so a thread pool never reads a file twice. A process pool cannot see the
cache, so there the caller hashes first (:func:`read_and_hash`) and sends only misses to the
workers, which read the file again (from the page cache), check the hash still matches, and
count it.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import xxhash

from .fs import ReadRefused, SkipReason, decode_text, read_vetted

if TYPE_CHECKING:  # a worker process imports this module: derived (msgspec) only when shaping
    from .derived import Shaped

#: The read cap when a caller gives none (the default ``maxFileSize``).
DEFAULT_MAX_SIZE = 2 * 1024 * 1024

#: ``(hash, size) → cached tokens``; reads of a dict, safe from any thread.
Lookup = Callable[[int, int], int | None]


@dataclass(slots=True, frozen=True)
class FileCount:
    rel: str
    size: int
    mtime_ns: int
    ino: int
    ctime_ns: int
    hash: int
    #: Exact count, or None when the caller still has to tokenize (process pool) or on a skip.
    tokens: int | None
    from_cache: bool = False
    skip: SkipReason | None = None
    detail: str = ""
    #: The file as a pack will shape it, when the scan was given a :data:`Shape`.
    shaped: Shaped | None = None


#: ``(transforms, mask_secrets)`` of the pack a scan prepares for: each file the scan
#: tokenizes is also masked/transformed where it was read, so a cold pack does that work on
#: every worker (processes for rs-bpe) instead of afterwards on one thread.
Shape = tuple[tuple[str, ...], bool]


def read_and_hash(
    root: str, rel: str, max_size: int = DEFAULT_MAX_SIZE
) -> tuple[FileCount, str | None]:
    """Open (vetted, see :func:`fs.read_vetted`), read, classify and hash one file.

    ``root`` is the workspace's real path. Returns the text when it is countable.
    """
    try:
        data, st = read_vetted(root, os.path.join(root, rel), max_size)
    except ReadRefused as refused:
        return _skipped(rel, refused.reason, refused.detail), None
    except FileNotFoundError:
        return _skipped(rel, SkipReason.VANISHED, "deleted during the scan"), None
    except OSError as exc:
        return _skipped(rel, SkipReason.UNREADABLE, exc.strerror or str(exc)), None
    text = decode_text(data)
    digest = xxhash.xxh3_64_intdigest(data)
    base = FileCount(rel, len(data), st.st_mtime_ns, st.st_ino, st.st_ctime_ns, digest, None)
    if isinstance(text, SkipReason):
        return _with_skip(base, text), None
    return base, text


def read_and_count(
    root: str,
    rel: str,
    lookup: Lookup | None,
    count: Callable[[str], int],
    max_size: int = DEFAULT_MAX_SIZE,
    shape: Shape | None = None,
) -> FileCount:
    """The whole per-file job for a thread pool: read once, tokenize only on a cache miss."""
    result, text = read_and_hash(root, rel, max_size)
    if text is None:
        return result
    if lookup is not None:
        cached = lookup(result.hash, result.size)
        if cached is not None:
            return _with_tokens(result, cached, from_cache=True)
    return counted(result, text, count, shape)


def counted(
    result: FileCount, text: str, count: Callable[[str], int], shape: Shape | None
) -> FileCount:
    """``result`` with the count of ``text`` (a miss), and its shaped form when asked."""
    shaped = None
    if shape is not None:
        from .derived import shape_text

        shaped = shape_text(result.rel, text, *shape, count)
    return dataclasses.replace(result, tokens=count(text), from_cache=False, shaped=shaped)


def _skipped(rel: str, reason: SkipReason, detail: str) -> FileCount:
    return FileCount(rel, 0, 0, 0, 0, 0, None, skip=reason, detail=detail)


def _with_skip(base: FileCount, reason: SkipReason) -> FileCount:
    return dataclasses.replace(base, tokens=None, skip=reason)


def _with_tokens(base: FileCount, tokens: int, *, from_cache: bool) -> FileCount:
    return dataclasses.replace(base, tokens=tokens, from_cache=from_cache)


# --- process-pool worker side -------------------------------------------------------------

_worker_count: Callable[[str], int] | None = None


def worker_init(encoding: str, backend: str = "tiktoken") -> None:
    """Runs once per spawned worker: stdout belongs to JSON-RPC, and load the encoding once."""
    global _worker_count
    sys.stdout = sys.stderr
    from .backends import get_backend

    _worker_count = get_backend(backend, encoding).counter(encoding)


def worker_ready() -> None:
    """A no-op task: submitting one per worker makes the pool spawn them all at once."""


def worker_count_batch(
    root: str,
    items: list[tuple[str, int]],
    max_size: int = DEFAULT_MAX_SIZE,
    shape: Shape | None = None,
) -> list[FileCount]:
    """Count a batch of cache misses ``(rel, expected_hash)`` in a worker process.

    The worker reads each file itself (no content crosses the pipe) and returns the hash it
    actually counted, so the caller sees when a file changed between hashing and counting.
    """
    assert _worker_count is not None, "worker_init did not run"
    return [
        read_and_count(root, rel, None, _worker_count, max_size, shape) for rel, _expected in items
    ]
