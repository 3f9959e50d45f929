"""The workspace model: incremental folder sums, pruning, selection totals and check states."""

from __future__ import annotations

import pytest

from sourcepacker.fs import split_stat_key, stat_key
from sourcepacker.model import FileState, Sums, TokenState, WorkspaceModel, estimate_tokens
from sourcepacker.selection import ROOT
from sourcepacker.walk import SkipReason


def exact(rel: str, tokens: int, size: int = 10) -> FileState:
    return FileState(rel, size, hash=1, tokens=tokens, state=TokenState.EXACT)


def model_of(*files: FileState) -> WorkspaceModel:
    model = WorkspaceModel()
    for f in files:
        model.put(f)
    return model


def test_folder_sums_follow_puts_and_removes() -> None:
    model = model_of(exact("a/x.py", 5), exact("a/b/y.py", 7), exact("z.py", 1))
    assert model.totals() == Sums(3, 30, 13, 0, 0)
    assert model.dir("a") is not None and model.dir("a").sums.exact == 12  # type: ignore[union-attr]
    model.put(exact("a/b/y.py", 2))
    assert model.dir("a/b").sums.exact == 2  # type: ignore[union-attr]
    model.remove("a/b/y.py")
    assert model.dir("a/b") is None  # empty folders are pruned
    assert model.totals() == Sums(2, 20, 6, 0, 0)
    assert model.remove("nope") is None


@pytest.mark.parametrize(
    ("f", "expected"),
    [
        pytest.param(exact("f", 3), Sums(1, 10, 3, 0, 0), id="exact"),
        pytest.param(FileState("f", 10), Sums(1, 10, 0, estimate_tokens(10), 1), id="estimate"),
        pytest.param(
            FileState("f", 10, hash=1, tokens=9, state=TokenState.STALE),
            Sums(1, 10, 0, 9, 1),
            id="stale-shows-old-count",
        ),
        pytest.param(
            FileState("f", 10, state=TokenState.SKIPPED, skip=SkipReason.BINARY),
            Sums(),
            id="skipped",
        ),
    ],
)
def test_contribution_by_state(f: FileState, expected: Sums) -> None:
    assert model_of(f).totals() == expected


def test_file_replaced_by_folder_and_back() -> None:
    model = model_of(exact("a", 1))
    model.put(exact("a/b", 2))
    model.remove("a")
    assert model.totals().exact == 2 and model.dir("a") is not None
    model.put(exact("a", 3))  # the folder "a" still exists beside the file "a" until removed
    model.remove("a/b")
    assert model.dir("a") is None
    assert model.totals() == Sums(1, 10, 3, 0, 0)


def test_changed_dirs_report_new_and_removed_children() -> None:
    model = model_of(exact("a/b/c.py", 1))
    assert model.take_changed_dirs() == [ROOT, "a", "a/b"]
    model.put(exact("a/b/c.py", 2))
    assert model.take_changed_dirs() == []  # a count change is not a tree change
    model.remove("a/b/c.py")
    assert model.take_changed_dirs() == [ROOT, "a", "a/b"]


TREE = [exact("a/x", 1), exact("a/b/y", 2), exact("a/b/z", 4), exact("c/w", 8)]


@pytest.mark.parametrize(
    ("clicks", "selected", "states"),
    [
        pytest.param([], 0, {"a": "unchecked", ROOT: "unchecked"}, id="nothing"),
        pytest.param(
            [([ROOT], True)], 15, {ROOT: "checked", "a/b": "checked", "a/x": "checked"}, id="all"
        ),
        pytest.param(
            [(["a"], True), (["a/b/z"], False)],
            3,
            {
                ROOT: "partial",
                "a": "partial",
                "a/b": "partial",
                "a/b/y": "checked",
                "c": "unchecked",
            },
            id="untick-inside",
        ),
        pytest.param(
            [(["a/b/y", "a/b/z"], True)],
            6,
            {"a/b": "checked", "a": "partial", "a/x": "unchecked"},
            id="all-children-ticked-is-checked",
        ),
        pytest.param(
            [([ROOT], True), (["a"], False), (["a/b/y"], True)],
            10,
            {ROOT: "partial", "a": "partial", "c": "checked", "a/b/z": "unchecked"},
            id="retick-inside-unticked",
        ),
    ],
)
def test_selection_totals_and_check_states(
    clicks: list[tuple[list[str], bool]], selected: int, states: dict[str, str]
) -> None:
    model = model_of(*TREE)
    for paths, checked in clicks:
        model.selection.set(paths, checked)
    assert model.selected_totals().exact == selected
    assert {rel: model.check_state(rel) for rel in states} == states
    assert sum(f.tokens or 0 for f in model.files_selected()) == selected


def test_skipped_files_are_listed_but_not_counted_when_selected() -> None:
    skipped = FileState("a/img.png", 0, state=TokenState.SKIPPED, skip=SkipReason.BINARY)
    model = model_of(exact("a/x", 1), skipped)
    model.selection.set(["a"], True)
    assert model.selected_totals() == Sums(1, 10, 1, 0, 0)
    assert {f.rel for f in model.files_selected()} == {"a/x", "a/img.png"}
    model.selection.set(["a/x"], False)
    assert model.selected_totals() == Sums()


def test_files_under_expands_folders_once() -> None:
    model = model_of(*TREE)
    assert sorted(f.rel for f in model.files_under(["a", "a/b/y", "c/w", "missing"])) == [
        "a/b/y",
        "a/b/z",
        "a/x",
        "c/w",
    ]


def test_load_gives_the_same_sums_as_put_one_by_one() -> None:
    states = [
        FileState("a/b/c.py", 40, tokens=9, state=TokenState.EXACT),
        FileState("a/b/d.py", 80),
        FileState("a/e.py", 12, tokens=3, state=TokenState.STALE),
        FileState("a/logo.png", 999, state=TokenState.SKIPPED, skip=SkipReason.BINARY),
        FileState("top.md", 8, tokens=2, state=TokenState.EXACT),
    ]
    one_by_one, loaded = WorkspaceModel(), WorkspaceModel()
    for f in states:
        one_by_one.put(FileState(**{k: getattr(f, k) for k in f.__slots__}))
    loaded.load(states)
    for rel in ("", "a", "a/b"):
        node_put, node_load = one_by_one.dir(rel), loaded.dir(rel)
        assert node_put is not None and node_load is not None
        assert node_load.sums == node_put.sums, rel
    assert loaded.totals() == Sums(4, 140, 11, 23, 2)


@pytest.mark.parametrize(
    ("mtime_ns", "ctime_ns", "ino"),
    [
        (1_700_000_000_123_456_789, 1_700_000_001_000_000_000, 12345),
        (-86_400_000_000_000, 0, 0),  # a file dated 1969
        (0, -1, 2**64 - 1),
        (2**63 - 1, -(2**63), 2**127 + 5),  # Windows: 128-bit file ids
    ],
)
def test_stat_key_round_trips(mtime_ns: int, ctime_ns: int, ino: int) -> None:
    key = stat_key(mtime_ns, ctime_ns, ino)
    assert split_stat_key(key) == (mtime_ns, ctime_ns, ino)
    assert key != stat_key(mtime_ns + 1, ctime_ns, ino) != stat_key(mtime_ns, ctime_ns, ino + 1)
