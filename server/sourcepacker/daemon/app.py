"""Assembly: a server object with every feature's handlers attached, run on stdio."""

from __future__ import annotations

import sys

from .handlers import events, lifecycle, pack, profiles, scan, tree
from .logs import install_logging
from .server import SourcePackerServer

FEATURES = (lifecycle, events, tree, pack, scan, profiles)


def build_server() -> SourcePackerServer:
    server = SourcePackerServer()
    for feature in FEATURES:
        feature.register(server)
    return server


def serve() -> None:
    """Run on stdio until the client says ``exit``."""
    server = build_server()
    install_logging(server)
    # stdout carries JSON-RPC only: anything else printing to it would corrupt the stream.
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr
    server.start_io(stdin=sys.stdin.buffer, stdout=stdout)
