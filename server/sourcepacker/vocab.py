"""Tokenizer vocabularies, loaded offline.

tiktoken downloads its vocabularies on first use; SourcePacker must work offline, so the two
encodings people use with current models ship inside the package and are loaded from there,
with tiktoken's own regex and special tokens. Any other name goes through tiktoken as usual
and fails with a clear error when it cannot be had without a network.
"""

from __future__ import annotations

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

_patch_lock = threading.Lock()


class EncodingUnavailableError(RuntimeError):
    """The encoding is unknown, or tiktoken could not load it without a network."""


def shipped_path(name: str) -> Path:
    return ENCODINGS_DIR / f"{name}.tiktoken"


@cache
def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """Return the encoding ``name``; the shipped ones never touch the network."""
    import tiktoken

    if name in SHIPPED_SHA256:
        return tiktoken.Encoding(**_shipped_constructor_args(name))
    try:
        return tiktoken.get_encoding(name)
    except Exception as exc:  # tiktoken raises ValueError, requests/urllib errors, ...
        raise EncodingUnavailableError(
            f"encoding {name!r} is not available offline "
            f"(shipped: {', '.join(sorted(SHIPPED_SHA256))}): {exc}"
        ) from exc


def _shipped_constructor_args(name: str) -> dict[str, Any]:
    """tiktoken's own constructor for ``name``, with its loader pointed at the shipped file.

    The constructor functions in ``tiktoken_ext.openai_public`` hold the regex and special
    tokens; reusing them keeps us exactly equal to tiktoken. They call the module-level
    ``load_tiktoken_bpe(url, expected_hash=…)``, which we swap for the duration of the call.
    """
    from tiktoken.load import load_tiktoken_bpe
    from tiktoken_ext import openai_public

    def load_shipped(_url: str, expected_hash: str | None = None) -> dict[bytes, int]:
        return load_tiktoken_bpe(str(shipped_path(name)), expected_hash=expected_hash)

    constructor: Callable[[], dict[str, Any]] = getattr(openai_public, name)
    with _patch_lock:
        original = openai_public.load_tiktoken_bpe
        openai_public.load_tiktoken_bpe = load_shipped
        try:
            return constructor()
        finally:
            openai_public.load_tiktoken_bpe = original


def counter(name: str = DEFAULT_ENCODING) -> Callable[[str], int]:
    """A function text → token count (special tokens counted as ordinary text)."""
    encode = get_encoding(name).encode_ordinary

    def count(text: str) -> int:
        return len(encode(text))

    return count
