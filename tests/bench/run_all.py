"""Every benchmark in one command: corpora, engine (if present), daemon, Repomix comparison.

``/work/venv/bin/python tests/bench/run_all.py [--runs 3] [--quick] [--chart] [--skip …]``

Each benchmark runs as its own subprocess (so one failing does not hide the others) and prints
its own table; the JSON summaries land in ``.bench/results/``. ``--quick`` is one run on the
smaller corpora. ``--chart`` draws ``docs/benchmarks.png`` with matplotlib installed into a venv
of its own, ``.bench/plotvenv`` (created on first use), never into the project's venv.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpora import BENCH, REPO, corpus, describe  # noqa: E402

RESULTS = BENCH / "results"
PY = sys.executable


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "server"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
        head += " (server/ modified)" if dirty else ""
    except OSError:
        head = "?"
    return (
        f"git {head} · nproc {os.cpu_count()} · CPU {cpu} · load {load} · Python "
        f"{platform.python_version()} · {platform.platform()}"
    )


def step(title: str, cmd: list[str]) -> int:
    print(f"\n##### {title}\n$ {' '.join(cmd)}\n{machine()}", flush=True)
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=REPO).returncode
    print(f"##### {title}: exit {rc} in {time.perf_counter() - t0:.0f} s", flush=True)
    return rc


def draw_chart(out: Path) -> None:
    """Pack times per corpus, ours vs Repomix, from ``.bench/results/repomix*.json``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = []
    for f in sorted(RESULTS.glob("repomix*.json")):
        results.extend(json.loads(f.read_text()))
    order = {"stdlib": 0, "large": 1, "gen100k": 2}
    results.sort(key=lambda r: order.get(r["corpus"], 9))
    series = [
        ("ours_cold", "SourcePacker cold", "#1f77b4"),
        ("ours_warm", "SourcePacker warm", "#aec7e8"),
        ("rmx_cold", "Repomix 1.18.1 cold", "#d62728"),
        ("rmx_warm", "Repomix 1.18.1 warm", "#ff9896"),
    ]
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    width = 0.2
    for i, (key, label, color) in enumerate(series):
        xs = [j + (i - 1.5) * width for j in range(len(results))]
        ys = [r["seconds"].get(key, 0) for r in results]
        bars = ax.bar(xs, ys, width, label=label, color=color)
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    ax.set_xticks(range(len(results)))
    ax.set_xticklabels([f"{r['corpus']}\n{r['ours']['fileCount']:,} files" for r in results])
    ax.set_yscale("log")
    ax.set_ylabel("seconds (median, log scale)")
    ax.set_title("sourcepacker pack vs repomix --style xml (new process each run)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    print(f"chart: {out}")


def chart() -> int:
    """Draw with matplotlib from a venv of its own in .bench/ (never the project's venv)."""
    venv = BENCH / "plotvenv"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([PY, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "matplotlib"], check=True)
    return subprocess.run([str(py), __file__, "--draw-chart"], cwd=REPO).returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one run, smaller corpora")
    ap.add_argument("--chart", action="store_true", help="draw docs/benchmarks.png afterwards")
    ap.add_argument("--draw-chart", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--skip", nargs="*", default=[], choices=["engine", "daemon", "repomix"])
    args = ap.parse_args()
    if args.draw_chart:
        draw_chart(REPO / "docs" / "benchmarks.png")
        return 0
    runs = "1" if args.quick else str(args.runs)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(machine())
    for name in ("stdlib", "large", "gen10k", "gen100k"):
        files, size = describe(corpus(name))
        print(f"corpus {name:8} {files:>7,} files {size / 1e6:7.1f} MB")
    failed = []
    engine = HERE / "bench_engine.py"
    if "engine" not in args.skip:
        if engine.exists():
            if step("engine", [PY, str(engine)]):
                failed.append("engine")
        else:
            print("\n##### engine: tests/bench/bench_engine.py not present, skipped")
    daemon_corpora = ["gen10k", "stdlib"] if args.quick else ["gen10k", "stdlib", "gen100k"]
    pack_corpora = ["stdlib"] if args.quick else ["stdlib", "large", "gen100k"]
    if "daemon" not in args.skip and step(
        "daemon",
        [
            PY,
            str(HERE / "bench_daemon.py"),
            "--runs",
            runs,
            "--corpus",
            *daemon_corpora,
            "--json",
            str(RESULTS / "daemon.json"),
        ],
    ):
        failed.append("daemon")
    if "repomix" not in args.skip and step(
        "repomix",
        [
            PY,
            str(HERE / "bench_repomix.py"),
            "--runs",
            runs,
            "--corpus",
            *pack_corpora,
            "--json",
            str(RESULTS / "repomix.json"),
        ],
    ):
        failed.append("repomix")
    (RESULTS / "machine.json").write_text(json.dumps({"machine": machine()}))
    if args.chart and chart():
        failed.append("chart")
    print(f"\n{machine()}\nfailed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
