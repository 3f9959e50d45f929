"""Copy text to the platform clipboard with whichever standard tool is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from .errors import CliError

#: Tried in order; each reads the text on stdin.
CANDIDATES: tuple[tuple[str, ...], ...] = (
    ("pbcopy",),
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--input"),
    ("clip.exe",),
)


def copy_to_clipboard(text: str) -> str:
    """Copy ``text``; returns the tool's name, raises with a plain reason when none works."""
    for argv in CANDIDATES:
        if argv[0] == "wl-copy" and not os.environ.get("WAYLAND_DISPLAY"):
            continue
        if argv[0] in ("xclip", "xsel") and not os.environ.get("DISPLAY"):
            continue
        if shutil.which(argv[0]) is None:
            continue
        try:
            subprocess.run(argv, input=text.encode("utf-8"), check=True, timeout=10)
        except (OSError, subprocess.SubprocessError) as exc:
            raise CliError(f"clipboard tool {argv[0]} failed: {exc}") from exc
        return argv[0]
    hint = "install wl-clipboard, xclip or xsel" if sys.platform.startswith("linux") else ""
    raise CliError(
        "no clipboard tool available (tried pbcopy, wl-copy, xclip, xsel, clip.exe)"
        + (f"; {hint}, or use -o FILE" if hint else "; use -o FILE")
    )
