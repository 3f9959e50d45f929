"""The segment memo: what it remembers, and that nothing damaged or stale is ever used."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcepacker import segments
from sourcepacker.segments import SEGMENTS_FILE, SegmentMemo


def test_remembers_across_instances(tmp_path: Path) -> None:
    memo = SegmentMemo(tmp_path)
    key = memo.key("a.py", 123, 10, "xml", "m1", "o200k_base")
    memo.put(key, 42, 1)
    memo.save()
    assert SegmentMemo(tmp_path).get(key) == (42, 1)


def test_key_depends_on_everything_that_shapes_a_segment() -> None:
    base = ("a.py", 123, 10, "xml", "m1", "o200k_base")
    keys = {SegmentMemo.key(*base)}
    for i, other in enumerate(["b.py", 124, 11, "markdown", "", "cl100k_base"]):
        changed = list(base)
        changed[i] = other
        keys.add(SegmentMemo.key(*changed))  # type: ignore[arg-type]
    assert len(keys) == 7


@pytest.mark.parametrize("flip", [0, 9, 20, -1])
def test_a_damaged_file_is_discarded(tmp_path: Path, flip: int) -> None:
    memo = SegmentMemo(tmp_path)
    memo.put(memo.key("a.py", 1, 1, "xml", "", "o200k_base"), 42, 0)
    memo.save()
    path = tmp_path / SEGMENTS_FILE
    data = bytearray(path.read_bytes())
    data[flip] ^= 0x40
    path.write_bytes(bytes(data))
    assert SegmentMemo(tmp_path)._entries == {}


def test_a_changed_layout_discards_every_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memo = SegmentMemo(tmp_path)
    key = memo.key("a.py", 1, 1, "xml", "", "o200k_base")
    memo.put(key, 42, 0)
    memo.save()
    monkeypatch.setattr(segments, "layout_version", lambda: 7)
    assert SegmentMemo(tmp_path).get(key) is None


def test_stays_bounded_by_what_recent_packs_used(tmp_path: Path) -> None:
    memo = SegmentMemo(tmp_path)
    for i in range(20_000):
        memo.put(i + 1, 5, 0)
    memo.save()
    again = SegmentMemo(tmp_path)
    again.put(1, 5, 0)
    again.save()
    assert len(SegmentMemo(tmp_path)._entries) == 1


def test_no_cache_dir_writes_nothing(tmp_path: Path) -> None:
    memo = SegmentMemo(None)
    memo.put(1, 5, 0)
    memo.save()
    assert memo.get(1) == (5, 0)
