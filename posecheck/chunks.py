"""The chunk plan of chunk-parallel analysis: where each worker's fresh MediaPipe graph starts and warms up.

The chunks depend on the clip alone (its frame times), never on the number of workers, so `--jobs 2` and
`--jobs 16` give the same poses bit for bit, and the same report on every machine. MediaPipe in video mode
tracks the person from the last frame's landmarks, so a graph started mid-clip never returns to exactly the
numbers of the one-process run that ran from the start (pixels apart, settling over about a second); that is
why parallel analysis stays opt-in (`parallel.default_jobs`). `SeamedEstimator` runs the same plan in one
process: the reference the workers' poses are checked against (tests, bench/bench_parallel_equality.py).

Each chunk after the first starts `OVERLAP_S` early; those warm-up frames settle the new graph's tracker
(measured: landmark differences fall from ~5 px to under 1 px within about 30 frames) and are then dropped,
but first they say how the new graph names left and right: a graph started from a fresh detection may name
a side-on person's legs (or arms) the other way round from the graph before it, which would move every rep
after the seam to the other side. Over the warm-up both graphs saw the same frames, so `seam_relabel`
compares them and the new graph's landmarks are renamed to match (`relabel_frame`, `PoseTrack.permuted`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecheck import pose as P
from posecheck.pose import NUM_LANDMARKS, Estimator, PoseFrame
from posecheck.posetrack import PoseTrack
from posecheck.sides import LEG_PAIRS

OVERLAP_S = 1.0  # warm-up before each chunk after the first (see above)
MIN_CHUNK_S = 5.0  # shorter chunks spend too much of their time warming up; shorter clips are one chunk
MAX_CHUNKS = 8  # 2, 4 or 8 chunks: an even share for 2, 4 or 8 cores; warm-up stays under ~20 % of the work
# Left/right groups MediaPipe may name either way round independently: legs, arms, face.
_ARM_PAIRS = tuple((a, a + 1) for a in range(P.LEFT_SHOULDER, 23, 2))
_FACE_PAIRS = tuple((a, b) for a, b in P.LEFT_RIGHT_PAIRS if a < P.LEFT_SHOULDER)
SIDE_GROUPS = (LEG_PAIRS, _ARM_PAIRS, _FACE_PAIRS)
CLEARLY = 0.5  # rename a group only when the crossed naming fits with under half the kept naming's distance


class ChunkError(RuntimeError):
    """A chunk could not be read exactly (frames missing or out of order): run the clip in one process."""


@dataclass(frozen=True)
class ClipScan:
    """Every frame's presentation time, read from the container without decoding (milliseconds a clip)."""

    pts: np.ndarray  # (n,) int64, presentation order = the order the sequential decoder yields frames
    time_base: float
    t0: float  # the first frame's time in seconds: frame times are relative to it, as in `sources`

    @property
    def times_s(self) -> np.ndarray:
        return (self.pts - self.pts[0]) * self.time_base


@dataclass(frozen=True)
class Chunk:
    """Frames warm..stop-1 go through one fresh graph; start..stop-1 are kept (warm == start for the first)."""

    warm: int
    start: int
    stop: int


def scan_clip(path: str | Path) -> ClipScan:
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.time_base is not None  # every demuxed video stream has one
        tb = float(stream.time_base)
        pts = np.array(sorted(p.pts for p in container.demux(stream) if p.pts is not None and p.size), np.int64)
        container.seek(0)
        first = next(container.decode(stream), None)
    if first is None or first.pts is None or not len(pts) or first.pts != pts[0] or len(np.unique(pts)) != len(pts):
        raise ChunkError("the clip's frame times are not a clean sequence")
    return ClipScan(pts, tb, float(first.time))


def chunk_count(duration_s: float, min_chunk_s: float = MIN_CHUNK_S, max_chunks: int = MAX_CHUNKS) -> int:
    """The largest power of two (up to `max_chunks`) that keeps every chunk at least `min_chunk_s` long.

    Powers of two share out evenly over 2, 4 or 8 workers (an odd count would leave one worker a whole chunk
    behind the other on two cores)."""
    n = 1
    while n * 2 <= max_chunks and duration_s / (n * 2) >= min_chunk_s:
        n *= 2
    return n


def plan_chunks(times_s: np.ndarray, overlap_s: float = OVERLAP_S) -> list[Chunk]:
    """The clip's chunks from its frame times (seconds from the first frame): the same on every machine."""
    n_frames = len(times_s)
    duration = float(times_s[-1]) if n_frames else 0.0
    n = chunk_count(duration)
    starts = sorted({int(np.searchsorted(times_s, duration * k / n)) for k in range(n)})
    stops = [*starts[1:], n_frames]
    return [Chunk(int(np.searchsorted(times_s, times_s[s] - overlap_s)) if s else 0, s, e)
            for s, e in zip(starts, stops, strict=True)]


