"""Per-file and per-folder token tables for ``sourcepacker tokens``."""

from __future__ import annotations

from typing import Any

from ..engine import Engine
from ..model import DirNode, TokenState, WorkspaceModel


def token_table(engine: Engine, top: int = 20) -> dict[str, Any]:
    """Largest files and folders first; ``top`` = 0 lists all."""
    table = engine.inspect(_rows)
    limit = top if top > 0 else None
    for title in ("files", "folders"):
        table[title] = sorted(table[title], key=_largest_first)[:limit]
    return {"encoding": engine.encoding, **table}


def _rows(model: WorkspaceModel) -> dict[str, Any]:
    """Every row, read from a consistent model (the engine's ``inspect``)."""
    files = [
        {"path": f.rel, "tokens": f.shown_tokens, "exact": f.state is TokenState.EXACT}
        for f in model.files.values()
        if f.state is not TokenState.SKIPPED
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
    return {
        "tokens": totals.tokens,
        "exact": totals.pending == 0,
        "fileCount": totals.files,
        "folders": folders,
        "files": files,
        "skipped": skipped,
    }


def _largest_first(row: dict[str, Any]) -> tuple[int, str]:
    return -int(row["tokens"]), str(row["path"])


def _all_dirs(node: DirNode) -> list[DirNode]:
    out = [node]
    for child in node.dirs.values():
        out.extend(_all_dirs(child))
    return out
