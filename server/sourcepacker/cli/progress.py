"""Terminal progress and ``--stats`` for the command line (rich, loaded only for a terminal)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

from ..engine import Engine, ScanListener, ScanReport
from ..model import FileState


class _TerminalListener:
    """A live bar: the estimate first, then the exact total as batches land."""

    def __init__(self, engine: Engine, progress: Any) -> None:
        self.engine = engine
        self.bar = progress
        self.task = progress.add_task("Scanning", total=None, tokens="")

    def _tokens(self) -> str:
        _selected, sums = self.engine.totals()
        marker = "~" if sums.pending else ""
        return f"{marker}{sums.tokens:,} tokens"

    def discovered(self, files: int) -> None:
        self.bar.update(self.task, description=f"Found {files:,} files", tokens=self._tokens())

    def progress(self, done: int, total: int) -> None:
        self.bar.update(
            self.task,
            description="Tokenizing",
            completed=done,
            total=total or 1,
            tokens=self._tokens(),
        )

    def counted(self, files: list[FileState]) -> None:
        pass


def scan_with_progress(
    engine: Engine, *, show: bool, paths: list[str] | None = None, force: bool = False
) -> ScanReport:
    with progress_listener(engine, show) as listener:
        return engine.scan(listener=listener, paths=paths, force=force)


@contextlib.contextmanager
def progress_listener(engine: Engine, show: bool) -> Iterator[ScanListener | None]:
    """A live bar on stderr while the block runs (None, and no rich import, when not shown)."""
    if not show:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[tokens]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield _TerminalListener(engine, bar)


def print_stats(engine: Engine, report: ScanReport) -> None:
    _selected, sums = engine.totals()
    out = sys.stderr
    print(f"files found:  {report.files:,}", file=out)
    print(f"read+hashed:  {report.read:,}", file=out)
    print(f"tokenized:    {report.tokenized:,}", file=out)
    print(f"cache hits:   {report.cache_hits:,}", file=out)
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(report.skipped.items()))
    print(
        f"skipped:      {sum(report.skipped.values()):,}" + (f" ({skipped})" if skipped else ""),
        file=out,
    )
    print(f"files tokens: {sums.tokens:,} ({engine.encoding}, all counted files)", file=out)
    stages = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in report.stage_seconds.items())
    print(f"time:         {stages}", file=out)
