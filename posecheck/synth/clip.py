"""Writing a rendered motion to an H.264 clip plus its truth, optionally trimmed to a time window.

Every renderer (side view, front view, any 3D camera, a view change) is a `Source`: a duration, truth
reps/holds/phases in its own time, `image(t)` (RGB) and `record(t)` (that frame's truth). `write_clip`
renders the frames from `start_s` to `end_s` only, shifts every truth time so the clip starts at 0, and marks
each rep/hold/phase with `cut_start` / `cut_end` (the clip begins after it started / ends before it ended),
`seen_s` (its seconds inside the clip) and, for reps, `peak_in_clip`. Events wholly outside are dropped.

A boundary is seconds in the source's time or a `RepCut`, a point inside a rep, e.g.
    write_clip(..., start_s=FIRST_REP_GOING_OUT, end_s=LAST_REP_COMING_BACK)
begins half-way into the first rep's way down (out) and ends half-way through the last rep's return.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from posecheck.video_out import H264Writer


@dataclass(frozen=True)
class RepCut:
    """A time inside rep number `rep` (negative counts from the last): `frac` of the way through `phase`.

    "out": leaving rest until the turning point is reached (the squat's way down, the bridge's way up);
    "top": held at the turning point; "back": from leaving the turning point until rest again.
    """

    rep: int = 0
    phase: Literal["out", "top", "back"] = "out"
    frac: float = 0.5

    def time(self, reps: list[dict]) -> float:
        if not reps:
            raise ValueError("a RepCut needs a script with reps")
        r = reps[self.rep]
        if "peak_s" not in r:
            raise ValueError("a RepCut needs reps with a peak time (not circles)")
        if not 0.0 <= self.frac <= 1.0:
            raise ValueError("RepCut.frac must be in [0, 1]")
        arrive = r["peak_s"] - r.get("hold_s", 0.0)  # the turning point is reached, then held until peak_s
        a, b = {"out": (r["start_s"], arrive), "top": (arrive, r["peak_s"]), "back": (r["peak_s"], r["end_s"])}[
            self.phase]
        return a + (b - a) * self.frac


FIRST_REP_GOING_OUT = RepCut(0, "out", 0.5)  # a clip that starts on the way down of the first rep
LAST_REP_COMING_BACK = RepCut(-1, "back", 0.5)  # a clip that stops after the last turning point, on the way back

Boundary = float | RepCut | None


class Source(Protocol):
    duration_s: float
    reps: list[dict]
    holds: list[dict]
    phases: list[dict]

    def image(self, t: float) -> np.ndarray: ...  # RGB frame at source time t

    def record(self, t: float) -> dict[str, Any]: ...  # its truth: visible, angles, joints


def resolve_window(duration_s: float, reps: list[dict], start_s: Boundary, end_s: Boundary) -> tuple[float, float]:
    """(t0, t1) in the source's time; the default is the whole source."""
    t0 = 0.0 if start_s is None else (start_s.time(reps) if isinstance(start_s, RepCut) else float(start_s))
    t1 = duration_s if end_s is None else (end_s.time(reps) if isinstance(end_s, RepCut) else float(end_s))
    if not 0.0 <= t0 < t1 <= duration_s + 1e-9:
        raise ValueError(f"clip window [{t0:g}, {t1:g}] s is not inside the motion's [0, {duration_s:g}] s")
    return t0, min(t1, duration_s)


def shift_events(events: list[dict], t0: float, t1: float) -> list[dict]:
    """Events seen in [t0, t1], their times relative to t0, with cut_start / cut_end / seen_s (+ peak_in_clip)."""
    out = []
    for e in events:
        if e["end_s"] <= t0 or e["start_s"] >= t1:
            continue
        r = dict(e)
        for key in ("start_s", "end_s", "peak_s"):
            if key in r:
                r[key] = round(r[key] - t0, 3)
        r["cut_start"] = e["start_s"] < t0 - 1e-9
        r["cut_end"] = e["end_s"] > t1 + 1e-9
        r["seen_s"] = round(min(e["end_s"], t1) - max(e["start_s"], t0), 3)
        if "peak_s" in e:
            r["peak_in_clip"] = bool(t0 <= e["peak_s"] <= t1)
        out.append(r)
    return out


def frame_times(duration_s: float, reps: list[dict], fps: float, start_s: Boundary = None,
                end_s: Boundary = None) -> tuple[float, float, list[float]]:
    """(t0, t1, source times of the frames): one frame every 1/fps from t0 up to t1 inclusive."""
    t0, t1 = resolve_window(duration_s, reps, start_s, end_s)
    n = int(math.floor((t1 - t0) * fps)) + 1
    return t0, t1, [t0 + i / fps for i in range(n)]


def build_truth(source: Source, meta: dict[str, Any], fps: float, width: int, height: int,
                start_s: Boundary = None, end_s: Boundary = None) -> dict[str, Any]:
    """The truth of a clip of source from start_s to end_s (no rendering: cheap)."""
    t0, t1, times = frame_times(source.duration_s, source.reps, fps, start_s, end_s)
    frames = [{"t_s": round(i / fps, 4), **source.record(t)} for i, t in enumerate(times)]
    clip: dict[str, Any] = {"start_s": round(t0, 4), "end_s": round(t1, 4),
                            "source_duration_s": round(source.duration_s, 4)}
    for key, b in (("start_cut", start_s), ("end_cut", end_s)):
        if isinstance(b, RepCut):
            clip[key] = asdict(b)
    return {**meta, "fps": fps, "width": width, "height": height, "duration_s": round(len(times) / fps, 4),
            "frames": frames, "reps": shift_events(source.reps, t0, t1),
            "holds": shift_events(source.holds, t0, t1), "phases": shift_events(source.phases, t0, t1),
            "clip": clip}


def write_clip(source: Source, out_path: str | Path, meta: dict[str, Any], fps: float, width: int, height: int,
               crf: int = 28, start_s: Boundary = None, end_s: Boundary = None) -> Path:
    """Render source's frames in [start_s, end_s] to out_path (.mp4) and write the truth beside it."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    truth = build_truth(source, meta, fps, width, height, start_s, end_s)
    _, _, times = frame_times(source.duration_s, source.reps, fps, start_s, end_s)
    with H264Writer(out_path, fps, width, height, crf=crf) as writer:
        for i, t in enumerate(times):
            writer.write(source.image(t), t_s=i / fps, rgb=True)
    truth_path(out_path).write_text(json.dumps(truth))
    return out_path


def truth_path(clip: str | Path) -> Path:
    clip = Path(clip)
    return clip.with_name(clip.stem + ".truth.json")
