"""The token store shared by every workspace: merge, lock, eviction, damage, sharing, old caches."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from filelock import FileLock

from sourcepacker import store as store_mod
from sourcepacker.cache import (
    CACHE_FILE_NAME,
    DAY_BITS,
    MAX_AGE_DAYS,
    TokenCache,
    content_key,
    default_cache_dir,
    encode_cache,
    today,
)
from sourcepacker.engine import Engine
from sourcepacker.settings import Settings
from sourcepacker.store import (
    SHARD_BITS,
    STORE_DIR_NAME,
    TokenStore,
    _Shard,
    default_store_dir,
    encode_shard,
    merge,
    shard_path,
)
from sptree import FakePool, age, fake_count, make_tree

ENC = "o200k_base"


def digest_in(shard: int, n: int) -> int:
    """A digest that falls in ``shard``."""
    return shard << (64 - SHARD_BITS) | n


def frame(body: bytes) -> bytes:
    """A store shard's header (magic, checksum) around ``body``."""
    import xxhash

    return store_mod.MAGIC + xxhash.xxh3_64_intdigest(body).to_bytes(8, "little") + body


def packed(tokens: int, day: int) -> int:
    return tokens << DAY_BITS | day


def test_round_trip_and_lookup_without_loading_every_shard(tmp_path: Path) -> None:
    first = TokenStore(tmp_path)
    for n in range(1, 200):
        first.add(ENC, digest_in(n % 3, n), 100 + n, n)
    assert first.save()
    assert sorted(p.name for p in (tmp_path / ENC).glob("*.bin")) == ["00.bin", "01.bin", "02.bin"]
    again = TokenStore(tmp_path)
    assert again.get(ENC, digest_in(1, 7), 107) == 7
    assert again.get(ENC, digest_in(1, 7), 108) is None  # same digest, other size
    assert again.get(ENC, digest_in(5, 7), 107) is None
    assert set(again._loaded) == {(ENC, 1), (ENC, 5)}  # only the shards asked for
    assert again.get("cl100k_base", digest_in(1, 7), 107) is None  # per encoding


def test_merge_is_a_union_where_the_newer_day_wins() -> None:
    day = today()
    on_disk = {1: packed(5, day - 3), 2: packed(6, day - 1)}
    mine = [(1, packed(5, day)), (2, packed(6, day - 2)), (3, packed(7, day))]
    merged = merge(_Shard.from_table(on_disk), mine).table()
    assert merged == {1: packed(5, day), 2: packed(6, day - 1), 3: packed(7, day)}


def test_merge_evicts_unused_then_oldest_beyond_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    day = today()
    table = {1: packed(1, day - MAX_AGE_DAYS - 1), 2: packed(1, day - MAX_AGE_DAYS)}
    assert merge(_Shard.from_table(table), []).table() == {2: packed(1, day - MAX_AGE_DAYS)}
    monkeypatch.setattr(store_mod, "SHARD_CAP", 32)  # past it, down to 30 (15/16)
    table = {k: packed(1, day - k % 20) for k in range(32)}
    assert merge(_Shard.from_table(table), []).table() == table  # at the cap: nothing goes
    merged = merge(_Shard.from_table(table), [(99, packed(1, day)), (98, packed(1, day - 25))])
    assert len(merged.days) == 30
    assert max(day - d for d in merged.days) == 16  # the oldest went first: ages 25, 19, 18, 17
    assert 99 in merged.table() and 98 not in merged.table()


def test_a_save_merges_with_what_another_process_saved(tmp_path: Path) -> None:
    one, two = TokenStore(tmp_path), TokenStore(tmp_path)
    one.add(ENC, digest_in(0, 1), 10, 1)
    two.add(ENC, digest_in(0, 2), 10, 2)
    assert one.save() and two.save()  # two re-reads the shard under the lock: one's entry stays
    fresh = TokenStore(tmp_path)
    assert fresh.get(ENC, digest_in(0, 1), 10) == 1
    assert fresh.get(ENC, digest_in(0, 2), 10) == 2


def _save_many(directory: str, worker: int, barrier: object) -> None:
    store = TokenStore(Path(directory))
    for n in range(500):
        store.add(ENC, digest_in(n % 4, worker << 32 | n), 1000, 1 + worker)
    barrier.wait()  # type: ignore[attr-defined]
    assert store.save()


