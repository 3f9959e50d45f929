"""Logging for the daemon: stderr always, and ``window/logMessage`` for our own records.

pygls logs every message body at INFO, so its loggers stay at WARNING and never reach the
client (forwarding them would also log the log messages themselves).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from .server import SourcePackerServer

_LEVELS = {
    logging.ERROR: types.MessageType.Error,
    logging.WARNING: types.MessageType.Warning,
    logging.INFO: types.MessageType.Info,
}


class ClientLogHandler(logging.Handler):
    def __init__(self, server: SourcePackerServer, loop: asyncio.AbstractEventLoop | None) -> None:
        super().__init__(logging.INFO)
        self.server = server
        self.loop = loop
        self.loop_thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("pygls"):
            return
        try:
            message = self.format(record)
        except Exception:
            return
        kind = _LEVELS.get(record.levelno, types.MessageType.Log)
        params = types.LogMessageParams(kind, message)
        if self.loop is None:
            return
        if threading.get_ident() == self.loop_thread:
            self._send(params)
        else:
            self.loop.call_soon_threadsafe(self._send, params)

    def _send(self, params: types.LogMessageParams) -> None:
        try:
            self.server.window_log_message(params)
        except Exception:  # no transport yet (before start) or after exit
            pass


def install_logging(server: SourcePackerServer) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    stderr = logging.StreamHandler()
    stderr.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(stderr)
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_one_line_for_bad_params)
    sp = logging.getLogger("sourcepacker")
    sp.addHandler(_DeferredClientHandler(server))


def _one_line_for_bad_params(record: logging.LogRecord) -> bool:
    """pygls logs a whole cattrs traceback (~60 lines) for every request whose params do not
    fit; the client gets -32602 naming the field, and stdio.py logs one line. Keep one here
    (other failures to read a message keep their traceback: those would be our bug)."""
    if str(record.msg).startswith("Unable to deserialize") and "ClassValidationError" in str(
        record.args
    ):
        record.msg, record.args = "Unable to deserialize message: invalid params", ()
    return True


class _DeferredClientHandler(logging.Handler):
    """Binds to the event loop on the first record emitted from it."""

    def __init__(self, server: SourcePackerServer) -> None:
        super().__init__(logging.INFO)
        self.server = server
        self.inner: ClientLogHandler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.inner is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            self.inner = ClientLogHandler(self.server, loop)
            self.inner.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.inner.emit(record)
