"""Git's ignore rules, evaluated fast enough for the discovery hot path.

The tree the user sees must leave out exactly what git leaves out, so this module mirrors git's
own matcher (``dir.c`` and ``wildmatch.c``) instead of approximating it with ``fnmatch``. Each
pattern is translated once into a regex fragment; all the patterns that apply inside one
directory (its own ignore files, every ancestor's, ``.git/info/exclude``, the defaults and the
user's excludes) are joined into one alternation, ordered by priority, so deciding about a path
costs one ``re.fullmatch`` however many ignore files stand above it. Patterns are anchored where
git anchors them, at the top of the work tree, which may lie above the root: the path matched is
the root's own path from that top plus the entry's path (``DirRules.prefix``). Paths are matched
as bytes (each byte one latin-1 character) because git's ``?`` and ``[...]`` match bytes, not
characters.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .fs import ReadRefused, read_vetted
from .gitrepo import WorkTree, excludes_file, find_work_tree

log = logging.getLogger(__name__)

#: Ignore files are lines of globs, kilobytes in practice; 1 MiB bounds what a hostile one
#: (a committed link to /dev/zero took the daemon to 3.4 GB in 10 s) can cost.
IGNORE_FILE_MAX_BYTES = 1 << 20

IGNORE_FILE_NAMES = (".gitignore", ".sourcepackerignore")
#: Read from the root's ``.git`` folder (not any file named ``exclude``).
INFO_EXCLUDE = ".git/info/exclude"


def is_rules_file(rel: str) -> bool:
    """True when a change to ``rel`` (relative to the root) may change the ignore rules."""
    return rel == INFO_EXCLUDE or rel.rsplit("/", 1)[-1] in IGNORE_FILE_NAMES


# POSIX classes as git's wildmatch knows them (ASCII only, like its ctype table).
_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": "!-/:-@\\[-`{-~",
    "space": "\\t-\\r ",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}
_WILDCARDS = "*?[\\"


def as_match_text(text: str) -> str:
    """Return ``text`` with one character per byte, the alphabet git matches in."""
    return text if text.isascii() else os.fsencode(text).decode("latin-1")


@dataclass(frozen=True, slots=True)
class Pattern:
    """One parsed ignore line; ``regex`` is relative to the ignore file's directory."""

    regex: str | None  # None: git would never match it (e.g. an unterminated ``[``)
    negative: bool
    dir_only: bool
    basename: bool = False  # no "/" in it: ``regex`` matches the last component, at any depth


@dataclass(frozen=True, slots=True)
class PatternList:
    """The patterns of one source; ``base`` is its directory relative to the root plus "/"."""

    base: str
    patterns: tuple[Pattern, ...]


