"""Synthetic clips rendered once and their poses run through MediaPipe once, shared by the whole test run.

MediaPipe is most of the suite's time and is bit-identical from run to run on one machine, so every clip
(and every edited frame sequence) a test needs is rendered and posed once; tests then replay the poses:
`analyze_track` for counts, `AnglePipeline(estimator=ReplayEstimator(track))` for angles, and the app's
own estimator (`posecheck.pose.make_estimator`) swapped for a `DigestReplay` for the pages.

Entries live in one folder shared by the xdist workers (a file lock per entry: one worker records, the
others wait and load) and, when pytest's cache is on, across runs under `.pytest_cache` (never committed:
MediaPipe's numbers differ slightly between machines). An entry's key holds everything its pixels and
poses depend on: the render settings, the sources of the renderer, the decoder, the estimator and the
recording loop, the versions of mediapipe/av/opencv/numpy and the CPU. `pytest --cache-clear` (or
`-p no:cacheprovider`) gives a cold run.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

import posecheck
from posecheck import pose
from posecheck.errors import PosecheckError
from posecheck.pose import Estimator, PoseFrame
from posecheck.posetrack import PoseTrack
from posecheck.sources import Frame, VideoInfo, open_video

PKG = Path(posecheck.__file__).resolve().parent
# Everything between a script name and a recorded pose: renderer, encoder, decoder, estimator, recorder.
POSE_PATH = [*sorted((PKG / "synth").glob("*.py")), PKG / "video_out.py", PKG / "sources.py", PKG / "pose.py",
             PKG / "posetrack.py", PKG / "pipeline.py", Path(__file__).resolve()]
LIBRARIES = ("mediapipe", "av", "opencv-contrib-python", "numpy")


@cache
def environment_key() -> str:
    """What a cached clip or pose depends on besides its own settings."""
    h = hashlib.sha256()
    for path in POSE_PATH:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={version(lib)}".encode())
        except PackageNotFoundError:
            h.update(f"{lib}=none".encode())
    # x264 picks its thread count (and so its bytes) from the core count; MediaPipe's kernels from the CPU
    h.update(f"{sys.version_info[:2]} {platform.machine()} {_cpu_model()} {os.cpu_count()}".encode())
    return h.hexdigest()[:16]


def _cpu_model() -> str:
    try:  # CPU kernels (XNNPACK, OpenCV) differ between CPUs: so may the poses
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor()
    return next((ln.split(":", 1)[1].strip() for ln in text.splitlines() if ln.startswith("model name")), "")


def frame_digest(rgb: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(rgb).data, digest_size=16,
                           person=f"{rgb.shape}".encode()[:16]).digest()


# --- what a cache entry holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """Poses of one frame sequence run through one fresh MediaPipe graph, and the digests of those frames."""

    track: PoseTrack
    digests: tuple[bytes, ...]


@dataclass(frozen=True)
class SynthClip:
    """A rendered clip, its ground truth, its container info and (when asked for) its poses."""

    path: Path
    truth: dict[str, Any]
    info: VideoInfo
    recording: Recording | None = None

    @property
    def track(self) -> PoseTrack:
        assert self.recording is not None, "rendered without poses"
        return self.recording.track


@dataclass(frozen=True)
class Synth:
    """What to render: a side-view motion script (posecheck.synth) or a front-view one (synth.front)."""

    script: str
    facing: str = "right"
    fps: float = 30.0
    width: int = 640
    height: int = 480
    params: dict[str, Any] = field(default_factory=dict)
    out_of_view_s: tuple[float, float] | None = None
    front: bool = False

    def name(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return f"{'front_' if self.front else ''}{self.script}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"

    def render(self, path: Path) -> Path:
        if self.front:
            from posecheck.synth.front import generate_front_clip

            return generate_front_clip(self.script, path, fps=self.fps, width=self.width, height=self.height,
                                       **self.params)
        from posecheck.synth import generate_clip

        return generate_clip(self.script, path, facing=self.facing, fps=self.fps, width=self.width,
                             height=self.height, out_of_view_s=self.out_of_view_s, **self.params)


def _save_recording(rec: Recording, path: Path) -> None:
    # Full float64, not PoseTrack.save's float32: a replay must see exactly what MediaPipe gave.
    t = rec.track
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, t_s=t.t_s, image_px=t.image_px, world_m=t.world_m, visibility=t.visibility,
                 detected=t.detected, size=np.array([t.width, t.height]),
                 digests=np.frombuffer(b"".join(rec.digests), np.uint8).reshape(len(rec.digests), -1))
    os.replace(tmp, path)  # whole or absent: a reader in another worker never sees half a file


def _load_recording(path: Path) -> Recording:
    with np.load(path) as z:
        w, h = (int(x) for x in z["size"])
        track = PoseTrack(z["t_s"], z["image_px"], z["world_m"], z["visibility"], z["detected"], w, h)
        return Recording(track, tuple(bytes(row) for row in z["digests"]))


class Recorder:
    """Wraps an estimator and keeps what it was given (frame digests) and what it answered (poses)."""

    def __init__(self, inner: Estimator) -> None:
        self.inner = inner
        self.digests: list[bytes] = []
        self.poses: list[PoseFrame] = []

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        self.digests.append(frame_digest(rgb))
        self.poses.append(self.inner.process(rgb, t_s))
        return self.poses[-1]

    def close(self) -> None:
        self.inner.close()

    def recording(self) -> Recording:
        size = (self.poses[0].width, self.poses[0].height) if self.poses else (0, 0)
        return Recording(PoseTrack.from_frames(self.poses, *size), tuple(self.digests))


_MAKE_ESTIMATOR = pose.make_estimator  # the app's own, kept before any test swaps it for a replay


def real_estimator() -> Estimator:
    """MediaPipe as the app builds it, even inside a test that replaced `pose.make_estimator`."""
    return _MAKE_ESTIMATOR()


def record_file(path: Path) -> Recording:
    """The clip's poses exactly as `analyze_clip` sees them (pipeline.record_track), with frame digests."""
    from posecheck.pipeline import record_track

    rec = Recorder(real_estimator())
    track = record_track(path, estimator=rec)
    return Recording(track, tuple(rec.digests))


