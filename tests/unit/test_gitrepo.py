"""Finding the work tree by walking up, and reading ``core.excludesFile`` with or without git."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from sourcepacker.gitrepo import WorkTree, excludes_file, find_work_tree, parse_config_value
from sptree import git, isolated_git_env, make_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git makes the repositories")


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("home")
    with mock.patch.dict(os.environ, isolated_git_env(home), clear=True):
        yield


def init(path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    make_tree(path, files or {"f.txt": "x"})
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    return path


def test_top_subfolder_and_file(tmp_path: Path) -> None:
    top = init(tmp_path / "repo", {"a/b/c.txt": "x"})
    expected = WorkTree(top, top / ".git", top / ".git")
    assert find_work_tree(top) == expected
    assert find_work_tree(top / "a" / "b") == expected
    assert find_work_tree(top / "a" / "b" / "c.txt") == expected
    assert expected.relative(top / "a" / "b") == "a/b"
    assert expected.relative(top) == ""


def test_outside_any_repository(tmp_path: Path) -> None:
    assert find_work_tree(tmp_path) is None
    assert find_work_tree(tmp_path / "missing") is None


def test_inside_the_git_dir_is_no_work_tree(tmp_path: Path) -> None:
    top = init(tmp_path / "repo")
    assert find_work_tree(top / ".git" / "refs") is None


def test_a_dot_git_without_head_is_skipped_like_git_does(tmp_path: Path) -> None:
    top = init(tmp_path / "repo")
    (top / "sub" / ".git").mkdir(parents=True)  # an empty folder named .git: not a repository
    tree = find_work_tree(top / "sub")
    assert tree is not None and tree.top == top


def test_symlinked_path_resolves_to_the_real_top(tmp_path: Path) -> None:
    top = init(tmp_path / "repo", {"a/x": ""})
    (tmp_path / "link").symlink_to(top / "a")
    tree = find_work_tree(tmp_path / "link")
    assert tree is not None and tree.top == top and tree.relative(tmp_path / "link") == "a"


def test_linked_worktree(tmp_path: Path) -> None:
    top = init(tmp_path / "repo")
    git(top, "worktree", "add", "-q", str(tmp_path / "wt"))
    tree = find_work_tree(tmp_path / "wt")
    assert tree == WorkTree(tmp_path / "wt", top / ".git" / "worktrees" / "wt", top / ".git")


def test_submodule(tmp_path: Path) -> None:
    lib = init(tmp_path / "lib")
    top = init(tmp_path / "repo")
    git(top, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "lib")
    tree = find_work_tree(top / "lib")
    assert tree == WorkTree(top / "lib", top / ".git" / "modules" / "lib",
                            top / ".git" / "modules" / "lib")  # fmt: skip


CONFIGS = [
    "[core]\n\texcludesFile = /a/b\n",
    "[core]\nexcludesfile=/a/b\n[core]\n  ExcludesFile = /c/d # comment\n",
    '[core]\n\texcludesFile = "/with space/x" ; c\n',
    '[Core]\n\texcludesFile = "/q\\"uote\\\\s"\n',
    '[core "sub"]\n\texcludesFile = /no\n',
    "[user]\n\texcludesFile = /no\n",
    "# [core]\n; excludesFile = /no\n",
    "[core] excludesFile = /same/line\n",
]


@pytest.mark.parametrize("text", CONFIGS)
def test_fallback_parser_agrees_with_git(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config"
    path.write_text(text)
    proc = subprocess.run(
        ["git", "config", "--file", str(path), "--get", "core.excludesFile"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    expected = proc.stdout.removesuffix("\n") if proc.returncode == 0 else None
    assert parse_config_value(text, "core", "excludesfile") == expected


def test_default_excludes_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = find_work_tree(init(tmp_path / "repo"))
    assert tree is not None
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert excludes_file(tree) == tmp_path / "xdg" / "git" / "ignore"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert excludes_file(tree) == Path(os.environ["HOME"]) / ".config" / "git" / "ignore"
    git(tree.top, "config", "core.excludesFile", "")
    assert excludes_file(tree) is None  # set but empty: git reads none


def test_excludes_file_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = find_work_tree(init(tmp_path / "repo"))
    assert tree is not None
    git(tree.top, "config", "core.excludesFile", "~/x")
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    assert excludes_file(tree) == Path(os.environ["HOME"]) / "x"
