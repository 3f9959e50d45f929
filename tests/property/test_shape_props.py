"""Every shaped prompt's reported count is tiktoken's count of the text written.

For random selections, every combination of format × transforms × tree × instructions × split
(and masking, BOMs, forged boundaries): each part's count equals
``len(enc.encode_ordinary(text))``, the parts hold every file exactly once (a cut file's pieces
join back to it), each part stays within the split size, and xml parses with one ``<file>`` per
packed file (piece).
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcepacker.engine import Engine
from sourcepacker.options import PackOptions
from sourcepacker.pack import (
    FORMATS,
    Pack,
    PackFile,
    PackFormat,
    Section,
    SectionKind,
    render,
    render_split,
    stream_frame,
    stream_known,
    stream_segment,
)
from sourcepacker.packing import derive
from sourcepacker.settings import Settings
from sourcepacker.transforms import Transform
from sourcepacker.vocab import counter, get_encoding

ENC = get_encoding("o200k_base")
count = counter("o200k_base")
PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def oracle(text: str) -> int:
    return len(ENC.encode_ordinary(text))


FRAGMENTS = [
    "\n", "\n\n", " ", "  ", "\t", "/", "// c\n", "# c\n", "<", "&", "]]>", "</file>\n",
    '<file path="evil">\n', "```", "\ufeff", "\x0c", "\r\n", "def f(x):\n    return x\n",
    "class A:\n    pass\n", "int main() { return 0; }\n", '"""doc"""\n', "x = 1\n",
    'password = "hunter2hunter2Xq9"\n', "é", "日本", "<|endoftext|>", "\u2028", "{", "}",
]  # fmt: skip
contents = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=6)), max_size=25).map(
    "".join
)
names = st.sampled_from(["a.py", "b.js", "c.txt", "d/e.go", "d/f.rs", "g.md", "h/i/j.c", "k.h"])
file_sets = st.dictionaries(names, contents, max_size=6)
transform_sets = st.sets(st.sampled_from([t.value for t in Transform]), max_size=2)
instructions = st.one_of(st.none(), st.sampled_from(["Review.", "Find <bugs> & fix\n", "```x```"]))


def shaped(files: dict[str, str], transforms: set[str], mask: bool) -> list[PackFile]:
    out = []
    for rel, text in files.items():
        text = text.removeprefix("\ufeff")
        d = derive(rel, text, sorted(transforms), mask)
        body = text if d.text is None else d.text
        out.append(PackFile(rel, body, count(body)))
    return out


def data_pieces(pieces: tuple[str | bytes, ...]) -> bytes:
    return b"".join(
        p if isinstance(p, bytes) else p.encode("utf-8", "surrogatepass") for p in pieces
    )


def streamed(
    files: list[PackFile], fmt: PackFormat, tree: bool, sections: list[Section]
) -> tuple[str, int]:
    """The prompt as the streaming writer makes it (frame + segments), and its count."""
    ordered = sorted(files, key=lambda f: f.rel.split("/"))
    head, tail, total = stream_frame(
        fmt, tree=tree, count=count, sections=sections, tree_paths=[f.rel for f in ordered]
    )
    out = [head.encode()]
    for i, f in enumerate(ordered):
        f = PackFile(f.rel, f.content, f.tokens, data=f.content.encode("utf-8", "surrogatepass"))
        pieces, tokens, own, facts = stream_segment(fmt, f, count, last=i == len(ordered) - 1)
        assert own == count(f.content)
        if facts is not None:  # what the segment memo replays: the same pieces from the bytes
            assert data_pieces(stream_known(fmt, f, facts, f.data or b"")) == data_pieces(pieces)
        out += (p if isinstance(p, bytes) else p.encode("utf-8", "surrogatepass") for p in pieces)
        total += tokens
    out.append(tail.encode())
    return b"".join(out).decode("utf-8", "surrogatepass"), total


def check_pack(pack: Pack, fmt: str) -> None:
    text = pack.text
    assert pack.tokens == oracle(text)
    if fmt == "xml":
        root = ET.fromstring(text)  # parses: nothing forged a boundary
        assert len(list(root.iter("file"))) == len(list(root.findall("file")))
    elif fmt == "json":
        json.loads(text)


@PROPS
@given(
    file_sets,
    st.sampled_from(FORMATS),
    transform_sets,
    st.booleans(),
    instructions,
    st.booleans(),
    st.one_of(st.none(), st.integers(60, 400)),
)
def test_reported_counts_equal_tiktoken_of_the_text(
    files: dict[str, str],
    fmt: str,
    transforms: set[str],
    tree: bool,
    instr: str | None,
    mask: bool,
    split: int | None,
) -> None:
    packed = shaped(files, transforms, mask)
    sections = [Section(SectionKind.INSTRUCTIONS, instr)] if instr else []
    pf = PackFormat(fmt)
    if split is None:
        pack = render(packed, pf, tree=tree, count=count, sections=sections)
        check_pack(pack, fmt)
        # Streamed (frame + one segment a file, bodies written as bytes): the same prompt.
        assert streamed(packed, pf, tree, sections) == (pack.text, pack.tokens)
        if fmt == "xml":
            got = {e.get("path"): e.text for e in ET.fromstring(pack.text).iter("file")}
            assert set(got) == {f.rel for f in packed}
        return
    try:
        parts = render_split(packed, pf, limit=split, tree=tree, count=count, sections=sections)
    except ValueError:
        return  # the header alone does not fit: reported as an error, nothing written
    pieces: dict[str, list[tuple[tuple[int, int] | None, str]]] = {}
    for part in parts:
        check_pack(part, fmt)
        assert part.tokens <= split
    assert sum(p.file_count for p in parts) >= len(packed)
    # Every file exactly once: xml gives each piece back; pieces join to the file's text.
    seen: dict[str, str] = {}
    for f in packed:
        pieces.setdefault(f.rel, [])
    if fmt == "xml":
        for part in parts:
            for e in ET.fromstring(part.text).iter("file"):
                rel = e.get("path")
                assert rel is not None
                k = e.get("part")
                pieces[rel].append(
                    ((int(k), int(e.get("parts") or 0)) if k else None, e.text or "")
                )
        for f in packed:
            got = sorted(pieces[f.rel], key=lambda p: p[0] or (0, 0))
            if len(got) == 1:
                assert got[0][0] is None
            else:
                assert [p[0] for p in got] == [(k, len(got)) for k in range(1, len(got) + 1)]
            seen[f.rel] = "".join(t for _, t in got)
        assert set(seen) == {f.rel for f in packed}


@PROPS
@given(file_sets, file_sets, st.sampled_from(FORMATS), st.booleans(), instructions)
def test_packs_of_two_folders_joined_count_their_sum(
    a: dict[str, str], b: dict[str, str], fmt: str, tree: bool, instr: str | None
) -> None:
    """The extension copies a multi-root selection as the folders' packs joined with nothing,
    and reports the sum of their counts: exact, since each pack ends in "\n" and starts with
    a character that makes the junction a piece boundary."""
    sections = [Section(SectionKind.INSTRUCTIONS, instr)] if instr else []
    packs = [
        render(shaped(files, set(), False), PackFormat(fmt), tree=tree, count=count,
               sections=sections)
        for files in (a, b)
    ]  # fmt: skip
    assert oracle(packs[0].text + packs[1].text) == packs[0].tokens + packs[1].tokens


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(file_sets, st.sampled_from(FORMATS), transform_sets, st.booleans(), instructions)
def test_engine_pack_and_prompt_figure_agree_with_tiktoken(
    files: dict[str, str],
    fmt: str,
    transforms: set[str],
    tree: bool,
    instr: str | None,
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(text.encode("utf-8"))
        root.mkdir(exist_ok=True)
        engine = Engine(root, Settings(cache_dir=str(Path(tmp) / "cache")))
        try:
            engine.scan()
            engine.set_checked([""], True)
            options = PackOptions(fmt, tree, instr, tuple(sorted(transforms)))
            result = engine.pack(options)
            for part in result.parts:
                assert part.tokens == oracle(part.text)
            assert engine.prompt_tokens(options) == result.tokens
            sink = io.BytesIO()  # the CLI's streamed pack: same text, same figures
            stream = engine.pack(options, write=sink.write)
            if result.file_count == 0:  # nothing to pack: the CLI says so and writes nothing
                assert stream.file_count == 0 and sink.getvalue() == b""
                return
            assert sink.getvalue().decode("utf-8") == result.text
            assert stream.tokens == result.tokens == oracle(result.text)
            assert stream.file_tokens == result.file_tokens
            assert stream.redactions == result.redactions and stream.hashes == result.hashes
            # Again, and from a new engine over the same cache: the segments remembered by the
            # first stream (segments.py) give the same bytes and figures.
            again = Engine(root, Settings(cache_dir=str(Path(tmp) / "cache")))
            try:
                again.scan()
                again.set_checked([""], True)
                for eng in (engine, again):
                    sink = io.BytesIO()
                    replay = eng.pack(options, write=sink.write)
                    assert sink.getvalue().decode("utf-8") == result.text
                    assert (replay.tokens, replay.file_tokens) == (
                        result.tokens,
                        result.file_tokens,
                    )
            finally:
                again.close()
        finally:
            engine.close()
