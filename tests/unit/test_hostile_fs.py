"""Hostile and broken file systems (issue 10), reproduced the way they were broken.

Each case runs through the engine here, and the command line (``python -m sourcepacker``, a real
subprocess) at the end of this file; the daemon side is tests/e2e/test_hostile_daemon.py. In
every case: outside content never appears, every call returns, counts equal tiktoken's.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

import sourcepacker.engine as engine_module
from sourcepacker import profiles
from sourcepacker.cache import (
    CACHE_FILE_NAME,
    CACHE_VERSION,
    CacheFile,
    TokenCache,
    TokenEntry,
    atomic_write,
    default_cache_dir,
    encode_cache,
)
from sourcepacker.engine import Engine
from sourcepacker.fs import ReadRefused, SkipReason, display_name, read_vetted
from sourcepacker.model import FileState, TokenState
from sourcepacker.vocab import get_encoding
from sptree import age, make_tree

pytestmark = pytest.mark.timeout(60)  # a FIFO that blocks would hang: fail instead

_enc = get_encoding("o200k_base")
SECRET = "TOP-SECRET-OUTSIDE-CONTENT"
LATIN1_NAME = os.fsdecode(b"caf\xe9.txt")  # Latin-1 bytes: not UTF-8


def tiktoken_count(text: str) -> int:
    return len(_enc.encode_ordinary(text))


EngineFactory = Callable[..., Engine]

TREE = {
    "a.txt": "alpha beta gamma\n",
    "dir/b.txt": "inside the folder\n",
    "dir/c.py": "def f():\n    return 1\n",
    "keep.md": "# kept\n",
}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    d = tmp_path / "outside"
    d.mkdir()
    for i in range(3):
        (d / f"secret{i}.txt").write_text(f"{SECRET} {i}\n")
    return d


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = make_tree(tmp_path / "ws", TREE)
    age(root)
    return root


def real_engine(factory: EngineFactory, root: Path) -> Engine:
    return factory(root, fake=False)


def pack_all(engine: Engine) -> tuple[str, int, list[dict[str, str]]]:
    engine.set_checked([""], True)
    result = engine.pack()
    assert result.tokens == tiktoken_count(result.text)
    return result.text, result.tokens, result.skipped


def exact_everywhere(engine: Engine, root: Path) -> None:
    """Every counted file's count is tiktoken's count of its bytes on disk now."""
    for f in engine.model.files.values():
        if f.state is TokenState.SKIPPED:
            continue
        assert f.state is TokenState.EXACT, f.rel
        assert f.tokens == tiktoken_count((root / f.rel).read_text("utf-8")), f.rel


def _swap_for_link(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    path.symlink_to(target)


class _OnDiscovered:
    """A scan listener that runs ``act`` once discovery is over, before any file is read."""

    def __init__(self, act: Callable[[], None]) -> None:
        self.act = act

    def discovered(self, files: int) -> None:
        self.act()

    def progress(self, done: int, total: int) -> None: ...
    def counted(self, files: list[FileState]) -> None: ...


# --- the shared vetted read ------------------------------------------------------------------


def test_read_vetted_refuses_what_it_must(tmp_path: Path, outside: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    real = os.path.realpath(root)
    (root / "ok.txt").write_text("fine\n")
    (root / "in-link").symlink_to("ok.txt")
    (root / "out-link").symlink_to(outside / "secret0.txt")
    (root / "zero").symlink_to("/dev/zero")
    os.mkfifo(root / "pipe")
    (root / "big.txt").write_bytes(b"x" * 101)
    assert read_vetted(real, str(root / "ok.txt"), 100)[0] == b"fine\n"
    assert read_vetted(real, str(root / "in-link"), 100)[0] == b"fine\n"  # inside: followed
    cases = {
        "out-link": SkipReason.SYMLINK_OUTSIDE,
        "zero": SkipReason.SYMLINK_OUTSIDE,
        "pipe": SkipReason.SPECIAL,
        "big.txt": SkipReason.TOO_LARGE,
    }
    for name, reason in cases.items():
        with pytest.raises(ReadRefused) as info:
            read_vetted(real, str(root / name), 100)
        assert info.value.reason is reason, name
    # A folder above the file swapped for a link out: the opened file's real path decides.
    (root / "sub").symlink_to(outside)
    with pytest.raises(ReadRefused) as info:
        read_vetted(real, str(root / "sub" / "secret0.txt"), 100)
    assert info.value.reason is SkipReason.SYMLINK_OUTSIDE
    # /dev/zero opened directly is a device, refused after the open, before any read.
    with pytest.raises(ReadRefused) as info:
        read_vetted("/dev", "/dev/zero", 100)
    assert info.value.reason is SkipReason.SPECIAL


# --- swaps after the scan and during it ------------------------------------------------------


@pytest.mark.parametrize("target", ["secret", "/etc/passwd", "/dev/zero"])
def test_file_swapped_for_a_link_out_after_the_scan(
    ws: Path, outside: Path, engine_factory: EngineFactory, target: str
) -> None:
    engine = real_engine(engine_factory, ws)
    engine.scan()
    link_to = outside / "secret0.txt" if target == "secret" else Path(target)
    _swap_for_link(ws / "a.txt", link_to)
    text, _tokens, skipped = pack_all(engine)
    assert SECRET not in text and "root:" not in text and "\0" not in text
    assert {"path": "a.txt", "reason": "unreadable"} in skipped
    assert "dir/b.txt" in text


def test_folder_swapped_for_a_link_out_after_the_scan(
    ws: Path, outside: Path, engine_factory: EngineFactory
) -> None:
    engine = real_engine(engine_factory, ws)
    engine.scan()
    for i in range(3):  # the same names as outside, so a followed link would find them
        (ws / "dir" / f"secret{i}.txt").write_text("mine\n")
    engine.scan(paths=["dir"])
    _swap_for_link(ws / "dir", outside)
    text, _tokens, _skipped = pack_all(engine)
    assert SECRET not in text
    engine.scan()
    assert not any(rel.startswith("dir/") for rel in engine.model.files)
    assert engine.model.files["dir"].skip is SkipReason.SYMLINK_OUTSIDE


def test_link_out_swapped_in_during_the_scan(
    ws: Path, outside: Path, engine_factory: EngineFactory
) -> None:
    engine = real_engine(engine_factory, ws)
    listener = _OnDiscovered(lambda: _swap_for_link(ws / "a.txt", outside / "secret0.txt"))
    engine.scan(listener=listener)
    f = engine.model.files["a.txt"]
    assert f.state is TokenState.SKIPPED and f.skip is SkipReason.SYMLINK_OUTSIDE
    assert f.tokens is None  # the outside file's count is never put under a workspace path
    text, _tokens, _skipped = pack_all(engine)
    assert SECRET not in text


def test_fifo_in_place_of_a_selected_file(ws: Path, engine_factory: EngineFactory) -> None:
    engine = real_engine(engine_factory, ws)
    engine.scan()
    (ws / "a.txt").unlink()
    os.mkfifo(ws / "a.txt")
    _text, _tokens, skipped = pack_all(engine)  # returns: the open waits for no writer
    assert {"path": "a.txt", "reason": "unreadable"} in skipped
    engine.scan()
    assert engine.model.files["a.txt"].skip is SkipReason.SPECIAL


def test_fifo_appearing_mid_scan(ws: Path, engine_factory: EngineFactory) -> None:
    engine = real_engine(engine_factory, ws)

    def to_fifo() -> None:
        (ws / "a.txt").unlink()
        os.mkfifo(ws / "a.txt")

    engine.scan(listener=_OnDiscovered(to_fifo))
    assert engine.model.files["a.txt"].skip is SkipReason.SPECIAL
    engine.scan()  # later scans work too
    exact_everywhere(engine, ws)


def test_devices_and_links_to_them(ws: Path, engine_factory: EngineFactory) -> None:
    (ws / "zero").symlink_to("/dev/zero")
    os.mkfifo(ws / "pipe")
    (ws / "to-pipe").symlink_to("pipe")
    (ws / ".gitignore").symlink_to("/dev/zero")  # git refuses to follow such a link too
    (ws / "dir" / ".sourcepackerignore").symlink_to("/dev/zero")
    engine = real_engine(engine_factory, ws)
    engine.scan()
    skips = {f.rel: f.skip for f in engine.model.files.values() if f.skip is not None}
    assert skips["zero"] is SkipReason.SYMLINK_OUTSIDE
    assert skips["pipe"] is SkipReason.SPECIAL
    assert skips["to-pipe"] is SkipReason.SPECIAL
    exact_everywhere(engine, ws)
    pack_all(engine)


# --- names that are not UTF-8 --------------------------------------------------------------


def test_non_utf8_name_counts_caches_and_packs(
    ws: Path, engine_factory: EngineFactory, tmp_path: Path
) -> None:
    (ws / LATIN1_NAME).write_text("un café noir\n")
    (ws / os.fsdecode(b"d\xff")).mkdir()
    (ws / os.fsdecode(b"d\xff") / "x.txt").write_text("nested\n")
    age(ws)
    engine = real_engine(engine_factory, ws)
    engine.scan()
    assert engine.model.files[LATIN1_NAME].state is TokenState.EXACT
    exact_everywhere(engine, ws)
    text, _tokens, _skipped = pack_all(engine)
    assert "caf\\xe9.txt" in text and "d\\xff/x.txt" in text
    engine.close()
    # Stored losslessly: a restart knows the file without reading it.
    again = real_engine(engine_factory, ws)
    assert again.cache.load_error is None
    assert again.model.files[LATIN1_NAME].state is TokenState.EXACT
    report = again.scan()
    assert report.read == 0
    assert display_name(LATIN1_NAME) == "caf\\xe9.txt"


# --- depth ---------------------------------------------------------------------------------


def make_deep(root: Path, depth: int, leaf: str = "at the bottom\n") -> None:
    """``root/d/d/.../d/leaf.txt``, each folder made relative to the last (pathlib and
    os.makedirs recurse once per level, and a full path costs O(depth) to resolve)."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            below = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = below
        out = os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, leaf.encode())
        os.close(out)
    finally:
        os.close(fd)