def record_frames(frames: Iterable[tuple[float, np.ndarray]]) -> Recording:
    """Poses of an edited frame sequence (t_s, rgb) fed to one fresh graph in order, as a live session would."""
    rec = Recorder(real_estimator())
    try:
        for t, rgb in frames:
            rec.process(rgb, t)
    finally:
        rec.close()
    return rec.recording()


# --- the store ------------------------------------------------------------------------------------


class SynthStore:
    """Clips and poses on disk (shared by workers, and by runs when `folder` persists) and in memory."""

    def __init__(self, folder: Path) -> None:
        self.root = Path(folder)
        self.folder = self.root / environment_key()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._memo: dict[str, Any] = {}
        for old in self.root.iterdir():  # entries made by other sources or libraries can never be used again
            if old.is_dir() and old != self.folder:
                shutil.rmtree(old, ignore_errors=True)

    def _entry(self, name: str, make: Callable[[Path], None], done: str) -> Path:
        """The entry folder `name`, made by `make(folder)` once across workers; `done` is its last file."""
        entry = self.folder / name
        if not (entry / done).exists():
            entry.mkdir(exist_ok=True)
            with FileLock(str(entry) + ".lock"):
                if not (entry / done).exists():
                    make(entry)
        return entry

    def clip(self, spec: Synth, poses: bool = True) -> SynthClip:
        """The rendered clip (+ truth, container info), rendered once; with its poses unless `poses=False`."""
        key = f"{spec.name()}:{poses}"
        if key not in self._memo:
            def render(entry: Path) -> None:
                path = spec.render(entry / "clip.mp4")
                (entry / "info.json").write_text(json.dumps(asdict(open_video(path).info)))

            entry = self._entry(spec.name(), render, "info.json")
            path = entry / "clip.mp4"
            info = VideoInfo(**json.loads((entry / "info.json").read_text()))
            truth = json.loads((entry / "clip.truth.json").read_text())
            recording = self.recording_of_file(path, name=spec.name()) if poses else None
            self._memo[key] = SynthClip(path, truth, info, recording)
        return self._memo[key]

    def recording_of_file(self, path: str | Path, name: str | None = None) -> Recording:
        """Poses of any clip file (keyed by its content), as `analyze_clip` would see them."""
        path = Path(path)
        name = name or f"file-{Path(path).stem}-{_file_digest(path)}"
        if name not in self._memo:
            entry = self._entry(name, lambda e: _save_recording(record_file(path), e / "poses.npz"), "poses.npz")
            self._memo[name] = _load_recording(entry / "poses.npz")
        return self._memo[name]

    def recording_of_frames(self, frames: Sequence[Frame], origin_s: float = 0.0) -> Recording:
        """Poses of this exact frame sequence through one fresh graph (keyed by the frames' content)."""
        h = hashlib.blake2b(digest_size=12)
        for f in frames:
            h.update(frame_digest(f.rgb) + np.float64(origin_s + f.t_s).tobytes())
        name = f"frames-{len(frames)}-{h.hexdigest()}"
        if name not in self._memo:
            entry = self._entry(name, lambda e: _save_recording(
                record_frames((origin_s + f.t_s, f.rgb) for f in frames), e / "poses.npz"), "poses.npz")
            self._memo[name] = _load_recording(entry / "poses.npz")
        return self._memo[name]


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=12)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


