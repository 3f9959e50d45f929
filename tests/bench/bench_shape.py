"""What each transform saves on a whole pack of the stdlib, and what --compress costs cold/warm.

    python tests/bench/bench_shape.py [ROOT] [--runs 3] [--json]

ROOT defaults to a copy of this interpreter's standard library (``site-packages`` and
``__pycache__`` left out) in a temporary folder outside any git work tree: the stdlib of a
pyenv install and a corpus under this repository's ``.bench/`` both lie in folders git ignores,
which the command line now honours. Each run is the installed command line in a new process,
``python -m sourcepacker pack ROOT --json -o FILE --cache-dir DIR``:

* **savings**: the pack's tokens with no transform, with each transform alone, and with
  ``--compress --remove-comments --remove-empty-lines`` together (warm runs, so the figure is
  the prompt's, not the time); secret masking is on in all of them, as by default;
* **cost**: wall time of ``--compress`` cold (fresh cache dir: scan, tokenize, parse every
  file, count the compressed texts) and warm (same cache: nothing parsed, nothing tokenized),
  next to the default pack (masking only) cold and warm. Medians of ``--runs``.

Every reported count is also checked against tiktoken's count of the written file. Prints
figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from corpora import python_env

from sourcepacker.vocab import counter

VARIANTS: dict[str, list[str]] = {
    "none": [],
    "remove-comments": ["--remove-comments"],
    "remove-empty-lines": ["--remove-empty-lines"],
    "line-numbers": ["--line-numbers"],
    "compress": ["--compress"],
    "compress+comments+empty": ["--compress", "--remove-comments", "--remove-empty-lines"],
}


def pack(root: Path, cache: Path, out: Path, flags: list[str]) -> tuple[float, dict[str, object]]:
    cmd = [sys.executable, "-m", "sourcepacker", "pack", str(root), "--json", "-o", str(out)]
    cmd += ["--cache-dir", str(cache), *flags]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=python_env(), check=True)
    return time.perf_counter() - start, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-shape-"))
    root = args.root
    if root is None:
        root = work / "stdlib"
        shutil.copytree(
            sysconfig.get_paths()["stdlib"],
            root,
            ignore=shutil.ignore_patterns("site-packages", "__pycache__"),
            symlinks=True,
        )
    count = counter("o200k_base")
    figures: dict[str, object] = {"root": str(root)}
    try:
        warm_cache = work / "warm"
        savings: dict[str, dict[str, object]] = {}
        for name, flags in VARIANTS.items():
            out = work / f"{name}.xml"
            pack(root, warm_cache, out, flags)  # fill the caches
            _, summary = pack(root, warm_cache, out, flags)
            tokens = int(summary["tokens"])  # type: ignore[call-overload]
            figures["files"] = summary["fileCount"]
            assert tokens == count(out.read_bytes().decode("utf-8")), name
            savings[name] = {"tokens": tokens, "redactions": len(summary["redactions"])}  # type: ignore[arg-type]
        base = int(savings["none"]["tokens"])  # type: ignore[call-overload]
        for row in savings.values():
            row["saved"] = f"{100 * (1 - int(row['tokens']) / base):+.1f}%"  # type: ignore[call-overload]
        figures["savings"] = savings
        cost: dict[str, dict[str, float]] = {}
        for name in ("none", "compress"):
            cold, warm = [], []
            for k in range(args.runs):
                cache = work / f"cold-{name}-{k}"
                out = work / f"cost-{name}.xml"
                cold.append(pack(root, cache, out, VARIANTS[name])[0])
                warm.append(pack(root, cache, out, VARIANTS[name])[0])
                shutil.rmtree(cache, ignore_errors=True)
            cost[name] = {
                "cold_s": round(statistics.median(cold), 2),
                "warm_s": round(statistics.median(warm), 2),
            }
        figures["cost"] = cost
        figures["load"] = os.getloadavg()[0]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{root}: {figures['files']:,} files packed; load {figures['load']:.1f}")
    print(f"{'transform':28} {'tokens':>12} {'saved':>8}")
    for name, row in savings.items():
        print(f"{name:28} {row['tokens']:>12,} {row['saved']:>8}")
    print(f"\n{'pack':28} {'cold s':>8} {'warm s':>8}   (medians of {args.runs})")
    for name, row in cost.items():
        print(f"{name:28} {row['cold_s']:>8} {row['warm_s']:>8}")


if __name__ == "__main__":
    main()
