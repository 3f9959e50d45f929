"""Issue 13's table in one run: the tiktoken limit, our cold and warm pack, Repomix's.

    python tests/bench/bench_goals.py [--runs 3] [--no-repomix] [--json]

As the issue measures it, on a fresh copy of this interpreter's standard library
(``site-packages`` and ``__pycache__`` left out), every figure the median of ``--runs``:

* **limit** — tiktoken ``encode_ordinary`` over exactly the texts we count (one copy per
  distinct content), read into memory first, encoding loaded, on 2 threads;
* **ours cold** — ``sourcepacker pack ROOT -o OUT`` in a new process with an empty cache dir:
  wall, CPU (the process and its workers) and peak RSS (``wait4``'s ``ru_maxrss``);
* **ours warm** — the same command again, over the cache the cold run left;
* **Repomix cold / warm** — ``repomix --style xml --token-count-encoding o200k_base``, its token
  cache fresh, then reused (``bench_repomix.py`` installs node 24 and Repomix 1.18.1 into
  ``.bench/`` from the registries on first use).

Rounds interleave the measurements, so load from other processes on a shared machine spreads
over all of them; the load average is printed. Goals (issue 13): cold ≤ 0.75× the limit and
≥ 4× faster than Repomix; warm ≤ 0.15 s, ≤ 120 MB, ≥ 15× faster than Repomix.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import load_corpus, tokenizer_limit
from bench_repomix import ensure_repomix, repomix
from corpora import _copy_stdlib, python_env

from sourcepacker.settings import Settings
from sourcepacker.vocab import get_encoding

SOURCEPACKER = [os.environ.get("SOURCEPACKER_PYTHON", sys.executable), "-m", "sourcepacker"]
GOALS = {"cold_over_limit": 0.75, "repomix_over_cold": 4.0, "warm_s": 0.15, "warm_rss_mb": 120.0}
GOALS["repomix_over_warm"] = 15.0


#: Runs the measured command from a small process of its own: a child forked from this one
#: (which holds the corpus, ~150 MB) counts that image in its ``ru_maxrss`` until it execs.
_LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as f:
    json.dump([wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status)], f)
"""


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float, bytes]:
    """Wall s, CPU s (the process and the children it reaped), peak RSS MB, stdout."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "figures.json"
        launcher = [sys.executable, "-c", _LAUNCHER, str(figures), *cmd]
        done = subprocess.run(launcher, cwd=cwd, env=env, capture_output=True, check=False)
        wall, cpu, rss_kb, code = json.loads(figures.read_text())
    if code != 0 or done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-2000:]!r}")
    return wall, cpu, rss_kb / 1024, done.stdout


def ours(root: Path, cache: Path, out: Path) -> tuple[float, float, float]:
    env = {**python_env(), "SOURCEPACKER_CACHE_DIR": str(cache)}
    wall, cpu, rss, _ = run([*SOURCEPACKER, "pack", str(root), "-o", str(out)], root.parent, env)
    return wall, cpu, rss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-repomix", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    problem = None if args.no_repomix else ensure_repomix()
    if problem:
        print(f"Repomix not compared: {problem}", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="sp-goals-"))
    try:
        root = work / "stdlib"
        _copy_stdlib(root)
        corpus = load_corpus(root, [], Settings())
        enc = get_encoding("o200k_base")
        enc.encode_ordinary("warm up")
        load_before = os.getloadavg()
        figures: dict[str, list[float]] = {}

        def note(name: str, value: float) -> None:
            figures.setdefault(name, []).append(value)
            print(f"  {name}: {value:.3f}", file=sys.stderr, flush=True)

        for i in range(args.runs):
            print(f"round {i + 1}/{args.runs}", file=sys.stderr, flush=True)
            note("limit_s", tokenizer_limit(corpus.texts, enc.encode_ordinary, 2)[0])
            cache = work / f"cache{i}"
            wall, cpu, rss = ours(root, cache, work / "out.xml")
            note("cold_s", wall), note("cold_cpu_s", cpu), note("cold_rss_mb", rss)
            wall, cpu, rss = ours(root, cache, work / "out.xml")
            note("warm_s", wall), note("warm_cpu_s", cpu), note("warm_rss_mb", rss)
            if not problem and not args.no_repomix:
                rcache = work / f"rmx{i}" / "cache.json"
                rcache.parent.mkdir()
                note("repomix_cold_s", repomix(root, rcache, work / "rmx.xml")[0])
                note("repomix_warm_s", repomix(root, rcache, work / "rmx.xml")[0])
        med = {k: statistics.median(v) for k, v in figures.items()}
        med["cold_over_limit"] = med["cold_s"] / med["limit_s"]
        if "repomix_cold_s" in med:
            med["repomix_over_cold"] = med["repomix_cold_s"] / med["cold_s"]
            med["repomix_over_warm"] = med["repomix_warm_s"] / med["warm_s"]
        result: dict[str, Any] = {
            "corpus": {"files": corpus.files, "mb": corpus.bytes / 1e6},
            "load": [load_before, os.getloadavg()],
            "cpus": os.cpu_count(),
            "medians": med,
            "runs": figures,
            "goals": GOALS,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"stdlib copy: {corpus.files} files, {corpus.bytes / 1e6:.1f} MB; cpus {os.cpu_count()}")
    print(f"load average before {load_before}, after {os.getloadavg()}")
    print(f"medians of {args.runs} rounds:")
    for name, value in med.items():
        goal = GOALS.get(name)
        mark = ""
        if goal is not None:
            met = value >= goal if name.startswith("repomix_over") else value <= goal
            mark = f"   goal {'≥' if name.startswith('repomix_over') else '≤'} {goal}: "
            mark += "met" if met else "MISSED"
        print(f"  {name:20} {value:9.3f}{mark}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
