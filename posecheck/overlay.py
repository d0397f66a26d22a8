"""Drawing on a frame: skeleton, hip/knee angles at the joints, rep counter, hold ring and the current cue.

A sink: it only reads what the flow produced (`Kinematics` for geometry, `Hud` for the tracker's
state) and never computes a rule or counts anything. Frames are RGB; OpenCV draws in place on a copy.
Hershey fonts are ASCII-only, so the degree sign is drawn as a small ring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from posecheck import pose as P
from posecheck.kinematics import Kinematics, twin

# RGB colours for joint status: in range / close to the limit / out of range, and neutral.
COLOURS = {"ok": (46, 204, 113), "close": (255, 193, 7), "bad": (231, 76, 60), "none": (236, 240, 241)}
SEVERITY_COLOURS = {"error": COLOURS["bad"], "warning": COLOURS["close"], "info": (255, 255, 255)}
PANEL = (20, 24, 30)
FONT = cv2.FONT_HERSHEY_SIMPLEX

# Which landmark is the vertex of each joint signal (where its angle is written).
_VERTEX = {"left_hip": P.LEFT_HIP, "right_hip": P.RIGHT_HIP, "left_knee": P.LEFT_KNEE, "right_knee": P.RIGHT_KNEE}


@dataclass(frozen=True)
class Hud:
    """The tracker's state as the overlay shows it (built by report.hud_from_state)."""

    exercise: str
    reps_left: int = 0
    reps_right: int = 0
    reps_total: int = 0
    per_side: bool = False
    partial: int = 0
    target_reps: int | None = None
    hold_s: float | None = None
    hold_target_s: float | None = None
    phase: str = "setup"
    cue: str | None = None
    cue_severity: str = "info"
    status: str | None = None  # why nothing is counted right now; shown instead of the cue
    joint_status: dict[str, str] = field(default_factory=dict)
    exchanged: frozenset[str] = frozenset()  # joints whose reading the rules took from the other leg


def draw_overlay(rgb: np.ndarray, kin: Kinematics, hud: Hud) -> np.ndarray:
    """A copy of `rgb` with the skeleton, joint angles, counters, hold ring and cue drawn on it."""
    out = np.ascontiguousarray(rgb).copy()
    h, w = out.shape[:2]
    scale = max(0.45, min(w, h) / 720)  # text and lines grow with the frame, legible on 320 px too
    if kin.detected and kin.pose is not None and kin.pose.image_px is not None:
        draw_skeleton(out, kin.pose.image_px, kin.pose.visibility, scale)
        draw_joint_angles(out, kin, hud.joint_status, scale, hud.exchanged)
    draw_counter(out, hud, scale)
    if hud.hold_s is not None:
        draw_hold_ring(out, hud.hold_s, hud.hold_target_s, scale)
    draw_cue(out, hud.status or hud.cue, "warning" if hud.status else hud.cue_severity, scale)
    return out


def joint_colour(status: str | None) -> tuple[int, int, int]:
    return COLOURS.get(status or "none", COLOURS["none"])


def draw_skeleton(img: np.ndarray, px: np.ndarray, vis: np.ndarray | None, scale: float) -> None:
    thick = max(2, round(3 * scale))
    for a, b in P.SKELETON_EDGES:
        if vis is not None and min(vis[a], vis[b]) < 0.3:
            continue  # a guessed limb drawn solid would look like a measurement
        cv2.line(img, _pt(px[a]), _pt(px[b]), (255, 255, 255), thick + 2, cv2.LINE_AA)
        cv2.line(img, _pt(px[a]), _pt(px[b]), (52, 152, 219), thick, cv2.LINE_AA)
    for i in (P.LEFT_SHOULDER, P.RIGHT_SHOULDER, P.LEFT_HIP, P.RIGHT_HIP, P.LEFT_KNEE, P.RIGHT_KNEE,
              P.LEFT_ANKLE, P.RIGHT_ANKLE):
        if vis is None or vis[i] >= 0.3:
            cv2.circle(img, _pt(px[i]), thick + 2, (255, 255, 255), -1, cv2.LINE_AA)


Joint = tuple[str, tuple[int, int], float]  # (signal name, vertex pixel, degrees)


