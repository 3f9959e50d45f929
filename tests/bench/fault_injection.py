"""Fault injection on the real command line (figures, not a test): kills, full disks, damage.

    python tests/bench/fault_injection.py [--files 1500] [--kills 40] [--flips 40] [--json]

1. **kill -9 at random moments.** ``sourcepacker tokens`` runs on a tree that is edited between
   runs (same-size edits with the mtime put back among them) and is killed after a random delay
   drawn over its measured cold duration, so kills land in the walk, the counting and the cache
   write. After each kill a run to completion must exit 0 with no traceback and report, for
   every file, tiktoken's count of its current bytes. Temp files left by killed writers are
   counted, and must be gone after the next completed write (their writer's pid is dead).
2. **Write errors.** The cache goes to a 64 KiB tmpfs when one can be mounted (root), so writes
   fail with ENOSPC for real; else writes fail by injection (``os.fsync`` raising EIO/ENOSPC at
   random) in-process. Every run must still answer exactly, and a later run with room must load
   a valid cache.
3. **Random damage to the cache.** ``--flips`` runs each flip 1–8 random bits of a good cache
   file; each run must discard it (one warning) and count exactly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sourcepacker.cache import CACHE_FILE_NAME
from sourcepacker.vocab import get_encoding

_enc = get_encoding("o200k_base")
_rng = random.Random(10)
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "mu"]


def tiktoken_count(text: str) -> int:
    return len(_enc.encode_ordinary(text))


def make_tree(root: Path, files: int) -> None:
    for i in range(files):
        path = root / f"d{i % 37}" / f"sub{i % 5}" / f"f{i}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(" ".join(_rng.choice(WORDS) for _ in range(5 + i % 200)) + "\n")


def edit_some(root: Path, count: int) -> int:
    """Same-size edits, half with the mtime put back as ``cp -p`` would; returns how many."""
    files = sorted(root.rglob("*.txt"))
    for path in _rng.sample(files, min(count, len(files))):
        st = path.stat()
        text = path.read_text()
        words = text.split()
        _rng.shuffle(words)
        path.write_text(" ".join(words) + "\n")  # the same words: the same size
        if _rng.random() < 0.5:
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return count


def cli(root: Path, cache: Path, *extra: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "sourcepacker", "tokens", str(root), "--json", "--top", "0"]
    return subprocess.Popen(
        [*argv, "--cache-dir", str(cache), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_run(root: Path, cache: Path) -> dict[str, Any]:
    """Run to completion; returns figures, with ``wrong`` files and a ``traceback`` flag."""
    proc = cli(root, cache)
    out, err = proc.communicate(timeout=300)
    wrong = -1
    if proc.returncode == 0:
        rows = json.loads(out)["files"]
        wrong = sum(
            1 for r in rows if r["tokens"] != tiktoken_count((root / r["path"]).read_text())
        )
    return {"rc": proc.returncode, "wrong": wrong, "traceback": "Traceback" in err, "stderr": err}


def _wrong(root: Path, rows: list[dict[str, Any]]) -> int:
    """Files whose reported count is not tiktoken's count of their bytes now."""
    return sum(1 for r in rows if r["tokens"] != tiktoken_count((root / r["path"]).read_text()))


def temps(cache: Path) -> list[Path]:
    return list(cache.glob(f".{CACHE_FILE_NAME}.*.tmp"))


def kills(root: Path, cache: Path, runs: int) -> dict[str, Any]:
    shutil.rmtree(cache, ignore_errors=True)
    started = time.perf_counter()
    first = check_run(root, cache)
    cold = time.perf_counter() - started
    figures: dict[str, Any] = {
        "cold_seconds": round(cold, 2),
        "kills": 0,
        "exited_before_kill": 0,
        "bad_runs": 0,
        "wrong_counts": 0,
        "tracebacks": int(first["traceback"]),
        "temps_left_by_kills": 0,
        "temps_after_next_write": 0,
        "edits": 0,
    }
    for _ in range(runs):
        figures["edits"] += edit_some(root, 20)
        if _rng.random() < 0.3:
            shutil.rmtree(cache, ignore_errors=True)  # a cold run: kills land in long writes
        proc = cli(root, cache)
        time.sleep(_rng.uniform(0.0, cold))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            figures["kills"] += 1
        else:
            figures["exited_before_kill"] += 1
        proc.communicate()
        figures["temps_left_by_kills"] += len(temps(cache))
        result = check_run(root, cache)
        figures["bad_runs"] += int(result["rc"] != 0)
        figures["wrong_counts"] += max(0, result["wrong"])
        figures["tracebacks"] += int(result["traceback"])
        figures["temps_after_next_write"] += len(temps(cache))
    return figures


