"""The exercise engine: one `Tracker` per exercise turns per-frame kinematics into reps, holds, faults, cues.

Pure and frame-by-frame: it knows nothing of video, MediaPipe or Streamlit, so the live webcam and
clip analysis share it, and tests drive it with plain angle arrays. Every timer runs on the frames'
own timestamps (live frames get dropped).

Reps: a side is "armed" once its drive signal has rested for `min_rest_s` (getting into position is
no rep). It starts a rep when the signal leaves rest by more than the hysteresis, reaches the target,
and ends the rep when it comes back to rest. A return without reaching the target is a partial rep
(if it travelled `partial_min_deg`); smaller wobbles are noise. Holds: time accumulates only while in
position with no error-level fault, pauses through a short grace period, and bouncing is a fault.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from posecheck import pose as P
from posecheck.exercises import PER_SIDE_BASES, Check, CircleSpec, Condition, Exercise, HoldSpec, Motion
from posecheck.kinematics import Kinematics

SideChoice = Literal["auto", "left", "right"]
STEP_INTO_VIEW = "Step into view: I need to see your whole body"
# The top of a rep counts as held only while its signals move slower than this (smoothed deg/s); the default
# of motion.hold_still_deg_s, which an exercise lifted and lowered slowly sets lower.
HOLD_STILL_DEG_S = Motion.hold_still_deg_s
SIDE_LEAD_DEG = 5.0  # another side whose peak beat the rep's own by this much was the working side
END_CONFIRM_S = 0.15  # a rep ends when the signal has stayed back at rest this long
VIEW_GRACE_S = 1.0  # the wrong view must persist this long before counting pauses
JUMP_FRACTION = 0.6  # hip moving more than this many torso lengths in one step = a cut or another person

_VIEW_CUES = {"side": "Turn sideways for this one", "front": "Face the camera for this one",
              "oblique": "Turn partly sideways (about 45 degrees) for this one"}


@dataclass(frozen=True)
class FaultEvent:
    t_s: float
    code: str
    message: str
    severity: str
    side: str | None


@dataclass(frozen=True)
class RepRecord:
    side: str  # "left" | "right" | "both"
    start_s: float
    end_s: float
    peak_s: float
    rom_deg: float
    peak_deg: float
    hold_s: float
    full: bool  # reached the target
    ok: bool  # full, held long enough (reps with a hold) and no error-level fault
    faults: tuple[str, ...]
    peak_angles: dict[str, float] = field(default_factory=dict)
    direction: str = ""  # leg circles: "cw" | "ccw" as seen in the image

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class HoldRecord:
    side: str
    start_s: float
    end_s: float
    duration_s: float  # time that counted (in position, good form); breaks are not counted
    ok: bool
    faults: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    kind: Literal["rep", "partial", "hold_start", "hold_end", "hold_complete", "fault", "warning"]
    t_s: float
    side: str | None = None
    message: str = ""
    rep: RepRecord | None = None
    hold: HoldRecord | None = None
    fault: FaultEvent | None = None


@dataclass(frozen=True)
class TrackerState:
    t_s: float
    phase: str  # setup | rest | moving | target | hold | paused
    side: str | None
    reps_left: int
    reps_right: int
    reps_total: int
    partial: int
    hold_s: float | None
    hold_target_s: float | None
    cues: tuple[str, ...]
    cue_severity: str
    status: str | None  # why nothing is counted right now (no person, wrong view), else None
    view: str
    events: tuple[Event, ...]
    joint_status: dict[str, str]

    @property
    def cue(self) -> str | None:
        return self.status or (self.cues[0] if self.cues else None)

    @classmethod
    def blank(cls, t: float, view: str, status: str | None) -> TrackerState:
        """Nothing counted (before a tracker runs, or while the camera check holds it back)."""
        return cls(t_s=t, phase="setup", side=None, reps_left=0, reps_right=0, reps_total=0, partial=0,
                   hold_s=None, hold_target_s=None, cues=(), cue_severity="info", status=status, view=view,
                   events=(), joint_status={})


@dataclass
class _CheckState:
    failing_since: float | None = None
    raised: bool = False


@dataclass
class _Rep:
    side: str
    start_s: float
    start_val: float
    peak_val: float
    peak_s: float
    reached: bool = False
    hold_s: float = 0.0
    target_since: float | None = None
    faults: list[str] = field(default_factory=list)
    peak_angles: dict[str, float] = field(default_factory=dict)
    require_seen: bool = False
    require_true: bool = False  # the motion's own condition was seen true (not just unknown)
    out_since: float = math.nan  # when the signal crossed out of rest (start_s is where it last rested)
    back_since: float | None = None
    speed: float = 0.0  # deg/s of the drive signal's fastest part, smoothed
    last_vals: dict[str, float] = field(default_factory=dict)
    speed_fresh: bool = False  # speed was measured on the previous frame too
    side_peaks: dict[str, float] = field(default_factory=dict)  # farthest travel per side during the rep


@dataclass
class _Hold:
    side: str
    start_s: float
    counted_s: float = 0.0
    break_since: float | None = None
    completed: bool = False
    faults: list[str] = field(default_factory=list)


class Tracker:
    """Feed `update(kin)` once per frame, in time order; read reps/holds/faults at any time."""

    def __init__(self, exercise: Exercise, side: SideChoice = "auto") -> None:
        self.ex = exercise
        if exercise.sides == "both":
            self.sides: tuple[str, ...] = ("both",)
        elif side in ("left", "right"):
            self.sides = (side,)
        else:
            self.sides = ("left", "right")
        self.reps: list[RepRecord] = []
        self.partials: list[RepRecord] = []
        self.holds: list[HoldRecord] = []
        self.faults: list[FaultEvent] = []
        self.warnings: list[str] = []
        self._checks = {c.code: _CheckState() for c in exercise.checks}
        self._rest_since: dict[str, float | None] = {s: None for s in self.sides}
        self._armed: dict[str, bool] = {s: False for s in self.sides}
        self._last_rest_t: dict[str, float] = {}
        self._rest_min: dict[str, float] = {s: math.inf for s in self.sides}
        self._rest_val: dict[str, float] = {}
        self._seen_motion = False
        self._rep: _Rep | None = None
        self._hold: _Hold | None = None
        self._pos_since: tuple[str, float] | None = None
        self._bounce = _BounceDetector(exercise.hold) if exercise.hold and exercise.hold.bounce_signal else None
        self._bounce_raised = False
        self._t: float | None = None
        self._last_hip: tuple[np.ndarray, float, float] | None = None  # position, torso length, t
        self._wrong_view_since: float | None = None
        self._phase = "setup"
        self._circles = _CircleCounter(exercise.circles) if exercise.circles else None
        self._check_values: dict[str, float] = {}

    # --- public ---------------------------------------------------------------------------

    def update(self, kin: Kinematics) -> TrackerState:
        t = kin.t_s
        dt = 0.0 if self._t is None else max(0.0, t - self._t)
        self._t = t
        events: list[Event] = []
        if not kin.detected:
            self._pause(t, events)
            return self._state(t, kin, events, STEP_INTO_VIEW)
        if self._jumped(kin):
            self._abandon(t, events, "The tracked person jumped (a cut or another person?); not counted")
        status = self._view_status(kin)
        values = _usable_values(kin)
        if self.ex.motion is not None and self.ex.kind != "circles":
            drives = {s: self.ex.motion.signal.evaluate(values, s) for s in self.sides}
            if all(not math.isfinite(v) for v in drives.values()):
                self._pause(t, events)
                return self._state(t, kin, events, STEP_INTO_VIEW)
        if status is not None:
            self._pause(t, events)
            return self._state(t, kin, events, status)
        self._check_values = values  # what the form checks read (see _update_reps: label swaps)
        if self.ex.kind in ("reps", "reps_hold"):
            # Resting needs no reliable reading: a far leg lying still is often occluded, and it must still
            # be armed when it moves out into view (only a reliable signal starts and counts a rep).
            rest_drives = {s: d if math.isfinite(d) else self.ex.motion.signal.evaluate(kin.angles, s)
                           for s, d in drives.items()}
            self._update_reps(t, dt, values, drives, events, rest_drives)
        elif self.ex.kind == "hold":
            self._update_hold(t, dt, values, events)
        elif self._circles is not None:
            self._update_circles(t, kin, values, events)
        self._run_checks(t, self._check_values, events)
        return self._state(t, kin, events, None)

    def finish(self) -> list[Event]:
        """Close what is open at the end of a clip/stream (a hold in progress is kept)."""
        events: list[Event] = []
        if self._hold is not None and self._t is not None:
            self._end_hold(self._hold.break_since or self._t, events)
        self._rep = None
        return events

    def current_hold(self) -> tuple[str, float] | None:
        """(side, seconds counted) of a hold in progress, else None."""
        return (self._hold.side, self._hold.counted_s) if self._hold is not None else None

    @property
    def reps_by_side(self) -> dict[str, int]:
        out = {"left": 0, "right": 0, "both": 0}
        for r in self.reps:
            out[r.side] += 1
        return out

    # --- reps ---------------------------------------------------------------------------------

    def _update_reps(self, t: float, dt: float, values: dict[str, float], drives: dict[str, float],
                     events: list[Event], rest_drives: dict[str, float] | None = None) -> None:
        m = self.ex.motion
        assert m is not None
        sgn = 1.0 if m.direction == "up" else -1.0
        travel = sgn * (m.target - m.rest)
        prog = {s: sgn * (v - m.rest) for s, v in drives.items()}
        rest_drives = rest_drives or drives
        first = not self._seen_motion
        self._seen_motion = True
        for s, rd in rest_drives.items():  # arming: a side must rest before it can count
            p = sgn * (rd - m.rest)
            if first and math.isfinite(p) and p <= 2 * m.hysteresis_deg:
                # A clip that opens at (or just off) rest is already in position: its first rep counts.
                self._armed[s] = True
                self._last_rest_t[s], self._rest_val[s] = t, rd
            if math.isfinite(p) and p <= m.hysteresis_deg:
                # The rep starts where the signal last sat at its most rested value, not where it crossed
                # the threshold (which is already part-way down).
                if self._rest_since[s] is None or p <= self._rest_min[s] + 1.0:
                    self._last_rest_t[s] = t
                    self._rest_val[s] = rd
                    self._rest_min[s] = min(p, self._rest_min[s]) if self._rest_since[s] is not None else p
                if self._rest_since[s] is None:
                    self._rest_since[s] = t
                if t - self._rest_since[s] >= m.min_rest_s:
                    self._armed[s] = True
            else:
                self._rest_since[s] = None

        rep = self._rep
        # An unreached excursion that is not this exercise's motion (e.g. bending the knee to switch legs)
        # gives way as soon as another side starts a real one.
        if (rep is not None and not rep.reached and self._motion_ok(values, rep.side) is False
                and any(self._armed[s] and s != rep.side and prog[s] > m.hysteresis_deg for s in self.sides)):
            self._armed[rep.side] = False  # it must rest again before it can start a rep
            self._rep = rep = None
        if rep is None:
            starters = [s for s in self.sides
                        if self._armed[s] and math.isfinite(prog[s]) and prog[s] > m.hysteresis_deg]
            if starters:
                s = max(starters, key=lambda k: prog[k])
                start_t = self._last_rest_t.get(s, t)
                self._rep = _Rep(s, start_t, self._rest_val.get(s, drives[s]), drives[s], t, out_since=t)
                self._phase = "moving"
            else:
                self._phase = "rest" if any(self._armed.values()) else "setup"
            return

        for s, ps in prog.items():
            if math.isfinite(ps) and self._armed.get(s) and self._motion_ok(values, s) is not False:
                rep.side_peaks[s] = max(ps, rep.side_peaks.get(s, -math.inf))
        p = prog[rep.side]
        if not math.isfinite(p):
            return  # this side is hidden for a moment: freeze
        # Holding means keeping still at the top: the smoothed speed of the fastest signal the drive is made
        # of (a difference of two thighs can stand still while both move, when one's reading drags the other).
        # A bilateral mean ("hip") is read per side: the mean jumps when one side drops in or out of view.
        names = [n for name in m.signal.names(rep.side) for n in _expand(name)]
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
                a = min(1.0, dt / 0.15)
                rep.speed = (1 - a) * rep.speed + a * fastest
        rep.last_vals = {name: values.get(name, math.nan) for name in names}
        if sgn * (drives[rep.side] - rep.peak_val) > 0:
            rep.peak_val, rep.peak_s = drives[rep.side], t
            rep.peak_angles = {k: round(v, 1) for k, v in values.items() if k.startswith(("left_", "right_", "trunk"))}
        # The motion's defining condition (e.g. the back knee bends in a lunge, unlike a knee drive) must
        # hold at the target, or the excursion is some other movement.
        motion_ok = self._motion_ok(values, rep.side)
        if motion_ok is False and rep.require_true:
            # The rep's defining condition held on its side and now holds only with the two legs' readings
            # exchanged (e.g. single-leg raise: the working knee reads bent, the support knee straight). With
            # the thigh still driving the rep, that is a label swap where the legs overlap in the image, not
            # a change of legs: the checks read the exchanged values.
            mirrored = _mirror(values, m.require, rep.side)
            if self._motion_ok(mirrored, rep.side) is True:
                self._check_values, motion_ok = mirrored, True
        rep.require_true = rep.require_true or motion_ok is True
        required = motion_ok is not False
        # A partial rep needs the motion's own condition actually seen (True, not just unknown): a lunge's
        # step forward lifts the front thigh as far as a shallow lunge, but its back knee stays straight.
        rep.require_seen = rep.require_seen or motion_ok is True or not m.require
        in_target = p >= travel if not (rep.reached and self._phase == "target") else p >= travel - m.hysteresis_deg
        in_target = in_target and (required or rep.reached)
        if in_target:
            if not rep.reached:
                rep.reached = True
            if rep.target_since is None:
                rep.target_since = t
            elif (self.ex.kind == "reps_hold" and not self._error_failing() and rep.speed_fresh
                  and rep.speed < m.hold_still_deg_s):
                rep.hold_s += dt
                ht = self.ex.targets.hold_s
                if ht and rep.hold_s >= ht and rep.hold_s - dt < ht:
                    events.append(Event("hold_complete", t, rep.side, f"{ht:g} s hold done"))
            self._phase = "target"
        else:
            if rep.target_since is not None and self.ex.kind == "reps_hold":
                self._record_top_hold(rep, t)
            rep.target_since = None
            self._phase = "moving"
        if p <= 0:  # back at rest: the rep is over once that lasts (a one-frame glitch is not a return)
            rep.back_since = rep.back_since if rep.back_since is not None else t
            if t - rep.back_since >= END_CONFIRM_S:
                self._close_rep(rep, rep.back_since, values, events)
        else:
            rep.back_since = None

    def _record_top_hold(self, rep: _Rep, t: float) -> None:
        ht = self.ex.targets.hold_s or 0.0
        self.holds.append(HoldRecord(rep.side, rep.target_since or t, t, round(rep.hold_s, 3),
                                     rep.hold_s >= ht - 0.25, tuple(rep.faults)))

    def _close_rep(self, rep: _Rep, t: float, values: dict[str, float], events: list[Event]) -> None:
        m = self.ex.motion
        assert m is not None
        self._rep = None
        self._phase = "rest"
        rom = abs(rep.peak_val - rep.start_val)
        if t - rep.start_s < m.min_rep_s:
            return
        faults = list(dict.fromkeys(rep.faults))
        side = self._working_side(rep)
        peak_val = rep.peak_val
        if side != rep.side:  # range of motion of the side that worked
            sgn = 1.0 if m.direction == "up" else -1.0
            peak_val = m.rest + sgn * rep.side_peaks[side]
            rom = abs(peak_val - self._rest_val.get(side, m.rest))
        ht = self.ex.targets.hold_s if self.ex.kind == "reps_hold" else None
        if rep.reached and ht and rep.hold_s < ht - 0.25:
            faults.append("hold_short")
            self._fault(t, "hold_short", f"Hold {ht:g} s at the top", "warning", side, events)
        errors = {c.code for c in self.ex.checks if c.severity == "error"}
        ok = rep.reached and not (set(faults) & (errors | {"hold_short"}))
        record = RepRecord(side, round(rep.start_s, 3), round(t, 3), round(rep.peak_s, 3), round(rom, 1),
                           round(peak_val, 1), round(rep.hold_s, 3), rep.reached, ok, tuple(faults),
                           rep.peak_angles)
        if rep.reached:
            self.reps.append(record)
            events.append(Event("rep", t, side, "rep counted", rep=record))
        elif rom >= m.partial_min_deg and rep.require_seen and t - rep.out_since >= m.min_rep_s:
            # A partial rep is a real attempt: out of rest for at least min_rep_s (a side-label glitch or a
            # quick step is not), with the motion's own condition seen (see require_seen).
            self.partials.append(record)
            self._fault(t, "partial_rep", m.partial_cue, "warning", side, events)
            events.append(Event("partial", t, side, m.partial_cue, rep=record))

    def _working_side(self, rep: _Rep) -> str:
        """The rep's side is fixed when it leaves rest; both legs often leave together (a lunge bends both,
        and from the front the two thighs read alike), so the side that travelled clearly farthest over the
        whole rep is the one that worked."""
        own = rep.side_peaks.get(rep.side, -math.inf)
        best = max(rep.side_peaks, key=lambda k: rep.side_peaks[k], default=rep.side)
        return best if rep.side_peaks.get(best, -math.inf) > own + SIDE_LEAD_DEG else rep.side

    def _motion_ok(self, values: dict[str, float], side: str) -> bool | None:
        return _all_true(self.ex.motion.require, values, side) if self.ex.motion else None

    # --- circles ------------------------------------------------------------------------------

    def _update_circles(self, t: float, kin: Kinematics, values: dict[str, float], events: list[Event]) -> None:
        spec = self.ex.circles
        assert spec is not None and self._circles is not None
        scores = {s: spec.select.evaluate(values, s) for s in self.sides}
        ok = {s: v for s, v in scores.items() if math.isfinite(v) and _all_true(spec.require, values, s) is not False}
        if not ok or kin.pose is None or kin.pose.image_px is None:
            self._phase = "rest"
            self._circles.reset()
            return
        side = max(ok, key=lambda k: ok[k])
        self._phase = "moving"
        done = self._circles.add(t, side, kin.pose.image_px)
        if done is not None:
            start, direction = done
            rec = RepRecord(side, round(start, 3), round(t, 3), round(t, 3), 360.0, 0.0, 0.0, True, True, (),
                            direction=direction)
            self.reps.append(rec)
            events.append(Event("rep", t, side, f"circle ({direction})", rep=rec))

    # --- holds --------------------------------------------------------------------------------

    def _update_hold(self, t: float, dt: float, values: dict[str, float], events: list[Event]) -> None:
        spec = self.ex.hold
        assert spec is not None
        side = self._position_side(spec, values)
        if self._bounce is not None and (self._hold is not None or side is not None):
            bs = self._hold.side if self._hold else side
            self._bounce.add(t, spec.bounce_signal.evaluate(values, bs) if spec.bounce_signal else math.nan)
            bouncing = self._bounce.bouncing(t)
            if bouncing and not self._bounce_raised:  # one fault per bout of bouncing, not one per frame
                self._fault(t, "bouncing", "Ease into the stretch: never bounce", "error", bs, events)
            if bouncing and self._hold is not None and "bouncing" not in self._hold.faults:
                self._hold.faults.append("bouncing")
            self._bounce_raised = bouncing
        h = self._hold
        if h is None:
            if side is None:
                self._pos_since = None
                self._phase = "setup"
                return
            if self._pos_since is None or self._pos_since[0] != side:
                self._pos_since = (side, t)
            if t - self._pos_since[1] >= spec.enter_s:
                self._hold = _Hold(side, self._pos_since[1], counted_s=t - self._pos_since[1])
                self._phase = "hold"
                events.append(Event("hold_start", self._pos_since[1], side, "hold started"))
            return
        if side is not None and side != h.side:  # switched sides: a new hold
            self._end_hold(h.break_since or t, events)
            self._pos_since = (side, t)
            return
        bouncing = self._bounce is not None and self._bounce.bouncing(t)
        if side == h.side and not self._error_failing() and not bouncing:
            if h.break_since is None:
                h.counted_s += dt
            h.break_since = None
        elif h.break_since is None:
            h.break_since = t
        elif t - h.break_since > spec.grace_s:
            self._end_hold(h.break_since, events)
            return
        ht = self.ex.targets.hold_s
        if ht and not h.completed and h.counted_s >= ht:
            h.completed = True
            events.append(Event("hold_complete", t, h.side, f"{ht:g} s hold done"))
        self._phase = "hold"

    def _position_side(self, spec: HoldSpec, values: dict[str, float]) -> str | None:
        best, best_score = None, 0
        for s in self.sides:
            results = [c.evaluate(values, s) for c in spec.position]
            if any(r is False for r in results):
                continue
            if any(r is not True for c, r in zip(spec.position, results, strict=True) if _names_side(c)):
                continue  # the working leg's own conditions must be seen, not assumed
            known = sum(r is True for r in results)
            if known * 2 >= len(results) and known > best_score:  # most of the position must be seen
                best, best_score = s, known
        return best

    def _end_hold(self, end_t: float, events: list[Event]) -> None:
        h = self._hold
        if h is None:
            return
        self._hold = None
        self._pos_since = None
        self._phase = "setup"
        ht = self.ex.targets.hold_s or 0.0
        rec = HoldRecord(h.side, round(h.start_s, 3), round(end_t, 3), round(h.counted_s, 3),
                         h.counted_s >= ht - 0.25 and "bouncing" not in h.faults, tuple(dict.fromkeys(h.faults)))
        if h.counted_s >= min(1.0, ht):
            self.holds.append(rec)
            events.append(Event("hold_end", end_t, h.side, f"held {h.counted_s:.1f} s", hold=rec))

    # --- checks, faults, pauses -----------------------------------------------------------------

    def _run_checks(self, t: float, values: dict[str, float], events: list[Event]) -> None:
        side = self._active_side()
        for check in self.ex.checks:
            st = self._checks[check.code]
            if not _phase_matches(check, self._phase) or side is None:
                st.failing_since = None
                st.raised = False
                continue
            ok = _all_true(check.require, values, side)
            if ok is False:
                if st.failing_since is None:
                    st.failing_since = t
                if not st.raised and t - st.failing_since >= check.min_s:
                    st.raised = True
                    self._fault(t, check.code, check.cue, check.severity, side, events)
            else:
                st.failing_since = None
                st.raised = False

    def _error_failing(self) -> bool:
        return any(self._checks[c.code].raised for c in self.ex.checks if c.severity == "error")

    def _active_side(self) -> str | None:
        if self.sides == ("both",):
            return "both"
        if self._rep is not None:
            return self._rep.side
        if self._hold is not None:
            return self._hold.side
        if self._pos_since is not None:
            return self._pos_since[0]
        return None

    def _fault(self, t: float, code: str, message: str, severity: str, side: str | None,
               events: list[Event]) -> None:
        f = FaultEvent(round(t, 3), code, message, severity, side)
        self.faults.append(f)
        events.append(Event("fault", t, side, message, fault=f))
        if self._rep is not None and code not in self._rep.faults:
            self._rep.faults.append(code)
        if self._hold is not None and code not in self._hold.faults and severity != "info":
            self._hold.faults.append(code)

    def _pause(self, t: float, events: list[Event]) -> None:
        """No reliable pose: freeze counting; a hold in progress waits out its grace period."""
        h, spec = self._hold, self.ex.hold
        if h is not None and spec is not None:
            if h.break_since is None:
                h.break_since = t
            elif t - h.break_since > spec.grace_s:
                self._end_hold(h.break_since, events)
        for s in self.sides:
            self._rest_since[s] = None

    def _abandon(self, t: float, events: list[Event], message: str) -> None:
        self._rep = None
        self._armed = {s: False for s in self.sides}
        if self._hold is not None:
            self._end_hold(self._hold.break_since or t, events)
        self._phase = "setup"
        self.warnings.append(f"{t:.2f} s: {message}")
        events.append(Event("warning", t, None, message))

    def _jumped(self, kin: Kinematics) -> bool:
        px = kin.pose.image_px if kin.pose is not None else None
        if px is None:
            return False
        hip = (px[P.LEFT_HIP, :2] + px[P.RIGHT_HIP, :2]) / 2
        torso = float(np.linalg.norm((px[P.LEFT_SHOULDER, :2] + px[P.RIGHT_SHOULDER, :2]) / 2 - hip))
        last = self._last_hip
        self._last_hip = (hip, torso, kin.t_s)
        if last is None or torso <= 0 or last[1] <= 0 or kin.t_s - last[2] > 0.5:
            return False
        moved = float(np.linalg.norm(hip - last[0])) / max(torso, last[1])
        return moved > JUMP_FRACTION or not (0.55 < torso / last[1] < 1.8)

    def _view_status(self, kin: Kinematics) -> str | None:
        if kin.view in self.ex.views or kin.view == "unknown":
            self._wrong_view_since = None
            return None
        if self._wrong_view_since is None:
            self._wrong_view_since = kin.t_s
        if kin.t_s - self._wrong_view_since < VIEW_GRACE_S:
            return None
        return _VIEW_CUES.get(self.ex.views[0], "Change the camera angle")

    def _state(self, t: float, kin: Kinematics, events: list[Event], status: str | None) -> TrackerState:
        cues = [self._cue_of(c) for c in self.ex.checks if self._checks[c.code].raised]
        sev = max((c.severity for c in self.ex.checks if self._checks[c.code].raised),
                  key=("info", "warning", "error").index, default="info")
        hold_s: float | None = None
        if self._hold is not None:
            hold_s = self._hold.counted_s
        elif self._rep is not None and self.ex.kind == "reps_hold":
            hold_s = self._rep.hold_s
        by = self.reps_by_side
        return TrackerState(
            t_s=t, phase="paused" if status else self._phase, side=self._active_side(),
            reps_left=by["left"], reps_right=by["right"], reps_total=len(self.reps), partial=len(self.partials),
            hold_s=hold_s, hold_target_s=self.ex.targets.hold_s, cues=tuple(cues), cue_severity=sev, status=status,
            view=kin.view, events=tuple(events), joint_status=self._joint_status(kin),
        )

    def _cue_of(self, check: Check) -> str:
        return check.cue

    def _joint_status(self, kin: Kinematics) -> dict[str, str]:
        """ok / bad per joint signal named by a currently evaluated check (for the overlay colours)."""
        out: dict[str, str] = {}
        side = self._active_side()
        if side is None:
            return out
        for c in self.ex.checks:
            if not _phase_matches(c, self._phase):
                continue
            st = self._checks[c.code]
            bad = st.raised
            close = st.failing_since is not None and not bad
            for cond in c.require:
                for name in cond.expr.names(side):
                    for n in _expand(name):
                        prev = out.get(n, "ok")
                        new = "bad" if bad else "close" if close else "ok"
                        out[n] = max(prev, new, key=("ok", "close", "bad").index)
        return out


def _phase_matches(check: Check, phase: str) -> bool:
    return check.when == "any" and phase not in ("setup", "paused") or check.when == phase


def _all_true(conds: tuple[Condition, ...], values: dict[str, float], side: str) -> bool | None:
    results = [c.evaluate(values, side) for c in conds]
    if any(r is False for r in results):
        return False
    if results and all(r is None for r in results):
        return None
    return True


def _mirror(values: dict[str, float], conds: tuple[Condition, ...], side: str) -> dict[str, float]:
    """`values` with the left/right readings of the signals `conds` name exchanged."""
    out = dict(values)
    for c in conds:
        for name in c.expr.names(side):
            for a, b in (("left_", "right_"), ("right_", "left_")):
                if name.startswith(a):
                    twin = b + name[len(a):]
                    out[name], out[twin] = values.get(twin, math.nan), values.get(name, math.nan)
    return out


def _names_side(cond: Condition) -> bool:
    """Whether a condition reads the working side itself ({side}), not only the other side or the trunk."""
    return any("{side}" in name for _, name in cond.expr.terms)


def _expand(name: str) -> list[str]:
    return [f"left_{name}", f"right_{name}"] if name in PER_SIDE_BASES else [name]


def _usable_values(kin: Kinematics) -> dict[str, float]:
    """Reliable signals only, plus the bilateral means (`knee` = mean of the reliable knees)."""
    values = {k: v for k, v in kin.angles.items() if kin.ok(k)}
    for base in PER_SIDE_BASES:
        both = [values[n] for n in (f"left_{base}", f"right_{base}") if n in values]
        if both:
            values[base] = float(sum(both) / len(both))
    return values


class _CircleCounter:
    """Counts loops of the working ankle by how far its direction of travel has turned.

    A closed loop turns the travel direction by 360 degrees wherever its centre is, so no centre has
    to be estimated (which would lose most of the first circle). Steps shorter than `min_step` (in leg
    lengths) carry no direction and are skipped, so pauses and jitter add nothing.
    """

    min_step = 0.01

    def __init__(self, spec: CircleSpec) -> None:
        self.spec = spec
        self.reset()

    def reset(self) -> None:
        self._side: str | None = None
        self._last: np.ndarray | None = None
        self._heading: float | None = None
        self._turn = 0.0
        self._path = 0.0
        self._start = 0.0
        self._scale = 0.0

    def add(self, t: float, side: str, px: np.ndarray) -> tuple[float, str] | None:
        hip_i, knee_i, ankle_i = ((P.LEFT_HIP, P.LEFT_KNEE, P.LEFT_ANKLE) if side == "left"
                                  else (P.RIGHT_HIP, P.RIGHT_KNEE, P.RIGHT_ANKLE))
        leg = float(np.linalg.norm(px[knee_i, :2] - px[hip_i, :2]) + np.linalg.norm(px[ankle_i, :2] - px[knee_i, :2]))
        if leg <= 0:
            return None
        if side != self._side:
            self.reset()
            self._side, self._start = side, t
        # Thresholds scale with the longest the leg has looked (its projection shrinks and grows with the
        # circle itself); positions stay in pixels, since the turning angle needs no scale.
        self._scale = max(self._scale, leg)
        pos = px[ankle_i, :2] - px[hip_i, :2]
        if self._last is None:
            self._last = pos
            return None
        step = pos - self._last
        length = float(np.linalg.norm(step)) / self._scale
        if length < self.min_step:
            return None
        self._last = pos
        heading = math.atan2(step[1], step[0])
        if self._heading is not None:
            self._turn += (heading - self._heading + math.pi) % (2 * math.pi) - math.pi
            self._path += length
        self._heading = heading
        # A full turn over a path too short for a loop of min_radius is jitter, not a circle.
        if abs(self._turn) >= 2 * math.pi and self._path >= 2 * math.pi * self.spec.min_radius:
            direction = "cw" if self._turn > 0 else "ccw"  # image y grows down: positive = clockwise
            self._turn -= math.copysign(2 * math.pi, self._turn)
            self._path = 0.0
            start, self._start = self._start, t
            return start, direction
        return None


class _BounceDetector:
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
