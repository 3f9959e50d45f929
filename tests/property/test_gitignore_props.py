"""From any folder of a git work tree, our walk lists what git lists there.

Random small trees get random ``.gitignore`` files at random levels, above the root too, plus
random ``.git/info/exclude`` and ``core.excludesFile`` sources; the root is a random folder.
The oracle is ``git ls-files --cached --others --exclude-standard`` run in the root. Nothing is
ever added to the index, so ``--cached`` adds nothing: this compares the untracked variant
(tracked-but-ignored files are a documented difference, see README "What is counted").
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcepacker.ignore import IgnoreRules
from sourcepacker.walk import walk
from sptree import git, git_listed, isolated_git_env, make_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is the oracle")

NAMES = ["a", "b", "c.txt", "d.log", "e"]
PATTERNS = [
    "*.txt", "!*.txt", "a", "a/", "/a", "!a", "!a/", "b/", "/b/", "**/c.txt", "a/**", "b/**/d.log",
    "*", "!*/", "!b", "?", "[ab]", "[!a]*", "e/*.log", "!e/d.log", "/b/c.txt", "!/e", "**/e/",
    "a/*", "!c.txt", "\\!d.log", "*.log/", "e/**/", "!**/a", "a*/", "/a/b/", "a/b/**", "!a/b",
    "b/e/", "/e/a/c.txt", "**/b/**",
]  # fmt: skip
#: Where core.excludesFile comes from: unset (git's default path), the repository's config
#: (relative to the top or absolute), or the global config with "~".
EXCLUDES_SOURCES = ["none", "default", "repo-relative", "repo-absolute", "global-tilde"]


@st.composite
def cases(
    draw: st.DrawFn,
) -> tuple[list[str], dict[str, list[str]], list[str], str, list[str], str]:
    paths = draw(st.lists(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4), max_size=14))
    files: list[str] = []
    for parts in sorted(paths, key=len, reverse=True):
        rel = "/".join(parts)
        if not any(f == rel or f.startswith(rel + "/") for f in files):
            files.append(rel)  # deepest first, so a path never becomes both file and dir
    dirs = sorted({""} | {f.rsplit("/", k)[0] for f in files for k in (1, 2, 3) if "/" in f})
    dirs = [d for d in dirs if d == "" or any(f.startswith(d + "/") for f in files)]
    root = draw(st.sampled_from([d for d in dirs if d] or [""]))
    # Most rules sit on the path from the top down to the root: those are the new ones.
    above = ["/".join(root.split("/")[:k]) for k in range(root.count("/") + 1)] if root else [""]
    patterns = st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=4)
    rules = draw(st.dictionaries(st.sampled_from(above), patterns, min_size=1))
    rules.update(draw(st.dictionaries(st.sampled_from(dirs), patterns, max_size=2)))
    info = draw(st.lists(st.sampled_from(PATTERNS), max_size=3))
    excludes = draw(st.lists(st.sampled_from(PATTERNS), max_size=3))
    return files, rules, info, root, excludes, draw(st.sampled_from(EXCLUDES_SOURCES))


def _write_excludes(top: Path, home: Path, lines: list[str], source: str) -> None:
    text = "\n".join(lines) + "\n"
    if source == "default":
        make_tree(home / ".config" / "git", {"ignore": text})
    elif source == "repo-relative":
        git(top, "config", "core.excludesFile", ".git/my-excludes")
        make_tree(top / ".git", {"my-excludes": text})
    elif source == "repo-absolute":
        git(top, "config", "core.excludesFile", str(home / "abs-excludes"))
        make_tree(home, {"abs-excludes": text})
    elif source == "global-tilde":
        make_tree(home, {".gitconfig": "[core]\n\texcludesFile = ~/glob-excludes\n",
                         "glob-excludes": text})  # fmt: skip


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_walk_from_a_subfolder_matches_git_ls_files(
    case: tuple[list[str], dict[str, list[str]], list[str], str, list[str], str],
) -> None:
    files, rules, info, root_rel, excludes, source = case
    tree: dict[str, str | bytes] = {f: "" for f in files}
    tree.update({f"{d}/.gitignore" if d else ".gitignore": "\n".join(r) for d, r in rules.items()})
    with tempfile.TemporaryDirectory() as tmp:
        home, top = Path(tmp) / "home", Path(tmp) / "repo"
        home.mkdir()
        with mock.patch.dict(os.environ, isolated_git_env(home), clear=True):
            subprocess.run(["git", "init", "-q", str(top)], check=True)
            make_tree(top, tree)
            make_tree(top / ".git" / "info", {"exclude": "\n".join(info) + "\n"})
            _write_excludes(top, home, excludes, source)
            root = top / root_rel
            result = walk(root, IgnoreRules(root, use_defaults=False), workers=2)
            ours = {f.rel for f in result.files} | {s.rel for s in result.skipped}
            assert ours == git_listed(root)
