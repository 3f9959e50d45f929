"""Choosing the counting backend, its fallbacks, and the pool kind that goes with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcepacker import backends
from sourcepacker.backends import (
    RS_BPE,
    TIKTOKEN,
    BackendUnavailableError,
    RsBpeBackend,
    TiktokenBackend,
    get_backend,
    pool_kind_for,
)
from sourcepacker.cli import main
from sourcepacker.pool import TokenizerPool
from sourcepacker.settings import Settings, parse_settings
from sourcepacker.vocab import counter

needs_rs_bpe = pytest.mark.skipif(
    not backends.installed(RS_BPE), reason="rs-bpe has no wheel for this Python"
)


@pytest.fixture
def without_rs_bpe(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a Python without an rs-bpe wheel (3.14, Windows on ARM, PyPy)."""
    real = backends.installed

    monkeypatch.setattr(backends, "installed", lambda name: name != RS_BPE and real(name))


@needs_rs_bpe
def test_auto_is_rs_bpe_where_installed() -> None:
    assert get_backend("auto", "o200k_base").name == RS_BPE
    assert get_backend("auto", "cl100k_base").name == RS_BPE


def test_auto_is_tiktoken_without_rs_bpe(without_rs_bpe: None) -> None:
    assert get_backend("auto", "o200k_base").name == TIKTOKEN


def test_auto_is_tiktoken_for_encodings_rs_bpe_lacks() -> None:
    assert get_backend("auto", "r50k_base").name == TIKTOKEN


def test_named_backend_not_installed_is_a_clear_error(without_rs_bpe: None) -> None:
    with pytest.raises(BackendUnavailableError, match="'rs-bpe' is not installed"):
        get_backend(RS_BPE)
    with pytest.raises(BackendUnavailableError, match="unknown counter 'fast'"):
        get_backend("fast")


def test_pool_kind_follows_the_gil_unless_asked() -> None:
    assert pool_kind_for(TiktokenBackend(), cpus=8) == "thread"  # releases the GIL
    assert pool_kind_for(RsBpeBackend(), cpus=2) == "adaptive"  # big batches: processes
    assert pool_kind_for(RsBpeBackend(), cpus=1) == "thread"  # no second core to use
    assert pool_kind_for(RsBpeBackend(), "thread") == "thread"  # an explicit choice wins
    assert pool_kind_for(TiktokenBackend(), "process") == "process"


@needs_rs_bpe
def test_pool_resolves_backend_and_kind() -> None:
    pool = TokenizerPool("o200k_base", "auto", 2, counter="auto")
    assert (pool.backend.name, pool.kind) == (RS_BPE, pool_kind_for(RsBpeBackend()))
    pool = TokenizerPool("o200k_base", "auto", 2, counter="tiktoken")
    assert (pool.backend.name, pool.kind) == (TIKTOKEN, "thread")


@needs_rs_bpe
@pytest.mark.parametrize("min_bytes", [0, 1 << 40], ids=["processes", "threads"])
def test_adaptive_pool_counts_exactly_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, min_bytes: int
) -> None:
    """Below the threshold misses are counted in-process on the texts already read; above it
    by spawned workers, shut down afterwards. Same counts, identical files included."""
    from sourcepacker import pool as pool_module

    monkeypatch.setattr(pool_module, "PROCESS_MIN_BYTES", min_bytes)
    texts = {f"f{i}.py": f"def f{i}(x):\n    return x * {i}\n" * (i + 1) for i in range(150)}
    texts["dup.py"] = texts["f3.py"]
    for rel, text in texts.items():
        (tmp_path / rel).write_text(text)
    pool = TokenizerPool("o200k_base", "adaptive", 2, counter=RS_BPE)
    try:
        got = {
            r.rel: r.tokens
            for batch in pool.count_files(str(tmp_path), sorted(texts), lambda d, s: None)
            for r in batch
        }
        assert pool._processes is None  # no idle worker left behind
    finally:
        pool.close()
    count = counter("o200k_base")
    assert got == {rel: count(text) for rel, text in texts.items()}


