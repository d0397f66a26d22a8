"""Pose landmarks -> named joint angles (degrees), reliability, view and left/right by geometry.

Angle definitions (one place for them; the synthetic ground truth uses the same ones):
- `*_hip`: interior angle at the hip between shoulder and knee (180 = straight line, 90 = thigh
  at a right angle to the trunk).
- `*_knee`: interior angle at the knee between hip and ankle (180 = straight leg).
- `trunk_incline`: angle of mid-hip -> mid-shoulder from vertical-up (0 upright, 90 lying).
- `*_thigh_incline`: signed elevation of hip -> knee above the horizontal, -90..90 (standing -90,
  horizontal thigh 0, knee above the hip positive).
2D angles use pixel coordinates (never normalised ones); 3D angles use MediaPipe's world landmarks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from posecheck import pose as P
from posecheck.pose import PoseFrame
from posecheck.sides import SideDecision, SideTracker, swap_left_right, swap_legs

__all__ = ["SideDecision", "SideTracker", "swap_left_right", "swap_legs"]  # re-exported: left/right is decided here

AngleSource = Literal["2d", "3d", "auto"]
View = Literal["side", "front", "oblique", "unknown"]

SIGNALS: tuple[str, ...] = (
    "left_hip", "right_hip", "left_knee", "right_knee",
    "trunk_incline", "left_thigh_incline", "right_thigh_incline",
)  # fmt: skip


def twin(name: str) -> str:
    """The other leg's signal (left_knee <-> right_knee); a signal of neither side is its own twin."""
    for a, b in (("left_", "right_"), ("right_", "left_")):
        if name.startswith(a):
            return b + name[len(a):]
    return name


# Landmark triples (a, vertex, c) for the interior angles.
_JOINTS = {
    "left_hip": (P.LEFT_SHOULDER, P.LEFT_HIP, P.LEFT_KNEE),
    "right_hip": (P.RIGHT_SHOULDER, P.RIGHT_HIP, P.RIGHT_KNEE),
    "left_knee": (P.LEFT_HIP, P.LEFT_KNEE, P.LEFT_ANKLE),
    "right_knee": (P.RIGHT_HIP, P.RIGHT_KNEE, P.RIGHT_ANKLE),
}
_THIGHS = {"left_thigh_incline": (P.LEFT_HIP, P.LEFT_KNEE), "right_thigh_incline": (P.RIGHT_HIP, P.RIGHT_KNEE)}
_TRUNK = (P.LEFT_SHOULDER, P.RIGHT_SHOULDER, P.LEFT_HIP, P.RIGHT_HIP)
_LANDMARKS_OF = {name: list(ids) for name, ids in {**_JOINTS, **_THIGHS, "trunk_incline": _TRUNK}.items()}

MIN_VISIBILITY = 0.5
EDGE_MARGIN = 0.01  # fraction of the frame: landmarks beyond it are "out of frame"
MIN_PLANE_FACING = 0.6  # |cos| between limb-plane normal and camera axis; below it 2D foreshortens
# In a side view the body is known to face the camera side-on, and MediaPipe's world depth is its noisiest axis
# (measured: the check above rejected up to half of the in-plane frames of a kneeling stretch), so only a limb
# plane turned clearly away counts there; "auto" keeps the 2D angle in side views.
MIN_PLANE_FACING_SIDE = 0.3
# Segment inclinations (thigh, trunk) in "auto": the share of a segment's length along the camera axis. Below
# the first, the 2D inclination is used; above the second, the 3D one; in between the two are blended, so a
# thigh swinging toward the camera (a lunge filmed from the front) never jumps between the two estimates.
DEPTH_BLEND = (0.35, 0.65)


@dataclass(frozen=True)
class Body:
    """The landmark geometry the engine reads besides angles (pixels of this frame, left/right already fixed)."""

    hip_centre: np.ndarray  # (2,) mid-hip
    torso_px: float  # mid-hip to mid-shoulder
    leg_px: dict[str, float]  # per side: thigh + shin length as drawn
    ankle_from_hip: dict[str, np.ndarray]  # per side: (2,) ankle minus that leg's hip
    width_ratio: float  # shoulder + hip width over twice the torso length: ~0.6 facing the camera, ~0.1 side-on


def body_geometry(px: np.ndarray) -> Body:
    hip = (px[P.LEFT_HIP, :2] + px[P.RIGHT_HIP, :2]) / 2
    torso = float(np.linalg.norm((px[P.LEFT_SHOULDER, :2] + px[P.RIGHT_SHOULDER, :2]) / 2 - hip))
    legs, ankles = {}, {}
    for side, (h, k, a) in (("left", (P.LEFT_HIP, P.LEFT_KNEE, P.LEFT_ANKLE)),
                            ("right", (P.RIGHT_HIP, P.RIGHT_KNEE, P.RIGHT_ANKLE))):
        legs[side] = float(np.linalg.norm(px[k, :2] - px[h, :2]) + np.linalg.norm(px[a, :2] - px[k, :2]))
        ankles[side] = px[a, :2] - px[h, :2]
    return Body(hip, torso, legs, ankles, width_ratio(px))


