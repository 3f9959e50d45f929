"""Benchmark the engine against the machine's tokenizer limit (figures, not a timed test).

    python tests/bench/bench_engine.py [ROOT] [--exclude GLOB]... [--runs 3] [--json]

ROOT defaults to this interpreter's standard library with ``site-packages`` excluded.

* **cold**: ``python -m sourcepacker pack ROOT --json --cache-dir FRESH`` in a new process, so
  interpreter start, imports, the encoding load and the pool's start-up all count;
* **warm**: the same command again, in a new process, over the cache the cold run persisted;
* **limit**: tiktoken ``encode_ordinary`` over exactly the texts the engine tokenizes (the same
  walk, the same binary/UTF-8 filters, one copy per distinct content), read into memory first,
  encoding already loaded, on a thread pool of 1 worker and of the engine's worker count.

Cold and warm are measured for the thread pool and the process pool (``--pool``). Every figure
is the median of ``--runs`` runs; runs interleave the pool kinds so that load from other
processes on the machine spreads over both. The load average is printed: on a shared machine
compare ratios taken in one run, not absolute times across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sourcepacker.counting import read_and_hash
from sourcepacker.ignore import IgnoreRules
from sourcepacker.settings import Settings
from sourcepacker.vocab import counter, get_encoding
from sourcepacker.walk import walk

#: Targets from the issue "Benchmark (figures, not a timed test)".
COLD_OVER_LIMIT_TARGET = 1.25
WARM_SECONDS_TARGET = 0.5
WARM_SPEEDUP_TARGET = 10.0


@dataclass
class Corpus:
    root: Path
    exclude: list[str]
    files: int  # countable files the engine reads (duplicates included)
    bytes: int
    texts: list[str]  # one per distinct content: what the engine tokenizes


@dataclass
class PoolRuns:
    cold: list[float] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    cold_cpu: list[float] = field(default_factory=list)
    warm_cpu: list[float] = field(default_factory=list)
    #: ``--stats`` stage times of the cold runs (walk, diff, count), seconds.
    cold_stages: list[dict[str, float]] = field(default_factory=list)
    tokens: int = 0
    file_count: int = 0


def load_corpus(root: Path, exclude: list[str], settings: Settings) -> Corpus:
    rules = IgnoreRules(root, include=settings.include, exclude=exclude)
    found = walk(root, rules, max_size=settings.max_file_size, workers=1).files
    texts: dict[tuple[int, int], str] = {}
    files = size = 0
    for f in found:
        result, text = read_and_hash(str(root), f.rel)
        if text is None:
            continue
        files += 1
        size += result.size
        texts.setdefault((result.hash, result.size), text)
    return Corpus(root, exclude, files, size, list(texts.values()))


def tokenizer_limit(
    texts: list[str], count: Callable[[str], object], workers: int
) -> tuple[float, float]:
    """Wall and CPU seconds to run ``count`` over ``texts`` on ``workers`` threads."""
    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(workers) as pool:
        for _n in pool.map(count, texts):
            pass
    return time.perf_counter() - start, time.process_time() - cpu


def cli(root: Path, cache: Path, exclude: list[str], extra: Sequence[str]) -> list[str]:
    cmd = [sys.executable, "-m", "sourcepacker", "pack", str(root), "--json", "--stats"]
    cmd += ["--cache-dir", str(cache), *extra]
    for glob in exclude:
        cmd += ["--exclude", glob]
    return cmd


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> tuple[float, float, dict[str, object], dict[str, float]]:
    """Wall seconds, CPU seconds (the process and its pool's workers), JSON out, stages."""
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return elapsed, cpu, json.loads(done.stdout), _stages(done.stderr)


def _stages(stderr: str) -> dict[str, float]:
    """``time:         walk 32 ms, diff 11 ms, count 3275 ms`` → seconds per stage."""
    for line in stderr.splitlines():
        if line.startswith("time:"):
            items = (part.split() for part in line[5:].split(","))
            return {name: float(ms) / 1000 for name, ms, _unit in items}
    return {}


def warm_imports_tiktoken(root: Path, cache: Path, exclude: list[str]) -> bool:
    """True when a warm run imports tiktoken at all (it must not load an encoding)."""
    cmd = cli(root, cache, exclude, [])
    cmd[1:1] = ["-X", "importtime"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return any(
        line.rstrip().endswith((" tiktoken", " tiktoken_ext")) for line in done.stderr.splitlines()
    )


def pool_round(corpus: Corpus, kinds: list[str], workers: int, out: dict[str, PoolRuns]) -> None:
    """One cold and one warm run of each pool kind, each cold run on a fresh cache."""
    for kind in kinds:
        cache = Path(tempfile.mkdtemp(prefix="sp-bench-"))
        try:
            extra = ["--pool", kind, "--workers", str(workers)]
            cmd = cli(corpus.root, cache, corpus.exclude, extra)
            cold, cold_cpu, result, stages = timed(cmd)
            warm, warm_cpu, _, _ = timed(cmd)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        r = out.setdefault(kind, PoolRuns())
        r.cold.append(cold)
        r.warm.append(warm)
        r.cold_cpu.append(cold_cpu)
        r.warm_cpu.append(warm_cpu)
        r.cold_stages.append(stages)
        r.tokens = int(result["tokens"])  # type: ignore[call-overload]
        r.file_count = int(result["fileCount"])  # type: ignore[call-overload]


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def report(
    corpus: Corpus,
    limits: dict[int, list[float]],
    pools: dict[str, PoolRuns],
    workers: int,
    loads: tuple[tuple[float, ...], tuple[float, ...]],
    imports_tiktoken: bool | None,
) -> dict[str, object]:
    limit = median(limits[workers])
    rows = []
    for kind, r in pools.items():
        cold, warm = median(r.cold), median(r.warm)
        count = median([s.get("count", float("nan")) for s in r.cold_stages])
        rows.append(
            {
                "pool": kind,
                "cold_s": cold,
                "warm_s": warm,
                "cold_cpu_s": median(r.cold_cpu),
                "warm_cpu_s": median(r.warm_cpu),
                "cold_count_stage_s": count,
                "cold_files_per_s": corpus.files / cold,
                "cold_mb_per_s": corpus.bytes / 1e6 / cold,
                "warm_files_per_s": corpus.files / warm,
                "cold_over_limit": cold / limit,
                # the same ratio taken within each round, then the median: steadier under load
                "cold_over_limit_per_round": median(
                    [c / lim for c, lim in zip(r.cold, limits[workers], strict=True)]
                ),
                "warm_over_cold": warm / cold,
                "cold_runs": r.cold,
                "warm_runs": r.warm,
                "tokens": r.tokens,
                "packed_files": r.file_count,
            }
        )
    return {
        "root": str(corpus.root),
        "exclude": corpus.exclude,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "workers": workers,
        "files": corpus.files,
        "distinct_texts": len(corpus.texts),
        "mb": corpus.bytes / 1e6,
        "limit_s": {str(w): median(t) for w, t in limits.items()},
        "limit_runs": {str(w): t for w, t in limits.items()},
        "limit_mb_per_s": {str(w): corpus.bytes / 1e6 / median(t) for w, t in limits.items()},
        "pools": rows,
        "warm_imports_tiktoken": imports_tiktoken,
        "load_before": loads[0],
        "load_after": loads[1],
    }


def print_table(res: dict[str, object]) -> None:
    lim = res["limit_s"]
    assert isinstance(lim, dict)
    print(f"corpus   {res['root']} (exclude {res['exclude']})")
    print(f"         {res['files']} files, {res['distinct_texts']} distinct, {res['mb']:.1f} MB")
    print(f"machine  {res['cpus']} cpus, load {res['load_before']} → {res['load_after']}")
    print(f"python   {res['python']}, workers {res['workers']}")
    print()
    for w, s in lim.items():
        mbs = res["limit_mb_per_s"][w]  # type: ignore[index]
        print(f"limit    encode_ordinary, {w} thread(s): {s:6.2f} s   {mbs:5.1f} MB/s")
    ours = res["counter_limit_s"]
    assert isinstance(ours, float)
    mbs = float(res["mb"]) / ours  # type: ignore[arg-type]
    print(f"         vocab.counter,   {res['workers']} thread(s): {ours:6.2f} s   {mbs:5.1f} MB/s")
    print(
        f"         CPU seconds, {res['workers']} threads: encode_ordinary {res['limit_cpu_s']:.2f},"
        f" vocab.counter {res['counter_limit_cpu_s']:.2f}"
    )
    print()
    head = f"{'pool':8} {'cold s':>7} {'count':>7} {'warm s':>7} {'files/s':>8} {'MB/s':>6}"
    head += f" {'cold/limit':>10} {'(rounds)':>8} {'warm/cold':>9}"
    head += f" {'cold CPU':>8} {'CPU/limit':>9} {'warm CPU':>8}"
    print(head)
    pools = res["pools"]
    assert isinstance(pools, list)
    for r in pools:
        print(
            f"{r['pool']:8} {r['cold_s']:7.2f} {r['cold_count_stage_s']:7.2f} {r['warm_s']:7.3f}"
            f" {r['cold_files_per_s']:8.0f} {r['cold_mb_per_s']:6.1f}"
            f" {r['cold_over_limit']:10.2f} {r['cold_over_limit_per_round']:8.2f}"
            f" {r['warm_over_cold']:9.3f}"
            f" {r['cold_cpu_s']:8.2f} {r['cold_cpu_over_limit_cpu']:9.2f} {r['warm_cpu_s']:8.3f}"
        )
    print("(medians of the runs; '(rounds)' is the median of cold/limit taken within each round;")
    print(" CPU = user+sys of the process and its workers, which load inflates far less than wall)")
    print()
    print(
        f"targets  cold/limit ≤ {COLD_OVER_LIMIT_TARGET}; warm ≤ {WARM_SECONDS_TARGET} s"
        f" (~5k files) and ≥ {WARM_SPEEDUP_TARGET:.0f}× faster than cold"
    )
    imports = res["warm_imports_tiktoken"]
    if imports is not None:
        print(f"warm run imports tiktoken: {'YES (bug)' if imports else 'no'}")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("root", nargs="?", type=Path, help="corpus (default: the stdlib)")
    p.add_argument("--exclude", action="append", default=None, metavar="GLOB")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workers", type=int, default=Settings().pool_size)
    p.add_argument("--pools", default="thread,process", help="comma-separated pool kinds")
    p.add_argument("--json", action="store_true", help="print JSON instead of the table")
    p.add_argument("--save", type=Path, metavar="FILE", help="also write the JSON to FILE")
    args = p.parse_args(argv)
    root = args.root or Path(sysconfig.get_paths()["stdlib"])
    exclude = (
        args.exclude
        if args.exclude is not None
        else (["site-packages"] if args.root is None else [])
    )
    settings = Settings()
    load_before = tuple(round(x, 2) for x in os.getloadavg())
    corpus = load_corpus(root.resolve(), exclude, settings)
    encode = get_encoding(settings.encoding).encode_ordinary
    ours = counter(settings.encoding)
    kinds = [k for k in args.pools.split(",") if k]
    limits: dict[int, list[float]] = {w: [] for w in sorted({1, args.workers})}
    limit_cpu: list[float] = []
    counter_runs: list[float] = []
    counter_cpu: list[float] = []
    pools: dict[str, PoolRuns] = {}
    for _ in range(args.runs):  # interleaved, so a burst of load hits every figure alike
        for w in limits:
            wall, cpu = tokenizer_limit(corpus.texts, encode, w)
            limits[w].append(wall)
            if w == args.workers:
                limit_cpu.append(cpu)
        wall, cpu = tokenizer_limit(corpus.texts, ours, args.workers)
        counter_runs.append(wall)
        counter_cpu.append(cpu)
        pool_round(corpus, kinds, args.workers, pools)
    with tempfile.TemporaryDirectory(prefix="sp-bench-") as cache:
        subprocess.run(cli(corpus.root, Path(cache), exclude, []), capture_output=True, check=True)
        imports = warm_imports_tiktoken(corpus.root, Path(cache), exclude)
    load_after = tuple(round(x, 2) for x in os.getloadavg())
    res = report(corpus, limits, pools, args.workers, (load_before, load_after), imports)
    res["counter_limit_s"] = median(counter_runs)
    res["limit_cpu_s"] = median(limit_cpu)
    res["counter_limit_cpu_s"] = median(counter_cpu)
    for row in res["pools"]:  # type: ignore[attr-defined]
        row["cold_cpu_over_limit_cpu"] = row["cold_cpu_s"] / res["limit_cpu_s"]
    res["counter_limit_runs"] = counter_runs
    if args.save:
        args.save.write_text(json.dumps(res, indent=2) + "\n")
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print_table(res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
