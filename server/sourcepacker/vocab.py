"""Tokenizer vocabularies, loaded offline.

tiktoken downloads its vocabularies on first use; SourcePacker must work offline, so the two
encodings people use with current models ship inside the package and are loaded from there,
with tiktoken's own regex and special tokens. Any other name goes through tiktoken as usual
and fails with a clear error when it cannot be had without a network.

Two costs are ours to cut (figures: tests/bench/README.md, 2-core machine):

- loading o200k_base took ~0.39 s: 0.22 s parsing 200k base64 lines in Python, 0.16 s in
  tiktoken's Rust constructor. :func:`_parse_ranks` parses the same lines in ~0.07 s with
  the same ``binascii.a2b_base64`` that ``base64.b64decode`` calls, after the same sha256 check;
  a unit test compares it with tiktoken's own loader on both shipped files.
- ``encode_ordinary`` builds a Python list of every token only for us to take its length:
  ~15% of the CPU time of counting code. :func:`counter` asks tiktoken's core for its buffer
  instead (same Rust encoder, see :func:`counter`) and takes the length from that.
"""

from __future__ import annotations

import binascii
import importlib
import re
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import tiktoken

DEFAULT_ENCODING = "o200k_base"

ENCODINGS_DIR = Path(__file__).with_name("encodings")

#: sha256 of the shipped files; equal to the ``expected_hash`` tiktoken itself checks.
SHIPPED_SHA256 = {
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
}

#: Encodings built by tiktoken's own constructor from a shipped vocabulary: o200k_harmony is
#: o200k_base's regex and ranks plus special tokens (``tiktoken_ext.openai_public.o200k_harmony``
#: calls ``o200k_base()``), so ordinary text counts the same under both.
SHIPPED_VOCABULARY = {name: name for name in SHIPPED_SHA256} | {"o200k_harmony": "o200k_base"}

#: Model names people type for ``--encoding``: tiktoken's ``encoding_for_model`` table.
MODEL_ENCODINGS = {
    "gpt-5": "o200k_base",
    "gpt-4.1": "o200k_base",
    "gpt-4o": "o200k_base",
    "o1": "o200k_base",
    "o3": "o200k_base",
    "o4-mini": "o200k_base",
    "gpt-oss": "o200k_harmony",  # gpt-oss-20b, gpt-oss-120b
    "gpt-4": "cl100k_base",
    "gpt-3.5-turbo": "cl100k_base",
}

_patch_lock = threading.Lock()


class EncodingUnavailableError(RuntimeError):
    """The encoding is unknown, or tiktoken could not load it without a network."""


def shipped_path(name: str) -> Path:
    return ENCODINGS_DIR / f"{SHIPPED_VOCABULARY.get(name, name)}.tiktoken"


def available_names() -> str:
    """What ``--encoding`` accepts, in one line."""
    return (
        f"encodings {', '.join(sorted(SHIPPED_VOCABULARY))}; "
        f"models {', '.join(MODEL_ENCODINGS)} and the --model table"
    )


def resolve_encoding(name: str) -> str:
    """The encoding for ``name``: an encoding name, or a model name (``gpt-4o`` → o200k_base).

    Raises :class:`EncodingUnavailableError` with one line naming what is available otherwise.
    """
    key = name.strip()
    if key in SHIPPED_VOCABULARY:
        return key
    lowered = key.lower()
    if lowered in MODEL_ENCODINGS:
        return MODEL_ENCODINGS[lowered]
    from .models import find_model  # the shipped table of models (context windows too)

    model = find_model(lowered)
    if model is not None:
        return model.encoding
    import tiktoken

    if key in tiktoken.list_encoding_names():  # p50k_base, ...: loadable when tiktoken has it
        return key
    raise EncodingUnavailableError(
        f"unknown encoding or model {name!r}; available: {available_names()}"
    )


@cache
def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """Return the encoding ``name``; the shipped ones never touch the network."""
    import tiktoken

    if name in SHIPPED_VOCABULARY:
        return tiktoken.Encoding(**_shipped_constructor_args(name))
    resolved = resolve_encoding(name)
    if resolved != name:
        return get_encoding(resolved)
    try:
        return tiktoken.get_encoding(name)
    except Exception as exc:  # tiktoken raises ValueError, requests/urllib errors, ...
        raise EncodingUnavailableError(
            f"encoding {name!r} is not available offline; available: {available_names()}"
        ) from exc


