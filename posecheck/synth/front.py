"""A FRONT-view synthetic figure (the person faces the camera) driven by an exact 3D skeleton.

The motion is authored in 3D, in pixels at the depth of the pelvis: x right (the person's LEFT side is
on image right, as a mirror-free camera sees someone facing it), y down, z toward the camera. Joint
angles are taken from the 3D points, so the truth is what a perfect 3D estimator would report, while the
2D projection foreshortens the thighs and shins that swing toward the camera (the case this exists for).

Drawing follows figure.py's recipe (shaded tapered capsules, skin / shirt / trouser colours, the same
background, 2x supersampling) with a mild perspective projection; every body part is a drawing item
with a depth, painted far to near so nearer limbs overlap farther ones.

    generate_front_clip("squat", "front_squat.mp4", reps=3)

writes the clip and `front_squat.truth.json` (generate.py's format plus "view": "front").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posecheck.synth.angles import truth_angles_3d
from posecheck.synth.clip import Boundary, build_truth, write_clip
from posecheck.synth.drive import annotate_reps
from posecheck.synth.figure import HAIR, SHIRT, SHOE, SKIN, SS, TROUSERS, _darker, _lighter, _pt, background, capsule
from posecheck.synth.motion import Track

SETUP_S = 1.5
SIDES = ("left", "right")
CAMERA_DIST = 5.0  # camera distance in body heights: a mild perspective, like a phone 2-3 m away


@dataclass(frozen=True)
class Joints3D:
    """Exact 3D joints (pixels at pelvis depth; x right, y down, z toward the camera)."""

    head: np.ndarray
    neck: np.ndarray
    shoulder: dict[str, np.ndarray]
    elbow: dict[str, np.ndarray]
    wrist: dict[str, np.ndarray]
    hip: dict[str, np.ndarray]
    knee: dict[str, np.ndarray]
    ankle: dict[str, np.ndarray]
    toe: dict[str, np.ndarray]


@dataclass(frozen=True)
class FrontBody:
    """Segment lengths and widths for a person `height` pixels tall (lengths match motion.Body)."""

    height: float

    def __getattr__(self, name: str) -> float:
        frac = {"thigh": 0.245, "shin": 0.245, "trunk": 0.30, "neck": 0.055, "head_r": 0.066, "upper_arm": 0.17,
                "forearm": 0.16, "foot": 0.13, "hip_w": 0.085, "shoulder_w": 0.125, "ankle_w": 0.095}
        if name not in frac:
            raise AttributeError(name)
        return frac[name] * self.height


@dataclass
class FrontScript:
    name: str
    duration_s: float
    pose_at: Callable[[float], Joints3D]
    reps: list[dict]
    floor_y: float
    scale: float
    cx: float


# --- 3D geometry -----------------------------------------------------------------------------------


def _v(x: float, y: float, z: float) -> np.ndarray:
    return np.array([x, y, z], dtype=np.float64)


def _norm(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else v


def ik_knee_3d(hip: np.ndarray, ankle: np.ndarray, l1: float, l2: float, bend: np.ndarray) -> np.ndarray:
    """Two-link IK in 3D: the knee between hip and ankle, bent toward `bend` (projected off the hip-ankle line)."""
    d = ankle - hip
    dist = float(np.clip(np.linalg.norm(d), abs(l1 - l2) + 1e-3, l1 + l2 - 1e-3))
    u = _norm(d)
    perp = _norm(bend - np.dot(bend, u) * u)
    a = math.acos(float(np.clip((l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist), -1, 1)))
    return hip + l1 * (u * math.cos(a) + perp * math.sin(a))


def _sag(forward: float, up: float) -> np.ndarray:
    """A direction in the sagittal plane: `forward` toward the camera (+z), `up` (-y)."""
    return _v(0.0, -up, forward)


def _deg_dir(deg: float) -> np.ndarray:
    # deg CCW from "forward" in the sagittal plane, like motion.unit() with image-right = toward the camera
    r = math.radians(deg)
    return _sag(math.cos(r), math.sin(r))


def _assemble(b: FrontBody, pelvis: np.ndarray, lean_deg: float, ankles: dict[str, np.ndarray],
              knee_bend: dict[str, np.ndarray], toe_dir: dict[str, np.ndarray], arm_fwd_deg: float) -> Joints3D:
    """Joints from the pelvis centre, trunk lean toward the camera, feet and arm elevation (0 = hanging)."""
    # the person's left is on image right (+x) because they face the camera
    xs = {"left": 1.0, "right": -1.0}
    hips = {s: pelvis + _v(xs[s] * b.hip_w, 0, 0) for s in SIDES}
    up = _v(0.0, -math.cos(math.radians(lean_deg)), math.sin(math.radians(lean_deg)))  # lean tips it to the camera
    sh_c = pelvis + up * b.trunk
    shoulders = {s: sh_c + _v(xs[s] * b.shoulder_w, 0, 0) for s in SIDES}
    neck = sh_c + up * b.neck * 0.5
    head = sh_c + up * (b.neck + b.head_r)
    knees = {s: ik_knee_3d(hips[s], ankles[s], b.thigh, b.shin, knee_bend[s]) for s in SIDES}
    r = math.radians(arm_fwd_deg)
    elbows, wrists = {}, {}
    for s in SIDES:
        # arms hang slightly away from the body (MediaPipe needs to see the wrists beside the torso)
        upper = _norm(_v(xs[s] * (0.18 + 0.15 * math.sin(r)), math.cos(r), math.sin(r)))
        r2 = math.radians(min(90.0, arm_fwd_deg + 8))
        fore = _norm(_v(xs[s] * (0.10 + 0.1 * math.sin(r2)), math.cos(r2), math.sin(r2)))
        elbows[s] = shoulders[s] + upper * b.upper_arm
        wrists[s] = elbows[s] + fore * b.forearm
    toes = {s: ankles[s] + _norm(toe_dir[s]) * b.foot for s in SIDES}
    return Joints3D(head, neck, shoulders, elbows, wrists, hips, knees, dict(ankles), toes)


# --- motion scripts --------------------------------------------------------------------------------


def _frame(width: int, height: int) -> tuple[float, FrontBody, float]:
    floor_y = 0.93 * height
    return floor_y, FrontBody(0.8 * height), 0.5 * width


def front_squat(width: int = 640, height: int = 480, reps: int = 3, depth: float = 1.0, lean: float = 35.0,
                rest_s: float = 0.8) -> FrontScript:
    """Squat facing the camera: hips back and down, knees forward over the toes (thighs foreshorten)."""
    floor_y, b, cx = _frame(width, height)
    ankle_y = floor_y - 0.035 * b.height
    d = Track(0.0).hold(SETUP_S)
    truth: list[dict] = []
    for _ in range(reps):
        start = d.t
        d.to(depth, 1.1).hold(0.3)
        peak = d.t
        d.to(0.0, 1.1)
        truth.append({"side": "both", "start_s": round(start, 3), "end_s": round(d.t, 3), "peak_s": round(peak, 3),
                      "hold_s": 0.3, "full": True})
        d.hold(rest_s)
    d.hold(0.8)
    ankles = {s: _v(cx + (1 if s == "left" else -1) * b.ankle_w, ankle_y, 0.0) for s in SIDES}

    def pose(t: float) -> Joints3D:
        x = d.at(t)
        # same sagittal recipe as scripts._standing: shin tips 25 deg forward, thigh swings back to 165 deg
        knee_c = _v(0, ankle_y, 0) + _deg_dir(90 - 25 * x) * b.shin
        pelvis = knee_c + _deg_dir(90 + 75 * x) * b.thigh
        pelvis[0] = cx
        # knees track forward and a little out over the toes
        bend = {s: _v((1 if s == "left" else -1) * 0.25, 0, 1) for s in SIDES}
        toe = {s: _v((1 if s == "left" else -1) * 0.3, 0.1, 1) for s in SIDES}
        return _assemble(b, pelvis, lean * x, ankles, bend, toe, 80 * x)

    return FrontScript("squat", d.t, pose, truth, floor_y, b.height, cx)


def front_lunge(width: int = 640, height: int = 480, reps: int = 2, first: str = "right",
                alternate: bool = True) -> FrontScript:
    """Forward lunge toward the camera: step, lower both knees to ~90, push back; `first` steps first."""
    floor_y, b, cx = _frame(width, height)
    ankle_y = floor_y - 0.035 * b.height
    stride = 1.3 * b.thigh
    z0 = -0.5 * stride  # feet start half a stride back so the figure stays centred in depth
    step = Track(0.0).hold(SETUP_S)
    drop = Track(0.0).hold(SETUP_S)
    fronts: list[tuple[float, float, str]] = []
    truth: list[dict] = []
    side = first
    for _ in range(reps):  # same timing as scripts.lunge
        start = step.t
        step.to(1.0, 0.7).hold(2.3).to(0.0, 0.7).hold(0.8)
        drop.hold(0.7).to(1.0, 1.0).hold(0.3).to(0.0, 1.0).hold(1.5)
        truth.append({"side": side, "start_s": round(start, 3), "end_s": round(start + 3.7, 3),
                      "peak_s": round(start + 1.7, 3), "hold_s": 0.3, "full": True})
        fronts.append((start, start + 4.5, side))
        if alternate:
            side = "left" if side == "right" else "right"
    step.hold(0.6)
    leg = b.thigh + b.shin  # straight standing legs: a 5-16 deg bend read as a half squat in 3D (measured)

    def pose(t: float) -> Joints3D:
        s, dd = step.at(t), drop.at(t)
        front = next((f for t0, t1, f in fronts if t0 <= t < t1), first)
        back = "left" if front == "right" else "right"
        xs = {"left": b.ankle_w * 0.9, "right": -b.ankle_w * 0.9}
        lift = 0.06 * b.height * math.sin(math.pi * min(s, 1.0)) * (dd < 0.05)  # the foot clears the floor
        ankles = {back: _v(cx + xs[back], ankle_y, z0), front: _v(cx + xs[front], ankle_y - lift, z0 + stride * s)}
        bottom = _v(cx, ankle_y - 0.98 * b.shin, z0 + stride - 0.97 * b.thigh)
        half = 0.5 * stride * s  # the pelvis sinks as the feet part, so the legs stay straight while stepping
        top = _v(cx, ankle_y - math.sqrt(leg * leg - half * half), z0 + half)
        pelvis = top + (bottom - top) * dd if s > 0.99 else top
        bend = {k: _v(0.0, 0, 1) for k in SIDES}
        rise = math.radians(35.0 * dd)  # the back heel rises onto the toes
        out = {k: (1 if k == "left" else -1) * 0.3 for k in SIDES}  # toes turned out a little, as in the squat
        toe = {front: _v(out[front], 0.1, 1), back: _v(out[back], math.sin(rise), math.cos(rise))}
        return _assemble(b, pelvis, 0.0, ankles, bend, toe, 0.0)

    return FrontScript("lunge", step.t, pose, truth, floor_y, b.height, cx)


FRONT_SCRIPTS: dict[str, Callable[..., FrontScript]] = {"squat": front_squat, "lunge": front_lunge}


# --- drawing ---------------------------------------------------------------------------------------


class _Camera:
    """Mild perspective: scale D / (D - z) about the image point (cx, cy) at the pelvis depth."""

    def __init__(self, cx: float, cy: float, dist: float) -> None:
        self.cx, self.cy, self.dist = cx, cy, dist

    def s(self, p: np.ndarray) -> float:
        return self.dist / (self.dist - p[2])

    def __call__(self, p: np.ndarray) -> np.ndarray:
        k = self.s(p)
        return np.array([self.cx + (p[0] - self.cx) * k, self.cy + (p[1] - self.cy) * k])


def _poly(img: np.ndarray, pts: list[np.ndarray], col: tuple[int, int, int]) -> None:
    cv2.fillPoly(img, [np.array([_pt(p) for p in pts], np.int32)], col, cv2.LINE_AA)


def _torso(img: np.ndarray, j: Joints3D, cam: _Camera, s: float) -> None:
    """Shirt trapezoid shoulders -> waist, trousers over the pelvis, with a lighter inner panel for shading."""
    ls, rs = cam(j.shoulder["left"]), cam(j.shoulder["right"])
    lh, rh = cam(j.hip["left"]), cam(j.hip["right"])
    ctr = (ls + rs + lh + rh) / 4
    sh_out = 0.035 * s
    waist_l, waist_r = lh + (ls - lh) * 0.22, rh + (rs - rh) * 0.22
    for grow, light in ((1.0, 0.0), (0.7, 0.10), (0.4, 0.2)):
        def g(p: np.ndarray) -> np.ndarray:
            return ctr + (p - ctr) * grow  # noqa: B023

        right = np.array([-1.0, 0.0]) * sh_out
        _poly(img, [g(ls - right), g(rs + right), g(waist_r + (-0.03 * s, 0)), g(waist_l + (0.03 * s, 0))],
              _lighter(SHIRT, light))
    # rounded shoulders (measured: without them MediaPipe's 3D hip/thigh errors grew)
    for p in (ls, rs):
        cv2.circle(img, _pt(p), int(0.04 * s * SS), SHIRT, -1, cv2.LINE_AA)
    # pelvis: trousers from the waist to just below the hip joints
    down = _norm(np.append((lh + rh) / 2 - (ls + rs) / 2, 0))[:2] * 0.04 * s
    _poly(img, [waist_l + (0.035 * s, 0), waist_r - (0.035 * s, 0), rh + down - (0.05 * s, 0),
                lh + down + (0.05 * s, 0)], TROUSERS)
    capsule(img, (waist_l + waist_r) / 2 + (0, 0.01 * s), (lh + rh) / 2, 0.02 * s, 0.02 * s, _darker(TROUSERS, 0.9),
            shade=False)


def _head(img: np.ndarray, c: np.ndarray, r: float) -> None:
    """Front face: hair behind, ears both sides, skin oval, two eyes with brows, nose, mouth, fringe."""
    cv2.ellipse(img, _pt(c + (0, -0.12 * r)), (int(r * 1.02 * SS), int(r * 1.02 * SS)), 0, 0, 360, HAIR, -1,
                cv2.LINE_AA)
    for sx in (-1, 1):
        cv2.ellipse(img, _pt(c + (sx * 0.86 * r, 0.05 * r)), (int(r * 0.18 * SS), int(r * 0.28 * SS)), 0, 0, 360,
                    _darker(SKIN, 0.88), -1, cv2.LINE_AA)
    cv2.ellipse(img, _pt(c + (0, 0.06 * r)), (int(r * 0.82 * SS), int(r * 0.98 * SS)), 0, 0, 360, SKIN, -1,
                cv2.LINE_AA)
    # fringe: hair over the top of the forehead
    cv2.ellipse(img, _pt(c + (0, -0.55 * r)), (int(r * 0.84 * SS), int(r * 0.42 * SS)), 0, 180, 360, HAIR, -1,
                cv2.LINE_AA)
    for sx in (-1, 1):
        eye = c + (sx * 0.34 * r, -0.02 * r)
        cv2.ellipse(img, _pt(eye), (max(1, int(r * 0.17 * SS)), max(1, int(r * 0.10 * SS))), 0, 0, 360,
                    (250, 250, 250), -1, cv2.LINE_AA)
        cv2.circle(img, _pt(eye), max(1, int(r * 0.08 * SS)), (40, 30, 20), -1, cv2.LINE_AA)
        cv2.line(img, _pt(eye + (-0.18 * r, -0.2 * r)), _pt(eye + (0.18 * r, -0.22 * r)), HAIR,
                 max(1, int(r * 0.08 * SS)), cv2.LINE_AA)
    nose = np.array([_pt(c + (0, 0.05 * r)), _pt(c + (-0.12 * r, 0.36 * r)), _pt(c + (0.12 * r, 0.36 * r))], np.int32)
    cv2.fillConvexPoly(img, nose, _darker(SKIN, 0.85), cv2.LINE_AA)
    cv2.ellipse(img, _pt(c + (0, 0.58 * r)), (int(r * 0.24 * SS), int(r * 0.07 * SS)), 0, 0, 360, (150, 70, 70), -1,
                cv2.LINE_AA)


def _shoe(img: np.ndarray, ankle: np.ndarray, toe: np.ndarray, r: float) -> None:
    heel = ankle + (ankle - toe) * 0.15
    capsule(img, heel, toe, r * 1.1, r * 1.0, SHOE, shade=False)
    cv2.line(img, _pt(heel + (0, r * 0.8)), _pt(toe + (0, r * 0.8)), _lighter(SHOE, 0.5),
             max(1, int(r * 0.35 * SS)), cv2.LINE_AA)


def draw_front(img: np.ndarray, j: Joints3D, cam: _Camera, s: float) -> None:
    """Paint the figure on a 2x canvas: items sorted by mean depth, farthest (smallest z) first."""
    limb = {"thigh": (0.062, 0.048), "shin": (0.046, 0.033), "upper": (0.036, 0.030), "fore": (0.029, 0.024)}
    items: list[tuple[float, Callable[[], None]]] = []

    def seg(a: np.ndarray, b: np.ndarray, kind: str, col: tuple[int, int, int], bias: float = 0.0) -> None:
        ra, rb = limb[kind]
        items.append(((a[2] + b[2]) / 2 + bias,
                      lambda: capsule(img, cam(a), cam(b), ra * s * cam.s(a), rb * s * cam.s(b), col)))

    def shoe(a: np.ndarray, t: np.ndarray) -> None:
        items.append(((a[2] + t[2]) / 2 - 0.01 * s, lambda: _shoe(img, cam(a), cam(t), 0.032 * s * cam.s(a))))

    def hand(w: np.ndarray) -> None:
        items.append((w[2] + 0.02 * s, lambda: _hand(img, _pt(cam(w)), int(0.028 * s * cam.s(w) * SS))))

    for side in SIDES:
        seg(j.hip[side], j.knee[side], "thigh", TROUSERS)
        seg(j.knee[side], j.ankle[side], "shin", TROUSERS)
        shoe(j.ankle[side], j.toe[side])
        seg(j.shoulder[side], j.elbow[side], "upper", SHIRT, 0.02 * s)
        seg(j.elbow[side], j.wrist[side], "fore", SKIN, 0.02 * s)
        hand(j.wrist[side])
    trunk_z = (j.shoulder["left"][2] + j.hip["left"][2]) / 2
    items.append((trunk_z, lambda: _torso(img, j, cam, s)))
    neck_top = j.neck + (j.head - j.neck) * 0.5
    items.append((j.neck[2] + 1e-3, lambda: capsule(img, cam(j.neck), cam(neck_top), 0.032 * s, 0.032 * s, SKIN)))
    items.append((j.head[2] + 2e-3, lambda: _head(img, cam(j.head), 0.066 * s * cam.s(j.head))))
    for _, draw in sorted(items, key=lambda it: it[0]):
        draw()


def _hand(img: np.ndarray, centre: tuple[int, int], radius: int) -> None:
    cv2.circle(img, centre, radius, SKIN, -1, cv2.LINE_AA)


def render_front(bg2x: np.ndarray, j: Joints3D, cam: _Camera, scale: float) -> np.ndarray:
    img = bg2x.copy()
    draw_front(img, j, cam, scale)
    return cv2.resize(img, (bg2x.shape[1] // SS, bg2x.shape[0] // SS), interpolation=cv2.INTER_AREA)


# --- clip ------------------------------------------------------------------------------------------


class FrontSource:
    """A 3D script seen by a `_Camera` as a clip source (see clip.Source)."""

    def __init__(self, sc: FrontScript, width: int, height: int, seed: int = 0) -> None:
        self.sc = sc
        self.bg = background(width, height, seed, sc.floor_y)
        self.cam = _Camera(sc.cx, 0.5 * height, CAMERA_DIST * sc.scale)
        self.duration_s, self.reps = sc.duration_s, sc.reps
        self.holds: list[dict] = []
        self.phases: list[dict] = []
        annotate_reps(self.reps, sc.name, lambda t: truth_angles_3d(sc.pose_at(t)))

    def image(self, t: float) -> np.ndarray:
        return render_front(self.bg, self.sc.pose_at(t), self.cam, self.sc.scale)

    def record(self, t: float) -> dict[str, Any]:
        return frame_truth_3d(self.sc.pose_at(t), self.cam)


def frame_truth_3d(j: Joints3D, project: Callable[[np.ndarray], np.ndarray]) -> dict[str, Any]:
    """One frame's truth: exact 3D angles, the projected joints (pixels) and the 3D joints."""
    names = ("shoulder", "hip", "knee", "ankle")
    rec: dict[str, Any] = {"visible": True, **truth_angles_3d(j)}
    rec["joints"] = {f"{s}_{nm}": [round(float(v), 2) for v in project(getattr(j, nm)[s])]
                     for s in SIDES for nm in names}
    rec["joints3d"] = {f"{s}_{nm}": [round(float(v), 2) for v in getattr(j, nm)[s]] for s in SIDES for nm in names}
    return rec