def test_settings_counter_is_checked(without_rs_bpe: None) -> None:
    settings, problems = parse_settings({"counter": "tiktoken"})
    assert (settings.counter, problems) == ("tiktoken", [])
    settings, problems = parse_settings({"counter": "fast"})
    assert settings.counter == "auto"
    assert problems == ["counter: expected one of auto, tiktoken, rs-bpe; using the default"]
    settings, problems = parse_settings({"counter": RS_BPE})
    assert settings.counter == "auto"
    assert problems == ["counter: not installed for this Python; using the default"]


def test_cli_names_a_missing_backend_in_one_line(
    without_rs_bpe: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    status = main(["tokens", str(tmp_path), "--counter", RS_BPE, "--cache-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 1
    assert err == (
        "sourcepacker: error: counter 'rs-bpe' is not installed for this Python;"
        " use 'auto' or 'tiktoken'\n"
    )


@needs_rs_bpe
def test_text_that_is_not_utf8_goes_to_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def spy(encoding: str) -> backends.Counter:
        calls.append(encoding)
        return counter(encoding)

    monkeypatch.setattr(backends, "_reference", spy)
    count = RsBpeBackend().counter("o200k_base")
    assert count("plain text") == counter("o200k_base")("plain text")
    assert calls == []
    text = "lone \ud800 surrogate"
    assert count(text) == counter("o200k_base")(text)
    assert calls == ["o200k_base"]


@needs_rs_bpe
def test_huge_text_goes_to_tiktoken(monkeypatch: pytest.MonkeyPatch) -> None:
    """rs-bpe would hold the GIL for the whole count; tiktoken releases it."""
    calls: list[int] = []

    def spy(encoding: str) -> backends.Counter:
        reference = counter(encoding)
        return lambda text: calls.append(len(text)) or reference(text)

    monkeypatch.setattr(backends, "_reference", spy)
    monkeypatch.setattr(backends, "GIL_HOLD_MAX_CHARS", 100)
    count = RsBpeBackend().counter("o200k_base")
    assert count("a b " * 25) == counter("o200k_base")("a b " * 25)
    assert calls == []
    text = "word " * 21
    assert count(text) == counter("o200k_base")(text)
    assert calls == [105]


def test_a_panic_goes_to_tiktoken() -> None:
    class PanicException(BaseException):  # the name pyo3 gives its exception
        pass

    def panics(_text: str) -> int:
        raise PanicException("index out of bounds")

    count = backends._with_fallback(panics, "o200k_base")
    assert count("a b c") == counter("o200k_base")("a b c")


def test_other_errors_are_not_swallowed() -> None:
    def fails(_text: str) -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backends._with_fallback(fails, "o200k_base")("x")


@pytest.mark.parametrize("name", [TIKTOKEN, pytest.param(RS_BPE, marks=needs_rs_bpe)])
@pytest.mark.parametrize("pool", ["thread", "process", "auto"])
def test_engine_counts_alike_with_each_backend_and_pool(
    tmp_path: Path, name: str, pool: str
) -> None:
    from sourcepacker.cache import TokenCache
    from sourcepacker.engine import Engine
    from sptree import age, make_tree

    files = {"a.py": b"def f():\n    return 1\n", "b/c.md": "# Ünï <|endoftext|>\n".encode()}
    root = make_tree(tmp_path / "ws", files)
    age(root)
    settings = Settings(counter=name, pool_kind=pool, pool_size=2)
    engine = Engine(root, settings, cache=TokenCache.load(None))
    try:
        engine.scan()
        assert engine.pool.backend.name == name
        spawned = engine.pool._processes is not None
        assert spawned == (pool == "process")
    finally:
        engine.close()
    reference = counter("o200k_base")
    expected = {rel: reference(data.decode()) for rel, data in files.items()}
    assert {rel: f.tokens for rel, f in engine.model.files.items()} == expected
