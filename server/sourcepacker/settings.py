"""User settings: one typed, defaulted model shared by the command line and the daemon.

Editors send settings as loose JSON; :func:`parse_settings` keeps every valid field, replaces
each invalid one by its default, and says what it replaced, so a typo never stops the daemon.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from . import backends
from .backends import AUTO, COUNTER_CHOICES
from .vocab import DEFAULT_ENCODING

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
POOL_KINDS = (AUTO, "thread", "process")
FORMATS = ("xml", "markdown", "plain")


def default_pool_size() -> int:
    return max(2, (os.cpu_count() or 2) // 2)


@dataclass(frozen=True, slots=True)
class Settings:
    encoding: str = DEFAULT_ENCODING
    format: str = "xml"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    #: "auto": what suits the counter (backends.pool_kind_for: threads for tiktoken, which
    #: releases the GIL; see there for rs-bpe); "thread" or "process" force one.
    pool_kind: str = AUTO
    pool_size: int = field(default_factory=default_pool_size)
    cache_dir: str | None = None
    #: Who counts: "auto" (rs-bpe where installed, else tiktoken), "tiktoken", "rs-bpe".
    #: Every backend gives tiktoken's exact count, so the cache serves them all alike.
    counter: str = AUTO

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


_WIRE_NAMES = {
    "encoding": "encoding",
    "format": "format",
    "include": "include",
    "exclude": "exclude",
    "maxFileSize": "max_file_size",
    "poolKind": "pool_kind",
    "poolSize": "pool_size",
    "cacheDir": "cache_dir",
    "counter": "counter",
}


def parse_settings(raw: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Settings from editor JSON (camelCase keys); returns the problems found, one per field."""
    settings = base or Settings()
    if raw is None:
        return settings, []
    if not isinstance(raw, dict):
        return settings, [f"settings must be an object, got {type(raw).__name__}"]
    section = raw.get("sourcepacker")
    if isinstance(section, dict):  # {"sourcepacker": {...}} from didChangeConfiguration
        raw = section
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in raw.items():
        name = _WIRE_NAMES.get(key)
        if name is None:
            continue  # other settings of the editor's section (trace, interpreter, ...)
        if value is None:
            continue
        problem = _check(name, value)
        if problem:
            problems.append(f"{key}: {problem}; using the default")
        else:
            changes[name] = tuple(value) if name in ("include", "exclude") else value
    return settings.with_changes(**changes), problems


def _check(name: str, value: object) -> str | None:
    if name in ("encoding", "cache_dir"):
        ok = isinstance(value, str) and value.strip() != ""
        return None if ok else "expected a non-empty string"
    if name == "format":
        return None if value in FORMATS else f"expected one of {', '.join(FORMATS)}"
    if name == "pool_kind":
        return None if value in POOL_KINDS else f"expected one of {', '.join(POOL_KINDS)}"
    if name == "counter":
        if value not in COUNTER_CHOICES:
            return f"expected one of {', '.join(COUNTER_CHOICES)}"
        ok = value == AUTO or backends.installed(value)
        return None if ok else "not installed for this Python"
    if name in ("include", "exclude"):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "expected a list of glob strings"
    if name == "max_file_size":
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        return None if ok else "expected a positive number of bytes"
    if name == "pool_size":
        ok = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 256
        return None if ok else "expected an integer from 1 to 256"
    raise AssertionError(name)


SETTING_NAMES = tuple(f.name for f in fields(Settings))
