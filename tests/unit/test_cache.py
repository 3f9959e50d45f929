"""The token cache file: round trip, versioning, corruption, dirty tracking and its location."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import msgspec
import pytest

from sourcepacker.cache import (
    CACHE_VERSION,
    ENV_CACHE_DIR,
    FLUSH_EVERY,
    CacheFile,
    PathRecord,
    TokenCache,
    TokenEntry,
    atomic_write,
    default_cache_dir,
    encode_cache,
)


def filled(path: Path) -> TokenCache:
    cache = TokenCache.load(path)
    cache.put("o200k_base", 2**64 - 1, 10, 3)  # xxh3_64 digests use the full unsigned range
    cache.put("cl100k_base", 7, 10, 4)
    cache.set_paths({"a.py": PathRecord(10, 123, 456, 2**64 - 1, racy=True)})
    cache.set_paths({"b.bin": PathRecord(5, 1, 2, 9, skip="binary")})
    return cache


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "c" / "cache.msgpack"
    saved = filled(path)
    assert saved.save()
    loaded = TokenCache.load(path)
    assert loaded.load_error is None
    assert loaded.tokens == saved.tokens
    assert loaded.paths == saved.paths
    assert not loaded.dirty
    assert [p.name for p in path.parent.iterdir()] == ["cache.msgpack"]  # no temp file left


def test_save_only_when_dirty(tmp_path: Path) -> None:
    cache = filled(tmp_path / "cache.msgpack")
    assert cache.save()
    assert not cache.save()
    cache.put("o200k_base", 7, 10, 4)
    assert cache.dirty
    cache.put("o200k_base", 7, 10, 4)  # same value: no new revision
    assert cache.revision == cache.saved_revision + 1


def test_maybe_flush_after_enough_entries(tmp_path: Path) -> None:
    cache = TokenCache.load(tmp_path / "cache.msgpack")
    for i in range(FLUSH_EVERY - 1):
        cache.put("e", i, 1, 1)
    assert not cache.maybe_flush()
    cache.put("e", FLUSH_EVERY, 1, 1)
    assert cache.maybe_flush()
    assert TokenCache.load(tmp_path / "cache.msgpack").entry_count() == FLUSH_EVERY


def test_no_path_means_memory_only() -> None:
    cache = TokenCache.load(None)
    cache.put("e", 1, 1, 1)
    assert not cache.save()


def _framed(value: object) -> bytes:
    """A well-formed file (header and checksum right) around ``value``'s msgpack."""
    return encode_cache(msgspec.msgpack.encode(value))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(b"", "no sourcepacker cache header", id="empty"),
        pytest.param(b"\xc1\xc1\xc1 not msgpack", "no sourcepacker cache header", id="garbage"),
        pytest.param(b"TRUNC", "checksum mismatch", id="truncated"),
        pytest.param(_framed([1, 2, 3]), "damaged", id="wrong-shape"),
        pytest.param(
            _framed({"version": CACHE_VERSION, "paths": {"a": [1, 2]}}),
            "damaged",
            id="bad-record",
        ),
        pytest.param(_framed(CacheFile(CACHE_VERSION + 1, {}, {})), "version", id="newer-version"),
        pytest.param(_framed(CacheFile(0, {}, {})), "version", id="old-version"),
        pytest.param(
            _framed(CacheFile(CACHE_VERSION, {"o200k_base": [TokenEntry(1, 10, -5)]})),
            "impossible token entry",
            id="negative-count",
        ),
        pytest.param(
            _framed(CacheFile(CACHE_VERSION, {}, {"../../etc/passwd": PathRecord(1, 1, 1, 1)})),
            "not a relative path inside",
            id="climbing-path",
        ),
        pytest.param(
            _framed(CacheFile(CACHE_VERSION, {}, {"/etc/passwd": PathRecord(1, 1, 1, 1)})),
            "not a relative path inside",
            id="absolute-path",
        ),
        pytest.param(
            _framed(CacheFile(CACHE_VERSION, {}, {"a": PathRecord(1, 1, 1, 1, skip="nope")})),
            "impossible record",
            id="unknown-skip",
        ),
    ],
)
def test_bad_file_is_logged_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, data: bytes, error: str
) -> None:
    path = tmp_path / "cache.msgpack"
    if data == b"TRUNC":
        good = filled(path)
        good.save()
        data = path.read_bytes()[:-7]
    path.write_bytes(data)
    with caplog.at_level(logging.INFO, logger="sourcepacker.cache"):
        cache = TokenCache.load(path)
    assert cache.load_error is not None and error in cache.load_error
    assert str(path) in caplog.text
    assert (cache.tokens, cache.paths) == ({}, {})
    cache.put("o200k_base", 1, 1, 1)
    assert cache.save()
    again = TokenCache.load(path)
    assert (again.load_error, again.entries("o200k_base")) == (None, [(1, 1, 1)])


def test_unreadable_location_is_an_empty_cache(tmp_path: Path) -> None:
    (tmp_path / "dir.msgpack").mkdir()
    cache = TokenCache.load(tmp_path / "dir.msgpack")
    assert cache.load_error is not None and "cannot read" in cache.load_error
    cache.put("e", 1, 1, 1)
    assert not cache.save()  # logged, never raised


def test_atomic_write_failure_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.bin"
    atomic_write(path, b"old")

    def fail(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space"):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


# --- location ------------------------------------------------------------------------------


@pytest.fixture
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import platformdirs

    home = tmp_path / "user-cache"
    monkeypatch.setattr(platformdirs, "user_cache_dir", lambda app: str(home / app))
    monkeypatch.delenv(ENV_CACHE_DIR, raising=False)
    return home / "sourcepacker"


def test_user_cache_by_default_and_nothing_in_the_workspace(
    tmp_path: Path, user_cache: Path
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    where = default_cache_dir(root)
    assert where.parent == user_cache
    assert where.name.startswith("ws-")
    assert default_cache_dir(root) == where  # stable key per workspace
    other = tmp_path / "other" / "ws"
    other.mkdir(parents=True)
    assert default_cache_dir(other) != where  # same folder name, other workspace
    assert list(root.iterdir()) == []


def test_env_var_overrides(
    tmp_path: Path, user_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    monkeypatch.setenv(ENV_CACHE_DIR, str(tmp_path / "env"))
    where = default_cache_dir(root)
    assert where.parent == tmp_path / "env"
    assert not (root / ".sourcepacker").exists()
    # An explicit setting beats the environment.
    assert default_cache_dir(root, str(tmp_path / "explicit")) == tmp_path / "explicit"
