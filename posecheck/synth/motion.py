"""Skeleton geometry and keyframed motion for the synthetic clips.

Scripts are authored in a canonical orientation: the person faces image-right when standing or
kneeling, and lies with the head at image-left (feet to the right). In that orientation their RIGHT
side is nearer the camera: standing facing +x with the camera in front of the image plane, the right
side faces the camera; lying on the back with the head to the left, likewise. `facing="left"` mirrors
the image, which makes the LEFT side the near one (truth angles are unchanged by the mirror, and the
side labels follow the anatomy).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from posecheck.synth.figure import Joints


def unit(deg: float) -> np.ndarray:
    """Direction at `deg` degrees counter-clockwise from image-right, in image axes (y down)."""
    r = math.radians(deg)
    return np.array([math.cos(r), -math.sin(r)])


def ease(x: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * min(1.0, max(0.0, x)))


@dataclass
class Track:
    """A scalar that moves between keyframes with cosine easing (smooth starts and stops)."""

    value: float
    keys: list[tuple[float, float, float]] = field(default_factory=list)  # (t0, t1, target)
    t: float = 0.0

    def to(self, target: float, seconds: float) -> Track:
        self.keys.append((self.t, self.t + seconds, target))
        self.t += seconds
        return self

    def hold(self, seconds: float) -> Track:
        return self.to(self.keys[-1][2] if self.keys else self.value, seconds)

    def at(self, t: float) -> float:
        v = self.value
        for t0, t1, target in self.keys:
            if t <= t0:
                break
            if t >= t1:
                v = target
            else:
                return v + (target - v) * ease((t - t0) / (t1 - t0))
        return v


def ik_knee(hip: np.ndarray, ankle: np.ndarray, l1: float, l2: float, bend: np.ndarray) -> np.ndarray:
    """Two-link inverse kinematics: the knee between hip and ankle, on the side of `bend`."""
    d = ankle - hip
    dist = float(np.clip(np.linalg.norm(d), abs(l1 - l2) + 1e-3, l1 + l2 - 1e-3))
    u = d / (np.linalg.norm(d) or 1.0)
    a = math.acos(np.clip((l1 * l1 + dist * dist - l2 * l2) / (2 * l1 * dist), -1, 1))
    perp = np.array([-u[1], u[0]])
    if np.dot(perp, bend) < 0:
        perp = -perp
    return hip + l1 * (u * math.cos(a) + perp * math.sin(a))


@dataclass(frozen=True)
class Body:
    """Segment lengths in output pixels for a person `height` pixels tall."""

    height: float

    @property
    def thigh(self) -> float:
        return 0.245 * self.height

    @property
    def shin(self) -> float:
        return 0.245 * self.height

    @property
    def trunk(self) -> float:
        return 0.30 * self.height

    @property
    def neck(self) -> float:
        return 0.055 * self.height

    @property
    def head_r(self) -> float:
        return 0.066 * self.height

    @property
    def upper_arm(self) -> float:
        return 0.17 * self.height

    @property
    def forearm(self) -> float:
        return 0.16 * self.height

    @property
    def foot(self) -> float:
        return 0.13 * self.height


def assemble(body: Body, hip: np.ndarray, trunk_deg: float, knees: dict[str, np.ndarray],
             ankles: dict[str, np.ndarray], toes_deg: dict[str, float], arm_deg: dict[str, tuple[float, float]],
             face_deg: float, depth_px: float = 3.0) -> Joints:
    """Joints from a pelvis point, trunk direction, leg points and arm directions (canonical view).

    Left/right shoulders and hips sit `depth_px` apart along the trunk's normal, the way a camera sees
    a body side-on: nearly on top of each other.
    """
    t = unit(trunk_deg)
    sh = hip + t * body.trunk
    normal = np.array([-t[1], t[0]]) * depth_px
    hips = {"right": hip + normal, "left": hip - normal}
    shoulders = {"right": sh + normal, "left": sh - normal}
    neck = sh + t * body.neck * 0.5
    head = sh + t * (body.neck + body.head_r)
    elbows, wrists = {}, {}
    for side in ("left", "right"):
        up_deg, fore_deg = arm_deg[side]
        elbows[side] = shoulders[side] + unit(up_deg) * body.upper_arm
        wrists[side] = elbows[side] + unit(fore_deg) * body.forearm
    toes = {s: ankles[s] + unit(toes_deg[s]) * body.foot for s in ("left", "right")}
    return Joints(head, unit(face_deg), neck, shoulders, elbows, wrists, hips, dict(knees), dict(ankles), toes)


PoseFn = Callable[[float], Joints]  # every script draws the person at every time (SideSource hides them)


@dataclass
class Script:
    """A rendered exercise: pose over time, its duration, and its ground-truth reps and holds."""

    name: str
    duration_s: float
    pose_at: PoseFn
    reps: list[dict] = field(default_factory=list)
    holds: list[dict] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    floor_y: float = 0.0
    scale: float = 0.0
    expected_faults: list[str] = field(default_factory=list)  # fault codes the engine must raise (faulty variants)
    phases: list[dict] = field(default_factory=list)  # named spans that are not the exercise (e.g. a start position)