def _shipped_constructor_args(name: str) -> dict[str, Any]:
    """tiktoken's own constructor for ``name``, with its loader pointed at the shipped file.

    The constructor functions in ``tiktoken_ext.openai_public`` hold the regex and special
    tokens; reusing them keeps us exactly equal to tiktoken. They call the module-level
    ``load_tiktoken_bpe(url, expected_hash=…)``, which we swap for the duration of the call.
    """
    from tiktoken_ext import openai_public

    def load_shipped(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return _parse_ranks(shipped_path(name).read_bytes(), expected_hash)  # harmony: o200k

    constructor: Callable[[], dict[str, Any]] = getattr(openai_public, name)
    with _patch_lock:
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = load_shipped
        try:
            return constructor()
        finally:
            openai_public.load_tiktoken_bpe = original


def _parse_ranks(contents: bytes, expected_hash: str | None) -> dict[bytes, int]:
    """``tiktoken.load.load_tiktoken_bpe`` for bytes in hand, ~3× faster.

    tiktoken's loop is ``{base64.b64decode(token): int(rank) for token, rank in
    (line.split() for line in contents.splitlines() if line)}``; every line holds exactly two
    fields, so splitting the whole file on whitespace yields the same pairs in the same order.
    """
    import hashlib  # here: a warm run loads no vocabulary, and OpenSSL's load costs ~5-25 ms

    if expected_hash is not None and hashlib.sha256(contents).hexdigest() != expected_hash:
        raise ValueError(f"hash mismatch for shipped vocabulary (expected {expected_hash})")
    fields = contents.split()
    return dict(zip(map(binascii.a2b_base64, fields[0::2]), map(int, fields[1::2]), strict=True))


#: tiktoken's regex engine (fancy_regex) keeps one backtracking entry per character while it
#: matches ``\s+(?!\S)``; a run of more than ~1,000,000 spaces or tabs (measured: 1,000,500
#: fails, 999,500 passes, both encodings) makes ``encode_ordinary`` panic (a PanicException that
#: would end the whole scan) and the buffer path raise ValueError. Texts holding a run of half
#: that length go to :func:`_count_by_pieces`, as does any such error that still happens.
LONG_SPACE_RUN = 500_000
_LONG_SPACE_RUN = re.compile(rf"(?<!\s)\s{{{LONG_SPACE_RUN}}}")


def counter(name: str = DEFAULT_ENCODING) -> Callable[[str], int]:
    """A function text → token count (special tokens counted as ordinary text).

    Equal to ``len(encoding.encode_ordinary(text))``. The fast path calls the core's
    ``encode_to_tiktoken_buffer(text, set())``: with no special token allowed, tiktoken's
    ``encode`` finds no special match and runs the same regex and BPE over the whole text as
    ``encode_ordinary``, but returns the tokens as a buffer rather than a list of Python ints
    (tests/unit/test_pathological.py checks equality, special-token text included). Text that
    cannot go through it (lone surrogates, an older tiktoken without it) takes tiktoken's
    public ``encode_ordinary``; text tiktoken's regex cannot handle takes the piece path.
    """
    enc = get_encoding(name)
    core = getattr(enc, "_core_bpe", None)
    to_buffer = getattr(core, "encode_to_tiktoken_buffer", None)
    no_special: set[str] = set()

    def fast(text: str) -> int:
        if to_buffer is None:
            return len(enc.encode_ordinary(text))
        try:
            return memoryview(to_buffer(text, no_special)).nbytes // 4
        except UnicodeEncodeError:  # lone surrogates: tiktoken's own fix-up
            return len(enc.encode_ordinary(text))

    def count(text: str) -> int:
        if len(text) >= LONG_SPACE_RUN and _LONG_SPACE_RUN.search(text):
            return _count_by_pieces(enc, text)
        try:
            return fast(text)
        except ValueError:  # "Regex error while tokenizing" from the buffer path
            return _count_by_pieces(enc, text)
        except BaseException as exc:  # encode_ordinary panics; PanicException is a BaseException
            if type(exc).__name__ != "PanicException":
                raise
            return _count_by_pieces(enc, text)

    return count


def _count_by_pieces(enc: tiktoken.Encoding, text: str) -> int:
    """Split with the ``regex`` module, BPE each piece in Rust: tiktoken's own reference path.

    This is ``Encoding._encode_only_native_bpe`` (tiktoken's tests hold it equal to
    ``encode_ordinary``), counting instead of collecting. ``regex`` backtracks on the heap, so
    a multi-megabyte whitespace run is one piece like any other; ~0.5 s per MB of such a run.
    """
    regex = importlib.import_module("regex")  # tiktoken's own dependency; no type stubs
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # the fix-up encode_ordinary applies to lone surrogates
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    pieces = regex.compile(enc._pat_str).findall(text)
    encode_piece = enc._core_bpe.encode_single_piece
    return sum(len(encode_piece(piece.encode("utf-8"))) for piece in pieces)
