"""Pack what the user selected: gather texts and cached counts, render, count exactly.

The prompt's count is built from each file's cached count plus the glue around it
(see :mod:`sourcepacker.pack`); the glue's own count is cached by content too, so packing an
unchanged selection again loads no encoding at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import xxhash

from .engine import Engine
from .model import FileState, TokenState
from .pack import PackFile, PackFormat, render
from .selection import ROOT


@dataclass(frozen=True, slots=True)
class PackResult:
    text: str
    tokens: int
    file_count: int
    skipped: list[dict[str, str]] = field(default_factory=list)
    file_tokens: dict[str, int] = field(default_factory=dict)


class CachedCounter:
    """``text → tokens`` through the engine's content-addressed cache."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, text: str) -> int:
        data = text.encode("utf-8", "surrogatepass")
        digest, size = xxhash.xxh3_64_intdigest(data), len(data)
        cache, encoding = self.engine.cache, self.engine.encoding
        tokens = cache.get(encoding, digest, size)
        if tokens is None:
            tokens = self.engine.pool.count_text(text)
            cache.put(encoding, digest, size, tokens)
        return tokens


def pack_selection(
    engine: Engine,
    *,
    fmt: str = "xml",
    tree: bool = False,
    paths: list[str] | None = None,
) -> PackResult:
    """Pack ``paths`` (files or folders), or the current selection when None."""
    chosen, skipped = _choose(engine, paths)
    files: list[PackFile] = []
    for f in chosen:
        read = engine.read_text(f.rel)
        if read is None:
            skipped.append({"path": f.rel, "reason": "unreadable"})
            continue
        text, tokens = read
        files.append(PackFile(f.rel, text, tokens))
    pack = render(files, PackFormat(fmt), tree=tree, count=CachedCounter(engine))
    engine.cache.save()
    return PackResult(pack.text, pack.tokens, pack.file_count, skipped, dict(pack.file_tokens))


def _choose(
    engine: Engine, paths: list[str] | None
) -> tuple[list[FileState], list[dict[str, str]]]:
    with engine.lock:
        model = engine.model
        if paths is None:
            candidates = model.files_selected()
        else:
            candidates = model.files_under(paths or [ROOT])
    chosen = [f for f in candidates if f.state is not TokenState.SKIPPED]
    skipped = [
        {"path": f.rel, "reason": f.skip.value if f.skip else "skipped"}
        for f in candidates
        if f.state is TokenState.SKIPPED
    ]
    return chosen, skipped
