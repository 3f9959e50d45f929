"""The engine: change detection across scans and restarts, the racy guard, every skip reason."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sourcepacker.engine as engine_module
from sourcepacker.cache import CACHE_FILE_NAME
from sourcepacker.engine import Engine
from sourcepacker.model import TokenState
from sourcepacker.store import STORE_DIR_NAME
from sourcepacker.walk import SkipReason, WalkResult
from sptree import OLD_NS, FakePool, age, fake_count, fake_pool, make_tree

SECOND = 1_000_000_000

TREE = {
    "a.py": "import os\nprint(os.getcwd())\n",
    "src/b.py": "def f(x):\n    return x * 2\n",
    "src/deep/c.md": "# Title\n\nSome words here.\n",
    "d.txt": "plain text file\n",
}


def scanned(engine_factory: Callable[..., Engine], root: Path, **kw: Any) -> Engine:
    engine = engine_factory(root, **kw)
    engine.scan()
    return engine


def counts(engine: Engine) -> dict[str, int | None]:
    return {rel: f.tokens for rel, f in engine.model.files.items()}


# --- persistence -------------------------------------------------------------------------


def test_restart_over_unchanged_tree_reads_and_tokenizes_nothing(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    first = scanned(engine_factory, root)
    assert first.stats.last.tokenized == len(TREE)
    second = engine_factory(root)
    # The snapshot alone gives exact totals before any scan.
    assert second.model.totals() == first.model.totals()
    assert second.model.totals().pending == 0
    report = second.scan()
    assert (report.files, report.read, report.tokenized) == (len(TREE), 0, 0)
    assert counts(second) == counts(first)


def test_touch_rehashes_but_tokenizes_nothing(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    scanned(engine_factory, root)
    os.utime(root / "src/b.py", ns=(OLD_NS + SECOND, OLD_NS + SECOND))
    report = engine_factory(root).scan()
    assert (report.read, report.tokenized, report.cache_hits) == (1, 0, 1)


def test_changing_one_file_tokenizes_exactly_that_file(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    scanned(engine_factory, root)
    (root / "src/deep/c.md").write_text("# Title\n\nOther words, more of them.\n")
    age(root, OLD_NS + SECOND)
    engine = engine_factory(root)
    report = engine.scan()
    assert (report.read, report.tokenized) == (len(TREE), 1)  # all aged: all re-stat differ
    assert engine.model.files["src/deep/c.md"].tokens == fake_count(
        "# Title\n\nOther words, more of them.\n"
    )


def test_identical_content_is_tokenized_once_across_scans(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    engine = scanned(engine_factory, root)
    make_tree(root, {"copy/of/a.py": TREE["a.py"]})
    age(root / "copy")  # ageing the others would change their ctime: they would be re-read
    report = engine.scan()
    assert (report.read, report.tokenized, report.cache_hits) == (1, 0, 1)
    assert engine.model.files["copy/of/a.py"].tokens == engine.model.files["a.py"].tokens


def test_identical_content_within_one_scan_is_tokenized_once(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", {f"d{i}/LICENSE": "MIT License\n" * 20 for i in range(5)})
    age(root)
    report = engine_factory(root).scan()
    assert report.tokenized == 1


def test_renamed_file_is_a_cache_hit(tmp_path: Path, engine_factory: Callable[..., Engine]) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    engine = scanned(engine_factory, root)
    (root / "d.txt").rename(root / "e.txt")
    report = engine.scan()
    assert (report.read, report.tokenized, report.cache_hits, report.removed) == (1, 0, 1, 1)
    assert "d.txt" not in engine.model.files


@pytest.mark.parametrize(
    ("mtime_ns", "rehashed"),
    [
        pytest.param(None, True, id="racy-rehashed"),
        pytest.param(OLD_NS, True, id="old-mtime-ctime-moved"),
    ],
)
@pytest.mark.parametrize("restart", [pytest.param(False, id="same"), pytest.param(True, id="new")])
def test_racy_guard(
    tmp_path: Path,
    engine_factory: Callable[..., Engine],
    mtime_ns: int | None,
    rehashed: bool,
    restart: bool,
) -> None:
    """A same-size edit that puts the mtime back is caught: by the racy rule when the mtime was
    recent, by the ctime otherwise (``cp -p``, ``rsync -t``, ``tar`` do this)."""
    root = make_tree(tmp_path / "ws", {"f.txt": "one two three\n"})
    stamp = time.time_ns() if mtime_ns is None else mtime_ns
    os.utime(root / "f.txt", ns=(stamp, stamp))
    engine = scanned(engine_factory, root)
    assert engine.model.files["f.txt"].racy is (mtime_ns is None)
    seen_ctime = os.stat(root / "f.txt").st_ctime_ns
    (root / "f.txt").write_text("four five six\n")  # same size, same inode
    os.utime(root / "f.txt", ns=(stamp, stamp))
    while os.stat(root / "f.txt").st_ctime_ns == seen_ctime:  # a coarse clock tick (~4 ms)
        os.utime(root / "f.txt", ns=(stamp, stamp))
    if restart:
        engine = engine_factory(root)
    report = engine.scan()
    assert report.read == int(rehashed)
    expected = fake_count("four five six\n") if rehashed else fake_count("one two three\n")
    assert engine.model.files["f.txt"].tokens == expected


def test_racy_file_stops_being_racy_once_old(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", {"f.txt": "x\n"})
    engine = scanned(engine_factory, root)
    assert engine.model.files["f.txt"].racy
    age(root)
    assert engine.scan().read == 1
    assert not engine.model.files["f.txt"].racy
    assert engine.scan().read == 0


def test_corrupt_cache_is_rebuilt(tmp_path: Path, engine_factory: Callable[..., Engine]) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache/cache.msgpack").write_bytes(b"\x93garbage")
    engine = engine_factory(root)
    assert engine.cache.load_error is not None
    assert engine.scan().tokenized == len(TREE)
    again = engine_factory(root)
    assert again.cache.load_error is None
    assert again.scan().read == 0


def test_settings_cache_dir_is_used(tmp_path: Path) -> None:
    from sourcepacker.settings import Settings

    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    settings = Settings(cache_dir=str(tmp_path / "elsewhere"), pool_size=2)
    engine = Engine(root, settings, pool_factory=fake_pool)
    engine.scan()
    engine.close()
    # The workspace's file and the token store (inside an explicit cache folder too).
    assert {p.name for p in (tmp_path / "elsewhere").iterdir()} == {CACHE_FILE_NAME, STORE_DIR_NAME}
    assert not (root / ".sourcepacker").exists()
    again = Engine(root, settings)
    assert again.scan().read == 0
    again.close()


# --- skip reasons --------------------------------------------------------------------------


def _fifo(root: Path) -> None:
    os.mkfifo(root / "pipe")


def _socket(root: Path) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(root / "sock"))


def _outside(root: Path) -> None:
    (root.parent / "outside.txt").write_text("secret\n")
    (root / "out.txt").symlink_to(root.parent / "outside.txt")


def _loop(root: Path) -> None:
    (root / "sub").mkdir()
    (root / "sub/back").symlink_to(root)


def _self_loop(root: Path) -> None:
    (root / "me").symlink_to(root / "me")


def _write(rel: str, data: bytes) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / rel).write_bytes(data)

    return make


SKIP_CASES = [
    pytest.param(_write("nul.txt", b"ab\0cd"), "nul.txt", SkipReason.BINARY, id="binary-nul"),
    pytest.param(_write("img.png", b"text"), "img.png", SkipReason.BINARY, id="binary-extension"),
    pytest.param(_write("l1.txt", b"caf\xe9\n"), "l1.txt", SkipReason.INVALID_UTF8, id="latin1"),
    pytest.param(_write("big.txt", b"x" * 101), "big.txt", SkipReason.TOO_LARGE, id="too-large"),
    pytest.param(_fifo, "pipe", SkipReason.SPECIAL, id="fifo"),
    pytest.param(_socket, "sock", SkipReason.SPECIAL, id="socket"),
    pytest.param(_outside, "out.txt", SkipReason.SYMLINK_OUTSIDE, id="symlink-outside"),
    pytest.param(_loop, "sub/back", SkipReason.SYMLINK_LOOP, id="symlink-loop"),
    pytest.param(_self_loop, "me", SkipReason.SYMLINK_LOOP, id="symlink-self-loop"),
]


@pytest.mark.parametrize(("make", "rel", "reason"), SKIP_CASES)
def test_every_skip_reason_reaches_the_model(
    tmp_path: Path,
    engine_factory: Callable[..., Engine],
    make: Callable[[Path], None],
    rel: str,
    reason: SkipReason,
) -> None:
    root = make_tree(tmp_path / "ws", {"ok.txt": "fine\n"})
    make(root)
    engine = engine_factory(root, max_file_size=100)
    report = engine.scan()
    f = engine.model.files[rel]
    assert (f.state, f.skip) == (TokenState.SKIPPED, reason)
    assert report.skipped[reason.value] == 1
    assert engine.model.totals().files == 1  # only ok.txt counts
    # A restarted engine keeps the reason (read-time reasons come from the snapshot).
    again = engine_factory(root, max_file_size=100)
    again.scan()
    assert again.model.files[rel].skip is reason


def test_unreadable_file_is_skipped_and_retried(
    tmp_path: Path, engine_factory: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "ws", {"ok.txt": "fine\n", "locked.txt": "secret\n"})
    age(root)
    real_open = os.open  # every workspace read goes through fs.read_vetted's os.open

    def deny(file: Any, *args: Any, **kwargs: Any) -> Any:
        if str(file).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    engine = engine_factory(root)
    report = engine.scan()
    f = engine.model.files["locked.txt"]
    assert (f.skip, f.detail) == (SkipReason.UNREADABLE, "Permission denied")
    assert report.skipped == {"unreadable": 1}
    assert "locked.txt" not in dict(engine.path_snapshot())  # never trusted as "unchanged"
    monkeypatch.setattr(os, "open", real_open)
    engine.scan()
    assert engine.model.files["locked.txt"].state is TokenState.EXACT


def test_file_vanishing_between_walk_and_read(
    tmp_path: Path, engine_factory: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "ws", {"ok.txt": "fine\n", "gone.txt": "bye\n"})
    real_walk = engine_module.walk

    def walk_then_delete(*args: Any, **kwargs: Any) -> WalkResult:
        result = real_walk(*args, **kwargs)
        (root / "gone.txt").unlink()
        return result

    monkeypatch.setattr(engine_module, "walk", walk_then_delete)
    engine = engine_factory(root)
    report = engine.scan()
    assert report.skipped == {"vanished": 1}
    assert set(engine.model.files) == {"ok.txt"}
    assert engine.model.totals().files == 1
    assert dict(engine.path_snapshot()).keys() == {"ok.txt"}


# --- overlays and packing reads ------------------------------------------------------------


def test_overlay_counts_the_buffer_until_dropped(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", {"a.txt": "one\n"})
    age(root)
    engine = scanned(engine_factory, root)
    engine.set_overlay("a.txt", "one two three four\n")
    assert engine.model.files["a.txt"].tokens == 5
    assert engine.scan().read == 0  # the buffer wins over the unchanged disk file
    src = engine.read_text("a.txt")
    assert src is not None and (src.text, src.tokens) == ("one two three four\n", 5)
    assert engine.drop_overlay("a.txt")
    engine.scan(force=True)
    assert engine.model.files["a.txt"].tokens == 2


def test_saved_snapshot_holds_only_what_a_restart_may_trust(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", {"a.txt": "one\n", "b.txt": "two\n"})
    (root / "img.dat").write_bytes(b"GIF\0\1")
    age(root)
    engine = scanned(engine_factory, root)
    engine.set_overlay("a.txt", "one two three four\n")
    snapshot = dict(engine.path_snapshot())
    assert set(snapshot) == {"b.txt", "img.dat"}  # an editor buffer is not the disk's
    assert snapshot["img.dat"].skip == "binary"  # stays skipped without being read again
    assert engine.drop_overlay("a.txt")
    engine.cache.paths_changed()
    assert engine.cache.save()  # before the rescan that puts the disk's count back
    restarted = engine_factory(root)
    assert restarted.cache.paths == {}  # handed to the model, not kept twice
    assert restarted.model.files["b.txt"].state is TokenState.EXACT
    report = restarted.scan()
    assert report.read == 1  # a.txt: the buffer's state carried no stat to trust
    assert counts(restarted)["a.txt"] == counts(restarted)["b.txt"] == 2


def test_targeted_scan_limits_removal_to_its_paths(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    engine = scanned(engine_factory, root)
    (root / "a.py").unlink()
    (root / "src/b.py").unlink()
    report = engine.scan(paths=["src"])
    assert report.removed == 1
    assert "a.py" in engine.model.files and "src/b.py" not in engine.model.files


def test_fake_pool_is_what_counted(tmp_path: Path, engine_factory: Callable[..., Engine]) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    engine = scanned(engine_factory, root)
    assert isinstance(engine.pool, FakePool)
    assert engine.pool.calls == len(TREE)
