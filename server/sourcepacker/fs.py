"""Small file-system rules shared by the full walk, targeted walks and request paths.

Each rule lives here once: a file event, a full scan and a request must agree on what is
binary by name and on what lies inside the workspace, or their totals would differ.
"""

from __future__ import annotations

import os
import stat

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
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def special_kind(mode: int) -> str:
    """A readable name for a file that is neither regular nor a directory."""
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "other"
