"""Selection rules: the nearest rule above a path decides; a click wins for its whole subtree."""

from __future__ import annotations

import pytest

from sourcepacker.selection import ROOT, Selection, ancestors, is_below, parent_of


@pytest.mark.parametrize(
    ("rel", "parent"),
    [
        pytest.param("a", ROOT, id="top"),
        pytest.param("a/b/c.py", "a/b", id="deep"),
        pytest.param(ROOT, ROOT, id="root"),
    ],
)
def test_parent_of(rel: str, parent: str) -> None:
    assert parent_of(rel) == parent


def test_ancestors_end_at_root() -> None:
    assert list(ancestors("a/b/c")) == ["a/b/c", "a/b", "a", ROOT]
    assert list(ancestors(ROOT)) == [ROOT]


@pytest.mark.parametrize(
    ("rel", "folder", "below"),
    [
        pytest.param("a/b", "a", True, id="child"),
        pytest.param("a/b/c", "a", True, id="grandchild"),
        pytest.param("a", "a", False, id="itself"),
        pytest.param("ab/c", "a", False, id="prefix-not-folder"),
        pytest.param("a", ROOT, True, id="under-root"),
        pytest.param(ROOT, ROOT, False, id="root-itself"),
    ],
)
def test_is_below(rel: str, folder: str, below: bool) -> None:
    assert is_below(rel, folder) is below


Clicks = list[tuple[list[str], bool]]


@pytest.mark.parametrize(
    ("clicks", "rules"),
    [
        pytest.param([(["a"], True)], {"a": True}, id="tick-folder"),
        pytest.param([(["a"], True), (["a/b"], False)], {"a": True, "a/b": False}, id="untick"),
        pytest.param(
            [(["a"], True), (["a/b"], False), (["a"], True)], {"a": True}, id="retick-clears-below"
        ),
        pytest.param([(["a"], True), (["a/b"], True)], {"a": True}, id="redundant-not-kept"),
        pytest.param([(["a/b"], False)], {}, id="untick-unselected"),
        pytest.param([([ROOT], True), (["x"], False)], {ROOT: True, "x": False}, id="root"),
        pytest.param([([ROOT], True), ([ROOT], False)], {}, id="root-off-clears-all"),
        pytest.param(
            [(["a/b", "a/c"], True), (["a"], False)], {}, id="parent-click-overrides-children"
        ),
        pytest.param([(["a", "a/b"], True)], {"a": True}, id="same-click-nested"),
    ],
)
def test_set_keeps_minimal_rules(clicks: Clicks, rules: dict[str, bool]) -> None:
    sel = Selection()
    for paths, checked in clicks:
        sel.set(paths, checked)
    assert sel.rules == rules


def test_is_selected_nearest_rule_wins() -> None:
    sel = Selection({"a": True, "a/b": False, "a/b/c": True})
    table = {"a/x": True, "a/b/x": False, "a/b/c/x": True, "z": False, ROOT: False, "ab": False}
    assert {rel: sel.is_selected(rel) for rel in table} == table


def test_helpers() -> None:
    sel = Selection({"b": True, "a": True, "a/x": False})
    assert sel.checked_paths() == ["a", "b"]
    assert list(sel.to_json()) == ["a", "a/x", "b"]
    assert sel.has_rules_below("a") and sel.has_rules_below(ROOT)
    assert not sel.has_rules_below("b")