def clip_plan(path: str | Path) -> list[Chunk] | None:
    """The plan of a clip PyAV can scan, or None (one graph from start to end: OpenCV's fallback, odd timing)."""
    try:
        return plan_chunks(scan_clip(path).times_s)
    except Exception:  # a damaged or unusual file: the sequential decoder reports what is wrong with it
        return None


def seam_relabel(old_px: np.ndarray, new_px: np.ndarray) -> np.ndarray | None:
    """How to rename the new graph's landmarks so its left and right match the old graph's, from both graphs'
    image landmarks (n, 33, 3) on the same warm-up frames: a (33,) index permutation, or None (names agree).

    Only the later half of the frames both graphs saw a person in counts (the new tracker has settled by then).
    Each group (legs, arms, face) is renamed when the crossed naming fits clearly better; a group whose two
    sides lie on top of each other (side-on, legs together) fits both ways alike and keeps its names."""
    seen = np.isfinite(old_px[:, :, :2]).all(axis=(1, 2)) & np.isfinite(new_px[:, :, :2]).all(axis=(1, 2))
    both = np.flatnonzero(seen)
    if not len(both):
        return None
    rows = both[len(both) // 2:]
    perm = np.arange(NUM_LANDMARKS)
    for pairs in SIDE_GROUPS:
        left, right = [a for a, _ in pairs], [b for _, b in pairs]
        o = old_px[rows][:, left + right, :2]
        keep = float(np.linalg.norm(o - new_px[rows][:, left + right, :2], axis=-1).sum())
        cross = float(np.linalg.norm(o - new_px[rows][:, right + left, :2], axis=-1).sum())
        if cross < CLEARLY * keep:
            perm[left + right] = right + left
    return None if (perm == np.arange(NUM_LANDMARKS)).all() else perm


def relabel_frame(pose: PoseFrame, perm: np.ndarray | None) -> PoseFrame:
    """`pose` with its landmarks renamed by `perm` (see seam_relabel)."""
    if perm is None or pose.image_px is None:
        return pose
    return PoseFrame(pose.t_s, pose.width, pose.height, pose.image_px[perm],
                     None if pose.world_m is None else pose.world_m[perm],
                     None if pose.visibility is None else pose.visibility[perm])


class SeamedEstimator:
    """The chunk plan in one process: a fresh graph at each chunk's start, warmed on the same frames a chunk
    worker warms it on and renamed the same way, so its poses equal the workers' exactly (the reference the
    parallel path is checked against). The n-th call is the clip's n-th frame."""

    def __init__(self, plan: Sequence[Chunk], make: Callable[[], Estimator]) -> None:
        self._plan = list(plan)
        self._make = make
        self._i = 0  # frames seen
        self._k = 0  # the chunk whose graph answers
        self._current = make()
        self._perm: np.ndarray | None = None  # renames the current graph's landmarks (seam_relabel)
        self._next: Estimator | None = None
        self._warm_old: list[PoseFrame] = []  # the answers given over the next chunk's warm-up
        self._warm_new: list[PoseFrame] = []  # the next graph's answers to the same frames

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        i = self._i
        self._i += 1
        warming = False
        if self._k + 1 < len(self._plan) and i >= (nxt := self._plan[self._k + 1]).warm:
            if self._next is None:
                self._next = self._make()
            if i < nxt.start:
                self._warm_new.append(self._next.process(rgb, t_s))  # settles the next graph; not an answer
                warming = True
            else:
                self._switch()
        pose = relabel_frame(self._current.process(rgb, t_s), self._perm)
        if warming:
            self._warm_old.append(pose)
        return pose

    def _switch(self) -> None:
        """The next chunk starts: its graph answers from now on, named as the answers before it were."""
        assert self._next is not None
        # Through PoseTrack, as the parallel path compares them: the same numbers, the same decision.
        self._perm = seam_relabel(PoseTrack.from_frames(self._warm_old).image_px,
                                  PoseTrack.from_frames(self._warm_new).image_px)
        self._current.close()
        self._current, self._next = self._next, None
        self._warm_old, self._warm_new = [], []
        self._k += 1

    def close(self) -> None:
        self._current.close()
        if self._next is not None:
            self._next.close()


def clip_estimator(path: str | Path, make: Callable[[], Estimator]) -> Estimator:
    """An estimator giving, in one process, the poses chunk workers give for `path`: seamed by the clip's plan,
    or one graph for a clip of one chunk (or one PyAV cannot scan, which the parallel path never splits)."""
    plan = clip_plan(path)
    if plan is None or len(plan) < 2:
        return make()
    return SeamedEstimator(plan, make)
