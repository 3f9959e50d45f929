"""The command line: ``sourcepacker pack``, ``sourcepacker tokens`` and ``sourcepacker serve``.

Imports stay lazy: a warm ``pack`` that hits the cache never loads tiktoken's encoding, rich
is loaded only for a terminal, and pygls only for ``serve``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .. import __version__
from ..fs import display_name
from ..gitrepo import find_work_tree
from ..pack import FORMATS
from .errors import CliError

if TYPE_CHECKING:
    from ..engine import Engine, ScanReport
    from ..models import ModelInfo
    from ..options import PackOptions
    from ..packing import PackResult
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
    except BrokenPipeError:  # `sourcepacker pack … | head -1`: end quietly, like other tools
        _silence_stdout()
        return 0
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


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sourcepacker",
        description="Exact token counts for a workspace, and packed prompts of its files.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")

    pack = sub.add_parser("pack", help="pack files into one prompt and count its tokens")
    pack.add_argument("paths", nargs="*", type=Path, help="files and folders to pack")
    _engine_options(pack)
    pack.add_argument("--format", choices=FORMATS, default=None)
    _shape_options(pack)
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


def _shape_options(p: argparse.ArgumentParser) -> None:
    """The flags of issue 11: they fill one PackOptions (see _pack_options)."""
    g = p.add_argument_group("shaping the prompt")
    g.add_argument(
        "--instructions",
        metavar="FILE|TEXT",
        help="put these instructions at the top (default: .sourcepacker/instructions.md)",
    )
    g.add_argument("--no-instructions", action="store_true", help="leave the default ones out")
    g.add_argument("--compress", action="store_true", help="keep signatures, drop bodies")
    g.add_argument("--remove-comments", action="store_true")
    g.add_argument("--remove-empty-lines", action="store_true")
    g.add_argument("--line-numbers", action="store_true")
    g.add_argument(
        "--no-mask-secrets",
        action="store_true",
        help="pack secrets as they are (masked by default)",
    )
    g.add_argument("--diff", action="store_true", help="add `git diff HEAD` of the packed files")
    g.add_argument("--log", type=_positive, default=0, metavar="N", help="add the last N commits")
    g.add_argument(
        "--changed",
        nargs="?",
        const="",
        default=None,
        metavar="REF",
        help="pack only files changed since REF (default: uncommitted, untracked included)",
    )
    g.add_argument(
        "--model", metavar="NAME", help="count for this model; its context is the budget"
    )
    g.add_argument("--budget", type=_positive, default=None, metavar="TOKENS")
    g.add_argument(
        "--split-tokens", type=_positive, default=None, metavar="N",
        help="with -o out.xml: write out.1.xml, out.2.xml, ... of at most N tokens each",
    )  # fmt: skip
    g.add_argument(
        "--since-last", action="store_true", help="only files changed since the last pack"
    )
    g.add_argument("--stdin", action="store_true", help="read paths from stdin, one a line")
    g.add_argument("--profile", metavar="NAME", help="pack a saved profile's selection")


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
    from ..vocab import resolve_encoding

    s = Settings()
    changes: dict[str, object] = {}
    model = _model(args)
    if args.encoding:
        changes["encoding"] = resolve_encoding(args.encoding)  # gpt-4o → o200k_base
    elif model is not None:
        changes["encoding"] = model.encoding
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


def _model(args: argparse.Namespace) -> ModelInfo | None:
    name = getattr(args, "model", None)
    if not name:
        return None
    from ..models import find_model, model_names

    model = find_model(name)
    if model is None:
        raise CliError(f"unknown model {name!r}; known: {model_names()}")
    return model


def _pack_options(args: argparse.Namespace, root: Path, fmt: str) -> PackOptions:
    from .. import profiles
    from ..options import PackOptions
    from ..packing import read_instructions

    transforms = tuple(
        name
        for name, on in (
            ("compress", args.compress),
            ("remove-comments", args.remove_comments),
            ("remove-empty-lines", args.remove_empty_lines),
            ("line-numbers", args.line_numbers),
        )
        if on
    )
    instructions = None
    if not args.no_instructions:
        given = args.instructions
        if given is None and args.profile:
            given = profiles.instructions(root, args.profile)
        instructions = read_instructions(root, given)
    model = _model(args)
    budget = args.budget or (model.context_window if model else None)
    return PackOptions(
        format=fmt,
        tree=args.tree,
        instructions=instructions,
        transforms=transforms,
        mask_secrets=not args.no_mask_secrets,
        diff=args.diff,
        log=args.log,
        budget=budget,
        model=model.name if model else None,
        split_tokens=args.split_tokens,
        since_last=args.since_last,
    )


def _stdin_paths() -> list[Path]:
    """Paths one a line, as `git ls-files` or `fd` print them; blank lines ignored."""
    return [Path(line.rstrip("\r")) for line in sys.stdin.read().split("\n") if line.strip()]


def _selected_rels(args: argparse.Namespace, root: Path, rels: list[str]) -> list[str]:
    """The paths to pack: as given, or the files --changed names under them."""
    if args.changed is None:
        return rels
    from ..gitctx import changed_files

    changed = changed_files(root, args.changed or None)
    under = [r for r in changed if any(not g or r == g or r.startswith(g + "/") for g in rels)]
    if not under:
        since = f"since {args.changed}" if args.changed else "(uncommitted)"
        raise CliError(f"no changed files {since} under {root}")
    return under


def _output_rels(root: Path, output: Path | None) -> list[str]:
    """The -o target and its split parts (out.1.xml, ...), relative to root: never packed."""
    if output is None:
        return []
    target = output.resolve()
    found = [target, *target.parent.glob(f"{glob_escape(target.stem)}.[0-9]*{target.suffix}")]
    return [p.relative_to(root).as_posix() for p in found if p.is_relative_to(root)]


def glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)


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


def _run_pack(args: argparse.Namespace) -> int:
    from ..gitctx import GitError

    paths = list(args.paths)
    if args.stdin:
        paths += _stdin_paths()
    if not paths:
        if not (args.profile or args.changed is not None):
            raise CliError("nothing to pack: give paths, --stdin, --profile NAME or --changed")
        paths = [args.root or Path(".")]
    if args.split_tokens and not args.output:
        raise CliError("--split-tokens needs -o FILE (the parts are FILE.1, FILE.2, ...)")
    targets = resolve_targets(paths, args.root)
    root, rels = targets.root, targets.rels
    engine = _open_engine(args, root)
    fmt = args.format or engine.settings.format
    try:
        options = _pack_options(args, root, fmt)
        rels = _selected_rels(args, root, rels)
        engine.prepare_packs(options)  # a cold scan masks/transforms on its workers too
        scan_paths = None if args.profile else rels

        def select() -> None:
            if args.profile:
                engine.load_profile(args.profile)  # after the walk: it names files new since
            else:
                engine.set_checked(rels, True)
            engine.set_checked(_output_rels(root, args.output), False)

        if _streams(args, options):
            # The pack streams while the scan counts, one file behind its workers. Plain paths
            # are ticked first, so the scan counts them first; a profile needs the walk.
            if not args.profile:
                select()
            after_walk = select if args.profile else None
            report, result, written = _scan_and_stream(
                engine, args, options, scan_paths, after_walk
            )
        else:
            report = _scan(engine, args, scan_paths)
            select()
            result = engine.pack(options)
        not_counted = [] if args.changed is not None else _not_counted(engine, targets)
    except GitError as exc:
        raise CliError(str(exc)) from exc
    finally:
        engine.close()
    _say_not_counted(not_counted)
    if result.file_count == 0 and not (options.since_last and result.removed is not None):
        reasons = "; ".join(f"{r['path']}: {r['reason']}" for r in not_counted + result.skipped)
        raise CliError("nothing to pack" + (f" ({reasons})" if reasons else ""))
    over = (
        options.budget is not None and not options.split_tokens and result.tokens > options.budget
    )
    if not _streams(args, options):  # an over-budget prompt is not sent anywhere
        written = [] if over else _write(args, result)
    model = _model(args)
    if args.json:
        summary = _summary(root, engine, fmt, options, result, written)
        summary["skipped"] = [  # names as the prompt shows them: \xNN for non-UTF-8
            {**row, "path": display_name(row["path"])} for row in not_counted + result.skipped
        ]
        print(json.dumps(summary, indent=2))
    _report(args, engine, options, result, written, model)
    if args.stats:
        from .progress import print_stats

        print_stats(engine, report)
    if over:
        assert options.budget is not None
        who = f" ({options.model})" if options.model else ""
        print(
            f"sourcepacker: error: over budget: {result.tokens:,} tokens / {options.budget:,}{who};"
            " nothing written; use --split-tokens, --compress or fewer files",
            file=sys.stderr,
        )
        return 3
    return 0


def _scan_and_stream(
    engine: Engine,
    args: argparse.Namespace,
    options: PackOptions,
    paths: list[str] | None,
    select: Callable[[], None] | None,
) -> tuple[ScanReport, PackResult, list[str]]:
    from .progress import progress_listener

    whole = paths is None or "" in paths
    # No bar over a prompt written to the same terminal.
    show = sys.stderr.isatty() and not args.json and bool(args.output or args.copy)
    show = show or (sys.stderr.isatty() and not args.json and not sys.stdout.isatty())
    with progress_listener(engine, show) as listener, _Sink(args) as sink:
        report, result = engine.scan_and_pack(
            options,
            sink.write,
            paths=None if whole else paths,
            force=args.force,
            listener=listener,
            select=select,
        )
        return report, result, sink.finish(result)


def _streams(args: argparse.Namespace, options: PackOptions) -> bool:
    """Whether the prompt is written as it is made: not when it must be whole first (a
    budget to check before anything is sent, parts to cut, a since-last comparison)."""
    return options.budget is None and not options.split_tokens and not options.since_last


class _Sink:
    """Where a streamed prompt goes: ``-o FILE``, the clipboard (gathered first), stdout, or
    nowhere (``--json`` alone prints the summary). An empty or failed pack writes no file."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._file: _OutputFile | None = None
        self._copy: io.BytesIO | None = None
        self.write: Callable[[bytes], object] = _discard
        if args.output:
            self._file = _OutputFile(args.output)
            self.write = self._file.write
        elif args.copy:
            self._copy = io.BytesIO()
            self.write = self._copy.write
        elif not args.json:
            self.write = sys.stdout.buffer.write

    def __enter__(self) -> _Sink:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.discard()  # after finish(), nothing is left to discard

    def finish(self, result: PackResult) -> list[str]:
        """Close the sink; the paths written (the output file, when there is one)."""
        if self._file is not None:
            if result.file_count == 0:
                self._file.discard()
                return []
            self._file.commit()
            return [str(self.args.output)]
        if self._copy is not None and result.file_count:
            from .clipboard import copy_to_clipboard

            tool = copy_to_clipboard(self._copy.getvalue().decode("utf-8", "surrogatepass"))
            print(
                f"Copied {result.file_count} files · {result.tokens} tokens ({tool})",
                file=sys.stderr,
            )
        elif self.write is not _discard:
            sys.stdout.buffer.flush()
        return []


