"""The one debounce idea the engine (and the camera check) use everywhere: a condition must hold for a while
before it counts, and may survive a brief lapse. Timers run on the frames' own timestamps."""

from __future__ import annotations

from dataclasses import dataclass


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
