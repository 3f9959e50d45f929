"""Exact layout of each pack format, ordering, escaping and the tree header."""

from __future__ import annotations

import pytest

from sourcepacker.pack import Pack, PackFile, PackFormat, language_for, render
from sourcepacker.vocab import counter

count = counter("o200k_base")


def pack(files: list[PackFile], fmt: PackFormat = PackFormat.XML, *, tree: bool = False) -> Pack:
    return render(files, fmt, tree=tree, count=count)


def f(rel: str, content: str) -> PackFile:
    return PackFile(rel, content, count(content))


def test_xml_layout() -> None:
    files = [f("b.py", "x = 1\n"), f("a/c.txt", "no newline"), f("e.txt", "")]
    assert pack(files).text == (
        "<sourcepacker>\n"
        '<file path="a/c.txt">\nno newline\n</file>\n'
        '<file path="b.py">\nx = 1\n</file>\n'
        '<file path="e.txt">\n</file>\n'
        "</sourcepacker>\n"
    )


def test_xml_escapes_the_path_attribute_and_wraps_markup_in_cdata() -> None:
    text = pack([f('q"<&>\n.txt', "a < b && </file>\n")]).text
    assert text == (
        '<sourcepacker>\n<file path="q&quot;&lt;&amp;&gt;&#10;.txt"><![CDATA[\n'
        "a < b && </file>\n]]></file>\n</sourcepacker>\n"
    )


def test_markdown_layout() -> None:
    files = [f("src/m.py", "print(1)\n"), f("README", "hi")]
    assert pack(files, PackFormat.MARKDOWN).text == (
        "## README\n\n```\nhi\n```\n\n## src/m.py\n\n```python\nprint(1)\n```\n\n"
    )


@pytest.mark.parametrize(
    ("content", "fence"),
    [("", "```"), ("a ` b `` c", "```"), ("```js\n```\n", "````"), ("x ````` y", "``````")],
)
def test_markdown_fence_outruns_backticks(content: str, fence: str) -> None:
    text = pack([f("x.md", content)], PackFormat.MARKDOWN).text
    closing = "\n" if content and not content.endswith("\n") else ""
    assert text == f"## x.md\n\n{fence}markdown\n{content}{closing}{fence}\n\n"


def test_plain_layout() -> None:
    files = [f("b", "two\n"), f("a", "one")]
    assert pack(files, PackFormat.PLAIN).text == "===== a =====\none\n===== b =====\ntwo\n"


def test_tree_headers() -> None:
    files = [f(rel, "x\n") for rel in ("src/pkg/b.py", "README.md", "src/a.py", "src/pkg/<a>")]
    tree = "README.md\nsrc/\n  a.py\n  pkg/\n    <a>\n    b.py\n"
    xml = pack(files, tree=True).text
    assert xml.startswith(
        "<sourcepacker>\n"
        "<directory_structure>\nREADME.md\nsrc/\n  a.py\n  pkg/\n    &lt;a&gt;\n    b.py\n"
        '</directory_structure>\n\n<file path="README.md">\n'
    )
    md = pack(files, PackFormat.MARKDOWN, tree=True).text
    assert md.startswith(f"## Directory structure\n\n```\n{tree}```\n\n## README.md\n")
    plain = pack(files, PackFormat.PLAIN, tree=True).text
    assert plain.startswith(f"Directory structure:\n{tree}\n===== README.md =====\n")


def test_tree_fence_outruns_backticks_in_names() -> None:
    md = pack([f("a```b", "x")], PackFormat.MARKDOWN, tree=True).text
    assert md.startswith("## Directory structure\n\n````\na```b\n````\n\n")


def test_order_is_by_path_components_whatever_the_input_order() -> None:
    rels = ["b.py", "a/z.py", "a.b", "a/b/c.py", "A.py"]
    files = [f(rel, f"{rel}\n") for rel in rels]
    first = pack(files, PackFormat.PLAIN)
    assert first.text == pack(files[::-1], PackFormat.PLAIN).text
    headers = [line for line in first.text.splitlines() if line.startswith("=====")]
    assert headers == [f"===== {r} =====" for r in ["A.py", "a/b/c.py", "a/z.py", "a.b", "b.py"]]


def test_duplicate_paths_are_refused() -> None:
    with pytest.raises(ValueError, match="listed twice"):
        pack([f("a", "1"), f("a", "2")])


def test_pack_fields_and_uncounted_files() -> None:
    p = pack([PackFile("a.py", "x = 1\ny = 2\n", None), f("b.py", "z\n")])
    assert p.file_count == 2
    assert p.file_tokens == {"a.py": count("x = 1\ny = 2\n"), "b.py": count("z\n")}
    assert p.tokens == count(p.text)


def test_empty_pack() -> None:
    assert pack([], PackFormat.PLAIN) == Pack((), 0, 0, 0, {})
    assert pack([]).text == "<sourcepacker>\n</sourcepacker>\n"
    assert pack([], tree=True).text == (
        "<sourcepacker>\n<directory_structure>\n</directory_structure>\n\n</sourcepacker>\n"
    )


def test_format_accepts_its_string_value() -> None:
    assert pack([f("a", "x")], "plain").text == "===== a =====\nx\n"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rel", "lang"),
    [("a/b.py", "python"), ("x.TS", "typescript"), ("Dockerfile", "dockerfile"), ("x", "")],
)
def test_language_for(rel: str, lang: str) -> None:
    assert language_for(rel) == lang
