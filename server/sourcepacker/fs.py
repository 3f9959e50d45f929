"""Small file-system rules shared by the full walk, targeted walks, reads and request paths.

Each rule lives here once: a file event, a full scan and a request must agree on what is
binary by name and on what lies inside the workspace, or their totals would differ.

**Every read of a workspace file goes through** :func:`read_vetted`: the file named is opened
without following a final symlink and without blocking (a FIFO answers at once), refused after
opening unless it is a regular file whose real path (``/proc/self/fd``) lies inside the root,
and read up to the size cap plus one byte. The checks apply to the open descriptor, so a file
swapped for a symlink, a folder swapped for a link to an outside folder, or a FIFO appearing
between the scan and the read is refused, never followed. A symlink inside the workspace still
works: it is resolved, the target checked to be inside, and the target opened the same way.

**Names that are not UTF-8** (POSIX file names are bytes) live inside as ``surrogateescape``
strings, as ``os.fsdecode`` gives them; :func:`display_name` renders them readably (``caf\xe9``)
for the prompt and tables, and :func:`name_bytes` gives back the exact bytes for storage.
"""

from __future__ import annotations

import errno
import os
import stat
from enum import StrEnum


class SkipReason(StrEnum):
    """Why a file is listed but not counted; the values are the wire strings."""

    BINARY = "binary"
    INVALID_UTF8 = "invalid-utf8"
    TOO_LARGE = "too-large"
    UNREADABLE = "unreadable"
    VANISHED = "vanished"
    SPECIAL = "special-file"
    SYMLINK_OUTSIDE = "symlink-outside-root"
    SYMLINK_LOOP = "symlink-loop"


class ReadRefused(Exception):
    """A file that :func:`read_vetted` would not read, with the skip reason to report."""

    def __init__(self, reason: SkipReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


# O_NOFOLLOW: the final component is never a symlink we did not vet. O_NONBLOCK: opening a
# FIFO with no writer returns at once instead of hanging (reads of regular files ignore it).
# O_NOCTTY: a terminal device never becomes our controlling terminal before fstat refuses it.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
#: Linux reports an O_NOFOLLOW open of a symlink as ELOOP, FreeBSD as EMLINK.
_SYMLINK_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK})
#: First read asks for the whole file at once (size + 1 proves EOF); a file that grew after the
#: fstat is read on in chunks of this size, never past the cap.
_READ_CHUNK = 1 << 20
_PROC_FD = "/proc/self/fd"
_HAS_PROC_FD = os.path.isdir(_PROC_FD)


