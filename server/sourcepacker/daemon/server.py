"""The daemon's server object: pygls's ``LanguageServer`` plus the open workspace folders.

Handlers live in ``handlers/`` by feature and are attached by ``app.build_server``; this module
knows none of them, so nothing here imports a handler and no handler needs a global.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from .. import __version__
from ..settings import Settings
from . import protocol as p
from .paths import OutsideWorkspaceError, safe_rel
from .session import Session

log = logging.getLogger(__name__)
T = TypeVar("T")


class SourcePackerServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "sourcepacker",
            __version__,
            protocol_cls=p.SourcePackerProtocol,
            converter_factory=p.make_converter,
        )
        self.settings = Settings()
        self.sessions: dict[str, Session] = {}
        #: Short jobs off the event loop (packing, settings); scans run on each session's own.
        self.work = ThreadPoolExecutor(2, thread_name_prefix="sp-work")
        self.tasks: set[asyncio.Task[Any]] = set()
        #: The client registered our file watcher: events can be trusted (daemon/session.py).
        self.watching = False
        #: initializationOptions.fileWatcher: "auto" (the client's, else ours), "daemon", "off".
        self.watcher_mode = "auto"
        #: Every folder gets the daemon's own watcher (daemon/watcher.py), later ones too.
        self.own_watch = False

    def notify(self, method: str, params: Any) -> None:
        self.protocol.notify(method, params)

    def session(self, root_uri: str) -> Session:
        s = self.sessions.get(root_uri) or self.sessions.get(root_uri.rstrip("/"))
        if s is None:
            raise JsonRpcInvalidParams(f"unknown workspace folder {root_uri!r}")
        return s

    def rel(self, session: Session, rel: str) -> str:
        """A request path made safe (inside the folder), or an invalid-params error."""
        try:
            return safe_rel(session.root, rel)
        except OutsideWorkspaceError as exc:
            raise JsonRpcInvalidParams(str(exc)) from None

    def warn(self, message: str) -> None:
        log.warning(message)
        self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, message))

    def run_task(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Fire and forget, but hold the task and log its failure."""
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    async def off_loop(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.work, fn, *args)
