"""The kinematics angle definitions, computed independently from exact synthetic joints (2D and 3D)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SIDES = ("left", "right")


def _interior(a: np.ndarray, v: np.ndarray, c: np.ndarray) -> float:
    u, w = a - v, c - v
    cos = float(np.dot(u, w) / (np.linalg.norm(u) * np.linalg.norm(w)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def truth_angles(j: Any) -> dict[str, float]:
    """kinematics.py's definitions on exact 2D joints (image pixels, y down)."""

    def elevation(v: np.ndarray) -> float:
        return math.degrees(math.atan2(-v[1], abs(v[0])))

    out = {}
    for s in SIDES:
        out[f"{s}_hip"] = _interior(j.shoulder[s], j.hip[s], j.knee[s])
        out[f"{s}_knee"] = _interior(j.hip[s], j.knee[s], j.ankle[s])
        out[f"{s}_thigh_incline"] = elevation(j.knee[s] - j.hip[s])
    trunk = (j.shoulder["left"] + j.shoulder["right"]) / 2 - (j.hip["left"] + j.hip["right"]) / 2
    out["trunk_incline"] = math.degrees(math.atan2(abs(trunk[0]), -trunk[1]))
    return {k: round(v, 3) for k, v in out.items()}


def truth_angles_3d(j: Any) -> dict[str, float]:
    """kinematics.py's definitions on exact 3D joints (y down = gravity; horizontal is hypot(x, z))."""

    def horiz(v: np.ndarray) -> float:
        return math.hypot(v[0], v[2])

    out = {}
    for s in SIDES:
        out[f"{s}_hip"] = _interior(j.shoulder[s], j.hip[s], j.knee[s])
        out[f"{s}_knee"] = _interior(j.hip[s], j.knee[s], j.ankle[s])
        th = j.knee[s] - j.hip[s]
        out[f"{s}_thigh_incline"] = math.degrees(math.atan2(-th[1], horiz(th)))
    trunk = (j.shoulder["left"] + j.shoulder["right"]) / 2 - (j.hip["left"] + j.hip["right"]) / 2
    out["trunk_incline"] = math.degrees(math.atan2(horiz(trunk), -trunk[1]))
    return {k: round(v, 3) for k, v in out.items()}
