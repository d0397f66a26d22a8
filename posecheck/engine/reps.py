"""Reps: a side arms by resting, a rep starts when its drive signal leaves rest, is full when it reaches the
target, and ends when the signal is back at rest for a moment. A return short of the target is a partial rep
(if it travelled `partial_min_deg`); smaller wobbles are noise. reps_hold exercises also time the still top.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from posecheck.engine.checks import FormChecks
from posecheck.engine.primitives import Debounce
from posecheck.engine.recorder import Recorder, Strategy
from posecheck.engine.signals import Values, all_true, expand, mirror
from posecheck.exercises import Exercise
from posecheck.kinematics import Kinematics
from posecheck.records import Event, HoldRecord, RepRecord

SIDE_LEAD_DEG = 5.0  # another side whose peak beat the rep's own by this much was the working side
END_CONFIRM_S = 0.15  # a rep ends when the signal has stayed back at rest this long
SPEED_TAU_S = 0.15  # smoothing of the top-hold speed


@dataclass
class _Rep:
    """The rep in progress."""

    side: str
    start_s: float
    start_val: float
    peak_val: float
    peak_s: float
    out_since: float  # when the signal crossed out of rest (start_s is where it last rested)
    reached: bool = False
    hold_s: float = 0.0
    target_since: float | None = None
    faults: list[str] = field(default_factory=list)
    peak_angles: dict[str, float] = field(default_factory=dict)
    require_seen: bool = False  # the motion's own condition was seen true, or it has none
    require_true: bool = False  # the motion's own condition was seen true (not just unknown)
    back: Debounce = field(default_factory=lambda: Debounce(END_CONFIRM_S))
    speed: float = 0.0  # deg/s of the drive signal's fastest part, smoothed
    speed_fresh: bool = False  # speed was measured on the previous frame too
    last_vals: dict[str, float] = field(default_factory=dict)
    side_peaks: dict[str, float] = field(default_factory=dict)  # farthest travel per side during the rep


@dataclass
class _Arming:
    """Per side: resting long enough arms it; where it last rested is where its next rep starts."""

    rest: Debounce
    armed: bool = False
    last_rest_t: float | None = None
    rest_val: float | None = None
    rest_min: float = math.inf


class RepStrategy(Strategy):
    """reps and reps_hold exercises: one rep at a time, on whichever armed side leaves rest."""

    def __init__(self, exercise: Exercise, sides: tuple[str, ...], checks: FormChecks, rec: Recorder) -> None:
        assert exercise.motion is not None
        self.ex, self.m, self.sides, self.checks, self.rec = exercise, exercise.motion, sides, checks, rec
        self.sgn = 1.0 if self.m.direction == "up" else -1.0
        self.travel = self.sgn * (self.m.target - self.m.rest)
        self.arming = {s: _Arming(Debounce(self.m.min_rest_s)) for s in sides}
        self.seen_motion = False
        self.rep: _Rep | None = None
        self.phase = "setup"

    # --- the strategy interface ---------------------------------------------------------------

    def update(self, t: float, dt: float, kin: Kinematics, values: Values, events: list[Event]) -> Values:
        drives = {s: self.m.signal.evaluate(values, s) for s in self.sides}
        # Resting needs no reliable reading: a far leg lying still is often occluded, and it must still be
        # armed when it moves out into view (only a reliable signal starts and counts a rep).
        rest_drives = {s: d if math.isfinite(d) else self.m.signal.evaluate(kin.angles, s) for s, d in drives.items()}
        prog = {s: self.sgn * (v - self.m.rest) for s, v in drives.items()}
        self._arm(t, rest_drives)
        self._give_way(values, prog)
        rep = self.rep
        if rep is None:
            self._maybe_start(t, drives, prog)
            return values
        self._track(rep, t, dt, values, drives, prog)
        if not math.isfinite(prog[rep.side]):
            return values  # this side is hidden for a moment: freeze
        check_values, required = self._motion_check(rep, values)
        self._target(rep, t, dt, prog[rep.side], required, events)
        self._end(rep, t, prog[rep.side], events)
        return check_values

    def pause(self, t: float, events: list[Event]) -> None:
        for a in self.arming.values():
            a.rest.reset()

    def abandon(self, t: float, events: list[Event]) -> None:
        self.rep = None
        for a in self.arming.values():
            a.armed = False
        self.phase = "setup"

    def finish(self, t: float, events: list[Event]) -> None:
        self.rep = None

    def active_side(self) -> str | None:
        return self.rep.side if self.rep is not None else None

    def attach_fault(self, code: str, severity: str) -> None:
        if self.rep is not None and code not in self.rep.faults:
            self.rep.faults.append(code)

    def shown_hold_s(self) -> float | None:
        return self.rep.hold_s if self.rep is not None and self.ex.kind == "reps_hold" else None

    # --- steps of one frame ---------------------------------------------------------------------

    def _arm(self, t: float, rest_drives: dict[str, float]) -> None:
        """A side must rest before it can count (getting into position is no rep)."""
        m = self.m
        first = not self.seen_motion
        self.seen_motion = True
        for s, rd in rest_drives.items():
            a = self.arming[s]
            p = self.sgn * (rd - m.rest)
            if first and math.isfinite(p) and p <= 2 * m.hysteresis_deg:
                # A clip that opens at (or just off) rest is already in position: its first rep counts.
                a.armed, a.last_rest_t, a.rest_val = True, t, rd
            at_rest = math.isfinite(p) and p <= m.hysteresis_deg
            if at_rest and (a.rest.since is None or p <= a.rest_min + 1.0):
                # The rep starts where the signal last sat at its most rested value, not where it crossed
                # the threshold (which is already part-way down).
                a.last_rest_t, a.rest_val = t, rd
                a.rest_min = min(p, a.rest_min) if a.rest.since is not None else p
            if a.rest.update(t, at_rest):
                a.armed = True

    def _give_way(self, values: Values, prog: dict[str, float]) -> None:
        """An unreached excursion that is not this exercise's motion (e.g. bending the knee to switch legs)
        gives way as soon as another side starts a real one."""
        rep = self.rep
        if (rep is not None and not rep.reached and self._motion_ok(values, rep.side) is False
                and any(self.arming[s].armed and s != rep.side and prog[s] > self.m.hysteresis_deg
                        for s in self.sides)):
            self.arming[rep.side].armed = False  # it must rest again before it can start a rep
            self.rep = None

    def _maybe_start(self, t: float, drives: dict[str, float], prog: dict[str, float]) -> None:
        starters = [s for s in self.sides
                    if self.arming[s].armed and math.isfinite(prog[s]) and prog[s] > self.m.hysteresis_deg]
        if not starters:
            self.phase = "rest" if any(a.armed for a in self.arming.values()) else "setup"
            return
        s = max(starters, key=lambda k: prog[k])
        a = self.arming[s]
        start_t = a.last_rest_t if a.last_rest_t is not None else t
        start_val = a.rest_val if a.rest_val is not None else drives[s]
        self.rep = _Rep(s, start_t, start_val, drives[s], t, out_since=t)
        self.phase = "moving"

    def _track(self, rep: _Rep, t: float, dt: float, values: Values, drives: dict[str, float],
               prog: dict[str, float]) -> None:
        """Per-side peaks, the top's stillness and the peak itself."""
        for s, ps in prog.items():
            if math.isfinite(ps) and self.arming[s].armed and self._motion_ok(values, s) is not False:
                rep.side_peaks[s] = max(ps, rep.side_peaks.get(s, -math.inf))
        if not math.isfinite(prog[rep.side]):
            return
        self._update_speed(rep, dt, values)
        if self.sgn * (drives[rep.side] - rep.peak_val) > 0:
            rep.peak_val, rep.peak_s = drives[rep.side], t
            rep.peak_angles = {k: round(v, 1) for k, v in values.items() if k.startswith(("left_", "right_", "trunk"))}

    def _update_speed(self, rep: _Rep, dt: float, values: Values) -> None:
        """Holding means keeping still at the top: the smoothed speed of the fastest signal the drive is made
        of (a difference of two thighs can stand still while both move, when one's reading drags the other).
        A bilateral mean ("hip") is read per side: the mean jumps when one side drops in or out of view."""
        names = [n for name in self.m.signal.names(rep.side) for n in expand(name)]
        if dt > 0:
            fastest: float | None = None
            for name in names:
                v, last = values.get(name, math.nan), rep.last_vals.get(name, math.nan)
                if math.isfinite(v) and math.isfinite(last):
                    fastest = max(fastest or 0.0, abs(v - last) / dt)
            if fastest is None:  # nothing to compare with (hidden, or the other side in view): unknown
                rep.speed_fresh = False
            elif not rep.speed_fresh:  # first measure after a gap: no stale speed decaying into it
                rep.speed, rep.speed_fresh = fastest, True
            else:
                a = min(1.0, dt / SPEED_TAU_S)
                rep.speed = (1 - a) * rep.speed + a * fastest
        rep.last_vals = {name: values.get(name, math.nan) for name in names}

    def _motion_check(self, rep: _Rep, values: Values) -> tuple[Values, bool]:
        """(the values the form checks read, whether the motion's defining condition allows the target).

        The defining condition (e.g. the back knee bends in a lunge, unlike a knee drive) must hold at the
        target, or the excursion is some other movement. When it held on the rep's side and now holds only
        with the two legs' readings exchanged (single-leg raise: the working knee reads bent, the support
        knee straight) while the thigh still drives the rep, that is a label swap where the legs overlap in
        the image, not a change of legs: the checks read the exchanged values.
        """
        check_values = values
        motion_ok = self._motion_ok(values, rep.side)
        if motion_ok is False and rep.require_true:
            mirrored = mirror(values, self.m.require, rep.side)
            if self._motion_ok(mirrored, rep.side) is True:
                check_values, motion_ok = mirrored, True
        rep.require_true = rep.require_true or motion_ok is True
        # A partial rep needs the motion's own condition actually seen (True, not just unknown): a lunge's
        # step forward lifts the front thigh as far as a shallow lunge, but its back knee stays straight.
        rep.require_seen = rep.require_seen or motion_ok is True or not self.m.require
        return check_values, motion_ok is not False

    def _target(self, rep: _Rep, t: float, dt: float, p: float, required: bool, events: list[Event]) -> None:
        """The target band (with hysteresis once reached) and the time held still in it."""
        m = self.m
        band = self.travel - m.hysteresis_deg if rep.reached and self.phase == "target" else self.travel
        if p >= band and (required or rep.reached):
            rep.reached = True
            if rep.target_since is None:
                rep.target_since = t
            elif (self.ex.kind == "reps_hold" and not self.checks.error_failing() and rep.speed_fresh
                  and rep.speed < m.hold_still_deg_s):
                rep.hold_s += dt
                ht = self.ex.targets.hold_s
                if ht and rep.hold_s >= ht and rep.hold_s - dt < ht:
                    events.append(Event("hold_complete", t, rep.side, f"{ht:g} s hold done"))
            self.phase = "target"
        else:
            if rep.target_since is not None and self.ex.kind == "reps_hold":
                self._record_top_hold(rep, t)
            rep.target_since = None
            self.phase = "moving"

    def _end(self, rep: _Rep, t: float, p: float, events: list[Event]) -> None:
        """Back at rest: the rep is over once that lasts (a one-frame glitch is not a return)."""
        if rep.back.update(t, p <= 0) and rep.back.since is not None:
            self._close_rep(rep, rep.back.since, events)

    # --- closing a rep --------------------------------------------------------------------------

    def _record_top_hold(self, rep: _Rep, t: float) -> None:
        ht = self.ex.targets.hold_s or 0.0
        self.rec.holds.append(HoldRecord(rep.side, rep.target_since or t, t, round(rep.hold_s, 3),
                                         rep.hold_s >= ht - 0.25, tuple(rep.faults)))

    def _close_rep(self, rep: _Rep, t: float, events: list[Event]) -> None:
        m = self.m
        self.rep = None
        self.phase = "rest"
        if t - rep.start_s < m.min_rep_s:
            return
        faults = list(dict.fromkeys(rep.faults))
        side = self._working_side(rep)
        peak_val, rom = rep.peak_val, abs(rep.peak_val - rep.start_val)
        if side != rep.side:  # range of motion of the side that worked
            peak_val = m.rest + self.sgn * rep.side_peaks[side]
            rest_val = self.arming[side].rest_val
            rom = abs(peak_val - (rest_val if rest_val is not None else m.rest))
        ht = self.ex.targets.hold_s if self.ex.kind == "reps_hold" else None
        if rep.reached and ht and rep.hold_s < ht - 0.25:
            faults.append("hold_short")
            self.rec.fault(t, "hold_short", f"Hold {ht:g} s at the top", "warning", side, events)
        errors = {c.code for c in self.ex.checks if c.severity == "error"}
        ok = rep.reached and not (set(faults) & (errors | {"hold_short"}))
        record = RepRecord(side, round(rep.start_s, 3), round(t, 3), round(rep.peak_s, 3), round(rom, 1),
                           round(peak_val, 1), round(rep.hold_s, 3), rep.reached, ok, tuple(faults),
                           rep.peak_angles)
        if rep.reached:
            self.rec.reps.append(record)
            events.append(Event("rep", t, side, "rep counted", rep=record))
        elif rom >= m.partial_min_deg and rep.require_seen and t - rep.out_since >= m.min_rep_s:
            # A partial rep is a real attempt: out of rest for at least min_rep_s (a side-label glitch or a
            # quick step is not), with the motion's own condition seen (see require_seen).
            self.rec.partials.append(record)
            self.rec.fault(t, "partial_rep", m.partial_cue, "warning", side, events)
            events.append(Event("partial", t, side, m.partial_cue, rep=record))

    def _working_side(self, rep: _Rep) -> str:
        """The rep's side is fixed when it leaves rest; both legs often leave together (a lunge bends both,
        and from the front the two thighs read alike), so the side that travelled clearly farthest over the
        whole rep is the one that worked."""
        own = rep.side_peaks.get(rep.side, -math.inf)
        best = max(rep.side_peaks, key=lambda k: rep.side_peaks[k], default=rep.side)
        return best if rep.side_peaks.get(best, -math.inf) > own + SIDE_LEAD_DEG else rep.side

    def _motion_ok(self, values: Values, side: str) -> bool | None:
        return all_true(self.m.require, values, side)

