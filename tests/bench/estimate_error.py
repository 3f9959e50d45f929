"""How wrong is the instant ``bytes / BYTES_PER_TOKEN`` estimate on real code, and what factor fits?

    python tests/bench/estimate_error.py [--max-files 1500] [--json] [DIR ...]

Default corpora: this interpreter's standard library (``.py``, ``.txt``/``.rst``/...), the
extension's ``clients/vscode/node_modules`` (``.ts``, ``.js``, ``.json``, ``.md``) and the C
headers and sources under ``/usr/include`` and ``/usr/lib`` when present. Files are grouped by
extension, de-duplicated by content, binary / non-UTF-8 ones dropped, and at most
``--max-files`` per extension are drawn at random (seeded) so a run takes seconds.

For each encoding and extension it prints the per-file relative error of ``ceil(bytes / 4)``
(``(estimate - exact) / exact``: median, p10, p90), the error of the group's total, and the
bytes per token that would make the total exact (Σ bytes / Σ tokens). ``model.py``'s
``BYTES_PER_TOKEN`` cites these figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import sysconfig
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import xxhash

from sourcepacker.vocab import counter
from sourcepacker.walk import classify_content

ENCODINGS = ("o200k_base", "cl100k_base")
CURRENT_FACTOR = 4.0
EXTENSIONS = {
    ".py", ".pyi", ".ts", ".js", ".mjs", ".cjs", ".json", ".md", ".rst", ".txt", ".c", ".h",
    ".html", ".css", ".toml", ".yaml", ".yml", ".sh",
}  # fmt: skip
SKIP_DIRS = {"site-packages", "__pycache__", ".git"}
MAX_BYTES = 2 * 1024 * 1024  # the engine's default size cap


def default_roots() -> list[Path]:
    repo = Path(__file__).resolve().parents[2]
    roots = [Path(sysconfig.get_paths()["stdlib"]), repo / "clients" / "vscode" / "node_modules"]
    roots += [Path("/usr/include"), Path("/usr/lib/python3")]
    return [r for r in roots if r.is_dir()]


def collect(roots: Sequence[Path], max_files: int, seed: int) -> dict[str, list[bytes]]:
    """extension → distinct file contents, at most ``max_files`` each."""
    paths: dict[str, list[Path]] = defaultdict(list)
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
            for name in filenames:
                ext = os.path.splitext(name)[1].lower()
                if ext in EXTENSIONS:
                    paths[ext].append(Path(dirpath, name))
    rng = random.Random(seed)
    out: dict[str, list[bytes]] = {}
    for ext, found in sorted(paths.items()):
        rng.shuffle(found)
        seen: set[int] = set()
        texts: list[bytes] = []
        for p in found:
            if len(texts) >= max_files:
                break
            try:
                if p.stat().st_size > MAX_BYTES:
                    continue
                data = p.read_bytes()
            except OSError:
                continue
            digest = xxhash.xxh3_64_intdigest(data)
            if not data or digest in seen or classify_content(data) is not None:
                continue
            seen.add(digest)
            texts.append(data)
        if texts:
            out[ext] = texts
    return out


def quantile(xs: list[float], q: float) -> float:
    return (
        statistics.quantiles(xs, n=100, method="inclusive")[round(q * 100) - 1]
        if len(xs) > 1
        else xs[0]
    )


def measure(groups: dict[str, list[bytes]], encoding: str) -> dict[str, dict[str, float]]:
    count = counter(encoding)
    rows: dict[str, dict[str, float]] = {}
    all_bytes = all_tokens = 0
    all_rel: list[float] = []
    for ext, datas in groups.items():
        rel: list[float] = []
        per_file_bpt: list[float] = []
        total_b = total_t = 0
        for data in datas:
            tokens = count(data.decode("utf-8"))
            if tokens == 0:
                continue
            est = math.ceil(len(data) / CURRENT_FACTOR)
            rel.append((est - tokens) / tokens)
            per_file_bpt.append(len(data) / tokens)
            total_b += len(data)
            total_t += tokens
        if not rel:
            continue
        rows[ext] = summary(rel, per_file_bpt, total_b, total_t)
        all_rel += rel
        all_bytes += total_b
        all_tokens += total_t
    rows["ALL"] = summary(all_rel, [], all_bytes, all_tokens)
    return rows


def summary(rel: list[float], bpt: list[float], total_b: int, total_t: int) -> dict[str, float]:
    est_total = total_b / CURRENT_FACTOR
    return {
        "files": len(rel),
        "mb": total_b / 1e6,
        "median": statistics.median(rel),
        "p10": quantile(rel, 0.10),
        "p90": quantile(rel, 0.90),
        "total_error": (est_total - total_t) / total_t,
        "bytes_per_token_total": total_b / total_t,
        "bytes_per_token_median_file": statistics.median(bpt) if bpt else float("nan"),
    }


def best_single_factor(groups: dict[str, list[bytes]], encoding: str) -> dict[str, float]:
    """Σ bytes / Σ tokens over every file (exact total), and the factor minimising the
    median absolute per-file error, searched from 3.0 to 5.0 by 0.05."""
    count = counter(encoding)
    pairs = [(len(d), count(d.decode("utf-8"))) for ds in groups.values() for d in ds]
    pairs = [(b, t) for b, t in pairs if t]
    total = sum(b for b, _ in pairs) / sum(t for _, t in pairs)
    best, best_err = CURRENT_FACTOR, float("inf")
    for i in range(41):
        f = 3.0 + i * 0.05
        err = statistics.median(abs(math.ceil(b / f) - t) / t for b, t in pairs)
        if err < best_err:
            best, best_err = f, err
    cur = statistics.median(abs(math.ceil(b / CURRENT_FACTOR) - t) / t for b, t in pairs)
    return {
        "total_factor": total,
        "median_abs_error_factor": best,
        "median_abs_error_at_best": best_err,
        "median_abs_error_at_4": cur,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("roots", nargs="*", type=Path)
    p.add_argument("--max-files", type=int, default=1500, help="per extension")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    roots = args.roots or default_roots()
    groups = collect(roots, args.max_files, args.seed)
    result = {
        "roots": [str(r) for r in roots],
        "factor": CURRENT_FACTOR,
        "encodings": {
            enc: {"by_extension": measure(groups, enc), "fit": best_single_factor(groups, enc)}
            for enc in ENCODINGS
        },
    }
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
    print("roots:", ", ".join(result["roots"]))  # type: ignore[arg-type]
    print(f"estimate = ceil(bytes / {CURRENT_FACTOR}); relative error = (estimate - exact) / exact")
    for enc, res in result["encodings"].items():  # type: ignore[attr-defined]
        print(f"\n{enc}")
        print(
            f"{'ext':6} {'files':>6} {'MB':>6} {'median':>8} {'p10':>8} {'p90':>8}"
            f" {'total':>8} {'B/tok Σ':>8} {'B/tok med':>9}"
        )
        for ext, r in res["by_extension"].items():
            print(
                f"{ext:6} {r['files']:6.0f} {r['mb']:6.1f} {r['median']:+8.1%} {r['p10']:+8.1%}"
                f" {r['p90']:+8.1%} {r['total_error']:+8.1%} {r['bytes_per_token_total']:8.2f}"
                f" {r['bytes_per_token_median_file']:9.2f}"
            )
        fit = res["fit"]
        print(
            f"fit: Σbytes/Σtokens = {fit['total_factor']:.2f}; factor with the least median"
            f" |error| per file = {fit['median_abs_error_factor']:.2f}"
            f" ({fit['median_abs_error_at_best']:.1%} vs {fit['median_abs_error_at_4']:.1%} at 4)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
