"""Giving memory back to the operating system, where the platform lets us (Linux; elsewhere
these do nothing). Both only change what the process holds resident, never what it computes.

Figures (gen100k, 100k files, 2-core VM; the memory report of issue 13): rs-bpe's o200k_base
costs 66 MB of RSS of which 31 MB are its binary's pages (:func:`release_file_pages`), and a
cold scan leaves ~8 MB of freed-but-kept heap in glibc's per-thread arenas (:func:`trim_heap`).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

#: madvise(2)'s MADV_PAGEOUT (Linux >= 5.4): reclaim these pages now. Never loses data: clean
#: file pages are refetched from the page cache on a later read, anonymous ones are swapped.
MADV_PAGEOUT = 21
_MAPS = "/proc/self/maps"


@cache
def _libc() -> Any:
    """The C library already loaded in this process, or None (Windows, or no such symbol)."""
    if not os.path.exists(_MAPS):
        return None
    import ctypes  # here: a warm pack never trims, and ctypes costs ~3 ms to import

    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def release_file_pages(path: str | None) -> None:
    """Drop ``path``'s read-only mapped pages from our RSS.

    rs-bpe compiles its vocabularies into its extension (50 MB) and reads one once, building
    the tokenizer: 31 MB of o200k_base's pages then stay mapped, counted in RSS although never
    read again (65 MB → 34 MB after the call, 6 ms). They stay in the page cache, so a later
    read costs minor faults, not disk reads. Advisory: pages that another process maps too
    (a second daemon, a worker process) stay resident, counted in each RSS but held once.
    """
    libc = _libc()
    if path is None or libc is None:
        return
    try:
        import ctypes

        madvise = libc.madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        path = os.path.realpath(path)  # as the maps file names it
        with open(_MAPS) as maps:
            lines = [line.split() for line in maps]
        for fields in lines:
            if len(fields) >= 6 and fields[-1] == path and "w" not in fields[1]:
                start, end = (int(x, 16) for x in fields[0].split("-"))
                madvise(start, end - start, MADV_PAGEOUT)  # EINVAL on old kernels: ignored
    except (OSError, AttributeError, ValueError):
        return  # an optimisation only


def trim_heap() -> None:
    """Return the C heap's free pages to the OS (glibc's ``malloc_trim``; ~2 ms).

    Worker threads read and count in their own malloc arenas; what they freed stays resident
    until trimmed (~8 MB after a cold scan of 100k files). Python's small objects live in
    pymalloc's arenas, which this does not touch.
    """
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)  # glibc only (not musl, not macOS)
    if trim is not None:
        trim(0)
