"""How cost grows with the number of files: cold, warm, no-change rescan and memory.

    python tests/bench/bench_scale.py [--sizes gen1k,gen10k,gen100k,gen300k] [--runs 3]

For each generated tree (tests/bench/corpora.py: unique code-like files of 150-600 bytes):

- **cold**: ``sourcepacker tokens ROOT --json`` in a new process with an empty cache dir;
- **warm**: the same command again (new process, cache on disk);
- **rescan**: an in-process engine, restored from that cache, rescanning with nothing changed;
- **RSS**: the peak resident memory of the warm process, and the memory the model and cache
  hold per file in a long-running process (RSS after a restore + scan, minus before).

Medians of ``--runs`` runs. Then a least-squares fit of log(time) against log(files) for each
measure: a slope near 1 is linear growth. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpora import corpus, describe, python_env

CHILD = """
import resource, sys, time
from sourcepacker.cli import main
start = time.perf_counter()
code = main(sys.argv[1:])
elapsed = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"@@ {elapsed} {peak_kb} {code}", file=sys.stderr)
"""

PROBE = """
import json, os, sys, time
from pathlib import Path
from sourcepacker.cache import TokenCache
from sourcepacker.engine import Engine
from sourcepacker.settings import Settings

def rss_kb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024

root, cache_path, runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
before = rss_kb()
engine = Engine(root, Settings(), cache=TokenCache.load(cache_path))
engine.scan()
after = rss_kb()
times = []
for _ in range(runs):
    start = time.perf_counter()
    engine.scan()
    times.append(time.perf_counter() - start)
files = engine.totals()[1].files
print(json.dumps({"rescan": sorted(times)[len(times) // 2], "model_kb": after - before,
                  "files": files}))
engine.close()
"""


def run_cli(root: Path, cache: Path) -> tuple[float, int]:
    cmd = [sys.executable, "-c", CHILD, "tokens", str(root), "--json", "--cache-dir", str(cache)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=python_env(), check=True)
    line = next(ln for ln in out.stderr.splitlines() if ln.startswith("@@ "))
    _tag, seconds, peak_kb, _code = line.split()
    return float(seconds), int(peak_kb)


def measure(name: str, runs: int) -> dict[str, float]:
    root = corpus(name)
    files, size = describe(root)
    cold, warm, peak = [], [], []
    probe: dict[str, float] = {}
    for _ in range(runs):
        cache = Path(tempfile.mkdtemp(prefix="sp-scale-"))
        try:
            cold.append(run_cli(root, cache)[0])
            seconds, kb = run_cli(root, cache)
            warm.append(seconds)
            peak.append(kb)
            cache_file = next(cache.glob("*.msgpack"))
            out = subprocess.run(
                [sys.executable, "-c", PROBE, str(root), str(cache_file), "3"],
                capture_output=True,
                text=True,
                env=python_env(),
                check=True,
            )
            probe = json.loads(out.stdout)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    return {
        "files": files,
        "mb": size / 1e6,
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
        "rescan": probe["rescan"],
        "peak_mb": statistics.median(peak) / 1024,
        "bytes_per_file": probe["model_kb"] * 1024 / max(1, files),
    }


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of log(y) against log(x): 1.0 is linear growth."""
    lx, ly = [math.log(x) for x in xs], [math.log(max(y, 1e-9)) for y in ys]
    mx, my = statistics.fmean(lx), statistics.fmean(ly)
    num = sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True))
    den = sum((a - mx) ** 2 for a in lx)
    return num / den if den else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="gen1k,gen10k,gen100k,gen300k")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    for name in args.sizes.split(","):
        started = time.perf_counter()
        row = measure(name, args.runs)
        rows.append(row)
        print(f"{name}: measured in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    print(
        f"{'files':>8} {'MB':>6} {'cold s':>8} {'warm s':>8} {'rescan s':>9} "
        f"{'peak MB':>8} {'B/file':>7}"
    )
    for r in rows:
        print(
            f"{r['files']:>8,} {r['mb']:>6.1f} {r['cold']:>8.2f} {r['warm']:>8.2f} "
            f"{r['rescan']:>9.3f} {r['peak_mb']:>8.0f} {r['bytes_per_file']:>7.0f}"
        )
    if len(rows) > 1:
        xs = [r["files"] for r in rows]
        fits = {k: slope(xs, [r[k] for r in rows]) for k in ("cold", "warm", "rescan", "peak_mb")}
        print("log-log slope (1.0 = linear): " + ", ".join(f"{k} {v:.2f}" for k, v in fits.items()))
        last = rows[-1]
        per_file = {k: last[k] / last["files"] for k in ("cold", "warm", "rescan")}
        print(
            "extrapolated to 1,000,000 files (linear from the largest tree): "
            + ", ".join(f"{k} {v * 1e6:.1f} s" for k, v in per_file.items())
            + f", model {last['bytes_per_file'] * 1e6 / 2**20:.0f} MiB"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
