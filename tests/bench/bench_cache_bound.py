"""The cache stays bounded while a user types: 1,000 buffer edits, then the cache on disk.

    python tests/bench/bench_cache_bound.py

Prints the token entries and file size of the persisted cache before and after 1,000 edit
events of one open file (each a new version of its text), as the daemon's didChange would
deliver them. Buffer counts live in the engine's small in-memory table, not in the cache.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from sourcepacker.cache import TokenCache
from sourcepacker.engine import BUFFER_COUNTS_KEPT, Engine
from sourcepacker.settings import Settings


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        (root / "src").mkdir(parents=True)
        for i in range(200):
            (root / "src" / f"m{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
        cache_path = Path(tmp) / "cache.msgpack"
        engine = Engine(root, Settings(pool_size=2), cache=TokenCache.load(cache_path))
        engine.scan()
        engine.close()
        before = (len(TokenCache.load(cache_path).tokens), cache_path.stat().st_size)
        engine = Engine(root, Settings(pool_size=2), cache=TokenCache.load(cache_path))
        engine.scan()
        text = (root / "src" / "m0.py").read_text()
        for edit in range(1000):
            text += f"# edit {edit}\n"
            engine.set_overlay("src/m0.py", text)
        engine.close()
        after = (len(TokenCache.load(cache_path).tokens), cache_path.stat().st_size)
        kept = len(engine._buffer_counts)
        print(f"cache before edits: {before[0]:,} token entries, {before[1]:,} bytes")
        print(f"after 1,000 edits:  {after[0]:,} token entries, {after[1]:,} bytes")
        print(f"buffer counts in memory: {kept} (cap {BUFFER_COUNTS_KEPT})")


if __name__ == "__main__":
    main()
