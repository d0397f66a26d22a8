"""A clip's poses as arrays: record once, replay many times.

MediaPipe is most of the cost of an analysis and is bit-identical from run to run on one machine, so
its per-frame output can be kept and replayed: the tests analyse each synthetic clip's poses under
many rules, the benchmarks re-count real clips in seconds, and chunked analysis (several processes,
one graph each) stitches their tracks back into one. `ReplayEstimator` stands in for `PoseEstimator`
anywhere one is accepted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecheck.errors import PosecheckError
from posecheck.pose import NUM_LANDMARKS, PoseFrame

FORMAT_VERSION = 1


@dataclass(frozen=True)
class PoseTrack:
    """Per-frame poses of one clip. Frames without a person hold NaN landmarks and `detected` False."""

    t_s: np.ndarray  # (n,) seconds
    image_px: np.ndarray  # (n, 33, 3)
    world_m: np.ndarray  # (n, 33, 3); NaN where MediaPipe gave none
    visibility: np.ndarray  # (n, 33)
    detected: np.ndarray  # (n,) bool
    width: int
    height: int

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def frame(self, i: int) -> PoseFrame:
        t = float(self.t_s[i])
        if not self.detected[i]:
            return PoseFrame(t, self.width, self.height)
        world = self.world_m[i]
        return PoseFrame(t, self.width, self.height, self.image_px[i].copy(),
                         None if np.isnan(world).all() else world.copy(), self.visibility[i].copy())

    def frames(self) -> Iterator[PoseFrame]:
        for i in range(len(self)):
            yield self.frame(i)

    @classmethod
    def from_frames(cls, frames: Sequence[PoseFrame], width: int | None = None,
                    height: int | None = None) -> PoseTrack:
        n = len(frames)
        px = np.full((n, NUM_LANDMARKS, 3), np.nan)
        world = np.full((n, NUM_LANDMARKS, 3), np.nan)
        vis = np.zeros((n, NUM_LANDMARKS))
        det = np.zeros(n, dtype=bool)
        for i, f in enumerate(frames):
            if f.image_px is not None:
                px[i], det[i] = f.image_px, True
                if f.world_m is not None:
                    world[i] = f.world_m
                if f.visibility is not None:
                    vis[i] = f.visibility
        w = width if width is not None else (frames[0].width if frames else 0)
        h = height if height is not None else (frames[0].height if frames else 0)
        return cls(np.array([f.t_s for f in frames], dtype=np.float64), px, world, vis, det, int(w), int(h))

    @classmethod
    def concat(cls, parts: Iterable[PoseTrack]) -> PoseTrack:
        parts = list(parts)
        if not parts:
            raise ValueError("no parts to join")
        return cls(np.concatenate([p.t_s for p in parts]), np.concatenate([p.image_px for p in parts]),
                   np.concatenate([p.world_m for p in parts]), np.concatenate([p.visibility for p in parts]),
                   np.concatenate([p.detected for p in parts]), parts[0].width, parts[0].height)

    def permuted(self, perm: np.ndarray | None) -> PoseTrack:
        """The track with every frame's landmarks renamed by `perm` (chunks.seam_relabel), or itself."""
        if perm is None:
            return self
        return PoseTrack(self.t_s, self.image_px[:, perm], self.world_m[:, perm], self.visibility[:, perm],
                         self.detected, self.width, self.height)

    def slice(self, start: int, stop: int) -> PoseTrack:
        s = slice(start, stop)
        return PoseTrack(self.t_s[s], self.image_px[s], self.world_m[s], self.visibility[s], self.detected[s],
                         self.width, self.height)

    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:  # written whole then renamed: a parallel reader never sees half a file
            np.savez_compressed(fh, version=FORMAT_VERSION, t_s=self.t_s, image_px=self.image_px.astype(np.float32),
                                world_m=self.world_m.astype(np.float32), visibility=self.visibility.astype(np.float32),
                                detected=self.detected, size=np.array([self.width, self.height]))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> PoseTrack:
        try:
            with np.load(path) as z:
                if int(z["version"]) != FORMAT_VERSION:
                    raise PosecheckError(f"{Path(path).name}: pose track format {int(z['version'])} is not supported")
                w, h = (int(x) for x in z["size"])
                return cls(z["t_s"].astype(np.float64), z["image_px"].astype(np.float64),
                           z["world_m"].astype(np.float64), z["visibility"].astype(np.float64),
                           z["detected"].astype(bool), w, h)
        except (OSError, KeyError, ValueError) as exc:
            raise PosecheckError(f"{Path(path).name} is not a pose track ({exc})") from None


class ReplayEstimator:
    """Plays back a recorded track in place of a `PoseEstimator`: the n-th call returns the n-th frame.

    The image is not looked at (callers may pass None); the timestamp passed in is used, so a replay
    driven by another clock (a live session's) sees its own times.
    """

    def __init__(self, track: PoseTrack, loop: bool = False) -> None:
        self.track = track
        self.loop = loop
        self._i = 0

    def process(self, _rgb: np.ndarray | None, t_s: float) -> PoseFrame:
        n = len(self.track)
        if self._i >= n:
            if not self.loop or n == 0:
                raise PosecheckError(f"the recorded pose track has only {n} frames")
            self._i = 0
        f = self.track.frame(self._i)
        self._i += 1
        return PoseFrame(t_s, f.width, f.height, f.image_px, f.world_m, f.visibility)

    def close(self) -> None:
        pass

    def __enter__(self) -> ReplayEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_digest(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def mediapipe_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mediapipe")
    except PackageNotFoundError:
        return "unknown"


class PoseCache:
    """Pose tracks on disk, keyed by the clip's content, the MediaPipe version and the settings that shape them.

    `get(clip, record)` returns the cached track or calls `record()` and keeps its result. Used by the
    tests and benchmarks (never by the app: a user's clip is analysed once).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def key(self, clip: str | Path, **settings: object) -> str:
        parts = [file_digest(clip), mediapipe_version(), *(f"{k}={settings[k]}" for k in sorted(settings))]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]

    def get(self, clip: str | Path, record: Callable[[], PoseTrack], **settings: object) -> PoseTrack:
        path = self.folder / f"{Path(clip).stem}-{self.key(clip, **settings)}.npz"
        if path.exists():
            try:
                return PoseTrack.load(path)
            except PosecheckError:
                path.unlink(missing_ok=True)  # a damaged entry is recorded again
        track = record()
        track.save(path)
        return track
