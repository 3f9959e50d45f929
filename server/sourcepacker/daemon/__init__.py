"""The daemon: a pygls 2 language-server-style process over stdio (docs/protocol.md)."""

from .app import build_server, serve

__all__ = ["build_server", "serve"]
