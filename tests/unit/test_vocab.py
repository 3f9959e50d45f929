"""Shipped vocabularies: integrity, offline loading, clear errors, and golden per-file counts."""

from __future__ import annotations

import hashlib
import socket
import sysconfig
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from sourcepacker.cache import TokenCache
from sourcepacker.engine import Engine
from sourcepacker.model import TokenState
from sourcepacker.settings import Settings
from sourcepacker.vocab import (
    SHIPPED_SHA256,
    EncodingUnavailableError,
    counter,
    get_encoding,
    shipped_path,
)
from sptree import age, make_tree

ENCODINGS = [pytest.param(name, id=name) for name in sorted(SHIPPED_SHA256)]


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No sockets, no urllib, and an empty tiktoken download cache."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))


@pytest.mark.parametrize("name", ENCODINGS)
def test_shipped_files_match_their_hash(name: str) -> None:
    digest = hashlib.sha256(shipped_path(name).read_bytes()).hexdigest()
    assert digest == SHIPPED_SHA256[name]


@pytest.mark.parametrize("name", ENCODINGS)
def test_shipped_encodings_load_offline(offline: None, name: str) -> None:
    enc = get_encoding.__wrapped__(name)  # bypass the memo: really load it here
    assert enc.name == name
    assert enc.encode_ordinary("hello world") == get_encoding(name).encode_ordinary("hello world")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("no_such_encoding", id="unknown"),
        pytest.param("r50k_base", id="known-to-tiktoken-not-shipped"),
    ],
)
def test_unavailable_encoding_is_a_clear_error(offline: None, name: str) -> None:
    with pytest.raises(EncodingUnavailableError) as info:
        get_encoding.__wrapped__(name)
    message = str(info.value)
    assert repr(name) in message
    assert "not available offline" in message or "unknown encoding or model" in message
    assert "o200k_base" in message and "gpt-4o" in message  # one line saying what is available
    assert "\n" not in message
    assert "o200k_base" in message  # says what does work


def test_special_tokens_count_as_text() -> None:
    count = counter("o200k_base")
    enc = get_encoding("o200k_base")
    text = "before <|endoftext|> after"
    assert count(text) == len(enc.encode_ordinary(text)) > 3


def _stdlib_sample(n: int = 50) -> dict[str, bytes]:
    """Every k-th stdlib .py file (sorted: the same sample on every run), as bytes."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    candidates = sorted(
        p
        for p in stdlib.glob("*/*.py")
        if "site-packages" not in p.parts and p.stat().st_size < 200_000
    )
    step = max(1, len(candidates) // n)
    return {p.relative_to(stdlib).as_posix(): p.read_bytes() for p in candidates[::step][:n]}


EXTRA: dict[str, bytes] = {
    "crlf.txt": b"line one\r\nline two\r\n\r\n",
    "bom.py": "\ufeffprint('bom')\n".encode(),
    "unicode.md": "Ünïcødé — 漢字 — emoji 🎉\n".encode(),
    "special.txt": b"<|endoftext|><|fim_prefix|>\n",
    "empty.txt": b"",
    "spaces.txt": b"   \n\t\t\n    x   \n",
}


@pytest.mark.parametrize("name", ENCODINGS)
def test_golden_counts_equal_tiktoken(tmp_path: Path, name: str) -> None:
    files = {**_stdlib_sample(), **EXTRA}
    assert len(files) >= 50
    root = make_tree(tmp_path / "ws", files)
    age(root)
    engine = Engine(
        root,
        Settings(encoding=name, pool_size=2, cache_dir=str(tmp_path / "cache")),
        cache=TokenCache.load(None),
    )
    try:
        engine.scan()
    finally:
        engine.close()
    enc = get_encoding(name)
    expected = {rel: len(enc.encode_ordinary(data.decode("utf-8"))) for rel, data in files.items()}
    got = {rel: f.tokens for rel, f in engine.model.files.items()}
    assert {rel: f.state for rel, f in engine.model.files.items()} == dict.fromkeys(
        files, TokenState.EXACT
    )
    assert got == expected
    assert engine.model.totals().exact == sum(expected.values())
