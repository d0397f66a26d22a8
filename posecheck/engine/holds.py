"""Holds: time accumulates only while in position with no error-level fault and no bouncing; a short break
(up to the grace period) pauses the clock, a longer one ends the hold. Bouncing in a stretch is a fault.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from posecheck.engine.checks import FormChecks
from posecheck.engine.primitives import Chord, Debounce
from posecheck.engine.recorder import HOLD_TOLERANCE_S, Recorder, Strategy
from posecheck.engine.signals import Values, expand, names_side
from posecheck.exercises import Exercise, HoldSpec
from posecheck.kinematics import Kinematics
from posecheck.records import Event, HoldRecord

WRONG_SIDE_S = 1.5  # the other leg in position this long (the set is for one side): say so
RELEASE_BAND_DEG = 5.0  # a stretch is released this far short of depth_min (readings near it wobble)
ENTER_GRACE_S = 0.25  # getting settled survives a reading this brief out of position (a one-frame glitch)


@dataclass
class _Hold:
    """A hold in progress: from its first counted frame to its last; gaps up to grace_s are part of it."""

    side: str
    start_s: float
    last_s: float  # the last counted frame (in position, still, good form)
    completed: bool = False
    faults: list[str] = field(default_factory=list)
    depth: list[float] = field(default_factory=list)  # the depth signal while counted (see HoldSpec)

    @property
    def duration_s(self) -> float:
        return self.last_s - self.start_s


class HoldStrategy(Strategy):
    """hold exercises: the position found on a side, held still, timed; bouncing and error faults stop it."""

    def __init__(self, exercise: Exercise, sides: tuple[str, ...], checks: FormChecks, rec: Recorder) -> None:
        assert exercise.hold is not None
        self.ex, self.spec, self.sides, self.checks, self.rec = exercise, exercise.hold, sides, checks, rec
        self.hold: _Hold | None = None
        # Settled in the position, not yet long enough to start a hold; a glitch of a frame or two is bridged.
        self.entering = Debounce(self.spec.enter_s, grace_s=ENTER_GRACE_S)
        self.entering_side: str | None = None
        self.bounce = BounceDetector(self.spec) if self.spec.bounce_signal else None
        self.bounce_raised = False
        self.chords: dict[str, Chord] = {}
        self.phase = "setup"
        self._t = 0.0
        # A set for one side (a routine's left-leg set): the other side in position is told, not timed.
        self.others = tuple(s for s in ("left", "right") if exercise.per_side and len(sides) == 1 and s not in sides)
        self._wrong = Debounce(WRONG_SIDE_S)

    # --- the strategy interface ---------------------------------------------------------------

    def update(self, t: float, _dt: float, _kin: Kinematics, values: Values, events: list[Event]) -> Values:
        """A hold starts once the person has settled still in the position (getting there is not the hold) and
        lasts while they stay in it with good form; rocking gently within it is part of it."""
        self._t = t
        side = self._position_side(values)
        if self.others:
            self._wrong.update(t, side is None and self._position_side(values, self.others) is not None)
        bouncing = self._watch_bounce(t, values, events)
        good = side if side is not None and not bouncing and not self.checks.error_failing() else None
        h = self.hold
        if h is not None and side is not None and side != h.side:  # switched sides: a new hold
            self._end(events)
            h = None
        if h is None:
            settled = good if good is not None and self._still(t, good, values) else None
            self._enter(t, settled, values, events)
        else:
            self._count(h, t, good, values, events)
        return values

    def pause(self, t: float, events: list[Event], _kin: Kinematics | None = None) -> None:
        self._t = t
        if self.hold is not None and t - self.hold.last_s > self.spec.grace_s:
            self._end(events)

    def abandon(self, _t: float, events: list[Event]) -> None:
        self._end(events)
        self.phase = "setup"

    def finish(self, _t: float, events: list[Event]) -> None:
        self._end(events)

    def active_side(self) -> str | None:
        return self.hold.side if self.hold is not None else self.entering_side

    def attach_fault(self, code: str, severity: str) -> None:
        if self.hold is not None and code not in self.hold.faults and severity != "info":
            self.hold.faults.append(code)

    def shown_hold_s(self) -> float | None:
        return self.hold.duration_s if self.hold is not None else None

    def current_hold(self) -> tuple[str, float] | None:
        return (self.hold.side, self.hold.duration_s) if self.hold is not None else None

    # --- steps ------------------------------------------------------------------------------------

    def _signed_depth(self, v: float) -> float:
        return v if self.spec.depth_direction == "up" else -v

    def _still(self, t: float, side: str, values: Values) -> bool:
        """The signals that make the position (its depth signal, if it has one, else every signal the position
        reads) move slower than still_deg_s, as chords: jitter is not motion."""
        exprs = [self.spec.depth_signal] if self.spec.depth_signal is not None else [c.expr for c in self.spec.position]
        names = {n for e in exprs for name in e.names(side) for n in expand(name)}
        speeds = [self.chords.setdefault(n, Chord()).add(t, values[n]) for n in sorted(names)
                  if math.isfinite(values.get(n, math.nan))]
        known = [v for v in speeds if v is not None]
        return bool(known) and max(known) < self.spec.still_deg_s

    def _watch_bounce(self, t: float, values: Values, events: list[Event]) -> bool:
        """Bouncing is judged in the hold itself: getting into the position (often in steps) is no bounce."""
        if self.bounce is None or self.hold is None:
            return False
        bs = self.hold.side
        assert self.spec.bounce_signal is not None
        self.bounce.add(t, self.spec.bounce_signal.evaluate(values, bs))
        bouncing = self.bounce.bouncing(t)
        if bouncing and not self.bounce_raised:  # one fault per bout of bouncing, not one per frame
            self.rec.fault(t, "bouncing", "Ease into the stretch: never bounce", "error", bs, events)
        if bouncing and self.hold is not None and "bouncing" not in self.hold.faults:
            self.hold.faults.append("bouncing")
        self.bounce_raised = bouncing
        return bouncing

    def _enter(self, t: float, counted: str | None, values: Values, events: list[Event]) -> None:
        if counted is not None and counted != self.entering_side:
            self.entering.reset()
            self.entering_side = counted
        if not self.entering.update(t, counted is not None) and self.entering.since is None:
            self.entering_side = None
        if counted is None:
            self.phase = "setup"
            return
        since = self.entering.since
        if since is not None and self.entering.active(t):
            self.hold = _Hold(counted, since, t)
            self._add_depth(self.hold, values)
            self.phase = "hold"
            events.append(Event("hold_start", since, counted, "hold started"))

    def _count(self, h: _Hold, t: float, counted: str | None, values: Values, events: list[Event]) -> None:
        if counted == h.side and self._released(h, values):
            counted = None  # back out of the stretch into the start position: that ends it (after the grace)
        if counted == h.side:
            if self._deepened(h, values):
                self._restart_deeper(h, events)
                return
            # The clock runs to the last still frame: moving within the position is bridged by the next still
            # one, but leaving it (a steady move out, still inside the position until released) is not the hold,
            # as getting into it was not.
            if self._still(t, h.side, values):
                h.last_s = t
            self._add_depth(h, values)
            self.phase = "hold"
        elif t - h.last_s > self.spec.grace_s:
            self._end(events)
            return
        else:
            self.phase = "moving"  # out of it for a moment (or leaving): form is judged in the hold only
        ht = self.ex.targets.hold_s
        if ht and not h.completed and h.duration_s >= ht:
            h.completed = True
            events.append(Event("hold_complete", t, h.side, f"{ht:g} s hold done"))

    def _add_depth(self, h: _Hold, values: Values) -> None:
        if self.spec.depth_signal is not None:
            v = self.spec.depth_signal.evaluate(values, h.side)
            if math.isfinite(v):
                h.depth.append(self._signed_depth(v))

    def _deepened(self, h: _Hold, values: Values) -> bool:
        """Held short of a stretch so far (its median under depth_min) and now clearly deeper: the start position
        was held, and the stretch itself begins only now."""
        spec = self.spec
        if spec.depth_signal is None or spec.depth_min is None or len(h.depth) < 5:
            return False
        v = spec.depth_signal.evaluate(values, h.side)
        level = float(np.median(h.depth))
        return (math.isfinite(v) and level < self._signed_depth(spec.depth_min)
                and self._signed_depth(v) - level >= spec.deepen_deg)

    def _released(self, h: _Hold, values: Values) -> bool:
        """Held as a stretch (its median at depth_min or beyond) and now clearly shallower than depth_min."""
        spec = self.spec
        if spec.depth_signal is None or spec.depth_min is None or len(h.depth) < 5:
            return False
        v = spec.depth_signal.evaluate(values, h.side)
        floor = self._signed_depth(spec.depth_min)
        return (math.isfinite(v) and float(np.median(h.depth)) >= floor
                and self._signed_depth(v) < floor - RELEASE_BAND_DEG)

    def _restart_deeper(self, h: _Hold, events: list[Event]) -> None:
        """What was held so far was the start position (unless it already reached the target: then it was a hold
        of its own): drop it, and time the stretch once the person has settled in it, like any hold."""
        ht = self.ex.targets.hold_s or 0.0
        if h.duration_s >= ht > 0:
            self._end(events)
        self.hold = None
        self.entering.reset()
        self.entering_side = None
        self.phase = "moving"

    def _end(self, events: list[Event]) -> None:
        h = self.hold
        if h is None:
            return
        self.hold = None
        self.entering.reset()
        self.entering_side = None
        self.phase = "setup"
        ht = self.ex.targets.hold_s or 0.0
        dur = round(h.last_s - h.start_s, 2)
        rec = HoldRecord(h.side, round(h.start_s, 2), round(h.last_s, 2), dur,
                         dur >= ht - HOLD_TOLERANCE_S and "bouncing" not in h.faults, tuple(dict.fromkeys(h.faults)))
        if dur >= min(1.0, ht):
            self.rec.holds.append(rec)
            events.append(Event("hold_end", h.last_s, h.side, f"held {dur:.1f} s", hold=rec))

    def wrong_side(self) -> str | None:
        return self.others[0] if self.others and self._wrong.active(self._t) else None

    def _position_side(self, values: Values, sides: tuple[str, ...] | None = None) -> str | None:
        best, best_score = None, 0
        for s in sides or self.sides:
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