class _OutputFile:
    """``-o FILE`` written whole or not at all.

    The prompt goes to a temp file beside the target, renamed over it at the end: a pack that
    fails half-way (git refusing ``--diff``, a full disk) or packs nothing leaves the previous
    file as it was. The temp file is created at the first write, after the walk, so one inside
    the workspace is never packed. A target that is not a regular file (a FIFO, /dev/stdout)
    is written in place.
    """

    def __init__(self, path: Path) -> None:
        self.target = Path(os.path.realpath(path))  # through a symlink, as open() would go
        if not self.target.parent.is_dir():
            raise CliError(f"{path}: no such directory {self.target.parent}")
        self._umask = os.umask(0o022)  # read it (before any thread starts), then put it back
        os.umask(self._umask)
        self._out: BinaryIO | None = None
        self._tmp: Path | None = None

    def write(self, data: bytes) -> object:
        if self._out is None:
            self._out = self._open()
        return self._out.write(data)

    def _open(self) -> BinaryIO:
        import stat
        import tempfile

        try:
            st: os.stat_result | None = os.stat(self.target)
        except FileNotFoundError:
            st = None
        # 1 MiB buffer: ~40 writes for the stdlib's 37 MB instead of ~4,500 for 8 KiB.
        if st is not None and not stat.S_ISREG(st.st_mode):
            return open(self.target, "wb", buffering=1 << 20)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent
        )
        self._tmp = Path(tmp)
        os.fchmod(fd, stat.S_IMODE(st.st_mode) if st else 0o666 & ~self._umask)
        return os.fdopen(fd, "wb", buffering=1 << 20)

    def commit(self) -> None:
        if self._out is None:
            return
        self._out.close()
        if self._tmp is not None:
            os.replace(self._tmp, self.target)
            self._tmp = None

    def discard(self) -> None:
        if self._out is not None:
            with contextlib.suppress(OSError):
                self._out.close()
        if self._tmp is not None:
            _unlink_quietly(self._tmp)
            self._tmp = None


