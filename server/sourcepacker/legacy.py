"""A one-time import of the token counts the first releases kept inside the workspace.

Releases before the cache moved to the user's cache directory wrote
``ROOT/.sourcepacker/cache/cache-v1.msgpack`` (v2 added a last-use day per entry; v3, briefly in
tree, a checksum header). Its token counts are content-addressed, so they are still right: a
workspace opened for the first time by this release takes them instead of tokenizing every
file again. The path snapshot is not taken (v1/v2 lack the ctime, so every file would be read
and hashed anyway: cheap next to tokenizing).

Only read, never written nor deleted: a log line says the folder can be removed. The counts go
into this workspace's own cache, never into the store shared by all workspaces: a cache file
inside a workspace may have been committed by someone else, and must not be able to mislead
other workspaces (the first releases trusted it for this one). Every entry is checked as a
loaded cache is (1 ≤ count ≤ size); one bad entry and none is taken.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import msgspec

from .cache import (
    MAGIC,
    MAX_CACHE_BYTES,
    CacheDamaged,
    TokenCache,
    TokenEntry,
    unseal,
    valid_tokens,
)
from .fs import ReadRefused, read_vetted

log = logging.getLogger(__name__)

OLD_CACHE_DIR = (".sourcepacker", "cache")
OLD_VERSIONS = (1, 2, 3)


class _OldFile(msgspec.Struct):
    """What the old layouts share: the token entries (``day`` defaults to 0 for v1)."""

    version: int
    tokens: dict[str, list[TokenEntry]] = {}


_decoder = msgspec.msgpack.Decoder(_OldFile)


def import_in_tree(root: Path, cache: TokenCache) -> int:
    """Adopt the counts of ``root``'s old in-tree cache into ``cache``; how many were new."""
    folder = root.joinpath(*OLD_CACHE_DIR)
    if not folder.is_dir():
        return 0
    imported = 0
    for version in OLD_VERSIONS:
        path = folder / f"cache-v{version}.msgpack"
        try:
            data, _st = read_vetted(os.path.realpath(root), os.fspath(path), MAX_CACHE_BYTES)
        except FileNotFoundError:
            continue
        except (OSError, ReadRefused) as exc:
            log.warning("old cache %s not imported: %s", path, exc)
            continue
        try:
            imported += cache.adopt(read_old(data, version))
        except CacheDamaged as exc:
            log.warning("old cache %s not imported: %s", path, exc)
    log.warning(
        "imported %d token counts from %s, the cache of an older sourcepacker: it is no longer "
        "used (the cache lives in the user's cache folder now) and can be removed",
        imported,
        folder,
    )
    return imported


def read_old(data: bytes, version: int) -> dict[str, dict[int, int]]:
    """The checked counts of an old cache file of ``version``; CacheDamaged when not trusted."""
    body: bytes | memoryview = data
    if data.startswith(MAGIC):  # v3's header: MAGIC, xxh3_64 of the body
        try:
            body = unseal(MAGIC, data, "cache")
        except ValueError as exc:
            raise CacheDamaged(str(exc)) from None
    try:
        stored = _decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise CacheDamaged(str(exc).splitlines()[0]) from None
    if stored.version != version:
        raise CacheDamaged(f"version {stored.version} in a file named v{version}")
    return valid_tokens(stored.tokens)
