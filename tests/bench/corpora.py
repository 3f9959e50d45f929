"""Benchmark corpora, built once under ``~/.cache/sourcepacker-bench/`` (outside the repository).

* ``stdlib``  — a copy of the running interpreter's standard library without ``site-packages``
  and ``__pycache__`` (a copy, so both tools see exactly the same files and no bytecode).
* ``large``   — a real tree from the registries, pinned: the Django sdist from PyPI
  (:data:`DJANGO`) and the ``typescript`` npm package (:data:`TYPESCRIPT`), side by side.
* ``gen1k`` … ``gen300k`` — generated trees of unique, code-like files of a few hundred bytes
  (100 files a folder: 10 folders for 1k, 10 × 10 for 10k, 10 × 10 × 10 for 100k,
  10 × 10 × 10 × 3 for 300k), deterministic.

``python tests/bench/corpora.py [NAME …]`` builds (or reports) them.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / ".bench"
#: Outside this repository: its .gitignore ignores .bench/, and git's rules from the
#: repository's top apply to any folder inside it, so a corpus there would pack as empty.
CORPORA = Path(
    os.environ.get("SOURCEPACKER_BENCH_CORPORA", Path.home() / ".cache" / "sourcepacker-bench")
)
DOWNLOADS = BENCH / "dl"

DJANGO = "5.2.19"  # pip download --no-deps --no-binary :all: django==5.2.19
TYPESCRIPT = "5.9.3"  # npm pack typescript@5.9.3

#: A deep directory of the generated trees, for listFiles latency.
GEN_DEEP_DIR = {"gen10k": "pkg03/mod07", "gen100k": "pkg03/mod07/part05"}

_WORDS = [
    "alpha",
    "beta",
    "gamma",
    "delta",
    "value",
    "result",
    "index",
    "count",
    "buffer",
    "parser",
    "token",
    "stream",
    "config",
    "handler",
    "request",
    "response",
    "session",
    "cache",
    "worker",
    "queue",
    "event",
    "state",
    "model",
    "view",
    "record",
    "field",
    "schema",
    "query",
    "filter",
    "mapper",
    "reader",
    "writer",
    "loader",
    "node",
    "tree",
    "graph",
    "edge",
    "path",
    "name",
    "size",
    "offset",
    "limit",
    "total",
    "item",
    "entry",
    "key",
]
_TEMPLATES = (
    'def {a}_{b}({c}, {d}=None):\n    """{A} the {b} of {c}."""\n'
    "    if {d} is None:\n        {d} = {n}\n    return {c}.{e}({d}) + {m}\n\n",
    "class {A}{B}:\n    {c}: int = {n}\n\n    def {d}(self, {e}):\n"
    "        self.{c} += len({e})\n        return self.{c} * {m}\n\n",
    'for {a} in range({n}):\n    {b}[{a} % {m}] = {c}({a}, "{d}-{e}")\n\n',
    '# {A} {b} {c}: {d} {e} ({n}/{m})\n{a}_{b} = [{n}, {m}, "{c}", {d}_{e}]\n\n',
    "export function {a}{B}({c}: number, {d}: string): {A} {{\n"
    "  const {e} = {c} * {n} + {m};\n  return new {A}({d}, {e});\n}}\n\n",
)
_EXTS = (".py", ".py", ".py", ".ts", ".md", ".txt", ".js", ".json")


def _text(rng: random.Random, target: int) -> str:
    parts: list[str] = []
    size = 0
    while size < target:
        w = [rng.choice(_WORDS) for _ in range(5)]
        s = rng.choice(_TEMPLATES).format(
            a=w[0],
            b=w[1],
            c=w[2],
            d=w[3],
            e=w[4],
            A=w[0].title(),
            B=w[1].title(),
            n=rng.randrange(10**6),
            m=rng.randrange(1000),
        )
        parts.append(s)
        size += len(s)
    return "".join(parts)


def _generate(dest: Path, shape: tuple[int, ...], files_per_dir: int, seed: int) -> None:
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    rng = random.Random(seed)
    names = ("pkg", "mod", "part", "sub")

    def leaves(prefix: Path, level: int):  # type: ignore[no-untyped-def]
        if level == len(shape):
            yield prefix
            return
        for i in range(shape[level]):
            yield from leaves(prefix / f"{names[level]}{i:02d}", level + 1)

    for leaf in leaves(tmp, 0):
        leaf.mkdir(parents=True)
        for j in range(files_per_dir):
            ext = _EXTS[j % len(_EXTS)]
            (leaf / f"file{j:03d}{ext}").write_text(_text(rng, rng.randrange(150, 600)))
    (tmp / ".gitignore").write_text("*.log\nbuild/\n")
    (tmp / "README.md").write_text("# generated benchmark tree\n")
    tmp.rename(dest)


def python_env() -> dict[str, str]:
    """Environment for the measured Python processes: bytecode cached, as after ``pip install``.

    Sandboxes often set ``PYTHONDONTWRITEBYTECODE=1``; an editable install then recompiles every
    module of the package at each start (~0.1-0.2 s). The bytecode goes to ``.bench/pycache``.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(BENCH / "pycache")
    return env


def stdlib_source() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def _copy_stdlib(dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(
        stdlib_source(),
        tmp,
        symlinks=True,
        ignore=shutil.ignore_patterns("site-packages", "__pycache__"),
    )
    tmp.rename(dest)


def _download(cmd: list[str], expect: Path) -> Path:
    if not expect.exists():
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        subprocess.run(cmd, cwd=DOWNLOADS, check=True)
    return expect


def _large(dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sdist = _download(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-binary",
            ":all:",
            f"django=={DJANGO}",
            "-d",
            ".",
        ],
        DOWNLOADS / f"django-{DJANGO}.tar.gz",
    )
    tgz = _download(
        ["npm", "pack", f"typescript@{TYPESCRIPT}"], DOWNLOADS / f"typescript-{TYPESCRIPT}.tgz"
    )
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp, filter="data")
    with tarfile.open(tgz) as tf:
        tf.extractall(tmp / f"typescript-{TYPESCRIPT}", filter="data")
    tmp.rename(dest)


BUILDERS = {
    "stdlib": _copy_stdlib,
    "large": _large,
    "gen1k": lambda d: _generate(d, (10,), 100, seed=1),
    "gen10k": lambda d: _generate(d, (10, 10), 100, seed=10),
    "gen100k": lambda d: _generate(d, (10, 10, 10), 100, seed=100),
    "gen300k": lambda d: _generate(d, (10, 10, 10, 3), 100, seed=300),
}


def corpus(name: str) -> Path:
    """The corpus directory, built on first use."""
    dest = CORPORA / name
    if not dest.exists():
        CORPORA.mkdir(parents=True, exist_ok=True)
        print(f"building corpus {name} in {dest} …", file=sys.stderr, flush=True)
        BUILDERS[name](dest)
    return dest


def describe(path: Path) -> tuple[int, int]:
    """(files, bytes) under ``path``."""
    files = size = 0
    for dirpath, _dirs, names in os.walk(path):
        for n in names:
            files += 1
            size += os.lstat(os.path.join(dirpath, n)).st_size
    return files, size


if __name__ == "__main__":
    if any(a.startswith("-") or a not in BUILDERS for a in sys.argv[1:]):
        print(__doc__)
        raise SystemExit(0 if {"-h", "--help"} & set(sys.argv) else 2)
    for name in sys.argv[1:] or list(BUILDERS):
        p = corpus(name)
        f, b = describe(p)
        print(f"{name:8} {f:>7} files {b / 1e6:8.1f} MB  {p}")
