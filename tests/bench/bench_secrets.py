"""Secret masking over clean code: throughput and false positives (figures, not a timed test).

    python tests/bench/bench_secrets.py [ROOT] [--runs 3] [--show 40] [--json]

ROOT defaults to this interpreter's standard library, without ``site-packages`` (other
projects) and without its test data (``test/``, ``*/tests/*``: on purpose full of odd strings).
Every redaction there is a false positive: the stdlib holds no live secret. The files are read
into memory first (text files only: no NUL in the first 8 KiB, valid UTF-8), so the figure is
``mask_secrets`` alone. *cold* is the first pass in this process, right after importing the
module (which compiles the rules and builds the prefilter: its time is printed apart); *warm* is
the median of the further passes. The load average is printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import sysconfig
import time
from pathlib import Path


def is_excluded(rel: Path) -> bool:
    parts = rel.parts
    return (
        parts[:1] in (("test",), ("site-packages",))
        or "tests" in parts[:-1]
        or "__pycache__" in parts
    )


def load_texts(root: Path) -> list[tuple[str, str]]:
    texts = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath).relative_to(root)
        dirnames[:] = sorted(d for d in dirnames if not is_excluded(here / d / "x"))
        for name in sorted(filenames):
            rel = here / name
            if is_excluded(rel):
                continue
            try:
                data = (root / rel).read_bytes()
            except OSError:
                continue
            if b"\0" in data[:8192]:
                continue
            try:
                texts.append((rel.as_posix(), data.decode("utf-8")))
            except UnicodeDecodeError:
                continue
    return texts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", nargs="?", type=Path, help="corpus (default: the stdlib)")
    ap.add_argument("--runs", type=int, default=3, help="passes over the corpus (first = cold)")
    ap.add_argument("--show", type=int, default=40, help="false positives to list")
    ap.add_argument("--json", action="store_true", help="print a JSON summary instead")
    args = ap.parse_args()
    root = args.root or Path(sysconfig.get_paths()["stdlib"])
    texts = load_texts(root)
    size = sum(len(t.encode()) for _, t in texts)
    load_before = os.getloadavg()[0]

    t0 = time.perf_counter()
    from sourcepacker.secrets import RULES_VERSION, mask_secrets

    import_s = time.perf_counter() - t0
    seconds, cpu_seconds = [], []
    found: list[tuple[str, int, str, str]] = []
    for run in range(max(1, args.runs)):
        t0, c0 = time.perf_counter(), time.process_time()
        results = [(rel, text, mask_secrets(text)) for rel, text in texts]
        seconds.append(time.perf_counter() - t0)
        cpu_seconds.append(time.process_time() - c0)
        if run == 0:
            for rel, text, (_, redactions) in results:
                lines = text.split("\n")
                found += [(rel, r.line, r.kind, lines[r.line - 1].strip()) for r in redactions]
    cold, warm = seconds[0], statistics.median(seconds[1:] or seconds)
    cold_cpu, warm_cpu = cpu_seconds[0], statistics.median(cpu_seconds[1:] or cpu_seconds)
    summary = {
        "root": str(root),
        "files": len(texts),
        "mb": round(size / 1e6, 2),
        "rules_version": RULES_VERSION,
        "import_ms": round(import_s * 1e3, 1),
        "cold_mb_s": round(size / 1e6 / cold, 1),
        "warm_mb_s": round(size / 1e6 / warm, 1),
        "cold_cpu_mb_s": round(size / 1e6 / cold_cpu, 1),
        "warm_cpu_mb_s": round(size / 1e6 / warm_cpu, 1),
        "false_positives": len(found),
        "by_kind": {k: sum(1 for f in found if f[2] == k) for k in sorted({f[2] for f in found})},
        "load": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    if args.json:
        summary["examples"] = [list(f) for f in found]
        print(json.dumps(summary, indent=2))
        return 0
    print(
        f"corpus   {root}: {len(texts):,} text files, {size / 1e6:.1f} MB (rules v{RULES_VERSION})"
    )
    print(f"load     {summary['load'][0]} -> {summary['load'][1]} (1 min average)")
    print(f"import   {summary['import_ms']} ms (rules compiled, prefilter built)")
    print(
        f"cold     {cold:.2f} s = {summary['cold_mb_s']} MB/s wall, "
        f"{summary['cold_cpu_mb_s']} MB/s CPU (first pass)"
    )
    print(
        f"warm     {warm:.2f} s = {summary['warm_mb_s']} MB/s wall, "
        f"{summary['warm_cpu_mb_s']} MB/s CPU (median of {len(seconds) - 1 or 1})"
    )
    print(f"false positives: {len(found)} {summary['by_kind']}")
    for rel, line, kind, context in found[: args.show]:
        print(f"  {rel}:{line} {kind}: {context[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
