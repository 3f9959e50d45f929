"""The daemon's own file watcher (daemon/watcher.py): what it saves and what it costs.

Per corpus and mode, one daemon over stdio (bench_daemon's client; ``fileWatcher`` set in
``initializationOptions``):

* ``daemon`` — the daemon's own watcher (watchfiles); ``off`` — no watcher, every rescan walks.
* ``rescan`` — round trip of a no-change ``sourcepacker/scan`` (median of 5) and the daemon's
  CPU-seconds for it (utime + stime from /proc, the machine is shared: CPU is the steadier).
* ``idle``   — the daemon's CPU-seconds over IDLE_SECONDS with nothing happening.
* ``burst``  — 1,000 files appended to as fast as Python can (``daemon`` only): wall time from
  the first write to exact totals that include every edit, and the daemon's CPU-seconds.
* ``rss``    — VmRSS after the cold scan (the watcher's share: ``daemon`` − ``off``).
* ``setup``  — in this process: building watchfiles' recursive watch of the tree (median of 3)
  and the inotify watches it takes (one per folder).

The corpora are this benchmark's own copies (SOURCEPACKER_BENCH_CORPORA, default
``/tmp/sp-watch-corpora``): the burst edits files, and other benchmarks' corpora must not move.

``python tests/bench/bench_watcher.py [--corpus gen10k gen100k] [--runs 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("SOURCEPACKER_BENCH_CORPORA", "/tmp/sp-watch-corpora")
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_daemon as bd
from corpora import BENCH, corpus

IDLE_SECONDS = 10.0
BURST = 1000
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def setup_cost(root: Path) -> tuple[float, int]:
    from watchfiles._rust_notify import RustNotify

    times = []
    for _ in range(3):
        t0 = time.process_time()  # CPU: the walk and the inotify_add_watch calls
        source = RustNotify([str(root)], False, False, 1000, True, False)
        times.append(time.process_time() - t0)
        source.close()
    folders = sum(1 for _ in os.walk(root))
    return statistics.median(times), folders


async def one_run(root: Path, mode: str, cache: Path) -> dict[str, Any]:
    bd.INIT_OPTIONS.clear()
    bd.INIT_OPTIONS["fileWatcher"] = mode
    log = BENCH / "logs" / f"watcher-{root.name}-{mode}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    client, uri, _t0 = await bd.open_session(root, cache, log)
    pid = client.proc.pid
    await bd.wait_exact(client, uri)
    out["rss_mb"] = bd.mem_kb(pid)["VmRSS"] / 1024
    stats, _ = await client.request("sourcepacker/stats", {"rootUri": uri})
    out["watcher"] = stats.get("watcher")
    walls, cpus = [], []
    for _ in range(5):
        c0 = cpu_s(pid)
        _, seconds = await client.request("sourcepacker/scan", {"rootUri": uri})
        cpus.append(cpu_s(pid) - c0)
        walls.append(seconds)
    stats, _ = await client.request("sourcepacker/stats", {"rootUri": uri})
    out["served_by"] = stats.get("lastWholeScan")
    out["rescan_s"] = statistics.median(walls)
    out["rescan_cpu_s"] = statistics.median(cpus)
    c0 = cpu_s(pid)
    await asyncio.sleep(IDLE_SECONDS)
    out["idle_cpu_pct"] = (cpu_s(pid) - c0) / IDLE_SECONDS * 100
    if mode == "daemon":
        out.update(await burst(client, uri, root, pid))
    await client.stop()
    return out


async def burst(client: bd.LspClient, uri: str, root: Path, pid: int) -> dict[str, float]:
    files = sorted(p for p in root.rglob("*.py"))[:BURST]
    before = {p: p.read_bytes() for p in files}
    extra = b"# an edit in the burst\n"
    stats, _ = await client.request("sourcepacker/stats", {"rootUri": uri})
    c0, t0 = cpu_s(pid), time.perf_counter()
    for p in files:
        with open(p, "ab") as f:
            f.write(extra)
    # Done when a rescan (which waits for the watcher) reports every edit read.
    read = 0
    while read < len(files):
        await client.request("sourcepacker/scan", {"rootUri": uri})
        now, _ = await client.request("sourcepacker/stats", {"rootUri": uri})
        read = now["hashed"] - stats["hashed"]
    result = {"burst_s": time.perf_counter() - t0, "burst_cpu_s": cpu_s(pid) - c0}
    for p, data in before.items():
        p.write_bytes(data)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", nargs="+", default=["gen10k", "gen100k"])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    for name in args.corpus:
        root = corpus(name)
        setup_s, folders = setup_cost(root)
        print(f"{name}: watch setup {setup_s:.3f} CPU-s, {folders:,} folders (inotify watches)")
        # One cache per corpus, warmed by a first run left out: every measured start is warm.
        cache = Path(tempfile.mkdtemp(prefix="sp-watch-bench-"))
        asyncio.run(one_run(root, "off", cache))
        results: dict[str, list[dict[str, Any]]] = {"daemon": [], "off": []}
        for _ in range(args.runs):  # interleaved: the shared machine's drift hits both
            for mode in results:
                results[mode].append(asyncio.run(one_run(root, mode, cache)))
        shutil.rmtree(cache, ignore_errors=True)
        for mode, runs in results.items():
            keys = [k for k, v in runs[0].items() if isinstance(v, float)]
            med = {k: statistics.median(r[k] for r in runs) for k in keys}
            shown = " ".join(f"{k}={v:.4f}" for k, v in med.items())
            print(
                f"  {mode:>6} watcher={runs[0]['watcher']} served_by={runs[0]['served_by']} {shown}"
            )
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
