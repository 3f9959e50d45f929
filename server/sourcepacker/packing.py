"""Pack chosen files: read, shape each file, render (or split), count the prompt exactly.

Each file goes through the same steps, whoever asks (command line, daemon ``pack``, daemon
``totals``), as one :class:`~sourcepacker.options.PackOptions` says:

1. a leading UTF-8 BOM is dropped (it would land mid-prompt);
2. secrets are masked (on by default), then the transforms run; both are cached by content and
   variant in :class:`~sourcepacker.derived.DerivedStore`, so a warm run parses nothing;
3. the renderer wraps the results; its count is built from each body's count (the cached one,
   or ``count`` of the derived text, itself cached by content) plus the glue.

Redaction lines are lines of the file as it is on disk (masking runs before the transforms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .derived import DerivedStore, derive
from .fs import display_name
from .model import FileState, TokenState
from .options import PackOptions
from .pack import (
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
from .segments import SegmentMemo

BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Source:
    """A file's text as read now, with what the read already knows of it."""

    text: str
    #: The exact count of ``text`` when the token cache has it.
    tokens: int | None
    #: xxh3_64 and length of ``text`` as UTF-8 (surrogatepass): the content key.
    digest: int
    size: int
    #: ``text`` as UTF-8 when read from a file (None: an unsaved buffer, encoded on demand).
    data: bytes | None = None


#: ``rel → Source``, or None when the file cannot be read now.
ReadText = Callable[[str], "Source | None"]


@dataclass(frozen=True, slots=True)
class Redaction:
    path: str
    line: int
    kind: str


@dataclass(frozen=True, slots=True)
class PackResult:
    #: The prompt, or its parts when split (each a whole prompt of at most ``split_tokens``).
    parts: list[Pack]
    #: Files in the prompt (all parts together).
    file_count: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    #: Each packed file's count as packed (after masking and transforms).
    file_tokens: dict[str, int] = field(default_factory=dict)
    redactions: list[Redaction] = field(default_factory=list)
    #: Files of the last pack no longer there (``since_last`` only).
    removed: list[str] = field(default_factory=list)
    #: ``rel → content hash`` of every file selected now: what the next since-last compares to.
    hashes: dict[str, str] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        """The prompt's count; for a split, the sum of the parts' counts."""
        return sum(p.tokens for p in self.parts)

    @property
    def text(self) -> str:
        """The whole prompt (the parts one after the other when split)."""
        return "".join(p.text for p in self.parts)

    @property
    def max_part_tokens(self) -> int:
        return max((p.tokens for p in self.parts), default=0)


@dataclass(frozen=True, slots=True)
class Context:
    """What the packer needs from outside the files: git text, the last pack, the store."""

    git_diff: str = ""
    git_log: str = ""
    #: ``rel → hash`` of the last pack (``since_last``).
    last: dict[str, str] | None = None
    store: DerivedStore | None = None
    #: Segments of earlier streamed packs (their counts and wrappers), and the encoding.
    segments: SegmentMemo | None = None
    encoding: str = ""


def pack_files(
    candidates: Iterable[FileState],
    read: ReadText,
    count: Callable[[str], int],
    options: PackOptions | None = None,
    context: Context | None = None,
) -> PackResult:
    """Pack the countable ``candidates``; skipped and unreadable ones are reported, not packed."""
    options = options or PackOptions()
    context = context or Context()
    files: list[PackFile] = []
    skipped: list[dict[str, str]] = []
    redactions: list[Redaction] = []
    hashes: dict[str, str] = {}
    sources: list[tuple[str, Source]] = []
    for f in candidates:
        if f.state is TokenState.SKIPPED:
            skipped.append({"path": f.rel, "reason": f.skip.value if f.skip else "skipped"})
            continue
        src = read(f.rel)
        if src is None:
            skipped.append({"path": f.rel, "reason": "unreadable"})
            continue
        hashes[f.rel] = f"{src.digest:016x}"
        # Bytes are dropped here: every text is held until the render, one copy is enough.
        sources.append((f.rel, replace(src, data=None)))
    removed: list[str] = []
    if options.since_last:
        from .lastpack import changes

        changed, removed = changes(context.last or {}, hashes)
        keep = set(changed)
        sources = [t for t in sources if t[0] in keep]
    sources.sort(key=lambda t: t[0].split("/"))  # redactions in the prompt's order
    for rel, src in sources:
        packed, reds = shape_file(rel, src, options, context.store)
        files.append(packed)
        redactions += (Redaction(packed.rel, line, kind) for line, kind in reds)
    sections = sections_for(options, context, removed)
    fmt = PackFormat(options.format)
    if options.split_tokens is not None:
        parts = render_split(
            files, fmt, limit=options.split_tokens, tree=options.tree, count=count,
            sections=sections,
        )  # fmt: skip
    else:
        parts = [render(files, fmt, tree=options.tree, count=count, sections=sections)]
    file_tokens: dict[str, int] = {}
    for p in parts:
        for rel, n in p.file_tokens.items():
            file_tokens[rel] = file_tokens.get(rel, 0) + n
    if context.store is not None:
        context.store.save()
    return PackResult(parts, len(files), skipped, file_tokens, redactions, removed, hashes)


