"""The command line: ``sourcepacker pack``, ``tokens`` and ``serve`` (argparse, rich, clipboard)."""

from .main import main

__all__ = ["main"]
