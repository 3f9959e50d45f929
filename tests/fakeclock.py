"""A scheduler with a clock the test moves by hand: timers without sleeping."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable


class FakeHandle:
    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeScheduler:
    """``time`` and ``call_later`` as an event loop offers them; :meth:`advance` runs timers."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._queue: list[tuple[float, int, FakeHandle, Callable[[], object]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Callable[[], object], /) -> FakeHandle:
        handle = FakeHandle()
        heapq.heappush(self._queue, (self.now + delay, next(self._order), handle, callback))
        return handle

    @property
    def pending(self) -> int:
        return sum(not h.cancelled for _t, _o, h, _c in self._queue)

    def advance(self, seconds: float) -> None:
        """Move the clock, running every timer that falls due, in order."""
        until = self.now + seconds
        while self._queue and self._queue[0][0] <= until:
            when, _order, handle, callback = heapq.heappop(self._queue)
            self.now = max(self.now, when)
            if not handle.cancelled:
                callback()
        self.now = until
