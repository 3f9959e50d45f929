"""Every counting backend gives tiktoken's count, on adversarial text, for both shipped encodings.

The reference is ``vocab.counter`` (itself held equal to ``encode_ordinary`` by
tests/unit/test_pathological.py). What the pre-tokenizer regexes tell apart is what the
strategies mix: letters by case class (o200k splits on Lu/Lt/Lm/Lo/M vs Ll), marks, numbers
(runs of 1–3 digits), punctuation and symbols, every whitespace class (``\\s+(?!\\S)``,
``\\s*[\\r\\n]+``), English contractions in both cases, and special-token strings, which must
count as ordinary text. Runs of one character test BPE on long pieces; a run past 1 M spaces
is where tiktoken's own regex gives up (vocab routes it to its piece path).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcepacker import vocab
from sourcepacker.backends import BACKENDS, TIKTOKEN, get_backend, installed

ENCODINGS = ["o200k_base", "cl100k_base"]
CANDIDATES = [name for name in BACKENDS if name != TIKTOKEN]

#: One or more characters of each class the regexes of o200k_base and cl100k_base distinguish.
FRAGMENTS = [
    *"aZxQ",  # Ll, Lu
    "ǅ",  # Lt
    "ʰ",  # Lm
    "中文",  # Lo
    "\u0301",  # Mn, alone and after letters
    "\u0903",  # Mc
    "é",  # decomposed: e + combining acute
    *"0123456789",
    "٣",  # Nd, not ASCII
    "Ⅻ",  # Nl
    "½",  # No
    *".,;:!?()[]{}<>/\\|\"'`~@#$%^&*-_=+",
    "'s",
    "'S",
    "'t",
    "'re",
    "'VE",
    "'m",
    "'ll",
    "'LL",
    "'d",
    "’s",  # the regexes know only ASCII apostrophes
    *" \t\n\r\x0b\x0c",
    "\r\n",
    "\x85",
    "\u00a0",
    "\u1680",
    "\u2000",
    "\u2028",
    "\u2029",
    "\u3000",
    "\u200b",  # not \s
    "\ufeff",
    "😀",
    "👍🏽",
    "\U0001f1eb\U0001f1f7",
    "€",
    "∑",
    "\x00",
    "\x7f",
    "\ue000",  # private use
    "\U000e0001",  # a tag character
    "\U0010fffd",
    "<|endoftext|>",
    "<|endofprompt|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|im_start|>",
    "<|",
    "|>",
]

fragments = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)
#: A run of one fragment, long enough for BPE over a long piece (and tiktoken's backtracking).
runs = st.tuples(st.sampled_from(FRAGMENTS), st.integers(1, 3_000)).map(lambda t: t[0] * t[1])
mixed = st.lists(st.one_of(fragments, runs, st.text(max_size=40)), max_size=8).map("".join)
#: Any code point but surrogates (hypothesis's text() has them only with this alphabet).
any_text = st.text(st.characters(codec=None, exclude_categories=["Cs"]), max_size=200)
#: Lone surrogates: not UTF-8; tiktoken counts them as U+FFFD, the backend must agree.
with_surrogates = st.text(st.characters(codec=None), max_size=60)

CHECK = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", params=CANDIDATES)
def candidate(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    if not installed(name):
        pytest.skip(f"{name} is not installed for this Python (no wheel: see pyproject)")
    return name


@pytest.fixture(scope="module", params=ENCODINGS)
def pair(candidate: str, request: pytest.FixtureRequest) -> tuple[Counter, Counter]:
    encoding = str(request.param)
    return get_backend(candidate, encoding).counter(encoding), vocab.counter(encoding)


Counter = Callable[[str], int]


@CHECK
@given(text=st.one_of(any_text, mixed))
def test_equal_on_arbitrary_text(pair: tuple[Counter, Counter], text: str) -> None:
    fast, reference = pair
    assert fast(text) == reference(text)


@CHECK
@given(text=fragments)
def test_equal_on_regex_classes(pair: tuple[Counter, Counter], text: str) -> None:
    fast, reference = pair
    assert fast(text) == reference(text)


@CHECK
@given(text=st.lists(runs, min_size=1, max_size=4).map("".join))
def test_equal_on_long_runs(pair: tuple[Counter, Counter], text: str) -> None:
    fast, reference = pair
    assert fast(text) == reference(text)


@CHECK
@given(text=with_surrogates)
def test_equal_with_lone_surrogates(pair: tuple[Counter, Counter], text: str) -> None:
    fast, reference = pair
    assert fast(text) == reference(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("<|endoftext|>", id="special-token"),
        pytest.param("a<|endoftext|>b <|endofprompt|>\n<|fim_prefix|>", id="special-tokens"),
        pytest.param("line\r\n" * 1_000 + "\r\r\n\n\r", id="crlf"),
        pytest.param("1234567890" * 5_000, id="digits"),
        pytest.param("x" + " " * 200_000 + "y", id="space-run"),
        pytest.param("\n" * 100_000, id="newline-run"),
        pytest.param("é" * 50_000, id="combining-run"),
        pytest.param("a\ud800b\udfff \udc00\ud83d", id="lone-surrogates"),
    ],
)
def test_equal_on_named_cases(pair: tuple[Counter, Counter], text: str) -> None:
    fast, reference = pair
    assert fast(text) == reference(text)


@pytest.mark.slow
def test_equal_past_tiktokens_whitespace_limit(candidate: str) -> None:
    """Past ~1 M spaces tiktoken's regex gives up; vocab's piece path is its reference there.

    One encoding: each reference count of such a run takes ~0.5 s.
    """
    text = "x = 1\n" + " " * 1_000_600 + "y\n" + "\t" * 1_200_000
    fast = get_backend(candidate, "o200k_base").counter("o200k_base")
    assert fast(text) == vocab.counter("o200k_base")(text)


def code_point_blocks(stride: int = 61, size: int = 512) -> list[str]:
    """Code points in the contexts the regexes treat differently, ``size`` per text.

    Every scalar value of planes 0, 1 and 14 (scripts, symbols, emoji, tags and variation
    selectors); every ``stride``-th one of the others (CJK extensions, unassigned, private
    use), whose classes are uniform over long ranges. ``stride=1`` is all 1,112,064 of them
    (~9 CPU-s per encoding and backend; equal for rs-bpe 0.1.0 on both encodings).
    """
    blocks, parts = [], []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF or (cp >> 16 not in (0, 1, 14) and cp % stride):
            continue
        c = chr(cp)
        parts.append(f"x{c}A{c}a'S 1{c}\n{c} {c}{c}")
        if len(parts) == size:
            blocks.append("".join(parts))
            parts = []
    blocks.append("".join(parts))
    return blocks


@pytest.mark.slow
def test_equal_on_code_points(pair: tuple[Counter, Counter]) -> None:
    """A mismatch names the first code point of each unequal text."""
    fast, reference = pair
    unequal = [block[1] for block in code_point_blocks() if fast(block) != reference(block)]
    names = [f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in unequal[:5]]
    assert unequal == [], names


def test_rs_bpe_vocabulary_is_the_shipped_one() -> None:
    """rs-bpe carries its own copy of the vocabularies: id for id, the same bytes as ours."""
    if not installed("rs-bpe"):
        pytest.skip("rs-bpe is not installed for this Python")
    from rs_bpe.bpe import openai

    for name in ENCODINGS:
        path = vocab.shipped_path(name)
        ranks = vocab._parse_ranks(path.read_bytes(), vocab.SHIPPED_SHA256[name])
        bpe = getattr(openai, name)().bpe()
        ours = sorted((rank, token) for token, rank in ranks.items())
        assert [rank for rank, _ in ours] == list(range(len(ours)))
        assert [bpe.decode_tokens([rank]) for rank, _ in ours] == [token for _, token in ours]
