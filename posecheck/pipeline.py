"""The per-frame step shared by the CLI, clip review and the live webcam: frame -> pose -> kinematics.

`AnglePipeline.step` is the only place a frame turns into signals, so every front door gets the same
numbers. Streaming throughout: nothing keeps frames, so memory does not grow with clip length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posecheck.engine import SideChoice, Tracker
from posecheck.exercises import Exercise
from posecheck.filters import GlitchGate, OneEuroFilter, OneEuroParams
from posecheck.kinematics import (
    SIGNALS,
    AngleSource,
    Kinematics,
    SideTracker,
    compute_kinematics,
    mark_unreliable,
    signal_vector,
    smooth_kinematics,
)
from posecheck.pose import PoseEstimator, PoseFrame
from posecheck.report import AngleSeries, Report, build_report, hud_from_state
from posecheck.sources import Frame, open_video
from posecheck.video_out import H264Writer

DEFAULT_SMOOTHING = OneEuroParams()
MAX_SIDE_PX = 1280
DEFAULT_SOURCE: AngleSource = "auto"  # 2D in side views, 3D where the front view foreshortens (README)


@dataclass(frozen=True)
class StepResult:
    frame: Frame
    pose: PoseFrame
    raw: Kinematics  # unsmoothed, for plots and diagnostics
    kin: Kinematics  # smoothed: what rules read


class AnglePipeline:
    """Owns one MediaPipe graph and one filter state: use one per clip or per live stream."""

    def __init__(self, source: AngleSource = DEFAULT_SOURCE, smoothing: OneEuroParams | None = DEFAULT_SMOOTHING,
                 model_path: str | Path | None = None) -> None:
        self.source = source
        self.estimator = PoseEstimator(model_path)
        self._filter = OneEuroFilter(len(SIGNALS), smoothing) if smoothing is not None else None
        self._sides = SideTracker()  # left/right kept consistent across frames
        self._glitches = GlitchGate(len(SIGNALS))  # jumps faster than a body moves are not trusted

    def step(self, frame: Frame) -> StepResult:
        pose = self.estimator.process(frame.rgb, frame.t_s)
        raw = compute_kinematics(pose, self.source, sides=self._sides)  # resets `_sides` when the person is lost
        if not raw.detected:
            self._glitches.reset()
            if self._filter is not None:
                self._filter.reset()  # a lost person starts fresh, never blended with the old pose
            return StepResult(frame, pose, raw, raw)
        values = signal_vector(raw)
        distrusted = np.array([not raw.ok(n) for n in SIGNALS])
        glitch = self._glitches(frame.t_s, values, distrusted)
        if glitch.any():
            raw = mark_unreliable(raw, [n for n, g in zip(SIGNALS, glitch, strict=True) if g])
        kin = raw
        if self._filter is not None:
            # Unreliable channels (a lost leg, a glitch) pass through without entering the filter state,
            # so they never smear into the frames after them.
            kin = smooth_kinematics(raw, self._filter(frame.t_s, values, distrusted | glitch))
        return StepResult(frame, pose, raw, kin)

    def close(self) -> None:
        self.estimator.close()

    def __enter__(self) -> AnglePipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def downscale(frame: Frame, max_side: int) -> Frame:
    scale = max_side / max(frame.width, frame.height)
    size = (max(2, round(frame.width * scale)), max(2, round(frame.height * scale)))
    return Frame(frame.t_s, cv2.resize(frame.rgb, size, interpolation=cv2.INTER_AREA), frame.index)


def angle_row(kin: Kinematics) -> list[float]:
    return [kin.value(n) for n in SIGNALS]


def finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


# --- whole-clip analysis (CLI `analyze`, the Review page) ----------------------------------------


def analyze_clip(path: str | Path, exercise: Exercise, side: SideChoice = "auto", *,
                 source: AngleSource = DEFAULT_SOURCE, model_path: str | Path | None = None,
                 out_video: str | Path | None = None, max_side: int | None = MAX_SIDE_PX,
                 progress: Callable[[int, int], None] | None = None) -> Report:
    """Run a clip through pose -> kinematics -> tracker, optionally writing the annotated H.264 clip.

    Frames larger than `max_side` pixels are scaled down first: the pose model sees 256 px anyway, a
    uniform scale leaves every angle unchanged, and a 4K phone clip would otherwise be slow to decode,
    draw and encode. `progress(frames_done, frames_expected)` is called after every frame.
    """
    video = open_video(path)
    info = video.info
    tracker = Tracker(exercise, side)
    series = AngleSeries()
    frames = with_pose = 0
    last_t = 0.0
    writer = None
    try:
        with AnglePipeline(source, DEFAULT_SMOOTHING, model_path) as pipe:
            for frame in video:
                if max_side and max(frame.width, frame.height) > max_side:
                    frame = downscale(frame, max_side)
                res = pipe.step(frame)
                state = tracker.update(res.kin)
                frames += 1
                with_pose += res.kin.detected
                last_t = frame.t_s
                series.add(res.kin, state)
                if out_video is not None:
                    from posecheck.overlay import draw_overlay  # drawing is only needed for video out

                    if writer is None:
                        writer = H264Writer(out_video, info.fps, frame.width, frame.height)
                    writer.write(draw_overlay(frame.rgb, res.kin, hud_from_state(exercise, state)), t_s=frame.t_s,
                                 rgb=True)
                if progress is not None:
                    progress(frames, info.frame_count)
    finally:
        if writer is not None:
            writer.close()
    tracker.finish()
    fps = (frames - 1) / last_t if frames > 1 and last_t > 0 else info.fps
    return build_report(str(path), exercise, tracker, series, info, frames, with_pose, fps, last_t)