@dataclass(frozen=True)
class AngleLabel:
    """One joint angle's label: its text and box (top-left x, text baseline y, text width and height)."""

    name: str
    text: str
    x: int
    y: int
    tw: int
    th: int

    def box(self) -> tuple[int, int, int, int]:
        return self.x - 3, self.y - self.th - 4, self.x + self.tw + 10, self.y + 5

    def overlaps(self, other: AngleLabel) -> bool:
        a, b = self.box(), other.box()
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_angle_labels(joints: list[Joint], w: int, h: int,
                       scale: float) -> list[AngleLabel]:
    """Labels for (signal name, vertex pixel, degrees), beside each joint on the side away from the body's centre.
    Where two would overlap (a side view draws both knees on one spot), the later one moves below the earlier and
    both say their side ("L 170", "R 81"): one number on top of another read as the wrong leg's."""
    fs = 0.6 * scale

    def label(name: str, xy: tuple[int, int], text: str, below: AngleLabel | None = None) -> AngleLabel:
        (tw, th), _ = cv2.getTextSize(text, FONT, fs, 2)
        x, y = xy
        tx = x + round(12 * scale) if x > w / 2 else x - tw - round(18 * scale)
        tx = int(min(max(2, tx), w - tw - 10))
        ty = y - round(8 * scale) if below is None else below.y + below.th + 10
        return AngleLabel(name, text, tx, int(min(max(th + 2, ty), h - 4)), tw, th)

    placed: list[AngleLabel] = []
    for name, xy, v in joints:
        lab = label(name, xy, f"{v:.0f}")
        for _ in range(len(placed)):  # each move goes below one earlier label: at most that many moves
            hit = next((i for i, p in enumerate(placed) if p.overlaps(lab)), None)
            if hit is None:
                break
            other = placed[hit]
            if not other.text.startswith(("L ", "R ")):  # say its side too, where it was
                redone = label(other.name, joints[hit][1], _sided(other.name, other.text))
                placed[hit] = replace(redone, y=other.y)
            lab = label(name, xy, _sided(name, lab.text), below=placed[hit])
        placed.append(lab)
    return placed


def _sided(name: str, text: str) -> str:
    side = "L" if name.startswith("left_") else "R" if name.startswith("right_") else ""
    return text if not side or text.startswith(side + " ") else f"{side} {text}"


def joint_readings(kin: Kinematics, exchanged: frozenset[str] = frozenset()) -> list[Joint]:
    """(signal name, vertex pixel, degrees) of each hip and knee seen reliably, each read as the rules read it."""
    assert kin.pose is not None and kin.pose.image_px is not None  # drawn for a detected pose only
    px = kin.pose.image_px
    out = []
    for name, idx in _VERTEX.items():
        reading = twin(name) if name in exchanged else name
        if math.isfinite(kin.value(reading)) and kin.ok(reading):
            out.append((name, _pt(px[idx]), kin.value(reading)))
    return out


def draw_joint_angles(img: np.ndarray, kin: Kinematics, joint_status: dict[str, str], scale: float,
                      exchanged: frozenset[str] = frozenset()) -> None:
    """Each hip/knee angle written beside its joint, coloured by the rules' verdict on that joint. A reading the
    rules took from the other leg (`exchanged`: MediaPipe swapped the two where they overlap) is written as they
    read it, so the number beside a joint is the one its colour judges."""
    h, w = img.shape[:2]
    joints = joint_readings(kin, exchanged)
    fs = 0.6 * scale
    for name, xy, _ in joints:  # every dot before any label: a side view puts one hip's dot on the other's label
        cv2.circle(img, xy, max(5, round(8 * scale)), joint_colour(joint_status.get(name)), -1, cv2.LINE_AA)
    for (name, _, _), lab in zip(joints, place_angle_labels(joints, w, h, scale), strict=True):
        colour = joint_colour(joint_status.get(name))
        cv2.rectangle(img, *_corners(lab.box()), PANEL, -1)
        cv2.putText(img, lab.text, (lab.x, lab.y), FONT, fs, colour, 2, cv2.LINE_AA)
        cv2.circle(img, (lab.x + lab.tw + 5, lab.y - lab.th + 2), max(2, round(3 * scale)), colour, 1, cv2.LINE_AA)


