"""Small timing primitives the engine (and the camera check) share: a debounce (a condition must hold a while
before it counts, and may survive a brief lapse) and a chord speed. Timers run on the frames' own timestamps."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class Debounce:
    """True once `cond` has held for `hold_s`; a lapse longer than `grace_s` starts it over (0: at once).

    `since` is when the condition started holding (None: not holding), so a caller can date an event from
    its true start (a rep ends where the signal came back, not where that was confirmed).
    """

    hold_s: float
    grace_s: float = 0.0
    since: float | None = None
    lapse_since: float | None = None

    def update(self, t: float, cond: bool) -> bool:
        if cond:
            self.lapse_since = None
            if self.since is None:
                self.since = t
        elif self.since is not None:
            if self.lapse_since is None:
                self.lapse_since = t
            if self.grace_s <= 0 or t - self.lapse_since > self.grace_s:
                self.reset()
        return self.active(t)

    def active(self, t: float) -> bool:
        return self.since is not None and self.lapse_since is None and t - self.since >= self.hold_s

    def held_s(self, t: float) -> float:
        return 0.0 if self.since is None else t - self.since

    def reset(self) -> None:
        self.since = self.lapse_since = None


STILL_WINDOW_S = 0.3  # speed is measured as the change over this long (robust to frame jitter)


@dataclass
class Chord:
    """Speed as the change over the last `window_s` (a chord, not a frame difference: jitter cancels)."""

    window_s: float = STILL_WINDOW_S
    _samples: deque[tuple[float, float]] = field(default_factory=deque)

    def add(self, t: float, v: float) -> float | None:
        """deg/s over the window ending now, or None until the window is filled."""
        self._samples.append((t, v))
        while len(self._samples) > 2 and t - self._samples[1][0] >= self.window_s:
            self._samples.popleft()
        t0, v0 = self._samples[0]
        return abs(v - v0) / (t - t0) if t - t0 >= 0.5 * self.window_s else None

    def reset(self) -> None:
        self._samples.clear()
