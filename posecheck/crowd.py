"""Is someone else in the picture? MediaPipe Pose follows one person; with two in view the counts are
one person's (or a mix, when it jumps between them) and nothing says so. This check says so.

About once a second the tracked person is blanked out of the frame (their landmarks' box, with a
margin) and the bundled pose model, in static-image mode, looks at what is left. A body found there
in two checks running is a second person. The check runs on a frame scaled to at most `MAX_SIDE` px,
so it costs one small extra inference a second (a few percent of the per-frame work; see README).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2
import numpy as np

from posecheck.pose import Estimator, PoseEstimator, PoseFrame

MAX_SIDE = 640
MIN_VISIBLE = 0.5  # a landmark counts as seen above this visibility
MIN_LANDMARKS = 12  # ... and a body needs this many seen (hips, knees, shoulders and more)
MIN_HEIGHT = 0.2  # of the frame height: smaller finds (a hand, a poster's face) are not a person
MAX_OVERLAP = 0.3  # of the found body's box inside the tracked person's: that is them again, not another


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)

    def grown(self, margin: float, width: int, height: int) -> Box:
        dx, dy = margin * (self.x1 - self.x0), margin * (self.y1 - self.y0)
        return Box(max(0.0, self.x0 - dx), max(0.0, self.y0 - dy), min(width, self.x1 + dx), min(height, self.y1 + dy))

    def overlap_of(self, other: Box) -> float:
        """The share of `other`'s area that lies inside this box."""
        inter = Box(max(self.x0, other.x0), max(self.y0, other.y0), min(self.x1, other.x1), min(self.y1, other.y1))
        return inter.area / other.area if other.area > 0 else 0.0


def body_box(pose: PoseFrame) -> Box | None:
    """The box around a pose's seen landmarks, in pixels; None when too little of a body was seen."""
    if pose.image_px is None or pose.visibility is None:
        return None
    seen = pose.image_px[pose.visibility > MIN_VISIBLE, :2]
    if len(seen) < MIN_LANDMARKS:
        return None
    (x0, y0), (x1, y1) = seen.min(axis=0), seen.max(axis=0)
    return Box(float(x0), float(y0), float(x1), float(y1))


def blank_out(rgb: np.ndarray, box: Box) -> np.ndarray:
    """A copy of the frame with `box` filled by the frame's mean colour (no edges for a detector to find)."""
    out = rgb.copy()
    x0, y0, x1, y1 = int(box.x0), int(box.y0), int(np.ceil(box.x1)), int(np.ceil(box.y1))
    out[y0:y1, x0:x1] = rgb.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    return out


class SecondPersonCheck:
    """Per-frame `update(frame_rgb, pose, t_s)`: returns the warning once, when a second person is first
    confirmed, else None. `warning` keeps it for a report. `frame_rgb` must be the image `pose` was
    estimated on (the same pixels). The detector is built on first use and must be closed (`close()`,
    or use as a context manager)."""

    def __init__(self, interval_s: float = 1.0, margin: float = 0.15, confirm: int = 2,
                 detector: Estimator | None = None, threads: int | None = None) -> None:
        self.interval_s = interval_s
        self.threads = threads  # the detector's inference threads (None: pose.default_pose_threads)
        self.margin = margin
        self.confirm = confirm
        self.warning: str | None = None
        self.checks = 0  # inferences run (for the cost measurement)
        self._detector = detector
        self._next_t = 0.0
        self._recent: deque[bool] = deque(maxlen=confirm)

    def update(self, frame_rgb: np.ndarray, pose: PoseFrame, t_s: float) -> str | None:
        if self.warning is not None or t_s < self._next_t:
            return None
        tracked = body_box(pose)
        if tracked is None:  # nobody tracked (or barely): nothing to compare against
            return None
        self._next_t = t_s + self.interval_s
        self._recent.append(self._someone_else(frame_rgb, tracked))
        if len(self._recent) == self.confirm and all(self._recent):
            since = max(0.0, t_s - (self.confirm - 1) * self.interval_s)
            self.warning = (f"A second person is in view (from {since:.0f} s): the counts follow one person only. "
                            "Film one person at a time.")
            return self.warning
        return None

    def _someone_else(self, rgb: np.ndarray, tracked: Box) -> bool:
        h, w = rgb.shape[:2]
        scale = min(1.0, MAX_SIDE / max(h, w))
        masked = blank_out(rgb, tracked.grown(self.margin, w, h))
        if scale < 1.0:
            masked = cv2.resize(masked, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        if self._detector is None:
            self._detector = PoseEstimator(static=True, threads=self.threads)
        self.checks += 1
        found = self._detector.process(masked, 0.0)
        other = body_box(found)
        if other is None:
            return False
        other = Box(other.x0 / scale, other.y0 / scale, other.x1 / scale, other.y1 / scale)
        tall_enough = (other.y1 - other.y0) >= MIN_HEIGHT * h
        return tall_enough and tracked.grown(self.margin, w, h).overlap_of(other) <= MAX_OVERLAP

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def __enter__(self) -> SecondPersonCheck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
