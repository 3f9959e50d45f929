"""Discovery limited to event paths must agree with what a full walk reports for them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sourcepacker.ignore import IgnoreRules
from sourcepacker.targeted import walk_path
from sourcepacker.walk import FoundFile, Skipped, SkipReason, walk
from sptree import make_tree

MAX = 100


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = make_tree(
        tmp_path / "ws",
        {
            "a.py": "x = 1\n",
            "src/b.py": "y = 2\n",
            "src/deep/c.py": "z = 3\n",
            "img.PNG": "not really an image",
            "big.txt": "x" * (MAX + 1),
            ".gitignore": "*.log\nbuild-out/\n",
            "app.log": "ignored\n",
            "build-out/x.py": "ignored too\n",
            "node_modules/m.js": "default-ignored\n",
        },
    )
    (tmp_path / "outside.txt").write_text("secret\n")
    os.symlink(tmp_path / "outside.txt", ws / "out-link")
    os.symlink(ws / "a.py", ws / "in-link.py")
    os.symlink(ws / "loop", ws / "loop")
    os.symlink(ws / "missing", ws / "broken")
    os.symlink(ws / "src", ws / "src-link")
    os.mkfifo(ws / "pipe")
    return ws


def full(root: Path, rel: str) -> tuple[list[FoundFile], list[Skipped]]:
    """What a full walk says about ``rel`` and below."""
    result = walk(root, IgnoreRules(root), max_size=MAX)

    def mine(r: str) -> bool:
        return r == rel or r.startswith(rel + "/")

    return [f for f in result.files if mine(f.rel)], [s for s in result.skipped if mine(s.rel)]


@pytest.mark.parametrize(
    "rel",
    [
        pytest.param("a.py", id="file"),
        pytest.param("src", id="folder"),
        pytest.param("src/deep/c.py", id="deep-file"),
        pytest.param("img.PNG", id="binary-extension"),
        pytest.param("big.txt", id="too-large"),
        pytest.param("app.log", id="gitignored"),
        pytest.param("build-out/x.py", id="below-ignored-folder"),
        pytest.param("node_modules/m.js", id="default-ignored"),
        pytest.param("out-link", id="symlink-outside"),
        pytest.param("in-link.py", id="symlink-inside"),
        pytest.param("loop", id="symlink-loop"),
        pytest.param("broken", id="broken-symlink"),
        pytest.param("src-link", id="symlinked-folder"),
        pytest.param("pipe", id="fifo"),
        pytest.param("gone.py", id="missing"),
    ],
)
def test_agrees_with_the_full_walk(root: Path, rel: str) -> None:
    found, skipped = walk_path(root, rel, IgnoreRules(root), max_size=MAX)
    want_found, want_skipped = full(root, rel)
    assert found == want_found
    # Details may be worded differently; the reasons must match.
    assert [(s.rel, s.reason) for s in skipped] == [(s.rel, s.reason) for s in want_skipped]


def test_reasons(root: Path) -> None:
    rules = IgnoreRules(root)
    reasons = {
        rel: [s.reason for s in walk_path(root, rel, rules, max_size=MAX)[1]]
        for rel in ("img.PNG", "big.txt", "out-link", "loop", "broken", "pipe")
    }
    assert reasons == {
        "img.PNG": [SkipReason.BINARY],
        "big.txt": [SkipReason.TOO_LARGE],
        "out-link": [SkipReason.SYMLINK_OUTSIDE],
        "loop": [SkipReason.SYMLINK_LOOP],
        "broken": [SkipReason.VANISHED],
        "pipe": [SkipReason.SPECIAL],
    }


def test_include_globs_apply(root: Path) -> None:
    rules = IgnoreRules(root, include=["src/**"])
    assert walk_path(root, "a.py", rules, max_size=MAX) == ([], [])
    assert [f.rel for f in walk_path(root, "src/b.py", rules, max_size=MAX)[0]] == ["src/b.py"]
