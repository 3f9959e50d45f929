"""Named selections on disk: save, load (with the files new since), list, delete, bad names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sourcepacker import profiles
from sourcepacker.model import FileState, TokenState, WorkspaceModel
from sourcepacker.profiles import ProfileError
from sourcepacker.selection import Selection


def model_of(*rels: str) -> WorkspaceModel:
    model = WorkspaceModel()
    for rel in rels:
        model.put(FileState(rel, 1, hash=1, tokens=1, state=TokenState.EXACT))
    return model


def test_save_then_load_restores_rules_and_reports_new_files(tmp_path: Path) -> None:
    model = model_of("src/a.py", "src/b.py", "docs/x.md")
    model.selection.set(["src"], True)
    model.selection.set(["src/b.py"], False)
    info = profiles.save(tmp_path, "review", model)
    assert (info.name, info.paths) == ("review", 2)
    stored = json.loads((tmp_path / ".sourcepacker/profiles/review.json").read_text())
    assert stored["rules"] == {"src": True, "src/b.py": False}
    assert stored["files"] == ["src/a.py"]

    later = model_of("src/a.py", "src/b.py", "src/new.py", "docs/x.md")
    assert profiles.load(tmp_path, "review", later) == ["src/new.py"]
    assert later.selection.rules == {"src": True, "src/b.py": False}
    assert [p.name for p in profiles.list_profiles(tmp_path)] == ["review"]


def test_delete(tmp_path: Path) -> None:
    profiles.save(tmp_path, "one", model_of("a"))
    profiles.delete(tmp_path, "one")
    assert profiles.list_profiles(tmp_path) == []
    with pytest.raises(ProfileError, match="no profile named 'one'"):
        profiles.delete(tmp_path, "one")
    with pytest.raises(ProfileError, match="no profile named 'one'"):
        profiles.load(tmp_path, "one", model_of())


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("../escape", id="dotdot"),
        pytest.param("a/b", id="slash"),
        pytest.param(".hidden", id="leading-dot"),
        pytest.param(" padded", id="leading-space"),
        pytest.param("padded ", id="trailing-space"),
        pytest.param("line\n", id="trailing-newline"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("a\0b", id="nul"),
    ],
)
def test_invalid_names_are_refused(tmp_path: Path, name: str) -> None:
    for call in (
        lambda: profiles.save(tmp_path, name, model_of("a")),
        lambda: profiles.load(tmp_path, name, model_of("a")),
        lambda: profiles.delete(tmp_path, name),
    ):
        with pytest.raises(ProfileError, match="invalid profile name"):
            call()
    assert not (tmp_path / ".sourcepacker").exists()


@pytest.mark.parametrize("name", ["a", "Review 2", "v1.2-final_x", "été", "x" * 64])
def test_valid_names(tmp_path: Path, name: str) -> None:
    profiles.save(tmp_path, name, model_of("a"))
    assert [p.name for p in profiles.list_profiles(tmp_path)] == [name]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param("[1, 2]", id="not-object"),
        pytest.param('{"rules": {"a": "yes"}}', id="rules-not-bool"),
        pytest.param('{"rules": ["a"]}', id="rules-not-map"),
    ],
)
def test_malformed_profile_is_an_error_and_skipped_by_list(tmp_path: Path, content: str) -> None:
    folder = tmp_path / ".sourcepacker/profiles"
    folder.mkdir(parents=True)
    (folder / "bad.json").write_text(content)
    model = model_of("a")
    model.selection.set(["a"], True)
    with pytest.raises(ProfileError):
        profiles.load(tmp_path, "bad", model)
    assert model.selection.rules == {"a": True}  # untouched
    listed = profiles.list_profiles(tmp_path)
    assert [p.name for p in listed] in ([], ["bad"])


def test_profile_without_files_reports_every_selected_file_as_new(tmp_path: Path) -> None:
    folder = tmp_path / ".sourcepacker/profiles"
    folder.mkdir(parents=True)
    (folder / "hand.json").write_text('{"rules": {"": true}, "files": "oops"}')
    assert profiles.load(tmp_path, "hand", model_of("a", "b")) == ["a", "b"]


def test_last_selection_round_trip(tmp_path: Path) -> None:
    assert profiles.load_last(tmp_path).rules == {}
    profiles.save_last(tmp_path, Selection({"src": True, "src/x": False}))
    assert profiles.load_last(tmp_path).rules == {"src": True, "src/x": False}
    (tmp_path / profiles.LAST_SELECTION).write_text("[]")
    assert profiles.load_last(tmp_path).rules == {}
