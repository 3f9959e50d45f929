"""Per-file and per-folder token tables for ``sourcepacker tokens``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..engine import Engine
from ..fs import display_name
from ..model import FileState, Sums, TokenState, WorkspaceModel, contribution, iter_dirs


def token_table(engine: Engine, top: int = 20, paths: Sequence[str] = ("",)) -> dict[str, Any]:
    """Largest files and folders first, of ``paths`` (files or folders); ``top`` = 0 lists all."""
    table = engine.inspect(lambda model: _rows(model, paths))
    limit = top if top > 0 else None
    for title in ("files", "folders"):
        table[title] = sorted(table[title], key=_largest_first)[:limit]
    return {"encoding": engine.encoding, **table}


def _rows(model: WorkspaceModel, paths: Sequence[str]) -> dict[str, Any]:
    """Every row under ``paths``, read from a consistent model (the engine's ``inspect``)."""
    chosen = model.files_under(paths)
    counted = [f for f in chosen if f.state is not TokenState.SKIPPED]
    files = [
        # Names as the prompt shows them: each byte that is not UTF-8 as \xNN.
        {
            "path": display_name(f.rel),
            "tokens": f.shown_tokens,
            "exact": f.state is TokenState.EXACT,
        }
        for f in counted
    ]
    folders = [
        {"path": display_name(node.rel) + "/", "tokens": node.sums.tokens, "files": node.sums.files}
        for top in paths
        if (found := model.dir(top)) is not None
        for node in iter_dirs(found)
        if node.rel
    ]
    skipped = [
        {"path": display_name(f.rel), "reason": f.skip.value if f.skip else "", "detail": f.detail}
        for f in sorted(chosen, key=lambda f: f.rel)
        if f.state is TokenState.SKIPPED
    ]
    totals = _sum(counted)
    return {
        "tokens": totals.tokens,
        "exact": totals.pending == 0,
        "fileCount": totals.files,
        "folders": folders,
        "files": files,
        "skipped": skipped,
    }


def _sum(files: list[FileState]) -> Sums:
    total = Sums()
    for f in files:
        total.add(contribution(f))
    return total


def _largest_first(row: dict[str, Any]) -> tuple[int, str]:
    return -int(row["tokens"]), str(row["path"])
