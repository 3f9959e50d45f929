"""Compare the counting backends (figures, not a timed test).

    python tests/bench/bench_backends.py [ROOT] [--runs 3] [--encodings o200k_base,cl100k_base]
                                         [--backends tiktoken,rs-bpe] [--no-pack] [--json]

ROOT defaults to this interpreter's standard library without ``site-packages``. For each
backend installed here it prints:

* **load**: seconds to import the backend and build its encoding, in a new process;
* **installed size**: the files of its distribution (what a bundled ``.vsix`` carries);
* **throughput**: MB/s over the corpus's distinct texts, read into memory first, on 1 and 2
  threads, and on 2 processes (spawned and loaded before the clock starts; each worker reads
  its files from disk, as the pool's process workers do). Wall and CPU seconds: a backend
  that holds the GIL gains nothing from a second thread;
* **equal**: whether every text's count equals tiktoken's (``vocab.counter``);
* **cold pack**: ``sourcepacker pack ROOT --json --counter B`` in a new process over a copy of
  the corpus in a temporary directory, with a fresh ``--cache-dir`` each run, for each pool
  kind (``--pool``), wall and CPU (the process and its workers).

Every figure is the median of ``--runs`` runs, the backends interleaved within each round.
The machine is shared: compare figures taken in one run, and prefer CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

from sourcepacker.backends import BACKENDS, get_backend, installed
from sourcepacker.counting import read_and_hash
from sourcepacker.ignore import IgnoreRules
from sourcepacker.settings import Settings
from sourcepacker.vocab import counter
from sourcepacker.walk import walk

DISTRIBUTION = {"tiktoken": "tiktoken", "rs-bpe": "rs-bpe"}


def load_texts(root: Path, exclude: list[str]) -> dict[str, str]:
    """rel → text of each distinct countable file, as the engine would count them."""
    settings = Settings()
    rules = IgnoreRules(root, include=(), exclude=exclude)
    found = walk(root, rules, max_size=settings.max_file_size, workers=1).files
    seen: set[tuple[int, int]] = set()
    texts: dict[str, str] = {}
    for f in found:
        result, text = read_and_hash(str(root), f.rel)
        if text is not None and (result.hash, result.size) not in seen:
            seen.add((result.hash, result.size))
            texts[f.rel] = text
    return texts


def installed_mb(dist: str) -> float:
    files = metadata.files(dist) or []
    return sum(os.path.getsize(str(p.locate())) for p in files if p.locate().exists()) / 1e6


def load_seconds(backend: str, encoding: str) -> float:
    code = (
        "import time; t = time.perf_counter(); "
        "from sourcepacker.backends import get_backend; "
        f"get_backend({backend!r}, {encoding!r}).counter({encoding!r}); "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def on_threads(texts: list[str], count: Callable[[str], int], workers: int) -> tuple[float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(workers) as pool:
        for _n in pool.map(count, texts, chunksize=16):
            pass
    return time.perf_counter() - start, time.process_time() - cpu


_worker: Callable[[str], int] | None = None


def _init(backend: str, encoding: str) -> None:
    global _worker
    _worker = get_backend(backend, encoding).counter(encoding)


def _count_files(root: str, rels: list[str]) -> int:
    assert _worker is not None
    total = 0
    for rel in rels:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            total += _worker(f.read())
    return total


def _ready() -> None:
    pass


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def on_processes(
    root: Path, rels: list[str], backend: str, encoding: str, workers: int
) -> tuple[float, float]:
    """Wall and CPU (workers included) of counting ``rels`` in ``workers`` loaded processes."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, ctx, initializer=_init, initargs=(backend, encoding)) as ex:
        for f in [ex.submit(_ready) for _ in range(workers * 4)]:
            f.result()  # every worker spawned and loaded before the clock starts
        batches = [rels[i : i + 64] for i in range(0, len(rels), 64)]
        start, cpu = time.perf_counter(), time.process_time()
        for _n in ex.map(_count_files, [str(root)] * len(batches), batches):
            pass
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    # The workers' CPU shows in RUSAGE_CHILDREN only once they are reaped; it includes their
    # start-up, so report the parent's CPU plus the workers' whole lives as an upper bound.
    return wall, cpu


