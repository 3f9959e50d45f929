"""The git work tree a folder lies in, and the one git setting the ignore rules need.

Finding the work tree is a pure filesystem walk up from the folder, as git's own discovery
does: the first folder holding a ``.git`` directory (with a ``HEAD``) or a ``.git`` file
(``gitdir: PATH``, as linked worktrees and submodules have) is the top. Like git with
``GIT_DISCOVERY_ACROSS_FILESYSTEM`` unset, the walk stops at a filesystem boundary;
``GIT_CEILING_DIRECTORIES`` and ``GIT_DIR`` are not consulted.

``core.excludesFile`` is read by asking git (``git config --path --get``: it knows every config
file, includes and ``~`` expansion; ~3 ms); only when git is missing or fails does a minimal
parser read the usual files (system, global, the repository's; no includes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .fs import read_small_text

#: ``git config`` answers in milliseconds; a hung one must not stall the first scan.
GIT_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class WorkTree:
    """A git work tree: ``top`` holds ``.git``; ``common_dir`` is shared by linked worktrees."""

    top: Path
    git_dir: Path
    common_dir: Path

    def relative(self, path: Path | str) -> str:
        """``path`` (a real path inside the work tree) relative to ``top``, POSIX, "" for top."""
        rel = os.path.relpath(os.path.realpath(path), self.top)
        return "" if rel == "." else rel.replace(os.sep, "/")


def find_work_tree(path: Path | str) -> WorkTree | None:
    """The work tree holding ``path`` (a folder or a file), or None outside any."""
    start = os.path.realpath(path)
    if not os.path.isdir(start):
        start = os.path.dirname(start)
    try:
        dev = os.stat(start).st_dev
    except OSError:
        return None
    current = start
    while True:
        tree = _work_tree_at(Path(current))
        if tree is not None:
            inside_git_dir = tree.relative(start).split("/", 1)[0] == ".git"
            return None if inside_git_dir else tree
        parent = os.path.dirname(current)
        if parent == current:
            return None
        try:
            if os.stat(parent).st_dev != dev:
                return None  # a filesystem boundary: git stops here too
        except OSError:
            return None
        current = parent


def _work_tree_at(folder: Path) -> WorkTree | None:
    dot = folder / ".git"
    if dot.is_dir():
        git_dir = dot
    elif dot.is_file():
        try:
            text = read_small_text(dot)
        except OSError:
            return None
        if not text.startswith("gitdir:"):
            return None
        git_dir = Path(os.path.normpath(folder / text[len("gitdir:") :].strip()))
    else:
        return None
    common_dir = git_dir
    try:
        common = read_small_text(git_dir / "commondir")
        common_dir = Path(os.path.normpath(git_dir / common.strip()))
    except OSError:
        pass  # no commondir: a main work tree or a submodule
    if not (git_dir / "HEAD").exists() or not (common_dir / "objects").is_dir():
        return None  # not a repository (git keeps looking further up, and so do we)
    return WorkTree(folder, git_dir, common_dir)


def excludes_file(tree: WorkTree) -> Path | None:
    """The file ``core.excludesFile`` names, or git's default ``$XDG_CONFIG_HOME/git/ignore``."""
    value = _git_config_path(tree, "core.excludesfile")
    if value is None:
        return _xdg_config("ignore")
    if not value:
        return None  # set to "": git reads no global excludes file at all
    return tree.top / os.path.expanduser(value)  # a relative value is relative to the top


def _xdg_config(name: str) -> Path | None:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / "git" / name
    home = os.environ.get("HOME")
    return Path(home) / ".config" / "git" / name if home else None


def _git_config_path(tree: WorkTree, key: str) -> str | None:
    """The value of ``key``, or None when unset; asks git, else parses the files itself."""
    # GIT_DIR or GIT_WORK_TREE inherited from a parent git process would point elsewhere.
    env = {k: v for k, v in os.environ.items() if k not in ("GIT_DIR", "GIT_WORK_TREE")}
    import subprocess  # here: outside a repository no run pays for importing it (~7 ms)

    try:
        proc = subprocess.run(
            ["git", "config", "--path", "--get", key],
            cwd=tree.top,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return _parse_config_files(tree, key)
    if proc.returncode == 0:
        return os.fsdecode(proc.stdout.removesuffix(b"\n"))
    if proc.returncode == 1:
        return None  # git's answer for an unset key
    return _parse_config_files(tree, key)


def _config_files(tree: WorkTree) -> list[Path]:
    """The files git reads, lowest priority first (system, global, the repository's)."""
    files: list[Path] = []
    if not os.environ.get("GIT_CONFIG_NOSYSTEM"):
        files.append(Path("/etc/gitconfig"))
    glob = os.environ.get("GIT_CONFIG_GLOBAL")
    if glob is not None:
        files.append(Path(glob))
    else:
        xdg = _xdg_config("config")
        if xdg is not None:
            files.append(xdg)
        if os.environ.get("HOME"):
            files.append(Path(os.environ["HOME"]) / ".gitconfig")
    files.append(tree.common_dir / "config")
    return files


def _parse_config_files(tree: WorkTree, key: str) -> str | None:
    section, _, name = key.lower().rpartition(".")
    value: str | None = None
    for path in _config_files(tree):
        try:
            text = read_small_text(path)
        except (OSError, ValueError):
            continue
        value = parse_config_value(text, section, name, value)
    return value


def parse_config_value(text: str, section: str, name: str, value: str | None = None) -> str | None:
    """The last ``name`` of ``[section]`` in a git config text (no subsections, no includes)."""
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            close = line.find("]")
            current = line[1:close].strip().lower() if close > 0 else ""
            line = line[close + 1 :].strip() if close > 0 else ""
        if current != section or not line or line[0] in "#;":
            continue
        key, eq, rest = line.partition("=")
        if key.strip().lower() == name:
            value = _unquote(rest) if eq else ""
    return value


def _unquote(raw: str) -> str:
    """A config value: quotes removed, escapes applied, a trailing comment dropped."""
    out: list[str] = []
    quoted, i, raw = False, 0, raw.strip()
    while i < len(raw):
        ch = raw[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and i + 1 < len(raw):
            i += 1
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(raw[i], raw[i]))
        elif ch in "#;" and not quoted:
            return "".join(out).rstrip()
        else:
            out.append(ch)
        i += 1
    return "".join(out)