def width_ratio(px: np.ndarray) -> float:
    """How wide the shoulders and hips look against the torso length (what the view is judged from)."""
    sh = np.linalg.norm(px[P.LEFT_SHOULDER, :2] - px[P.RIGHT_SHOULDER, :2])
    hp = np.linalg.norm(px[P.LEFT_HIP, :2] - px[P.RIGHT_HIP, :2])
    torso = np.linalg.norm((px[P.LEFT_SHOULDER, :2] + px[P.RIGHT_SHOULDER, :2]) / 2
                           - (px[P.LEFT_HIP, :2] + px[P.RIGHT_HIP, :2]) / 2)
    return float((sh + hp) / (2 * torso)) if torso >= 1e-6 else float("nan")


@dataclass(frozen=True)
class Kinematics:
    """One frame's named signals. `angles` holds every name in SIGNALS (NaN when unavailable)."""

    t_s: float
    detected: bool
    angles: dict[str, float] = field(default_factory=dict)
    reliable: dict[str, bool] = field(default_factory=dict)
    view: View = "unknown"
    facing: Literal["left", "right"] | None = None  # image direction the nose points (side views)
    lying: bool = False
    swapped: bool = False  # MediaPipe's left/right labels were corrected by geometry
    pose: PoseFrame | None = None
    body: Body | None = None

    def value(self, name: str) -> float:
        return self.angles.get(name, float("nan"))

    def ok(self, name: str) -> bool:
        return self.reliable.get(name, False) and math.isfinite(self.value(name))  # math: ~10x numpy on a scalar


