"""The per-frame step shared by the CLI, clip review and the live webcam: frame -> pose -> kinematics.

`AnglePipeline.step` is the only place a frame turns into signals, so every front door gets the same
numbers. Streaming throughout: nothing keeps frames, so memory does not grow with clip length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecheck import pose as pose_module
from posecheck.crowd import SecondPersonCheck
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
from posecheck.overlay import Hud
from posecheck.pose import Estimator, PoseFrame
from posecheck.posetrack import PoseTrack, ReplayEstimator
from posecheck.recognize import Recognizer
from posecheck.records import TrackerState
from posecheck.report import AngleSeries, Report, build_report, hud_from_state
from posecheck.sources import Frame, VideoInfo, open_video
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
                 model_path: str | Path | None = None, estimator: Estimator | None = None) -> None:
        self.source = source
        # Looked up at call time (not imported by name) so a test can swap in recorded poses everywhere.
        self.estimator = estimator if estimator is not None else pose_module.make_estimator(model_path)
        self._filter = OneEuroFilter(len(SIGNALS), smoothing) if smoothing is not None else None
        self._sides = SideTracker()  # left/right kept consistent across frames
        self._glitches = GlitchGate(len(SIGNALS))  # jumps faster than a body moves are not trusted

    def step(self, frame: Frame) -> StepResult:
        return self.step_pose(frame, self.estimator.process(frame.rgb, frame.t_s))

    def step_pose(self, frame: Frame, pose: PoseFrame) -> StepResult:
        """The same step from a pose already estimated (a recorded track, a worker process)."""
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


def angle_row(kin: Kinematics) -> list[float]:
    return [kin.value(n) for n in SIGNALS]


def finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


# --- the frame step: pose -> kinematics -> (camera gate) -> tracker -> HUD --------------------------


@dataclass(frozen=True)
class StepOutput:
    """Everything one frame produced, for the sinks (overlay, series, report, live snapshot)."""

    frame: Frame
    pose: PoseFrame
    raw: Kinematics
    kin: Kinematics
    state: TrackerState
    hud: Hud
    counting: bool  # the tracker saw this frame (the camera gate, if any, was open)


Gate = Callable[[Kinematics], str | None]  # None: count this frame; else why not, in words for the user


class FrameStep:
    """The one per-frame step every front door runs: the CLI, the Review page, Live, the routine, the benches.

    The pipeline (MediaPipe graph, filters) lives as long as the stream; the tracker as long as one set,
    so `restart` starts a new set without rebuilding the graph. An optional `gate` (Live's camera check)
    decides per frame whether the tracker may count.
    """

    def __init__(self, pipeline: AnglePipeline, exercise: Exercise, side: SideChoice = "auto",
                 gate: Gate | None = None, strict_depth: bool | None = None) -> None:
        self.pipeline = pipeline
        self.gate = gate
        self.exercise, self.side, self.strict_depth = exercise, side, strict_depth
        self.tracker = Tracker(exercise, side, strict_depth)

    def restart(self, exercise: Exercise | None = None, side: SideChoice | None = None) -> None:
        """A new set (optionally of another exercise or side) on the same stream."""
        self.exercise = exercise or self.exercise
        self.side = side or self.side
        self.tracker = Tracker(self.exercise, self.side, self.strict_depth)

    def __call__(self, frame: Frame, pose: PoseFrame | None = None) -> StepOutput:
        res = self.pipeline.step(frame) if pose is None else self.pipeline.step_pose(frame, pose)
        status = self.gate(res.kin) if self.gate is not None else None
        state = self.tracker.update(res.kin) if status is None else TrackerState.blank(frame.t_s, res.kin.view, status)
        return StepOutput(frame, res.pose, res.raw, res.kin, state, hud_from_state(self.exercise, state),
                          status is None)


# --- whole-clip analysis (CLI `analyze`, the Review page, batch, benchmarks) ----------------------


def analyze_clip(path: str | Path, exercise: Exercise, side: SideChoice = "auto", *,
                 source: AngleSource = DEFAULT_SOURCE, model_path: str | Path | None = None,
                 out_video: str | Path | None = None, max_side: int | None = MAX_SIDE_PX,
                 progress: Callable[[int, int], None] | None = None, estimator: Estimator | None = None,
                 strict_depth: bool | None = None, check_exercise: bool = True) -> Report:
    """Run a clip through the frame step, optionally writing the annotated H.264 clip.

    Frames larger than `max_side` pixels are scaled down first: the pose model sees 256 px anyway, a
    uniform scale leaves every angle unchanged, and a 4K phone clip would otherwise be slow to decode,
    draw and encode. `progress(frames_done, frames_expected)` is called after every frame. `strict_depth`
    (None: the exercise's own setting) counts only reps that reach the textbook target. `check_exercise` also
    recognises which exercise the clip shows, so the report can say when it is not the chosen one.
    """
    video = open_video(path, max_side=max_side)  # scaled down beside this thread, by the decoder
    with AnglePipeline(source, DEFAULT_SMOOTHING, model_path, estimator) as pipe, SecondPersonCheck() as crowd:
        return _analyze(FrameStep(pipe, exercise, side, strict_depth=strict_depth), video, str(path), video.info,
                        out_video, progress, crowd, exercise_checker(exercise) if check_exercise else None)


def analyze_track(track: PoseTrack, exercise: Exercise, side: SideChoice = "auto", *,
                  source: AngleSource = DEFAULT_SOURCE, clip: str = "", info: VideoInfo | None = None,
                  progress: Callable[[int, int], None] | None = None, strict_depth: bool | None = None,
                  check_exercise: bool = True, notes: Sequence[str] = ()) -> Report:
    """The same analysis from recorded poses (no decoding, no MediaPipe): tests, benchmarks, chunked runs.

    `notes`: warnings found where the poses were recorded (a chunk worker's second-person check)."""
    if info is None:
        fps = (len(track) - 1) / float(track.t_s[-1]) if len(track) > 1 and track.t_s[-1] > 0 else 30.0
        info = VideoInfo(clip, track.width, track.height, fps, float(track.t_s[-1]) if len(track) else 0.0,
                         len(track), 0, "track")
    blank = np.broadcast_to(np.zeros(1, np.uint8), (track.height, track.width, 3))  # sized, holds no pixels
    frames = (Frame(float(t), blank, i) for i, t in enumerate(track.t_s))
    with AnglePipeline(source, DEFAULT_SMOOTHING, estimator=ReplayEstimator(track)) as pipe:
        return _analyze(FrameStep(pipe, exercise, side, strict_depth=strict_depth), frames, clip, info, None, progress,
                        recognizer=exercise_checker(exercise) if check_exercise else None, notes=notes)


def record_track(path: str | Path, *, model_path: str | Path | None = None, max_side: int | None = MAX_SIDE_PX,
                 estimator: Estimator | None = None,
                 progress: Callable[[int, int], None] | None = None) -> PoseTrack:
    """The clip's poses, frame by frame, as `analyze_clip` sees them (same scaling, same estimator)."""
    video = open_video(path, max_side=max_side)
    poses: list[PoseFrame] = []
    est = estimator if estimator is not None else pose_module.make_estimator(model_path)
    size: tuple[int, int] | None = None
    try:
        for f in video:
            size = size or (f.width, f.height)
            poses.append(est.process(f.rgb, f.t_s))
            if progress is not None:
                progress(len(poses), video.info.frame_count)
    finally:
        est.close()
    w, h = size or (video.info.width, video.info.height)
    return PoseTrack.from_frames(poses, w, h)


def exercise_checker(exercise: Exercise) -> Recognizer | None:
    """A recogniser over the exercise catalog (plus `exercise`), or None when no catalog loads."""
    from posecheck.exercises import load_all

    try:
        catalog = dict(load_all().exercises)
    except Exception:  # the check is a courtesy: a broken folder must not stop the analysis
        return None
    catalog[exercise.id] = exercise
    return Recognizer(catalog)


def _analyze(step: FrameStep, frames: Iterable[Frame], clip: str, info: VideoInfo, out_video: str | Path | None,
             progress: Callable[[int, int], None] | None, crowd: SecondPersonCheck | None = None,
             recognizer: Recognizer | None = None, notes: Sequence[str] = ()) -> Report:
    """The frame step over a clip's frames, into the sinks: the series, the annotated video, the crowd check."""
    series = AngleSeries()
    n = with_pose = 0
    last_t = 0.0
    writer = None
    try:
        for frame in frames:
            out = step(frame)
            n += 1
            with_pose += out.kin.detected
            last_t = frame.t_s
            series.add(out.kin, out.state)
            if recognizer is not None:
                recognizer.update(out.kin)
            if crowd is not None:
                crowd.update(frame.rgb, out.pose, frame.t_s)
            if out_video is not None:
                from posecheck.overlay import draw_overlay  # drawing is only needed for video out

                if writer is None:
                    writer = H264Writer(out_video, info.fps, frame.width, frame.height)
                writer.write(draw_overlay(frame.rgb, out.kin, out.hud), t_s=frame.t_s, rgb=True)
            if progress is not None:
                progress(n, info.frame_count)
    finally:
        if writer is not None:
            writer.close()
    step.tracker.finish()
    fps = (n - 1) / last_t if n > 1 and last_t > 0 else info.fps
    extra = [*notes, *([crowd.warning] if crowd is not None and crowd.warning else [])]
    recognition = None
    if recognizer is not None and with_pose:
        recognizer.finish()
        recognition = recognizer.result()
    return build_report(clip, step.exercise, step.tracker, series, info, n, with_pose, fps, last_t, extra, recognition)