#: Folders nested deeper than the recursion limit allows a recursive helper to go. The limit is
#: lowered instead of nesting 1,000+ folders: each level costs a path resolution of O(depth)
#: (a 1,100-deep scan takes ~4 s on the 2-core machine), and the proof is the same.
LOW_LIMIT, DEEP = 250, 400


def test_deeper_than_the_recursion_limit(tmp_path: Path, engine_factory: EngineFactory) -> None:
    root = tmp_path / "deep"
    make_deep(root, DEEP)
    (root / "top.txt").write_text("at the top\n")
    from sourcepacker.cli.tables import token_table
    from sourcepacker.options import PackOptions

    get_encoding("o200k_base")  # loaded before: its imports are deep enough on their own
    engine = real_engine(engine_factory, root)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(LOW_LIMIT)
    try:
        engine.scan()
        assert engine.model.totals().files == 2
        engine.set_checked([""], True)
        result = engine.pack(PackOptions(tree=True))
        engine.set_checked(["d"], False)
        assert engine.totals()[0].files == 1
        assert token_table(engine)["fileCount"] == 2
        assert len(engine.model.files_under([""])) == 2
        engine.close()
    finally:
        sys.setrecursionlimit(old)
    exact_everywhere(engine, root)
    assert "at the bottom" in result.text
    assert result.tokens == tiktoken_count(result.text)