def _class_char(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch


def _bracket(pat: str, start: int) -> tuple[str | None, int]:
    """Translate the ``[...]`` at ``start``; returns (regex or None if invalid, next index)."""
    n, p = len(pat), start + 1
    negated = p < n and pat[p] in "!^"
    p += negated
    ranges: list[tuple[str, str]] = []
    prev, first = "", True
    while True:
        if p >= n:
            return None, n  # unterminated: wildmatch aborts the whole pattern
        ch = pat[p]
        if ch == "]" and not first:
            break
        first = False
        if ch == "\\":
            p += 1
            if p >= n:
                return None, n
            ch = pat[p]
            ranges.append((ch, ch))
        elif ch == "-" and prev and p + 1 < n and pat[p + 1] != "]":
            p += 1
            if pat[p] == "\\":
                p += 1
                if p >= n:
                    return None, n
            ranges.append((prev, pat[p]))
            ch = ""
        elif ch == "[" and p + 1 < n and pat[p + 1] == ":":
            close = pat.find("]", p + 2)
            if close < 0:
                return None, n
            if close - p - 3 < 0 or pat[close - 1] != ":":
                ranges.append(("[", "["))  # not a class after all: a literal "["
            else:
                cls = _CLASSES.get(pat[p + 2 : close - 1])
                if cls is None:
                    return None, n  # git aborts on an unknown class name
                ranges.append(("", cls))
                p, ch = close, ""
        else:
            ranges.append((ch, ch))
        prev = ch
        p += 1
    return _class_regex(ranges, negated), p + 1


def _class_regex(ranges: list[tuple[str, str]], negated: bool) -> str:
    parts: list[str] = []
    for lo, hi in ranges:
        if not lo:
            parts.append(hi)  # a POSIX class, already in regex syntax
        elif lo == hi:
            parts.append(_class_char(lo))
        elif lo < hi:
            parts.append(f"{_class_char(lo)}-{_class_char(hi)}")
    body = "".join(parts)
    if negated:
        return f"[^{body}/]"
    # A class never matches "/" in git (WM_PATHNAME); the lookahead keeps ranges spanning it.
    return f"(?!/)[{body}]" if body else "(?!)"


def _translate(pat: str) -> str | None:
    """Translate a wildmatch pattern (WM_PATHNAME semantics) to a regex; None = never matches."""
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        ch = pat[i]
        if ch == "*":
            j = i
            while j < n and pat[j] == "*":
                j += 1
            lead = i == 0 or pat[i - 1] == "/"
            if j - i >= 2 and lead and (j == n or pat[j] == "/" or pat[j : j + 2] == "\\/"):
                if j < n and pat[j] == "/":
                    out.append("(?:.*/)?")  # "**/" matches zero or more whole directories
                    j += 1
                else:
                    out.append(".*")
            else:
                out.append("[^/]*")
            i = j
        elif ch == "?":
            out.append("[^/]")
            i += 1
        elif ch == "[":
            cls, i = _bracket(pat, i)
            if cls is None:
                return None
            out.append(cls)
        else:
            if ch == "\\":
                i += 1
                if i >= n:
                    return None  # a trailing backslash never matches in git
                ch = pat[i]
            out.append(re.escape(ch))
            i += 1
    return "".join(out)


def _trim_trailing_spaces(line: str) -> str:
    """Drop unescaped trailing spaces, exactly as git's ``trim_trailing_spaces``."""
    end = len(line)
    while end and line[end - 1] == " ":
        backslashes = 0
        k = end - 2
        while k >= 0 and line[k] == "\\":
            backslashes += 1
            k -= 1
        if backslashes % 2:
            break
        end -= 1
    return line[:end]


def parse_pattern(line: str) -> Pattern | None:
    """Parse one ignore line (already without its newline); None for blanks and comments."""
    line = _trim_trailing_spaces(line)
    if not line or line.startswith("#"):
        return None
    negative = line.startswith("!")
    pat = line[1:] if negative else line
    dir_only = pat.endswith("/")
    if dir_only:
        pat = pat[:-1]
    if not pat:
        return None  # "/" or "!": git keeps them but they can never match
    if "/" not in pat:
        # No slash: matches the basename at any depth below the ignore file.
        return Pattern(_translate(pat), negative, dir_only, basename=True)
    if pat.startswith("/"):
        pat = pat[1:]
    # git compares the literal prefix first and wildmatches only the rest, so a "**" right
    # after the prefix counts as leading ("foo**/bar" matches "foo/x/bar"): mirror that.
    prefix = len(pat)
    for wc in _WILDCARDS:
        k = pat.find(wc)
        if k >= 0:
            prefix = min(prefix, k)
    rest = _translate(pat[prefix:])
    regex = None if rest is None else re.escape(pat[:prefix]) + rest
    return Pattern(regex, negative, dir_only)


def parse_lines(text: str, base: str = "") -> PatternList:
    """Parse the text of an ignore file (one character per byte) into a PatternList."""
    text = text.removeprefix("\xef\xbb\xbf")  # git skips a UTF-8 BOM
    parsed = (parse_pattern(line.removesuffix("\r")) for line in text.split("\n"))
    return PatternList(base, tuple(p for p in parsed if p is not None))


def _alternative(base: str, pat: Pattern) -> str:
    return f"({base}{pat.regex})" if pat.negative else f"(?:{base}{pat.regex})"


def _compile(lists: Sequence[PatternList], is_dir: bool) -> re.Pattern[str] | None:
    """One alternation, highest priority first; a negative pattern is a capturing group.

    Consecutive basename patterns of one list share a single ``(?:.*/)?`` prefix: they cannot
    contain "/", so only one split of the path can work and grouping keeps their priority.
    That halves the cost of the usual case, a list of ``*.ext`` and ``name/`` lines.
    """
    alts: list[str] = []
    for plist in lists:
        base = re.escape(plist.base)
        group: list[str] = []
        for pat in reversed(plist.patterns):  # last matching pattern wins
            if pat.regex is None or (pat.dir_only and not is_dir):
                continue
            if pat.basename:
                group.append(_alternative("", pat))
                continue
            if group:
                alts.append(f"{base}(?:.*/)?(?:{'|'.join(group)})")
                group = []
            alts.append(_alternative(base, pat))
        if group:
            alts.append(f"{base}(?:.*/)?(?:{'|'.join(group)})")
    return re.compile("|".join(alts), re.DOTALL) if alts else None


class DirRules:
    """Every rule that applies to the entries of one directory, compiled into two regexes.

    Patterns are anchored at the top of the git work tree, as git anchors them, so the paths
    matched are ``prefix + rel``: ``prefix`` is the root's own path from that top ("" when the
    root is the top or outside any repository).
    """

    __slots__ = ("dir_re", "file_re", "lists", "prefix")

    def __init__(
        self, lists: tuple[PatternList, ...], top: PatternList | None = None, prefix: str = ""
    ) -> None:
        self.lists = lists  # inherited by subdirectories; priority order, highest first
        self.prefix = prefix
        chain = (top, *lists) if top is not None and top.patterns else lists
        # Public so the walker can call ``fullmatch`` inline: see ``is_ignored`` for the rule.
        self.file_re = _compile(chain, False)
        self.dir_re = _compile(chain, True)

    def is_ignored(self, rel: str, is_dir: bool) -> bool:
        """Decide for one entry of this directory; ancestors are the caller's business."""
        regex = self.dir_re if is_dir else self.file_re
        if regex is None:
            return False
        m = regex.fullmatch(self.prefix + (rel if rel.isascii() else as_match_text(rel)))
        return m is not None and m.lastindex is None


class IgnoreRules:
    """Git's ignore semantics for one root, plus defaults and the user's include/exclude globs.

    Priority, lowest first: DEFAULT_IGNORES, ``core.excludesFile``, ``.git/info/exclude``,
    ``.gitignore`` then ``.sourcepackerignore`` of each directory from the work tree's top down
    (deeper wins), the user's ``exclude`` globs. Ignore files above the root count only when the
    root lies inside a git work tree (``gitrepo.find_work_tree``); a root inside a folder those
    rules ignore gets nothing, as ``git ls-files`` run there lists nothing untracked.
    ``.git`` itself is always skipped, as git does, even with ``use_defaults=False``.
    """

    DEFAULT_IGNORES: tuple[str, ...] = (
        ".git/", ".hg/", ".svn/", "node_modules/", ".venv/", "venv/", "__pycache__/",
        ".mypy_cache/", ".pytest_cache/", ".ruff_cache/", ".tox/", "dist/", "build/",
        "target/", ".next/", ".sourcepacker/", "*.pyc", ".DS_Store",
    )  # fmt: skip

    def __init__(
        self,
        root: Path,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        use_defaults: bool = True,
    ) -> None:
        self.root = Path(root)
        self._real_root = os.path.realpath(root)
        self._use_defaults = use_defaults
        self._exclude = parse_lines("\n".join(as_match_text(g) for g in exclude)).patterns
        include_list = (parse_lines("\n".join(as_match_text(g) for g in include)),)
        self._include = DirRules(include_list) if include else None
        self._lock = threading.RLock()
        self._dirs: dict[str, DirRules] = {}
        self._repo = _RepoRules(None, "", (), (), False)

    @property
    def includes_all(self) -> bool:
        """True when no include globs were given, so every file passes ``is_included``."""
        return self._include is None

    @property
    def work_tree(self) -> WorkTree | None:
        """The git work tree the root lies in (None outside any), found on first use."""
        self.dir_rules("")
        return self._repo.tree

    @property
    def outside_files(self) -> tuple[Path, ...]:
        """Rules files outside the root that were consulted (present or not), to watch them."""
        self.dir_rules("")
        return self._repo.outside

    @property
    def root_ignored(self) -> bool:
        """True when git's rules ignore the root itself or a folder above it (nothing counts)."""
        self.dir_rules("")
        return self._repo.root_ignored

    def include_matches(self, rel: str, is_dir: bool) -> bool:
        """Whether an include glob matches ``rel`` itself (not its parents)."""
        return self._include is None or self._include.is_ignored(rel, is_dir)

    def is_included(self, rel: str) -> bool:
        """A file is kept if an include glob matches it or one of its parent directories."""
        if self._include is None:
            return True
        parts = rel.split("/")
        dirs = ("/".join(parts[:k]) for k in range(1, len(parts)))
        return self.include_matches(rel, False) or any(self.include_matches(d, True) for d in dirs)

    def is_ignored(self, rel: str, is_dir: bool) -> bool:
        """Whether git (plus our extra sources) leaves ``rel`` out, parents included."""
        parts = rel.split("/")
        if ".git" in parts:
            return True
        for k in range(1, len(parts)):
            if self.dir_rules("/".join(parts[: k - 1])).is_ignored("/".join(parts[:k]), True):
                return True  # git never re-includes anything below an excluded directory
        return self.dir_rules("/".join(parts[:-1])).is_ignored(rel, is_dir)

    def dir_rules(self, rel_dir: str) -> DirRules:
        """The compiled rules for the entries of ``rel_dir`` ("" = root), loaded on first use."""
        rules = self._dirs.get(rel_dir)
        if rules is None:
            with self._lock:
                rules = self._dirs.get(rel_dir) or self._load(rel_dir)
        return rules

    def invalidate(self, rel_dir: str | None = None) -> None:
        """Forget the cached rules of ``rel_dir`` and everything below it (None = all).

        Forgetting all also re-reads the rules from above the root and ``core.excludesFile``.
        """
        with self._lock:
            if not rel_dir:
                self._dirs.clear()
                return
            below = rel_dir + "/"
            for key in [k for k in self._dirs if k == rel_dir or k.startswith(below)]:
                del self._dirs[key]

    def _load(self, rel_dir: str) -> DirRules:
        if not rel_dir:
            rules = self._load_root()
        else:
            parent = self.dir_rules(rel_dir.rpartition("/")[0])
            base = parent.prefix + as_match_text(rel_dir + "/")
            own = _read_folder(self.root / rel_dir, base, self._real_root)
            # No ignore file here (the common case): share the parent's compiled regexes.
            exclude = PatternList(parent.prefix, self._exclude)
            rules = (
                DirRules((own, *parent.lists), exclude, parent.prefix) if own.patterns else parent
            )
        self._dirs[rel_dir] = rules
        return rules

    def _load_root(self) -> DirRules:
        self._repo = repo = _repo_rules(self.root)
        prefix = repo.prefix
        if repo.root_ignored:
            return DirRules((), parse_lines("*", prefix), prefix)
        lists = [_read_folder(self.root, prefix, self._real_root), *repo.lists]
        if self._use_defaults:
            lists.append(parse_lines("\n".join(self.DEFAULT_IGNORES), prefix))
        chain = tuple(p for p in lists if p.patterns)
        return DirRules(chain, PatternList(prefix, self._exclude), prefix)


@dataclass(frozen=True, slots=True)
class _RepoRules:
    """What the root inherits from its work tree: the lists above it and where they came from."""

    tree: WorkTree | None
    prefix: str  # the root's path from the top plus "/", as match text ("" at the top)
    lists: tuple[PatternList, ...]  # highest priority first: ignore files above, then excludes
    outside: tuple[Path, ...]
    root_ignored: bool


def _repo_rules(root: Path) -> _RepoRules:
    """Collect the rules above ``root`` (none outside a work tree), nearest folder first."""
    tree = find_work_tree(root)
    if tree is None:
        return _RepoRules(None, "", (), (), False)
    rel = tree.relative(root)
    parts = rel.split("/") if rel else []
    # git gives .git/info/exclude priority over core.excludesFile; both are anchored at the top.
    sources = [tree.common_dir / "info" / "exclude", excludes_file(tree)]
    excludes = [_read(path, "") for path in sources if path is not None]
    consulted = [path for path in sources if path is not None]
    above: list[PatternList] = []
    ignored = False
    for k in range(len(parts)):
        folder = "/".join(parts[:k])
        consulted.extend(tree.top / folder / name for name in IGNORE_FILE_NAMES)
        base = as_match_text(folder + "/") if folder else ""
        above.insert(0, _read_folder(tree.top / folder, base))
        # Is the next folder down (an ancestor of the root, or the root) ignored? Then git
        # never looks inside, and nothing below the root is listed.
        chain = tuple(p for p in (*above, *excludes) if p.patterns)
        if DirRules(chain).is_ignored("/".join(parts[: k + 1]), True):
            ignored = True
            break
    real_root = os.path.realpath(root)
    outside = tuple(p for p in consulted if not _is_within(os.path.realpath(p), real_root))
    lists = tuple(p for p in (*above, *excludes) if p.patterns)
    return _RepoRules(tree, as_match_text(rel + "/") if rel else "", lists, outside, ignored)


def _read_folder(folder: Path, base: str, real_root: str = os.sep) -> PatternList:
    """The ignore files of ``folder``; ``base`` is its path from the top + "/", match text."""
    # Same directory: .sourcepackerignore comes last, so its lines win ties.
    merged = [
        p for name in IGNORE_FILE_NAMES for p in _read(folder / name, base, real_root).patterns
    ]
    return PatternList(base, tuple(merged))


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _read(path: Path, base: str, real_root: str = os.sep) -> PatternList:
    """The patterns of one ignore file, read as every workspace file is (``fs.read_vetted``).

    A committed ``.gitignore -> /dev/zero`` or a FIFO is refused after a non-blocking open
    and ``IGNORE_FILE_MAX_BYTES`` bounds the read: such a file counts as absent, with a warning.
    Files of the workspace must stay inside ``real_root``; those above it (the work tree's
    top, ``core.excludesFile``) are the user's own and only need to be regular and bounded.
    """
    try:
        data, _st = read_vetted(real_root, os.fspath(path), IGNORE_FILE_MAX_BYTES)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError):
        return PatternList(base, ())
    except (OSError, ReadRefused) as exc:
        log.warning("ignore file %s not read: %s", path, exc)
        return PatternList(base, ())
    return parse_lines(data.decode("latin-1"), base)