def _discard(_data: bytes) -> None:
    pass


def _unlink_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _write(args: argparse.Namespace, result: PackResult) -> list[str]:
    """Write the prompt (or its parts) as counted: UTF-8 bytes, no newline translation."""
    if args.split_tokens:
        out = args.output
        names = [
            out.with_name(f"{out.stem}.{k}{out.suffix}") for k in range(1, len(result.parts) + 1)
        ]
        for name, part in zip(names, result.parts, strict=True):
            _write_file(name, part.pieces)
        k = len(names) + 1  # parts of an earlier, longer split would mislead
        while (stale := out.with_name(f"{out.stem}.{k}{out.suffix}")).is_file():
            stale.unlink()
            k += 1
        return [str(n) for n in names]
    pieces = result.parts[0].pieces
    if args.output:
        _write_file(args.output, pieces)
        return [str(args.output)]
    if args.copy:
        from .clipboard import copy_to_clipboard

        tool = copy_to_clipboard(result.text)
        print(
            f"Copied {result.file_count} files · {result.tokens} tokens ({tool})", file=sys.stderr
        )
        return []
    if not args.json:
        sink = sys.stdout.buffer
        for piece in pieces:
            sink.write(piece.encode("utf-8", "surrogatepass"))
        sink.flush()
    return []


