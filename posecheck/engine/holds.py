"""Holds: time accumulates only while in position with no error-level fault and no bouncing; a short break
(up to the grace period) pauses the clock, a longer one ends the hold. Bouncing in a stretch is a fault.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from posecheck.engine.checks import FormChecks
from posecheck.engine.primitives import Debounce
from posecheck.engine.recorder import Recorder, Strategy
from posecheck.engine.signals import Values, names_side
from posecheck.exercises import Exercise, HoldSpec
from posecheck.kinematics import Kinematics
from posecheck.records import Event, HoldRecord


@dataclass
class _Hold:
    side: str
    start_s: float
    counted_s: float = 0.0
    break_since: float | None = None
    completed: bool = False
    faults: list[str] = field(default_factory=list)


class HoldStrategy(Strategy):
    def __init__(self, exercise: Exercise, sides: tuple[str, ...], checks: FormChecks, rec: Recorder) -> None:
        assert exercise.hold is not None
        self.ex, self.spec, self.sides, self.checks, self.rec = exercise, exercise.hold, sides, checks, rec
        self.hold: _Hold | None = None
        self.entering = Debounce(self.spec.enter_s)  # in position, not yet long enough to start a hold
        self.entering_side: str | None = None
        self.bounce = BounceDetector(self.spec) if self.spec.bounce_signal else None
        self.bounce_raised = False
        self.phase = "setup"

    # --- the strategy interface ---------------------------------------------------------------

    def update(self, t: float, dt: float, kin: Kinematics, values: Values, events: list[Event]) -> Values:
        side = self._position_side(values)
        bouncing = self._watch_bounce(t, side, values, events)
        h = self.hold
        if h is None:
            self._enter(t, side, events)
        elif side is not None and side != h.side:  # switched sides: a new hold
            self._end(h.break_since or t, events)
            self._set_entering(t, side)
        else:
            self._count(h, t, dt, side, bouncing, events)
        return values

    def pause(self, t: float, events: list[Event]) -> None:
        h = self.hold
        if h is not None:
            if h.break_since is None:
                h.break_since = t
            elif t - h.break_since > self.spec.grace_s:
                self._end(h.break_since, events)

    def abandon(self, t: float, events: list[Event]) -> None:
        if self.hold is not None:
            self._end(self.hold.break_since or t, events)
        self.phase = "setup"

    def finish(self, t: float, events: list[Event]) -> None:
        if self.hold is not None:
            self._end(self.hold.break_since or t, events)

    def active_side(self) -> str | None:
        return self.hold.side if self.hold is not None else self.entering_side

    def attach_fault(self, code: str, severity: str) -> None:
        if self.hold is not None and code not in self.hold.faults and severity != "info":
            self.hold.faults.append(code)

    def shown_hold_s(self) -> float | None:
        return self.hold.counted_s if self.hold is not None else None

    def current_hold(self) -> tuple[str, float] | None:
        return (self.hold.side, self.hold.counted_s) if self.hold is not None else None

    # --- steps ------------------------------------------------------------------------------------

    def _watch_bounce(self, t: float, side: str | None, values: Values, events: list[Event]) -> bool:
        if self.bounce is None or (self.hold is None and side is None):
            return False
        bs = self.hold.side if self.hold else side
        assert bs is not None and self.spec.bounce_signal is not None
        self.bounce.add(t, self.spec.bounce_signal.evaluate(values, bs))
        bouncing = self.bounce.bouncing(t)
        if bouncing and not self.bounce_raised:  # one fault per bout of bouncing, not one per frame
            self.rec.fault(t, "bouncing", "Ease into the stretch: never bounce", "error", bs, events)
        if bouncing and self.hold is not None and "bouncing" not in self.hold.faults:
            self.hold.faults.append("bouncing")
        self.bounce_raised = bouncing
        return self.bounce.bouncing(t)

    def _set_entering(self, t: float, side: str | None) -> None:
        if side is None or side != self.entering_side:
            self.entering.reset()
        self.entering_side = side
        if side is not None:
            self.entering.update(t, True)

    def _enter(self, t: float, side: str | None, events: list[Event]) -> None:
        self._set_entering(t, side)
        if side is None:
            self.phase = "setup"
            return
        since = self.entering.since
        if since is not None and self.entering.active(t):
            self.hold = _Hold(side, since, counted_s=t - since)
            self.phase = "hold"
            events.append(Event("hold_start", since, side, "hold started"))

    def _count(self, h: _Hold, t: float, dt: float, side: str | None, bouncing: bool, events: list[Event]) -> None:
        if side == h.side and not self.checks.error_failing() and not bouncing:
            if h.break_since is None:
                h.counted_s += dt
            h.break_since = None
        elif h.break_since is None:
            h.break_since = t
        elif t - h.break_since > self.spec.grace_s:
            self._end(h.break_since, events)
            return
        ht = self.ex.targets.hold_s
        if ht and not h.completed and h.counted_s >= ht:
            h.completed = True
            events.append(Event("hold_complete", t, h.side, f"{ht:g} s hold done"))
        self.phase = "hold"

    def _end(self, end_t: float, events: list[Event]) -> None:
        h = self.hold
        if h is None:
            return
        self.hold = None
        self.entering.reset()
        self.entering_side = None
        self.phase = "setup"
        ht = self.ex.targets.hold_s or 0.0
        rec = HoldRecord(h.side, round(h.start_s, 3), round(end_t, 3), round(h.counted_s, 3),
                         h.counted_s >= ht - 0.25 and "bouncing" not in h.faults, tuple(dict.fromkeys(h.faults)))
        if h.counted_s >= min(1.0, ht):
            self.rec.holds.append(rec)
            events.append(Event("hold_end", end_t, h.side, f"held {h.counted_s:.1f} s", hold=rec))

    def _position_side(self, values: Values) -> str | None:
        best, best_score = None, 0
        for s in self.sides:
            results = [c.evaluate(values, s) for c in self.spec.position]
            if any(r is False for r in results):
                continue
            if any(r is not True for c, r in zip(self.spec.position, results, strict=True) if names_side(c)):
                continue  # the working leg's own conditions must be seen, not assumed
            known = sum(r is True for r in results)
            if known * 2 >= len(results) and known > best_score:  # most of the position must be seen
                best, best_score = s, known
        return best


class BounceDetector:
    """Counts direction reversals of at least `amp` degrees within a sliding window (a zig-zag filter).

    The zig-zag runs on a running median over the last `median_s` seconds, so a glitch of a few frames
    (a joint read 20 deg off for a frame or three) is no swing, while a real bounce (a few per second,
    half-periods of 0.3 s and more) keeps its amplitude.
    """

    median_s = 0.25

    def __init__(self, spec: HoldSpec) -> None:
        self.amp, self.count, self.window = spec.bounce_amp_deg, spec.bounce_count, spec.bounce_window_s
        self._ext: float | None = None
        self._dir = 0
        self._reversals: deque[float] = deque()
        self._recent: deque[tuple[float, float]] = deque()

    def add(self, t: float, v: float) -> None:
        if not math.isfinite(v):
            return
        self._recent.append((t, v))
        while t - self._recent[0][0] > self.median_s:
            self._recent.popleft()
        v = float(np.median([x for _, x in self._recent])) if len(self._recent) > 2 else v
        if self._ext is None:
            self._ext = v
            return
        d = v - self._ext
        if self._dir == 0:
            if abs(d) >= self.amp:
                self._dir, self._ext = (1 if d > 0 else -1), v
        elif (d > 0) == (self._dir > 0):
            self._ext = v  # still going the same way: extend the swing
        elif abs(d) >= self.amp:
            self._reversals.append(t)
            self._dir, self._ext = -self._dir, v

    def bouncing(self, t: float) -> bool:
        while self._reversals and t - self._reversals[0] > self.window:
            self._reversals.popleft()
        return len(self._reversals) >= self.count
