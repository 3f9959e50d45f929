"""Counting backends: who turns text into a token count, behind one small interface.

tiktoken is the reference (SourcePacker's counts are defined as
``len(tiktoken_encoding.encode_ordinary(text))``) and the fallback. ``rs-bpe`` wraps the
``bpe-openai`` crate of github/rust-gems: a different BPE algorithm (backtracking over an
Aho-Corasick automaton, linear in the piece length) that yields the same tokens as tiktoken.

It may serve counts only because it was shown equal to tiktoken on everything we could throw
at it (tests/property/test_backends.py: hypothesis over arbitrary text and over the Unicode
classes the pre-tokenizer distinguishes, every code point, whitespace runs past tiktoken's
1 M limit, special-token strings, CRLF, digit runs; the whole stdlib with both encodings,
tests/bench/bench_backends.py) and because its vocabulary, compiled into its binary, decodes
id for id to the bytes of our shipped files (same test module). One input class it cannot
take: a ``str`` holding a lone surrogate is not UTF-8, rs-bpe refuses it with
UnicodeEncodeError before counting anything, and :func:`_with_fallback` sends exactly those
texts to tiktoken, which counts them after its own fix-up. It also sends texts longer than
:data:`GIL_HOLD_MAX_CHARS` there: rs-bpe would hold the GIL for their whole count.

Figures (tests/bench/bench_backends.py and tests/bench/README.md; CPython 3.11 stdlib, 37 MB,
2-core VM): per CPU-second rs-bpe counts 2.2× (o200k_base) and 2.7× (cl100k_base) as much
as tiktoken, loads its vocabulary in 0.05–0.5 s instead of 0.3–2.6 s, and installs 50 MB
(tiktoken: 4 MB). It holds the GIL while counting, so a second thread adds nothing; still,
so a large batch of misses goes to worker processes (see :func:`pool_kind_for`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from .memory import release_file_pages
from .vocab import DEFAULT_ENCODING, SHIPPED_SHA256

Counter = Callable[[str], int]

AUTO = "auto"
TIKTOKEN = "tiktoken"
RS_BPE = "rs-bpe"
#: What ``Settings.counter`` accepts.
COUNTER_CHOICES = (AUTO, TIKTOKEN, RS_BPE)


class BackendUnavailableError(RuntimeError):
    """The backend named in the settings is not installed on this interpreter/platform."""


class CountingBackend(Protocol):
    """Text → exact token count for an encoding, as tiktoken's ``encode_ordinary`` counts."""

    @property
    def name(self) -> str:
        """The name used in settings and in ``--counter``."""
        ...

    @property
    def releases_gil(self) -> bool:
        """True when counting runs without the GIL, so threads scale (else: processes)."""
        ...

    def supports(self, encoding: str) -> bool:
        """Whether :meth:`counter` serves ``encoding`` itself (else use tiktoken's)."""
        ...

    def counter(self, encoding: str) -> Counter:
        """A function text → count; loads the vocabulary now (call it off the hot path)."""
        ...


@dataclass(frozen=True, slots=True)
class TiktokenBackend:
    """The reference: ``vocab.counter`` (tiktoken's Rust core, shipped vocabularies)."""

    name: str = TIKTOKEN
    releases_gil: bool = True

    def supports(self, encoding: str) -> bool:
        return True

    def counter(self, encoding: str) -> Counter:
        from .vocab import counter

        return counter(encoding)


@dataclass(frozen=True, slots=True)
class RsBpeBackend:
    """``rs-bpe`` (PyPI): the rust-gems ``bpe-openai`` tokenizers, vocabularies built in."""

    name: str = RS_BPE
    releases_gil: bool = False

    def supports(self, encoding: str) -> bool:
        return encoding in SHIPPED_SHA256  # rs-bpe has exactly o200k_base and cl100k_base

    def counter(self, encoding: str) -> Counter:
        if not self.supports(encoding):
            return TiktokenBackend().counter(encoding)
        from rs_bpe import bpe
        from rs_bpe.bpe import openai

        tokenizer: Any = getattr(openai, encoding)()
        release_file_pages(bpe.__file__)
        return _with_fallback(tokenizer.count, encoding)


