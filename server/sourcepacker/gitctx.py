"""Git context for a pack: the diff of the packed files, recent commit messages, changed files.

Runs ``git`` itself (no parsing of its files by hand): it is on every machine that has a
repository, and it alone knows every rule (index, attributes, renames). Each call is one
subprocess in the workspace root, with ``core.quotePath=false`` and ``-z`` where paths come back,
so names with spaces or non-ASCII letters arrive as they are. Errors are one line
(:class:`GitError`): no git, not a repository, an unknown ref.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["GitError", "changed_files", "diff", "log"]

#: A diff or log bigger than this is cut (with a note): a prompt is no place for a 100 MB diff.
MAX_OUTPUT_BYTES = 8 * 1024 * 1024


class GitError(RuntimeError):
    """git is missing, the folder is not in a work tree, or git refused (message: one line)."""


def _git(root: Path, *args: str) -> str:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")  # read-only; stable messages
    import subprocess  # here: every pack imports this module for GitError alone (~5-10 ms)

    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args],
            cwd=root,
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GitError("git is not installed (needed for --diff, --log and --changed)") from exc
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {args[0]} took over 60 s in {root}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[0] if message else f"exit status {done.returncode}"
        if "not a git repository" in first:
            raise GitError(
                f"{root} is not inside a git repository (needed for --diff, --log, --changed)"
            )
        raise GitError(f"git {args[0]}: {first.removeprefix('fatal: ')}")
    out = done.stdout
    if len(out) > MAX_OUTPUT_BYTES:
        cut = out[:MAX_OUTPUT_BYTES].decode("utf-8", "ignore")
        return cut + f"\n[... cut at {MAX_OUTPUT_BYTES} bytes of {len(out)}]\n"
    return out.decode("utf-8", "replace")


def _has_head(root: Path) -> bool:
    try:
        _git(root, "rev-parse", "--verify", "-q", "HEAD")
    except GitError:
        return False
    return True


def diff(root: Path, paths: Sequence[str]) -> str:
    """``git diff HEAD`` (working tree and index against HEAD) of ``paths``, relative to root.

    Before the first commit: the staged changes (against the empty tree).
    """
    _git(root, "rev-parse", "--show-toplevel")  # the clear error outside a repository
    base = ["HEAD"] if _has_head(root) else ["--cached"]
    if not paths:
        return ""
    return _git(root, "diff", "--no-color", "--no-ext-diff", "--relative", *base, "--", *paths)


def log(root: Path, count: int) -> str:
    """The last ``count`` commits: hash, author, date, subject and body."""
    _git(root, "rev-parse", "--show-toplevel")
    if count < 1 or not _has_head(root):
        return ""
    fmt = "commit %h%nAuthor: %an%nDate:   %ad%n%n%w(0,4,4)%B"
    return _git(root, "log", f"-n{count}", "--no-color", "--date=short", f"--format={fmt}")


def changed_files(root: Path, ref: str | None = None) -> list[str]:
    """Files under ``root`` changed since ``ref`` (default: uncommitted), untracked included.

    Paths relative to ``root``; deleted files are left out (there is nothing to pack).
    """
    _git(root, "rev-parse", "--show-toplevel")
    if ref is None:
        base = "HEAD" if _has_head(root) else None
    else:
        _git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}")
        base = ref
    names: set[str] = set()
    if base is not None:
        out = _git(root, "diff", "--name-only", "-z", "--relative", "--no-renames", base, "--")
        names.update(n for n in out.split("\0") if n)
    else:  # no commit yet: everything in the index is new
        out = _git(root, "ls-files", "-z", "--cached")
        names.update(n for n in out.split("\0") if n)
    untracked = _git(root, "ls-files", "-z", "--others", "--exclude-standard")
    names.update(n for n in untracked.split("\0") if n)
    return sorted(n for n in names if (root / n).is_file())
