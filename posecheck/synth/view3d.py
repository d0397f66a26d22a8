"""Any side-view motion script seen from any camera: the 2D figure lifted to a 3D skeleton, orbited.

The side scripts (scripts.py) are authored in the sagittal plane. Lifted to 3D, their image x becomes
depth Z (the way a standing person faces; toward the feet for a lying one), image y stays y (down =
gravity), and each side moves sideways: hips, legs and feet at +-hip width (each leg stays in its own
sagittal plane, so the authored segment lengths and knee angles hold), shoulders at +-shoulder width,
arms just outside them. As in front.py, the person's LEFT is +X.

A camera orbits the body: `yaw_deg` 0 is in front of a standing person and at the FEET END of a lying one
(looking along the body), 90 the canonical side view (right side near), 45 oblique; `elev_deg` raises
it to look down. Drawing is front.py's (depth-sorted shaded capsules, a face, the same room); the truth
angles are the exact 3D ones (front.truth_angles_3d), `joints` the projected pixels, `joints3d` the world.

    generate_view_clip("glute_bridge", "bridge_feet.mp4", view="feet_end", reps=3, hold_s=2.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posecheck.synth import figure, front
from posecheck.synth.angles import truth_angles_3d
from posecheck.synth.clip import Boundary, build_truth, write_clip
from posecheck.synth.drive import annotate_reps
from posecheck.synth.figure import HAIR, SHIRT, SKIN, SS, TROUSERS, Joints, _pt, background, capsule
from posecheck.synth.front import FrontBody, Joints3D, _Camera, frame_truth_3d
from posecheck.synth.motion import Script
from posecheck.synth.scripts import SCRIPTS

SIDES = ("left", "right")
LATERAL = {"left": 1.0, "right": -1.0}  # the person's left is +X
FILL = (0.80, 0.72)  # the figure's extent over the clip fills this share of the frame (width, height)


@dataclass(frozen=True)
class Orbit:
    """A camera `dist` body heights from the pelvis, at `yaw_deg` around it and `elev_deg` above it.

    `pillow` raises the head (and half as much the neck) by that share of the body height: a lying person's
    chin tucked toward the knees, as bridge cues ask, or a small pillow. The head is in no truth angle; it
    matters because MediaPipe's detector finds people by the face, which the chest hides from the feet end.
    """

    yaw_deg: float
    elev_deg: float
    dist: float = 3.0
    pillow: float = 0.0

    def axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World directions of image right, image down and toward the camera."""
        y, e = math.radians(self.yaw_deg), math.radians(self.elev_deg)
        toward_h = np.array([-math.sin(y), 0.0, math.cos(y)])
        right = np.array([math.cos(y), 0.0, math.sin(y)])
        up = np.array([0.0, -1.0, 0.0])
        toward = toward_h * math.cos(e) + up * math.sin(e)
        down = -up * math.cos(e) + toward_h * math.sin(e)
        return right, down, toward


# The named views. The feet-end camera stands a metre or so beyond the feet, above them (a phone on a stool).
VIEWS: dict[str, Orbit] = {"feet_end": Orbit(0.0, 32.0, 2.0, pillow=0.08), "oblique": Orbit(45.0, 15.0, 3.0),
                           "front": Orbit(0.0, 5.0, 3.0), "side": Orbit(90.0, 0.0, 3.0)}


def lift(j: Joints, pivot: np.ndarray, b: FrontBody) -> Joints3D:
    """A canonical 2D side-view pose as a 3D skeleton (world pixels, pivot-relative; see the module doc)."""

    def w(p: np.ndarray, x: float = 0.0) -> np.ndarray:
        return np.array([x, p[1] - pivot[1], p[0] - pivot[0]])

    def mid(d: dict[str, np.ndarray]) -> np.ndarray:
        return (d["left"] + d["right"]) / 2

    arm_x = b.shoulder_w + 0.03 * b.height
    return Joints3D(
        head=w(j.head), neck=w(j.neck),
        shoulder={s: w(mid(j.shoulder), LATERAL[s] * b.shoulder_w) for s in SIDES},
        elbow={s: w(j.elbow[s], LATERAL[s] * arm_x) for s in SIDES},
        wrist={s: w(j.wrist[s], LATERAL[s] * arm_x) for s in SIDES},
        hip={s: w(mid(j.hip), LATERAL[s] * b.hip_w) for s in SIDES},
        knee={s: w(j.knee[s], LATERAL[s] * b.hip_w) for s in SIDES},
        ankle={s: w(j.ankle[s], LATERAL[s] * b.hip_w) for s in SIDES},
        toe={s: w(j.toe[s], LATERAL[s] * b.hip_w) for s in SIDES},
    )


