"""Size-reducing transforms applied to a file's text before it is packed.

``apply_transforms(rel, text, transforms)`` runs them in a fixed order, whatever the order given:

1. ``compress`` and ``remove-comments`` (syntax-aware, one tree-sitter parse for both):
   - ``compress`` keeps what shows the shape of the code (imports, signatures, types, classes,
     structs, interfaces, enums, decorators, docstrings, top-level statements, comments outside
     bodies) and replaces each function or method body with a marker: ``...`` in Python (after
     the docstring, if any), ``{ … }`` in the brace languages. Nested functions go with the body,
     except in a JavaScript function invoked at once (an IIFE or UMD wrapper: the whole module),
     whose own functions are compressed instead.
   - ``remove-comments`` deletes comment nodes; a line left blank by that goes too, and a
     trailing comment takes the spaces before it. Kept: Python docstrings (strings, not
     comments), doc comments (``/** */``, ``/*! */``, ``///``, ``//!``: the other languages'
     docstrings, and TypeScript's ``/// <reference>`` directives), a shebang, a comment naming an
     ``SPDX-License-Identifier`` (one line that says the licence), Go's ``//go:``, ``// +build``,
     ``//export``, ``//line`` directives, the cgo preamble before ``import "C"``, and Go's doc
     comments (the top-level ones right above a declaration).
   Languages by extension: Python, JavaScript (and JSX), TypeScript, TSX, Go, Rust, Java, C, C++
   (``.h`` tries C, then C++). ``remove-comments`` also drops whole-line ``#`` comments in shell,
   YAML and TOML, only where no heredoc, block scalar or multi-line string can hide a ``#`` line
   that is not a comment. Any other file, a file whose tree has an error (tree-sitter ERROR or
   MISSING node), and text that is not encodable as UTF-8, pass through unchanged: code is never
   lost silently. C and C++ are the exception: the grammars do not expand macros, so 65 % of the
   headers in /usr/include and 60 % of the C++ files sampled have an ERROR node somewhere
   (``__BEGIN_DECLS``, ``TEST_CASE(…) {``); there, only bodies and comments with no error in
   them and outside every ERROR node are edited, the rest stays as it is.
2. ``remove-empty-lines``: drops every line holding only whitespace (``str.strip``). Lines are
   split on "\\n" only, so "\\r\\n" files keep their endings.
3. ``line-numbers``: prefixes each line as emitted with its number, right-aligned to the width
   of the last one, then `` | ``: ``  9 | x = 1``, `` 10 | y = 2``; an empty line gets the number
   and `` |`` alone (no trailing space). Numbers count the lines of the output, so with
   ``remove-empty-lines`` they are 1..n without gaps. Text after the last "\\n" is a line; the
   empty string after a final "\\n" is not.

Outputs are deterministic; every transform but ``line-numbers`` is idempotent. Parsers are made
lazily, one per language per thread (tree-sitter parsers are not thread-safe); languages and
queries are shared. The grammars come in their own wheels: nothing is downloaded at run time.
"""

from __future__ import annotations

import bisect
import functools
import importlib
import re
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

from tree_sitter import Language, Node, Parser, Query, QueryCursor, QueryError, Tree

__all__ = [
    "TRANSFORMS_VERSION",
    "Transform",
    "apply_transforms",
    "language_of",
    "transform_key",
]

#: Part of every cache key of transformed text: bump it whenever any output may change.
TRANSFORMS_VERSION = "1"


class Transform(StrEnum):
    REMOVE_COMMENTS = "remove-comments"
    REMOVE_EMPTY_LINES = "remove-empty-lines"
    COMPRESS = "compress"
    LINE_NUMBERS = "line-numbers"


def transform_key(transforms: Collection[Transform]) -> str:
    """Canonical name of a set of transforms: sorted, deduplicated, "+"-joined; "" for none.

    Raises ``ValueError`` for a name that is not a transform.
    """
    return "+".join(sorted({Transform(t).value for t in transforms}))


def apply_transforms(rel: str, text: str, transforms: Collection[Transform]) -> str:
    """``text`` of the file at ``rel`` (relative POSIX path) with ``transforms`` applied."""
    chosen = {Transform(t) for t in transforms}
    compress = Transform.COMPRESS in chosen
    comments = Transform.REMOVE_COMMENTS in chosen
    if compress or comments:
        text = _syntax_aware(rel, text, compress=compress, comments=comments)
    if Transform.REMOVE_EMPTY_LINES in chosen:
        text = _remove_empty_lines(text)
    if Transform.LINE_NUMBERS in chosen:
        text = _number_lines(text)
    return text


