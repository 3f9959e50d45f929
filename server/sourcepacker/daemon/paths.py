"""Paths from requests: resolved, and refused unless they stay inside the workspace folder."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from ..fs import is_inside


class OutsideWorkspaceError(ValueError):
    pass


def safe_rel(root: Path, rel: str) -> str:
    """Normalise a request path to a relative POSIX path inside ``root`` ("" for the root).

    Refused: absolute paths, ``..`` anywhere, NUL bytes, and paths whose existing part
    resolves (through symlinks) outside the folder.
    """
    if not isinstance(rel, str) or "\0" in rel:
        raise OutsideWorkspaceError(f"invalid path {rel!r}")
    rel = rel.replace("\\", "/")
    pure = PurePosixPath(rel)
    if pure.is_absolute() or (len(rel) > 1 and rel[1] == ":"):
        raise OutsideWorkspaceError(f"{rel!r} is absolute; paths are relative to the folder")
    if ".." in pure.parts:
        raise OutsideWorkspaceError(f"{rel!r} leaves the workspace folder")
    clean = "/".join(p for p in pure.parts if p not in ("", "."))
    real_root = os.path.realpath(root)
    if not is_inside(real_root, os.path.join(real_root, clean)):
        raise OutsideWorkspaceError(f"{rel!r} resolves outside the workspace folder")
    return clean


def uri_path(uri: str) -> Path | None:
    """The file-system path of a ``file://`` URI (not resolved), or None for other schemes."""
    from pygls.uris import to_fs_path

    fs = to_fs_path(uri)
    return None if fs is None else Path(fs)


def rel_from_uri(root: Path, uri: str) -> str | None:
    """The relative path of a ``file://`` URI inside ``root``, or None when outside."""
    from pygls.uris import to_fs_path

    if os.name == "posix" and uri.startswith("file://"):
        # Percent-escapes are bytes: a name that is not UTF-8 (caf%E9.txt) must come back as
        # the same surrogateescape string the walk made, not with U+FFFD in its place.
        from urllib.parse import unquote_to_bytes, urlsplit

        fs: str | None = os.fsdecode(unquote_to_bytes(urlsplit(uri).path))
    else:
        fs = to_fs_path(uri)
    if fs is None:
        return None
    try:
        rel = Path(fs).resolve().relative_to(root)
    except ValueError:
        return None
    return "" if str(rel) == "." else rel.as_posix()
