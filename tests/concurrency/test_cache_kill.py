"""A process killed (SIGKILL) while writing the cache leaves a file that loads: old or new."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sourcepacker.cache import TokenCache

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

#: Writes a ~3 MB cache over and over, announcing each save on stdout just before it starts,
#: so the parent can kill it at a point somewhere inside a write.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from sourcepacker.cache import PathRecord, TokenCache

    cache = TokenCache.load(Path(sys.argv[1]))
    assert cache.load_error is None, cache.load_error
    start = max((t for _h, _s, t in cache.entries("marker")), default=0)
    for i in range(100_000):
        cache.put("o200k_base", i, 5000 + i % 5000, 1 + i % 5000)
    cache.paths = {f"d{i % 100}/f{i}.py": PathRecord(i, i, i, i) for i in range(30_000)}
    n = start
    while True:
        n += 1
        cache.put("marker", n, n, n)  # valid: a count never exceeds the size
        print(n, flush=True)
        cache.save()
    """
)


def test_sigkill_during_save_leaves_a_loadable_cache(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "cache-v2.msgpack"
    rng = random.Random(20240601)
    last_marker = 0
    for _ in range(5):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        try:
            for _ in range(rng.randint(1, 4)):
                line = proc.stdout.readline()
                assert line, "writer died before it was killed"
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        cache = TokenCache.load(path)
        assert cache.load_error is None
        markers = [t for _h, _s, t in cache.entries("marker")]
        if markers:
            assert max(markers) >= last_marker  # never an older file than one already seen
            last_marker = max(markers)
            assert cache.entry_count() == 100_000 + len(markers)
            assert len(cache.paths) == 30_000
    assert last_marker > 0, "no save completed in any run"
    # Killed writers may leave temp files; once old, the next save clears them.
    for tmp in path.parent.glob("*.tmp"):
        os.utime(tmp, ns=(0, 0))
    cache.put("e", 1, 1, 1)
    assert cache.save()
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_stale_temp_files_of_killed_writers_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "cache-v2.msgpack"
    old = tmp_path / ".cache-v2.msgpack.abandoned.tmp"
    fresh = tmp_path / ".cache-v2.msgpack.inflight.tmp"
    other = tmp_path / "unrelated.tmp"
    for p in (old, fresh, other):
        p.write_bytes(b"partial")
    hour_ago = os.stat(fresh).st_mtime_ns - 3600 * 10**9
    os.utime(old, ns=(hour_ago, hour_ago))
    os.utime(other, ns=(hour_ago, hour_ago))
    cache = TokenCache.load(path)
    cache.put("e", 1, 1, 1)
    assert cache.save()
    # A fresh one may belong to a concurrent writer (the CLI beside the daemon): kept.
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, fresh.name, other.name])
