"""Render a side-view motion script to an H.264 clip plus its ground truth (`.truth.json`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from posecheck.synth.angles import truth_angles
from posecheck.synth.clip import Boundary, build_truth, resolve_window, truth_path, write_clip
from posecheck.synth.drive import annotate_reps
from posecheck.synth.figure import Joints, background, render
from posecheck.synth.motion import Script
from posecheck.synth.scripts import SCRIPTS

__all__ = ["SAMPLES", "SideSource", "clip_truth", "generate_clip", "generate_samples", "settings_problem",
           "truth_angles", "truth_path"]

# What a rendered clip may be: a figure needs some pixels, and a frame is held in memory while it is drawn.
FPS_RANGE = (1.0, 240.0)
SIDE_RANGE = (64, 4096)


def settings_problem(fps: float, width: int, height: int) -> str | None:
    """Why these clip settings cannot be rendered, in words for the user; None when they can."""
    if not (math.isfinite(fps) and FPS_RANGE[0] <= fps <= FPS_RANGE[1]):
        return f"--fps must be a number from {FPS_RANGE[0]:g} to {FPS_RANGE[1]:g}, not {fps:g}"
    lo, hi = SIDE_RANGE
    if not (lo <= width <= hi and lo <= height <= hi):
        return f"--size must be from {lo}x{lo} to {hi}x{hi}, not {width}x{height}"
    return None

# The clips in samples/: (file stem, script, facing, params). Short, small, and covering both facings.
SAMPLES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("squat_side", "squat", "right", {"reps": 3}),
    ("lunge_alternating", "lunge", "left", {"reps": 2}),
    ("kneeling_hip_flexor_stretch", "kneeling_hip_flexor_stretch", "right", {"hold_s": 6.0}),
    ("glute_bridge", "glute_bridge", "left", {"reps": 2, "hold_s": 5.0}),  # the default sample: good form
    ("single_leg_raise", "single_leg_raise", "right", {"reps": 2, "hold_s": 5.0}),
    ("single_leg_raise_bent_knee", "single_leg_raise", "left", {"reps": 1, "hold_s": 5.0, "bent_knee_deg": 35.0}),
]

JOINT_NAMES = ("shoulder", "hip", "knee", "ankle")


class SideSource:
    """A side-view script as a clip source (see clip.Source); `facing="left"` mirrors the image."""

    def __init__(self, sc: Script, facing: str, width: int, height: int, seed: int = 0,
                 out_of_view_s: tuple[float, float] | None = None) -> None:
        if facing not in ("left", "right"):
            raise ValueError("facing must be 'left' or 'right'")
        self.sc, self.width, self.height, self.seed, self.out_of_view_s = sc, width, height, seed, out_of_view_s
        self.mirror = facing == "left"
        self.near, self.far = ("left", "right") if self.mirror else ("right", "left")
        self._bg: np.ndarray | None = None
        self.duration_s, self.reps, self.holds, self.phases = sc.duration_s, sc.reps, sc.holds, sc.phases
        annotate_reps(self.reps, sc.name, lambda t: truth_angles(sc.pose_at(t)))

    def _joints(self, t: float) -> tuple[Joints | None, bool]:
        hidden = self.out_of_view_s is not None and self.out_of_view_s[0] <= t < self.out_of_view_s[1]
        j = self.sc.pose_at(t)
        if j is not None and self.mirror:
            j = j.mirrored(self.width)
        return j, hidden

    def image(self, t: float) -> np.ndarray:
        if self._bg is None:
            self._bg = background(self.width, self.height, self.seed, self.sc.floor_y)
        j, hidden = self._joints(t)
        return render(self._bg, None if hidden else j, self.sc.scale, self.near, self.far)

    def record(self, t: float) -> dict[str, Any]:
        j, hidden = self._joints(t)
        rec: dict[str, Any] = {"visible": not hidden and j is not None}
        if j is not None:
            rec.update(truth_angles(j))
            rec["joints"] = {f"{s}_{name}": [round(float(v), 2) for v in getattr(j, name)[s]]
                             for s in ("left", "right") for name in JOINT_NAMES}
        return rec


def _side(script: str, facing: str, width: int, height: int, seed: int,
          out_of_view_s: tuple[float, float] | None, start_s: Boundary, end_s: Boundary,
          params: dict[str, Any]) -> tuple[SideSource, dict[str, Any]]:
    if script not in SCRIPTS:
        raise ValueError(f"unknown motion script {script!r}")
    sc = SCRIPTS[script](width=width, height=height, **params)
    src = SideSource(sc, facing, width, height, seed, out_of_view_s)
    t0, _ = resolve_window(sc.duration_s, sc.reps, start_s, end_s)
    meta = {"script": script, "exercise": sc.name, "params": params, "facing": facing, "near_side": src.near,
            "view": "side", "expected_faults": sc.expected_faults,
            "out_of_view_s": [round(v - t0, 4) for v in out_of_view_s] if out_of_view_s else None}
    return src, meta


def generate_clip(script: str, out_path: str | Path, facing: str = "right", fps: float = 30.0, width: int = 640,
                  height: int = 480, seed: int = 0, out_of_view_s: tuple[float, float] | None = None,
                  crf: int = 28, start_s: Boundary = None, end_s: Boundary = None, **params: Any) -> Path:
    """Render `script` (a name in SCRIPTS) to out_path (.mp4) and write out_path's .truth.json.

    `start_s` / `end_s` (seconds in the script's time, or a clip.RepCut) trim the clip: see clip.write_clip.
    `out_of_view_s` is in the script's time too; the truth reports it in the clip's.
    """
    if (problem := settings_problem(fps, width, height)) is not None:
        raise ValueError(problem)
    src, meta = _side(script, facing, width, height, seed, out_of_view_s, start_s, end_s, params)
    return write_clip(src, out_path, meta, fps, width, height, crf, start_s, end_s)


def clip_truth(script: str, facing: str = "right", fps: float = 30.0, width: int = 640, height: int = 480,
               out_of_view_s: tuple[float, float] | None = None, start_s: Boundary = None, end_s: Boundary = None,
               **params: Any) -> dict[str, Any]:
    """The truth generate_clip would write for the same arguments, without rendering the video (fast)."""
    src, meta = _side(script, facing, width, height, 0, out_of_view_s, start_s, end_s, params)
    return build_truth(src, meta, fps, width, height, start_s, end_s)


def generate_samples(out_dir: str | Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [generate_clip(script, out_dir / f"{stem}.mp4", facing=facing, **params)
            for stem, script, facing, params in SAMPLES]
