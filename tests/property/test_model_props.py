"""Properties of the model and the selection, against brute-force recomputation."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from sourcepacker.model import FileState, Sums, TokenState, WorkspaceModel, contribution
from sourcepacker.selection import ROOT, ancestors, is_below, parent_of
from sourcepacker.walk import SkipReason
from sptree import assert_consistent

DIRS = ["", "a", "a/b", "a/b/c", "d", "d/e"]
NAMES = ["x", "y", "z"]
PATHS = [f"{d}/{n}" if d else n for d in DIRS for n in NAMES]
FOLDERS = DIRS  # "" is the root

file_states = st.builds(
    lambda rel, size, tokens, state: FileState(
        rel,
        size,
        hash=1,
        tokens=None if state is TokenState.ESTIMATED else tokens,
        state=state,
        skip=SkipReason.BINARY if state is TokenState.SKIPPED else None,
    ),
    st.sampled_from(PATHS),
    st.integers(0, 1000),
    st.integers(0, 500),
    st.sampled_from(list(TokenState)),
)
ops = st.lists(st.one_of(file_states, st.sampled_from(PATHS)), max_size=40)

PROPS = settings(max_examples=80, deadline=None)


@PROPS
@given(ops)
def test_sums_equal_a_recount_after_any_puts_and_removes(ops: list[FileState | str]) -> None:
    model = WorkspaceModel()
    for op in ops:
        if isinstance(op, str):
            model.remove(op)
        else:
            model.put(op)
        assert_consistent(model)
    total = Sums()
    for f in model.files.values():
        total.add(contribution(f))
    assert model.totals() == total


@PROPS
@given(st.lists(file_states, max_size=20))
def test_merging_the_same_states_twice_changes_nothing(states: list[FileState]) -> None:
    model = WorkspaceModel()
    for f in states:
        model.put(f)
    before = (Sums(**_fields(model.totals())), dict(model.files))
    for f in states:  # the same deltas again: the same objects, then equal copies
        model.put(model.files[f.rel])
        g = model.files[f.rel]
        model.put(dataclasses.replace(g))  # an equal copy, not the same object
    assert model.totals() == before[0]
    assert set(model.files) == set(before[1])
    assert_consistent(model)


def _fields(s: Sums) -> dict[str, int]:
    return {k: getattr(s, k) for k in ("files", "size", "exact", "estimated", "pending")}


clicks = st.lists(
    st.tuples(st.lists(st.sampled_from(PATHS + FOLDERS), min_size=1, max_size=3), st.booleans()),
    max_size=12,
)


def oracle(history: list[tuple[list[str], bool]], rel: str) -> bool:
    """Brute force: the latest click on ``rel`` or on a folder above it decides."""
    decided = False
    for paths, checked in history:
        for p in paths:
            if p == rel or is_below(rel, p):
                decided = checked
    return decided


@PROPS
@given(st.lists(file_states, max_size=25), clicks)
def test_selection_against_a_brute_force_oracle(
    states: list[FileState], history: list[tuple[list[str], bool]]
) -> None:
    model = WorkspaceModel()
    for f in states:
        model.put(f)
    for paths, checked in history:
        model.selection.set(paths, checked)
    for rel in PATHS + FOLDERS:
        assert model.selection.is_selected(rel) is oracle(history, rel), rel
    # No rule is redundant: each differs from what its parent implies.
    for rel, on in model.selection.rules.items():
        assert rel == ROOT or model.selection.is_selected(parent_of(rel)) is not on
        assert rel != ROOT or on
    chosen = [f for f in model.files.values() if oracle(history, f.rel)]
    expected = Sums()
    for f in chosen:
        expected.add(contribution(f))
    assert model.selected_totals() == expected
    assert {f.rel for f in model.files_selected()} == {f.rel for f in chosen}
    for folder in model._dirs:
        counted = [
            f for f in model.files.values()
            if f.state is not TokenState.SKIPPED and (folder == ROOT or is_below(f.rel, folder))
        ]  # fmt: skip
        picked = sum(oracle(history, f.rel) for f in counted)
        if not counted:
            continue  # only skipped files below: either answer is defensible
        want = "unchecked" if picked == 0 else "checked" if picked == len(counted) else "partial"
        assert model.check_state(folder) == want, folder
    for rel in model.files:
        assert model.check_state(rel) == ("checked" if oracle(history, rel) else "unchecked")
    assert all(d in model._dirs for f in model.files for d in ancestors(parent_of(f)))
