"""Fixtures shared by the unit, property and concurrency tests (helpers live in sptree.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sourcepacker.cache import TokenCache
from sourcepacker.engine import Engine, default_pool
from sourcepacker.settings import Settings
from sptree import fake_pool

EngineFactory = Callable[..., Engine]


@pytest.fixture(autouse=True)
def _hermetic_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test writes into the developer's own cache directory (tests may override this)."""
    monkeypatch.setenv("SOURCEPACKER_CACHE_DIR", str(tmp_path_factory.mktemp("user-cache")))


@pytest.fixture
def engine_factory(tmp_path: Path) -> Iterator[EngineFactory]:
    """Engines over a root with their cache in ``tmp_path/cache``; closed at teardown.

    ``fake=True`` (the default) swaps in :class:`FakePool`; ``cache_dir=None`` keeps no cache
    on disk (a fresh, cold engine).
    """
    made: list[Engine] = []
    default_cache = tmp_path / "cache"

    def factory(
        root: Path,
        *,
        fake: bool = True,
        cache_dir: Path | None = default_cache,
        **settings: object,
    ) -> Engine:
        cache = TokenCache.load(None if cache_dir is None else cache_dir / "cache.msgpack")
        engine = Engine(
            root,
            Settings(pool_size=2).with_changes(**settings),
            cache=cache,
            pool_factory=fake_pool if fake else default_pool,
        )
        made.append(engine)
        return engine

    yield factory
    for engine in made:
        engine.pool.close()