def test_processes_saving_at_once_lose_nothing(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    workers = 4
    barrier = ctx.Barrier(workers)
    procs = [
        ctx.Process(target=_save_many, args=(str(tmp_path), w, barrier)) for w in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0] * workers
    fresh = TokenStore(tmp_path)
    for w in range(workers):
        for n in range(500):
            assert fresh.get(ENC, digest_in(n % 4, w << 32 | n), 1000) == 1 + w
    assert not list((tmp_path / ENC).glob(".*.tmp"))


def test_a_held_lock_keeps_the_counts_for_the_next_save_and_never_blocks_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    saved = TokenStore(tmp_path)
    saved.add(ENC, digest_in(0, 1), 10, 1)
    assert saved.save()
    monkeypatch.setattr(store_mod, "LOCK_TIMEOUT_SECONDS", 0)
    writer = TokenStore(tmp_path)
    writer.add(ENC, digest_in(0, 2), 10, 2)
    with FileLock(tmp_path / ENC / ".lock"), caplog.at_level(logging.WARNING):
        assert TokenStore(tmp_path).get(ENC, digest_in(0, 1), 10) == 1  # a reader: no lock
        assert not writer.save()
        assert writer.pending == 1
    assert "busy" in caplog.text
    assert writer.save()
    assert TokenStore(tmp_path).get(ENC, digest_in(0, 2), 10) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"garbage",
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # checksum mismatch
        lambda data: data[:20],  # truncated
        lambda data: frame(msgspec.msgpack.encode([1, b"x"])),  # well framed, wrong shape
        lambda data: frame(msgspec.msgpack.encode([1, b"\0" * 8, b"", b"", b""])),  # lengths
        lambda data: frame(msgspec.msgpack.encode([9, b"", b"", b"", b""])),  # version
    ],
)
def test_a_damaged_shard_is_discarded_with_one_warning_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: object
) -> None:
    good = TokenStore(tmp_path)
    good.add(ENC, digest_in(0, 1), 10, 1)
    assert good.save()
    path = shard_path(tmp_path, ENC, 0)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    reader = TokenStore(tmp_path)
    with caplog.at_level(logging.WARNING):
        assert reader.get(ENC, digest_in(0, 1), 10) is None
        assert reader.get(ENC, digest_in(0, 2), 10) is None  # the same shard: no second warning
        assert reader.save()  # rebuilt, though nothing new falls in it
    assert len(caplog.records) == 1 and "damaged token store shard" in caplog.text
    caplog.clear()
    reader.add(ENC, digest_in(0, 3), 10, 3)
    assert reader.save()
    assert TokenStore(tmp_path).get(ENC, digest_in(0, 3), 10) == 3
    assert not caplog.records