def cold_pack(
    root: Path, backend: str, pool: str, workers: int
) -> tuple[float, float, int, dict[str, float]]:
    cache = Path(tempfile.mkdtemp(prefix="sp-bench-cache-"))
    cmd = [sys.executable, "-m", "sourcepacker", "pack", str(root), "--json", "--stats"]
    cmd += ["--cache-dir", str(cache), "--counter", backend, "--pool", pool]
    cmd += ["--workers", str(workers)]
    try:
        start, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    stages: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if line.startswith("time:"):
            for part in line[5:].split(","):
                name, ms, _unit = part.split()
                stages[name] = float(ms) / 1000
    return wall, cpu, int(json.loads(done.stdout)["tokens"]), stages


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("root", nargs="?", type=Path, help="corpus (default: the stdlib)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--encodings", default="o200k_base,cl100k_base")
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--pools", default="thread,process", help="pool kinds for the cold pack")
    p.add_argument("--no-pack", action="store_true", help="skip the end-to-end cold packs")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b and installed(b)]
    encodings = [e for e in args.encodings.split(",") if e]
    source = args.root or Path(sysconfig.get_paths()["stdlib"])
    load_before = os.getloadavg()[0]
    res: dict[str, object] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="sp-bench-corpus-") as tmp:
        root = Path(tmp) / "corpus"
        shutil.copytree(
            source, root, symlinks=True, ignore=shutil.ignore_patterns("site-packages", "__py*")
        )
        texts_by_rel = load_texts(root, [])
        rels, texts = list(texts_by_rel), list(texts_by_rel.values())
        mb = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts) / 1e6
        res.update(corpus=str(source), files=len(texts), mb=mb)
        rows: list[dict[str, object]] = []
        for backend in backends:
            rows.append(
                {
                    "backend": backend,
                    "installed_mb": installed_mb(DISTRIBUTION[backend]),
                    "releases_gil": BACKENDS[backend].releases_gil,
                }
            )
        for encoding in encodings:
            reference = counter(encoding)
            expected = [reference(t) for t in texts]
            for row in rows:
                backend = str(row["backend"])
                count = get_backend(backend, encoding).counter(encoding)
                got = [count(t) for t in texts]
                unequal = [
                    rels[i] for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b
                ]
                runs: dict[str, list[float]] = {}
                for _ in range(args.runs):
                    runs.setdefault("load", []).append(load_seconds(backend, encoding))
                    for w in (1, 2):
                        wall, cpu = on_threads(texts, count, w)
                        runs.setdefault(f"thread{w}", []).append(wall)
                        runs.setdefault(f"thread{w}_cpu", []).append(cpu)
                    wall, cpu = on_processes(root, rels, backend, encoding, 2)
                    runs.setdefault("process2", []).append(wall)
                row[encoding] = {
                    "unequal_files": unequal,
                    "load_s": median(runs["load"]),
                    **{f"{k}_mb_s": mb / median(v) for k, v in runs.items() if k != "load"},
                }
        if not args.no_pack:
            pack_runs: dict[tuple[str, str], list[tuple[float, float, int, dict[str, float]]]] = {}
            for _ in range(args.runs):
                for backend in backends:
                    for pool in args.pools.split(","):
                        run = cold_pack(root, backend, pool, 2)
                        pack_runs.setdefault((backend, pool), []).append(run)
            res["cold_pack"] = [
                {
                    "backend": b,
                    "pool": pool,
                    "wall_s": median([r[0] for r in rs]),
                    "cpu_s": median([r[1] for r in rs]),
                    "count_stage_s": median([r[3].get("count", float("nan")) for r in rs]),
                    "tokens": sorted({r[2] for r in rs}),
                }
                for (b, pool), rs in pack_runs.items()
            ]
    res["backends"] = rows
    res["load_avg"] = (round(load_before, 2), round(os.getloadavg()[0], 2))
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print_table(res, encodings)
    return 0


def print_table(res: dict[str, object], encodings: list[str]) -> None:
    print(f"corpus {res['corpus']}: {res['files']} distinct texts, {res['mb']:.1f} MB")
    print(f"python {res['python']}, {res['cpus']} cpus, load avg {res['load_avg']}")
    print()
    head = f"{'backend':10} {'encoding':12} {'load s':>6} {'1 thr':>6} {'2 thr':>6} {'2 proc':>6}"
    head += f" {'1thr/cpu':>8} {'2thr/cpu':>8}  {'MB inst':>7} {'equal':>5}"
    print(head + "   (MB/s; '/cpu' = MB per CPU-second)")
    for row in res["backends"]:  # type: ignore[attr-defined]
        for enc in encodings:
            e = row[enc]
            print(
                f"{row['backend']:10} {enc:12} {e['load_s']:6.2f} {e['thread1_mb_s']:6.1f}"
                f" {e['thread2_mb_s']:6.1f} {e['process2_mb_s']:6.1f}"
                f" {e['thread1_cpu_mb_s']:8.1f} {e['thread2_cpu_mb_s']:8.1f}"
                f"  {row['installed_mb']:7.1f} {'yes' if not e['unequal_files'] else 'NO'}"
            )
            if e["unequal_files"]:
                print(f"    unequal: {e['unequal_files'][:5]}")
    if "cold_pack" in res:
        print()
        print(f"{'cold pack':10} {'pool':8} {'wall s':>7} {'CPU s':>7} {'count':>7}  tokens")
        for r in res["cold_pack"]:  # type: ignore[attr-defined]
            print(
                f"{r['backend']:10} {r['pool']:8} {r['wall_s']:7.2f} {r['cpu_s']:7.2f}"
                f" {r['count_stage_s']:7.2f}  {r['tokens']}"
            )
    print("(medians; every pack must print the same tokens)")


if __name__ == "__main__":
    raise SystemExit(main())
