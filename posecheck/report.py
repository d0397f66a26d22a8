"""What an analysis produced, as a record: the JSON report, the per-rep CSV, a readable summary.

Sinks only read what the flow produced; nothing here computes an angle or counts anything.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from posecheck.engine import Tracker
from posecheck.exercises import Exercise
from posecheck.kinematics import SIGNALS, Kinematics, twin
from posecheck.records import (
    FaultEvent,
    HoldRecord,
    RepRecord,
    SetResult,
    TrackerState,
    exercise_targets,
    round_s,
    rounded_records,
)
from posecheck.sources import VideoInfo, decode_shortfall

if TYPE_CHECKING:
    from posecheck.overlay import Hud
    from posecheck.recognize import Recognition


@dataclass
class AngleSeries:
    """Per-frame smoothed signals and tracker phase, for plots (a few floats a frame)."""

    t_s: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=lambda: {n: [] for n in SIGNALS})
    detected: list[bool] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    view: list[str] = field(default_factory=list)

    def add(self, kin: Kinematics, state: TrackerState) -> None:
        """One frame; a reading the rules took from the other leg (`state.exchanged`) is plotted as they read it,
        as the video's joint labels write it."""
        self.t_s.append(round(kin.t_s, 4))
        for n in SIGNALS:
            v = kin.value(twin(n) if n in state.exchanged else n)
            self.values[n].append(round(v, 2) if math.isfinite(v) else math.nan)
        self.detected.append(kin.detected)
        self.phase.append(state.phase)
        self.view.append(kin.view)