#: rs-bpe holds the GIL while it counts (~28 MB/s on this VM): 2 Mi characters hold it ~75 ms.
#: Longer texts (the file-size cap may be raised to 1 GiB) go to tiktoken, which releases it,
#: so the daemon keeps answering requests while one huge file is counted.
GIL_HOLD_MAX_CHARS = 2 * 1024 * 1024


def _with_fallback(fast: Counter, encoding: str) -> Counter:
    """``fast``, except for text that is not valid UTF-8 or is huge, which tiktoken counts.

    A lone surrogate makes the conversion to a Rust string fail (UnicodeEncodeError) before
    any counting; tiktoken replaces it with U+FFFD (its ``encode_ordinary`` fix-up) and counts.
    Rare (only a decoder with ``surrogateescape`` makes such text), so tiktoken's encoding
    loads only then. A Rust panic on some input we did not foresee also goes to tiktoken
    rather than ending the scan.
    """

    def count(text: str) -> int:
        if len(text) > GIL_HOLD_MAX_CHARS:
            return _reference(encoding)(text)
        try:
            return fast(text)
        except UnicodeEncodeError:
            return _reference(encoding)(text)
        except BaseException as exc:  # pyo3's PanicException derives from BaseException
            if type(exc).__name__ != "PanicException":
                raise
            return _reference(encoding)(text)

    return count


@cache
def _reference(encoding: str) -> Counter:
    return TiktokenBackend().counter(encoding)


BACKENDS: dict[str, CountingBackend] = {TIKTOKEN: TiktokenBackend(), RS_BPE: RsBpeBackend()}


@cache
def installed(name: str) -> bool:
    """Whether backend ``name``'s package can be imported here (without importing it)."""
    module = {TIKTOKEN: "tiktoken", RS_BPE: "rs_bpe"}[name]
    # The path finder alone (already loaded) sees an installed package; importlib.util, which
    # also asks the other finders, costs ~6 ms to import: only when the first says no.
    from importlib.machinery import PathFinder

    if PathFinder.find_spec(module) is not None:
        return True
    import importlib.util

    return importlib.util.find_spec(module) is not None


def get_backend(name: str = AUTO, encoding: str = DEFAULT_ENCODING) -> CountingBackend:
    """The backend for a ``Settings.counter`` value.

    ``auto`` is rs-bpe where it is installed and serves ``encoding`` (its wheels exist for
    CPython 3.10–3.13 only; see pyproject's marker), tiktoken elsewhere. A named backend that
    is not installed is a :class:`BackendUnavailableError`; one that does not serve the
    encoding falls back to tiktoken (its ``counter`` does that itself).
    """
    if name == AUTO:
        fast = BACKENDS[RS_BPE]
        return fast if installed(RS_BPE) and fast.supports(encoding) else BACKENDS[TIKTOKEN]
    backend = BACKENDS.get(name)
    if backend is None:
        raise BackendUnavailableError(
            f"unknown counter {name!r} (expected one of {', '.join(COUNTER_CHOICES)})"
        )
    if not installed(name):
        raise BackendUnavailableError(
            f"counter {name!r} is not installed for this Python; use 'auto' or 'tiktoken'"
        )
    return backend


def pool_kind_for(backend: CountingBackend, requested: str = AUTO, cpus: int | None = None) -> str:
    """``Settings.pool_kind`` resolved: "thread", "process" or "adaptive".

    "auto" is threads for a backend that releases the GIL (tiktoken: threads scale and start at
    once, pool.py). For one that holds it (rs-bpe) on 2+ CPUs it is "adaptive": misses are
    counted on threads until they add up to ``pool.PROCESS_MIN_BYTES``, then by worker
    processes, the only way to use a second core. Cold pack of the stdlib (37 MB, 2 workers,
    quiet 2-core VM, ``--stats``): count stage threads 3.03 s, processes 1.70 s; whole run
    3.84 s against 2.65 s. Under heavy load (load average ~8) processes lost instead (13.7 s
    against 10.9 s), when the spawn and the second read compete for the same cores.
    """
    if requested != AUTO:
        return requested
    if backend.releases_gil or (cpus if cpus is not None else os.cpu_count() or 1) < 2:
        return "thread"
    return "adaptive"