def language_of(rel: str) -> str | None:
    """Name of the language the syntax-aware transforms use for ``rel``; ``None`` if none."""
    suffix = PurePosixPath(rel).suffix.lower()
    names = _GRAMMARS_BY_SUFFIX.get(suffix)
    if names:
        return names[0]
    return _HASH_COMMENTS_BY_SUFFIX.get(suffix)


# --- line transforms --------------------------------------------------------------------------


def _remove_empty_lines(text: str) -> str:
    *lines, last = text.split("\n")  # ``last``: after the final "\n", "" if the text ends so
    kept = "".join(line + "\n" for line in lines if line.strip())
    return kept + last if last.strip() else kept


def _number_lines(text: str) -> str:
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # a final "\n" ends the last line; it does not start one
    width = len(str(len(lines)))
    out = []
    for n, line in enumerate(lines, 1):
        body, cr = (line[:-1], "\r") if line.endswith("\r") else (line, "")
        out.append(f"{n:>{width}} | {body}{cr}" if body else f"{n:>{width}} |{cr}")
    numbered = "\n".join(out)
    return numbered + "\n" if text.endswith("\n") else numbered


# --- grammars ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Grammar:
    name: str
    #: "module:function" of the grammar wheel's TSLanguage pointer, imported on first use (the
    #: nine wheels take 0.1-0.4 s to import on this machine: not for a run that needs none).
    language: str
    #: Function-like node types whose ``body`` field ``compress`` replaces.
    functions: tuple[str, ...]
    #: Body node types replaced (an arrow function's expression body, say, stays).
    bodies: tuple[str, ...]
    comments: tuple[str, ...]
    marker: bytes = b"{ \xe2\x80\xa6 }"  # "{ … }"
    #: Edit the error-free parts of a tree that has errors (else the file passes through).
    tolerates_errors: bool = False


_JS_FUNCTIONS = (
    "function_declaration",
    "function_expression",
    "generator_function_declaration",
    "generator_function",
    "method_definition",
    "arrow_function",
)
_GRAMMARS = {
    g.name: g
    for g in (
        _Grammar(
            "python",
            "tree_sitter_python:language",
            ("function_definition",),
            ("block",),
            ("comment",),
            b"...",
        ),
        _Grammar(
            "javascript",
            "tree_sitter_javascript:language",
            _JS_FUNCTIONS,
            ("statement_block",),
            ("comment",),
        ),
        _Grammar(
            "typescript",
            "tree_sitter_typescript:language_typescript",
            _JS_FUNCTIONS,
            ("statement_block",),
            ("comment",),
        ),
        _Grammar(
            "tsx",
            "tree_sitter_typescript:language_tsx",
            _JS_FUNCTIONS,
            ("statement_block",),
            ("comment",),
        ),
        _Grammar(
            "go",
            "tree_sitter_go:language",
            ("function_declaration", "method_declaration", "func_literal"),
            ("block",),
            ("comment",),
        ),
        _Grammar(
            "rust",
            "tree_sitter_rust:language",
            ("function_item",),
            ("block",),
            ("line_comment", "block_comment"),
        ),
        _Grammar(
            "java",
            "tree_sitter_java:language",
            ("method_declaration", "constructor_declaration", "compact_constructor_declaration"),
            ("block", "constructor_body"),
            ("line_comment", "block_comment"),
        ),
        _Grammar(
            "c",
            "tree_sitter_c:language",
            ("function_definition",),
            ("compound_statement",),
            ("comment",),
            tolerates_errors=True,
        ),
        _Grammar(
            "cpp",
            "tree_sitter_cpp:language",
            ("function_definition",),
            ("compound_statement",),
            ("comment",),
            tolerates_errors=True,
        ),
    )
}

#: Grammars tried in order: the first whose tree has no error is used.
_GRAMMARS_BY_SUFFIX: dict[str, tuple[str, ...]] = {
    ".py": ("python",), ".pyi": ("python",), ".pyw": ("python",),
    ".js": ("javascript",), ".mjs": ("javascript",), ".cjs": ("javascript",),
    ".jsx": ("javascript",),
    ".ts": ("typescript",), ".mts": ("typescript",), ".cts": ("typescript",),
    ".tsx": ("tsx",),
    ".go": ("go",), ".rs": ("rust",), ".java": ("java",),
    ".c": ("c",), ".h": ("c", "cpp"),
    ".cc": ("cpp",), ".cpp": ("cpp",), ".cxx": ("cpp",), ".c++": ("cpp",),
    ".hh": ("cpp",), ".hpp": ("cpp",), ".hxx": ("cpp",), ".h++": ("cpp",),
    ".ipp": ("cpp",), ".inl": ("cpp",), ".tpp": ("cpp",),
}  # fmt: skip


