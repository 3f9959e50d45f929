"""Properties of the transforms: on arbitrary text, and on programs assembled from fragments."""

from __future__ import annotations

import re

import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from sourcepacker.pack import PackFile, PackFormat, render
from sourcepacker.transforms import Transform, apply_transforms
from sourcepacker.vocab import counter, get_encoding

PROPS = settings(max_examples=150, deadline=None)
C, R = Transform.COMPRESS, Transform.REMOVE_COMMENTS
E, L = Transform.REMOVE_EMPTY_LINES, Transform.LINE_NUMBERS

EXTENSIONS = [
    ".py", ".js", ".jsx", ".ts", ".tsx", ".go", ".rs", ".java", ".c", ".h", ".cpp",
    ".sh", ".yaml", ".toml", ".txt",
]  # fmt: skip
# Arbitrary text, biased towards the characters that make code, comments and lines.
CODE_CHARS = st.sampled_from([*"\n\n\r\t  #/*{}()\"'`:;=\\<>!-|", "def ", "fn ", "\u2028"])
texts = st.lists(st.one_of(CODE_CHARS, st.characters(codec="utf-8")), max_size=80).map("".join)
transform_sets = st.sets(st.sampled_from(list(Transform)))


@PROPS
@given(st.sampled_from(EXTENSIONS), texts, transform_sets)
def test_never_raises_and_gives_utf8_on_any_text(
    ext: str, text: str, transforms: set[Transform]
) -> None:
    out = apply_transforms("f" + ext, text, transforms)
    out.encode("utf-8")
    assert out == apply_transforms("f" + ext, text, transforms)  # deterministic


@PROPS
@given(st.sampled_from(EXTENSIONS), texts)
def test_remove_empty_lines_leaves_no_blank_line(ext: str, text: str) -> None:
    out = apply_transforms("f" + ext, text, [E])
    lines = out.split("\n")
    if lines[-1] == "":
        lines.pop()
    assert all(line.strip() for line in lines)
    assert apply_transforms("f" + ext, out, [E]) == out


_NUMBER = re.compile(r"^ *(\d+) \|(?: |(?=\r?$))")


@PROPS
@given(st.sampled_from(EXTENSIONS), texts)
def test_line_numbers_keep_every_line_and_count_from_one(ext: str, text: str) -> None:
    out = apply_transforms("f" + ext, text, [L])
    lines, numbered = text.split("\n"), out.split("\n")
    assert len(numbered) == len(lines)
    for n, (line, shown) in enumerate(zip(lines, numbered, strict=True), 1):
        if n == len(lines) and line == "":
            assert shown == ""  # after the final "\n": no line
            continue
        match = _NUMBER.match(shown)
        assert match is not None and int(match.group(1)) == n
        assert shown[match.end() :] == line


# --- programs from fragments ------------------------------------------------------------------
# Each language: declarations without function bodies, function definitions, and comments
# (whole-line, or trailing after a declaration). Trailing comments need a line to sit on.

