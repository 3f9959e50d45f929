"""Pack chosen files: read their texts and cached counts, render, count the prompt exactly.

The prompt's count is built from each file's cached count plus the glue around it
(see :mod:`sourcepacker.pack`); the glue's own count is cached by content too, so packing an
unchanged selection again loads no encoding at all. The engine calls :func:`pack_files` with
the files it chose under its lock; reading happens outside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .fs import display_name
from .model import FileState, TokenState
from .pack import PackFile, PackFormat, render

#: ``rel → (text, cached count or None)``, or None when the file cannot be read now.
ReadText = Callable[[str], "tuple[str, int | None] | None"]


@dataclass(frozen=True, slots=True)
class PackResult:
    text: str
    tokens: int
    file_count: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    file_tokens: dict[str, int] = field(default_factory=dict)


def pack_files(
    candidates: Iterable[FileState],
    read: ReadText,
    count: Callable[[str], int],
    *,
    fmt: str = "xml",
    tree: bool = False,
) -> PackResult:
    """Pack the countable ``candidates``; skipped and unreadable ones are reported, not packed."""
    files: list[PackFile] = []
    skipped: list[dict[str, str]] = []
    for f in candidates:
        if f.state is TokenState.SKIPPED:
            skipped.append({"path": f.rel, "reason": f.skip.value if f.skip else "skipped"})
            continue
        got = read(f.rel)
        if got is None:
            skipped.append({"path": f.rel, "reason": "unreadable"})
            continue
        text, tokens = got
        # The prompt must be valid Unicode: a name that is not UTF-8 shows its bytes as \xNN.
        files.append(PackFile(display_name(f.rel), text, tokens))
    pack = render(files, PackFormat(fmt), tree=tree, count=count)
    return PackResult(pack.text, pack.tokens, pack.file_count, skipped, dict(pack.file_tokens))
