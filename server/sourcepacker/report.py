"""Per-file and per-folder token tables for ``sourcepacker tokens``."""

from __future__ import annotations

from typing import Any

from .engine import Engine
from .model import DirNode, TokenState


def token_table(engine: Engine, top: int = 20) -> dict[str, Any]:
    """Largest files and folders first; ``top`` = 0 lists all."""
    with engine.lock:
        model = engine.model
        counted = [f for f in model.files.values() if f.state is not TokenState.SKIPPED]
        files = [
            {"path": f.rel, "tokens": f.shown_tokens, "exact": f.state is TokenState.EXACT}
            for f in counted
        ]
        folders = [
            {"path": node.rel + "/", "tokens": node.sums.tokens, "files": node.sums.files}
            for node in _all_dirs(model.root)
            if node.rel
        ]
        skipped = [
            {"path": f.rel, "reason": f.skip.value if f.skip else "", "detail": f.detail}
            for f in sorted(model.files.values(), key=lambda f: f.rel)
            if f.state is TokenState.SKIPPED
        ]
        totals = model.totals()
    files.sort(key=_largest_first)
    folders.sort(key=_largest_first)
    limit = top if top > 0 else None
    return {
        "encoding": engine.encoding,
        "tokens": totals.tokens,
        "exact": totals.pending == 0,
        "fileCount": totals.files,
        "folders": folders[:limit],
        "files": files[:limit],
        "skipped": skipped,
    }


def _largest_first(row: dict[str, Any]) -> tuple[int, str]:
    return -int(row["tokens"]), str(row["path"])


def _all_dirs(node: DirNode) -> list[DirNode]:
    out = [node]
    for child in node.dirs.values():
        out.extend(_all_dirs(child))
    return out
