"""A side-view human figure drawn with OpenCV from exact 2D joint positions.

The recipe (measured with MediaPipe's full model): shaded tapered capsules (nested, shrinking, lighter
capsules fake a cylinder's shading) in skin / shirt / trouser colours, a head with hair, ear, eye, brow,
nose and mouth, shoes, on a wall-and-floor background with mild noise, drawn at 2x and downscaled with
INTER_AREA. No extra detail near the knee: kneecaps or shorts ending above the knee made MediaPipe's
knee worse.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SS = 2  # supersampling factor

SKIN = (224, 172, 138)  # RGB
SHIRT = (52, 101, 164)
TROUSERS = (58, 58, 72)
SHOE = (30, 30, 30)
HAIR = (60, 40, 25)


@dataclass(frozen=True)
class Joints:
    """Joint positions in output pixels (x right, y down). `near`/`far` are the legs/arms by depth."""

    head: np.ndarray  # centre of the head
    face: np.ndarray  # unit vector the face points to
    neck: np.ndarray
    shoulder: dict[str, np.ndarray]
    elbow: dict[str, np.ndarray]
    wrist: dict[str, np.ndarray]
    hip: dict[str, np.ndarray]
    knee: dict[str, np.ndarray]
    ankle: dict[str, np.ndarray]
    toe: dict[str, np.ndarray]

    def mirrored(self, width: int) -> Joints:
        def m(p: np.ndarray) -> np.ndarray:
            return np.array([width - p[0], p[1]])

        def md(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {k: m(v) for k, v in d.items()}

        return Joints(m(self.head), self.face * [-1, 1], m(self.neck), md(self.shoulder), md(self.elbow),
                      md(self.wrist), md(self.hip), md(self.knee), md(self.ankle), md(self.toe))


def background(width: int, height: int, seed: int, floor_y: float) -> np.ndarray:
    """A plain room: warm wall, darker floor, skirting line, mild noise (drawn at 2x)."""
    W, H = width * SS, height * SS
    rng = np.random.default_rng(seed)
    img = np.empty((H, W, 3), np.float32)
    fy = int(floor_y * SS)
    wall = np.array([214, 206, 190], np.float32)
    grad = np.linspace(0.92, 1.04, fy)[:, None, None] if fy > 0 else 1
    img[:fy] = wall * grad
    img[fy:] = np.array([150, 124, 98], np.float32)
    img[max(0, fy - 6 * SS):fy] = (235, 232, 225)
    img += rng.normal(0, 3.0, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(p[0] * SS)), int(round(p[1] * SS))


def _lighter(c: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    r, g, b = (int(min(255, v + (255 - v) * f)) for v in c)
    return r, g, b


def _darker(c: tuple[int, int, int], f: float) -> tuple[int, int, int]:
    r, g, b = (int(v * f) for v in c)
    return r, g, b


def capsule(img: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float, colour: tuple[int, int, int],
            shade: bool = True) -> None:
    """A tapered capsule from a (radius ra) to b (radius rb), in output pixels, with cylinder shading."""
    layers = ((1.0, 0.0), (0.72, 0.10), (0.45, 0.20)) if shade else ((1.0, 0.0),)
    for scale, light in layers:
        col = _lighter(colour, light)
        _tapered(img, a, b, ra * scale, rb * scale, col)


def _tapered(img: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float, col: tuple[int, int, int]) -> None:
    A, B = np.asarray(a, float) * SS, np.asarray(b, float) * SS
    RA, RB = ra * SS, rb * SS
    cv2.circle(img, (int(A[0]), int(A[1])), max(1, int(RA)), col, -1, cv2.LINE_AA)
    cv2.circle(img, (int(B[0]), int(B[1])), max(1, int(RB)), col, -1, cv2.LINE_AA)
    d = B - A
    n = np.linalg.norm(d)
    if n < 1e-6:
        return
    u = d / n
    perp = np.array([-u[1], u[0]])
    poly = np.array([A + perp * RA, B + perp * RB, B - perp * RB, A - perp * RA], np.int32)
    cv2.fillConvexPoly(img, poly, col, cv2.LINE_AA)


def draw_figure(img: np.ndarray, j: Joints, scale: float, near: str, far: str) -> None:
    """Draw the figure (far limbs first, darker) onto a 2x canvas."""
    s = scale  # body height in output pixels
    limb = {"thigh": (0.062 * s, 0.048 * s), "shin": (0.046 * s, 0.033 * s),
            "upper": (0.036 * s, 0.030 * s), "fore": (0.029 * s, 0.024 * s)}
    for side, dim in ((far, 0.78), (near, 1.0)):
        if side == near:
            _torso_and_head(img, j, s)
        trousers = _darker(TROUSERS, dim) if dim < 1 else TROUSERS
        skin = _darker(SKIN, dim) if dim < 1 else SKIN
        shirt = _darker(SHIRT, dim) if dim < 1 else SHIRT
        capsule(img, j.hip[side], j.knee[side], *limb["thigh"], trousers)
        capsule(img, j.knee[side], j.ankle[side], *limb["shin"], trousers)
        _shoe(img, j.ankle[side], j.toe[side], 0.030 * s, _darker(SHOE, dim))
        capsule(img, j.shoulder[side], j.elbow[side], *limb["upper"], shirt)
        capsule(img, j.elbow[side], j.wrist[side], *limb["fore"], skin)
        cv2.circle(img, _pt(j.wrist[side]), int(0.028 * s * SS), skin, -1, cv2.LINE_AA)


def _shoe(img: np.ndarray, ankle: np.ndarray, toe: np.ndarray, r: float, col: tuple[int, int, int]) -> None:
    heel = ankle + (ankle - toe) * 0.18
    capsule(img, heel, toe, r * 1.05, r * 0.8, col, shade=False)
    sole = _lighter(col, 0.5)
    d = toe - heel
    n = np.linalg.norm(d)
    if n > 0:
        perp = np.array([-d[1], d[0]]) / n
        # the sole sits on the side away from the leg
        leg_side = 1 if np.dot(perp, ankle - (heel + toe) / 2) < 0 else -1
        off = perp * r * 0.8 * leg_side
        cv2.line(img, _pt(heel + off), _pt(toe + off), sole, max(1, int(r * 0.35 * SS)), cv2.LINE_AA)


def _torso_and_head(img: np.ndarray, j: Joints, s: float) -> None:
    hip = (j.hip["left"] + j.hip["right"]) / 2
    sh = (j.shoulder["left"] + j.shoulder["right"]) / 2
    # trousers over the pelvis, shirt over the trunk
    capsule(img, hip, hip + (sh - hip) * 0.25, 0.085 * s, 0.080 * s, TROUSERS)
    capsule(img, hip + (sh - hip) * 0.15, sh, 0.080 * s, 0.075 * s, SHIRT)
    capsule(img, j.neck, j.neck + (j.head - j.neck) * 0.45, 0.030 * s, 0.030 * s, SKIN)
    _head(img, j.head, j.face, j.head - j.neck, 0.066 * s)


def _head(img: np.ndarray, c: np.ndarray, face: np.ndarray, crown: np.ndarray, r: float) -> None:
    """Hair behind, then the face: skin oval, ear, eye, brow, nose and mouth on the `face` side."""
    f = face / (np.linalg.norm(face) or 1.0)
    up = crown / (np.linalg.norm(crown) or 1.0)
    angle = float(np.degrees(np.arctan2(up[1], up[0])))
    cv2.circle(img, _pt(c - f * r * 0.14 + up * r * 0.10), int(r * 1.0 * SS), HAIR, -1, cv2.LINE_AA)
    cv2.ellipse(img, _pt(c + f * r * 0.08 - up * r * 0.04), (int(r * 1.0 * SS), int(r * 0.86 * SS)), angle, 0, 360,
                SKIN, -1, cv2.LINE_AA)
    cv2.ellipse(img, _pt(c - f * r * 0.12 - up * r * 0.05), (int(r * 0.24 * SS), int(r * 0.16 * SS)), angle, 0, 360,
                _darker(SKIN, 0.82), -1, cv2.LINE_AA)
    eye = c + f * r * 0.58 + up * r * 0.18
    cv2.circle(img, _pt(eye), max(1, int(r * 0.12 * SS)), (250, 250, 250), -1, cv2.LINE_AA)
    cv2.circle(img, _pt(eye + f * r * 0.05), max(1, int(r * 0.07 * SS)), (40, 30, 20), -1, cv2.LINE_AA)
    cv2.line(img, _pt(eye + up * r * 0.22 - f * r * 0.15), _pt(eye + up * r * 0.24 + f * r * 0.12), HAIR,
             max(1, int(r * 0.08 * SS)), cv2.LINE_AA)
    base = c + f * r * 0.95 - up * r * 0.02
    tip = base + f * r * 0.26 - up * r * 0.14
    poly = np.array([_pt(base + up * r * 0.16), _pt(tip), _pt(base - up * r * 0.14)], np.int32)
    cv2.fillConvexPoly(img, poly, _darker(SKIN, 0.92), cv2.LINE_AA)
    m = c + f * r * 0.78 - up * r * 0.45
    cv2.line(img, _pt(m - f * r * 0.12), _pt(m + f * r * 0.1), (150, 70, 70), max(1, int(r * 0.07 * SS)),
             cv2.LINE_AA)


def render(bg2x: np.ndarray, j: Joints | None, scale: float, near: str, far: str) -> np.ndarray:
    """One RGB output frame (downscaled from the 2x canvas); None joints = an empty room."""
    img = bg2x.copy()
    if j is not None:
        draw_figure(img, j, scale, near, far)
    return cv2.resize(img, (bg2x.shape[1] // SS, bg2x.shape[0] // SS), interpolation=cv2.INTER_AREA)