@dataclass(frozen=True)
class Report:
    """A clip's analysis. Its reps, holds and faults are already as shown (times at 0.01 s, see records.py);
    `set_result()` is the same clip as one set, the record history and the pages read."""

    clip: str
    exercise: Exercise
    fps: float
    duration_s: float
    frames: int
    frames_with_pose: int
    width: int
    height: int
    reps: tuple[RepRecord, ...]
    partials: tuple[RepRecord, ...]
    holds: tuple[HoldRecord, ...]
    faults: tuple[FaultEvent, ...]
    warnings: tuple[str, ...]
    series: AngleSeries
    views_seen: dict[str, int]
    recognition: Recognition | None = None  # which exercise the clip looks like (None: not checked)

    def set_result(self, ended_at: datetime | None = None) -> SetResult:
        """The clip as one set (its times anchored so it ends at `ended_at`, e.g. when it is saved)."""
        ex = self.exercise
        started_at = ended_at - timedelta(seconds=self.duration_s) if ended_at is not None else None
        return SetResult(ex.id, ex.name, ex.kind, ex.per_side, "both", started_at, ended_at, round_s(self.duration_s),
                         self.reps, self.partials, self.holds, self.faults, "finished", exercise_targets(ex))

    @property
    def reps_by_side(self) -> dict[str, int]:
        return self.set_result().reps_by_side

    @property
    def detection_rate(self) -> float:
        return self.frames_with_pose / self.frames if self.frames else 0.0

    def to_json(self) -> dict[str, Any]:
        by = self.reps_by_side
        return {
            "clip": self.clip,
            "exercise": self.exercise.id,
            "exercise_name": self.exercise.name,
            "fps": round(self.fps, 3),
            "duration_s": round_s(self.duration_s),
            "frames": self.frames,
            "frames_with_pose": self.frames_with_pose,
            "reps": {"total": len(self.reps), "left": by["left"], "right": by["right"], "partial": len(self.partials)},
            "rep_list": [_rep_json(r) for r in self.reps],
            "partial_list": [_rep_json(r) for r in self.partials],
            "holds": [{"side": h.side, "start_s": h.start_s, "end_s": h.end_s, "duration_s": h.duration_s,
                       "ok": h.ok, "faults": list(h.faults)} for h in self.holds],
            "faults": [{"t_s": f.t_s, "code": f.code, "message": f.message, "severity": f.severity,
                        "side": f.side} for f in self.faults],
            "warnings": list(self.warnings),
            "views": self.views_seen,
            **({"looks_like": _looks_like(self.recognition)} if self.recognition is not None else {}),
        }

    def reps_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["n", "side", "start_s", "end_s", "duration_s", "rom_deg", "peak_deg", "hold_s", "full", "ok",
                    "faults"])
        rows = sorted([*self.reps, *self.partials], key=lambda r: r.start_s)
        for i, r in enumerate(rows, 1):
            w.writerow([i, r.side, r.start_s, r.end_s, r.duration_s, r.rom_deg, r.peak_deg, r.hold_s,
                        int(r.full), int(r.ok), ";".join(r.faults)])
        return buf.getvalue()

    def summary_text(self) -> str:
        by = self.reps_by_side
        ex = self.exercise
        lines = [f"{ex.name} — {self.clip}",
                 f"  {self.frames} frames, {self.duration_s:.1f} s, person found in {100 * self.detection_rate:.0f}%"]
        if ex.kind != "hold":
            sides = f" (left {by['left']}, right {by['right']})" if ex.per_side else ""
            lines.append(f"  reps: {len(self.reps)}{sides}, partial: {len(self.partials)}")
            for i, r in enumerate(self.reps, 1):
                extra = f", hold {r.hold_s:.2f} s" if ex.kind == "reps_hold" else ""
                extra += f", {r.direction}" if r.direction else ""
                extra += {"start": " (began before the clip)", "end": " (the clip ended during it)",
                          "cut": " (at a camera change)"}.get(r.cut, "")
                flt = f"  faults: {', '.join(r.faults)}" if r.faults else ""
                lines.append(f"    {i:2d}. {r.side:5s} {r.start_s:6.2f}-{r.end_s:6.2f} s  ROM {r.rom_deg:5.1f} deg"
                             f"{extra}{flt}")
        if self.holds:
            lines.append(f"  holds: {len(self.holds)}")
            for h in self.holds:
                lines.append(f"    {h.side:5s} {h.start_s:6.2f}-{h.end_s:6.2f} s  held {h.duration_s:.2f} s"
                             f"{'' if h.ok else '  (short or faulty)'}")
        if self.faults:
            lines.append(f"  faults: {len(self.faults)}")
            for f in self.faults[:20]:
                lines.append(f"    {f.t_s:6.2f} s  {f.code}: {f.message}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _looks_like(rec: Recognition) -> dict[str, Any]:
    return {"id": rec.id, "confidence": round(rec.confidence, 3), "reason": rec.reason, "runner_up": rec.runner_up}


def fault_words(exercise: Exercise, faults: Sequence[FaultEvent] = ()) -> dict[str, str]:
    """Fault code -> what it means in words (the cue a person was given): for tables that list codes."""
    words = {c.code: c.cue for c in exercise.checks}
    words |= {v.id: v.cue for v in exercise.variants if v.cue}
    if exercise.motion is not None:
        words["shallow"] = exercise.motion.partial_cue
    if exercise.targets.hold_s:
        words["hold_short"] = f"Hold {exercise.targets.hold_s:g} s at the top"
    words["bouncing"] = "Ease into the stretch: never bounce"
    words |= {f.code: f.message for f in faults}  # what was actually said, where it was
    return words


def _rep_json(r: RepRecord) -> dict[str, Any]:
    out = {"side": r.side, "start_s": r.start_s, "end_s": r.end_s, "peak_s": r.peak_s,
           "duration_s": r.duration_s, "rom_deg": r.rom_deg, "peak_deg": r.peak_deg, "hold_s": r.hold_s,
           "full": r.full, "ok": r.ok, "faults": list(r.faults), "peak_angles": r.peak_angles}
    if r.direction:
        out["direction"] = r.direction
    out["depth"] = r.depth  # of the textbook target (1 = reached); a counted rep short of 1 is flagged shallow
    if r.variant:
        out["variant"] = r.variant
    if r.cut:
        out["cut"] = r.cut  # "start" / "end": the clip began or ended during this rep; "cut": a camera change
    return out


def build_report(clip: str, exercise: Exercise, tracker: Tracker, series: AngleSeries, info: VideoInfo, frames: int,
                 with_pose: int, fps: float, last_t: float, extra_warnings: Sequence[str] = (),
                 recognition: Recognition | None = None) -> Report:
    warnings = [*tracker.warnings, *extra_warnings]
    if (short := decode_shortfall(frames, info)) is not None:
        warnings.insert(0, short[0].upper() + short[1:])
    if frames and with_pose == 0:
        warnings.append("No person was found in this clip")
    elif frames and with_pose / frames < 0.8:
        warnings.append(f"A person was found in only {100 * with_pose / frames:.0f}% of frames")
    views: dict[str, int] = {}
    for v, d in zip(series.view, series.detected, strict=True):
        if d:
            views[v] = views.get(v, 0) + 1
    if views:
        main_view = max(views, key=lambda k: views[k])
        if main_view not in exercise.views and main_view != "unknown":
            share = views[main_view] / max(1, sum(views.values()))
            warnings.insert(0, view_warning(exercise, main_view, share, counted=bool(tracker.reps or tracker.holds)))
    closest = closest_match(exercise, recognition)
    match = f" It looks most like {closest.name} ({closest.reason})." if closest is not None else ""
    if tracker.frames_seen and tracker.frames_wrong_posture > 0.5 * tracker.frames_seen:
        placed = "lying down" if exercise.posture == "upright" else "upright"
        done = "standing or kneeling" if exercise.posture == "upright" else "lying on your back"
        warnings.append(f"This doesn't look like {exercise.name}: for most of the clip you were {placed}, and "
                        f"{exercise.name} is done {done}.{match} Is it the right exercise?")
    elif closest is not None and recognition is not None and recognition.sure:
        warnings.append(f"This doesn't look like {exercise.name}.{match} Is it the right exercise?")
    duration = last_t + (1.0 / fps if fps else 0.0)
    reps, partials, holds, faults = rounded_records(tracker.reps, tracker.partials, tracker.holds, tracker.faults)
    return Report(clip, exercise, fps, duration, frames, with_pose, info.width, info.height, reps, partials, holds,
                  faults, tuple(warnings), series, views, recognition)


@dataclass(frozen=True)
class Match:
    id: str
    name: str
    reason: str


MISMATCH_RATIO = 0.5  # the chosen exercise fits less than half as well as the best one: say so


def closest_match(exercise: Exercise, recognition: Recognition | None) -> Match | None:
    """The exercise the clip looks most like when that is clearly not the chosen one, else None."""
    if recognition is None or recognition.id is None or recognition.id == exercise.id:
        return None
    best = recognition.candidates[0]
    if recognition.score_of(exercise.id) >= MISMATCH_RATIO * best.score:
        return None  # close enough: both read the motion about as well
    return Match(best.id, best.name, recognition.reason.split(": ")[0])


def view_warning(exercise: Exercise, view: str, share: float, counted: bool) -> str:
    """What to tell someone whose clip is mostly filmed from a view the exercise is not measured from: loudly,
    and never a silent zero."""
    seen = {"front": "from the front", "side": "from the side", "oblique": "at an angle (about 45 degrees)"}[view]
    if exercise.posture == "lying" and view == "front":
        seen = "end-on (from your feet or your head)"
    want = " or ".join({"side": "from the side", "front": "from the front", "oblique": "at about 45 degrees"}[v]
                       for v in exercise.views)
    result = ("only the parts filmed another way were counted" if counted else
              "so nothing could be counted")
    return (f"Filmed {seen} for {100 * share:.0f}% of the clip: {exercise.name} can't be measured from there, "
            f"{result}. Film it {want}" + (" with the camera at floor height." if exercise.posture == "lying"
                                           else "."))


def hud_from_state(exercise: Exercise, state: TrackerState) -> Hud:
    from posecheck.overlay import Hud

    t = exercise.targets
    return Hud(
        exercise=exercise.name, reps_left=state.reps_left, reps_right=state.reps_right, reps_total=state.reps_total,
        per_side=exercise.per_side, partial=state.partial,
        target_reps=t.reps_per_side if exercise.per_side else t.reps_total,
        hold_s=state.hold_s, hold_target_s=t.hold_s if state.hold_s is not None else None, phase=state.phase,
        cue=state.cues[0] if state.cues else None, cue_severity=state.cue_severity, status=state.status,
        joint_status=state.joint_status, exchanged=state.exchanged,
    )