@functools.cache
def _language(name: str) -> Language:
    module, function = _GRAMMARS[name].language.split(":")
    return Language(getattr(importlib.import_module(module), function)())


@functools.cache
def _query(name: str, compress: bool, comments: bool) -> Query:
    """The query for the chosen transforms: @body (with @fn around it), @comment."""
    g, language = _GRAMMARS[name], _language(name)
    patterns = []
    if compress:
        for pattern in (f"({f} body: ({b}) @body) @fn" for f in g.functions for b in g.bodies):
            try:  # e.g. a Java constructor's body is never a (block): "impossible pattern"
                Query(language, pattern)
            except QueryError:
                continue
            patterns.append(pattern)
    if comments:
        patterns.append(f"[{' '.join(f'({c})' for c in g.comments)}] @comment")
    return Query(language, " ".join(patterns))


@functools.cache
def _error_query(name: str) -> Query:
    return Query(_language(name), "(ERROR) @error")


class _Parsers(threading.local):
    def __init__(self) -> None:
        self.by_language: dict[str, Parser] = {}


_parsers = _Parsers()


def _parser(name: str) -> Parser:
    parser = _parsers.by_language.get(name)
    if parser is None:
        parser = _parsers.by_language[name] = Parser(_language(name))
    return parser


# --- syntax-aware transforms ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Edit:
    start: int
    end: int
    replacement: bytes
    #: A comment removal: a line it leaves holding only whitespace is dropped.
    comment: bool


def _syntax_aware(rel: str, text: str, *, compress: bool, comments: bool) -> str:
    suffix = PurePosixPath(rel).suffix.lower()
    hash_language = _HASH_COMMENTS_BY_SUFFIX.get(suffix)
    if hash_language is not None:
        return _remove_hash_comments(text, hash_language) if comments else text
    names = _GRAMMARS_BY_SUFFIX.get(suffix)
    if not names or not text:
        return text
    try:
        src = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: not a file's text, leave it be
        return text
    parsed = _parse(src, names)
    if parsed is None:
        return text
    name, tree, errors = parsed
    edits: list[_Edit] = []
    python = name == "python"
    javascript = _GRAMMARS[name].functions is _JS_FUNCTIONS
    marker = _GRAMMARS[name].marker
    preamble = _cgo_preamble_end(src) if name == "go" and comments else -1
    for _, match in QueryCursor(_query(name, compress, comments)).matches(tree.root_node):
        if "body" in match:
            fn, body = match["fn"][0], match["body"][0]
            if (errors and not errors.clean(body)) or (javascript and _invoked_at_once(fn)):
                continue
            edits.append(_python_body(src, fn, body) if python else _brace_body(body, marker))
        else:
            node = match["comment"][0]
            if errors and not errors.clean(node):
                continue
            if not _keep_comment(src, node, name, preamble):
                edits.append(_comment_edit(src, node.start_byte, node.end_byte))
    if not edits:
        return text
    try:
        return _apply(src, edits).decode("utf-8")
    except UnicodeDecodeError:  # an edge inside a character: never hand out broken text
        return text


class _Errors:
    """The outermost ERROR nodes of a tree, to edit only what lies outside them."""

    def __init__(self, tree: Tree, name: str) -> None:
        spans: list[tuple[int, int]] = []
        for node in QueryCursor(_error_query(name)).captures(tree.root_node).get("error", ()):
            if not spans or node.start_byte >= spans[-1][1]:  # nested ones add nothing
                spans.append((node.start_byte, node.end_byte))
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]
        self.size = sum(end - start for start, end in spans)

    def clean(self, node: Node) -> bool:
        """No error in ``node``, and ``node`` not inside an ERROR node."""
        if node.has_error:
            return False
        i = bisect.bisect_right(self.starts, node.start_byte) - 1
        return i < 0 or self.ends[i] <= node.start_byte


def _parse(src: bytes, names: tuple[str, ...]) -> tuple[str, Tree, _Errors | None] | None:
    """The first clean parse among ``names``; else, if the grammars tolerate errors, the parse
    with the fewest bytes in ERROR nodes, with them; else ``None`` (pass through)."""
    tried: list[tuple[str, Tree, _Errors]] = []
    for name in names:
        tree = _parser(name).parse(src)
        if not tree.root_node.has_error:
            return name, tree, None
        if _GRAMMARS[name].tolerates_errors:
            tried.append((name, tree, _Errors(tree, name)))
    return min(tried, key=lambda t: t[2].size) if tried else None


