"""What one file costs in memory: the model and the cache's in-memory structures.

    python tests/bench/bench_memory.py [--corpus gen100k] [--daemon --runs 3]

Builds the cache with one cold ``sourcepacker tokens`` run (kept in .bench/cache-CORPUS), then,
in a fresh process: RSS before and after restoring an engine from that cache and rescanning,
after a save, and a breakdown by structure (each object counted once, in the first structure
that reaches it, with ``sys.getsizeof``).

``--daemon``: the daemon's own RSS (VmRSS of ``sourcepacker serve``, VmHWM its peak) once a
cold open of the tree is exact and its delayed cache write done, then after a warm restart on
that cache, as VS Code opens it (bench_daemon.py's client); medians of ``--runs``. Figures
only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpora import BENCH, corpus, python_env

PROBE = r"""
import enum, gc, os, sys
from pathlib import Path
from sourcepacker.cache import TokenCache
from sourcepacker.engine import Engine
from sourcepacker.settings import Settings

def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024

root, cache_path = Path(sys.argv[1]), Path(sys.argv[2])
import sourcepacker.walk, sourcepacker.counting, sourcepacker.pool  # imports out of the delta
gc.collect()
before = rss_kb()
engine = Engine(root, Settings(), cache=TokenCache.load(cache_path))
restored = rss_kb()
engine.scan(persist=False)
gc.collect()
after = rss_kb()
files = len(engine.model.files)
engine.cache.revision += 1  # force a save: the path snapshot is built from the model then
engine.cache.save()
gc.collect()
saved = rss_kb()

seen = set()
def deep(obj):
    total, stack = 0, [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen or o is None or isinstance(o, (bool, type, enum.Enum)):
            continue
        seen.add(id(o))
        total += sys.getsizeof(o)
        if isinstance(o, dict):
            stack.extend(o.keys()); stack.extend(o.values())
        elif isinstance(o, (list, tuple, set, frozenset)):
            stack.extend(o)
        elif hasattr(o, "__slots__") or hasattr(type(o), "__struct_fields__"):
            for cls in type(o).__mro__:
                slots = vars(cls).get("__slots__", ())
                slots = slots if isinstance(slots, (str, tuple, list)) else ()
                names = (slots,) if isinstance(slots, str) else tuple(slots or ())
                fields = vars(cls).get("__struct_fields__", ())
                names += tuple(fields) if isinstance(fields, tuple) else ()
                for name in names:
                    if hasattr(o, name):
                        stack.append(getattr(o, name))
    return total

m, c = engine.model, engine.cache
parts = [
    ("model.files (dict, FileState, rel, ints)", m.files),
    ("model folders (DirNode, names, dicts)", m._dirs),
    ("cache.paths (restored records; handed over)", c.paths),
    ("cache.tokens (dicts, keys, counts, days)", c.tokens),
]
print(f"files {files:,}; RSS restore {(restored - before) / files * 1024:.0f} B/file, "
      f"after rescan {(after - before) / files * 1024:.0f} B/file "
      f"({(after - before) / 1024:.0f} MB), after a save {(saved - before) / files * 1024:.0f}")
total = 0
for name, obj in parts:
    size = deep(obj)
    total += size
    print(f"  {name:<44} {size / files:7.0f} B/file")
print(f"  {'sum of the above':<44} {total / files:7.0f} B/file")
engine.close()
"""


#: Longer than session.SAVE_AFTER_QUIET_SECONDS: the delayed cache write (and the heap trim
#: after it) is part of the state measured.
SETTLE_SECONDS = 3.0


async def _daemon_rss(root: Path, cache: Path, log: Path) -> tuple[float, float]:
    from bench_daemon import mem_kb, open_session, wait_exact

    client, uri, _t0 = await open_session(root, cache, log)
    await wait_exact(client, uri)
    await asyncio.sleep(SETTLE_SECONDS)
    mem = mem_kb(client.proc.pid)
    await client.stop()
    return mem["VmRSS"] / 1024, mem["VmHWM"] / 1024


def measure_daemon(root: Path, runs: int) -> None:
    """Cold open then warm restart, ``runs`` times; prints medians in MB."""
    log = BENCH / "logs" / f"memory-daemon-{root.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": []}
    for _ in range(runs):
        cache = Path(tempfile.mkdtemp(prefix="sp-memory-"))
        try:
            for phase in ("cold", "warm"):
                rows[phase].append(asyncio.run(_daemon_rss(root, cache, log)))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    for phase, got in rows.items():
        rss = statistics.median(r for r, _ in got)
        hwm = statistics.median(h for _, h in got)
        each = ", ".join(f"{r:.0f}" for r, _ in got)
        print(f"daemon {phase:<4}: VmRSS {rss:.0f} MB (runs {each}), VmHWM {hwm:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="gen100k")
    parser.add_argument("--daemon", action="store_true", help="the daemon's RSS, cold and warm")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    root = corpus(args.corpus)
    if args.daemon:
        measure_daemon(root, args.runs)
        return 0
    cache_dir = BENCH / f"cache-{args.corpus}"
    if not any(cache_dir.glob("*.msgpack")):
        cmd = [sys.executable, "-m", "sourcepacker", "tokens", str(root), "--json"]
        subprocess.run(
            [*cmd, "--cache-dir", str(cache_dir)],
            env=python_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    cache_file = next(cache_dir.glob("*.msgpack"))
    subprocess.run(
        [sys.executable, "-c", PROBE, str(root), str(cache_file)], env=python_env(), check=False
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
