"""The workspace model: every counted file, folder sums kept up to date, and the totals.

Folder sums are maintained incrementally (a changed file adds its delta to each ancestor), so
listing a folder or computing the selected total never walks 100k files: the selected total
only descends into folders that hold a selection rule, and there are few of those.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum

from .fs import SkipReason
from .selection import ROOT, Selection, ancestors, is_below, parent_of

#: Bytes per token for the instant estimate (tests/bench/estimate_error.py, CPython 3.11's
#: stdlib .py files: 4.02 bytes/token for o200k_base, 4.08 for cl100k_base; per-file error
#: median +6.5%, p10..p90 -15%..+20%; error of the total +0.6%). JSON (3.3) and TOML (2.5) run
#: denser, TypeScript (4.4) looser; no single factor beats 4 across files, so 4 it stays.
BYTES_PER_TOKEN = 4


def estimate_tokens(size: int) -> int:
    return (size + BYTES_PER_TOKEN - 1) // BYTES_PER_TOKEN


class TokenState(StrEnum):
    EXACT = "exact"
    ESTIMATED = "estimated"
    STALE = "stale"  # shows the count of an earlier version until the new one is known
    SKIPPED = "skipped"


@dataclass(slots=True)
class FileState:
    rel: str
    size: int
    _: KW_ONLY  # seven more fields: built with keywords, never by position
    #: :func:`stat_key` of its mtime, ctime and inode; 0: none known (an editor's buffer).
    stat: int = 0
    hash: int | None = None
    tokens: int | None = None
    state: TokenState = TokenState.ESTIMATED
    skip: SkipReason | None = None
    detail: str = ""
    #: Seen within the mtime granularity of its last change: re-hash on the next scan.
    racy: bool = False

    @property
    def shown_tokens(self) -> int:
        """The exact count when known, else the best guess (old count, or bytes/4)."""
        if self.tokens is not None and self.state is not TokenState.SKIPPED:
            return self.tokens
        return estimate_tokens(self.size)


@dataclass(slots=True)
class Sums:
    files: int = 0
    size: int = 0
    exact: int = 0
    estimated: int = 0
    pending: int = 0

    @property
    def tokens(self) -> int:
        return self.exact + self.estimated

    def add(self, other: Sums, sign: int = 1) -> None:
        self.files += sign * other.files
        self.size += sign * other.size
        self.exact += sign * other.exact
        self.estimated += sign * other.estimated
        self.pending += sign * other.pending


def contribution(f: FileState) -> Sums:
    if f.state is TokenState.SKIPPED:
        return Sums()
    if f.state is TokenState.EXACT:
        return Sums(1, f.size, f.shown_tokens, 0, 0)
    return Sums(1, f.size, 0, f.shown_tokens, 1)


def _sum_files(files: Iterable[FileState]) -> Sums:
    """``contribution`` summed over ``files``, without an object per file (hot on restore)."""
    count = size = exact = estimated = pending = 0
    skipped, is_exact = TokenState.SKIPPED, TokenState.EXACT
    for f in files:
        if f.state is skipped:
            continue
        count += 1
        size += f.size
        if f.state is is_exact:
            exact += f.shown_tokens
        else:
            estimated += f.shown_tokens
            pending += 1
    return Sums(count, size, exact, estimated, pending)


@dataclass(slots=True)
class DirNode:
    rel: str
    dirs: dict[str, DirNode] = field(default_factory=dict)
    #: Keyed by the file's whole ``rel``, the very string ``WorkspaceModel.files`` holds: a key
    #: of its own name would be one more string per file (~60 bytes; tests/bench/bench_memory.py).
    files: dict[str, FileState] = field(default_factory=dict)
    sums: Sums = field(default_factory=Sums)


class WorkspaceModel:
    """Not thread-safe by itself: the engine serialises writers and readers with its lock."""

    def __init__(self) -> None:
        self.files: dict[str, FileState] = {}
        self.root = DirNode(ROOT)
        self._dirs: dict[str, DirNode] = {ROOT: self.root}
        self.selection = Selection()
        #: Folders whose list of children changed since the last :meth:`take_changed_dirs`.
        self.changed_dirs: set[str] = set()

    # --- writes ----------------------------------------------------------------------------

    def put(self, f: FileState) -> None:
        """Insert or replace the state of ``f.rel``, keeping folder sums right."""
        old = self.files.get(f.rel)
        if old is not None:
            f.rel = old.rel  # one string per path, however many times its state is replaced
            self._apply(f.rel, contribution(old), -1)
        else:
            node = self._dir_node(parent_of(f.rel))
            node.files[f.rel] = f
            self.changed_dirs.add(node.rel)
        if old is not None and old is not f:
            self._dir_node(parent_of(f.rel)).files[old.rel] = f
            if (old.state is TokenState.SKIPPED) != (f.state is TokenState.SKIPPED):
                self.changed_dirs.add(parent_of(f.rel))
        self.files[f.rel] = f
        self._apply(f.rel, contribution(f), +1)

    def load(self, states: Iterable[FileState]) -> None:
        """Fill an empty model at once: folder sums are added up bottom-up, in one pass.

        Restoring 100k files with :meth:`put` walks every file's ancestors (0.7 s); this does
        the same work per folder instead.
        """
        assert not self.files, "load() fills an empty model"
        for f in states:
            self._dir_node(parent_of(f.rel)).files[f.rel] = f
            self.files[f.rel] = f
        for node in sorted(self._dirs.values(), key=lambda n: -n.rel.count("/") - bool(n.rel)):
            node.sums = sums = _sum_files(node.files.values())
            for child in node.dirs.values():
                sums.add(child.sums)
        self.changed_dirs.clear()

    def remove(self, rel: str) -> FileState | None:
        old = self.files.pop(rel, None)
        if old is None:
            return None
        self._apply(rel, contribution(old), -1)
        node = self._dirs[parent_of(rel)]
        del node.files[rel]
        self.changed_dirs.add(node.rel)
        self._prune(node)
        return old

    def take_changed_dirs(self) -> list[str]:
        changed, self.changed_dirs = sorted(self.changed_dirs), set()
        return changed

    # --- reads -----------------------------------------------------------------------------

    def dir(self, rel: str) -> DirNode | None:
        return self._dirs.get(rel)

    def totals(self) -> Sums:
        return self.root.sums

    def selected_totals(self) -> Sums:
        return self._selected_sums(self.root, self.selection.is_selected(ROOT))

    def files_selected(self) -> list[FileState]:
        """Every selected file (skipped ones included, for the caller to report)."""
        out: list[FileState] = []
        for part in self._selected_parts(self.root, self.selection.is_selected(ROOT)):
            if isinstance(part, DirNode):
                out.extend(self._iter_files(part))
            else:
                out.append(part)
        return out

    def files_under(self, paths: Sequence[str]) -> list[FileState]:
        """The files named by ``paths``, folders expanded, each once."""
        found: dict[str, FileState] = {}
        for rel in paths:
            node = self._dirs.get(rel)
            if node is not None:
                found.update((f.rel, f) for f in self._iter_files(node))
            elif rel in self.files:
                found[rel] = self.files[rel]
        return list(found.values())

    def check_state(self, rel: str) -> str:
        """``checked`` / ``unchecked`` / ``partial`` for a file or a folder."""
        node = self._dirs.get(rel)
        on = self.selection.is_selected(rel)
        if node is None or not self.selection.has_rules_below(rel):
            return "checked" if on else "unchecked"
        selected = self._selected_sums(node, on).files
        if selected == 0:
            return "unchecked"
        return "checked" if selected == node.sums.files else "partial"

    # --- internals -------------------------------------------------------------------------

    def _selected_sums(self, node: DirNode, on: bool) -> Sums:
        total = Sums()
        for part in self._selected_parts(node, on):
            if isinstance(part, DirNode):
                total.add(part.sums)
            elif part.state is not TokenState.SKIPPED:
                total.add(contribution(part))
        return total

    def _selected_parts(self, node: DirNode, on: bool) -> Iterator[DirNode | FileState]:
        """The selection below ``node`` as whole folders (no rule inside) and single files.

        Only folders that hold a rule are descended, so this stays cheap on 100k files. An
        explicit stack, not recursion: trees nested thousands of folders deep exist.
        """
        rules = self.selection.rules
        stack = [(node, on)]
        while stack:
            node, on = stack.pop()
            if not self.selection.has_rules_below(node.rel):
                if on:
                    yield node
                continue
            for f in node.files.values():
                rule = rules.get(f.rel)
                if on if rule is None else rule:
                    yield f
            children = [
                (child, on if (rule := rules.get(child.rel)) is None else rule)
                for child in node.dirs.values()
            ]
            stack.extend(reversed(children))  # popped in order: the same depth-first order

    def _iter_files(self, node: DirNode) -> list[FileState]:
        out: list[FileState] = []
        for folder in iter_dirs(node):
            out.extend(folder.files.values())
        return out

    def _apply(self, rel: str, delta: Sums, sign: int) -> None:
        for path in ancestors(parent_of(rel)):
            self._dirs[path].sums.add(delta, sign)

    def _dir_node(self, rel: str) -> DirNode:
        """The folder node of ``rel``, creating it and any missing parents (no recursion)."""
        node = self._dirs.get(rel)
        if node is not None:
            return node
        missing = []
        for path in ancestors(rel):
            node = self._dirs.get(path)
            if node is not None:
                break
            missing.append(path)
        assert node is not None  # the root always exists
        for path in reversed(missing):
            parent, node = node, DirNode(path)
            parent.dirs[_name(path)] = node
            self._dirs[path] = node
            self.changed_dirs.add(parent.rel)
        return node

    def _prune(self, node: DirNode) -> None:
        """Drop folders that no longer hold anything, as git does."""
        while node is not self.root and not node.files and not node.dirs:
            parent = self._dirs[parent_of(node.rel)]
            del parent.dirs[_name(node.rel)]
            del self._dirs[node.rel]
            self.changed_dirs.add(parent.rel)
            node = parent


def iter_dirs(node: DirNode) -> Iterator[DirNode]:
    """``node`` and every folder below it, depth first, without recursion."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.dirs.values()))


def _name(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


__all__ = [
    "BYTES_PER_TOKEN",
    "DirNode",
    "FileState",
    "Sums",
    "TokenState",
    "WorkspaceModel",
    "estimate_tokens",
    "is_below",
    "iter_dirs",
]
