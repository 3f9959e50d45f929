"""The layout's rules that import-linter cannot express, checked on the source tree."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "server" / "sourcepacker"
PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"
EDGES = ("cli", "daemon")


def core_modules() -> set[str]:
    return {f"sourcepacker.{p.stem}" for p in PACKAGE.glob("*.py") if not p.name.startswith("__")}


def test_every_core_module_is_under_the_core_contract() -> None:
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    core = next(c for c in config if c["type"] == "forbidden")
    assert set(core["source_modules"]) == core_modules()
    assert {f"sourcepacker.{e}" for e in EDGES} <= set(core["forbidden_modules"])


def test_only_the_engine_touches_its_lock() -> None:
    """Edges call engine methods; the lock is the engine's private business."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "engine.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("lock", "_lock"):
                owner = ast.unparse(node.value)
                if "engine" in owner:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {owner}")
    assert offenders == []


def test_edges_are_packages() -> None:
    for edge in EDGES:
        assert (PACKAGE / edge / "__init__.py").is_file()
