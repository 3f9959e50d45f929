"""Which files the user picked: rules on paths, where the nearest rule above a file decides.

A ticked folder means its current *and future* files, minus what the user unticked inside it,
so the selection is stored as rules ``path → checked`` rather than as a list of files.
Ticking or unticking a path drops the rules below it (the newest click wins for the whole
subtree) and a rule equal to what its parent already implies is not kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

ROOT = ""


def parent_of(rel: str) -> str:
    slash = rel.rfind("/")
    return rel[:slash] if slash >= 0 else ROOT


def ancestors(rel: str) -> Iterator[str]:
    """``rel`` itself, then each parent up to and including the root ``""``."""
    while True:
        yield rel
        if rel == ROOT:
            return
        rel = parent_of(rel)


def is_below(rel: str, folder: str) -> bool:
    """True when ``rel`` lies strictly inside ``folder``."""
    if folder == ROOT:
        return rel != ROOT
    return rel.startswith(folder) and rel[len(folder) : len(folder) + 1] == "/"


class Selection:
    def __init__(self, rules: dict[str, bool] | None = None) -> None:
        self.rules: dict[str, bool] = dict(rules or {})

    def is_selected(self, rel: str) -> bool:
        rules = self.rules
        for path in ancestors(rel):
            decided = rules.get(path)
            if decided is not None:
                return decided
        return False

    def set(self, paths: Iterable[str], checked: bool) -> None:
        for path in paths:
            for below in [r for r in self.rules if is_below(r, path)]:
                del self.rules[below]
            self.rules.pop(path, None)
            if path == ROOT:
                if checked:
                    self.rules[ROOT] = True
            elif self.is_selected(parent_of(path)) != checked:
                self.rules[path] = checked

    def has_rules_below(self, folder: str) -> bool:
        return any(is_below(r, folder) for r in self.rules)

    def checked_paths(self) -> list[str]:
        return sorted(p for p, on in self.rules.items() if on)

    def to_json(self) -> dict[str, bool]:
        return dict(sorted(self.rules.items()))