# --- change detection ----------------------------------------------------------------------


def _restore_mtime_after_edit(path: Path, text: str) -> None:
    """A same-size edit whose mtime is put back, as ``cp -p`` or ``rsync -t`` leave it."""
    st = os.stat(path)
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    while os.stat(path).st_ctime_ns == st.st_ctime_ns:  # wait out a coarse clock tick
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("restart", [False, True])
def test_mtime_restored_same_size_edit(
    ws: Path, engine_factory: EngineFactory, monkeypatch: pytest.MonkeyPatch, restart: bool
) -> None:
    monkeypatch.setattr(engine_module, "RACY_WINDOW_NS", 0)  # only the ctime can tell
    engine = real_engine(engine_factory, ws)
    engine.scan()
    engine.close()
    before = os.stat(ws / "a.txt")
    _restore_mtime_after_edit(ws / "a.txt", "delta epsilon et\n")
    after = os.stat(ws / "a.txt")
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    if restart:
        engine = real_engine(engine_factory, ws)
    report = engine.scan()
    assert report.read == 1
    exact_everywhere(engine, ws)


def test_force_rehashes_everything(ws: Path, engine_factory: EngineFactory) -> None:
    engine = real_engine(engine_factory, ws)
    engine.scan()
    assert engine.scan().read == 0
    report = engine.scan(force=True)
    assert report.read == len(TREE) and report.tokenized == 0


# --- damaged caches ------------------------------------------------------------------------


def _cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "cache.msgpack"  # where the engine_factory fixture keeps it


