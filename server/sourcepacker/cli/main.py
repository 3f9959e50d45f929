"""The command line: ``sourcepacker pack``, ``sourcepacker tokens`` and ``sourcepacker serve``.

Imports stay lazy: a warm ``pack`` that hits the cache never loads tiktoken's encoding, rich
is loaded only for a terminal, and pygls only for ``serve``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..pack import FORMATS
from .errors import CliError

if TYPE_CHECKING:
    from ..engine import Engine, ScanReport
    from ..settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    from ..backends import BackendUnavailableError
    from ..vocab import EncodingUnavailableError  # cheap: tiktoken itself loads lazily

    try:
        result: int = args.run(args)
        return result
    except (CliError, EncodingUnavailableError, BackendUnavailableError, OSError) as exc:
        # One line: tiktoken's own messages run over several.
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"sourcepacker: error: {first}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sourcepacker: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sourcepacker",
        description="Exact token counts for a workspace, and packed prompts of its files.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")

    pack = sub.add_parser("pack", help="pack files into one prompt and count its tokens")
    pack.add_argument("paths", nargs="+", type=Path, help="files and folders to pack")
    _engine_options(pack)
    pack.add_argument("--format", choices=FORMATS, default=None)
    pack.add_argument("-o", "--output", type=Path, help="write the prompt to FILE")
    pack.add_argument("--copy", action="store_true", help="copy the prompt to the clipboard")
    pack.add_argument("--tree", action="store_true", help="start with a directory tree")
    pack.add_argument("--stats", action="store_true", help="print scan figures to stderr")
    pack.add_argument("--json", action="store_true", help="print a JSON summary, not the text")
    pack.set_defaults(run=_run_pack)

    tokens = sub.add_parser("tokens", help="token counts per file and per folder")
    tokens.add_argument("path", type=Path, help="workspace folder")
    _engine_options(tokens)
    tokens.add_argument("--top", type=int, default=20, metavar="N", help="rows to show (0: all)")
    tokens.add_argument("--stats", action="store_true", help="print scan figures to stderr")
    tokens.add_argument("--json", action="store_true", help="print JSON")
    tokens.set_defaults(run=_run_tokens)

    serve = sub.add_parser("serve", help="run the daemon on stdio (JSON-RPC, LSP framing)")
    serve.set_defaults(run=_run_serve)
    return parser


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", type=Path, help="workspace root (default: see README)")
    p.add_argument("--include", action="append", default=[], metavar="GLOB")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    p.add_argument("--encoding", default=None, help="o200k_base (default), cl100k_base, ...")
    p.add_argument("--max-file-size", type=_positive, default=None, metavar="BYTES")
    p.add_argument("--pool", choices=["auto", "thread", "process"], default=None)
    p.add_argument(
        "--counter",
        choices=["auto", "tiktoken", "rs-bpe"],
        default=None,
        help="who counts (all exact; default auto: rs-bpe where installed, else tiktoken)",
    )
    p.add_argument("--workers", type=_positive, default=None)
    p.add_argument("--cache-dir", type=Path, default=None)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _settings(args: argparse.Namespace) -> Settings:
    from ..settings import Settings

    s = Settings()
    changes: dict[str, object] = {}
    if args.encoding:
        changes["encoding"] = args.encoding
    if args.include:
        changes["include"] = tuple(args.include)
    if args.exclude:
        changes["exclude"] = tuple(args.exclude)
    if args.max_file_size:
        changes["max_file_size"] = args.max_file_size
    if args.pool:
        changes["pool_kind"] = args.pool
    if args.counter:
        changes["counter"] = args.counter
    if args.workers:
        changes["pool_size"] = args.workers
    if args.cache_dir:
        changes["cache_dir"] = str(args.cache_dir)
    if getattr(args, "format", None):
        changes["format"] = args.format
    return s.with_changes(**changes)


def resolve_root(paths: Sequence[Path], root: Path | None) -> tuple[Path, list[str]]:
    """The workspace root and the selected paths relative to it.

    A single folder is its own root. Otherwise the root is ``--root``, else the current
    directory when it holds every path, else the paths' common parent.
    """
    resolved = []
    for p in paths:
        if not p.exists():
            raise CliError(f"{p}: no such file or directory")
        resolved.append(p.resolve())
    if root is None:
        if len(resolved) == 1 and resolved[0].is_dir():
            return resolved[0], [""]
        cwd = Path.cwd().resolve()
        root = cwd if all(p.is_relative_to(cwd) for p in resolved) else None
        if root is None:
            root = Path(os.path.commonpath([str(p) for p in resolved]))
            if not root.is_dir():
                root = root.parent
    root = root.resolve()
    rels = []
    for p in resolved:
        if not p.is_relative_to(root):
            raise CliError(f"{p}: outside the workspace root {root}")
        rel = p.relative_to(root).as_posix()
        rels.append("" if rel == "." else rel)
    return root, rels


def _open_engine(args: argparse.Namespace, root: Path) -> Engine:
    from ..engine import Engine

    return Engine(root, _settings(args))


def _scan(engine: Engine, args: argparse.Namespace, paths: list[str] | None = None) -> ScanReport:
    """Scan the whole root, or only ``paths`` (packing two files must not walk a home dir)."""
    from .progress import scan_with_progress

    whole = paths is None or "" in paths
    show = sys.stderr.isatty() and not args.json
    return scan_with_progress(engine, show=show, paths=None if whole else paths)


def _run_pack(args: argparse.Namespace) -> int:
    root, rels = resolve_root(args.paths, args.root)
    engine = _open_engine(args, root)
    try:
        report = _scan(engine, args, rels)
        engine.set_checked(rels, True)
        result = engine.pack(fmt=args.format or engine.settings.format, tree=args.tree)
    finally:
        engine.close()
    if args.output:
        args.output.write_text(result.text, encoding="utf-8")
    if args.copy:
        from .clipboard import copy_to_clipboard

        tool = copy_to_clipboard(result.text)
        print(
            f"Copied {result.file_count} files · {result.tokens} tokens ({tool})", file=sys.stderr
        )
    if args.json:
        print(
            json.dumps(
                {
                    "root": str(root),
                    "tokens": result.tokens,
                    "fileCount": result.file_count,
                    "encoding": engine.encoding,
                    "format": args.format or engine.settings.format,
                    "files": result.file_tokens,
                    "skipped": result.skipped,
                },
                indent=2,
            )
        )
    elif not args.output and not args.copy:
        sys.stdout.write(result.text)
    if args.stats or (not args.json and (args.output or args.copy)):
        print(
            f"{result.file_count} files, {result.tokens} tokens ({engine.encoding})",
            file=sys.stderr,
        )
    if args.stats:
        from .progress import print_stats

        print_stats(engine, report)
    return 0


def _run_tokens(args: argparse.Namespace) -> int:
    from .tables import token_table

    root, _ = resolve_root([args.path], args.root)
    engine = _open_engine(args, root)
    try:
        report = _scan(engine, args)
    finally:
        engine.close()
    table = token_table(engine, top=args.top)
    if args.json:
        print(json.dumps(table, indent=2))
    else:
        sys.stdout.write(table_text(table))
    if args.stats:
        from .progress import print_stats

        print_stats(engine, report)
    return 0


def table_text(table: dict[str, object]) -> str:
    lines = [f"{table['tokens']:>12,}  total ({table['fileCount']} files, {table['encoding']})"]
    for title in ("folders", "files"):
        rows = table[title]
        assert isinstance(rows, list)
        lines.append(f"\n{title}:")
        lines.extend(f"{r['tokens']:>12,}  {r['path']}" for r in rows)
    return "\n".join(lines) + "\n"


def _run_serve(args: argparse.Namespace) -> int:
    from ..daemon import serve  # the only way from cli/ to daemon/: lazy, for the command

    serve()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
