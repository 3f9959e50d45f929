"""Counts stay exact on inputs that strain tiktoken (tests/bench/pathological.py has the timings).

tiktoken's regex engine panics on a run of more than ~1,000,000 spaces or tabs; the counter
then splits with the ``regex`` module and BPEs each piece, as tiktoken's own
``_encode_only_native_bpe`` does. These tests hold every path of ``vocab.counter`` equal to
``encode_ordinary`` where tiktoken can count, and to tiktoken's reference path where it cannot.
"""

from __future__ import annotations

import random
import re
import string

import pytest

from sourcepacker import vocab
from sourcepacker.vocab import counter, get_encoding

ENCODINGS = ["o200k_base", "cl100k_base"]

_rng = random.Random(5)
SAMPLES = [
    pytest.param("", id="empty"),
    pytest.param("def f(x):\n    return x  # ok\n", id="code"),
    pytest.param("a" * 50_000, id="one-char-run"),
    pytest.param("".join(_rng.choices(string.ascii_lowercase, k=20_000)), id="one-long-word"),
    pytest.param(" " * 20_000 + "x", id="space-run"),
    pytest.param("\t \n" * 5_000 + "y", id="mixed-whitespace"),
    pytest.param("=" * 30_000, id="punctuation-run"),
    pytest.param("var a=function(b){return b+1};" * 1_000, id="minified-js"),
    pytest.param("".join(_rng.choices(string.ascii_letters + "+/", k=30_000)), id="base64"),
    pytest.param("<|endoftext|> x <|fim_prefix|><|endofprompt|>", id="special-token-text"),
    pytest.param("héllo wörld 😀 中文 \U0001f600", id="non-ascii"),
    pytest.param("lone \ud800 surrogate", id="lone-surrogate"),
]


@pytest.fixture(scope="module", params=ENCODINGS)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("text", SAMPLES)
def test_fast_path_equals_encode_ordinary(name: str, text: str) -> None:
    assert counter(name)(text) == len(get_encoding(name).encode_ordinary(text))


@pytest.mark.parametrize("text", SAMPLES)
def test_piece_path_equals_encode_ordinary(name: str, text: str) -> None:
    enc = get_encoding(name)
    assert vocab._count_by_pieces(enc, text) == len(enc.encode_ordinary(text))


@pytest.mark.slow
def test_whitespace_run_beyond_tiktoken_limit_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Just past 1 M spaces tiktoken's regex panics; both ways around it give its reference count.

    One encoding only: each count of such a run takes ~0.5 s.
    """
    text = "x = 1\n" + " " * 1_000_600 + "y\n"
    enc = get_encoding("o200k_base")
    expected = len(enc._encode_only_native_bpe(text))
    count = counter("o200k_base")
    assert count(text) == expected  # routed by the long-run check
    monkeypatch.setattr(vocab, "LONG_SPACE_RUN", 10**9)  # no check: tiktoken panics, caught
    assert count(text) == expected


def test_long_run_detection_routes_to_piece_path(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vocab, "LONG_SPACE_RUN", 1_000)
    monkeypatch.setattr(vocab, "_LONG_SPACE_RUN", re.compile(r"(?<!\s)\s{1000}"))
    calls: list[int] = []
    real = vocab._count_by_pieces

    def spy(enc: object, text: str) -> int:
        calls.append(len(text))
        return real(enc, text)  # type: ignore[arg-type]

    monkeypatch.setattr(vocab, "_count_by_pieces", spy)
    count = counter(name)
    count("y" + " " * 999 + "x")
    assert calls == []
    text = "a\t" + "\t" * 1_000 + "b"
    assert count(text) == len(get_encoding(name).encode_ordinary(text))
    assert calls == [len(text)]


@pytest.mark.parametrize("name", ENCODINGS)
def test_fast_vocabulary_parse_equals_tiktoken_loader(name: str) -> None:
    from tiktoken.load import load_tiktoken_bpe

    path = vocab.shipped_path(name)
    expected = load_tiktoken_bpe(str(path), expected_hash=vocab.SHIPPED_SHA256[name])
    parsed = vocab._parse_ranks(path.read_bytes(), vocab.SHIPPED_SHA256[name])
    assert list(parsed.items()) == list(expected.items())


def test_fast_vocabulary_parse_checks_the_hash() -> None:
    with pytest.raises(ValueError, match="hash mismatch"):
        vocab._parse_ranks(b"YQ== 0\n", "0" * 64)
