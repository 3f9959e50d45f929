"""User settings: one typed, defaulted model shared by the command line and the daemon.

Each setting is declared once, here: its Python name, its wire name (the key under
``sourcepacker.`` in the editor's settings and in ``initializationOptions``) and its check.
``tests/unit/test_settings_contract.py`` holds the extension's ``WireSettings`` interface and
``package.json`` contributions to this declaration.

Editors send settings as loose JSON; :func:`parse_settings` keeps every valid field, replaces
each invalid one by its default, and says what it replaced, so a typo never stops the daemon.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from . import backends
from .backends import AUTO, COUNTER_CHOICES
from .pack import FORMATS
from .vocab import DEFAULT_ENCODING

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
#: The formats the editor setting offers: the prompt formats. ``json`` (files as objects, for
#: programs) is there for the command line and the ``pack`` request's own ``format``.
SETTING_FORMATS: tuple[str, ...] = tuple(f for f in FORMATS if f != "json")
#: A file is read whole and tokenized whole: 1 GiB of text already needs several GB of memory
#: in tiktoken, so a larger cap (``--max-file-size 6000000000`` on a 5 GB file) is refused up
#: front with a clear message rather than ending in a MemoryError mid-scan.
MAX_FILE_SIZE_LIMIT = 1 << 30
POOL_KINDS = (AUTO, "thread", "process")

Check = Callable[[object], str | None]


def default_pool_size() -> int:
    return max(2, (os.cpu_count() or 2) // 2)


def _non_empty_string(value: object) -> str | None:
    ok = isinstance(value, str) and value.strip() != ""
    return None if ok else "expected a non-empty string"


def _one_of(choices: tuple[str, ...]) -> Check:
    def check(value: object) -> str | None:
        return None if value in choices else f"expected one of {', '.join(choices)}"

    return check


def _globs(value: object) -> str | None:
    ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    return None if ok else "expected a list of glob strings"


def _int_in(low: int, high: int, what: str) -> Check:
    def check(value: object) -> str | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return None if ok else f"expected {what}"

    return check


def _counter(value: object) -> str | None:
    if value not in COUNTER_CHOICES:
        return f"expected one of {', '.join(COUNTER_CHOICES)}"
    ok = value == AUTO or backends.installed(str(value))
    return None if ok else "not installed for this Python"


def _setting(default: Any, wire: str, check: Check, *, factory: bool = False) -> Any:
    """A settings field with its wire name and check in the field's metadata."""
    meta = {"wire": wire, "check": check}
    if factory:
        return field(default_factory=default, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True)
class Settings:
    encoding: str = _setting(DEFAULT_ENCODING, "encoding", _non_empty_string)
    format: str = _setting("xml", "format", _one_of(SETTING_FORMATS))
    include: tuple[str, ...] = _setting((), "include", _globs)
    exclude: tuple[str, ...] = _setting((), "exclude", _globs)
    max_file_size: int = _setting(
        DEFAULT_MAX_FILE_SIZE,
        "maxFileSize",
        _int_in(
            1, MAX_FILE_SIZE_LIMIT, f"a number of bytes from 1 to {MAX_FILE_SIZE_LIMIT} (1 GiB)"
        ),
    )
    #: "auto": what suits the counter (backends.pool_kind_for: threads for tiktoken; for
    #: rs-bpe, which holds the GIL, worker processes once the misses reach a few MB);
    #: "thread" or "process" force one.
    pool_kind: str = _setting(AUTO, "poolKind", _one_of(POOL_KINDS))
    pool_size: int = _setting(
        default_pool_size, "poolSize", _int_in(1, 256, "an integer from 1 to 256"), factory=True
    )
    cache_dir: str | None = _setting(None, "cacheDir", _non_empty_string)
    #: Who counts: "auto" (rs-bpe where installed, else tiktoken), "tiktoken", "rs-bpe".
    #: Every backend gives tiktoken's exact count, so the cache serves them all alike.
    counter: str = _setting(AUTO, "counter", _counter)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


#: Wire name → Python field name, for every setting the daemon understands.
WIRE_NAMES: dict[str, str] = {f.metadata["wire"]: f.name for f in fields(Settings)}
_CHECKS: dict[str, Check] = {f.name: f.metadata["check"] for f in fields(Settings)}
_TUPLES = frozenset(f.name for f in fields(Settings) if f.type == "tuple[str, ...]")


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
        name = WIRE_NAMES.get(key)
        if name is None or value is None:
            continue  # other settings of the editor's section (trace, interpreter, ...)
        problem = _CHECKS[name](value)
        if problem:
            problems.append(f"{key}: {problem}; using the default")
        else:
            changes[name] = tuple(value) if name in _TUPLES else value
    return settings.with_changes(**changes), problems
