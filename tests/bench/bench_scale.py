"""How cost grows with the number of files: cold, warm, no-change rescan and memory.

    python tests/bench/bench_scale.py [--sizes gen1k,gen10k,gen100k,gen300k] [--runs 3]

For each generated tree (tests/bench/corpora.py: unique code-like files of 150-600 bytes):

- **cold**: ``sourcepacker tokens ROOT --json`` in a new process with an empty cache dir;
- **warm**: the same command again (new process, cache on disk);
- **rescan**: an in-process engine, restored from that cache, rescanning with nothing changed
  (a full walk: one lstat per file);
- **RSS**: the peak resident memory of the warm process, and the memory the model and cache
  hold per file in a long-running process (RSS after a restore + scan, minus before);
- **daemon** (once per tree, ``--daemon``): ``python -m sourcepacker serve`` opened cold on the
  tree by a client that accepts the file watcher, as VS Code does; its RSS (VmRSS, and the peak
  VmHWM) once every count is exact, and the round trip of a no-change ``sourcepacker/scan``,
  which trusts the watcher's events instead of walking (median of 5).

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
from corpora import BENCH, corpus, describe, python_env

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


async def _daemon(root: Path) -> dict[str, float]:
    from bench_daemon import mem_kb, open_session, wait_exact

    cache = Path(tempfile.mkdtemp(prefix="sp-scale-daemon-"))
    log = BENCH / "logs" / f"scale-daemon-{root.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        client, uri, _t0 = await open_session(root, cache, log)
        await wait_exact(client, uri)
        mem = mem_kb(client.proc.pid)
        rescans = []
        for _ in range(5):
            _, seconds = await client.request("sourcepacker/scan", {"rootUri": uri})
            rescans.append(seconds)
        await client.stop()
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {
        "daemon_rescan": statistics.median(rescans),
        "daemon_rss_mb": mem["VmRSS"] / 1024,
        "daemon_hwm_mb": mem["VmHWM"] / 1024,
    }


def measure_daemon(root: Path) -> dict[str, float]:
    import asyncio

    return asyncio.run(_daemon(root))


def measure(name: str, runs: int, daemon: bool = False) -> dict[str, float]:
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
    row = {
        "files": files,
        "mb": size / 1e6,
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
        "rescan": probe["rescan"],
        "peak_mb": statistics.median(peak) / 1024,
        "bytes_per_file": probe["model_kb"] * 1024 / max(1, files),
    }
    if daemon:
        row.update(measure_daemon(root))
    return row


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
    parser.add_argument("--daemon", action="store_true", help="also the daemon, once per tree")
    args = parser.parse_args(argv)
    rows = []
    for name in args.sizes.split(","):
        started = time.perf_counter()
        row = measure(name, args.runs, args.daemon)
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
    if args.daemon:
        print(f"{'files':>8} {'daemon rescan s':>16} {'daemon RSS MB':>14} {'VmHWM MB':>9}")
        for r in rows:
            print(
                f"{r['files']:>8,} {r['daemon_rescan']:>16.4f} {r['daemon_rss_mb']:>14.0f} "
                f"{r['daemon_hwm_mb']:>9.0f}"
            )
    if len(rows) > 1:
        xs = [r["files"] for r in rows]
        keys = ["cold", "warm", "rescan", "peak_mb"]
        keys += ["daemon_rescan", "daemon_rss_mb"] if args.daemon else []
        fits = {k: slope(xs, [r[k] for r in rows]) for k in keys}
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
