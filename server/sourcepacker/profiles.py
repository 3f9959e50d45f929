"""Named selections saved as small JSON files in ``.sourcepacker/profiles/`` (meant for git).

A profile stores the selection rules and the files they covered when saved, so that loading
it later can point out files that appeared since: the user decides whether they belong.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .cache import atomic_write
from .fs import ReadRefused, is_inside, read_vetted
from .model import WorkspaceModel
from .selection import Selection

_NAME = re.compile(r"^[\w][\w .-]{0,63}$")
LAST_SELECTION = "last-selection.json"
#: A profile is a few KB of rules and file names; more is not a profile we wrote.
PROFILE_MAX_BYTES = 16 * 1024 * 1024


class ProfileError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    name: str
    paths: int
    saved_at: str


def profiles_dir(root: Path) -> Path:
    return root / ".sourcepacker" / "profiles"


def _path(root: Path, name: str) -> Path:
    if not _NAME.match(name) or name.strip() != name:
        raise ProfileError(
            f"invalid profile name {name!r}: use letters, digits, space, '.', '-', '_' (max 64)"
        )
    path = profiles_dir(root) / f"{name}.json"
    # A symlinked .sourcepacker/ or profiles/ must not lead a save (or a read) outside.
    if not is_inside(os.path.realpath(root), os.fspath(path)):
        raise ProfileError(f"{profiles_dir(root)} leads outside the workspace; not using it")
    return path


def save(root: Path, name: str, model: WorkspaceModel) -> ProfileInfo:
    files = sorted(f.rel for f in model.files_selected())
    kept = _kept_instructions(root, _path(root, name))
    data: dict[str, object] = {
        "name": name,
        "savedAt": datetime.now(UTC).isoformat(timespec="seconds"),
        "rules": model.selection.to_json(),
        "files": files,
    }
    if kept is not None:  # written by hand; saving the selection again must not lose it
        data["instructions"] = kept
    atomic_write(_path(root, name), (json.dumps(data, indent=2) + "\n").encode())
    return ProfileInfo(name, len(model.selection.to_json()), str(data["savedAt"]))


def _kept_instructions(root: Path, path: Path) -> str | None:
    try:
        text = _read(root, path).get("instructions")
    except ProfileError:
        return None
    return text if isinstance(text, str) else None


def load(root: Path, name: str, model: WorkspaceModel) -> list[str]:
    """Apply profile ``name`` to ``model``; returns the selected files that are new since."""
    data = _read(root, _path(root, name))
    rules = data.get("rules")
    if not isinstance(rules, dict) or not all(isinstance(v, bool) for v in rules.values()):
        raise ProfileError(f"profile {name!r} is malformed: 'rules' must map paths to booleans")
    files = data.get("files")
    known = set(files) if isinstance(files, list) else set()
    model.selection = Selection({str(k): v for k, v in rules.items()})
    return sorted(f.rel for f in model.files_selected() if f.rel not in known)


def instructions(root: Path, name: str) -> str | None:
    """The profile's own instructions (an optional ``"instructions"`` string), if it has any."""
    text = _read(root, _path(root, name)).get("instructions")
    return text if isinstance(text, str) and text.strip() else None


def delete(root: Path, name: str) -> None:
    path = _path(root, name)
    try:
        path.unlink()
    except FileNotFoundError:
        raise ProfileError(f"no profile named {name!r}") from None


def list_profiles(root: Path) -> list[ProfileInfo]:
    out = []
    for path in sorted(profiles_dir(root).glob("*.json")):
        try:
            data = _read(root, path)
        except ProfileError:
            continue
        rules = data.get("rules")
        count = len(rules) if isinstance(rules, dict) else 0
        out.append(ProfileInfo(path.stem, count, str(data.get("savedAt"))))
    return out


def _read(root: Path, path: Path) -> dict[str, object]:
    try:
        raw, _st = read_vetted(os.path.realpath(root), os.fspath(path), PROFILE_MAX_BYTES)
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ProfileError(f"no profile named {path.stem!r}") from None
    except (OSError, ValueError, ReadRefused) as exc:
        raise ProfileError(f"cannot read profile {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"profile {path} is not a JSON object")
    return data


def save_last(cache_dir: Path, selection: Selection) -> None:
    atomic_write(cache_dir / LAST_SELECTION, json.dumps(selection.to_json()).encode())


def load_last(cache_dir: Path) -> Selection:
    path = cache_dir / LAST_SELECTION
    try:
        raw, _st = read_vetted(os.path.realpath(cache_dir), os.fspath(path), PROFILE_MAX_BYTES)
        rules = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, ReadRefused):
        return Selection()
    if not isinstance(rules, dict):
        return Selection()
    return Selection({str(k): bool(v) for k, v in rules.items()})
