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

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xxhash

from .derived import Derived, DerivedStore
from .fs import display_name
from .model import FileState, TokenState
from .options import PackOptions
from .pack import Pack, PackFile, PackFormat, Section, SectionKind, render, render_split

#: ``rel → (text, cached count or None)``, or None when the file cannot be read now.
ReadText = Callable[[str], "tuple[str, int | None] | None"]

BOM = "\ufeff"


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
    texts: list[tuple[str, str, int | None, int, int]] = []
    for f in candidates:
        if f.state is TokenState.SKIPPED:
            skipped.append({"path": f.rel, "reason": f.skip.value if f.skip else "skipped"})
            continue
        got = read(f.rel)
        if got is None:
            skipped.append({"path": f.rel, "reason": "unreadable"})
            continue
        text, tokens = got
        data = text.encode("utf-8", "surrogatepass")
        digest, size = xxhash.xxh3_64_intdigest(data), len(data)
        hashes[f.rel] = f"{digest:016x}"
        texts.append((f.rel, text, tokens, digest, size))
    removed: list[str] = []
    if options.since_last:
        from .lastpack import changes

        changed, removed = changes(context.last or {}, hashes)
        keep = set(changed)
        texts = [t for t in texts if t[0] in keep]
    for rel, text, tokens, digest, size in texts:
        shaped, n, reds = shape_file(rel, text, tokens, digest, size, options, context.store)
        # The prompt must be valid Unicode: a name that is not UTF-8 shows its bytes as \xNN.
        shown = display_name(rel)
        files.append(PackFile(shown, shaped, n))
        redactions += (Redaction(shown, line, kind) for line, kind in reds)
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


def shape_file(
    rel: str,
    text: str,
    tokens: int | None,
    digest: int,
    size: int,
    options: PackOptions,
    store: DerivedStore | None,
) -> tuple[str, int | None, list[tuple[int, str]]]:
    """The file's text as packed, its count when known (None: count it), its redactions."""
    if text.startswith(BOM):  # dropped from the text and so from the count
        text, tokens = text[1:], None
    if not options.transforms and not options.mask_secrets:
        return text, tokens, []
    got = store.get(digest, size) if store is not None else None
    if got is None:
        got = derive(rel, text, options.transforms, options.mask_secrets)
        if store is not None:
            store.put(digest, size, got)
    if got.text is None:
        return text, tokens, list(got.redactions)
    return got.text, None, list(got.redactions)


def derive(rel: str, text: str, transforms: Sequence[str], mask: bool) -> Derived:
    """Mask, then transform ``text`` (BOM already dropped); None text when nothing changed."""
    out = text
    reds: list[tuple[int, str]] = []
    if mask:
        from .secrets import mask_secrets

        out, found = mask_secrets(out)
        reds = [(r.line, r.kind) for r in found]
    if transforms:
        from .transforms import Transform, apply_transforms

        out = apply_transforms(rel, out, [Transform(t) for t in transforms])
    return Derived(None if out == text else out, reds)


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