# --- replaying poses where the app builds its own estimator ---------------------------------------


class SequenceReplay:
    """A recording played back in order in place of MediaPipe, each frame checked to be the one recorded.

    `delay_s` stands for MediaPipe's own time per frame, spent outside the GIL as its C++ graph does
    (for tests of threads that must not wait for it).
    """

    def __init__(self, recording: Recording, delay_s: float = 0.0) -> None:
        self.recording = recording
        self.delay_s = delay_s
        self.frames = 0

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        i, rec = self.frames, self.recording
        if i >= len(rec.digests) or frame_digest(rgb) != rec.digests[i]:
            raise PosecheckError(f"test replay: frame {i} is not the frame recorded there")
        if self.delay_s:
            time.sleep(self.delay_s)
        self.frames += 1
        return _posed(rec.track.frame(i), t_s)

    def close(self) -> None:
        pass


class DigestReplay:
    """Stands in for MediaPipe where a test cannot hand the app a track: each frame's pose is looked up by
    the frame's content among the recordings the test registered. A frame nobody recorded fails loudly.

    A frame seen twice in one stream (a routine set repeated on the same clip) gets the pose recorded for
    it in a fresh graph; MediaPipe's tracker, carried over from the frame before, would differ slightly.
    """

    def __init__(self, recordings: Sequence[Recording | Callable[[], Recording]]) -> None:
        self._sources = recordings  # the test may add more; a callable is only called when a frame is missing
        self._used = 0
        self._poses: dict[bytes, tuple[Recording, int]] = {}
        self.frames = 0
        self.misses = 0

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        d = frame_digest(rgb)
        while d not in self._poses and self._used < len(self._sources):
            source = self._sources[self._used]
            self._used += 1
            rec = source() if callable(source) else source
            for i, digest in enumerate(rec.digests):
                self._poses.setdefault(digest, (rec, i))
        if d not in self._poses:
            self.misses += 1
            raise PosecheckError(f"test replay: no recorded pose for this {rgb.shape[1]}x{rgb.shape[0]} frame")
        rec, i = self._poses[d]
        self.frames += 1
        return _posed(rec.track.frame(i), t_s)

    def close(self) -> None:
        pass


def _posed(f: PoseFrame, t_s: float) -> PoseFrame:
    return PoseFrame(t_s, f.width, f.height, f.image_px, f.world_m, f.visibility)


def replay_frames(track: PoseTrack) -> Iterable[Frame]:
    """Frames carrying only the track's times and size (no pixels): what a replayed pipeline steps over."""
    blank = np.broadcast_to(np.zeros(1, np.uint8), (track.height, track.width, 3))
    return (Frame(float(t), blank, i) for i, t in enumerate(track.t_s))