def _corners(box: tuple[int, int, int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    return (box[0], box[1]), (box[2], box[3])


def counter_lines(hud: Hud) -> list[str]:
    """The counter as text lines: per side for one-side-at-a-time exercises, else a total."""
    target = f"/{hud.target_reps}" if hud.target_reps else ""
    if hud.per_side:
        lines = [f"L {hud.reps_left}{target}", f"R {hud.reps_right}{target}"]
    else:
        lines = [f"{hud.reps_total}{target}"]
    if hud.partial:
        lines.append(f"partial {hud.partial}")
    return lines


def draw_counter(img: np.ndarray, hud: Hud, scale: float) -> None:
    lines = counter_lines(hud)
    big = 1.3 * scale
    small = 0.5 * scale
    pad = round(10 * scale)
    sizes = [cv2.getTextSize(t, FONT, big if i < (2 if hud.per_side else 1) else small, 3)[0]
             for i, t in enumerate(lines)]
    title = hud.exercise
    (ttw, tth), _ = cv2.getTextSize(title, FONT, small, 1)
    width = max([ttw] + [s[0] for s in sizes]) + 2 * pad
    height = tth + pad * 2 + sum(s[1] + pad for s in sizes)
    _panel(img, (0, 0), (width, height), 0.65)
    y = pad + tth
    cv2.putText(img, title, (pad, y), FONT, small, (255, 255, 255), 1, cv2.LINE_AA)
    for i, (text, (_, th)) in enumerate(zip(lines, sizes, strict=True)):
        y += th + pad
        is_big = i < (2 if hud.per_side else 1)
        colour = (255, 255, 255) if is_big else COLOURS["close"]
        cv2.putText(img, text, (pad, y), FONT, big if is_big else small, colour, 3 if is_big else 1, cv2.LINE_AA)


def draw_hold_ring(img: np.ndarray, hold_s: float, target_s: float | None, scale: float) -> None:
    """A ring in the top-right corner filling up to the hold target, with the seconds in its middle."""
    h, w = img.shape[:2]
    r = round(42 * scale)
    c = (w - r - round(14 * scale), r + round(14 * scale))
    cv2.circle(img, c, r + round(8 * scale), PANEL, -1, cv2.LINE_AA)
    cv2.circle(img, c, r, (90, 90, 90), max(3, round(6 * scale)), cv2.LINE_AA)
    frac = min(1.0, hold_s / target_s) if target_s else 0.0
    done = target_s is not None and hold_s >= target_s
    if frac > 0:
        cv2.ellipse(img, c, (r, r), -90, 0, 360 * frac, COLOURS["ok"] if done else COLOURS["close"],
                    max(3, round(6 * scale)), cv2.LINE_AA)
    text = f"{hold_s:.0f}s" if hold_s >= 10 else f"{hold_s:.1f}s"
    fs = 0.6 * scale
    (tw, th), _ = cv2.getTextSize(text, FONT, fs, 2)
    cv2.putText(img, text, (c[0] - tw // 2, c[1] + th // 2), FONT, fs, (255, 255, 255), 2, cv2.LINE_AA)


def draw_cue(img: np.ndarray, cue: str | None, severity: str, scale: float) -> None:
    """The current cue in words, in a band along the bottom edge."""
    if not cue:
        return
    h, w = img.shape[:2]
    fs = 0.7 * scale
    text = _ascii(cue)
    (tw, th), _ = cv2.getTextSize(text, FONT, fs, 2)
    while tw > w - 20 and fs > 0.3:  # long cues shrink rather than run off the frame
        fs *= 0.9
        (tw, th), _ = cv2.getTextSize(text, FONT, fs, 2)
    pad = round(10 * scale)
    _panel(img, (0, h - th - 2 * pad), (w, h), 0.7)
    colour = SEVERITY_COLOURS.get(severity, (255, 255, 255))
    cv2.putText(img, text, ((w - tw) // 2, h - pad), FONT, fs, colour, 2, cv2.LINE_AA)


def _panel(img: np.ndarray, p0: tuple[int, int], p1: tuple[int, int], alpha: float) -> None:
    """A translucent dark rectangle (blended only inside its own box, so it stays cheap)."""
    x0, y0 = max(0, p0[0]), max(0, p0[1])
    x1, y1 = min(img.shape[1], p1[0]), min(img.shape[0], p1[1])
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    roi[:] = (roi * (1 - alpha) + np.array(PANEL, np.float32) * alpha).astype(np.uint8)


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def _ascii(text: str) -> str:
    return text.replace("\u00b0", " deg").replace("\u2013", "-").replace("\u2014", "-").encode(
        "ascii", "replace").decode()