def under(real_root: str, real: str) -> bool:
    """True when the already-resolved ``real`` is ``real_root`` or below it."""
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def open_vetted(real_root: str, path: str) -> tuple[int, os.stat_result]:
    """Open ``path`` for reading as a descriptor only when it is a regular file inside the root.

    ``real_root`` must be ``os.path.realpath``-ed. Raises :class:`ReadRefused` for anything that
    must not be read (outside, special file, symlink loop) and ``OSError`` when it cannot be.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno not in _SYMLINK_ERRNOS:
            raise
        # The final component is a symlink: vet its target, then open that the same way (a
        # target that is itself swapped for a link meanwhile fails this second open).
        real = os.path.realpath(path)
        if not under(real_root, real):
            raise ReadRefused(SkipReason.SYMLINK_OUTSIDE, real) from None
        try:
            fd = os.open(real, _OPEN_FLAGS)
        except OSError as again:
            if again.errno in _SYMLINK_ERRNOS:
                raise ReadRefused(
                    SkipReason.SYMLINK_LOOP, "symlink changed while opening"
                ) from None
            raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadRefused(SkipReason.SPECIAL, special_kind(st.st_mode))
        where = _opened_path(fd, path, st)
        if not under(real_root, where):
            raise ReadRefused(SkipReason.SYMLINK_OUTSIDE, where)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def _opened_path(fd: int, path: str, st: os.stat_result) -> str:
    """The real path of the open file: a folder above it may have been swapped for a link."""
    if _HAS_PROC_FD:
        try:
            return os.readlink(f"{_PROC_FD}/{fd}")
        except OSError:
            pass
    # No /proc (macOS): resolve the name, and accept it only if it still names this very file.
    real = os.path.realpath(path)
    try:
        again = os.stat(real, follow_symlinks=False)
    except OSError:
        raise ReadRefused(SkipReason.VANISHED, "changed while opening") from None
    if (again.st_dev, again.st_ino) != (st.st_dev, st.st_ino):
        raise ReadRefused(SkipReason.VANISHED, "changed while opening")
    return real


def read_vetted(real_root: str, path: str, max_size: int) -> tuple[bytes, os.stat_result]:
    """The bytes of a vetted regular file (see :func:`open_vetted`), at most ``max_size``.

    The ``stat`` returned is the descriptor's, taken before reading: an edit during the read
    then shows as a changed stat on the next scan, never as a new count under the old stat.
    """
    fd, st = open_vetted(real_root, path)
    try:
        if st.st_size > max_size:
            raise ReadRefused(SkipReason.TOO_LARGE, f"{st.st_size} bytes > {max_size}")
        try:
            data = _read_at_most(fd, st.st_size, max_size)
        except MemoryError:
            raise ReadRefused(
                SkipReason.TOO_LARGE, f"not enough memory to read {st.st_size} bytes"
            ) from None
    finally:
        os.close(fd)
    if len(data) > max_size:
        raise ReadRefused(SkipReason.TOO_LARGE, f"grew past {max_size} bytes while read")
    return data, st


def read_small_text(path: str | os.PathLike[str], max_size: int = 1 << 20) -> str:
    """A small metadata file (``.git``, ``commondir``, a git config) as text, anywhere.

    Not confined to a root (a work tree's top or the user's config may lie above it), but
    read as safely: non-blocking, regular files only, bounded. A refusal is an ``OSError``.
    """
    try:
        data, _st = read_vetted(os.sep, os.fspath(path), max_size)
    except ReadRefused as refused:
        raise OSError(errno.EINVAL, f"{os.fspath(path)}: {refused}") from None
    return data.decode("utf-8", "surrogateescape")


def _read_at_most(fd: int, size_hint: int, max_size: int) -> bytes:
    """Until EOF, but never more than ``max_size + 1`` bytes (the extra byte proves "too big")."""
    limit = max_size + 1
    chunks: list[bytes] = []
    total, want = 0, min(size_hint + 1, limit)
    while total < limit:
        chunk = os.read(fd, want)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        want = min(_READ_CHUNK, limit - total)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_NUL_WINDOW = 8192  # git's own binary heuristic looks at the first 8000 bytes for a NUL


def decode_text(data: bytes) -> str | SkipReason:
    """The text of a countable file, or why it is not one (decoded once: files can be MBs)."""
    if data.find(b"\0", 0, _NUL_WINDOW) >= 0:
        return SkipReason.BINARY
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return SkipReason.INVALID_UTF8


def display_name(rel: str) -> str:
    """A readable, valid-Unicode rendering of a path: undecodable bytes as ``\\xNN``."""
    if rel.isascii():
        return rel
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return name_bytes(rel).decode("utf-8", "backslashreplace")
    return rel


def name_bytes(rel: str) -> bytes:
    """The exact bytes of a path held as a ``surrogateescape`` string."""
    return rel.encode("utf-8", "surrogateescape")


def is_utf8_name(rel: str) -> bool:
    """False for a name holding undecodable bytes (lone surrogates)."""
    if rel.isascii():
        return True
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Skipped by name alone, before any syscall; anything missed is caught by the NUL check.
BINARY_EXTENSIONS: frozenset[str] = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".ico", ".icns", ".psd",
    ".heic", ".avif", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".zst", ".7z", ".rar", ".tar", ".lz4",
    ".jar", ".war", ".ear", ".whl", ".egg", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt",
    ".pptx", ".odt", ".so", ".dll", ".dylib", ".exe", ".bin", ".o", ".a", ".lib", ".pyc", ".pyo",
    ".pyd", ".class", ".dex", ".wasm", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4",
    ".m4a", ".wav", ".ogg", ".flac", ".avi", ".mov", ".mkv", ".webm", ".sqlite", ".sqlite3",
    ".db", ".pkl", ".pickle", ".npy", ".npz", ".parquet", ".onnx", ".pt", ".pth", ".safetensors",
})  # fmt: skip


def is_binary_name(name: str) -> bool:
    """True for a file name (or a relative path) whose extension marks a binary format.

    A leading dot is not an extension (``.pdf`` alone is a dotfile named "pdf"), as in
    ``os.path.splitext``.
    """
    slash = name.rfind("/")
    dot = name.rfind(".")
    return dot > slash + 1 and name[dot:].lower() in BINARY_EXTENSIONS


def is_inside(real_root: str, path: str) -> bool:
    """True when ``path`` resolves (symlinks followed) to ``real_root`` or below it.

    ``real_root`` must already be ``os.path.realpath``-ed: callers check many paths.
    """
    return under(real_root, os.path.realpath(path))


def special_kind(mode: int) -> str:
    """A readable name for a file that is neither regular nor a directory."""
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "other"
