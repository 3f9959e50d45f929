"""Editor settings: valid fields kept, each invalid one replaced by its default and reported."""

from __future__ import annotations

from typing import Any

import pytest

from sourcepacker.settings import DEFAULT_MAX_FILE_SIZE, Settings, parse_settings


@pytest.mark.parametrize(
    ("raw", "changes"),
    [
        pytest.param(None, {}, id="none"),
        pytest.param({}, {}, id="empty"),
        pytest.param(
            {"encoding": "cl100k_base", "format": "markdown", "maxFileSize": 10},
            {"encoding": "cl100k_base", "format": "markdown", "max_file_size": 10},
            id="valid",
        ),
        pytest.param(
            {"include": ["src/**"], "exclude": ["*.log"]},
            {"include": ("src/**",), "exclude": ("*.log",)},
            id="globs-become-tuples",
        ),
        pytest.param(
            {"poolKind": "process", "poolSize": 3},
            {"pool_kind": "process", "pool_size": 3},
            id="pool",
        ),
        pytest.param({"sourcepacker": {"format": "plain"}}, {"format": "plain"}, id="section"),
        pytest.param({"trace": "verbose", "encoding": None}, {}, id="others-and-null-ignored"),
        pytest.param({"cacheDir": "/tmp/x"}, {"cache_dir": "/tmp/x"}, id="cache-dir"),
    ],
)
def test_valid_settings(raw: Any, changes: dict[str, Any]) -> None:
    settings, problems = parse_settings(raw)
    assert problems == []
    assert settings == Settings().with_changes(**changes)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("encoding", "", id="empty-encoding"),
        pytest.param("encoding", 5, id="number-encoding"),
        pytest.param("format", "html", id="unknown-format"),
        pytest.param("poolSize", 0, id="zero-pool"),
        pytest.param("poolSize", 1000, id="huge-pool"),
        pytest.param("poolSize", True, id="bool-pool"),
        pytest.param("maxFileSize", -1, id="negative-size"),
        pytest.param("maxFileSize", 1.5, id="float-size"),
        pytest.param("maxFileSize", "2MB", id="string-size"),
        pytest.param("include", "src/**", id="include-not-a-list"),
        pytest.param("exclude", [1, 2], id="exclude-not-strings"),
        pytest.param("cacheDir", "   ", id="blank-cache-dir"),
    ],
)
def test_invalid_value_gives_default_and_a_message(key: str, value: object) -> None:
    settings, problems = parse_settings({"poolKind": "process", key: value})
    assert settings == Settings(pool_kind="process")  # the valid neighbour is still taken
    assert len(problems) == 1
    assert problems[0].startswith(f"{key}: ") and problems[0].endswith("using the default")


def test_not_an_object() -> None:
    settings, problems = parse_settings(["encoding"])
    assert settings == Settings()
    assert problems == ["settings must be an object, got list"]


def test_base_settings_are_kept() -> None:
    base = Settings(encoding="cl100k_base")
    settings, problems = parse_settings({"poolSize": "many"}, base)
    assert settings == base and len(problems) == 1
    assert settings.max_file_size == DEFAULT_MAX_FILE_SIZE
