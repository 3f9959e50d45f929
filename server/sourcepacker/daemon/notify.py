"""What the daemon tells the client while it works: throttled notifications and ``$/progress``.

Only the event loop talks to the client; scan threads hand data over with
``call_soon_threadsafe`` (see ``session._Listener``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from lsprotocol import types
from pygls.progress import Progress as ProgressClient

from ..model import FileState
from .protocol import FileTokens, FileTokensParams, Notifications, Totals, TreeChangedParams
from .timers import Handle, Scheduler

#: At most one notification of each kind per this many seconds (coalesced in between).
THROTTLE_SECONDS = 0.15
#: How long to wait for the client to create a progress bar before going without one.
PROGRESS_CREATE_SECONDS = 2.0

Sender = Callable[[str, Any], None]


class ModelSource(Protocol):
    """The two things the notifier reads from a session's engine."""

    def take_changed_dirs(self) -> list[str]: ...


class Notifier:
    """Coalesces ``fileTokens`` / ``totals`` / ``treeChanged``: one of each per 150 ms at most.

    The very first totals go out at once; later changes wait for the throttle window, and a
    :meth:`flush_now` at the end of a scan makes sure the last state always reaches the client.
    """

    def __init__(
        self,
        root_uri: str,
        source: ModelSource,
        totals: Callable[[], Totals],
        send: Sender,
        scheduler: Scheduler,
    ) -> None:
        self.root_uri, self.source, self.totals, self.send = root_uri, source, totals, send
        self.scheduler = scheduler
        self.files: dict[str, FileState] = {}
        self.totals_dirty = False
        self._handle: Handle | None = None
        self._last_sent: float | None = None

    def files_changed(self, files: list[FileState]) -> None:
        for f in files:
            self.files[f.rel] = f
        self.totals_changed()

    def totals_changed(self, urgent: bool = False) -> None:
        self.totals_dirty = True
        if urgent and self._last_sent is None:
            self.flush_now()  # the very first totals go out at once
        else:
            self._schedule()

    def _schedule(self) -> None:
        if self._handle is not None:
            return
        last = self._last_sent
        delay = 0.0 if last is None else max(0.0, last + THROTTLE_SECONDS - self.scheduler.time())
        self._handle = self.scheduler.call_later(delay, self.flush_now)

    def finish(self) -> None:
        """End of a scan: everything pending goes out now, and the totals always do, so a
        client can take the last ``totals`` after a scan as the settled state."""
        self.totals_dirty = True
        self.flush_now()

    def flush_now(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._last_sent = self.scheduler.time()
        dirs = self.source.take_changed_dirs()
        if self.files:
            files = [FileTokens(f.rel, f.shown_tokens, f.state.value) for f in self.files.values()]
            self.files = {}
            self.send(Notifications.FILE_TOKENS, FileTokensParams(self.root_uri, files))
        if dirs:
            self.send(Notifications.TREE_CHANGED, TreeChangedParams(self.root_uri, dirs))
        if self.totals_dirty:
            self.totals_dirty = False
            self.send(Notifications.TOTALS, self.totals())


class Progress:
    """``$/progress`` for one scan; a no-op when the client cannot show progress."""

    def __init__(
        self, client: ProgressClient | None, token: str | None, scheduler: Scheduler
    ) -> None:
        self.client, self.token, self.scheduler = client, token, scheduler
        self._last: float | None = None
        self._future: Future[Any] | None = None

    @classmethod
    async def start(
        cls,
        client: ProgressClient,
        scheduler: Scheduler,
        title: str,
        on_cancel: Callable[[], None],
    ) -> Progress:
        """Create the client's progress bar; ``on_cancel`` runs when the user cancels it."""
        import asyncio

        token = str(uuid.uuid4())
        try:
            await asyncio.wait_for(client.create_async(token), PROGRESS_CREATE_SECONDS)
        except Exception:  # client without window.workDoneProgress: degrade silently
            return cls(None, None, scheduler)
        client.begin(
            token,
            types.WorkDoneProgressBegin(
                title=f"SourcePacker: {title}", cancellable=True, percentage=0
            ),
        )
        progress = cls(client, token, scheduler)
        progress._future = client.tokens.get(token)
        if progress._future is not None:
            progress._future.add_done_callback(lambda f: on_cancel() if f.cancelled() else None)
        return progress

    def cancelled(self) -> bool:
        return self._future is not None and self._future.cancelled()

    def report(self, message: str, percentage: int | None) -> None:
        if self.client is None or self.token is None:
            return
        now = self.scheduler.time()
        recent = self._last is not None and now - self._last < THROTTLE_SECONDS
        if recent and percentage not in (None, 100):
            return
        self._last = now
        self.client.report(
            self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
        )

    def end(self) -> None:
        if self.client is None or self.token is None:
            return
        self.client.end(self.token, types.WorkDoneProgressEnd(message="Done"))
        self.token = None