def test_an_impossible_count_is_never_returned(tmp_path: Path) -> None:
    path = shard_path(tmp_path, ENC, 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(encode_shard({content_key(digest_in(0, 1), 10): packed(11, today())}))
    assert TokenStore(tmp_path).get(ENC, digest_in(0, 1), 10) is None  # 11 tokens in 10 bytes


# --- through the engine: two workspaces, old in-tree caches --------------------------------


def counting_pools() -> tuple[list[FakePool], Callable[[Settings], FakePool]]:
    pools: list[FakePool] = []

    def factory(_settings: Settings) -> FakePool:
        pools.append(FakePool())
        return pools[-1]

    return pools, factory


FILES = {"a.py": "import os\nprint(os.sep)\n", "pkg/b.py": "x = 1\ny = 2\n", "c.md": "# hello\n"}


def test_an_identical_file_in_two_workspaces_is_tokenized_once(tmp_path: Path) -> None:
    one = make_tree(tmp_path / "one", FILES)
    two = make_tree(tmp_path / "two", {**FILES, "new.py": "z = 3\n"})
    age(one)
    age(two)
    pools, factory = counting_pools()
    first = Engine(one, Settings(pool_size=2), pool_factory=factory)
    assert first.scan().tokenized == 3
    first.close()
    second = Engine(two, Settings(pool_size=2), pool_factory=factory)
    report = second.scan()
    second.close()
    assert (report.tokenized, report.cache_hits) == (1, 3)  # only new.py
    assert [p.calls for p in pools] == [3, 1]
    assert second.inspect(lambda m: m.files["a.py"].tokens) == fake_count(FILES["a.py"])
    # Each workspace keeps its own snapshot; one store beside them.
    base = Path(os.environ["SOURCEPACKER_CACHE_DIR"])
    assert (default_cache_dir(one) / CACHE_FILE_NAME).is_file()
    assert (default_cache_dir(two) / CACHE_FILE_NAME).is_file()
    assert default_store_dir() == base / STORE_DIR_NAME and (base / STORE_DIR_NAME / ENC).is_dir()


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    return {
        os.path.relpath(os.path.join(d, n), root): (
            os.stat(os.path.join(d, n)).st_size,
            os.stat(os.path.join(d, n)).st_mtime_ns,
        )
        for d, dirs, names in os.walk(root)
        for n in names + dirs
    }


def v1_cache(files: dict[str, str], count: object = fake_count) -> bytes:
    """A cache file exactly as the first release wrote it (cache.py at 968a825)."""
    import xxhash

    tokens = []
    paths = {}
    for rel, text in files.items():
        data = text.encode()
        digest = xxhash.xxh3_64_intdigest(data)
        tokens.append((digest, len(data), count(text)))  # type: ignore[operator]
        paths[rel] = (len(data), 1, 2, digest, False, "")
    return msgspec.msgpack.encode({"version": 1, "tokens": {ENC: tokens}, "paths": paths})


def test_an_old_in_tree_cache_is_imported_once_and_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_tree(tmp_path / "ws", FILES)
    old = make_tree(root, {".sourcepacker/cache/cache-v1.msgpack": v1_cache(FILES)})
    make_tree(root, {".sourcepacker/cache/.gitignore": "*\n"})
    age(root)
    before = tree_state(root)
    _pools, factory = counting_pools()
    with caplog.at_level(logging.WARNING):
        engine = Engine(root, Settings(pool_size=2), pool_factory=factory)
        report = engine.scan()
        engine.pack()
        engine.close()
    assert report.tokenized == 0 and report.cache_hits == 3
    assert "imported 3 token counts" in caplog.text and "can be removed" in caplog.text
    assert tree_state(root) == before  # nothing written, moved or deleted in the workspace
    assert old.exists()
    # Imported into this workspace's cache only, never into the shared store.
    other = make_tree(tmp_path / "other", FILES)
    again = Engine(other, Settings(pool_size=2), pool_factory=factory)
    assert again.scan().tokenized == 3
    again.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # once: the workspace has its own cache now
        Engine(root, Settings(pool_size=2), pool_factory=factory).close()
    assert "imported" not in caplog.text


def test_an_old_cache_with_an_impossible_count_is_not_imported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_tree(tmp_path / "ws", FILES)
    forged = v1_cache(FILES, count=lambda text: len(text) + 1)  # more tokens than bytes
    make_tree(root, {".sourcepacker/cache/cache-v1.msgpack": forged})
    age(root)
    with caplog.at_level(logging.WARNING):
        engine = Engine(root, Settings(pool_size=2), pool_factory=lambda s: FakePool())
        assert engine.scan().tokenized == 3
        engine.close()
    assert "not imported: impossible token entry" in caplog.text


def test_an_old_checksummed_v3_cache_is_imported(tmp_path: Path) -> None:
    import xxhash

    root = make_tree(tmp_path / "ws", FILES)
    entries = [
        (xxhash.xxh3_64_intdigest(t.encode()), len(t.encode()), fake_count(t), today())
        for t in FILES.values()
    ]
    body = msgspec.msgpack.encode({"version": 3, "tokens": {ENC: entries}, "paths": {}})
    make_tree(root, {".sourcepacker/cache/cache-v3.msgpack": encode_cache(body)})
    engine = Engine(root, Settings(pool_size=2), pool_factory=lambda s: FakePool())
    assert engine.scan().tokenized == 0
    engine.close()


def test_merge_keeps_hash_order_and_matches_a_dict_union() -> None:
    """Property: the array merge equals the obvious dict union, in (hash, size) order."""
    import random

    rnd = random.Random(5)
    day = today()
    for _ in range(50):
        keys = [content_key(rnd.randrange(8), rnd.randrange(1, 4)) for _ in range(12)]
        base = {k: packed(rnd.randrange(1, 5) + 4, day - rnd.randrange(3)) for k in keys[:8]}
        items = {k: packed(rnd.randrange(1, 5) + 4, day - rnd.randrange(3)) for k in keys[4:]}
        expected = dict(base)
        for k, v in items.items():
            if k not in expected or v & 0xFFFF > expected[k] & 0xFFFF:
                expected[k] = v
        merged = merge(_Shard.from_table(base), list(items.items()))
        assert merged.table() == expected
        order = list(zip(merged.hashes, merged.sizes, strict=True))
        assert order == sorted(order)


def test_a_count_used_from_the_store_moves_its_day_forward(tmp_path: Path) -> None:
    path = shard_path(tmp_path, ENC, 0)
    path.parent.mkdir(parents=True)
    path.write_bytes(encode_shard({content_key(digest_in(0, 1), 10): packed(4, today() - 20)}))
    user = TokenStore(tmp_path)
    assert user.get(ENC, digest_in(0, 1), 10) == 4
    assert user.pending == 1 and user.save()
    again = TokenStore(tmp_path)
    assert again.get(ENC, digest_in(0, 1), 10) == 4
    assert again.pending == 0  # already today's: nothing to write


def test_workspace_folders_unused_for_max_age_days_are_swept_once_a_day(tmp_path: Path) -> None:
    from sourcepacker.store import sweep_workspaces

    long_ago = time.time() - (MAX_AGE_DAYS + 1) * 86400

    def folder(name: str, files: dict[str, str], old: bool = True) -> Path:
        made = make_tree(tmp_path / name, files)
        for p in [*made.rglob("*"), made]:
            if old:
                os.utime(p, (long_ago, long_ago))
        return made

    gone = folder("gone-0123456789ab", {CACHE_FILE_NAME: "x", "derived-1.msgpack": "y"})
    used = folder("used-0123456789ab", {CACHE_FILE_NAME: "x"}, old=False)
    mine = folder("notes-0123456789ab", {"todo.txt": "x"})  # no cache file: not ours
    nested = folder("deep-0123456789ab", {CACHE_FILE_NAME: "x", "sub/f": "y"})
    other = folder("photos", {CACHE_FILE_NAME: "x"})
    (tmp_path / STORE_DIR_NAME).mkdir()
    assert sweep_workspaces(tmp_path) == ["gone-0123456789ab"]
    assert not gone.exists()
    assert used.exists() and mine.exists() and nested.exists() and other.exists()
    again = folder("late-0123456789ab", {CACHE_FILE_NAME: "x"})
    assert sweep_workspaces(tmp_path) == []  # swept today already
    assert again.exists()


def test_loading_a_workspace_cache_marks_it_in_use(tmp_path: Path) -> None:
    path = tmp_path / "ws-0123456789ab" / CACHE_FILE_NAME
    cache = TokenCache.load(path)
    cache.put(ENC, 1, 10, 2)
    assert cache.save()
    long_ago = time.time() - (MAX_AGE_DAYS + 1) * 86400
    os.utime(path, (long_ago, long_ago))
    TokenCache.load(path)
    assert path.stat().st_mtime > time.time() - 3600


def test_workspaces_of_one_process_share_counts_before_any_save(tmp_path: Path) -> None:
    from sourcepacker.store import shared_store

    store = shared_store(tmp_path / "s")
    assert shared_store(tmp_path / "s") is store
    one = TokenCache.load(tmp_path / "one" / CACHE_FILE_NAME, shared=store)
    two = TokenCache.load(tmp_path / "two" / CACHE_FILE_NAME, shared=store)
    one.put(ENC, 5, 10, 3)
    assert two.get(ENC, 5, 10) == 3  # nothing saved yet


def test_the_command_line_with_a_damaged_store_warns_once_and_counts_exactly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from sptree import run_cli

    one = make_tree(tmp_path / "one", FILES)
    two = make_tree(tmp_path / "two", FILES)
    assert run_cli(capsys, "tokens", str(one), "--json")[0] == 0
    for path in (Path(os.environ["SOURCEPACKER_CACHE_DIR"]) / STORE_DIR_NAME).rglob("*.bin"):
        path.write_bytes(b"\0" * 40)
    with caplog.at_level(logging.WARNING):
        code, out, err = run_cli(capsys, "tokens", str(two), "--json")
    assert code == 0 and "Traceback" not in err
    damaged = [r for r in caplog.records if "damaged token store shard" in r.getMessage()]
    shards = {r.getMessage().split()[4] for r in damaged}
    assert damaged and len(shards) == len(damaged)  # one line per damaged shard, once
    code, again, _err = run_cli(capsys, "tokens", str(one), "--json")
    assert code == 0 and out.replace(str(two), "") == again.replace(str(one), "")


def test_a_packs_glue_stays_out_of_the_shared_store(tmp_path: Path) -> None:
    """Wrappers naming this workspace's paths are of no use to another: only the files' own
    counts are offered to the store, the glue's stay in the workspace's file."""
    import io

    from sourcepacker.options import PackOptions

    root = make_tree(tmp_path / "ws", FILES)
    age(root)
    _pools, factory = counting_pools()
    engine = Engine(root, Settings(pool_size=2), pool_factory=factory)
    engine.scan()
    engine.set_checked([""], True)
    shared = engine.cache.shared
    assert shared is not None
    offered: list[int] = []
    real_add = shared.add
    shared.add = lambda enc, digest, size, tokens: (  # type: ignore[method-assign]
        offered.append(digest),
        real_add(enc, digest, size, tokens),
    )[1]
    result = engine.pack(PackOptions(mask_secrets=False), write=io.BytesIO().write)
    engine.close()
    assert result.file_count == 3 and offered == []  # the glue was counted, and kept here
