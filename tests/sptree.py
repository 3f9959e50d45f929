"""Helpers shared by the unit, property and concurrency tests: trees on disk, a fake tokenizer.

A module rather than conftest.py, because a test cannot import from a conftest reliably
(tests/e2e has its own, and pytest swaps ``conftest`` in ``sys.modules``).

Files written by a test are "racily clean" (modified within the 2 s racy window of the engine),
so every scan would re-hash them; :func:`age` moves their mtimes into the past, as an editor's
earlier save would have, so change detection by ``(size, mtime_ns, inode)`` applies.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from sourcepacker.cache import TokenCache
from sourcepacker.engine import Engine
from sourcepacker.model import Sums, WorkspaceModel, contribution
from sourcepacker.pool import TokenizerPool
from sourcepacker.selection import ancestors, parent_of
from sourcepacker.settings import Settings

#: Far enough in the past that the racy guard (2 s) never applies.
OLD_NS = time.time_ns() - 3600 * 1_000_000_000


def make_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (relative POSIX path → text or bytes) below ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


def age(root: Path, mtime_ns: int = OLD_NS) -> None:
    """Set the mtime of every file below ``root`` (``.sourcepacker`` excluded) to ``mtime_ns``."""
    for dirpath, dirnames, filenames in os.walk(root):
        if ".sourcepacker" in dirnames:
            dirnames.remove(".sourcepacker")
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.utime(path, ns=(mtime_ns, mtime_ns))


def fake_count(text: str) -> int:
    """A cheap, deterministic stand-in for a tokenizer: whitespace words plus one.

    Capped at the byte length, as a real BPE count is (every token covers at least one byte):
    the cache refuses, as damage, a count above the size (``cache.valid_tokens``).
    """
    return min(len(text.split()) + 1, len(text.encode("utf-8", "surrogatepass")))


class FakePool(TokenizerPool):
    """The real pool (threads, batches, cache look-ups) with a fake tokenizer, and a tally."""

    def __init__(self, count: Callable[[str], int] = fake_count) -> None:
        super().__init__("fake", "thread", 2)
        self._fake = count
        self.calls = 0

    def counter(self) -> Callable[[str], int]:
        def count(text: str) -> int:
            self.calls += 1
            return self._fake(text)

        return count


def fake_pool(_settings: Settings) -> FakePool:
    """A ``pool_factory`` for engines under test."""
    return FakePool()


def assert_consistent(model: WorkspaceModel) -> None:
    """Every folder's incremental sums equal a recount of the files below it; none negative."""
    expected: dict[str, Sums] = {}
    for f in model.files.values():
        for d in ancestors(parent_of(f.rel)):
            expected.setdefault(d, Sums()).add(contribution(f))
    for rel, node in model._dirs.items():
        assert node.sums == expected.get(rel, Sums()), rel
        assert min(node.sums.files, node.sums.size, node.sums.exact, node.sums.estimated) >= 0
        for key, f in node.files.items():
            assert model.files[f.rel] is f and key is f.rel and parent_of(f.rel) == rel
    listed = {f.rel for node in model._dirs.values() for f in node.files.values()}
    assert listed == set(model.files)
    for rel in model._dirs:
        if rel:
            assert model._dirs[parent_of(rel)].dirs[rel.rsplit("/", 1)[-1]] is model._dirs[rel]


def snapshot(model: WorkspaceModel) -> dict[str, tuple[str, int | None, str | None]]:
    """What a user sees of each file: state, count and skip reason."""
    return {
        rel: (f.state.value, f.tokens, f.skip.value if f.skip else None)
        for rel, f in sorted(model.files.items())
    }


def fresh_count(root: Path, settings: Settings) -> Engine:
    """An engine that counted ``root`` from nothing (no cache, fake tokenizer): the oracle."""
    engine = Engine(root, settings, cache=TokenCache.load(None), pool_factory=fake_pool)
    engine.scan()
    engine.pool.close()
    return engine


def isolated_git_env(home: Path) -> dict[str, str]:
    """``os.environ`` without ``GIT_*``, with ``HOME`` and ``XDG_CONFIG_HOME`` below ``home``
    and no system config: the developer's own git config must not change git's answer or ours.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1")
    return env


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with the current environment; its stdout."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def git_listed(root: Path) -> set[str]:
    """``git ls-files --cached --others --exclude-standard`` run in ``root``: git's file set."""
    cmd = ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"]
    out = subprocess.run(cmd, cwd=root, check=True, capture_output=True).stdout
    return {os.fsdecode(p) for p in out.split(b"\0") if p}


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``sourcepacker ARGV`` in process: exit status, stdout, stderr."""
    from sourcepacker.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