def generate_front_clip(script: str, out_path: str | Path, fps: float = 30.0, width: int = 640, height: int = 480,
                        seed: int = 0, crf: int = 28, start_s: Boundary = None, end_s: Boundary = None,
                        **params: Any) -> Path:
    """Render front-view `script` ("squat" or "lunge") to out_path (.mp4) plus its .truth.json.

    `start_s` / `end_s` trim the clip (seconds or a clip.RepCut): see clip.write_clip.
    """
    src, meta = _front(script, width, height, seed, params)
    return write_clip(src, out_path, meta, fps, width, height, crf, start_s, end_s)


def front_clip_truth(script: str, fps: float = 30.0, width: int = 640, height: int = 480, start_s: Boundary = None,
                     end_s: Boundary = None, **params: Any) -> dict[str, Any]:
    """The truth generate_front_clip would write, without rendering (fast)."""
    src, meta = _front(script, width, height, 0, params)
    return build_truth(src, meta, fps, width, height, start_s, end_s)


def _front(script: str, width: int, height: int, seed: int,
           params: dict[str, Any]) -> tuple[FrontSource, dict[str, Any]]:
    if script not in FRONT_SCRIPTS:
        raise ValueError(f"unknown front-view script {script!r}; have {sorted(FRONT_SCRIPTS)}")
    sc = FRONT_SCRIPTS[script](width=width, height=height, **params)
    meta: dict[str, Any] = {"script": script, "exercise": sc.name, "params": params, "facing": "camera",
                            "near_side": None, "view": "front", "expected_faults": [], "out_of_view_s": None}
    return FrontSource(sc, width, height, seed), meta