def _write_file(path: Path, pieces: Sequence[str]) -> None:
    with open(path, "wb") as f:
        for piece in pieces:
            f.write(piece.encode("utf-8", "surrogatepass"))


def _summary(
    root: Path,
    engine: Engine,
    fmt: str,
    options: PackOptions,
    result: PackResult,
    written: list[str],
) -> dict[str, object]:
    from ..models import find_model

    model = find_model(options.model) if options.model else None
    summary: dict[str, object] = {
        "root": str(root),
        "tokens": result.tokens,
        "fileCount": result.file_count,
        "encoding": engine.encoding,
        "format": fmt,
        "files": result.file_tokens,
        "skipped": result.skipped,
        "redactions": [{"path": r.path, "line": r.line, "kind": r.kind} for r in result.redactions],
        "transforms": list(options.transforms),
    }
    if options.budget is not None:
        summary["budget"] = {
            "used": result.max_part_tokens if options.split_tokens else result.tokens,
            "budget": options.budget,
            "model": options.model,
            "exact": model.exact if model else True,
            "note": model.note if model else "",
        }
    if options.split_tokens:
        summary["parts"] = [
            {"path": path, "tokens": p.tokens, "fileCount": p.file_count}
            for path, p in zip(written, result.parts, strict=True)
        ]
    if options.since_last:
        summary["removed"] = result.removed
    return summary


def _report(
    args: argparse.Namespace,
    engine: Engine,
    options: PackOptions,
    result: PackResult,
    written: list[str],
    model: ModelInfo | None,
) -> None:
    """The human lines on stderr: size, budget, parts, masked secrets, approximation."""
    if args.json:
        return
    loud = args.stats or args.output or args.copy or options.budget or result.redactions
    if args.split_tokens:
        for path, part in zip(written, result.parts, strict=True):
            print(f"{path}: {part.file_count} files, {part.tokens} tokens", file=sys.stderr)
    if loud and not args.copy:
        print(
            f"{result.file_count} files, {result.tokens} tokens ({engine.encoding})",
            file=sys.stderr,
        )
    if options.budget is not None:
        used = result.max_part_tokens if options.split_tokens else result.tokens
        what = "largest part" if options.split_tokens else "used"
        pct = 100 * used / options.budget
        who = f" ({options.model})" if options.model else ""
        print(
            f"budget{who}: {what} {used:,} / {options.budget:,} tokens ({pct:.1f}%)",
            file=sys.stderr,
        )
    if model is not None and model.note:
        print(f"note: {model.name}: {model.note}", file=sys.stderr)
    if result.redactions:
        files = len({r.path for r in result.redactions})
        print(
            f"masked {len(result.redactions)} secrets in {files} files"
            " (--json lists them; --no-mask-secrets keeps them)",
            file=sys.stderr,
        )
    if options.since_last and result.removed:
        print(f"{len(result.removed)} files removed since the last pack", file=sys.stderr)
    if options.since_last and not result.file_count:
        print("no file added or changed since the last pack", file=sys.stderr)


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
