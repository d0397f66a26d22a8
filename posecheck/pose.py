"""MediaPipe Pose wrapper: RGB frame -> `PoseFrame` (landmarks in pixels, world metres, visibility).

Only the model bundled in the mediapipe 0.10.21 wheel (BlazePose full, `model_complexity=1`) is used by
default, so nothing is ever downloaded. A user may pass their own `.task` file, which runs through the
Tasks API `PoseLandmarker` in VIDEO mode with the frames' real timestamps.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol

import numpy as np

from posecheck import settings
from posecheck.errors import PosecheckError

# MediaPipe Pose landmark indices used across the project (one place for them).
NOSE = 0
LEFT_EAR, RIGHT_EAR = 7, 8
LEFT_SHOULDER, RIGHT_SHOULDER = 11, 12
LEFT_ELBOW, RIGHT_ELBOW = 13, 14
LEFT_WRIST, RIGHT_WRIST = 15, 16
LEFT_HIP, RIGHT_HIP = 23, 24
LEFT_KNEE, RIGHT_KNEE = 25, 26
LEFT_ANKLE, RIGHT_ANKLE = 27, 28
LEFT_HEEL, RIGHT_HEEL = 29, 30
LEFT_FOOT, RIGHT_FOOT = 31, 32
NUM_LANDMARKS = 33

# Pairs to swap when left/right labels are corrected by geometry.
LEFT_RIGHT_PAIRS = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(i, i + 1) for i in range(11, 33, 2)]

SKELETON_EDGES = [
    (LEFT_SHOULDER, RIGHT_SHOULDER), (LEFT_HIP, RIGHT_HIP),
    (LEFT_SHOULDER, LEFT_ELBOW), (LEFT_ELBOW, LEFT_WRIST),
    (RIGHT_SHOULDER, RIGHT_ELBOW), (RIGHT_ELBOW, RIGHT_WRIST),
    (LEFT_SHOULDER, LEFT_HIP), (RIGHT_SHOULDER, RIGHT_HIP),
    (LEFT_HIP, LEFT_KNEE), (LEFT_KNEE, LEFT_ANKLE), (LEFT_ANKLE, LEFT_HEEL), (LEFT_HEEL, LEFT_FOOT),
    (RIGHT_HIP, RIGHT_KNEE), (RIGHT_KNEE, RIGHT_ANKLE), (RIGHT_ANKLE, RIGHT_HEEL), (RIGHT_HEEL, RIGHT_FOOT),
]  # fmt: skip


@dataclass(frozen=True)
class PoseFrame:
    """One frame's pose. Arrays are None when no person was found.

    image_px: (33, 3) x, y in pixels of this frame and z (MediaPipe's relative depth, scaled like x).
    world_m: (33, 3) metres, origin between the hips, camera-aligned axes (x right, y down, z away).
    visibility: (33,) in [0, 1].
    """

    t_s: float
    width: int
    height: int
    image_px: np.ndarray | None = None
    world_m: np.ndarray | None = None
    visibility: np.ndarray | None = None

    @property
    def detected(self) -> bool:
        return self.image_px is not None


def landmarks_to_pixels(normalised: np.ndarray, width: int, height: int) -> np.ndarray:
    """Normalised (x, y, z) -> pixels. x scales by width, y by height (z by width, as MediaPipe defines).

    Skipping this makes every angle off the diagonal wrong on a non-square frame.
    """
    out = np.asarray(normalised, dtype=np.float64).copy()
    out[..., 0] *= width
    out[..., 1] *= height
    if out.shape[-1] > 2:
        out[..., 2] *= width
    return out


class _Fd2Silencer:
    """Process-wide and reference-counted: fd 2 goes to /dev/null while anyone holds it.

    MediaPipe's C++ side prints TFLite/absl notices ("Created TensorFlow Lite XNNPACK delegate", absl's
    "W0000 ... Feedback manager") straight to fd 2, before any log flag applies and partly from its own
    threads after the graph is built. They are noise to a user, whose stderr carries posecheck's one line.
    Counted, so two estimators (two app sessions) never leave fd 2 pointing at /dev/null. Errors still
    surface as Python exceptions; POSECHECK_VERBOSE=1 keeps the notices.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._saved: int | None = None

    def acquire(self) -> bool:
        if settings.current().verbose:
            return False
        with self._lock:
            if self._count == 0:
                try:
                    saved = os.dup(2)
                    devnull = os.open(os.devnull, os.O_WRONLY)
                except OSError:
                    return False
                with contextlib.suppress(Exception):
                    sys.stderr.flush()  # what Python wrote before goes where it was meant to
                os.dup2(devnull, 2)
                os.close(devnull)
                self._saved = saved
            self._count += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._count -= 1
            if self._count == 0 and self._saved is not None:
                os.dup2(self._saved, 2)
                os.close(self._saved)
                self._saved = None


