"""A scan told what the next pack will do shapes each file it tokenizes on the pool's workers.

A cold CLI pack then masks (and transforms) nothing after the scan: its serial tail only reads,
wraps and writes. The figures are in pool.py; here: the pack finds every derived text ready,
and its counts stay tiktoken's, for threads, the adaptive pool's kept texts and processes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from sourcepacker import packing
from sourcepacker import pool as pool_module
from sourcepacker.engine import Engine
from sourcepacker.options import PackOptions
from sourcepacker.vocab import counter
from sptree import make_tree

SECRET = 'password = "hunter2hunter2Xq9"\n'
FILES = {
    "app.py": "def main():\n    # entry point\n    return 1\n",
    "conf.py": "user = 'me'\n" + SECRET,
    "lib/util.py": '"""Docs."""\n\n\ndef f(x):\n    return x  # double\n',
    "lib/copy.py": "user = 'me'\n" + SECRET,  # identical content: one entry serves both
    "bom.txt": "\ufeffhello world\n",
}


@pytest.mark.parametrize(
    ("kind", "min_bytes"),
    [("thread", 0), ("adaptive", 1 << 40), ("adaptive", 0)],
    ids=["threads", "adaptive-kept", "adaptive-processes"],
)
def test_prepared_scan_leaves_the_pack_nothing_to_derive(
    tmp_path: Path,
    engine_factory: Callable[..., Engine],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    min_bytes: int,
) -> None:
    monkeypatch.setattr(pool_module, "PROCESS_MIN_BYTES", min_bytes)
    root = make_tree(tmp_path / "ws", FILES)
    engine = engine_factory(root, fake=False, pool_kind=kind, counter="rs-bpe")
    options = PackOptions(transforms=("remove-comments",))
    engine.prepare_packs(options)
    engine.scan()
    engine.set_checked([""], True)

    def no_derive(*_args: object) -> object:
        raise AssertionError("the pack derived a file the scan had shaped")

    monkeypatch.setattr(packing, "derive", no_derive)
    sink = io.BytesIO()
    result = engine.pack(options, write=sink.write)
    text = sink.getvalue().decode("utf-8")
    assert result.tokens == counter("o200k_base")(text)
    assert "hunter2" not in text and "# entry point" not in text and "# double" not in text
    assert {r.path for r in result.redactions} == {"conf.py", "lib/copy.py"}


def test_unprepared_scan_shapes_nothing(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", FILES)
    engine = engine_factory(root)
    engine.scan()
    store = engine._store(PackOptions())
    assert store is not None and store.get(0, 0) is None
    assert not store._entries


def test_scan_and_pack_streams_behind_the_scan_and_tokenizes_nothing_twice(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    """The concurrent pack waits for the scan's counts: the tokenizer sees the same calls as a
    scan followed by a pack, and the prompt is the same."""
    files = {f"d{i % 7}/f{i}.py": f"x = {i}\n" * (i % 13 + 1) for i in range(300)}
    files.update(FILES)
    runs = []
    for mode in ("sequential", "concurrent"):
        root = make_tree(tmp_path / mode / "ws", files)
        engine = engine_factory(root, cache_dir=tmp_path / mode / "cache")
        options = PackOptions()
        sink = io.BytesIO()
        if mode == "sequential":
            engine.prepare_packs(options)
            engine.scan()
            engine.set_checked([""], True)
            result = engine.pack(options, write=sink.write)
        else:
            _report, result = engine.scan_and_pack(
                options, sink.write, select=lambda e=engine: e.set_checked([""], True)
            )
        calls = engine.pool.calls  # type: ignore[attr-defined]
        runs.append((sink.getvalue(), result.tokens, result.file_count, calls))
    assert runs[0] == runs[1]


def test_scan_and_pack_is_exact_when_a_file_changes_after_the_walk(
    tmp_path: Path, engine_factory: Callable[..., Engine]
) -> None:
    root = make_tree(tmp_path / "ws", FILES)
    engine = engine_factory(root, fake=False)

    def select() -> None:  # runs after the walk, while the workers may be counting
        (root / "app.py").write_text("def main():\n    return 'changed meanwhile'\n")
        engine.set_checked([""], True)

    sink = io.BytesIO()
    _report, result = engine.scan_and_pack(PackOptions(), sink.write, select=select)
    text = sink.getvalue().decode("utf-8")
    assert "changed meanwhile" in text
    assert result.tokens == counter("o200k_base")(text)


def test_scan_and_pack_raises_what_the_scan_raised(
    tmp_path: Path, engine_factory: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tree(tmp_path / "ws", FILES)
    engine = engine_factory(root)

    def broken(*_args: object, **_kwargs: object) -> object:
        raise OSError("disk on fire")

    monkeypatch.setattr(engine.pool, "count_files", broken)
    with pytest.raises(OSError, match="disk on fire"):  # (the CLI then removes its output)
        engine.scan_and_pack(PackOptions(), io.BytesIO().write)
