"""Pack selected files into one prompt, and count the prompt's tokens exactly and cheaply.

Formats: ``xml`` (default), ``markdown`` and ``plain``, with an optional directory-tree header.
Files come out sorted by their relative POSIX path (compared component by component, so a
directory's files stay together, in the same order as the tree header).

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
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath

__all__ = ["FORMATS", "Pack", "PackFile", "PackFormat", "language_for", "render"]


class PackFormat(StrEnum):
    XML = "xml"
    MARKDOWN = "markdown"
    PLAIN = "plain"


#: The format names, in the order help texts list them: the one list every edge uses.
FORMATS: tuple[str, ...] = tuple(f.value for f in PackFormat)


@dataclass(frozen=True, slots=True)
class PackFile:
    """One file to pack: its path relative to the root, its text, and its cached count."""

    rel: str
    content: str
    #: Token count of ``content`` alone, from the cache; ``None`` to have it counted here.
    tokens: int | None


@dataclass(frozen=True, slots=True)
class Pack:
    """The packed prompt and its exact token count."""

    text: str
    #: ``count(text)``, exactly (given that the files' cached counts are right).
    tokens: int
    file_count: int
    #: Characters actually tokenized to get ``tokens``: glue, file edges, uncounted files.
    tokenized_chars: int
    #: Each file's own count, by path: the cached one, or the one counted here for ``None``.
    file_tokens: Mapping[str, int] = field(default_factory=dict)


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
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\r": "&#13;"}
)
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


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
) -> Pack:
    """Pack ``files`` in ``fmt``; ``count`` is the encoding's text → token count."""
    ordered = _ordered(files)
    fmt = PackFormat(fmt)
    file_tokens: dict[str, int] = {}
    counted_chars = 0
    parts: list[str | _Body] = []
    if tree:
        parts.append(_TREES[fmt]([f.rel for f in ordered]))
    for f in ordered:
        n = f.tokens
        if n is None:  # counted on its own so the caller can cache it; then cut like the rest
            n = count(f.content)
            counted_chars += len(f.content)
        file_tokens[f.rel] = n
        before, after = _WRAPPERS[fmt](f.rel, f.content)
        parts += (before, _Body(f.content, n), after)
    text, tokens, tokenized = _measure(parts, count)
    return Pack(text, tokens, len(ordered), tokenized + counted_chars, file_tokens)


# --- counting ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Body:
    content: str
    tokens: int


def _qualifies(ch: str) -> bool:
    """``ch`` may follow "\\n" at a guaranteed boundary."""
    return not ch.isspace() and ch != "/"


def _measure(parts: list[str | _Body], count: Callable[[str], int]) -> tuple[str, int, int]:
    """Join ``parts``; return the text, its exact count and the number of chars tokenized."""
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
    text = "".join(p if isinstance(p, str) else p.content for p in parts)
    return text, middles - edges + count(joined), len(joined) + edge_chars


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


def _ordered(files: Iterable[PackFile]) -> list[PackFile]:
    ordered = sorted(files, key=lambda f: f.rel.split("/"))
    for a, b in itertools.pairwise(ordered):
        if a.rel == b.rel:
            raise ValueError(f"file listed twice: {a.rel!r}")
    return ordered


def _newline(content: str) -> str:
    """The "\\n" that closes a last line left open (none for empty content)."""
    return "\n" if content and not content.endswith("\n") else ""


def _fence(text: str) -> str:
    """A backtick fence longer than any backtick run in ``text`` (at least three)."""
    longest = max(map(len, _BACKTICKS.findall(text)), default=0)
    return "`" * max(3, longest + 1)


# Every "before" ends in "\n" and every "after" starts with a non-space, non-"/" character (or
# is "\n" / empty in plain), so a file that starts with such a character and ends in "\n" needs
# no tokenizing at all. Contents are never escaped: the model reads them raw, and a "</file>"
# inside a file leaves the count exact (it is only text); only the path attribute is escaped.


def _xml(rel: str, content: str) -> tuple[str, str]:
    return f'<file path="{rel.translate(_ATTR)}">\n', f"{_newline(content)}</file>\n"


def _markdown(rel: str, content: str) -> tuple[str, str]:
    fence = _fence(content)
    return f"## {rel}\n\n{fence}{language_for(rel)}\n", f"{_newline(content)}{fence}\n\n"


def _plain(rel: str, content: str) -> tuple[str, str]:
    return f"===== {rel} =====\n", _newline(content)


_WRAPPERS: dict[PackFormat, Callable[[str, str], tuple[str, str]]] = {
    PackFormat.XML: _xml,
    PackFormat.MARKDOWN: _markdown,
    PackFormat.PLAIN: _plain,
}


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
    body = "".join(f"{line.translate(_TEXT)}\n" for line in _tree_lines(rels))
    return f"<directory_structure>\n{body}</directory_structure>\n\n"


def _markdown_tree(rels: Sequence[str]) -> str:
    body = "".join(f"{line}\n" for line in _tree_lines(rels))
    fence = _fence(body)
    return f"## Directory structure\n\n{fence}\n{body}{fence}\n\n"


def _plain_tree(rels: Sequence[str]) -> str:
    body = "".join(f"{line}\n" for line in _tree_lines(rels))
    return f"Directory structure:\n{body}\n"


_TREES: dict[PackFormat, Callable[[Sequence[str]], str]] = {
    PackFormat.XML: _xml_tree,
    PackFormat.MARKDOWN: _markdown_tree,
    PackFormat.PLAIN: _plain_tree,
}
