"""Render a motion script to an H.264 clip plus its ground truth (`.truth.json`)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from posecheck.synth.figure import Joints, background, render
from posecheck.synth.scripts import SCRIPTS
from posecheck.video_out import H264Writer

# The clips in samples/: (file stem, script, facing, params). Short, small, and covering both facings.
SAMPLES: list[tuple[str, str, str, dict[str, Any]]] = [
    ("squat_side", "squat", "right", {"reps": 3}),
    ("lunge_alternating", "lunge", "left", {"reps": 2}),
    ("kneeling_hip_flexor_stretch", "kneeling_hip_flexor_stretch", "right", {"hold_s": 6.0}),
    ("glute_bridge", "glute_bridge", "left", {"reps": 2, "hold_s": 3.0}),
    ("single_leg_raise", "single_leg_raise", "right", {"reps": 2, "hold_s": 5.0}),
    ("single_leg_raise_bent_knee", "single_leg_raise", "left", {"reps": 1, "hold_s": 5.0, "bent_knee_deg": 35.0}),
]


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


def truth_angles(j: Joints) -> dict[str, float]:
    """The kinematics definitions, computed independently from the exact joint pixels."""

    def interior(a: np.ndarray, v: np.ndarray, c: np.ndarray) -> float:
        u, w = a - v, c - v
        cos = float(np.dot(u, w) / (np.linalg.norm(u) * np.linalg.norm(w)))
        return math.degrees(math.acos(max(-1.0, min(1.0, cos))))

    def elevation(v: np.ndarray) -> float:
        return math.degrees(math.atan2(-v[1], abs(v[0])))

    out = {}
    for s in ("left", "right"):
        out[f"{s}_hip"] = interior(j.shoulder[s], j.hip[s], j.knee[s])
        out[f"{s}_knee"] = interior(j.hip[s], j.knee[s], j.ankle[s])
        out[f"{s}_thigh_incline"] = elevation(j.knee[s] - j.hip[s])
    trunk = (j.shoulder["left"] + j.shoulder["right"]) / 2 - (j.hip["left"] + j.hip["right"]) / 2
    out["trunk_incline"] = math.degrees(math.atan2(abs(trunk[0]), -trunk[1]))
    return {k: round(v, 3) for k, v in out.items()}


def generate_clip(script: str, out_path: str | Path, facing: str = "right", fps: float = 30.0, width: int = 640,
                  height: int = 480, seed: int = 0, out_of_view_s: tuple[float, float] | None = None,
                  crf: int = 28, **params: Any) -> Path:
    """Render `script` (a name in SCRIPTS) to out_path (.mp4) and write out_path's .truth.json."""
    if script not in SCRIPTS:
        raise ValueError(f"unknown motion script {script!r}")
    if facing not in ("left", "right"):
        raise ValueError("facing must be 'left' or 'right'")
    if (problem := settings_problem(fps, width, height)) is not None:
        raise ValueError(problem)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    sc = SCRIPTS[script](width=width, height=height, **params)
    mirror = facing == "left"
    near, far = ("left", "right") if mirror else ("right", "left")
    bg = background(width, height, seed, sc.floor_y)
    n = int(math.floor(sc.duration_s * fps)) + 1
    frames = []
    with H264Writer(out_path, fps, width, height, crf=crf) as writer:
        for i in range(n):
            t = i / fps
            hidden = out_of_view_s is not None and out_of_view_s[0] <= t < out_of_view_s[1]
            j = sc.pose_at(t)
            if j is not None and mirror:
                j = j.mirrored(width)
            writer.write(render(bg, None if hidden else j, sc.scale, near, far), t_s=t, rgb=True)
            rec: dict[str, Any] = {"t_s": round(t, 4), "visible": not hidden and j is not None}
            if j is not None:
                rec.update(truth_angles(j))
                rec["joints"] = {f"{s}_{name}": [round(float(v), 2) for v in getattr(j, name)[s]]
                                 for s in ("left", "right") for name in ("shoulder", "hip", "knee", "ankle")}
            frames.append(rec)
    truth = {
        "script": script, "exercise": sc.name, "params": params, "facing": facing, "near_side": near, "fps": fps,
        "width": width, "height": height, "duration_s": round(n / fps, 4), "frames": frames, "reps": sc.reps,
        "holds": sc.holds, "expected_faults": sc.expected_faults,
        "out_of_view_s": list(out_of_view_s) if out_of_view_s else None,
    }
    truth_path(out_path).write_text(json.dumps(truth))
    return out_path


def truth_path(clip: str | Path) -> Path:
    clip = Path(clip)
    return clip.with_name(clip.stem + ".truth.json")


def generate_samples(out_dir: str | Path) -> list[Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [generate_clip(script, out_dir / f"{stem}.mp4", facing=facing, **params)
            for stem, script, facing, params in SAMPLES]
