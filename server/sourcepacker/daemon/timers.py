"""The daemon's one debounce helper, on a scheduler that tests replace with a fake clock.

Three things in the daemon wait for quiet before acting: file events (a branch switch's burst
becomes one refresh), cache writes (after the last scan, not after every edit) and selection
writes (clicks in quick succession end in one write). They all use :class:`Debouncer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Handle(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """What the daemon needs of an event loop: ``asyncio.AbstractEventLoop`` is one."""

    def time(self) -> float: ...
    def call_later(self, delay: float, callback: Callable[[], object], /) -> Handle: ...


class Debouncer:
    """Runs ``action`` once, ``delay`` seconds after the last :meth:`poke`."""

    def __init__(self, scheduler: Scheduler, delay: float, action: Callable[[], object]) -> None:
        self.scheduler, self.delay, self.action = scheduler, delay, action
        self._handle: Handle | None = None

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def poke(self) -> None:
        """(Re)start the wait: the action runs ``delay`` after the last poke."""
        if self._handle is not None:
            self._handle.cancel()
        self._handle = self.scheduler.call_later(self.delay, self._fire)

    def arm(self) -> None:
        """Start the wait unless one is running: the action runs ``delay`` after the first
        arm of a burst, so a steady stream of events is still handled every ``delay``."""
        if self._handle is None:
            self._handle = self.scheduler.call_later(self.delay, self._fire)

    def cancel(self) -> bool:
        """Forget a pending action; True when one was pending."""
        if self._handle is None:
            return False
        self._handle.cancel()
        self._handle = None
        return True

    def flush(self) -> None:
        """Run a pending action now (at shutdown: the user's last click must survive)."""
        if self.cancel():
            self.action()

    def _fire(self) -> None:
        self._handle = None
        self.action()
