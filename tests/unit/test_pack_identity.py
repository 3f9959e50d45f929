"""The pack's token count equals a full re-tokenization, for both shipped encodings.

Also the boundary lemma itself, and that the shortcut is taken (few chars tokenized).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sourcepacker.pack import PackFile, PackFormat, render
from sourcepacker.vocab import counter

ENCODINGS = ["o200k_base", "cl100k_base"]
COUNTERS = {name: counter(name) for name in ENCODINGS}
EXAMPLES = settings(max_examples=250, deadline=None)

#: Fragments that exercise every alternative of both pre-tokenizer patterns at line edges.
TRICKY = [
    "\n", "\n\n", "\r\n", "\r", " ", "  ", " \n", "\t", "\u00a0", "\u2028", "\u0085", "\x0c",
    "\x1c", "\u3000", "`", "```", "````", "</file>", "<file path=\"x\">", "/", "//", "/*", "*/",
    "'s", "'ve", "'S", "'", "1", "123", "4567", "a", "Z", "if", "Foo", "x_y", "é", "e\u0301",
    "\u0301", "ß", "ǅ", "日本語", "Привет", "😀", "👍🏽", "{", "}", ";", "#", "=", "<", ">", "&",
    '"', "-", "...", "\ufeff", "\u200b", "=====", "## ",
]  # fmt: skip

tricky_text = st.lists(st.sampled_from(TRICKY), max_size=40).map("".join)
contents = st.one_of(tricky_text, st.text(max_size=80), st.text(alphabet="\n /`'a1 \r\t"))
paths = st.lists(st.sampled_from(["a", "b.py", "src", "x.md", "we`ird", 'q"&<', "é"]), min_size=1,
                 max_size=3).map("/".join)  # fmt: skip
file_lists = st.lists(st.tuples(paths, contents), max_size=6, unique_by=lambda t: t[0])
qualifying = st.characters().filter(lambda ch: not ch.isspace() and ch != "/")


def check(count: Callable[[str], int], files: list[PackFile], fmt: PackFormat, tree: bool) -> None:
    pack = render(files, fmt, tree=tree, count=count)
    assert pack.tokens == count(pack.text)
    assert pack.file_tokens == {f.rel: count(f.content) for f in files}


@pytest.mark.parametrize("encoding", ENCODINGS)
@EXAMPLES
@given(items=file_lists, fmt=st.sampled_from(PackFormat), tree=st.booleans())
def test_pack_count_is_exact(
    encoding: str, items: list[tuple[str, str]], fmt: PackFormat, tree: bool
) -> None:
    count = COUNTERS[encoding]
    check(count, [PackFile(rel, text, count(text)) for rel, text in items], fmt, tree)


@pytest.mark.parametrize("encoding", ENCODINGS)
@EXAMPLES
@given(items=file_lists, fmt=st.sampled_from(PackFormat), known=st.lists(st.booleans()))
def test_pack_count_is_exact_with_uncounted_files(
    encoding: str, items: list[tuple[str, str]], fmt: PackFormat, known: list[bool]
) -> None:
    count = COUNTERS[encoding]
    flags = (known + [False] * len(items))[: len(items)]
    files = [
        PackFile(r, t, count(t) if k else None) for (r, t), k in zip(items, flags, strict=True)
    ]
    check(count, files, fmt, tree=False)


@pytest.mark.parametrize("encoding", ENCODINGS)
@EXAMPLES
@given(
    a=st.one_of(tricky_text, st.text()).map(lambda s: s + "\n"),
    first=qualifying,
    b=st.one_of(tricky_text, st.text()),
)
def test_guaranteed_boundary_lemma(encoding: str, a: str, first: str, b: str) -> None:
    count = COUNTERS[encoding]
    assert count(a + first + b) == count(a) + count(first + b)


@pytest.mark.parametrize(
    ("encoding", "a", "b"),
    [
        ("o200k_base", ";\n", "// c"),  # "/" continues o200k's punctuation piece past "\n"
        ("o200k_base", "x \n", "\n"),  # whitespace after "\n" joins the space run
        ("cl100k_base", "x \n", "\n"),
    ],
)
def test_excluded_characters_do_break_additivity(encoding: str, a: str, b: str) -> None:
    count = COUNTERS[encoding]
    assert count(a + b) != count(a) + count(b)


def test_whitespace_rule_covers_the_regex_whitespace() -> None:
    white_space = [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B)]
    white_space += [0x2028, 0x2029, 0x202F, 0x205F, 0x3000]  # Unicode White_Space = regex \s
    assert all(chr(cp).isspace() for cp in white_space)


@pytest.mark.parametrize("fmt", list(PackFormat))
def test_middles_spare_most_of_the_tokenizing(fmt: PackFormat) -> None:
    count = COUNTERS["o200k_base"]
    body = "".join(f"def f{i}(x):\n    return x + {i}  # it's fine\n\n" for i in range(200))
    variants = [body, "  " + body + "tail", "\n" + body.rstrip(), "/* c */\n" + body]
    files = [PackFile(f"m{i}.py", text, count(text)) for i, text in enumerate(variants * 5)]
    pack = render(files, fmt, tree=True, count=count)
    assert pack.tokens == count(pack.text)
    assert pack.tokenized_chars < len(pack.text) / 50


def test_clean_files_need_no_tokenizing_at_all() -> None:
    count = COUNTERS["o200k_base"]
    calls: list[str] = []

    def spy(text: str) -> int:
        calls.append(text)
        return count(text)

    clean = "import os\nx = 1\n"
    files = [PackFile(f"{i}.py", clean, count(clean)) for i in range(9)]
    pack = render(files, PackFormat.XML, count=spy)
    assert pack.tokens == count(pack.text)
    assert len(calls) == 1  # the glue only, in one call
    assert pack.tokenized_chars == len(pack.text) - 9 * len(clean)
