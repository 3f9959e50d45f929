"""Discovery limited to the paths a file event names, so an edit costs one stat, not a walk."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

from .fs import is_binary_name, is_inside, special_kind
from .ignore import IgnoreRules
from .selection import ancestors, is_below, parent_of
from .walk import FoundFile, Skipped, SkipReason, walk


def walk_path(
    root: Path,
    rel: str,
    rules: IgnoreRules,
    *,
    max_size: int,
    cancel: threading.Event | None = None,
) -> tuple[list[FoundFile], list[Skipped]]:
    """What a full walk would report for ``rel`` and below; nothing for a path that is gone.

    A real folder is walked alone. When it holds symlinked folders, or is one, a full walk
    filtered to it decides instead: which link wins a loop depends on the whole tree.
    """
    path = root / rel
    try:
        st = os.lstat(path)
    except OSError:
        return [], []
    if _ignored(rules, rel, stat.S_ISDIR(st.st_mode)):
        return [], []
    if stat.S_ISDIR(st.st_mode):
        result = walk(root, rules, max_size=max_size, cancel=cancel, subtree=rel)
        if result.linked_dirs == 0:
            return result.files, result.skipped
    if stat.S_ISDIR(st.st_mode) or (stat.S_ISLNK(st.st_mode) and path.is_dir()):
        result = walk(root, rules, max_size=max_size, cancel=cancel)
        # The folder itself too: a linked folder the walk refused (a loop) is reported at ``rel``.
        return (
            [f for f in result.files if is_below(f.rel, rel)],
            [s for s in result.skipped if s.rel == rel or is_below(s.rel, rel)],
        )
    if stat.S_ISLNK(st.st_mode):
        return _linked_file(root, rel, max_size)
    return _classify(rel, st, max_size)


def _ignored(rules: IgnoreRules, rel: str, is_dir: bool) -> bool:
    """Ignored itself, or below an ignored folder (git never looks inside those)."""
    if rules.is_ignored(rel, is_dir):
        return True
    if not is_dir and not rules.is_included(rel):
        return True
    return any(rules.is_ignored(d, True) for d in ancestors(parent_of(rel)) if d)


def _linked_file(root: Path, rel: str, max_size: int) -> tuple[list[FoundFile], list[Skipped]]:
    real = os.path.realpath(root / rel)
    if not is_inside(os.path.realpath(root), real):
        return [], [Skipped(rel, SkipReason.SYMLINK_OUTSIDE, real)]
    try:
        st = os.stat(real)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # as the full walk reports it
            return [], [Skipped(rel, SkipReason.SYMLINK_LOOP, exc.strerror or "")]
        return [], [Skipped(rel, SkipReason.VANISHED, "broken symlink")]
    return _classify(rel, st, max_size)


def _classify(rel: str, st: os.stat_result, max_size: int) -> tuple[list[FoundFile], list[Skipped]]:
    if not stat.S_ISREG(st.st_mode):
        return [], [Skipped(rel, SkipReason.SPECIAL, special_kind(st.st_mode))]
    # By name before size, as the full walk does: the two must agree on the totals.
    if is_binary_name(rel):
        return [], [Skipped(rel, SkipReason.BINARY, "extension")]
    if st.st_size > max_size:
        return [], [Skipped(rel, SkipReason.TOO_LARGE, f"{st.st_size} bytes > {max_size}")]
    return [FoundFile.of(rel, st)], []
