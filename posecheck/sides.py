"""Left/right kept consistent across frames: which MediaPipe leg is which anatomical leg.

MediaPipe decides left/right per frame, and in side views it flips: the whole body for people lying
down, and the legs alone when they cross or one is pulled over the other. `SideTracker` fixes both:

- Body: the head/torso geometry (`kinematics.labels_swapped`) decides the orientation, but only a
  decision held for `body_frames` frames in a row changes it, so a one-frame flip does not.
- Legs: each MediaPipe leg goes to the anatomical leg whose previous position (knee and ankle) it is
  nearest. The labels are overruled only when crossing them fits clearly better (by `margin` of the
  trunk length); when the legs overlap (ambiguous) MediaPipe's labels stand.

Pure numpy on one frame's landmarks, a few microseconds; one tracker per person stream, `reset()`
when the person is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posecheck import pose as P

# Landmark pairs that belong to the legs (swapped together when only the legs are mislabelled).
LEG_PAIRS: tuple[tuple[int, int], ...] = (
    (P.LEFT_HIP, P.RIGHT_HIP), (P.LEFT_KNEE, P.RIGHT_KNEE), (P.LEFT_ANKLE, P.RIGHT_ANKLE),
    (P.LEFT_HEEL, P.RIGHT_HEEL), (P.LEFT_FOOT, P.RIGHT_FOOT),
)  # fmt: skip
_LEFT_LEG = np.array([a for a, _ in LEG_PAIRS])
_RIGHT_LEG = np.array([b for _, b in LEG_PAIRS])
_TRACKED = np.array([[P.LEFT_KNEE, P.LEFT_ANKLE], [P.RIGHT_KNEE, P.RIGHT_ANKLE]])  # (leg, point)


def swap_left_right(arr: np.ndarray) -> np.ndarray:
    """Copy of a (33, ...) landmark array with every left/right pair exchanged."""
    out = arr.copy()
    for a, b in P.LEFT_RIGHT_PAIRS:
        out[[a, b]] = arr[[b, a]]
    return out


def swap_legs(arr: np.ndarray) -> np.ndarray:
    """Copy of a (33, ...) landmark array with the left and right leg landmarks exchanged."""
    out = arr.copy()
    out[_LEFT_LEG], out[_RIGHT_LEG] = arr[_RIGHT_LEG], arr[_LEFT_LEG]
    return out


def trunk_length(px: np.ndarray) -> float:
    mid_sh = (px[P.LEFT_SHOULDER, :2] + px[P.RIGHT_SHOULDER, :2]) / 2
    mid_hip = (px[P.LEFT_HIP, :2] + px[P.RIGHT_HIP, :2]) / 2
    return float(np.linalg.norm(mid_sh - mid_hip))


def legs_cross_better(px: np.ndarray, prev: np.ndarray, margin_px: float) -> bool:
    """True when exchanging the two legs of `px` fits the previous leg positions `prev` (2, 2, 2) clearly
    better than keeping them: summed knee and ankle distances, crossed vs kept, differ by > margin_px. Never
    when the legs were within margin_px of each other last frame (superimposed in a side view: ambiguous)."""
    if np.linalg.norm(prev[0] - prev[1], axis=-1).sum() < margin_px:
        return False  # the legs were on top of each other: continuity cannot tell them apart
    cur = px[_TRACKED, :2]
    keep = np.linalg.norm(cur - prev, axis=-1).sum()
    cross = np.linalg.norm(cur[::-1] - prev, axis=-1).sum()
    return bool(keep - cross > margin_px)


def leg_lengths(px: np.ndarray) -> np.ndarray:
    """2D (thigh, shin) lengths of the (left, right) leg: shape (2, 2)."""
    hip, knee, ankle = (px[[a, b], :2] for a, b in LEG_PAIRS[:3])
    return np.stack([np.linalg.norm(knee - hip, axis=-1), np.linalg.norm(ankle - knee, axis=-1)], axis=-1)


def collapsed_legs(px: np.ndarray, min_ratio: float) -> tuple[bool, bool]:
    """(left, right): the leg's thigh or shin looks shorter than `min_ratio` of the other leg's.

    In a side view both legs move in the image plane, so their 2D lengths match; a leg drawn much
    shorter is MediaPipe losing it (typically folded onto the other leg), not real foreshortening.
    """
    ln = leg_lengths(px)
    return bool((ln[0] < min_ratio * ln[1]).any()), bool((ln[1] < min_ratio * ln[0]).any())


@dataclass(frozen=True)
class SideDecision:
    body: bool  # swap every left/right pair (MediaPipe mislabelled the whole body)
    legs: bool  # then swap the legs (MediaPipe swapped the legs alone)
    lost: tuple[bool, bool] = (False, False)  # (left, right) leg, after the swaps: MediaPipe lost it


class SideTracker:
    """Per-frame left/right decision that stays consistent over time; one per person stream."""

    def __init__(self, margin: float = 0.25, body_frames: int = 3, min_leg_ratio: float = 0.65,
                 max_override_s: float = 0.3, max_lost_s: float = 1.0) -> None:
        self.margin = margin  # fraction of the trunk length a crossed fit must win by
        # MediaPipe's leg labels are overruled for at most this long in a row: a longer disagreement is
        # more likely the tracker having followed a MediaPipe mistake, so MediaPipe's labels win again.
        self.max_override_s = max_override_s
        self.body_frames = body_frames  # frames a new body orientation must hold before it is taken
        self.min_leg_ratio = min_leg_ratio  # see collapsed_legs
        # A leg judged lost because it stays near the other leg rather than where it was last trusted is given
        # back after this long: the memory is stale (a camera cut, both legs really together in a knee hug).
        self.max_lost_s = max_lost_s
        self.reset()

    def reset(self) -> None:
        self._body: bool | None = None
        self._streak = 0
        self._prev: np.ndarray | None = None  # (leg, knee/ankle, xy) as assigned last frame
        self._trusted: np.ndarray | None = None  # the same, as last seen not lost
        self._lost: tuple[bool, bool] = (False, False)
        self._lost_since: list[float | None] = [None, None]
        self._override_since: float | None = None

    def update(self, px: np.ndarray, body_vote: bool, side_view: bool = True, t_s: float = 0.0) -> SideDecision:
        """`px` (33, >=2) as MediaPipe labelled it; `body_vote`: this frame's head/torso geometry says the
        whole body is mislabelled. Lost legs are only judged in side views (`side_view`)."""
        body = self._vote_body(body_vote)
        pts = swap_left_right(px[:, :2]) if body else px[:, :2]
        trunk = trunk_length(pts)
        legs = self._legs_swapped(pts, trunk, t_s)
        if legs:
            pts = swap_legs(pts)
        cur = pts[_TRACKED]
        self._prev = cur
        lost = self._lost_legs(pts, cur, trunk, side_view, t_s)
        self._expire_lost(lost, pts, t_s)
        self._remember(cur, lost)
        self._lost = (lost[0], lost[1])
        return SideDecision(body, legs, self._lost)

    def _vote_body(self, body_vote: bool) -> bool:
        """The whole body's orientation: a new one is taken once it has held for `body_frames` frames."""
        if self._body is None:
            self._body = body_vote
        elif body_vote != self._body:
            self._streak += 1
            if self._streak >= self.body_frames:
                self._body, self._streak = body_vote, 0
        else:
            self._streak = 0
        return self._body

    def _legs_swapped(self, pts: np.ndarray, trunk: float, t_s: float) -> bool:
        """Continuity says MediaPipe swapped the legs alone (overruled for at most `max_override_s` in a row)."""
        legs = self._prev is not None and legs_cross_better(pts, self._prev, self.margin * trunk)
        if not legs:
            self._override_since = None
        elif self._override_since is None:
            self._override_since = t_s
        elif t_s - self._override_since > self.max_override_s:
            legs = False  # overruled too long: back to MediaPipe's labels, and continue from them
            self._override_since = None
        return legs

    def _lost_legs(self, pts: np.ndarray, cur: np.ndarray, trunk: float, side_view: bool, t_s: float) -> list[bool]:
        """(left, right): MediaPipe lost the leg (collapsed, drawn onto the other, or still lost)."""
        lost = list(collapsed_legs(pts, self.min_leg_ratio)) if side_view else [False, False]
        if side_view and self._trusted is not None:
            m = self.margin * trunk
            # d[i, k]: leg i now vs where leg k was last seen (knee + ankle distances).
            d = np.linalg.norm(cur[:, None] - self._trusted[None], axis=-1).sum(axis=-1).tolist()
            to_other = float(np.linalg.norm(cur[0] - cur[1], axis=-1).sum())
            for i, j in ((0, 1), (1, 0)):
                # Both legs now where leg j was: MediaPipe draws leg j twice and has lost leg i.
                onto_other = d[i][i] - d[i][j] > m and d[j][j] + m < d[j][i]
                # Lost last frame and still nearer the other leg than where it was last seen: still lost.
                since = self._lost_since[i]
                still = self._lost[i] and d[i][i] - to_other > m and (since is None or t_s - since < self.max_lost_s)
                lost[i] = lost[i] or onto_other or still
        return lost

    def _expire_lost(self, lost: list[bool], pts: np.ndarray, t_s: float) -> None:
        """Time each leg's loss; one lost for `max_lost_s` and no longer collapsed is given back (in `lost`)."""
        for i in range(2):
            since = self._lost_since[i]
            if not lost[i]:
                self._lost_since[i] = None
            elif since is None:
                self._lost_since[i] = t_s
            elif t_s - since >= self.max_lost_s and not collapsed_legs(pts, self.min_leg_ratio)[i]:
                lost[i], self._lost_since[i] = False, None  # stale memory: trust where the leg is now

    def _remember(self, cur: np.ndarray, lost: list[bool]) -> None:
        """Where each leg not lost is now: the place a leg is judged against next frame."""
        if self._trusted is None:
            self._trusted = cur.copy()
        else:
            for i in range(2):
                if not lost[i]:
                    self._trusted[i] = cur[i]