def stream_files(
    candidates: Iterable[FileState],
    read: ReadText,
    count: Callable[[str], int],
    write: Callable[[bytes], object],
    options: PackOptions | None = None,
    context: Context | None = None,
) -> PackResult:
    """Pack like :func:`pack_files`, writing the prompt to ``write`` as it is made.

    One file is held at a time (the one read, and the one before it: the json layout closes
    the last file differently), so memory does not grow with the prompt; the file's bytes are
    written as read when nothing changes them. The count is exact by construction: the frame
    (:func:`pack.stream_frame`) plus each file's segment (:func:`pack.stream_segment`).
    Not for ``split_tokens`` or ``since_last`` (they need every file before writing): those
    raise ``ValueError``. Nothing is written when no candidate is countable. The result's
    part has no pieces: its text went to ``write``.
    """
    options = options or PackOptions()
    context = context or Context()
    if options.split_tokens is not None or options.since_last:
        raise ValueError("a split or since-last pack cannot be streamed")
    fmt = PackFormat(options.format)
    skipped: list[dict[str, str]] = []
    countable: list[FileState] = []
    for f in candidates:
        if f.state is TokenState.SKIPPED:
            skipped.append({"path": f.rel, "reason": f.skip.value if f.skip else "skipped"})
        else:
            countable.append(f)
    if not countable:
        return PackResult([Pack((), 0, 0, 0)], 0, skipped)
    countable.sort(key=lambda f: f.rel.split("/"))  # the order render() gives
    head, tail, total = stream_frame(
        fmt,
        tree=options.tree,
        count=count,
        sections=sections_for(options, context, []),
        tree_paths=[display_name(f.rel) for f in countable],
    )
    write(head.encode("utf-8", "surrogatepass"))
    redactions: list[Redaction] = []
    hashes: dict[str, str] = {}
    file_tokens: dict[str, int] = {}
    pending: tuple[PackFile, Source] | None = None
    memo = context.segments if fmt is not PackFormat.JSON else None  # json escapes every body
    variant = context.store.variant if context.store is not None else ""

    def emit(f: PackFile, src: Source, last: bool) -> int:
        # A text packed as it is, seen before: its bytes wrapped as remembered, nothing counted.
        key = None
        if memo is not None and f.data is not None and (cached := f.tokens) is not None:
            key = memo.key(f.rel, src.digest, src.size, fmt.value, variant, context.encoding)
            if (known := memo.get(key)) is not None:
                for piece in stream_known(fmt, f, known[1], f.data):
                    if piece:
                        write(piece if isinstance(piece, bytes) else piece.encode("utf-8"))
                file_tokens[f.rel] = cached
                return known[0]
        pieces, tokens, own, facts = stream_segment(fmt, f, count, last=last)
        for piece in pieces:
            if piece:
                write(piece if isinstance(piece, bytes) else piece.encode("utf-8", "surrogatepass"))
        file_tokens[f.rel] = own
        if memo is not None and key is not None and facts is not None:
            memo.put(key, tokens, facts)
        return tokens

    for f in countable:
        src = read(f.rel)
        if src is None:
            skipped.append({"path": f.rel, "reason": "unreadable"})
            continue
        hashes[f.rel] = f"{src.digest:016x}"
        packed, reds = shape_file(f.rel, src, options, context.store)
        redactions += (Redaction(packed.rel, line, kind) for line, kind in reds)
        if pending is not None:
            total += emit(*pending, last=False)
        pending = (packed, src)
    if pending is not None:
        total += emit(*pending, last=True)
    write(tail.encode("utf-8"))
    if context.store is not None:
        context.store.save()
    if memo is not None:
        memo.save()
    part = Pack((), total, len(file_tokens), 0, file_tokens)
    return PackResult([part], len(file_tokens), skipped, file_tokens, redactions, [], hashes)


def shape_file(
    rel: str, src: Source, options: PackOptions, store: DerivedStore | None
) -> tuple[PackFile, list[tuple[int, str]]]:
    """The file as packed (its text, its count when known, its bytes when they are the
    text's), and its redactions."""
    # The prompt must be valid Unicode: a name that is not UTF-8 shows its bytes as \xNN.
    shown = display_name(rel)
    text, tokens, data = src.text, src.tokens, src.data
    if text.startswith(BOM):  # dropped from the text and so from the count
        text, tokens = text[1:], None
        data = None if data is None else data[3:]
    if not options.transforms and not options.mask_secrets:
        return PackFile(shown, text, tokens, data=data), []
    got = store.get(src.digest, src.size) if store is not None else None
    if got is None:
        got = derive(rel, text, options.transforms, options.mask_secrets)
        if store is not None:
            store.put(src.digest, src.size, got)
    if got.text is None:
        return PackFile(shown, text, tokens, data=data), list(got.redactions)
    return PackFile(shown, got.text, None), list(got.redactions)


def sections_for(options: PackOptions, context: Context, removed: list[str]) -> list[Section]:
    sections = []
    if options.instructions:
        sections.append(Section(SectionKind.INSTRUCTIONS, options.instructions))
    if context.git_diff:
        sections.append(Section(SectionKind.GIT_DIFF, context.git_diff))
    if context.git_log:
        sections.append(Section(SectionKind.GIT_LOG, context.git_log))
    if removed:
        sections.append(Section(SectionKind.REMOVED_FILES, "\n".join(removed)))
    return sections


def read_instructions(root: Path, given: str | None) -> str | None:
    """Instructions text: ``given`` (a file's path if one exists, else the text itself), else
    the workspace's ``.sourcepacker/instructions.md`` when present; a BOM is dropped."""
    from .options import DEFAULT_INSTRUCTIONS

    if given is not None:
        path = Path(given).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        text = given
        if len(given) < 4096 and "\n" not in given:
            try:
                if path.is_file():
                    text = path.read_text(encoding="utf-8")
            except (OSError, ValueError):
                pass
    else:
        default = root / DEFAULT_INSTRUCTIONS
        if not default.is_file():
            return None
        text = default.read_text(encoding="utf-8")
    text = text.removeprefix(BOM)
    return text if text.strip() else None