@contextlib.contextmanager
def tiny_tmpfs() -> Iterator[Path | None]:
    mount = Path(tempfile.mkdtemp(prefix="sp-full-"))
    ok = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield mount if ok else None
    finally:
        if ok:
            subprocess.run(["umount", str(mount)], capture_output=True)
        shutil.rmtree(mount, ignore_errors=True)


def write_errors(root: Path, cache: Path, runs: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"runs": 0, "bad_runs": 0, "wrong_counts": 0, "tracebacks": 0}
    with tiny_tmpfs() as full:
        figures["mode"] = "64 KiB tmpfs (real ENOSPC)" if full else "injected EIO/ENOSPC"
        for _ in range(runs):
            edit_some(root, 10)
            if full is not None:
                result = check_run(root, full / "cache")
            else:
                result = _injected_run(root, cache)
            figures["runs"] += 1
            figures["bad_runs"] += int(result["rc"] != 0)
            figures["wrong_counts"] += max(0, result["wrong"])
            figures["tracebacks"] += int(result["traceback"])
        if full is not None:
            figures["tmpfs_files_left"] = sorted(p.name for p in full.rglob("*"))
    after = check_run(root, cache)
    figures["run_with_room_after"] = "ok" if after["rc"] == 0 and after["wrong"] == 0 else after
    return figures


_INJECT = """
import errno, os, random, sys
rng = random.Random(int(sys.argv[1]))
real_fsync = os.fsync
def failing_fsync(fd):
    if rng.random() < 0.5:
        raise OSError(rng.choice([errno.EIO, errno.ENOSPC]), "injected")
    real_fsync(fd)
os.fsync = failing_fsync
from sourcepacker.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def _injected_run(root: Path, cache: Path) -> dict[str, Any]:
    argv = ["tokens", str(root), "--json", "--top", "0", "--cache-dir", str(cache)]
    proc = subprocess.run(
        [sys.executable, "-c", _INJECT, str(_rng.randrange(1 << 30)), *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )
    wrong = -1
    if proc.returncode == 0:
        rows = json.loads(proc.stdout)["files"]
        wrong = sum(
            1 for r in rows if r["tokens"] != tiktoken_count((root / r["path"]).read_text())
        )
    return {"rc": proc.returncode, "wrong": wrong, "traceback": "Traceback" in proc.stderr}


def flips(root: Path, cache: Path, runs: int) -> dict[str, Any]:
    check_run(root, cache)
    path = cache / CACHE_FILE_NAME
    good = path.read_bytes()
    figures: dict[str, Any] = {"runs": 0, "discarded": 0, "bad_runs": 0, "wrong_counts": 0}
    for _ in range(runs):
        damaged = bytearray(good)
        for _bit in range(_rng.randint(1, 8)):
            bit = _rng.randrange(len(damaged) * 8)
            damaged[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(damaged))
        result = check_run(root, cache)
        figures["runs"] += 1
        figures["discarded"] += int("damaged cache" in result["stderr"])
        figures["bad_runs"] += int(result["rc"] != 0)
        figures["wrong_counts"] += max(0, result["wrong"])
        good = path.read_bytes()  # the rebuilt file is the next good one
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1500)
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--write-errors", type=int, default=10)
    parser.add_argument("--flips", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sp-faults-") as tmp:
        root, cache = Path(tmp) / "ws", Path(tmp) / "cache"
        make_tree(root, args.files)
        started = time.perf_counter()
        report = {
            "files": args.files,
            "load_average": os.getloadavg(),
            "kill_9": kills(root, cache, args.kills),
            "write_errors": write_errors(root, cache, args.write_errors),
            "bit_flips": flips(root, cache, args.flips),
        }
        report["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>14}: {value}")
    failures = sum(
        report[k].get(f, 0)
        for k in ("kill_9", "write_errors", "bit_flips")
        for f in ("bad_runs", "wrong_counts", "tracebacks", "temps_after_next_write")
    )
    return 1 if failures else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