# --- pure maths on arrays ---------------------------------------------------------------------


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle at b (degrees, 0..180) for points of shape (..., 2) or (..., 3); NaN if degenerate."""
    v1 = np.asarray(a, dtype=np.float64) - b
    v2 = np.asarray(c, dtype=np.float64) - b
    dot = (v1 * v2).sum(axis=-1)
    norm = np.sqrt((v1 * v1).sum(axis=-1) * (v2 * v2).sum(axis=-1))
    safe = np.where(norm > 0, norm, 1.0)
    cos = np.where(norm > 0, np.clip(dot / safe, -1.0, 1.0), np.nan)
    return np.degrees(np.arccos(cos))


def _horizontal(v: np.ndarray) -> np.ndarray:
    # Length of the part of v across the vertical (image y) axis: |x| in 2D, hypot(x, z) in 3D.
    return np.abs(v[..., 0]) if v.shape[-1] == 2 else np.hypot(v[..., 0], v[..., 2])


def incline_from_vertical_deg(v: np.ndarray) -> np.ndarray:
    """Angle of vector v from straight up (0..180), with image axes (y grows downward)."""
    v = np.asarray(v, dtype=np.float64)
    return np.degrees(np.arctan2(_horizontal(v), -v[..., 1]))


def elevation_deg(v: np.ndarray) -> np.ndarray:
    """Signed elevation of vector v above the horizontal (-90..90), y grows downward."""
    v = np.asarray(v, dtype=np.float64)
    return np.degrees(np.arctan2(-v[..., 1], _horizontal(v)))


_JOINT_NAMES = tuple(_JOINTS)
_JA, _JB, _JC = (np.array([_JOINTS[n][i] for n in _JOINT_NAMES]) for i in range(3))
_THIGH_NAMES = tuple(_THIGHS)
_TH, _TK = (np.array([_THIGHS[n][i] for n in _THIGH_NAMES]) for i in range(2))


def angle_signals(points: np.ndarray) -> dict[str, np.ndarray]:
    """All SIGNALS from landmarks of shape (..., 33, D), D = 2 (pixels) or 3 (world metres)."""
    pts = np.asarray(points, dtype=np.float64)
    joints = joint_angle_deg(pts[..., _JA, :], pts[..., _JB, :], pts[..., _JC, :])
    thighs = elevation_deg(pts[..., _TK, :] - pts[..., _TH, :])
    mid_sh = (pts[..., P.LEFT_SHOULDER, :] + pts[..., P.RIGHT_SHOULDER, :]) / 2
    mid_hip = (pts[..., P.LEFT_HIP, :] + pts[..., P.RIGHT_HIP, :]) / 2
    out = {name: joints[..., i] for i, name in enumerate(_JOINT_NAMES)}
    out["trunk_incline"] = incline_from_vertical_deg(mid_sh - mid_hip)
    out.update({name: thighs[..., i] for i, name in enumerate(_THIGH_NAMES)})
    return out


def depth_share(v: np.ndarray) -> np.ndarray:
    """|z| / |v| for 3D vectors (..., 3): 0 for a segment across the image, 1 for one pointing at the camera."""
    v = np.asarray(v, dtype=np.float64)
    n = np.sqrt((v * v).sum(axis=-1))
    return np.where(n > 0, np.abs(v[..., 2]) / np.where(n > 0, n, 1.0), 0.0)


def segment_depth_shares(world: np.ndarray) -> dict[str, float]:
    """`depth_share` of the segments behind the inclination signals (trunk, thighs), from world landmarks."""
    mid_sh = (world[P.LEFT_SHOULDER] + world[P.RIGHT_SHOULDER]) / 2
    mid_hip = (world[P.LEFT_HIP] + world[P.RIGHT_HIP]) / 2
    out = {"trunk_incline": float(depth_share(mid_sh - mid_hip))}
    for name, (hip, knee) in _THIGHS.items():
        out[name] = float(depth_share(world[knee] - world[hip]))
    return out


def blend_weight_3d(share: float, lo: float = DEPTH_BLEND[0], hi: float = DEPTH_BLEND[1]) -> float:
    """Weight of the 3D estimate for a segment with this depth share: 0 below `lo`, 1 above `hi`, linear between."""
    return float(np.clip((share - lo) / (hi - lo), 0.0, 1.0))


def plane_facing(world: np.ndarray) -> np.ndarray:
    """Per joint in _JOINTS order: |cos| between the limb plane's normal and the camera axis.

    1 means the limb moves in the image plane, so its 2D angle is true. A nearly straight limb has no
    defined plane but projects straight anyway, so it counts as 1.
    """
    v1, v2 = world[_JA] - world[_JB], world[_JC] - world[_JB]
    n = np.cross(v1, v2)
    nn = np.sqrt((n * n).sum(axis=-1))
    scale = np.sqrt((v1 * v1).sum(axis=-1) * (v2 * v2).sum(axis=-1))
    straightish = (scale == 0) | (nn < 0.2 * scale)  # within ~12 deg of straight
    return np.where(straightish, 1.0, np.abs(n[:, 2]) / np.where(nn > 0, nn, 1.0))


# --- view, facing and sides -------------------------------------------------------------------


def detect_view(px: np.ndarray) -> View:
    """Side, front or oblique from how wide the shoulders and hips look against the torso length."""
    ratio = width_ratio(px)
    if not np.isfinite(ratio):
        return "unknown"
    if ratio < 0.28:
        return "side"
    if ratio > 0.5:
        return "front"
    return "oblique"


def head_direction(px: np.ndarray) -> np.ndarray:
    """Unit 2D vector from the ear midpoint to the nose: where the face points in the image."""
    ears = (px[P.LEFT_EAR, :2] + px[P.RIGHT_EAR, :2]) / 2
    f = px[P.NOSE, :2] - ears
    n = np.linalg.norm(f)
    return f / n if n > 0 else f


def labels_swapped(px: np.ndarray, world: np.ndarray | None) -> bool:
    """True when MediaPipe's left/right labels contradict the body's own geometry (side views).

    With `up` = hips->shoulders and `forward` = ears->nose in the image, the person's left points
    along up x forward; its depth sign says whether the left side should be nearer or farther than
    the right. MediaPipe's own depth for its "left" hip and shoulder says which it labelled near.
    If the two disagree, the labels are swapped (typical for people lying on their back).
    """
    up = (px[P.LEFT_SHOULDER, :2] + px[P.RIGHT_SHOULDER, :2] - px[P.LEFT_HIP, :2] - px[P.RIGHT_HIP, :2]) / 2
    fwd = head_direction(px)
    left_z = up[0] * fwd[1] - up[1] * fwd[0]  # z of up x forward (x right, y down, z away)
    depth = world if world is not None else px
    dz = (depth[P.LEFT_HIP, 2] - depth[P.RIGHT_HIP, 2]) + (depth[P.LEFT_SHOULDER, 2] - depth[P.RIGHT_SHOULDER, 2])
    if abs(left_z) < 0.3 * np.linalg.norm(up) or abs(dz) < 1e-6:
        return False  # face not clearly across the trunk (front view) or no depth cue: keep labels
    return bool(np.sign(left_z) != np.sign(dz))


# --- per-frame entry point --------------------------------------------------------------------


def compute_kinematics(pose: PoseFrame, source: AngleSource = "2d", fix_sides: bool = True,
                       sides: SideTracker | None = None) -> Kinematics:
    """Signals for one frame. `source` picks pixel (2d) or world (3d) angles. "auto" keeps the 2D angles in
    side views (the limbs move in the image plane and pixels are MediaPipe's most accurate output); in front
    and oblique views it takes the 3D joint angle where the limb plane turns away from the camera and blends
    in the 3D thigh/trunk inclination as the segment turns toward it (2D foreshortens both).

    Left/right: without `sides`, this frame's geometry alone decides (`labels_swapped`); with a
    `SideTracker` (one per stream, as AnglePipeline keeps) the decision is also consistent over time
    and legs that MediaPipe swapped on their own are put back. `swapped` is True if either happened.
    """
    if not pose.detected:
        if sides is not None:
            sides.reset()
        return Kinematics(pose.t_s, False, {n: float("nan") for n in SIGNALS}, {n: False for n in SIGNALS})
    px, world, vis = pose.image_px, pose.world_m, pose.visibility
    assert px is not None and vis is not None  # detected: a pose always has pixels and visibility together
    view = detect_view(px)
    body_vote = fix_sides and view == "side" and labels_swapped(px, world)
    if sides is not None and fix_sides:
        decision = sides.update(px, body_vote, side_view=view == "side", t_s=pose.t_s)
    else:
        decision = SideDecision(body_vote, False)
    swap_body, swap_leg = decision.body, decision.legs
    swapped = swap_body or swap_leg
    for fix, fn in ((swap_body, swap_left_right), (swap_leg, swap_legs)):
        if fix:
            px, vis = fn(px), fn(vis)
            world = fn(world) if world is not None else None
    if swapped:
        pose = replace(pose, image_px=px, world_m=world, visibility=vis)

    a2 = angle_signals(px[:, :2])
    a3 = angle_signals(world) if world is not None and source != "2d" else None
    facing_cam = plane_facing(world) if world is not None else np.ones(len(_JOINT_NAMES))
    side_view = view == "side"
    in_plane = dict(zip(_JOINT_NAMES, facing_cam >= (MIN_PLANE_FACING_SIDE if side_view else MIN_PLANE_FACING),
                        strict=True))
    auto_3d = source == "auto" and a3 is not None and not side_view
    # Inclinations: in "auto" (front/oblique views) the 3D estimate takes over as the segment turns toward the
    # camera, blended, so a thigh swinging toward the camera never jumps between the two estimates.
    w3: dict[str, float] = {}
    if auto_3d and world is not None:
        w3 = {n: blend_weight_3d(v) for n, v in segment_depth_shares(world).items()}
    mx, my = EDGE_MARGIN * pose.width, EDGE_MARGIN * pose.height
    lm_ok = ((px[:, 0] >= -mx) & (px[:, 0] <= pose.width + mx) & (px[:, 1] >= -my) & (px[:, 1] <= pose.height + my)
             & (vis >= MIN_VISIBILITY))
    angles: dict[str, float] = {}
    reliable: dict[str, bool] = {}
    for name in SIGNALS:
        flat = in_plane.get(name, True)
        use_3d = a3 is not None and (source == "3d" or (auto_3d and not flat))
        w = 1.0 if use_3d else w3.get(name, 0.0)  # weight of the 3D estimate
        a = a2[name] if w <= 0 or a3 is None else a3[name] if w >= 1 else (1 - w) * a2[name] + w * a3[name]
        angles[name] = float(a)
        reliable[name] = bool(lm_ok[_LANDMARKS_OF[name]].all()) and (flat or use_3d)
    for leg, lost in zip(("left", "right"), decision.lost, strict=True):
        if lost:  # MediaPipe lost this leg (folded onto or drawn over the other): its angles mean nothing
            reliable.update({f"{leg}_hip": False, f"{leg}_knee": False, f"{leg}_thigh_incline": False})

    fwd = head_direction(px)
    facing: Literal["left", "right"] | None = None
    if view == "side" and abs(fwd[0]) > 0.3:
        facing = "right" if fwd[0] > 0 else "left"
    lying = bool(angles["trunk_incline"] > 55)
    return Kinematics(pose.t_s, True, angles, reliable, view, facing, lying, swapped, pose, body_geometry(px))


def smooth_kinematics(kin: Kinematics, values: np.ndarray) -> Kinematics:
    """Replace the angle values (in SIGNALS order) with filtered ones, keeping everything else."""
    return replace(kin, angles={n: float(v) for n, v in zip(SIGNALS, values, strict=True)})


def mark_unreliable(kin: Kinematics, names: list[str]) -> Kinematics:
    """The same frame with these signals flagged unreliable (values kept, for plots)."""
    return replace(kin, reliable={**kin.reliable, **{n: False for n in names}})


def signal_vector(kin: Kinematics) -> np.ndarray:
    return np.array([kin.value(n) for n in SIGNALS])
