"""What each transform saves, per language, and what it costs.

``python tests/bench/bench_transforms.py [--max-mb 10] [--json]``

Corpora are what this machine has, read in place and never written: the running CPython's
standard library (``.py``), ``.js/.mjs/.cjs/.jsx/.ts/.tsx`` found under ``node_modules`` folders
(the user's cache, ``/usr/lib``, ``/usr/share``, ``/usr/local/lib``), ``/usr/include`` (``.h``,
C first then C++), and any ``.c/.cc/.cpp/.go/.rs/.java`` in those places and ``/usr/share``.
The stdlib is taken whole; each other language takes at most ``--max-mb`` MB of files (UTF-8
text, ≤ 2 MiB each), picked in the order of a hash of their path so the sample spreads over
packages; ``.d.ts`` files are their own row (all declarations, nothing to compress).

Prints, per language and transform: bytes and o200k_base tokens before and after, the saving,
files passed through unchanged because their tree had an error, and the speed (MB of input per
second of CPU time, one thread: the machine is shared, and CPU time moves far less with the
load than wall time). ``parse`` is tree-sitter's ``Parser.parse`` alone. No assertion on time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import sysconfig
import time
import zlib
from collections import defaultdict
from pathlib import Path

from sourcepacker.transforms import (
    _GRAMMARS_BY_SUFFIX,
    Transform,
    _parser,
    apply_transforms,
)
from sourcepacker.vocab import counter

MAX_FILE = 2 * 1024 * 1024
ROWS: dict[str, tuple[str, ...]] = {
    "python": (".py",),
    "javascript": (".js", ".mjs", ".cjs", ".jsx"),
    "typescript": (".ts", ".mts", ".cts"),
    "typescript .d.ts": (".d.ts",),
    "tsx": (".tsx",),
    "c headers": (".h",),
    "c": (".c",),
    "c++": (".cc", ".cpp", ".cxx", ".hpp", ".hh"),
    "go": (".go",),
    "rust": (".rs",),
    "java": (".java",),
}
NODE_ROWS = {"javascript", "typescript", "typescript .d.ts", "tsx"}
VARIANTS: list[tuple[str, list[Transform]]] = [
    ("remove-comments", [Transform.REMOVE_COMMENTS]),
    ("remove-empty-lines", [Transform.REMOVE_EMPTY_LINES]),
    ("compress", [Transform.COMPRESS]),
    ("compress+remove-comments+remove-empty-lines", [
        Transform.COMPRESS, Transform.REMOVE_COMMENTS, Transform.REMOVE_EMPTY_LINES,
    ]),
    ("line-numbers", [Transform.LINE_NUMBERS]),
]  # fmt: skip


def row_of(name: str) -> str | None:
    if name.endswith(".d.ts"):
        return "typescript .d.ts"
    suffix = Path(name).suffix.lower()
    return next((row for row, suffixes in ROWS.items() if suffix in suffixes), None)


def roots() -> list[tuple[Path, bool]]:
    """(folder, only below a node_modules folder?) to search."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    home = Path.home()
    return [
        (stdlib, False),
        (Path("/usr/include"), False),
        (home / ".cache", True),
        (Path("/usr/lib/node_modules"), False),
        (Path("/usr/local/lib/node_modules"), False),
        (Path("/usr/share"), False),
        (home / ".rustup", False),
        (Path("/usr/lib/go"), False),
    ]


def discover() -> dict[str, list[Path]]:
    found: dict[str, set[Path]] = defaultdict(set)
    for root, node_only in roots():
        if not root.is_dir():
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in ("site-packages", "__pycache__", ".git")]
            if node_only and "node_modules" not in folder:
                continue
            for name in files:
                row = row_of(name)
                if row == "python" and root.name != Path(sysconfig.get_paths()["stdlib"]).name:
                    continue  # Python: the stdlib only
                if row in NODE_ROWS and "node_modules" not in folder:
                    continue  # elsewhere (docs, rustdoc indexes) .js is mostly data
                if row is not None:
                    found[row].add(Path(folder, name))
    return {row: sorted(paths) for row, paths in found.items()}


def sample(paths: list[Path], max_bytes: int) -> list[tuple[str, str]]:
    """(path, text) of files in hash order until ``max_bytes``; skips binary and huge files."""
    picked: list[tuple[str, str]] = []
    total = 0
    for path in sorted(paths, key=lambda p: zlib.crc32(str(p).encode())):
        try:
            data = path.read_bytes()
            if len(data) > MAX_FILE or b"\0" in data[:8192]:
                continue
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        picked.append((str(path), text))
        total += len(data)
        if total >= max_bytes:
            break
    return picked


def measure(files: list[tuple[str, str]], count: object) -> dict[str, object]:
    assert callable(count)
    size = sum(len(t.encode()) for _, t in files)
    tokens = sum(count(t) for _, t in files)
    out: dict[str, object] = {"files": len(files), "bytes": size, "tokens": tokens}
    grammars = _GRAMMARS_BY_SUFFIX.get(Path(files[0][0]).suffix.lower(), ()) if files else ()
    if grammars:
        parser = _parser(grammars[0])
        encoded = [t.encode() for _, t in files]
        start = time.process_time()
        errors = sum(parser.parse(src).root_node.has_error for src in encoded)
        out["parse_mb_s"] = size / 1e6 / (time.process_time() - start)
        out["parse_errors"] = errors
    for name, transforms in VARIANTS:
        start = time.process_time()
        results = [apply_transforms(rel, text, transforms) for rel, text in files]
        seconds = time.process_time() - start
        unchanged = sum(r == t for r, (_, t) in zip(results, files, strict=True))
        after_bytes = sum(len(r.encode()) for r in results)
        after_tokens = sum(count(r) for r in results)
        out[name] = {
            "bytes": after_bytes,
            "tokens": after_tokens,
            "saving_pct": 100 * (1 - after_tokens / tokens) if tokens else 0.0,
            "unchanged_files": unchanged,
            "mb_s": size / 1e6 / seconds if seconds else float("inf"),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-mb", type=float, default=10.0, help="MB of files per language")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    count = counter("o200k_base")
    found = discover()
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    results: dict[str, dict[str, object]] = {}
    for row in ROWS:
        cap = 1e12 if row == "python" else args.max_mb * 1e6  # the whole stdlib, as the brief says
        files = sample(found.get(row, []), int(cap))
        if files:
            results[row] = measure(files, count)
            if not args.json:
                print_row(row, results[row])
                sys.stdout.flush()
    if args.json:
        json.dump(results, sys.stdout, indent=1)
        print()


def print_row(row: str, r: dict[str, object]) -> None:
    parse = (
        f", parse {r['parse_mb_s']:.1f} MB/s CPU, tree errors in {r['parse_errors']} files"
        if "parse_mb_s" in r
        else ""
    )
    print(
        f"\n{row}: {r['files']} files, {r['bytes'] / 1e6:.2f} MB, "  # type: ignore[operator]
        f"{r['tokens']:,} tokens{parse}"
    )
    print(
        f"  {'transform':44} {'MB after':>9} {'tokens after':>13} {'saving':>7} "
        f"{'unchanged':>9} {'MB/s CPU':>8}"
    )
    for name, _ in VARIANTS:
        v = r[name]
        assert isinstance(v, dict)
        print(
            f"  {name:44} {v['bytes'] / 1e6:9.2f} {v['tokens']:13,} {v['saving_pct']:6.1f}% "
            f"{v['unchanged_files']:9} {v['mb_s']:8.1f}"
        )


if __name__ == "__main__":
    main()
