"""What an analysis produced, as a record: the JSON report, the per-rep CSV, a readable summary.

Sinks only read what the flow produced; nothing here computes an angle or counts anything.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from posecheck.engine import Tracker
from posecheck.exercises import Exercise
from posecheck.kinematics import SIGNALS, Kinematics
from posecheck.records import FaultEvent, HoldRecord, RepRecord, TrackerState
from posecheck.sources import VideoInfo, decode_shortfall

if TYPE_CHECKING:
    from posecheck.overlay import Hud


@dataclass
class AngleSeries:
    """Per-frame smoothed signals and tracker phase, for plots (a few floats a frame)."""

    t_s: list[float] = field(default_factory=list)
    values: dict[str, list[float]] = field(default_factory=lambda: {n: [] for n in SIGNALS})
    detected: list[bool] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    view: list[str] = field(default_factory=list)

    def add(self, kin: Kinematics, state: TrackerState) -> None:
        self.t_s.append(round(kin.t_s, 4))
        for n in SIGNALS:
            v = kin.value(n)
            self.values[n].append(round(v, 2) if math.isfinite(v) else math.nan)
        self.detected.append(kin.detected)
        self.phase.append(state.phase)
        self.view.append(kin.view)


@dataclass(frozen=True)
class Report:
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

    @property
    def reps_by_side(self) -> dict[str, int]:
        out = {"left": 0, "right": 0, "both": 0}
        for r in self.reps:
            out[r.side] += 1
        return out

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
            "duration_s": round(self.duration_s, 3),
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
        }

    def reps_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["n", "side", "start_s", "end_s", "duration_s", "rom_deg", "peak_deg", "hold_s", "full", "ok",
                    "faults"])
        rows = sorted([*self.reps, *self.partials], key=lambda r: r.start_s)
        for i, r in enumerate(rows, 1):
            w.writerow([i, r.side, r.start_s, r.end_s, round(r.duration_s, 3), r.rom_deg, r.peak_deg, r.hold_s,
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
                extra = f", hold {r.hold_s:.1f} s" if ex.kind == "reps_hold" else ""
                extra += f", {r.direction}" if r.direction else ""
                flt = f"  faults: {', '.join(r.faults)}" if r.faults else ""
                lines.append(f"    {i:2d}. {r.side:5s} {r.start_s:6.2f}-{r.end_s:6.2f} s  ROM {r.rom_deg:5.1f} deg"
                             f"{extra}{flt}")
        if self.holds:
            lines.append(f"  holds: {len(self.holds)}")
            for h in self.holds:
                lines.append(f"    {h.side:5s} {h.start_s:6.2f}-{h.end_s:6.2f} s  held {h.duration_s:.1f} s"
                             f"{'' if h.ok else '  (short or faulty)'}")
        if self.faults:
            lines.append(f"  faults: {len(self.faults)}")
            for f in self.faults[:20]:
                lines.append(f"    {f.t_s:6.2f} s  {f.code}: {f.message}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _rep_json(r: RepRecord) -> dict[str, Any]:
    out = {"side": r.side, "start_s": r.start_s, "end_s": r.end_s, "peak_s": r.peak_s,
           "duration_s": round(r.duration_s, 3), "rom_deg": r.rom_deg, "peak_deg": r.peak_deg, "hold_s": r.hold_s,
           "full": r.full, "ok": r.ok, "faults": list(r.faults), "peak_angles": r.peak_angles}
    if r.direction:
        out["direction"] = r.direction
    return out


def build_report(clip: str, exercise: Exercise, tracker: Tracker, series: AngleSeries, info: VideoInfo, frames: int,
                 with_pose: int, fps: float, last_t: float) -> Report:
    warnings = list(tracker.warnings)
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
            warnings.append(f"Camera view looks like '{main_view}'; {exercise.name} is checked from: "
                            f"{', '.join(exercise.views)}")
    duration = last_t + (1.0 / fps if fps else 0.0)
    return Report(clip, exercise, fps, duration, frames, with_pose, info.width, info.height, tuple(tracker.reps),
                  tuple(tracker.partials), tuple(tracker.holds), tuple(tracker.faults), tuple(warnings), series, views)


def hud_from_state(exercise: Exercise, state: TrackerState) -> Hud:
    from posecheck.overlay import Hud

    t = exercise.targets
    return Hud(
        exercise=exercise.name, reps_left=state.reps_left, reps_right=state.reps_right, reps_total=state.reps_total,
        per_side=exercise.per_side, partial=state.partial,
        target_reps=t.reps_per_side if exercise.per_side else t.reps_total,
        hold_s=state.hold_s, hold_target_s=t.hold_s if state.hold_s is not None else None, phase=state.phase,
        cue=state.cues[0] if state.cues else None, cue_severity=state.cue_severity, status=state.status,
        joint_status=state.joint_status,
    )
