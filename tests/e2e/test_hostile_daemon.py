"""Hostile and broken file systems (issue 10) through the real daemon, as an editor drives it.

The engine and command-line side is tests/unit/test_hostile_fs.py. Here: outside content never
appears in a ``pack`` reply, every request answers, counts equal tiktoken's.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec

from sourcepacker.cache import CACHE_FILE_NAME, CACHE_VERSION, CacheFile, PathRecord, encode_cache
from sourcepacker.vocab import get_encoding

StartFn = Callable[..., Awaitable[Any]]
_enc = get_encoding("o200k_base")
SECRET = "TOP-SECRET-OUTSIDE-CONTENT"
LATIN1_NAME = os.fsdecode(b"caf\xe9.txt")
TREE = {
    "a.txt": "alpha beta gamma\n",
    "dir/b.txt": "inside the folder\n",
    "dir/c.py": "def f():\n    return 1\n",
    "keep.md": "# kept\n",
}


def tiktoken_count(text: str) -> int:
    return len(_enc.encode_ordinary(text))


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "ws", tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET}\n")
    (outside / "b.txt").write_text(f"{SECRET} b\n")
    for rel, text in TREE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root, outside


async def _pack_root(ws: Any) -> Any:
    await ws.request("sourcepacker/setChecked", paths=[""], checked=True)
    packed = await ws.request("sourcepacker/pack")
    assert packed.tokens == tiktoken_count(packed.text)
    assert SECRET not in packed.text and "root:x:0" not in packed.text
    return packed


async def _exact_per_file(ws: Any, root: Path, rel: str = "") -> None:
    listing = await ws.request("sourcepacker/listFiles", dir=rel)
    for e in listing.entries:
        if e.kind == "dir":
            await _exact_per_file(ws, root, e.path)
        elif e.state != "skipped":
            assert e.state == "exact", e.path
            assert e.tokens == tiktoken_count((root / e.path).read_text("utf-8")), e.path


async def test_daemon_on_a_hostile_tree(start_daemon: StartFn, tmp_path: Path) -> None:
    root, outside = _tree(tmp_path)
    (root / LATIN1_NAME).write_text("un café noir\n")
    (root / ".gitignore").symlink_to("/dev/zero")
    (root / "zero").symlink_to("/dev/zero")
    (root / "out").symlink_to(outside / "secret.txt")
    os.mkfifo(root / "pipe")
    # No watcher: this is about what a scan and a pack do with a hostile tree. The daemon's own
    # watcher cannot decode caf\xe9.txt and restarts, each time asking for a walk that re-reads
    # the (racy, just written) files at any moment; tests/e2e/test_daemon.py covers that case.
    ws = await start_daemon(root, {"fileWatcher": "off"}, can_watch=False)
    await ws.wait_exact()
    await _exact_per_file(ws, root)
    listing = await ws.request("sourcepacker/listFiles", includeSkipped=True)
    by_path = {e.path: e for e in listing.entries}
    assert by_path[LATIN1_NAME].state == "exact"  # the name crosses the wire losslessly
    assert by_path["pipe"].skipReason == "special-file"
    assert by_path["zero"].skipReason == "symlink-outside-root"
    packed = await _pack_root(ws)
    assert "caf\\xe9.txt" in packed.text

    # Swapped after the scan: a file for a link out, another for a FIFO, a folder for a link.
    (root / "a.txt").unlink()
    (root / "a.txt").symlink_to(outside / "secret.txt")
    (root / "keep.md").unlink()
    os.mkfifo(root / "keep.md")
    shutil.rmtree(root / "dir")
    (root / "dir").symlink_to(outside)
    await _pack_root(ws)  # answers, and nothing from outside

    result = await ws.request("sourcepacker/scan")
    assert not result.cancelled
    await _pack_root(ws)
    stats = await ws.request("sourcepacker/stats")
    assert stats.scans >= 2
    await ws.client.shutdown_session()  # shutdown answers too


async def test_daemon_heals_mtime_restored_edit(start_daemon: StartFn, tmp_path: Path) -> None:
    root, _outside = _tree(tmp_path)
    ws = await start_daemon(root)
    await ws.wait_exact()
    path = root / "a.txt"
    st = os.stat(path)
    path.write_text("delta epsilon et\n")  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    while os.stat(path).st_ctime_ns == st.st_ctime_ns:  # wait out a coarse clock tick
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    await ws.request("sourcepacker/scan")
    await _exact_per_file(ws, root)
    packed = await _pack_root(ws)
    assert "delta epsilon et" in packed.text


def _cache_file(tmp_path: Path) -> Path:
    found = list((tmp_path / "cache").glob(f"*/{CACHE_FILE_NAME}"))
    assert len(found) == 1, found
    return found[0]


async def test_daemon_distrusts_a_damaged_cache(start_daemon: StartFn, tmp_path: Path) -> None:
    root, _outside = _tree(tmp_path)
    first = await start_daemon(root)
    await first.wait_exact()
    await first.client.shutdown_session()
    path = _cache_file(tmp_path)
    good = path.read_bytes()
    rng = random.Random(7)
    for _ in range(2):
        damaged = bytearray(good)
        for _flip in range(3):
            bit = rng.randrange(len(damaged) * 8)
            damaged[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(damaged))
        ws = await start_daemon(root)
        await ws.wait_exact()
        await _exact_per_file(ws, root)
        await ws.client.shutdown_session()


async def test_daemon_never_serves_a_climbing_cache_path(
    start_daemon: StartFn, tmp_path: Path
) -> None:
    """A cache naming ``../../etc/passwd`` with a saved selection of the root: packed at once,
    before the first scan ends, it must not hold the outside file."""
    root, _outside = _tree(tmp_path)
    first = await start_daemon(root)
    await first.wait_exact()
    await first.client.shutdown_session()
    path = _cache_file(tmp_path)
    paths = {
        "../../../../../../etc/passwd": PathRecord(100, 1, 1, 1),
        "a.txt": PathRecord(17, 1, 1, 1),
    }
    path.write_bytes(encode_cache(msgspec.msgpack.encode(CacheFile(CACHE_VERSION, {}, paths))))
    (path.parent / "last-selection.json").write_text(json.dumps({"": True}))
    ws = await start_daemon(root)
    packed = await ws.request("sourcepacker/pack")
    assert "root:" not in packed.text
    assert packed.tokens == tiktoken_count(packed.text)
    await ws.wait_exact()
    await _pack_root(ws)