LANGS: dict[str, dict[str, list[str]]] = {
    ".py": {
        "decl": ["import os", "from a import (b,\n    c)", "x: int = 1", 'S = """\n# s\n"""',
                 "class A(B):\n    y = 2\n    z: str", "if x:\n    y = 3", "@d\nclass C: pass"],
        "func": ["def f(a, b=1) -> int:\n    return a",
                 "async def g():\n    '''Doc.'''\n    await h()",
                 "class K:\n    def m(self): return 1"],
        "comment": ["# c", "#: doc for x", "# TODO"],
        "trail": ["  # t"],
    },
    ".ts": {
        "decl": ["import x from 'y';", "export const a = 1;", "interface I { a: string }",
                 "type T = { b?: number };", "enum E { A, B }", "class K { private x = 1; }",
                 "let s = `a\n// t\n`;", "declare function f(a: number): void;"],
        "func": ["function f(a: number): number { return a; }", "const g = (a) => { return a; };",
                 "class M { m(): void { console.log(1); } }"],
        "comment": ["// c", "/* c */", "/*\n * c\n */"],
        "trail": [" // t", " /* t */"],
    },
    ".go": {
        "decl": ['import "fmt"', "type T struct{ A int }", "var x = 1", "const (\n\tA = iota\n)",
                 "type I interface{ M() }"],
        "func": ["func F(a int) int { return a }", "func (t *T) M() {\n\tfmt.Println(1)\n}"],
        # A blank line after each: else it documents what follows, and stays.
        "comment": ["// c\n", "/* c */\n"],
        "trail": [" // t"],
    },
    ".rs": {
        "decl": ["use std::fmt;", "pub struct S { a: i32 }", "enum E { A, B }",
                 "trait T { fn a(&self); }", "const X: i32 = 1;", "#[derive(Debug)]\nstruct U;"],
        "func": ["fn f(a: i32) -> i32 { a + 1 }",
                 "impl S {\n    pub fn new() -> Self { S { a: 1 } }\n}"],
        "comment": ["// c", "/* c */"],
        "trail": [" // t"],
    },
    ".java": {
        "decl": ["import java.util.List;", "class A { int x; }", "interface I { void f(); }",
                 "enum E { X, Y }", "@interface Ann { }"],
        "func": ["class B { int f(int a) { return a; } }", "class D { D() { super(); } }"],
        "comment": ["// c", "/* c */"],
        "trail": [" // t"],
    },
    ".c": {
        "decl": ["#include <stdio.h>", "#define X 1", "typedef struct { int a; } S;",
                 "static int f(int a);", "enum e { A, B };", "int x = 1;"],
        "func": ["int f(int a) {\n    return a;\n}", "void g(void) { }"],
        "comment": ["// c", "/* c */"],
        "trail": [" /* t */"],
    },
}  # fmt: skip


@st.composite
def programs(draw: st.DrawFn, *, functions: bool) -> tuple[str, str, str]:
    """(extension, program, the same program without its comments)."""
    ext = draw(st.sampled_from(sorted(LANGS)))
    lang = LANGS[ext]
    kinds = ["decl", "comment", "func"] if functions else ["decl", "comment"]
    lines: list[tuple[str, str | None]] = []
    for kind in draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=8)):
        piece = draw(st.sampled_from(lang[kind]))
        if kind == "comment":  # gone, with its line; a blank line after it stays
            lines.append((piece, "" if piece.endswith("\n") else None))
            continue
        trail = draw(st.sampled_from(["", *lang["trail"]]))
        blank = draw(st.sampled_from(["", "\n"]))
        lines.append((piece + trail + blank, piece + blank))
    bare = "".join(b + "\n" for _, b in lines if b is not None)
    return ext, "".join(a + "\n" for a, _ in lines), bare


@PROPS
@given(programs(functions=False))
def test_compress_of_a_file_without_functions_is_the_file(program: tuple[str, str, str]) -> None:
    ext, text, bare = program
    assert apply_transforms("f" + ext, text, [C]) == text
    assert apply_transforms("f" + ext, text, [R]) == bare  # so it parsed: no pass-through


@PROPS
@given(programs(functions=True))
def test_remove_comments_removes_only_comments(program: tuple[str, str, str]) -> None:
    ext, text, bare = program
    assert apply_transforms("f" + ext, text, [R]) == bare


@PROPS
@given(programs(functions=True), st.sets(st.sampled_from([C, R, E])))
def test_syntax_aware_and_line_transforms_are_idempotent(
    program: tuple[str, str, str], transforms: set[Transform]
) -> None:
    ext, text, _ = program
    once = apply_transforms("f" + ext, text, transforms)
    assert apply_transforms("f" + ext, once, transforms) == once
    if C in transforms:
        assert len(once) <= len(text) + 4 * text.count("\n")  # markers are shorter than bodies


_count = counter("o200k_base")
_enc: tiktoken.Encoding = get_encoding("o200k_base")


@PROPS
@given(st.lists(programs(functions=True), min_size=1, max_size=4), transform_sets)
def test_a_pack_of_transformed_files_counts_exactly(
    programs_: list[tuple[str, str, str]], transforms: set[Transform]
) -> None:
    """The pack counts from per-file counts of the transformed text: what the user gets."""
    files = []
    for i, (ext, text, _) in enumerate(programs_):
        out = apply_transforms(f"f{i}{ext}", text, transforms)
        files.append(PackFile(f"f{i}{ext}", out, _count(out)))
    pack = render(files, PackFormat.XML, count=_count)
    assert pack.tokens == len(_enc.encode_ordinary(pack.text))