def test_random_bit_flips_are_caught_and_rebuilt(
    ws: Path, engine_factory: EngineFactory, tmp_path: Path
) -> None:
    make_tree(ws, {f"many/f{i}.txt": f"file number {i} " * (i % 7 + 1) for i in range(40)})
    age(ws)
    first = real_engine(engine_factory, ws)
    first.scan()
    first.close()
    path = _cache_path(tmp_path)
    good = path.read_bytes()
    rng = random.Random(10)
    for _ in range(50):
        damaged = bytearray(good)
        bit = rng.randrange(len(damaged) * 8)
        damaged[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(damaged))
        engine = real_engine(engine_factory, ws)
        assert engine.cache.load_error is not None  # header or checksum: never trusted
        engine.scan()
        exact_everywhere(engine, ws)
        engine.pool.close()
        assert TokenCache.load(path).load_error is None  # rebuilt by the scan's save


@pytest.mark.parametrize(
    "shape",
    ["negative-count", "count-over-size", "climbing-path", "absolute-path", "nul-path"],
)
def test_well_shaped_wrong_values_are_discarded(
    ws: Path,
    engine_factory: EngineFactory,
    tmp_path: Path,
    shape: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = real_engine(engine_factory, ws)
    first.scan()
    first.close()
    path = _cache_path(tmp_path)
    stored = TokenCache.load(path)
    tokens = {e: [TokenEntry(h, s, t) for h, s, t in stored.entries(e)] for e in stored.tokens}
    paths = dict(stored.paths)
    rec = paths["a.txt"]
    if shape == "negative-count":
        tokens["o200k_base"] = [TokenEntry(e.hash, e.size, -e.tokens) for e in tokens["o200k_base"]]
    elif shape == "count-over-size":
        tokens["o200k_base"][0] = TokenEntry(tokens["o200k_base"][0].hash, 3, 9)
    else:
        name = {
            "climbing-path": "../../etc/passwd",
            "absolute-path": "/etc/passwd",
            "nul-path": "a\0b",
        }[shape]
        paths[name] = rec
    body = msgspec.msgpack.encode(CacheFile(CACHE_VERSION, tokens, paths))
    path.write_bytes(encode_cache(body))  # a valid checksum: only the values are wrong
    engine = real_engine(engine_factory, ws)
    assert engine.cache.load_error is not None and "damaged" in engine.cache.load_error
    assert caplog.text.count("damaged cache") == 1
    assert engine.model.files == {}
    text, _tokens, _skipped = pack_all(engine)  # before any scan: nothing to serve
    assert "root:" not in text
    engine.scan()
    exact_everywhere(engine, ws)


def test_cache_entry_is_never_served_without_a_look_at_the_file(
    ws: Path, outside: Path, engine_factory: EngineFactory
) -> None:
    first = real_engine(engine_factory, ws)
    first.scan()
    first.close()
    _swap_for_link(ws / "a.txt", outside / "secret0.txt")
    engine = real_engine(engine_factory, ws)  # restored from the snapshot, not scanned yet
    assert engine.model.files["a.txt"].state is TokenState.EXACT
    text, _tokens, _skipped = pack_all(engine)
    assert SECRET not in text


def test_cache_that_is_a_fifo_or_a_link_to_a_device(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.msgpack"
    os.mkfifo(fifo)
    assert TokenCache.load(fifo).load_error is not None
    zero = tmp_path / "zero.msgpack"
    zero.symlink_to("/dev/zero")
    assert TokenCache.load(zero).load_error is not None


# --- writes stay inside ----------------------------------------------------------------------


def test_symlinked_dot_sourcepacker_writes_nothing_outside(
    ws: Path, outside: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCEPACKER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    (ws / ".sourcepacker").symlink_to(outside)
    before = sorted(p.name for p in outside.rglob("*"))
    chosen = default_cache_dir(ws)
    assert str(tmp_path / "user-cache") in str(chosen)
    engine = Engine(ws)
    engine.scan()
    engine.set_checked([""], True)
    with pytest.raises(profiles.ProfileError):
        engine.save_profile("mine")
    engine.close()
    assert sorted(p.name for p in outside.rglob("*")) == before


def test_cache_folder_swapped_for_a_link_after_load_is_not_written(
    tmp_path: Path, outside: Path
) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    cache = TokenCache.load(folder / CACHE_FILE_NAME)
    cache.put("o200k_base", 1, 1, 1)
    folder.rename(tmp_path / "c-old")
    folder.symlink_to(outside)
    assert not cache.save()
    assert not (outside / CACHE_FILE_NAME).exists()


def test_temp_files_of_dead_writers_go_at_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / CACHE_FILE_NAME
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    dead_pid = int(dead.stdout)
    orphan = tmp_path / f".{path.name}.{dead_pid}.abc123.tmp"
    live = tmp_path / f".{path.name}.{os.getppid()}.def456.tmp"  # alive: maybe writing now
    for p in (orphan, live):
        p.write_bytes(b"partial")
    atomic_write(tmp_path / "other", b"x")  # another file's write leaves them alone
    assert orphan.exists()
    cache = TokenCache.load(path)
    cache.put("o200k_base", 1, 1, 1)
    assert cache.save()
    assert not orphan.exists() and live.exists()


def test_bounded_reads_of_profiles_and_ignore_files(
    ws: Path, engine_factory: EngineFactory
) -> None:
    (ws / ".sourcepacker" / "profiles").mkdir(parents=True)
    (ws / ".sourcepacker" / "profiles" / "z.json").symlink_to("/dev/zero")
    os.mkfifo(ws / ".sourcepacker" / "profiles" / "p.json")
    engine = real_engine(engine_factory, ws)
    for name in ("z", "p"):
        with pytest.raises(profiles.ProfileError):
            engine.load_profile(name)
    assert profiles.list_profiles(ws) == []


# --- the command line, as a user runs it -----------------------------------------------------


def cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "sourcepacker", *argv],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=60,
        cwd=cwd,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_cli_on_a_hostile_tree(tmp_path: Path, outside: Path) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    (root / LATIN1_NAME).write_text("un café noir\n")
    (root / ".gitignore").symlink_to("/dev/zero")
    os.mkfifo(root / "pipe")
    (root / "zero").symlink_to("/dev/zero")
    (root / "out").symlink_to(outside)
    cache = str(tmp_path / "cli-cache")
    for _ in range(2):  # cold, then from the cache
        proc = cli("tokens", str(root), "--json", "--top", "0", "--cache-dir", cache)
        assert proc.returncode == 0, proc.stderr
        table = json.loads(proc.stdout)
        files = {r["path"]: r["tokens"] for r in table["files"]}
        assert files["caf\\xe9.txt"] == tiktoken_count("un café noir\n")
        proc = cli("pack", str(root), "--json", "--cache-dir", cache)
        assert proc.returncode == 0, proc.stderr
        summary = json.loads(proc.stdout)
        proc = cli("pack", str(root), "--cache-dir", cache)
        assert proc.returncode == 0 and SECRET not in proc.stdout
        assert summary["tokens"] == tiktoken_count(proc.stdout)
        assert "caf\\xe9.txt" in proc.stdout


def test_cli_heals_mtime_restored_edits_and_damaged_caches(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    cache_dir = tmp_path / "cli-cache"
    assert cli("pack", str(root), "--json", "--cache-dir", str(cache_dir)).returncode == 0
    _restore_mtime_after_edit(root / "a.txt", "delta epsilon et\n")
    cache_file = cache_dir / CACHE_FILE_NAME
    data = bytearray(cache_file.read_bytes())
    data[len(data) // 2] ^= 0x10
    cache_file.write_bytes(bytes(data))
    for extra in ([], ["--force"]):
        proc = cli("pack", str(root), "--cache-dir", str(cache_dir), *extra)
        assert proc.returncode == 0
        assert "delta epsilon et" in proc.stdout
        summary = json.loads(cli("pack", str(root), "--json", "--cache-dir", str(cache_dir)).stdout)
        assert summary["tokens"] == tiktoken_count(proc.stdout)
        assert summary["files"]["a.txt"] == tiktoken_count("delta epsilon et\n")


def test_cli_deeper_than_the_recursion_limit(tmp_path: Path) -> None:
    root = tmp_path / "deep"
    make_deep(root, DEEP)
    script = (
        f"import sys; sys.setrecursionlimit({LOW_LIMIT})\n"
        "from sourcepacker.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))"
    )
    for argv in (["tokens", str(root), "--json"], ["pack", str(root), "--tree"]):
        proc = subprocess.run(
            [sys.executable, "-c", script, *argv, "--cache-dir", str(tmp_path / "c")],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "at the bottom" in proc.stdout


def test_cli_one_line_errors(tmp_path: Path) -> None:
    root = make_tree(tmp_path / "ws", TREE)
    proc = cli("tokens", str(root), "--max-file-size", "6000000000")
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "at most" in proc.stderr
