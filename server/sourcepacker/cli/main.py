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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..fs import display_name
from ..gitrepo import find_work_tree
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
    except (
        CliError,
        EncodingUnavailableError,
        BackendUnavailableError,
        OSError,
        ValueError,
    ) as exc:
        # One line: tiktoken's own messages run over several. ValueError covers what a bad
        # file name or a damaged input can still raise (UnicodeError is one).
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"sourcepacker: error: {first}", file=sys.stderr)
        return 1
    except MemoryError:
        print("sourcepacker: error: out of memory (try a smaller --max-file-size)", file=sys.stderr)
        return 1
    except RecursionError:
        print("sourcepacker: error: folders nested too deep to process", file=sys.stderr)
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
    p.add_argument(
        "--force",
        action="store_true",
        help="read and hash every file again, trusting no saved stat (counts stay cached)",
    )


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
        from ..settings import MAX_FILE_SIZE_LIMIT

        if args.max_file_size > MAX_FILE_SIZE_LIMIT:
            raise CliError(
                f"--max-file-size {args.max_file_size}: at most {MAX_FILE_SIZE_LIMIT} (1 GiB); "
                "files are read and tokenized whole"
            )
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


@dataclass
class Targets:
    """What the user named: the root, the existing paths relative to it, and the missing ones."""

    root: Path
    rels: list[str]
    missing: list[str] = field(default_factory=list)


def resolve_targets(paths: Sequence[Path], root: Path | None) -> Targets:
    """The workspace root and the named paths relative to it.

    A single folder is its own root. Otherwise the root is ``--root``, else the top of the git
    work tree holding the paths (so the repository's ignore rules apply), else their common
    folder: a named file never makes us walk anything but itself.
    """
    resolved: list[Path] = []
    missing: list[str] = []
    for p in paths:
        if os.path.lexists(p):
            resolved.append(p.resolve())
        else:
            missing.append(str(p))
    if not resolved:
        raise CliError(f"{missing[0]}: no such file or directory")
    if root is None:
        if len(paths) == 1 and resolved[0].is_dir():
            return Targets(resolved[0], [""])
        base = Path(os.path.commonpath([str(p) for p in resolved]))
        if not base.is_dir():
            base = base.parent
        tree = find_work_tree(base)
        root = tree.top if tree is not None else base
    root = root.resolve()
    rels = []
    for p in resolved:
        if not p.is_relative_to(root):
            raise CliError(f"{p}: outside the workspace root {root}")
        rel = p.relative_to(root).as_posix()
        rels.append("" if rel == "." else rel)
    return Targets(root, rels, missing)


def _open_engine(args: argparse.Namespace, root: Path) -> Engine:
    from ..engine import Engine

    return Engine(root, _settings(args))


def _scan(engine: Engine, args: argparse.Namespace, paths: list[str] | None = None) -> ScanReport:
    """Scan the whole root, or only ``paths`` (packing two files must not walk a home dir)."""
    from .progress import scan_with_progress

    whole = paths is None or "" in paths
    show = sys.stderr.isatty() and not args.json
    return scan_with_progress(engine, show=show, paths=None if whole else paths, force=args.force)


def _not_counted(engine: Engine, targets: Targets) -> list[dict[str, str]]:
    """Each named path that adds no file to the result, with the reason."""
    out = [{"path": p, "reason": "missing"} for p in targets.missing]
    for rel in targets.rels:
        reason = engine.explain(rel)
        if reason is not None:
            out.append({"path": rel or ".", "reason": reason})
    return out


def _say_not_counted(rows: list[dict[str, str]]) -> None:
    for row in rows:
        print(f"sourcepacker: not packed: {row['path']}: {row['reason']}", file=sys.stderr)


def _output_rel(args: argparse.Namespace, root: Path) -> str | None:
    """The ``-o`` target relative to the root, when it lies inside: it must not pack itself."""
    if not args.output:
        return None
    target = args.output.resolve()
    return target.relative_to(root).as_posix() if target.is_relative_to(root) else None


def _run_pack(args: argparse.Namespace) -> int:
    targets = resolve_targets(args.paths, args.root)
    root, rels = targets.root, targets.rels
    engine = _open_engine(args, root)
    try:
        report = _scan(engine, args, rels)
        engine.set_checked(rels, True)
        own = _output_rel(args, root)
        if own is not None:
            engine.set_checked([own], False)
        result = engine.pack(fmt=args.format or engine.settings.format, tree=args.tree)
        not_counted = _not_counted(engine, targets)
    finally:
        engine.close()
    _say_not_counted(not_counted)
    if result.file_count == 0:
        reasons = "; ".join(f"{r['path']}: {r['reason']}" for r in not_counted + result.skipped)
        raise CliError("nothing to pack" + (f" ({reasons})" if reasons else ""))
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
                    "skipped": [  # names as the prompt shows them: \xNN for non-UTF-8
                        {**row, "path": display_name(row["path"])}
                        for row in not_counted + result.skipped
                    ],
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

    targets = resolve_targets([args.path], args.root)
    engine = _open_engine(args, targets.root)
    try:
        report = _scan(engine, args, targets.rels)
        not_counted = _not_counted(engine, targets)
    finally:
        engine.close()
    _say_not_counted(not_counted)
    # --json lists everything; --top only shortens the table a person reads.
    table = token_table(engine, top=0 if args.json else args.top, paths=targets.rels)
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

    return serve()


if __name__ == "__main__":
    raise SystemExit(main())
