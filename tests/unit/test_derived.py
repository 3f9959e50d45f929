"""The derived-text store: last-use days, eviction, and old variants' files going away."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sourcepacker import derived
from sourcepacker.cache import MAX_AGE_DAYS, today
from sourcepacker.derived import Derived, DerivedStore


def test_entries_unused_for_max_age_days_are_dropped_at_a_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = today()
    monkeypatch.setattr(derived, "today", lambda: day - MAX_AGE_DAYS - 1)
    store = DerivedStore(tmp_path, "t1:compress")
    store.put(1, 10, Derived("old"))
    store.put(2, 10, Derived("used later"))
    store.save()
    monkeypatch.setattr(derived, "today", lambda: day)
    again = DerivedStore(tmp_path, "t1:compress")
    assert again.get(2, 10) == Derived("used later")  # its day moves to today
    again.put(3, 10, Derived(None))
    again.save()
    kept = DerivedStore(tmp_path, "t1:compress")
    assert (kept.get(1, 10), len(kept)) == (None, 2)


def test_beyond_the_cap_the_least_recently_used_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(derived, "MAX_DERIVED_ENTRIES", 2)
    day = today()
    store = DerivedStore(tmp_path, "m1")
    for n, used in enumerate([day - 3, day - 1, day - 2]):
        monkeypatch.setattr(derived, "today", lambda used=used: used)
        store.put(n, 10, Derived(str(n)))
    store.save()
    kept = DerivedStore(tmp_path, "m1")
    assert [kept.get(n, 10) is not None for n in range(3)] == [False, True, True]


def test_a_variant_unused_for_max_age_days_loses_its_file(tmp_path: Path) -> None:
    old = DerivedStore(tmp_path, "t0:compress")
    old.put(1, 10, Derived("x"))
    old.save()
    used = DerivedStore(tmp_path, "m1")
    used.put(1, 10, Derived("y"))
    used.save()
    long_ago = time.time() - (MAX_AGE_DAYS + 1) * 86400
    for path in (old.path, used.path):
        assert path is not None
        os.utime(path, (long_ago, long_ago))
    DerivedStore(tmp_path, "m1")  # loading marks it in use
    fresh = DerivedStore(tmp_path, "t1:compress")
    fresh.put(2, 10, Derived("z"))
    fresh.save()
    assert old.path is not None and not old.path.exists()
    assert used.path is not None and used.path.exists()
