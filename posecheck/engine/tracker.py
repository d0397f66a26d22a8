"""The tracker facade: per frame, decide whether the frame can be counted, hand it to the exercise kind's
strategy (reps, holds, circles), run the form checks, and publish the state.

Pure and frame-by-frame: it knows nothing of video, MediaPipe or Streamlit, so the live webcam and clip
analysis share it, and tests drive it with plain angle arrays. Every timer runs on the frames' own
timestamps (live frames get dropped).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from functools import partial
from typing import Literal

import numpy as np

from posecheck.engine.checks import FormChecks
from posecheck.engine.circles import CircleStrategy
from posecheck.engine.holds import HoldStrategy
from posecheck.engine.primitives import Debounce
from posecheck.engine.recorder import Recorder, Strategy
from posecheck.engine.reps import RepStrategy
from posecheck.engine.signals import Values, usable_values
from posecheck.exercises import Exercise
from posecheck.kinematics import Kinematics
from posecheck.records import Event, FaultEvent, HoldRecord, RepRecord, TrackerState

SideChoice = Literal["auto", "left", "right"]
STEP_INTO_VIEW = "Step into view: I need to see your whole body"
VIEW_GRACE_S = 1.0  # the wrong view (or posture) must persist this long before counting pauses
# The trunk's angle from upright: beyond the first no upright exercise is being done (a deep squat leans less),
# short of the second no lying one (a bridge or a knee hug keeps the trunk near flat; a roll-up is "any").
UPRIGHT_MAX_TRUNK_DEG = 65.0
LYING_MIN_TRUNK_DEG = 45.0
JUMP_FRACTION = 0.6  # hip moving more than this many torso lengths in one step = a cut or another person
TURN_MAX_PER_S = 1.5  # the view's width ratio changing faster than this (per s, over 0.2 s) is no body turning:
# a camera change (a cut or a crossfade to another angle); a person turning 90 deg in half a second is slower
FORESHORTENED_RATIO = 0.8  # wider than any front view: the torso is foreshortened (filmed from head or feet)
JUMP_WARNING = "The tracked person jumped (a cut or another person?); not counted"

_VIEW_CUES = {"side": "Turn sideways for this one", "front": "Face the camera for this one",
              "oblique": "Turn partly sideways (about 45 degrees) for this one"}


class Tracker:
    """Feed `update(kin)` once per frame, in time order; read reps/holds/faults at any time."""

    def __init__(self, exercise: Exercise, side: SideChoice = "auto", strict_depth: bool | None = None) -> None:
        self.ex = exercise
        if exercise.sides == "both":
            self.sides: tuple[str, ...] = ("both",)
        elif side in ("left", "right"):
            self.sides = (side,)
        else:
            self.sides = ("left", "right")
        self._rec = Recorder()
        self.checks = FormChecks(exercise.checks)
        self.strategy = _strategy(exercise, self.sides, self.checks, self._rec, strict_depth)
        self._rec.attach = self.strategy.attach_fault
        self._t: float | None = None
        self._last_hip: tuple[np.ndarray, float, float] | None = None  # position, torso length, t
        self._wrong_view = Debounce(VIEW_GRACE_S)
        self._wrong_posture = Debounce(VIEW_GRACE_S)
        self.frames_seen = 0  # frames with a person in view, and of those, in the wrong posture
        self.frames_wrong_posture = 0
        self._ratios: deque[tuple[float, float]] = deque()  # (t, width ratio) over the last 0.2 s
        self._raw_ratios: deque[float] = deque(maxlen=5)

    # --- what was recorded ----------------------------------------------------------------------

    @property
    def reps(self) -> list[RepRecord]:
        return self._rec.reps

    @property
    def partials(self) -> list[RepRecord]:
        return self._rec.partials

    @property
    def holds(self) -> list[HoldRecord]:
        return self._rec.holds

    @property
    def faults(self) -> list[FaultEvent]:
        return self._rec.faults

    @property
    def warnings(self) -> list[str]:
        return self._rec.warnings

    @property
    def reps_by_side(self) -> dict[str, int]:
        return self._rec.reps_by_side()

    def current_hold(self) -> tuple[str, float] | None:
        """(side, seconds counted) of a hold in progress, else None."""
        return self.strategy.current_hold()

    # --- per frame --------------------------------------------------------------------------------

    def update(self, kin: Kinematics) -> TrackerState:
        t = kin.t_s
        dt = 0.0 if self._t is None else max(0.0, t - self._t)
        self._t = t
        events: list[Event] = []
        if not kin.detected:
            self.strategy.pause(t, events)
            return self._state(t, kin, events, STEP_INTO_VIEW)
        if self._jumped(kin):
            self._abandon(t, events, JUMP_WARNING)
        status = self._view_status(kin)
        wrong_posture, posture_status = self._posture_status(kin)
        status = status or posture_status
        values = usable_values(kin)
        m = self.ex.motion
        if m is not None and self.ex.kind != "circles" and all(
                not math.isfinite(m.signal.evaluate(values, s)) for s in self.sides):
            self.strategy.pause(t, events, kin)
            return self._state(t, kin, events, STEP_INTO_VIEW)
        if status is not None or wrong_posture:  # never counted in the wrong posture; said after a second
            self.strategy.pause(t, events)
            return self._state(t, kin, events, status)
        check_values = self.strategy.update(t, dt, kin, values, events)
        self.checks.run(t, check_values, self.strategy.phase, self._active_side(),
                        partial(self._rec.fault, events=events))
        return self._state(t, kin, events, None, exchanged_readings(values, check_values))

    def finish(self) -> list[Event]:
        """Close what is open at the end of a clip/stream (a hold in progress is kept)."""
        events: list[Event] = []
        if self._t is not None:
            self.strategy.finish(self._t, events)
        return events

    # --- internals --------------------------------------------------------------------------------

    def _active_side(self) -> str | None:
        if self.sides == ("both",):
            return "both"
        return self.strategy.active_side()

    def _abandon(self, t: float, events: list[Event], message: str) -> None:
        self.strategy.abandon(t, events)
        self._rec.warnings.append(f"{t:.2f} s: {message}")
        events.append(Event("warning", t, None, message))

    def _jumped(self, kin: Kinematics) -> bool:
        """The body teleported (hip or size) or the view swung faster than a person turns: another shot."""
        body = kin.body
        if body is None:
            return False
        turned = self._view_swung(kin.t_s, body.width_ratio)
        hip, torso = body.hip_centre, body.torso_px
        last = self._last_hip
        self._last_hip = (hip, torso, kin.t_s)
        if last is None or torso <= 0 or last[1] <= 0 or kin.t_s - last[2] > 0.5:
            return turned
        dx, dy = (float(v) for v in hip - last[0])
        moved = math.sqrt(dx * dx + dy * dy) / max(torso, last[1])
        return turned or moved > JUMP_FRACTION or not (0.55 < torso / last[1] < 1.8)

    def _view_swung(self, t: float, ratio: float) -> bool:
        """The view (the width ratio, through a 5-frame median: MediaPipe flickers it for a frame) moved more in
        0.2 s than a person turns."""
        if not math.isfinite(ratio):
            return False
        raw = self._raw_ratios
        raw.append(ratio)
        ratio = float(statistics.median(raw))  # not numpy's: 5 floats, every frame, for every tracker
        if ratio > FORESHORTENED_RATIO:
            return False  # the torso points at the camera: its length (the ratio's scale) says nothing of the view
        ratios = self._ratios
        ratios.append((t, ratio))
        while ratios and t - ratios[0][0] > 0.2:
            ratios.popleft()
        span = max(r for _, r in ratios) - min(r for _, r in ratios)
        if span > TURN_MAX_PER_S * 0.2 and len(ratios) >= 3:
            ratios.clear()  # one cut, one warning
            return True
        return False

    def _posture_status(self, kin: Kinematics) -> tuple[bool, str | None]:
        """(this frame is in the wrong posture, what to tell the user): lying for an exercise done upright, or
        upright for one done lying. Such frames are never counted; the cue waits a second (a glimpse is noise)."""
        want = self.ex.posture
        self.frames_seen += 1
        if want == "any" or not kin.ok("trunk_incline"):
            self._wrong_posture.update(kin.t_s, False)
            return False, None
        trunk = kin.value("trunk_incline")
        wrong = trunk > UPRIGHT_MAX_TRUNK_DEG if want == "upright" else trunk < LYING_MIN_TRUNK_DEG
        self.frames_wrong_posture += wrong
        if not self._wrong_posture.update(kin.t_s, wrong):
            return wrong, None
        return wrong, (f"Lie on your back for this one: this doesn't look like {self.ex.name}" if want == "lying"
                       else f"Stand up for this one: this doesn't look like {self.ex.name}")

    def _view_status(self, kin: Kinematics) -> str | None:
        wrong = kin.view not in self.ex.views and kin.view != "unknown"
        if not self._wrong_view.update(kin.t_s, wrong):
            return None
        if self.ex.posture == "lying" and self.ex.views[0] == "side":
            return "Put the camera at your side, at floor height: I can't see this from here"
        return _VIEW_CUES.get(self.ex.views[0], "Change the camera angle")

    def _state(self, t: float, kin: Kinematics, events: list[Event], status: str | None,
               exchanged: frozenset[str] = frozenset()) -> TrackerState:
        if status is None and (other := self.strategy.wrong_side()) is not None:
            status = f"That's your {other} leg: this set is for the {self.sides[0]}"
        by = self.reps_by_side
        phase = self.strategy.phase
        return TrackerState(
            t_s=t, phase="paused" if status else phase, side=self._active_side(),
            reps_left=by["left"], reps_right=by["right"], reps_total=len(self.reps), partial=len(self.partials),
            hold_s=self.strategy.shown_hold_s(), hold_target_s=self.ex.targets.hold_s,
            cues=tuple(c.cue for c in self.checks.raised()), cue_severity=self.checks.severity(), status=status,
            view=kin.view, events=tuple(events), joint_status=self.checks.joint_status(phase, self._active_side()),
            exchanged=exchanged,
        )


def exchanged_readings(values: Values, check_values: Values) -> frozenset[str]:
    """The signals the rules read from the other leg (a strategy hands back its own values unless it did)."""
    if check_values is values:
        return frozenset()
    return frozenset(n for n, v in check_values.items() if n.startswith(("left_", "right_"))
                     and v != values.get(n) and not (math.isnan(v) and math.isnan(values.get(n, math.nan))))


def _strategy(exercise: Exercise, sides: tuple[str, ...], checks: FormChecks, rec: Recorder,
              strict_depth: bool | None) -> Strategy:
    if exercise.kind in ("reps", "reps_hold"):
        return RepStrategy(exercise, sides, checks, rec, strict_depth)
    if exercise.kind == "hold":
        return HoldStrategy(exercise, sides, checks, rec)
    return CircleStrategy(exercise, sides, checks, rec)
