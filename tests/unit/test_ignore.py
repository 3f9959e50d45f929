"""Ignore rules: conformance against git itself, then our own sources and globs."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sourcepacker.ignore import IgnoreRules, is_rules_file, parse_pattern
from sourcepacker.walk import walk
from sptree import git, git_listed, isolated_git_env, make_tree

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is the oracle")

Tree = dict[str, str | bytes]


@pytest.fixture(autouse=True)
def _isolated_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # Both git and our rules read the user's config (core.excludesFile): isolate both.
    home = tmp_path_factory.mktemp("home")
    with mock.patch.dict(os.environ, isolated_git_env(home), clear=True):
        yield


def make_repo(root: Path, tree: Tree, exclude: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    make_tree(root, tree)
    if exclude is not None:
        (root / ".git" / "info").mkdir(parents=True, exist_ok=True)
        (root / ".git" / "info" / "exclude").write_text(exclude, encoding="utf-8", newline="")
    return root


def git_files(root: Path) -> set[str]:
    return git_listed(root)


def our_files(root: Path, **kwargs: object) -> set[str]:
    rules = IgnoreRules(root, use_defaults=False, **kwargs)  # type: ignore[arg-type]
    result = walk(root, rules, workers=2)
    return {f.rel for f in result.files} | {s.rel for s in result.skipped}


CASES = [
    pytest.param(
        {
            ".gitignore": "*.log\n!keep.log\n",
            "a.log": "",
            "keep.log": "",
            "s/b.log": "",
            "s/keep.log": "",
            "s/c.txt": "",
        },
        id="negation",
    ),
    pytest.param(
        {
            ".gitignore": "*.txt\n",
            "s/.gitignore": "!important.txt\n",
            "s/important.txt": "",
            "s/other.txt": "",
            "important.txt": "",
            "s/t/important.txt": "",
        },
        id="nested-negation-overrides-parent",
    ),
    pytest.param(
        {
            ".gitignore": "!*.md\n",
            "s/.gitignore": "*.md\n",
            "a.md": "",
            "s/b.md": "",
            "s/t/c.md": "",
        },
        id="nested-rule-overrides-parent-negation",
    ),
    pytest.param(
        {
            ".gitignore": "/top.txt\nmid/file.txt\nname.txt\n",
            "top.txt": "",
            "s/top.txt": "",
            "mid/file.txt": "",
            "s/mid/file.txt": "",
            "name.txt": "",
            "s/t/name.txt": "",
            "s/.gitignore": "/local.txt\n",
            "s/local.txt": "",
            "s/t/local.txt": "",
            "local.txt": "",
        },
        id="anchored-vs-unanchored",
    ),
    pytest.param(
        {
            ".gitignore": "logs/\n",
            "logs/a.txt": "",
            "s/logs": "a file, not a dir",
            "s/t/logs/b.txt": "",
        },
        id="dir-only",
    ),
    pytest.param(
        {
            ".gitignore": "**/foo\nabc/**\na/**/b\nx/**/y/\n",
            "foo": "",
            "s/foo": "",
            "s/t/foo/z": "",
            "abc/d/e": "",
            "abc2": "",
            "s/abc/e": "",
            "a/b": "",
            "a/q/b": "",
            "a/q/r/b": "",
            "a/bb": "",
            "x/y/1": "",
            "x/p/y/2": "",
            "x/q/y": "a file",
        },
        id="double-star",
    ),
    pytest.param(
        {
            ".gitignore": "foo**/bar\nq**\n**z\nm/**n\n",
            "foo/bar": "",
            "fooo/k/bar": "",
            "foox/bar": "",
            "qq/r": "",
            "s/q1": "",
            "zz/z": "",
            "s/az": "",
            "m/nn": "",
            "m/o/n": "",
        },
        id="double-star-not-special",
    ),
    pytest.param(
        {
            ".gitignore": "\\#hash.txt\n\\!bang.txt\nsp\\ \ntrail.txt   \n#comment.txt\n",
            "#hash.txt": "",
            "!bang.txt": "",
            "sp ": "",
            "sp": "",
            "trail.txt": "",
            "trail.txt   ": "",
            "#comment.txt": "",
        },
        id="escapes-and-trailing-spaces",
    ),
    pytest.param(
        {
            ".gitignore": "[abc].txt\n[!abc].md\n[a-c]x\n[[:digit:]]*.dat\n[abc\n[]]y\n\\[k\n",
            "a.txt": "",
            "d.txt": "",
            "a.md": "",
            "d.md": "",
            "bx": "",
            "dx": "",
            "1.dat": "",
            "x1.dat": "",
            "[abc": "",
            "]y": "",
            "[k": "",
        },
        id="bracket-classes",
    ),
    pytest.param(
        {
            ".gitignore": "?.txt\nsub/*.txt\n",
            "é.txt": "",
            "a.txt": "",
            "ab.txt": "",
            "sub/x.txt": "",
            "sub/deep/y.txt": "",
        },
        id="question-mark-matches-a-byte",
    ),
    pytest.param(
        {
            ".gitignore": "build/\n!build/keep.txt\nout/*\n!out/keep.txt\n",
            "build/keep.txt": "",
            "build/x.txt": "",
            "out/keep.txt": "",
            "out/x.txt": "",
            "out/d/keep.txt": "",
        },
        id="excluded-parent-cannot-be-reincluded",
    ),
    pytest.param(
        {".gitignore": "a.txt\r\nb.txt  \r\n", "a.txt": "", "b.txt": "", "c.txt": ""},
        id="crlf",
    ),
    pytest.param(
        {".gitignore": b"\xef\xbb\xbfbom.txt\n", "bom.txt": "", "c.txt": ""},
        id="utf8-bom",
    ),
]


@pytest.mark.parametrize("tree", CASES)
def test_matches_git(tmp_path: Path, tree: Tree) -> None:
    root = make_repo(tmp_path / "repo", tree)
    assert our_files(root) == git_files(root)


def test_info_exclude_has_lowest_priority(tmp_path: Path) -> None:
    tree: Tree = {".gitignore": "!secret2\n", "secret1": "", "secret2": "", "s/secret3": ""}
    root = make_repo(tmp_path / "repo", tree, exclude="# local\nsecret*\n")
    assert our_files(root) == git_files(root) == {".gitignore", "secret2"}


NAMES = ["a", "b", "c.txt", "d.log", "e"]
PATTERNS = [
    "*.txt", "!*.txt", "a", "a/", "/a", "!a", "!a/", "b/", "/b/", "**/c.txt", "a/**", "b/**/d.log",
    "*", "!b", "?", "[ab]", "[!a]*", "e/*.log", "!e/d.log", "/b/c.txt", "!/e", "**/e/", "a/*",
    "!c.txt", "d.log ", "\\!d.log", "*.log/", "e/**/", "!**/a", "a*/",
]  # fmt: skip


@st.composite
def repos(draw: st.DrawFn) -> tuple[list[str], dict[str, list[str]]]:
    paths = draw(st.lists(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3), max_size=12))
    files: list[str] = []
    for parts in sorted(paths, key=len, reverse=True):
        rel = "/".join(parts)
        if not any(f == rel or f.startswith(rel + "/") for f in files):
            files.append(rel)  # deepest first, so a path never becomes both file and dir
    dirs = sorted({""} | {f.rsplit("/", 1)[0] for f in files if "/" in f})
    rules = draw(st.dictionaries(st.sampled_from(dirs), st.lists(st.sampled_from(PATTERNS))))
    return files, rules


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repos())
def test_matches_git_on_random_trees(repo: tuple[list[str], dict[str, list[str]]]) -> None:
    files, rules = repo
    tree: Tree = {f: "" for f in files}
    tree.update({f"{d}/.gitignore" if d else ".gitignore": "\n".join(r) for d, r in rules.items()})
    with tempfile.TemporaryDirectory() as tmp:
        root = make_repo(Path(tmp) / "repo", tree)
        assert our_files(root) == git_files(root)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("", None, id="blank"),
        pytest.param("# note", None, id="comment"),
        pytest.param("   ", None, id="only-spaces"),
        pytest.param("!", None, id="bare-bang"),
    ],
)
def test_lines_that_are_no_pattern(line: str, expected: None) -> None:
    assert parse_pattern(line) is expected


def test_sourcepackerignore_beats_gitignore_at_same_level(tmp_path: Path) -> None:
    tree: Tree = {".gitignore": "*.md\n", ".sourcepackerignore": "!README.md\nnotes/\n",
                  "README.md": "", "x.md": "", "notes/a.txt": "", "s/.gitignore": "!x.md\n",
                  "s/x.md": ""}  # fmt: skip
    root = make_repo(tmp_path / "repo", tree)
    assert our_files(root) == {".gitignore", ".sourcepackerignore", "README.md",
                               "s/.gitignore", "s/x.md"}  # fmt: skip


def test_user_exclude_beats_every_ignore_file(tmp_path: Path) -> None:
    tree: Tree = {"s/.gitignore": "!*.txt\n", "s/a.txt": "", "s/keep.txt": "", "b.py": ""}
    root = make_repo(tmp_path / "repo", tree)
    assert our_files(root, exclude=["*.txt", "!keep.txt"]) == {"s/.gitignore", "s/keep.txt",
                                                              "b.py"}  # fmt: skip


@pytest.mark.parametrize(
    ("include", "expected"),
    [
        pytest.param(["*.py"], {"a.py", "src/b.py", "src/deep/c.py"}, id="basename"),
        pytest.param(["src/"], {"src/b.py", "src/x.txt", "src/deep/c.py"}, id="directory"),
        pytest.param(["/src/*.py"], {"src/b.py"}, id="anchored"),
        pytest.param(["*.py", "!c.py"], {"a.py", "src/b.py"}, id="negated"),
    ],
)
def test_include_globs(tmp_path: Path, include: list[str], expected: set[str]) -> None:
    tree: Tree = {"a.py": "", "src/b.py": "", "src/x.txt": "", "src/deep/c.py": ""}
    root = make_repo(tmp_path / "repo", tree)
    assert our_files(root, include=include) == expected
    rules = IgnoreRules(root, include=include)
    assert {rel for rel in tree if rules.is_included(rel)} == expected


def test_defaults(tmp_path: Path) -> None:
    tree: Tree = {"node_modules/x/i.js": "", ".venv/lib/a.py": "", "pkg/__pycache__/m.pyc": "",
                  "m.pyc": "", ".DS_Store": "", "build/o.txt": "", "package-lock.json": "",
                  "uv.lock": "", "src/app.py": "", "src/build/keep.txt": "", "src/.gitignore":
                  "!build/\n"}  # fmt: skip
    root = make_repo(tmp_path / "repo", tree)
    found = {f.rel for f in walk(root, IgnoreRules(root)).files}
    assert found == {"package-lock.json", "uv.lock", "src/app.py", "src/.gitignore",
                     "src/build/keep.txt"}  # fmt: skip
    assert our_files(root) == set(tree)  # use_defaults=False: only .git stays out


def test_defaults_are_a_class_level_list(tmp_path: Path) -> None:
    class OnlyTxt(IgnoreRules):
        DEFAULT_IGNORES = ("*.txt",)

    rules = OnlyTxt(tmp_path)
    assert rules.is_ignored("a.txt", False)
    assert not rules.is_ignored("node_modules", True)


def test_is_ignored_without_a_walk_sees_excluded_parents(tmp_path: Path) -> None:
    tree: Tree = {".gitignore": "build/\n!build/keep.txt\n", "s/.gitignore": "*.tmp\n"}
    root = make_repo(tmp_path / "repo", tree)
    rules = IgnoreRules(root, use_defaults=False)
    assert rules.is_ignored("build/keep.txt", False)
    assert rules.is_ignored("s/t/x.tmp", False)
    assert not rules.is_ignored("s/t/x.py", False)
    assert rules.is_ignored(".git", True)
    assert rules.is_ignored(".git/config", False)


def test_invalidate_rereads_an_ignore_file(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"s/.gitignore": "*.a\n"})
    rules = IgnoreRules(root)
    assert rules.is_ignored("s/x.a", False)
    (root / "s" / ".gitignore").write_text("*.b\n")
    assert rules.is_ignored("s/x.a", False)  # cached until told
    rules.invalidate("s")
    assert not rules.is_ignored("s/x.a", False)
    assert rules.is_ignored("s/t/x.b", False)
    (root / ".gitignore").write_text("s/\n")
    rules.invalidate()
    assert rules.is_ignored("s/x.c", False)


# --- a root below the top of its work tree --------------------------------------------------

SUBFOLDER_CASES = [
    pytest.param(
        {".gitignore": "secret.env\n*.log\n", "src/secret.env": "", "src/x.log": "",
         "src/a.py": "", "src/t/y.log": ""},
        "src", id="top-gitignore-applies",
    ),
    pytest.param(
        {".gitignore": "/build\nsrc/gen/\n/src/t/*.txt\n", "src/build/a": "", "build/b": "",
         "src/gen/c": "", "src/t/gen/d": "", "src/t/e.txt": "", "src/t/u/f.txt": ""},
        "src", id="anchored-top-patterns-stay-anchored",
    ),
    pytest.param(
        {".gitignore": "*.md\n", "a/.gitignore": "!keep.md\n", "a/b/keep.md": "",
         "a/b/x.md": "", "a/b/.gitignore": "x.md\n!y.md\n", "a/b/y.md": ""},
        "a/b", id="levels-between-top-and-root",
    ),
    pytest.param(
        {".gitignore": "**/gen/**\na/**/z\n", "a/b/gen/k": "", "a/b/z": "", "a/b/c/z": "",
         "a/b/zz": ""},
        "a/b", id="double-star-across-the-root",
    ),
    pytest.param(
        {".gitignore": "a/b/\n", "a/b/c/x": "", "a/b/y": ""}, "a/b/c", id="root-inside-ignored-dir"
    ),
    pytest.param(
        {".gitignore": "c\n", "a/.gitignore": "!c\n", "a/c/x": ""}, "a/c",
        id="root-re-included-by-a-negation",
    ),
    pytest.param(
        {".gitignore": "*\n!*/\n!*.py\n", "a/x.py": "", "a/y.txt": ""}, "a",
        id="ignore-all-but-python",
    ),
    pytest.param(
        {".gitignore": "é/\n?.txt\n", "s/é/a": "", "s/ü.txt": "", "s/ab.txt": ""}, "s",
        id="non-ascii",
    ),
    pytest.param(
        {".gitignore": "ü.txt\n", "ü/é.txt": "", "ü/ü.txt": "", "ü/.gitignore": "é.txt\n"}, "ü",
        id="non-ascii-root",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("tree", "sub"), SUBFOLDER_CASES)
def test_subfolder_root_matches_git(tmp_path: Path, tree: Tree, sub: str) -> None:
    top = make_repo(tmp_path / "repo", tree)
    root = top / sub
    assert our_files(root) == git_files(root)


def test_root_inside_an_ignored_folder_says_so(tmp_path: Path) -> None:
    top = make_repo(tmp_path / "repo", {".gitignore": "out/\n", "out/sub/a.txt": ""})
    rules = IgnoreRules(top / "out" / "sub")
    assert rules.root_ignored
    assert rules.is_ignored("a.txt", False)
    assert not IgnoreRules(top).root_ignored


def test_outside_a_work_tree_nothing_above_applies(tmp_path: Path) -> None:
    make_tree(tmp_path, {".gitignore": "*.txt\n", "s/a.txt": "", "s/.git": "not a repo"})
    rules = IgnoreRules(tmp_path / "s", use_defaults=False)
    assert rules.work_tree is None
    assert rules.outside_files == ()
    assert not rules.is_ignored("a.txt", False)


def test_info_exclude_and_global_excludes_apply_from_a_subfolder(tmp_path: Path) -> None:
    tree: Tree = {"s/a.secret": "", "s/b.tmp": "", "s/t/c.tmp": "", "s/d.txt": "", "s/e": ""}
    top = make_repo(tmp_path / "repo", tree, exclude="*.secret\n/s/e\n")
    ignore = Path(os.environ["XDG_CONFIG_HOME"]) / "git" / "ignore"
    make_tree(ignore.parent, {"ignore": "*.tmp\n!c.tmp\n"})
    assert our_files(top / "s") == git_files(top / "s") == {"t/c.tmp", "d.txt"}
    rules = IgnoreRules(top / "s")
    assert set(rules.outside_files) >= {top / ".git" / "info" / "exclude", ignore,
                                        top / ".gitignore"}  # fmt: skip


@pytest.mark.parametrize(
    ("value", "where"),
    [
        pytest.param("my-ignore", "top", id="relative-to-top"),
        pytest.param("~/my-ignore", "home", id="tilde"),
        pytest.param("ABSOLUTE", "elsewhere", id="absolute"),
    ],
)
def test_core_excludes_file_from_repo_config(tmp_path: Path, value: str, where: str) -> None:
    top = make_repo(tmp_path / "repo", {"s/a.log": "", "s/b.txt": "", "s/my-ignore": "*.txt"})
    home = Path(os.environ["HOME"])
    target = {"top": top, "home": home, "elsewhere": tmp_path / "x"}[where] / "my-ignore"
    make_tree(target.parent, {target.name: "*.log\n"})
    git(top, "config", "core.excludesFile", str(target) if value == "ABSOLUTE" else value)
    assert our_files(top / "s") == git_files(top / "s") == {"b.txt", "my-ignore"}


def test_core_excludes_file_from_global_config(tmp_path: Path) -> None:
    top = make_repo(tmp_path / "repo", {"s/a.log": "", "s/b.txt": ""})
    home = Path(os.environ["HOME"])
    make_tree(home, {".gitconfig": '[core]\n\texcludesFile = "~/global ignore" ; note\n',
                     "global ignore": "*.log\n"})  # fmt: skip
    assert our_files(top / "s") == git_files(top / "s") == {"b.txt"}


def test_core_excludes_file_without_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    top = make_repo(tmp_path / "repo", {"s/a.log": "", "s/b.txt": "", "s/c.md": ""})
    home = Path(os.environ["HOME"])
    make_tree(home, {".gitconfig": "[core]\n\texcludesFile = ~/gi\n", "gi": "*.log\n"})
    git(top, "config", "core.excludesFile", "~/gi2")  # the repository's config wins
    make_tree(home, {"gi2": "*.md\n"})
    expected = git_files(top / "s")
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))
    assert our_files(top / "s") == expected == {"a.log", "b.txt"}


def test_linked_worktree_reads_the_common_info_exclude(tmp_path: Path) -> None:
    top = make_repo(tmp_path / "repo", {"s/a.txt": "", "s/b.py": ""}, exclude="*.txt\n")
    git(top, "add", "-A")
    git(top, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    git(top, "worktree", "add", "-q", str(tmp_path / "wt"))
    make_tree(tmp_path / "wt", {"s/c.txt": "", "s/d.py": ""})
    root = tmp_path / "wt" / "s"
    rules = IgnoreRules(root)
    assert rules.work_tree is not None and rules.work_tree.common_dir == top / ".git"
    assert top / ".git" / "info" / "exclude" in rules.outside_files
    # git also lists the committed (tracked) a.txt, which its own exclude names: see README.
    assert our_files(root) == git_files(root) - {"a.txt"} == {"b.py", "d.py"}


def test_tracked_but_ignored_files_stay_ignored(tmp_path: Path) -> None:
    top = make_repo(tmp_path / "repo", {".gitignore": "*.env\n", "s/a.env": "", "s/b.py": ""})
    git(top, "add", "-f", "s/a.env")
    assert git_files(top / "s") == {"a.env", "b.py"}
    assert our_files(top / "s") == {"b.py"}  # decided: the rules decide, not the index


def test_nested_repositories_and_submodules_are_walked(tmp_path: Path) -> None:
    top = make_repo(tmp_path / "repo", {".gitignore": "*.log\n", "a.py": ""})
    make_repo(top / "nested", {".gitignore": "*.tmp\n", "n.py": "", "n.tmp": "", "n.log": ""})
    assert git_files(top) == {".gitignore", "a.py", "nested/"}  # git shows the folder only
    assert our_files(top) == {".gitignore", "a.py", "nested/.gitignore", "nested/n.py"}
    # Opened as the root, the nested repository is its own work tree: the outer rules stop.
    assert our_files(top / "nested") == git_files(top / "nested") == {".gitignore", "n.py",
                                                                      "n.log"}  # fmt: skip


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        (".gitignore", True),
        ("a/b/.gitignore", True),
        (".sourcepackerignore", True),
        ("a/.sourcepackerignore", True),
        (".git/info/exclude", True),
        ("exclude", False),
        ("a/exclude", False),
        ("a/.git/info/exclude", False),
        ("x.gitignore", False),
        ("", False),
    ],
)
def test_is_rules_file(rel: str, expected: bool) -> None:
    assert is_rules_file(rel) is expected
