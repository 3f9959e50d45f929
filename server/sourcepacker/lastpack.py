"""What was last packed in a workspace, to pack only what changed since (``--since-last``).

One small JSON file in the workspace's cache dir (never in the workspace itself): the packed
files' relative paths and content hashes. Every pack updates it with the files it packed;
a since-last pack then packs the files whose hash differs or that are new, and lists the ones
remembered but no longer selected or present as removed (and forgets them).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from pathlib import Path

from .cache import atomic_write

log = logging.getLogger(__name__)

LAST_PACK_FILE = "last-pack.json"
_VERSION = 1


def load(directory: Path | None) -> dict[str, str]:
    """``rel → content hash`` of the last pack; empty when there is none (or it is unreadable)."""
    if directory is None:
        return {}
    try:
        data = json.loads((directory / LAST_PACK_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", directory / LAST_PACK_FILE, exc)
        return {}
    files = (
        data.get("files") if isinstance(data, dict) and data.get("version") == _VERSION else None
    )
    if not isinstance(files, dict):
        return {}
    return {str(k): str(v) for k, v in files.items()}


def save(directory: Path | None, files: Mapping[str, str]) -> None:
    if directory is None:
        return
    data = json.dumps({"version": _VERSION, "files": dict(sorted(files.items()))}, indent=0)
    path = directory / LAST_PACK_FILE
    with contextlib.suppress(OSError):
        if path.read_bytes() == data.encode("utf-8"):  # the same pack again: skip the fsync
            return
    try:
        atomic_write(path, data.encode("utf-8"))
    except OSError as exc:
        log.warning("cannot remember the last pack in %s: %s", directory, exc)


def changes(last: Mapping[str, str], current: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """(files added or changed, files removed) from ``last`` to ``current`` (rel → hash)."""
    changed = sorted(rel for rel, h in current.items() if last.get(rel) != h)
    removed = sorted(rel for rel in last if rel not in current)
    return changed, removed
