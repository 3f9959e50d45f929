"""A 10,000-file tree: random changes between scans, and changes made during a scan.

Both end the same way: the incremental model equals a fresh full count, and its folder sums
equal a recount. ~2 s of tree building per test, then well under a second per scan.
"""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path

import pytest

from sourcepacker.cache import TokenCache
from sourcepacker.engine import Engine
from sourcepacker.model import FileState
from sourcepacker.settings import Settings
from sourcepacker.vocab import get_encoding
from sptree import OLD_NS, age, assert_consistent, fake_pool, fresh_count, snapshot

pytestmark = pytest.mark.slow

FILES, DIRS = 10_000, 100
SETTINGS = Settings(pool_size=2)


def build(root: Path) -> list[str]:
    rels = []
    for d in range(DIRS):
        folder = root / f"pkg{d:02d}"
        folder.mkdir(parents=True)
        for i in range(d, FILES, DIRS):
            name = f"m{i:05d}.py"
            (folder / name).write_bytes(
                f"def f{i}(x):\n    return x + {i}\n".encode() * (i % 5 + 1)
            )
            rels.append(f"pkg{d:02d}/{name}")
    age(root)
    return rels


def mutate(root: Path, rng: random.Random, clock: list[int]) -> None:
    """One random edit: modify (same size or not), delete, create or rename a file."""
    folder = root / f"pkg{rng.randrange(DIRS):02d}"
    names = os.listdir(folder) if folder.exists() else []
    kind = rng.choice(["modify", "modify", "delete", "create", "rename"])
    if kind == "create" or not names:
        folder.mkdir(exist_ok=True)
        target = folder / f"new{rng.randrange(10**6)}.py"
    else:
        target = folder / rng.choice(names)
    try:
        if kind == "delete":
            target.unlink()
        elif kind == "rename":
            target.rename(folder / f"moved{rng.randrange(10**6)}.py")
        else:
            word = rng.choice(["same", "SAME", "other words here"])  # equal sizes do happen
            target.write_text(f"# {word}\n" * rng.randint(1, 4))
            clock[0] += 1_000_000
            os.utime(target, ns=(clock[0], clock[0]))
    except FileNotFoundError:
        pass


def test_random_changes_between_scans_match_a_fresh_count(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    rels = build(root)
    cache_path = tmp_path / "cache.msgpack"
    real = Engine(root, SETTINGS, cache=TokenCache.load(cache_path))
    rng, clock = random.Random(7), [OLD_NS]
    try:
        first = real.scan()  # the real encoding, all 10k files
        assert (first.files, first.tokenized + first.cache_hits) == (FILES, FILES)
        enc = get_encoding(SETTINGS.encoding)
        for rel in rng.sample(rels, 200):
            text = (root / rel).read_text(encoding="utf-8")
            assert real.model.files[rel].tokens == len(enc.encode_ordinary(text))
    finally:
        real.close()
    # The same folder reopened from the persisted cache, now counting with the fake tokenizer.
    engine = Engine(root, SETTINGS, cache=TokenCache.load(cache_path), pool_factory=fake_pool)
    try:
        for changes in (1, 300):
            for _ in range(changes):
                mutate(root, rng, clock)
            report = engine.scan()
            assert report.read <= 2 * changes
            assert_consistent(engine.model)
            # Files unchanged since the real-encoding scan keep their real counts; the fresh
            # count must see the same mix, so it reuses a copy of the engine's cache.
            check = Engine(root, SETTINGS, cache=TokenCache.load(None), pool_factory=fake_pool)
            check.cache.tokens = {e: dict(t) for e, t in engine.cache.tokens.items()}
            check.scan()
            assert snapshot(engine.model) == snapshot(check.model)
            assert engine.model.totals() == check.model.totals()
    finally:
        engine.close()


class NonNegative:
    """A scan listener that checks the totals after every merged batch, under the lock."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.batches = 0

    def discovered(self, files: int) -> None: ...
    def progress(self, done: int, total: int) -> None: ...

    def counted(self, files: list[FileState]) -> None:
        self.batches += 1
        _selected, s = self.engine.totals()
        assert min(s.files, s.size, s.exact, s.estimated, s.pending) >= 0


def test_scan_during_edits_converges_after_one_more_scan(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    build(root)
    cache = TokenCache.load(tmp_path / "cache.msgpack")
    engine = Engine(root, SETTINGS, cache=cache, pool_factory=fake_pool)
    stop, started = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    edits = [0]

    def editor() -> None:
        rng, clock = random.Random(11), [OLD_NS]
        try:
            while not stop.is_set():
                mutate(root, rng, clock)
                edits[0] += 1
                started.set()
        except BaseException as exc:  # surfaced below: a silent editor proves nothing
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=editor)
    thread.start()
    try:
        assert started.wait(10)
        listener = NonNegative(engine)
        engine.scan(listener=listener)
        # And a targeted scan racing the editor too, as file events would trigger.
        engine.scan(paths=["pkg00", "pkg50/m00050.py"], listener=listener)
    finally:
        stop.set()
        thread.join(30)
    assert not errors
    assert edits[0] > 0 and listener.batches > 0
    engine.scan()
    assert_consistent(engine.model)
    assert snapshot(engine.model) == snapshot(fresh_count(root, SETTINGS).model)
    engine.close()