_SILENCER = _Fd2Silencer()


@contextlib.contextmanager
def _quiet_native_logs() -> Iterator[None]:
    """fd 2 silenced for the duration of the block (see _Fd2Silencer)."""
    held = _SILENCER.acquire()
    try:
        yield
    finally:
        if held:
            _SILENCER.release()


# Measured on 2 cores: 1 -> 2 threads took bare MediaPipe from 49 to 84 frames/s. The cap is a guess, not a
# measurement: BlazePose full is a small network, whose layers are thin to share out among many threads.
MAX_POSE_THREADS = 4


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one, e.g. a container's limit)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_streams_at_once = 1  # pose streams this machine runs at once, as far as this process knows (share_cores)


def share_cores(streams: int) -> None:
    """Say that `streams` pose streams run at once on this machine (a Dask worker among others): each
    estimator built afterwards takes its share of the cores unless told otherwise."""
    global _streams_at_once
    _streams_at_once = max(1, int(streams))


def default_pose_threads(streams: int | None = None) -> int:
    """Threads for each pose model's inference when `streams` of them run at once (default: `share_cores`'s
    word, else one): POSECHECK_POSE_THREADS, else the usable cores shared out between the streams (at least one
    each), at most `MAX_POSE_THREADS`."""
    raw = settings.current().pose_threads
    if raw.isdigit() and int(raw) >= 1:
        return min(int(raw), MAX_POSE_THREADS)
    streams = _streams_at_once if streams is None else max(1, streams)
    return max(1, min(usable_cores() // streams, MAX_POSE_THREADS))


def mediapipe_pose(threads: int = 1, **options: object):  # -> mp.solutions.pose.Pose (imported lazily)
    """MediaPipe's pose solution with `options`, its inference on `threads` threads (1: MediaPipe's own default
    on desktops, whatever the cores)."""
    import mediapipe as mp

    pose_class = _threaded_pose_class(threads) if threads > 1 else mp.solutions.pose.Pose
    return pose_class(**options)


def _threaded_pose_class(threads: int):
    """`mp.solutions.pose.Pose` whose two networks (person detector, landmark model) run their TFLite/XNNPACK
    inference on `threads` threads. The solution API has no option for it (its per-calculator options exclude
    the inference calculator), so the expanded graph's inference nodes are given it before the graph is built.

    XNNPACK splits each layer's output between the threads, and each output is summed in the same order
    whoever computes it: the landmarks are bit-identical to one thread's (checked by tests), only sooner.
    """
    import mediapipe as mp
    from mediapipe.calculators.tensor import inference_calculator_pb2

    options_type = inference_calculator_pb2.InferenceCalculatorOptions

    class ThreadedPose(mp.solutions.pose.Pose):
        def _initialize_graph_interface(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            config = super()._initialize_graph_interface(*args, **kwargs)
            self.inference_threads: dict[str, int] = {}  # node -> threads, as handed to the graph (for tests)
            for node in config.node:
                if node.calculator.startswith("InferenceCalculator"):
                    options = node.options.Extensions[options_type.ext]
                    options.delegate.xnnpack.num_threads = threads
                    self.inference_threads[node.name] = options.delegate.xnnpack.num_threads
            return config

    return ThreadedPose


class PoseEstimator:
    """Runs MediaPipe Pose in video (tracking) mode, or `static` image mode (the bundled model only).

    One instance per stream: it holds tracking state. `threads` is how many threads the bundled model's inference
    uses (default `default_pose_threads()`: every usable core); the poses are the same whatever it is. A user's
    `.task` model runs as the Tasks API decides.
    """

    def __init__(self, model_path: str | Path | None = None, min_detection: float = 0.5,
                 min_tracking: float = 0.5, static: bool = False, threads: int | None = None) -> None:
        self.model_path = Path(model_path) if model_path else None
        self.threads = max(1, threads if threads is not None else default_pose_threads())
        self._last_ms = -1
        self._warm = False
        # Held from here to the end of the first frame: the graph's threads print their notices while it
        # starts, after this constructor has returned (a per-call silence let them through).
        self._quiet = _SILENCER.acquire()
        try:
            if self.model_path is None:
                # complexity 1 is the model bundled in the wheel; 0 and 2 would try to download.
                self._solution = mediapipe_pose(  # static: every frame searched afresh, no tracking
                    self.threads,
                    static_image_mode=static, model_complexity=1, smooth_landmarks=False,
                    min_detection_confidence=min_detection, min_tracking_confidence=min_tracking,
                )
                self._landmarker = None
            else:
                self._solution = None
                self._landmarker = _make_landmarker(self.model_path, min_detection, min_tracking)
        except BaseException:
            self._end_quiet()
            raise

    def _end_quiet(self) -> None:
        if self._quiet:
            self._quiet = False
            _SILENCER.release()

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        if not self._warm:  # the landmark model (and its notices) starts with the first person seen
            try:
                with _quiet_native_logs():
                    out = self._process(rgb, t_s)
            finally:
                self._end_quiet()
            self._warm = out.detected
            return out
        return self._process(rgb, t_s)

    def _process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        h, w = rgb.shape[:2]
        if self._solution is not None:
            res = self._solution.process(rgb)
            if res.pose_landmarks is None:
                return PoseFrame(t_s, w, h)
            lm = res.pose_landmarks.landmark
            norm = np.array([(p.x, p.y, p.z) for p in lm], dtype=np.float64)
            vis = np.array([p.visibility for p in lm], dtype=np.float64)
            world = None
            if res.pose_world_landmarks is not None:
                world = np.array([(p.x, p.y, p.z) for p in res.pose_world_landmarks.landmark])
            return PoseFrame(t_s, w, h, landmarks_to_pixels(norm, w, h), world, vis)
        return self._process_task(rgb, t_s, w, h)

    def _process_task(self, rgb: np.ndarray, t_s: float, w: int, h: int) -> PoseFrame:
        import mediapipe as mp

        ms = max(int(round(t_s * 1000)), self._last_ms + 1)  # the Tasks API needs increasing times
        self._last_ms = ms
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        assert self._landmarker is not None  # a .task model was loaded (else _process_task is never called)
        res = self._landmarker.detect_for_video(image, ms)
        if not res.pose_landmarks:
            return PoseFrame(t_s, w, h)
        lm = res.pose_landmarks[0]
        norm = np.array([(p.x, p.y, p.z) for p in lm], dtype=np.float64)
        vis = np.array([p.visibility if p.visibility is not None else 1.0 for p in lm])
        world = None
        if res.pose_world_landmarks:
            world = np.array([(p.x, p.y, p.z) for p in res.pose_world_landmarks[0]])
        return PoseFrame(t_s, w, h, landmarks_to_pixels(norm, w, h), world, vis)

    def close(self) -> None:
        self._end_quiet()
        if self._solution is not None:
            self._solution.close()
            self._solution = None
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _make_landmarker(path: Path, min_detection: float, min_tracking: float):
    if not path.is_file() or path.suffix != ".task":
        raise PosecheckError(f"Pose model {path} is not a MediaPipe .task file")
    from mediapipe.tasks.python import BaseOptions
    from mediapipe.tasks.python.vision import PoseLandmarker, PoseLandmarkerOptions, RunningMode

    try:
        opts = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=RunningMode.VIDEO, num_poses=1,
            min_pose_detection_confidence=min_detection, min_tracking_confidence=min_tracking,
        )
        return PoseLandmarker.create_from_options(opts)
    except (RuntimeError, ValueError) as exc:
        raise PosecheckError(f"Could not load pose model {path.name}: {exc}") from None


class Estimator(Protocol):
    """What the pipeline needs of a pose estimator: `PoseEstimator`, or a `posetrack.ReplayEstimator`."""

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame: ...

    def close(self) -> None: ...


def make_estimator(model_path: str | Path | None = None) -> Estimator:
    """The estimator every pipeline builds unless given one: the bundled model, or the user's `.task` file.

    One function, looked up at call time, so a test can replay recorded poses through the whole app.
    """
    return PoseEstimator(model_path)


_BUILTIN_FACTORY = make_estimator


def builds_mediapipe() -> bool:
    """Whether `make_estimator` is still the real one (a test may swap in recorded poses, which are already a whole
    clip's answer: they are neither split over processes nor restarted at chunk seams)."""
    return make_estimator is _BUILTIN_FACTORY


def default_model_path() -> str | None:
    """A user's own .task model, from POSECHECK_MODEL; None means the bundled full model."""
    return settings.current().model
