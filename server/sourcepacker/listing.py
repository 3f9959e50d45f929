"""One folder's children as the tree view shows them: folders first, with sums and states."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from .model import DirNode, TokenState, WorkspaceModel


@dataclass(frozen=True, slots=True, kw_only=True)
class DirEntry:
    """One row of the tree; the daemon sends it as ``Entry`` (same fields, camelCased)."""

    name: str
    path: str
    kind: str  # "file" | "dir"
    size: int
    tokens: int
    state: str  # exact | estimated | stale | skipped
    checked: str  # checked | unchecked | partial
    file_count: int = 0
    skip_reason: str | None = None
    is_new: bool = False


def list_dir(
    model: WorkspaceModel, rel: str, *, include_skipped: bool, new_files: Set[str]
) -> list[DirEntry] | None:
    """Entries of folder ``rel``; None when it is not a known folder."""
    node = model.dir(rel)
    if node is None:
        return None
    dirs = [_dir_entry(model, child, new_files) for child in node.dirs.values()]
    dirs = [d for d in dirs if include_skipped or d.file_count > 0]
    files = []
    for f in node.files.values():
        skipped = f.state is TokenState.SKIPPED
        if skipped and not include_skipped:
            continue
        files.append(
            DirEntry(
                name=f.rel.rsplit("/", 1)[-1],
                path=f.rel,
                kind="file",
                size=f.size,
                tokens=0 if skipped else f.shown_tokens,
                state=f.state.value,
                checked=model.check_state(f.rel),
                file_count=0 if skipped else 1,
                skip_reason=f.skip.value if f.skip else None,
                is_new=f.rel in new_files,
            )
        )
    dirs.sort(key=lambda e: e.name.lower())
    files.sort(key=lambda e: e.name.lower())
    return dirs + files


def _dir_entry(model: WorkspaceModel, node: DirNode, new_files: Set[str]) -> DirEntry:
    sums = node.sums
    return DirEntry(
        name=node.rel.rsplit("/", 1)[-1],
        path=node.rel,
        kind="dir",
        size=sums.size,
        tokens=sums.tokens,
        state=TokenState.EXACT.value if sums.pending == 0 else TokenState.ESTIMATED.value,
        checked=model.check_state(node.rel),
        file_count=sums.files,
        is_new=any(p.startswith(node.rel + "/") for p in new_files),
    )
