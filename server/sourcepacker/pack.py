"""Pack selected files into one prompt, and count the prompt's tokens exactly and cheaply.

Formats: ``xml`` (default), ``markdown``, ``plain`` and ``json``. A prompt is: sections at the
top (instructions, the optional directory tree, git diff and log, files removed since the last
pack), then the files, sorted by their relative POSIX path (compared component by component, so
a directory's files stay together, in the same order as the tree). :func:`render_split` cuts the
same prompt into parts of at most N tokens each.

Fidelity of each format
-----------------------
- ``xml`` is one ``<sourcepacker>`` document: it parses as XML with exactly one ``<file>``
  element per packed file whatever the files hold. A file's text goes in raw when it holds no
  ``<``, ``&`` or ``]]>`` (nothing to misread); otherwise in one CDATA section, where only
  ``]]>`` needs care: it is written ``]]]]><![CDATA[>`` (the parsed text is unchanged). XML 1.0
  cannot carry C0 control characters other than tab, LF and CR (not even as ``&#12;``), nor
  U+FFFE/U+FFFF or lone surrogates: those become their visible Unicode "control picture"
  (U+240C for a form feed) or U+FFFD. The attribute ``path`` is escaped.
- ``markdown`` fences each file with a backtick run longer than any inside it.
- ``plain`` is the text between ``===== path =====`` lines, as it is.
- ``json`` is one object, ``{"instructions", "directory_structure", "git_diff", "git_log",
  "removed_files", "files": [{"path", "content"}]}`` (sections only when present), one member a
  line without indentation, so every line starts a tokenizer piece (see below).
Whenever a body differs from the file's own text (CDATA splits, replaced characters, JSON
escaping), its count comes from ``count`` (the engine's cache, keyed by content) instead of the
file's cached count; the total stays exact.

Why the count is exact without re-tokenizing every file
--------------------------------------------------------
BPE counts do not add up across arbitrary joins, but tiktoken first splits text into pieces with
a regex and encodes each piece on its own. For o200k_base and cl100k_base (patterns in
``tiktoken_ext/openai_public.py``) a position ``i`` with ``s[i-1] == "\\n"`` and ``s[i]`` neither
whitespace (``str.isspace``) nor ``/`` is always a piece boundary, and the pieces on either side
depend only on that side:

- no alternative matches a piece that holds a "\\n" followed by a non-space, except o200k's
  punctuation piece `` ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*``, which may run on into a ``/`` (hence the
  exclusion: ``";\\n" + "// c"`` is 2 tokens, ``";\\n"`` and ``"// c"`` are 1 + 2);
- the only look-arounds are ``\\s+(?!\\S)`` and cl100k's ``\\s++$``, and a space run ending in
  "\\n" is taken, to the same end, by an earlier or equivalent alternative (``\\s*[\\r\\n]+``,
  ``\\s*[\\r\\n]``) whatever follows it; there is no look-behind.

So ``count(s[:i] + s[i:]) == count(s[:i]) + count(s[i:])`` at such an ``i`` (trivially also at
``i == 0`` and ``i == len(s)``). ``str.isspace`` is a superset of the regex's Unicode
``White_Space`` (it adds U+001C..U+001F), which only makes the rule more cautious.

Each file whose count ``N`` is known is cut at its first and last such boundary (its edges
included when the wrapper before it ends in "\\n" and the text after it starts with a qualifying
character). The middle counts ``N - count(head) - count(tail)``; everything else is *glue*
(wrappers, headers, file edges, files without a boundary) and is tokenized. The junctions left
when the middles are cut out are boundaries too, so all glue is counted in one call.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import PurePosixPath

__all__ = [
    "FORMATS",
    "Pack",
    "PackFile",
    "PackFormat",
    "Section",
    "SectionKind",
    "language_for",
    "render",
    "render_split",
    "segment_tokens",
    "stream_frame",
    "stream_known",
    "stream_segment",
]


class PackFormat(StrEnum):
    XML = "xml"
    MARKDOWN = "markdown"
    PLAIN = "plain"
    JSON = "json"


#: The format names, in the order help texts list them: the one list every edge uses.
FORMATS: tuple[str, ...] = tuple(f.value for f in PackFormat)


class SectionKind(StrEnum):
    INSTRUCTIONS = "instructions"
    GIT_DIFF = "git_diff"
    GIT_LOG = "git_log"
    REMOVED_FILES = "removed_files"


_TITLES = {
    SectionKind.INSTRUCTIONS: "Instructions",
    SectionKind.GIT_DIFF: "Git diff",
    SectionKind.GIT_LOG: "Git log",
    SectionKind.REMOVED_FILES: "Removed since the last pack",
}
#: Sections repeated in every part of a split prompt; the others go in the first part only.
_EVERY_PART = frozenset({SectionKind.INSTRUCTIONS})


@dataclass(frozen=True, slots=True)
class Section:
    """A block at the top of the prompt; for REMOVED_FILES, ``text`` is one path a line."""

    kind: SectionKind
    text: str


@dataclass(frozen=True, slots=True)
class PackFile:
    """One file to pack: its path relative to the root, its text, and its cached count."""

    rel: str
    content: str
    #: Token count of ``content`` alone, from the cache; ``None`` to have it counted here.
    tokens: int | None
    #: ``(k, n)`` when this is part k of a file cut into n parts (see :func:`render_split`).
    part: tuple[int, int] | None = None
    #: ``content`` as UTF-8 bytes when the caller has them (the file as read): checked and
    #: written as they are, instead of encoding the text again.
    data: bytes | None = None


@dataclass(frozen=True, slots=True)
class Pack:
    """The packed prompt and its exact token count."""

    #: The prompt in pieces, in order: write them one after the other (no copy is joined).
    pieces: tuple[str, ...]
    #: ``count(text)``, exactly (given that the files' cached counts are right).
    tokens: int
    file_count: int
    #: Characters actually tokenized to get ``tokens``: glue, file edges, uncounted files.
    tokenized_chars: int
    #: Each file's own count, by path: the cached one, or the one counted here for ``None``.
    file_tokens: Mapping[str, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


_LANGUAGES = {
    ".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript",
    ".cjs": "javascript", ".jsx": "jsx", ".ts": "typescript", ".tsx": "tsx",
    ".json": "json", ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown",
    ".rst": "rst", ".html": "html", ".css": "css", ".scss": "scss", ".sh": "bash",
    ".bash": "bash", ".zsh": "zsh", ".ps1": "powershell", ".c": "c", ".h": "c",
    ".cpp": "cpp", ".cc": "cpp", ".hpp": "cpp", ".cs": "csharp", ".java": "java",
    ".kt": "kotlin", ".go": "go", ".rs": "rust", ".rb": "ruby", ".php": "php",
    ".swift": "swift", ".scala": "scala", ".lua": "lua", ".sql": "sql", ".xml": "xml",
    ".vue": "vue", ".svelte": "svelte", ".r": "r", ".dart": "dart", ".ini": "ini",
    ".cfg": "ini",
}  # fmt: skip
_LANGUAGE_BY_NAME = {"Dockerfile": "dockerfile", "Makefile": "makefile", "CMakeLists.txt": "cmake"}

#: "\n" followed by a character that starts a guaranteed piece boundary (see module docstring).
_BOUNDARY = re.compile(r"\n(?=[^\s/])")
_BACKTICKS = re.compile(r"`{3,}")  # shorter runs never lengthen the fence
_ATTR = str.maketrans(
    {
        "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
        "\n": "&#10;", "\r": "&#13;", "\t": "&#9;",
    }
)  # fmt: skip
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
#: Characters XML 1.0 cannot carry at all (not even escaped).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NOT_XML_WIDE = re.compile("[\ufffe\uffff\ud800-\udfff]")
#: The C0 controls of _NOT_XML as bytes. Deleting them with ``bytes.translate`` and comparing
#: lengths is 7x faster than the regex search (0.07 s vs 0.55 s on the stdlib's 31 M chars).
_C0 = bytes(c for c in range(32) if c not in (9, 10, 13))
_SURROGATE_BYTES = re.compile(rb"\xed[\xa0-\xbf]")
#: Facts are stored in a byte (segments.py); this value means "not as it is".
_NOT_AS_IS = 255


def language_for(rel: str) -> str:
    """Markdown fence language for a path, from its name or extension; "" when unknown."""
    path = PurePosixPath(rel)
    return _LANGUAGE_BY_NAME.get(path.name) or _LANGUAGES.get(path.suffix.lower(), "")


def render(
    files: Sequence[PackFile],
    fmt: PackFormat = PackFormat.XML,
    *,
    tree: bool = False,
    count: Callable[[str], int],
    sections: Sequence[Section] = (),
    tree_paths: Sequence[str] | None = None,
) -> Pack:
    """Pack ``files`` in ``fmt``; ``count`` is the encoding's text → token count.

    ``tree_paths`` lists the paths the tree shows (default: the packed files').
    """
    ordered = _ordered(files)
    fmt = PackFormat(fmt)
    file_tokens: dict[str, int] = {}
    counted_chars = 0
    layout = _LAYOUTS[fmt]
    parts: list[str | _Body] = [layout.start]
    shown = sorted({f.rel for f in ordered} if tree_paths is None else set(tree_paths), key=_key)
    parts += _header(layout, sections, shown if tree else None)
    parts.append(layout.files_start)
    for i, f in enumerate(ordered):
        n = f.tokens
        if n is None:  # counted on its own so the caller can cache it; then cut like the rest
            n = count(f.content)
            counted_chars += len(f.content)
        file_tokens[f.rel] = file_tokens.get(f.rel, 0) + n
        before, body, after = layout.file(f, i == len(ordered) - 1)
        if body is not f.content:  # escaped or sanitized: its own (cached) count
            n = count(body)
        parts += (before, _Body(body, n), after)
    parts.append(layout.end)
    pieces, tokens, tokenized = _measure([p for p in parts if p != ""], count)
    return Pack(
        pieces, tokens, len({f.rel for f in ordered}), tokenized + counted_chars, file_tokens
    )


def render_split(
    files: Sequence[PackFile],
    fmt: PackFormat = PackFormat.XML,
    *,
    limit: int,
    tree: bool = False,
    count: Callable[[str], int],
    sections: Sequence[Section] = (),
) -> list[Pack]:
    """The prompt :func:`render` makes, cut into parts of at most ``limit`` tokens each.

    Cut at file boundaries; a file too large for any part is cut at line boundaries (at
    characters inside a line longer than a part) into ``(k, n)`` pieces. Every part is a whole
    prompt in ``fmt``: the instructions in each, the tree (of all files) and the other sections
    in the first. Each file (or piece) is in exactly one part. Raises ``ValueError`` when the
    repeated header alone does not fit.
    """
    ordered = _ordered(files)
    rels = [f.rel for f in ordered]
    fmt = PackFormat(fmt)
    first_sections = list(sections)
    other_sections = [s for s in sections if s.kind in _EVERY_PART]

    def make(items: Sequence[PackFile], first: bool) -> Pack:
        return render(
            items,
            fmt,
            tree=tree and first,
            count=count,
            sections=first_sections if first else other_sections,
            tree_paths=rels,
        )

    empty_first, empty_other = make([], True).tokens, make([], False).tokens
    if max(empty_first, empty_other) >= limit:
        raise ValueError(
            f"the header of each part (instructions, tree, git context) is "
            f"{max(empty_first, empty_other)} tokens: no room for files within {limit}"
        )
    room = limit - max(empty_first, empty_other)
    items: list[tuple[PackFile, int]] = []
    for f in ordered:
        full = f if f.tokens is not None else replace(f, tokens=count(f.content))
        cost = segment_tokens(fmt, full, count)
        if cost <= room:
            items.append((full, cost))
        else:
            items += _cut_file(fmt, full, room, count)
    groups: list[list[PackFile]] = [[]]
    used = empty_first
    for item, cost in items:
        if groups[-1] and used + cost > limit:
            groups.append([])
            used = empty_other
        groups[-1].append(item)
        used += cost
    packs: list[Pack] = []
    k = 0
    while k < len(groups):  # the sums are exact at these boundaries; check anyway
        pack = make(groups[k], k == 0)
        if pack.tokens > limit and len(groups[k]) > 1:
            if k + 1 == len(groups):
                groups.append([])
            groups[k + 1].insert(0, groups[k].pop())
            continue
        if pack.tokens > limit:
            raise ValueError(f"a part of {groups[k][0].rel} does not fit in {limit} tokens")
        packs.append(pack)
        k += 1
    return packs


def segment_tokens(fmt: PackFormat, f: PackFile, count: Callable[[str], int]) -> int:
    """Tokens a file adds to a prompt (not its last in json): its wrapper and body.

    Exact in context: every segment starts after a "\n" with a character that is neither
    space nor "/" and ends with "\n" followed by the same kind (the next segment, the closing
    of the files), so both of its edges are piece boundaries (module docstring).
    """
    before, body, after = _LAYOUTS[fmt].file(f, False)
    n = f.tokens if body is f.content and f.tokens is not None else count(body)
    return _measure([p for p in (before, _Body(body, n), after) if p != ""], count)[1]


def stream_frame(
    fmt: PackFormat,
    *,
    tree: bool,
    count: Callable[[str], int],
    sections: Sequence[Section],
    tree_paths: Sequence[str],
) -> tuple[str, str, int]:
    """``(head, tail, tokens)``: what a streamed prompt writes before and after its files.

    ``tokens == count(head + tail)``, and the prompt's count is that plus each file's
    :func:`stream_segment` count: ``head`` is empty or ends in "\\n", ``tail`` is empty or
    starts with a qualifying character, and every segment starts with one and ends in "\\n",
    so each junction is a piece boundary (module docstring), as :func:`segment_tokens` uses.
    """
    layout = _LAYOUTS[PackFormat(fmt)]
    shown = sorted(set(tree_paths), key=_key) if tree else None
    head = layout.start + "".join(_header(layout, sections, shown)) + layout.files_start
    return head, layout.end, count(head + layout.end)


def stream_segment(
    fmt: PackFormat, f: PackFile, count: Callable[[str], int], *, last: bool
) -> tuple[tuple[str | bytes, ...], int, int, int | None]:
    """``(pieces, tokens, file_tokens, facts)`` of one file in a streamed prompt.

    ``pieces`` are written in order; the body is ``f.data`` itself when the layout leaves the
    text as it is (no copy, no encode). ``tokens`` is the segment's exact count in context;
    ``file_tokens`` the file's own count (``f.tokens``, or counted here when None); ``facts``
    what :func:`stream_known` needs to wrap the same text again without looking at it (None:
    the layout changes the text).
    """
    own = f.tokens if f.tokens is not None else count(f.content)
    layout = _LAYOUTS[fmt]
    facts = layout.facts(f) if f.part is None else None
    if facts is not None and layout.frame is not None:
        before, after = layout.frame(f, facts, bool(_newline(f.content)))
        body = f.content
    else:
        before, body, after = layout.file(f, last)  # layouts read rel, part, content, data
    n = own if body is f.content else count(body)
    tokens = _measure([p for p in (before, _Body(body, n), after) if p != ""], count)[1]
    raw: str | bytes = f.data if body is f.content and f.data is not None else body
    return (before, raw, after), tokens, own, facts


def stream_known(fmt: PackFormat, f: PackFile, facts: int, data: bytes) -> tuple[str, bytes, str]:
    """The pieces :func:`stream_segment` gave for a text with these ``facts``, from its bytes
    alone: nothing is scanned or counted (the caller remembered the count with the facts)."""
    frame = _LAYOUTS[fmt].frame
    assert frame is not None, f"{fmt} always changes the text"
    before, after = frame(f, facts, bool(data) and not data.endswith(b"\n"))
    return before, data, after


def _cut_file(
    fmt: PackFormat, f: PackFile, room: int, count: Callable[[str], int]
) -> list[tuple[PackFile, int]]:
    """``f`` cut at line boundaries into pieces whose segments fit in ``room`` tokens."""
    lines = f.content.splitlines(keepends=True)
    pieces: list[str] = []
    i = 0
    while i < len(lines):
        j = _fit(len(lines) - i, _lines_from(lines, i), f, fmt, room, count)
        if j == 0:  # one line longer than a part: cut it at characters
            line = lines[i]
            while line:
                c = _fit(len(line), _prefix_of(line), f, fmt, room, count)
                if c == 0:
                    raise ValueError(f"{f.rel}: not even one character fits in {room} tokens")
                pieces.append(line[:c])
                line = line[c:]
            i += 1
            continue
        pieces.append("".join(lines[i : i + j]))
        i += j
    n = len(pieces)
    out = []
    for k, text in enumerate(pieces, start=1):
        piece = PackFile(f.rel, text, count(text), (k, n))
        out.append((piece, segment_tokens(fmt, piece, count)))
    return out


def _lines_from(lines: list[str], start: int) -> Callable[[int], str]:
    return lambda n: "".join(lines[start : start + n])


def _prefix_of(text: str) -> Callable[[int], str]:
    return lambda n: text[:n]


def _fit(
    most: int,
    take: Callable[[int], str],
    f: PackFile,
    fmt: PackFormat,
    room: int,
    count: Callable[[str], int],
) -> int:
    """The largest n ≤ most whose piece ``take(n)`` fits in ``room`` (binary search)."""
    label = (99_999, 99_999)  # the widest label a piece can get: the real one is no longer

    def fits(n: int) -> bool:
        text = take(n)
        return segment_tokens(fmt, PackFile(f.rel, text, count(text), label), count) <= room

    lo, hi = 0, most
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


# --- counting ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Body:
    content: str
    tokens: int


def _qualifies(ch: str) -> bool:
    """``ch`` may follow "\\n" at a guaranteed boundary."""
    return not ch.isspace() and ch != "/"


def _measure(
    parts: list[str | _Body], count: Callable[[str], int]
) -> tuple[tuple[str, ...], int, int]:
    """Return ``parts`` as text pieces, their exact count and the number of chars tokenized."""
    glue: list[str] = []  # the text with every middle cut out
    middles = 0  # Σ cached counts of the cut files
    edges = 0  # Σ count(head + tail) of the cut files
    edge_chars = 0
    prev = ""
    for part, nxt in zip(parts, _next_chars(parts), strict=True):
        if isinstance(part, str):
            glue.append(part)
            prev = part[-1:] or prev
            continue
        c = part.content
        cut = _cut(c, prev, nxt)
        if cut is None:
            glue.append(c)
        else:
            head, tail = c[: cut[0]], c[cut[1] :]
            glue += (head, tail)
            middles += part.tokens
            if head or tail:  # head ends in "\n", tail starts with a qualifying char: additive
                edges += count(head + tail)
                edge_chars += len(head) + len(tail)
        prev = c[-1:] or prev
    joined = "".join(glue)
    pieces = tuple(p if isinstance(p, str) else p.content for p in parts)
    return pieces, middles - edges + count(joined), len(joined) + edge_chars


def _next_chars(parts: list[str | _Body]) -> list[str]:
    """For each part, the first character of the text after it ("" at the end)."""
    out: list[str] = []
    nxt = ""
    for part in reversed(parts):
        out.append(nxt)
        nxt = (part if isinstance(part, str) else part.content)[:1] or nxt
    out.reverse()
    return out


def _cut(c: str, prev: str, nxt: str) -> tuple[int, int] | None:
    """First and last guaranteed boundary of ``c`` in context, if they leave a middle.

    ``prev`` and ``nxt`` are the characters just before and after ``c`` in the text ("" at
    the text's start or end, where a boundary is trivial).
    """
    if not c:
        return None
    if not prev or (prev == "\n" and _qualifies(c[0])):
        first = 0
    elif m := _BOUNDARY.search(c):
        first = m.end()
    else:
        return None
    last = _last_boundary(c, nxt)
    return (first, last) if first < last else None


def _last_boundary(c: str, nxt: str) -> int:
    if not nxt or (c[-1] == "\n" and _qualifies(nxt)):
        return len(c)
    end = len(c) - 1  # a "\n" at c[-1] has nothing of c after it
    while (k := c.rfind("\n", 0, end)) != -1:
        if _qualifies(c[k + 1]):
            return k + 1
        end = k
    return 0


# --- layout -----------------------------------------------------------------------------------


def _key(rel: str) -> list[str]:
    return rel.split("/")


def _ordered(files: Iterable[PackFile]) -> list[PackFile]:
    ordered = sorted(files, key=lambda f: (_key(f.rel), f.part or (0, 0)))
    for a, b in itertools.pairwise(ordered):
        if a.rel == b.rel and a.part == b.part:
            raise ValueError(f"file listed twice: {a.rel!r}")
    return ordered


def _newline(content: str) -> str:
    """The "\\n" that closes a last line left open (none for empty content)."""
    return "\n" if content and not content.endswith("\n") else ""


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run in ``text`` (at least three)."""
    longest = max(map(len, _BACKTICKS.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def _label(f: PackFile) -> str:
    return f" (part {f.part[0]} of {f.part[1]})" if f.part else ""


def _xml_safe(text: str, data: bytes | None = None) -> str:
    """``text`` with the characters XML cannot carry replaced by visible stand-ins.

    ``data``: ``text`` as UTF-8 (surrogatepass) when the caller has it. The checks run on the
    bytes: U+FFFE/U+FFFF/surrogates are byte sequences found with ``in`` (memchr speed), where
    the regex over a non-ASCII text took 90 ms on the stdlib's 185 non-ASCII files.
    """
    if data is None:
        data = text.encode("utf-8", "surrogatepass")
    if len(data.translate(None, _C0)) == len(data) and (
        text.isascii() or not _has_wide_not_xml(data)
    ):
        return text
    return _NOT_XML.sub(lambda m: chr(0x2400 + ord(m[0])) if m[0] < " " else "\ufffd", text)


def _has_wide_not_xml(data: bytes) -> bool:
    """U+FFFE, U+FFFF or a surrogate (surrogatepass-encoded) in UTF-8 ``data``."""
    if b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:
        return True
    return b"\xed" in data and _SURROGATE_BYTES.search(data) is not None


def _xml_body(text: str, data: bytes | None = None) -> tuple[str, str, str]:
    """(opening, body, closing) for character data: raw, or CDATA when it needs it."""
    body = _xml_safe(text, data)
    if "<" not in body and "&" not in body and "]]>" not in body:  # `in`: 25x a regex here
        return "", body, ""
    if "]]>" in body:  # a search is 4x cheaper than replace()'s copy-free scan (7 vs 30 ms)
        body = body.replace("]]>", "]]]]><![CDATA[>")
    return "<![CDATA[", body, "]]>"


# Every "before" ends in "\n" and every "after" starts with a non-space, non-"/" character (or
# is "\n" / empty in plain), so a file that starts with such a character and ends in "\n" needs
# no tokenizing at all: its cached count is used as it is.

FileLayout = Callable[[PackFile, bool], tuple[str, str, str]]


@dataclass(frozen=True, slots=True)
class _Layout:
    start: str
    files_start: str
    end: str
    #: ``(file, is_last) → (before, body, after)``; ``body is file.content`` when unchanged.
    file: FileLayout
    section: Callable[[Section], str]
    tree: Callable[[Sequence[str]], str]
    #: When the body is the text as it is: what else the wrapper depends on, as a small int
    #: (None: the body is changed, or the layout always changes it, as json does).
    facts: Callable[[PackFile], int | None] = lambda _f: None
    #: ``(file, facts, open_end) → (before, after)`` for such a body; ``open_end``: the text
    #: does not end in "\n".
    frame: Callable[[PackFile, int, bool], tuple[str, str]] | None = None


def _header(layout: _Layout, sections: Sequence[Section], tree: Sequence[str] | None) -> list[str]:
    order = [s for s in sections if s.kind is SectionKind.INSTRUCTIONS]
    out = [layout.section(s) for s in order]
    if tree is not None:
        out.append(layout.tree(tree))
    out += [layout.section(s) for s in sections if s.kind is not SectionKind.INSTRUCTIONS]
    return out


def _xml_file(f: PackFile, _last: bool) -> tuple[str, str, str]:
    opening, body, closing = _xml_body(f.content, f.data)
    if body == f.content:
        body = f.content  # the very object: its cached count applies
    return _xml_open(f, opening), body, f"{_newline(body)}{closing}</file>\n"


def _xml_open(f: PackFile, opening: str) -> str:
    attrs = f' path="{_xml_safe(f.rel).translate(_ATTR)}"'
    if f.part:
        attrs += f' part="{f.part[0]}" parts="{f.part[1]}"'
    return f"<file{attrs}>{opening}\n"


def _xml_facts(f: PackFile) -> int | None:
    """1: the text goes in a CDATA section as it is; 0: raw as it is; None: it is changed."""
    opening, body, _closing = _xml_body(f.content, f.data)
    if body is not f.content:
        return None
    return 1 if opening else 0


def _xml_frame(f: PackFile, facts: int, open_end: bool) -> tuple[str, str]:
    opening, closing = ("<![CDATA[", "]]>") if facts == 1 else ("", "")
    return _xml_open(f, opening), f"{chr(10) if open_end else ''}{closing}</file>\n"


def _xml_section(s: Section) -> str:
    opening, body, closing = _xml_body(s.text)
    return f"<{s.kind}>{opening}\n{body}{_newline(body)}{closing}</{s.kind}>\n\n"


def _markdown_file(f: PackFile, _last: bool) -> tuple[str, str, str]:
    before, after = _markdown_frame(f, len(_fence(f.content)), bool(_newline(f.content)))
    return before, f.content, after


def _markdown_facts(f: PackFile) -> int | None:
    """The fence's length (it fits a byte in all but absurd files: None then)."""
    n = len(_fence(f.content))
    return n if n < _NOT_AS_IS else None


def _markdown_frame(f: PackFile, fence_length: int, open_end: bool) -> tuple[str, str]:
    fence = "`" * fence_length
    before = f"## {f.rel}{_label(f)}\n\n{fence}{language_for(f.rel)}\n"
    return before, f"{chr(10) if open_end else ''}{fence}\n\n"


def _markdown_section(s: Section) -> str:
    title = _TITLES[s.kind]
    if s.kind is SectionKind.INSTRUCTIONS:
        return f"## {title}\n\n{s.text}{_newline(s.text)}\n"
    if s.kind is SectionKind.REMOVED_FILES:
        return f"## {title}\n\n" + "".join(f"- {p}\n" for p in s.text.splitlines()) + "\n"
    fence = _fence(s.text)
    lang = "diff" if s.kind is SectionKind.GIT_DIFF else ""
    return f"## {title}\n\n{fence}{lang}\n{s.text}{_newline(s.text)}{fence}\n\n"


def _plain_file(f: PackFile, _last: bool) -> tuple[str, str, str]:
    before, after = _plain_frame(f, 0, bool(_newline(f.content)))
    return before, f.content, after


def _plain_facts(_f: PackFile) -> int | None:
    return 0


def _plain_frame(f: PackFile, _facts: int, open_end: bool) -> tuple[str, str]:
    return f"===== {f.rel}{_label(f)} =====\n", "\n" if open_end else ""


def _plain_section(s: Section) -> str:
    return f"===== {_TITLES[s.kind]} =====\n{s.text}{_newline(s.text)}\n"


def _json_file(f: PackFile, last: bool) -> tuple[str, str, str]:
    before = '{\n"path": ' + json.dumps(f.rel, ensure_ascii=False) + ",\n"
    if f.part:
        before += f'"part": {f.part[0]},\n"parts": {f.part[1]},\n'
    body = '"content": ' + json.dumps(f.content, ensure_ascii=False) + "\n"
    return before, body, "}\n" if last else "},\n"


def _json_section(s: Section) -> str:
    if s.kind is SectionKind.REMOVED_FILES:
        value = json.dumps(s.text.splitlines(), ensure_ascii=False)
    else:
        value = json.dumps(s.text, ensure_ascii=False)
    return f'"{s.kind}": {value},\n'


def _tree_lines(rels: Sequence[str]) -> list[str]:
    """An indented tree (two spaces a level, directories with a trailing "/") of sorted paths."""
    lines: list[str] = []
    shown: list[str] = []  # directories of the previous line
    for rel in rels:
        *dirs, name = rel.split("/")
        same = 0
        while same < min(len(dirs), len(shown)) and dirs[same] == shown[same]:
            same += 1
        lines += (f"{'  ' * depth}{d}/" for depth, d in enumerate(dirs[same:], start=same))
        lines.append(f"{'  ' * len(dirs)}{name}")
        shown = dirs
    return lines


def _xml_tree(rels: Sequence[str]) -> str:
    body = "".join(f"{_xml_safe(line).translate(_TEXT)}\n" for line in _tree_lines(rels))
    return f"<directory_structure>\n{body}</directory_structure>\n\n"


def _markdown_tree(rels: Sequence[str]) -> str:
    body = "".join(f"{line}\n" for line in _tree_lines(rels))
    fence = _fence(body)
    return f"## Directory structure\n\n{fence}\n{body}{fence}\n\n"


def _plain_tree(rels: Sequence[str]) -> str:
    body = "".join(f"{line}\n" for line in _tree_lines(rels))
    return f"Directory structure:\n{body}\n"


def _json_tree(rels: Sequence[str]) -> str:
    body = "".join(f"{line}\n" for line in _tree_lines(rels))
    return f'"directory_structure": {json.dumps(body, ensure_ascii=False)},\n'


_LAYOUTS: dict[PackFormat, _Layout] = {
    PackFormat.XML: _Layout(
        "<sourcepacker>\n",
        "",
        "</sourcepacker>\n",
        _xml_file,
        _xml_section,
        _xml_tree,
        _xml_facts,
        _xml_frame,
    ),
    PackFormat.MARKDOWN: _Layout(
        "",
        "",
        "",
        _markdown_file,
        _markdown_section,
        _markdown_tree,
        _markdown_facts,
        _markdown_frame,
    ),
    PackFormat.PLAIN: _Layout(
        "", "", "", _plain_file, _plain_section, _plain_tree, _plain_facts, _plain_frame
    ),
    PackFormat.JSON: _Layout(
        "{\n", '"files": [\n', "]\n}\n", _json_file, _json_section, _json_tree
    ),
}