def _invoked_at_once(fn: Node) -> bool:
    """``(function () { … })()`` and ``(() => { … })()``: a module wrapper (IIFE, UMD), whose
    body is the whole module; its functions are compressed instead."""
    node, parent = fn, fn.parent
    while parent is not None and parent.type == "parenthesized_expression":
        node, parent = parent, parent.parent
    return (
        parent is not None
        and parent.type == "call_expression"
        and parent.child_by_field_name("function") == node
    )


def _brace_body(body: Node, marker: bytes) -> _Edit:
    return _Edit(body.start_byte, body.end_byte, marker, comment=False)


def _python_body(src: bytes, fn: Node, body: Node) -> _Edit:
    """Replace a Python function's body by ``...``, after its docstring if it has one.

    The body starts right after the ``:`` (comments before the first statement belong to the
    function node, not to its block), so those go too.
    """
    colon = body.prev_sibling
    while colon is not None and colon.type != ":":
        colon = colon.prev_sibling
    start = colon.next_sibling.start_byte if colon and colon.next_sibling else body.start_byte
    first = body.named_children[0] if body.named_child_count else None
    if (
        first is not None
        and first.type == "expression_statement"
        and first.named_child_count == 1
        and first.named_children[0].type in ("string", "concatenated_string")
    ):
        statements = [c for c in body.named_children if c.type != "comment"]
        if len(statements) == 1 and start == body.start_byte:
            return _Edit(start, start, b"", comment=False)  # a docstring alone is a body
        indent = src[src.rfind(b"\n", 0, first.start_byte) + 1 : first.start_byte]
        if not indent.strip():  # the docstring starts its own line: "..." goes under it
            doc = src[first.start_byte : first.end_byte]
            return _Edit(first.start_byte, body.end_byte, doc + b"\n" + indent + b"...", False)
    return _Edit(start, body.end_byte, b"...", comment=False)


_DOC_PREFIXES = (b"/**", b"/*!", b"///", b"//!")
_GO_DIRECTIVES = (b"//go:", b"// +build", b"//export ", b"//line ", b"//extern ")
_CGO_IMPORT = re.compile(rb'\s*import\s+(?:\(\s*)?"C"')


def _keep_comment(src: bytes, node: Node, language: str, cgo_preamble_end: int) -> bool:
    start, end = node.start_byte, node.end_byte
    head = src[start : start + 9]
    if start == 0 and head.startswith(b"#!"):
        return True
    if head.startswith(_DOC_PREFIXES) and not head.startswith((b"/**/", b"////")):
        return True
    if b"SPDX-License-Identifier" in src[start:end]:
        return True
    if language == "go":
        return head.startswith(_GO_DIRECTIVES) or end == cgo_preamble_end or _go_doc(src, node)
    return False


_GO_DECLARATIONS = frozenset(
    ("package_clause", "function_declaration", "method_declaration", "type_declaration",
     "const_declaration", "var_declaration", "comment")
)  # fmt: skip


def _go_doc(src: bytes, node: Node) -> bool:
    """Go's doc comments: top-level comments right above a declaration (no blank line), as
    ``go doc`` reads them; Go has no other doc-comment syntax."""
    if node.parent is None or node.parent.type != "source_file":
        return False
    if src[src.rfind(b"\n", 0, node.start_byte) + 1 : node.start_byte].strip():
        return False  # a trailing comment
    after = node.next_sibling
    while after is not None and after.type == "comment":
        if src[node.end_byte : after.start_byte].count(b"\n") > 1:
            return False
        node, after = after, after.next_sibling
    return (
        after is not None
        and after.type in _GO_DECLARATIONS
        and src[node.end_byte : after.start_byte].count(b"\n") == 1
    )


def _cgo_preamble_end(src: bytes) -> int:
    """End of the comment right before ``import "C"`` (C code for cgo), -1 if none."""
    match = re.search(rb'(?:\*/|\n)(?=\s*import\s+(?:\(\s*)?"C")', src)
    if match is None or not _CGO_IMPORT.match(src, match.end()):
        return -1
    if src[match.start() : match.end()] == b"*/":
        return match.end()
    return match.start()  # a "//" comment ends before its "\n"


_BLANK = b" \t"