def _map(j: Joints3D, f: Any) -> Joints3D:
    def md(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {k: f(v) for k, v in d.items()}

    return Joints3D(f(j.head), f(j.neck), md(j.shoulder), md(j.elbow), md(j.wrist), md(j.hip), md(j.knee),
                    md(j.ankle), md(j.toe))


def _points(j: Joints3D) -> list[np.ndarray]:
    return [j.head, j.neck, *(d[s] for d in (j.shoulder, j.elbow, j.wrist, j.hip, j.knee, j.ankle, j.toe)
                              for s in SIDES)]


# --- drawing (front.py's recipe; a torso with volume, a head that turns) -----------------------------

LIMB = {"thigh": (0.062, 0.048), "shin": (0.046, 0.033), "upper": (0.036, 0.030), "fore": (0.029, 0.024)}


def draw_body(img: np.ndarray, j: Joints3D, cam: _Camera, s: float, face: np.ndarray) -> None:
    """Paint j (camera frame: pixels at the pivot's depth, z toward the camera) far to near on a 2x canvas.

    `face` is the unit direction the face points, in camera axes (right, down, toward).
    """
    items: list[tuple[float, Callable[[], None]]] = []

    def seg(a: np.ndarray, b: np.ndarray, kind: str, col: tuple[int, int, int], bias: float = 0.0) -> None:
        ra, rb = LIMB[kind]
        items.append(((a[2] + b[2]) / 2 + bias,
                      lambda: capsule(img, cam(a), cam(b), ra * s * cam.s(a), rb * s * cam.s(b), col)))

    def shoe(a: np.ndarray, t: np.ndarray) -> None:
        items.append(((a[2] + t[2]) / 2 - 0.01 * s, lambda: front._shoe(img, cam(a), cam(t), 0.032 * s * cam.s(a))))

    def hand(w: np.ndarray) -> None:
        items.append((w[2] + 0.02 * s, lambda: front._hand(img, _pt(cam(w)), int(0.028 * s * cam.s(w) * SS))))

    for side in SIDES:
        seg(j.hip[side], j.knee[side], "thigh", TROUSERS)
        seg(j.knee[side], j.ankle[side], "shin", TROUSERS)
        shoe(j.ankle[side], j.toe[side])
        seg(j.shoulder[side], j.elbow[side], "upper", SHIRT, 0.02 * s)
        seg(j.elbow[side], j.wrist[side], "fore", SKIN, 0.02 * s)
        hand(j.wrist[side])
    hip_c, sh_c = (j.hip["left"] + j.hip["right"]) / 2, (j.shoulder["left"] + j.shoulder["right"]) / 2
    items.append(((hip_c[2] + sh_c[2]) / 2, lambda: _trunk(img, j, cam, s)))
    neck_top = j.neck + (j.head - j.neck) * 0.5
    items.append((j.neck[2] + 1e-3, lambda: capsule(img, cam(j.neck), cam(neck_top), 0.030 * s * cam.s(j.neck),
                                                    0.030 * s * cam.s(j.neck), SKIN)))
    items.append((j.head[2] + 2e-3, lambda: _head(img, j, cam, s, face)))
    for _, paint in sorted(items, key=lambda it: it[0]):
        paint()


def _trunk(img: np.ndarray, j: Joints3D, cam: _Camera, s: float) -> None:
    """The side figure's trunk capsules (its depth) plus hip and shoulder bars (its width)."""
    hip_c, sh_c = (j.hip["left"] + j.hip["right"]) / 2, (j.shoulder["left"] + j.shoulder["right"]) / 2
    k = cam.s((hip_c + sh_c) / 2)
    capsule(img, cam(j.hip["left"]), cam(j.hip["right"]), 0.075 * s * k, 0.075 * s * k, TROUSERS)
    capsule(img, cam(hip_c), cam(hip_c + (sh_c - hip_c) * 0.25), 0.085 * s * k, 0.080 * s * k, TROUSERS)
    capsule(img, cam(hip_c + (sh_c - hip_c) * 0.15), cam(sh_c), 0.080 * s * k, 0.075 * s * k, SHIRT)
    capsule(img, cam(j.shoulder["left"]), cam(j.shoulder["right"]), 0.05 * s * k, 0.05 * s * k, SHIRT)


def _head(img: np.ndarray, j: Joints3D, cam: _Camera, s: float, face: np.ndarray) -> None:
    """A front face when the face turns to the camera, a profile when side-on, hair when turned away."""
    c = cam(j.head)
    r = 0.066 * s * cam.s(j.head)
    if face[2] > 0.35:
        front._head(img, c, r)
    elif face[2] < -0.35:
        cv2.circle(img, _pt(c), int(r * 1.02 * SS), HAIR, -1, cv2.LINE_AA)
    else:
        figure._head(img, c, np.asarray(face[:2]), cam(j.head) - cam(j.neck), r)


class OrbitSource:
    """A side script lifted to 3D and seen by an orbiting camera, as a clip source (see clip.Source)."""

    def __init__(self, sc: Script, orbit: Orbit, width: int, height: int, seed: int = 0) -> None:
        self.sc, self.orbit, self.width, self.height, self.seed = sc, orbit, width, height, seed
        self.body = FrontBody(sc.scale)
        rest = sc.pose_at(0.0)
        self.pivot = (rest.hip["left"] + rest.hip["right"]) / 2
        self.axes = orbit.axes()
        self.dist = orbit.dist * sc.scale
        self._fit()
        self._bg: np.ndarray | None = None
        self.duration_s, self.reps, self.holds, self.phases = sc.duration_s, sc.reps, sc.holds, sc.phases
        annotate_reps(self.reps, sc.name, lambda t: truth_angles_3d(self.world(t)))

    def world(self, t: float) -> Joints3D:
        return self._lift(self.sc.pose_at(t))

    def _lift(self, j2d: Joints) -> Joints3D:
        j = lift(j2d, self.pivot, self.body)
        if self.orbit.pillow:
            up = np.array([0.0, -self.orbit.pillow * self.sc.scale, 0.0])
            j = Joints3D(j.head + up, j.neck + up * 0.5, j.shoulder, j.elbow, j.wrist, j.hip, j.knee, j.ankle, j.toe)
        return j

    def _view(self, p: np.ndarray) -> np.ndarray:
        """Camera coordinates (right, down, toward) in world pixels, before the fit's scale."""
        r, d, tw = self.axes
        return np.array([p @ r, p @ d, p @ tw])

    def _perspective(self, c: np.ndarray) -> np.ndarray:
        return c[:2] * self.dist / (self.dist - c[2])

    def _fit(self) -> None:
        """Scale and centre so the figure's extent over the whole motion fills FILL of the frame."""
        pts = [self._perspective(self._view(p)) for t in np.arange(0.0, self.sc.duration_s, 0.25)
               for p in _points(self.world(t))]
        lo, hi = np.min(pts, axis=0), np.max(pts, axis=0)
        margin = 2.5 * 0.066 * self.sc.scale  # the head and limbs are wider than their joints
        span = hi - lo + margin
        self.scale = float(min(FILL[0] * self.width / span[0], FILL[1] * self.height / span[1]))
        self.centre = np.array([self.width / 2, self.height / 2]) - self.scale * (lo + hi) / 2
        self.cam = _Camera(float(self.centre[0]), float(self.centre[1]), self.scale * self.dist)
        # the wall meets the floor a body height behind the pelvis (lying or standing alike)
        yaw = math.radians(self.orbit.yaw_deg)
        away = -np.array([-math.sin(yaw), 0.0, math.cos(yaw)])  # horizontal, from the camera past the body
        floor_w = np.array([0.0, self.sc.floor_y - self.pivot[1], 0.0]) + away * self.sc.scale
        self.floor_y = float(np.clip(self.project(floor_w)[1], 0.08 * self.height, 0.95 * self.height))

    def to_camera(self, p: np.ndarray) -> np.ndarray:
        """A world point in the frame front.py's drawing expects: image pixels at the pivot's depth, z to us."""
        c = self._view(p)
        return np.array([self.centre[0] + self.scale * c[0], self.centre[1] + self.scale * c[1], self.scale * c[2]])

    def project(self, p: np.ndarray) -> np.ndarray:
        return self.cam(self.to_camera(p))

    def image(self, t: float) -> np.ndarray:
        if self._bg is None:
            self._bg = background(self.width, self.height, self.seed, self.floor_y)
        j2d = self.sc.pose_at(t)
        face = self._view(np.array([0.0, j2d.face[1], j2d.face[0]]))
        img = self._bg.copy()
        draw_body(img, _map(self._lift(j2d), self.to_camera), self.cam, self.scale * self.sc.scale,
                  face / (np.linalg.norm(face) or 1.0))
        return cv2.resize(img, (self.width, self.height), interpolation=cv2.INTER_AREA)

    def record(self, t: float) -> dict[str, Any]:
        return frame_truth_3d(self.world(t), self.project)


def _orbit(view: str, yaw_deg: float | None, elev_deg: float | None, cam_dist: float | None) -> Orbit:
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; have {sorted(VIEWS)}")
    o = VIEWS[view]
    return Orbit(o.yaw_deg if yaw_deg is None else yaw_deg, o.elev_deg if elev_deg is None else elev_deg,
                 o.dist if cam_dist is None else cam_dist, o.pillow)


def _source(script: str, view: str, width: int, height: int, seed: int, yaw_deg: float | None,
            elev_deg: float | None, cam_dist: float | None,
            params: dict[str, Any]) -> tuple[OrbitSource, dict[str, Any]]:
    if script not in SCRIPTS:
        raise ValueError(f"unknown motion script {script!r}")
    orbit = _orbit(view, yaw_deg, elev_deg, cam_dist)
    sc = SCRIPTS[script](width=width, height=height, **params)
    src = OrbitSource(sc, orbit, width, height, seed)
    meta = {"script": script, "exercise": sc.name, "params": params, "facing": "camera", "near_side": None,
            "view": view, "camera": asdict(orbit),
            "expected_faults": sc.expected_faults, "out_of_view_s": None}
    return src, meta


def generate_view_clip(script: str, out_path: str | Path, view: str = "feet_end", fps: float = 30.0,
                       width: int = 640, height: int = 480, seed: int = 0, crf: int = 28, start_s: Boundary = None,
                       end_s: Boundary = None, yaw_deg: float | None = None, elev_deg: float | None = None,
                       cam_dist: float | None = None, **params: Any) -> Path:
    """Render side script `script` as seen from `view` (VIEWS; yaw_deg/elev_deg override) plus its truth."""
    src, meta = _source(script, view, width, height, seed, yaw_deg, elev_deg, cam_dist, params)
    return write_clip(src, out_path, meta, fps, width, height, crf, start_s, end_s)


def view_clip_truth(script: str, view: str = "feet_end", fps: float = 30.0, width: int = 640, height: int = 480,
                    start_s: Boundary = None, end_s: Boundary = None, yaw_deg: float | None = None,
                    elev_deg: float | None = None, cam_dist: float | None = None, **params: Any) -> dict[str, Any]:
    """The truth generate_view_clip would write, without rendering (fast)."""
    src, meta = _source(script, view, width, height, 0, yaw_deg, elev_deg, cam_dist, params)
    return build_truth(src, meta, fps, width, height, start_s, end_s)
