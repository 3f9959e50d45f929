"""What following git's rules from the work tree's top costs a walk, and what the index would.

Builds a generated tree (``--files``, default 100k) at ``TMP/repo/sub``; a ``.gitignore`` at
``TMP/repo`` holds six typical lines. It times, median of ``--runs``:

- the walk of ``sub`` inside the work tree (patterns matched against ``sub/…`` paths) and the
  same walk once ``.git`` is moved away (outside any work tree: no prefix, no rules above);
- the first load of the root's rules (work tree discovery plus ``git config`` for
  ``core.excludesFile``);
- CPU time of 100k ``fullmatch`` calls alone (no I/O, so the load matters less): the root's
  rules with the prefix ``sub/`` against the same rules written at the root, and without the
  six lines above;
- ``git ls-files --cached --ignored --exclude-standard`` after ``git add -A`` of the whole
  tree: what honouring tracked-but-ignored files would cost per rules load (not done).

    python tests/bench/bench_gitignore.py [--files 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpora import _generate

from sourcepacker.engine import WALK_WORKERS
from sourcepacker.ignore import DirRules, IgnoreRules, parse_lines
from sourcepacker.walk import walk

#: Six typical lines that match nothing in the generated tree: both walks list the same files.
TOP_IGNORE = "*.log\n/build\nsub/zzz/\n**/tmp/\n*.bak\n!keep.bak\n"


def timed(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def match_cost(runs: int) -> dict[str, float]:
    """Median CPU seconds of 100k file-name matches for three rule sets."""
    defaults = "\n".join(IgnoreRules.DEFAULT_IGNORES)
    own = "*.log\nbuild/\n"  # what corpora._generate writes at the root
    variants = {
        "top rules, prefix sub/": DirRules(
            (parse_lines(own, "sub/"), parse_lines(TOP_IGNORE, ""), parse_lines(defaults, "sub/")),
            prefix="sub/",
        ),
        "same rules at the root": DirRules(
            (parse_lines(own + TOP_IGNORE.replace("sub/", ""), ""), parse_lines(defaults, ""))
        ),
        "no rules above the root": DirRules((parse_lines(own, ""), parse_lines(defaults, ""))),
    }
    rels = [f"pkg{i % 10:02d}/mod{i // 10 % 10:02d}/file{i % 100:03d}.py" for i in range(100_000)]
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, rules in variants.items():
            assert rules.file_re is not None
            match, prefix = rules.file_re.fullmatch, rules.prefix
            start = time.process_time()
            for rel in rels:
                match(prefix + rel)
            cpu[name].append(time.process_time() - start)
    return {name: statistics.median(times) for name, times in cpu.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    dirs = max(1, args.files // 100)
    shape = (10, 10, dirs // 100) if dirs >= 100 else (dirs,)
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1"}
    print(f"load: {os.getloadavg()}  nproc: {os.cpu_count()}", flush=True)
    for name, cpu in match_cost(args.runs).items():
        print(f"100k matches, {name}: {cpu * 1000:.0f} ms CPU")
    with tempfile.TemporaryDirectory() as tmp:
        top, sub = Path(tmp) / "repo", Path(tmp) / "repo" / "sub"
        top.mkdir()
        _generate(sub, shape, 100, seed=7)
        subprocess.run(["git", "init", "-q", str(top)], check=True, env=env)
        (top / ".gitignore").write_text(TOP_IGNORE)

        def walk_sub() -> int:
            return len(walk(sub, IgnoreRules(sub), workers=WALK_WORKERS).files)

        moved = Path(tmp) / "moved.git"
        n_in, n_out, ins, outs = walk_sub(), 0, [], []
        for _ in range(args.runs):  # interleaved: the machine's load drifts between runs
            ins.append(timed(walk_sub, 1))
            shutil.move(top / ".git", moved)
            n_out = n_out or walk_sub()
            outs.append(timed(walk_sub, 1))
            shutil.move(moved, top / ".git")
        load = timed(lambda: IgnoreRules(sub).dir_rules(""), args.runs * 4)
        inside, outside = statistics.median(ins), statistics.median(outs)
        print(f"walk inside the work tree: {inside * 1000:.0f} ms ({n_in} files)")
        print(f"walk outside any work tree: {outside * 1000:.0f} ms ({n_out} files)")
        print(f"rules load (discovery + git config): {load * 1000:.1f} ms")
        start = time.perf_counter()
        subprocess.run(["git", "add", "-A"], cwd=top, check=True, env=env)
        print(f"git add -A: {time.perf_counter() - start:.1f} s")
        cmd = ["git", "ls-files", "--cached", "--ignored", "--exclude-standard", "-z"]
        ls = timed(lambda: subprocess.run(cmd, cwd=sub, check=True, capture_output=True), 3)
        print(f"git ls-files -ci --exclude-standard: {ls * 1000:.0f} ms")
    print(f"load: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
