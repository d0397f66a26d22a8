"""Two small thread tools for the live path: a one-slot mailbox that keeps only the newest frame, and a rate
meter (events per second and mean cost over a sliding window of wall-clock time).

The live video must never wait for the pose: the camera thread drops each frame into a `LatestOnly` and
goes on; the pose worker takes whatever is newest when it is ready. A frame the worker had no time for is
replaced, not queued, so the pose never falls behind the camera (a queue would grow a lag without bound).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestOnly(Generic[T]):
    """A one-slot mailbox: `put` replaces what is waiting, `take` blocks for the next item (None once closed)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._busy = False  # the taker is working on its last item (for `wait_idle`)
        self._closed = False
        self.dropped = 0  # items replaced before anyone took them

    def put(self, item: T) -> bool:
        """Leave `item` for the taker, dropping a waiting older one; False (and nothing left) once closed."""
        with self._cond:
            if self._closed:
                return False
            self.dropped += self._item is not None
            self._item = item
            self._cond.notify_all()
            return True

    def take(self) -> T | None:
        """The newest item, waiting for one; None when closed. The previous item counts as done from here."""
        with self._cond:
            self._busy = False
            self._cond.notify_all()
            while self._item is None and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            item, self._item = self._item, None
            self._busy = True
            return item

    def done(self) -> None:
        """The taker finished its item (also implied by its next `take`)."""
        with self._cond:
            self._busy = False
            self._cond.notify_all()

    def close(self) -> None:
        """Wake the taker for good; a waiting item is discarded, never handed out."""
        with self._cond:
            self._closed = True
            self._item = None
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing waits and the taker is not working; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._closed or (self._item is None and not self._busy), timeout)


class RateMeter:
    """Events per second and their mean cost over the last `window_s` seconds; safe from any thread."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._lock = threading.Lock()
        self._events: deque[tuple[float, float]] = deque()  # (monotonic time, cost in seconds)

    def add(self, cost_s: float, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._events.append((now, cost_s))
            self._trim(now)

    def read(self, now: float | None = None) -> tuple[float, float]:
        """(events per second, mean cost in ms); both 0 when fewer than two events fell in the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(now)
            ev = list(self._events)
        if len(ev) < 2 or ev[-1][0] <= ev[0][0]:
            return 0.0, 1000 * ev[0][1] if ev else 0.0
        return (len(ev) - 1) / (ev[-1][0] - ev[0][0]), 1000 * sum(c for _, c in ev) / len(ev)

    def clear(self) -> None:
        with self._lock:
            self._events.clear()

    def _trim(self, now: float) -> None:
        # Relative to now, not to the last event: a stalled stream reads as 0, not as its last rate.
        while self._events and now - self._events[0][0] > self.window_s:
            self._events.popleft()
