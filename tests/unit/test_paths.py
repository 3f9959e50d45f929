"""Request paths: normalised, and refused unless they stay inside the workspace folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from sourcepacker.daemon.paths import OutsideWorkspaceError, rel_from_uri, safe_rel


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "src").mkdir(parents=True)
    (ws / "src" / "a.py").write_text("")
    (tmp_path / "secret").mkdir()
    (ws / "out").symlink_to(tmp_path / "secret")
    (ws / "inside").symlink_to(ws / "src")
    return ws


@pytest.mark.parametrize(
    ("rel", "clean"),
    [
        pytest.param("", "", id="root"),
        pytest.param(".", "", id="dot"),
        pytest.param("src/a.py", "src/a.py", id="file"),
        pytest.param("./src//a.py", "src/a.py", id="redundant-parts"),
        pytest.param("src\\a.py", "src/a.py", id="backslashes"),
        pytest.param("src/new/file.py", "src/new/file.py", id="not-yet-existing"),
        pytest.param("inside/a.py", "inside/a.py", id="symlink-inside"),
    ],
)
def test_accepted(root: Path, rel: str, clean: str) -> None:
    assert safe_rel(root, rel) == clean


@pytest.mark.parametrize(
    ("rel", "why"),
    [
        pytest.param("../x", "leaves", id="dotdot"),
        pytest.param("src/../../x", "leaves", id="dotdot-inside"),
        pytest.param("src/..", "leaves", id="dotdot-even-if-inside"),
        pytest.param("/etc/passwd", "absolute", id="absolute"),
        pytest.param("C:\\Windows", "absolute", id="drive"),
        pytest.param("out/file", "resolves outside", id="symlink-out"),
        pytest.param("out", "resolves outside", id="symlink-itself"),
        pytest.param("src/a\0.py", "invalid", id="nul"),
    ],
)
def test_refused(root: Path, rel: str, why: str) -> None:
    with pytest.raises(OutsideWorkspaceError, match=why):
        safe_rel(root, rel)


def test_not_a_string_is_refused(root: Path) -> None:
    with pytest.raises(OutsideWorkspaceError):
        safe_rel(root, 5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("suffix", "rel"),
    [
        pytest.param("", "", id="root"),
        pytest.param("/src/a.py", "src/a.py", id="inside"),
        pytest.param("/../elsewhere", None, id="outside"),
    ],
)
def test_rel_from_uri(root: Path, suffix: str, rel: str | None) -> None:
    uri = root.resolve().as_uri() + suffix
    assert rel_from_uri(root.resolve(), uri) == rel
