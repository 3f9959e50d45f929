"""Assembly: a server object with every feature's handlers attached, run on stdio."""

from __future__ import annotations

import sys

from .handlers import events, lifecycle, pack, profiles, scan, tree
from .logs import install_logging
from .server import SourcePackerServer
from .stdio import start_stdio

FEATURES = (lifecycle, events, tree, pack, scan, profiles)


def build_server() -> SourcePackerServer:
    server = SourcePackerServer()
    for feature in FEATURES:
        feature.register(server)
    return server


def serve() -> int:
    """Run on stdio until ``exit``; the exit status (1: ``exit`` came before ``shutdown``)."""
    server = build_server()
    install_logging(server)
    # stdout carries JSON-RPC only: anything else printing to it would corrupt the stream.
    stdout = sys.stdout.buffer
    sys.stdout = sys.stderr
    # Our reader, not pygls's start_io: that one goes deaf after one malformed frame.
    return start_stdio(server, stdin=sys.stdin.buffer, stdout=stdout)