def _comment_edit(src: bytes, start: int, end: int) -> _Edit:
    """Delete the comment at ``src[start:end]`` without gluing or re-shaping code around it."""
    line_start = src.rfind(b"\n", 0, start) + 1
    line_end = src.find(b"\n", end)
    if line_end == -1:
        line_end = len(src)
    code_before = bool(src[line_start:start].strip())
    code_after = bool(src[end:line_end].strip())
    if code_before and not code_after:  # trailing comment: take the spaces before it too
        while start > line_start and src[start - 1] in _BLANK:
            start -= 1
        return _Edit(start, end, b"", comment=True)
    if code_after and not code_before:  # leading: the code moves left to the indentation
        while end < line_end and src[end] in _BLANK:
            end += 1
        return _Edit(start, end, b"", comment=True)
    if code_before and code_after:  # inside code: a comment separates tokens, keep a separator
        if b"\n" in src[start:end]:
            return _Edit(start, end, b"\n", comment=True)  # line breaks matter to JS and Go
        if src[start - 1] not in _BLANK:
            return _Edit(start, end, b"" if src[end] in _BLANK else b" ", comment=True)
        while src[end] in _BLANK:  # "a /* c */ + b" → "a + b"
            end += 1
        return _Edit(start, end, b"", comment=True)
    return _Edit(start, end, b"", comment=True)  # alone on its line(s): the line goes


def _apply(src: bytes, edits: Iterable[_Edit]) -> bytes:
    """Apply non-overlapping edits (an edit inside an earlier one, e.g. a comment in a removed
    body, is dropped), then drop the lines that comment removals left blank."""
    out = bytearray()
    cleared: list[int] = []  # output offsets where a comment was removed
    at = 0
    for edit in sorted(edits, key=lambda e: (e.start, -e.end)):
        if edit.start < at:
            continue
        out += src[at : edit.start]
        if edit.comment:
            cleared.append(len(out))
        out += edit.replacement
        at = edit.end
    out += src[at:]
    if not cleared:
        return bytes(out)
    result = bytearray()
    kept_from = 0  # start of what is not yet copied to result
    for at in cleared:  # only the lines with a removal are looked at: O(comments), not O(lines)
        line_start = out.rfind(b"\n", 0, at) + 1
        if line_start < kept_from:
            continue  # that line was dropped already
        nl = out.find(b"\n", at)
        line_end = len(out) if nl == -1 else nl + 1
        if not out[line_start:line_end].strip():
            result += out[kept_from:line_start]
            kept_from = line_end
    result += out[kept_from:]
    return bytes(result)


# --- whole-line "#" comments ------------------------------------------------------------------

_HASH_COMMENTS_BY_SUFFIX = {
    ".sh": "shell", ".bash": "shell", ".zsh": "shell",
    ".yaml": "yaml", ".yml": "yaml", ".toml": "toml",
}  # fmt: skip

_YAML_BLOCK_SCALAR = re.compile(r"(?:^|[:\-?]\s)\s*[|>][-+0-9]*\s*(?:#.*)?$", re.MULTILINE)
_SHELL_QUOTES = re.compile(r"""\\.|["'`]""")


def _remove_hash_comments(text: str, language: str) -> str:
    """Drop lines that hold only a ``#`` comment (a shebang stays), unless a line could belong
    to a string: shell heredocs or quotes left open on a line, YAML block scalars or double
    quotes left open, TOML multi-line strings. Such a file passes through unchanged."""
    lines = text.split("\n")
    comment = [line.lstrip().startswith("#") for line in lines]
    if not any(comment) or _hash_risky(lines, comment, language):
        return text
    if lines[0].startswith("#!"):
        comment[0] = False
    kept = [line for line, drop in zip(lines, comment, strict=True) if not drop]
    out = "\n".join(kept)
    # A dropped last line without "\n" (a final "\n" leaves "" last): the one before keeps its.
    return out + "\n" if comment[-1] and kept else out


def _hash_risky(lines: list[str], comment: list[bool], language: str) -> bool:
    code = [line for line, c in zip(lines, comment, strict=True) if not c]
    if language == "toml":
        return any('"""' in line or "'''" in line for line in code)
    if language == "yaml":
        return any(_YAML_BLOCK_SCALAR.search(line) or line.count('"') % 2 for line in code)
    # shell: a heredoc, or a quote still open at a line's end (counting after escapes)
    return any(
        "<<" in line or len([q for q in _SHELL_QUOTES.findall(line) if len(q) == 1]) % 2
        for line in code
    )
