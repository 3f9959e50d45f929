"""The walker: what it lists, every skip reason, symlinks, cancel and batches."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sourcepacker.fs import stat_key
from sourcepacker.ignore import IgnoreRules
from sourcepacker.walk import (
    FoundFile,
    Skipped,
    SkipReason,
    WalkResult,
    classify_content,
    walk,
)
from sptree import make_tree


def run(root: Path, **kwargs: Any) -> WalkResult:
    return walk(root, IgnoreRules(root), **kwargs)


def reasons(result: WalkResult) -> dict[str, tuple[SkipReason, str]]:
    return {s.rel: (s.reason, s.detail) for s in result.skipped}


def rels(result: WalkResult) -> list[str]:
    return [f.rel for f in result.files]


def test_lists_files_with_stat_and_skips_ignored(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.py": "x = 1\n", "src/b.py": "", ".gitignore": "*.log\n", "c.log": "",
                     "node_modules/m.js": ""})  # fmt: skip
    result = run(tmp_path)
    assert rels(result) == [".gitignore", "a.py", "src/b.py"]
    st = (tmp_path / "a.py").stat()
    assert result.files[1] == FoundFile(
        "a.py", st.st_size, stat_key(st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
    )
    assert result.ignored == 2  # c.log and node_modules/, which is not descended
    assert result.dirs == 2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"print('hi')\n", None, id="text"),
        pytest.param("héllo ✓\n".encode(), None, id="utf8"),
        pytest.param(b"\x89PNG\r\n\x1a\n\0\0", SkipReason.BINARY, id="nul"),
        pytest.param(b"caf\xe9\n", SkipReason.INVALID_UTF8, id="latin1"),
        pytest.param(b"a" * 8192 + b"\0", None, id="nul-after-first-block"),
        pytest.param(b"", None, id="empty"),
    ],
)
def test_classify_content(data: bytes, expected: SkipReason | None) -> None:
    assert classify_content(data) == expected


def test_binary_by_extension_is_skipped_without_reading(tmp_path: Path) -> None:
    make_tree(tmp_path, {"img.PNG": b"not really", "lib.so": b"", "ok.py": ""})
    assert reasons(run(tmp_path)) == {
        "img.PNG": (SkipReason.BINARY, "extension"),
        "lib.so": (SkipReason.BINARY, "extension"),
    }


def test_too_large_by_stat(tmp_path: Path) -> None:
    make_tree(tmp_path, {"big.txt": "x" * 11, "fits.txt": "x" * 10})
    result = run(tmp_path, max_size=10)
    assert rels(result) == ["fits.txt"]
    assert reasons(result) == {"big.txt": (SkipReason.TOO_LARGE, "11 bytes")}


@contextmanager
def unreadable(path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """chmod 000, or for root (who reads anything) a scandir that refuses that directory."""
    if os.geteuid() != 0:
        path.chmod(0)
        try:
            yield
        finally:
            path.chmod(0o755)
        return
    real_scandir = os.scandir

    def scandir(p: Any) -> Any:
        if os.fspath(p) == str(path):
            raise PermissionError(13, "Permission denied", str(p))
        return real_scandir(p)

    monkeypatch.setattr(os, "scandir", scandir)
    yield


def test_unreadable_dir_is_reported_and_walk_continues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, {"locked/secret.txt": "", "open/a.txt": ""})
    with unreadable(tmp_path / "locked", monkeypatch):
        result = run(tmp_path)
    assert rels(result) == ["open/a.txt"]
    assert reasons(result) == {"locked": (SkipReason.UNREADABLE, "Permission denied")}


def test_file_vanishing_between_scandir_and_stat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, {"gone.txt": "", "stays.txt": ""})
    real_scandir = os.scandir

    @contextmanager
    def scandir(p: Any) -> Iterator[Iterator[os.DirEntry[str]]]:
        with real_scandir(p) as it:
            yield (_unlink_first(e) if e.name == "gone.txt" else e for e in it)

    monkeypatch.setattr(os, "scandir", scandir)
    result = run(tmp_path)
    assert rels(result) == ["stays.txt"]
    assert reasons(result)["gone.txt"][0] == SkipReason.VANISHED


def _unlink_first(entry: os.DirEntry[str]) -> os.DirEntry[str]:
    os.unlink(entry.path)  # d_type is already known: only the lstat will notice
    return entry


def test_fifo_and_socket_are_special(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "sock"))
        result = run(tmp_path)
    assert reasons(result) == {
        "pipe": (SkipReason.SPECIAL, "fifo"),
        "sock": (SkipReason.SPECIAL, "socket"),
    }


def test_symlinks(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "root", {"real/a.txt": "", "build/gen.txt": "", "f.txt": "x"})
    make_tree(tmp_path, {"outside/o.txt": ""})
    links = {"out": "../outside", "out_file": "../outside/o.txt", "broken": "nowhere",
             "file_link": "f.txt", "real/up": "..", "gen": "build", "again": "real",
             "self1": "self2", "self2": "self1"}  # fmt: skip
    for name, target in links.items():
        os.symlink(target, root / name)
    result = walk(root, IgnoreRules(root), workers=2)
    assert rels(result) == ["f.txt", "file_link", "gen/gen.txt", "real/a.txt"]
    skipped = reasons(result)
    assert skipped.pop("out") == (SkipReason.SYMLINK_OUTSIDE, str(tmp_path / "outside"))
    assert skipped.pop("out_file")[0] == SkipReason.SYMLINK_OUTSIDE
    assert skipped.pop("broken") == (SkipReason.VANISHED, "broken symlink")
    assert skipped.pop("real/up") == (SkipReason.SYMLINK_LOOP, "cycle back to .")
    assert skipped.pop("again") == (SkipReason.SYMLINK_LOOP, "same directory as real")
    assert {rel: reason for rel, (reason, _) in skipped.items()} == {
        "self1": SkipReason.SYMLINK_LOOP,
        "self2": SkipReason.SYMLINK_LOOP,
    }
    assert result.files[1].size == 1  # the link's target, listed under the link's path


def test_symlink_loop_inside_followed_link_terminates(tmp_path: Path) -> None:
    make_tree(tmp_path, {"build/x.txt": ""})
    os.symlink("..", tmp_path / "build" / "back")
    os.symlink("build", tmp_path / "b")
    result = run(tmp_path)
    assert rels(result) == ["b/x.txt"]
    assert reasons(result) == {"b/back": (SkipReason.SYMLINK_LOOP, "cycle back to .")}


def many(root: Path, dirs: int = 20, per_dir: int = 10) -> Path:
    return make_tree(
        root, {f"d{d:02}/f{f:02}.txt": "" for d in range(dirs) for f in range(per_dir)}
    )


def test_cancel_before_start_returns_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    assert run(many(tmp_path), cancel=cancel).files == []


def test_cancel_during_walk_returns_what_was_found(tmp_path: Path) -> None:
    cancel = threading.Event()
    result = run(many(tmp_path), cancel=cancel, workers=1, on_batch=lambda _: cancel.set())
    assert 0 < len(result.files) < 200


def test_on_batch_sees_every_file_per_directory(tmp_path: Path) -> None:
    batches: list[list[FoundFile]] = []
    lock = threading.Lock()

    def on_batch(files: list[FoundFile]) -> None:
        with lock:
            batches.append(files)

    result = run(many(tmp_path), on_batch=on_batch)
    assert len(batches) == 20
    assert sorted(f.rel for b in batches for f in b) == rels(result)


def test_order_is_deterministic_whatever_the_threads(tmp_path: Path) -> None:
    make_tree(many(tmp_path), {"a.b/c.txt": "", "a/b.txt": "", "a.txt": "", "x.png": ""})
    results = [run(tmp_path, workers=w) for w in (1, 2, 4, 4)]
    assert rels(results[0]) == sorted(rels(results[0]))
    assert all(rels(r) == rels(results[0]) for r in results)
    assert all(r.skipped == [Skipped("x.png", SkipReason.BINARY, "extension")] for r in results)


def test_include_globs_filter_files_but_descend(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.py": "", "s/b.py": "", "s/c.txt": "", "docs/d.txt": ""})
    result = walk(tmp_path, IgnoreRules(tmp_path, include=["*.py", "docs/"]))
    assert rels(result) == ["a.py", "docs/d.txt", "s/b.py"]
    assert result.ignored == 1


def test_subtree_walk_visits_only_that_folder_and_matches_the_full_walk(tmp_path: Path) -> None:
    for d in ("a/x", "a/y", "b", "c/deep/er"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "f.txt").write_text(d)
    (tmp_path / ".gitignore").write_text("a/y/\n")
    (tmp_path / "a" / "x" / "big.txt").write_text("x" * 50)
    rules = IgnoreRules(tmp_path)
    full = walk(tmp_path, rules, max_size=20)
    part = walk(tmp_path, rules, max_size=20, subtree="a")
    assert part.dirs == 2  # a and a/x; a/y is ignored
    assert part.linked_dirs == 0
    assert part.files == [f for f in full.files if f.rel.startswith("a/")]
    assert part.skipped == [s for s in full.skipped if s.rel.startswith("a/")]
