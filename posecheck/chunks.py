"""The chunk plan every clip analysis follows, in one process or many: where MediaPipe starts a fresh graph.

MediaPipe in video mode is stateful: it tracks the person from the last frame's landmarks, so a graph started
mid-clip never returns to exactly the numbers of one that ran from the start (pixels apart, settling over about a
second). Splitting a clip over worker processes therefore changed hold timings and fault counts whenever the
split moved. So the split is part of the analysis itself: a clip's chunks depend on the clip alone (its frame
times), never on the number of cores, and the one-process path starts a fresh graph at the same frames, warmed
on the same frames, as a worker does (`SeamedEstimator`). One process, two or sixteen: the same poses, bit for
bit, and so the same counts on every machine.

Each chunk after the first starts `OVERLAP_S` early; those warm-up frames only settle the new graph's tracker
(measured: landmark differences fall from ~5 px to under 1 px within about 30 frames) and are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posecheck.pose import Estimator, PoseFrame

OVERLAP_S = 1.0  # warm-up before each chunk after the first (see above)
MIN_CHUNK_S = 5.0  # shorter chunks spend too much of their time warming up; shorter clips are one chunk
MAX_CHUNKS = 8  # 2, 4 or 8 chunks: an even share for 2, 4 or 8 cores; warm-up stays under ~20 % of the work
PLAN_KEY = f"chunks-v1-{MIN_CHUNK_S:g}s-{OVERLAP_S:g}s-{MAX_CHUNKS}"  # for caches of recorded poses


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


class SeamedEstimator:
    """One process's way through a chunk plan: a fresh graph at each chunk's start, warmed on the same frames
    a chunk worker warms it on, so its poses equal the workers' exactly. The n-th call is the clip's n-th frame."""

    def __init__(self, plan: Sequence[Chunk], make: Callable[[], Estimator]) -> None:
        self._plan = list(plan)
        self._make = make
        self._i = 0  # frames seen
        self._k = 0  # the chunk whose graph answers
        self._current = make()
        self._next: Estimator | None = None

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        i = self._i
        self._i += 1
        if self._k + 1 < len(self._plan) and i >= (nxt := self._plan[self._k + 1]).warm:
            if self._next is None:
                self._next = self._make()
            if i < nxt.start:
                self._next.process(rgb, t_s)  # warm-up: settles the next graph, its answer is not kept
            else:
                self._current.close()
                self._current, self._next = self._next, None
                self._k += 1
        return self._current.process(rgb, t_s)

    def close(self) -> None:
        self._current.close()
        if self._next is not None:
            self._next.close()


def clip_estimator(path: str | Path, make: Callable[[], Estimator]) -> Estimator:
    """The estimator a whole-clip analysis of `path` uses: seamed by the clip's plan, or one graph for a clip of
    one chunk (or one PyAV cannot scan, which the parallel path never splits either)."""
    plan = clip_plan(path)
    if plan is None or len(plan) < 2:
        return make()
    return SeamedEstimator(plan, make)
