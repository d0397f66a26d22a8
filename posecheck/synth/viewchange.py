"""A clip whose camera changes mid-way, as in instructional videos: N reps from the front, a short crossfade,
then N reps from the side.

    generate_view_change_clip("squat", "squat_views.mp4", front_reps=3, side_reps=3)

The front part is front.py's 3D figure, the side part scripts.py's 2D figure (their own cameras and rooms).
The side part starts `side_skip_s` into its script, so the person stands still through the crossfade and a
moment after it. Truth merges both: reps carry "view" ("front" / "side") and times on the clip's clock;
every frame has "view" (the part that dominates it) and, inside the crossfade, "crossfade" (the side
part's weight, 0..1); a "view_change" phase spans the crossfade.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posecheck.synth.clip import Boundary, Source, build_truth, write_clip
from posecheck.synth.front import FRONT_SCRIPTS, FrontSource
from posecheck.synth.generate import SideSource
from posecheck.synth.scripts import SCRIPTS


def _shifted(events: list[dict], dt: float, view: str) -> list[dict]:
    out = []
    for e in events:
        r = {**e, "view": view}
        for key in ("start_s", "end_s", "peak_s"):
            if key in r:
                r[key] = round(r[key] + dt, 3)
        out.append(r)
    return out


class ViewChangeSource:
    """Source `a` until its end, crossfading over `crossfade_s` into source `b` (from b's time `b_skip_s`).

    `b_zoom` / `b_shift` reframe b's camera (scaled about the frame's centre, then moved by a share of the
    width and height), as when the second shot is closer or wider; b's truth joints move with the picture.
    """

    def __init__(self, a: Source, b: Source, views: tuple[str, str], crossfade_s: float = 0.3,
                 b_skip_s: float = 0.6, b_zoom: float = 1.0, b_shift: tuple[float, float] = (0.0, 0.0),
                 size: tuple[int, int] = (640, 480)) -> None:
        if not 0.0 < crossfade_s < a.duration_s or not 0.0 <= b_skip_s < b.duration_s:
            raise ValueError("crossfade_s / b_skip_s out of range")
        self.a, self.b, self.views, self.xf, self.b_skip = a, b, views, crossfade_s, b_skip_s
        w, h = size
        self.size = size
        self.frame_b = np.array([[b_zoom, 0.0, (1 - b_zoom) * w / 2 + b_shift[0] * w],
                                 [0.0, b_zoom, (1 - b_zoom) * h / 2 + b_shift[1] * h]])
        self.reframed = b_zoom != 1.0 or b_shift != (0.0, 0.0)
        self.b_at = a.duration_s - crossfade_s  # clip time where b's frame b_skip_s appears
        self.duration_s = self.b_at + b.duration_s - b_skip_s
        dt = self.b_at - b_skip_s
        self.reps = _shifted(a.reps, 0.0, views[0]) + [r for r in _shifted(b.reps, dt, views[1])
                                                        if r["start_s"] >= self.b_at]
        self.holds = _shifted(a.holds, 0.0, views[0]) + [h for h in _shifted(b.holds, dt, views[1])
                                                          if h["start_s"] >= self.b_at]
        self.phases = (_shifted(a.phases, 0.0, views[0]) + _shifted(b.phases, dt, views[1])
                       + [{"name": "view_change", "side": "both", "start_s": round(self.b_at, 3),
                           "end_s": round(a.duration_s, 3)}])

    def _weight(self, t: float) -> float:
        """b's share of the frame: 0 before the crossfade, 1 after it (snapped there within float error)."""
        w = (t - self.b_at) / self.xf
        return 0.0 if w < 1e-6 else 1.0 if w > 1.0 - 1e-6 else float(w)

    def _tb(self, t: float) -> float:
        return self.b_skip + max(0.0, t - self.b_at)

    def _b_image(self, t: float) -> np.ndarray:
        img = self.b.image(self._tb(t))
        if not self.reframed:
            return img
        return cv2.warpAffine(img, self.frame_b, self.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def _b_record(self, t: float) -> dict[str, Any]:
        rec = self.b.record(self._tb(t))
        if self.reframed and "joints" in rec:
            m = self.frame_b
            rec["joints"] = {k: [round(float(v), 2) for v in m[:, :2] @ np.array(p) + m[:, 2]]
                             for k, p in rec["joints"].items()}
        return rec

    def image(self, t: float) -> np.ndarray:
        w = self._weight(t)
        if w <= 0.0:
            return self.a.image(t)
        if w >= 1.0:
            return self._b_image(t)
        mix = (1.0 - w) * self.a.image(min(t, self.a.duration_s)).astype(np.float32) + w * self._b_image(
            t).astype(np.float32)
        return np.clip(mix + 0.5, 0, 255).astype(np.uint8)

    def record(self, t: float) -> dict[str, Any]:
        w = self._weight(t)
        rec = self.a.record(min(t, self.a.duration_s)) if w < 0.5 else self._b_record(t)
        rec = {**rec, "view": self.views[0] if w < 0.5 else self.views[1]}
        if 0.0 < w < 1.0:
            rec["crossfade"] = round(w, 3)
        return rec


def _parts(exercise: str, front_reps: int, side_reps: int, facing: str, width: int, height: int, seed: int,
           front_params: dict[str, Any], side_params: dict[str, Any]) -> tuple[FrontSource, SideSource]:
    if exercise not in FRONT_SCRIPTS or exercise not in SCRIPTS:
        raise ValueError(f"no front and side scripts for {exercise!r}; have {sorted(FRONT_SCRIPTS)}")
    fp, sp = dict(front_params), dict(side_params)
    if exercise == "lunge":  # the side part carries on the alternation where the front part stopped
        first = fp.setdefault("first", "right")
        other = "left" if first == "right" else "right"
        sp.setdefault("leg", first if front_reps % 2 == 0 else other)
    front = FrontSource(FRONT_SCRIPTS[exercise](width=width, height=height, reps=front_reps, **fp), width, height,
                        seed)
    side = SideSource(SCRIPTS[exercise](width=width, height=height, reps=side_reps, **sp), facing, width, height,
                      seed + 1)
    return front, side


def _view_change(exercise: str, front_reps: int, side_reps: int, facing: str, crossfade_s: float,
                 side_skip_s: float, width: int, height: int, seed: int, front_params: dict[str, Any] | None,
                 side_params: dict[str, Any] | None, side_zoom: float = 1.0,
                 side_shift: tuple[float, float] = (0.0, 0.0)) -> tuple[ViewChangeSource, dict[str, Any]]:
    front, side = _parts(exercise, front_reps, side_reps, facing, width, height, seed, front_params or {},
                         side_params or {})
    src = ViewChangeSource(front, side, ("front", "side"), crossfade_s, side_skip_s, side_zoom,
                           (side_shift[0], side_shift[1]),
                           (width, height))
    params = {"front_reps": front_reps, "side_reps": side_reps, "crossfade_s": crossfade_s,
              "side_skip_s": side_skip_s, "front_params": front_params or {}, "side_params": side_params or {},
              "side_zoom": side_zoom, "side_shift": list(side_shift)}
    meta = {"script": f"view_change:{exercise}", "exercise": exercise, "params": params, "facing": facing,
            "near_side": side.near, "view": "front+side", "expected_faults": [], "out_of_view_s": None,
            "parts": [{"view": "front", "start_s": 0.0, "end_s": round(front.duration_s, 3)},
                      {"view": "side", "start_s": round(src.b_at, 3), "end_s": round(src.duration_s, 3)}]}
    return src, meta


def generate_view_change_clip(exercise: str, out_path: str | Path, front_reps: int = 3, side_reps: int = 3,
                              facing: str = "right", crossfade_s: float = 0.3, side_skip_s: float = 0.6,
                              fps: float = 30.0, width: int = 640, height: int = 480, seed: int = 0, crf: int = 28,
                              start_s: Boundary = None, end_s: Boundary = None,
                              front_params: dict[str, Any] | None = None,
                              side_params: dict[str, Any] | None = None, side_zoom: float = 1.0,
                              side_shift: tuple[float, float] = (0.0, 0.0)) -> Path:
    """Render front_reps reps from the front, a crossfade, side_reps reps from the side ("squat" or "lunge").

    `side_zoom` / `side_shift` reframe the side camera (see ViewChangeSource).
    """
    src, meta = _view_change(exercise, front_reps, side_reps, facing, crossfade_s, side_skip_s, width, height, seed,
                             front_params, side_params, side_zoom, side_shift)
    return write_clip(src, out_path, meta, fps, width, height, crf, start_s, end_s)


def view_change_truth(exercise: str, front_reps: int = 3, side_reps: int = 3, facing: str = "right",
                      crossfade_s: float = 0.3, side_skip_s: float = 0.6, fps: float = 30.0, width: int = 640,
                      height: int = 480, start_s: Boundary = None, end_s: Boundary = None,
                      front_params: dict[str, Any] | None = None,
                      side_params: dict[str, Any] | None = None, side_zoom: float = 1.0,
                      side_shift: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    """The truth generate_view_change_clip would write, without rendering (fast)."""
    src, meta = _view_change(exercise, front_reps, side_reps, facing, crossfade_s, side_skip_s, width, height, 0,
                             front_params, side_params, side_zoom, side_shift)
    return build_truth(src, meta, fps, width, height, start_s, end_s)
