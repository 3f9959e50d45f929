"""An incremental engine after random edits equals a full recount by a fresh, cache-less one."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sourcepacker.cache import TokenCache
from sourcepacker.engine import Engine
from sourcepacker.settings import Settings
from sptree import OLD_NS, assert_consistent, fake_pool, fresh_count, snapshot

MAX_SIZE = 64
DIRS = ["", "a", "a/b", "c"]
#: .bin is skipped by its name alone, whatever the content; the others by content or size.
NAMES = ["x.py", "y.txt", "z.bin", "w.md"]
PATHS = [f"{d}/{n}" if d else n for d in DIRS for n in NAMES]
CONTENTS = [
    b"",
    b"one\n",
    b"two\n",  # same size as "one\n": only the mtime tells them apart
    b"alpha beta gamma\n",
    b"nul\0byte",
    b"caf\xe9\n",
    b"x" * (MAX_SIZE + 1),
    "ünï ✓\n".encode(),
]
SETTINGS = Settings(max_file_size=MAX_SIZE, pool_size=2)


@dataclass
class Write:
    rel: str
    data: bytes


@dataclass
class Delete:
    pick: int


@dataclass
class Rename:
    pick: int
    to: str


Op = Write | Delete | Rename
op = st.one_of(
    st.builds(Write, st.sampled_from(PATHS), st.sampled_from(CONTENTS)),
    st.builds(Delete, st.integers(0, 100)),
    st.builds(Rename, st.integers(0, 100), st.sampled_from(PATHS)),
)
rounds = st.lists(st.tuples(st.lists(op, max_size=6), st.booleans()), min_size=1, max_size=4)


class Workspace:
    """Applies edits, giving every write a new mtime (as an editor's save would get)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = OLD_NS

    def files(self) -> list[str]:
        return sorted(
            os.path.relpath(os.path.join(d, n), self.root).replace(os.sep, "/")
            for d, _dirs, names in os.walk(self.root)
            for n in names
        )

    def apply(self, o: Op) -> list[str]:
        """Do ``o``; return the paths it touched (what a file watcher would report)."""
        existing = self.files()
        if isinstance(o, Write):
            path = self.root / o.rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(o.data)
            self.clock += 1_000_000_000
            os.utime(path, ns=(self.clock, self.clock))
            return [o.rel]
        if not existing:
            return []
        src = existing[o.pick % len(existing)]
        if isinstance(o, Delete):
            (self.root / src).unlink()
            return [src]
        if src == o.to:
            return []
        (self.root / o.to).parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.root / src, self.root / o.to)  # keeps size, mtime and inode
        return [src, o.to]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(CONTENTS)), max_size=8), rounds)
def test_incremental_equals_full_recount(
    initial: list[tuple[str, bytes]], edits: list[tuple[list[Op], bool]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        ws = Workspace(root)
        for rel, data in initial:
            ws.apply(Write(rel, data))
        cache_path = Path(tmp) / "cache.msgpack"
        engine = Engine(root, SETTINGS, cache=TokenCache.load(cache_path), pool_factory=fake_pool)
        try:
            engine.scan()
            for ops, targeted in edits:
                touched = [rel for o in ops for rel in ws.apply(o)]
                if targeted:  # as after file events: only the reported paths
                    engine.scan(paths=sorted(set(touched)))
                else:
                    engine.scan()
                assert_consistent(engine.model)
                want = fresh_count(root, SETTINGS)
                assert snapshot(engine.model) == snapshot(want.model)
                assert engine.model.totals() == want.model.totals()
        finally:
            engine.close()
        # A restart from the persisted snapshot agrees too, without reading anything.
        again = Engine(root, SETTINGS, cache=TokenCache.load(cache_path), pool_factory=fake_pool)
        report = again.scan()
        again.pool.close()
        assert snapshot(again.model) == snapshot(fresh_count(root, SETTINGS).model)
        assert report.tokenized == 0
