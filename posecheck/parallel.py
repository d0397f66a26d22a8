"""Chunk-parallel clip analysis: MediaPipe over time chunks in worker processes, counting in one pass after.

MediaPipe is most of an analysis's cost and runs one frame after another in one graph, so a clip uses one
core. Here the clip's chunks (`chunks.plan_chunks`: the same plan the one-process path follows, so both give
the same poses bit for bit) go to worker processes; each decodes its chunk (seeking to it) and runs its own
fresh graph over the chunk's warm-up and kept frames, returning only landmark arrays (a `PoseTrack`, a few KB
a frame, never pixels), so memory stays flat in clip length. The pieces are joined with `PoseTrack.concat`
and kinematics, smoothing and the exercise engine run once, in order, over the joined track
(`analyze_track`), so counting never sees a seam.

Anything unexpected on the parallel path (a frame a worker could not find, a crashed or stuck worker) falls
back to the one-process path, which follows the same plan and has its own protection against damaged files;
bad input a user can fix is reported by `open_video` before any worker starts.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing as mp
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posecheck import pose as pose_module
from posecheck import settings
from posecheck.chunks import ChunkError, ClipScan, plan_chunks, scan_clip, seam_relabel
from posecheck.engine import SideChoice
from posecheck.exercises import Exercise
from posecheck.kinematics import AngleSource
from posecheck.pipeline import DEFAULT_SOURCE, MAX_SIDE_PX, analyze_clip, analyze_track, record_track
from posecheck.posetrack import PoseTrack, ReplayEstimator
from posecheck.report import Report
from posecheck.sources import VideoInfo, open_video

log = logging.getLogger(__name__)

STALL_S = 30.0  # no word from any worker for this long: give up on the parallel path
POSE_SHARE = 0.6  # of the time with a video to write, roughly (2 cores): the progress bar's split
PROGRESS_EVERY = 10  # frames between a worker's progress messages (each one is an IPC round trip)

Progress = Callable[[int, int], None]


def default_jobs() -> int:
    """POSECHECK_JOBS, else one process. A chunk's fresh MediaPipe graph never rejoins the one-process run's
    numbers, and restarting the one-process run at the same seams (which would make the two equal) moved reps
    to the wrong side on a synthetic knee-to-chest clip (the far leg's labels are on a knife edge there); so
    counting accuracy keeps the continuous one-process path as the default and the parallel one is opt-in."""
    text = settings.current().jobs
    if text:
        if text.isdigit() and int(text) >= 1:
            return int(text)
        log.warning("POSECHECK_JOBS=%r is not a positive whole number; using one process", text)
    return 1


# --- the plan: which frames each worker decodes, which it keeps ----------------------------------


@dataclass(frozen=True)
class ChunkTask:
    """One worker's job: decode frames warm..stop-1 of the clip, keep start..stop-1."""

    index: int
    path: str
    rotation_deg: int
    pts: tuple[int, ...]  # the pts of frames warm..stop-1, in order
    keep_from: int  # position in `pts` of the first kept frame (the number of warm-up frames)
    t0: float
    model_path: str | None
    max_side: int | None
    crowd: bool
    threads: int = 1  # inference threads of the worker's graphs (the cores shared out between the workers)


@dataclass(frozen=True)
class ChunkResult:
    index: int
    track: PoseTrack
    warm: PoseTrack  # the warm-up frames' poses (compared with the chunk before: chunks.seam_relabel)
    crowd_warning: tuple[float, str] | None  # (time, words) of a second person this chunk saw


@dataclass(frozen=True)
class Recording:
    """A clip's poses recorded in parallel, with what the workers' crowd checks said."""

    track: PoseTrack
    info: VideoInfo
    notes: tuple[str, ...]  # extra report warnings (a second person in view)
    chunks: int


def plan_tasks(path: str | Path, info: VideoInfo, scan: ClipScan, model_path: str | Path | None,
               max_side: int | None, crowd: bool, jobs: int = 1) -> list[ChunkTask]:
    """One task a chunk of the clip's plan (`chunks.plan_chunks`: it depends on the clip, not on the workers)."""
    threads = pose_module.default_pose_threads(streams=jobs)
    return [ChunkTask(i, str(path), info.rotation_deg, tuple(int(p) for p in scan.pts[c.warm:c.stop]),
                      c.start - c.warm, scan.t0, str(model_path) if model_path else None, max_side, crowd, threads)
            for i, c in enumerate(plan_chunks(scan.times_s))]


# --- the worker ------------------------------------------------------------------------------------


def record_chunk(task: ChunkTask, progress_q: Any = None) -> ChunkResult:
    """Runs in a worker process: decode the chunk (from the keyframe before it), a fresh graph, poses out."""
    from posecheck.crowd import SecondPersonCheck

    est = pose_module.PoseEstimator(task.model_path, threads=task.threads)  # fresh per chunk: no state leaks
    crowd = SecondPersonCheck(threads=task.threads) if task.crowd else None
    poses: list[pose_module.PoseFrame] = []
    warm: list[pose_module.PoseFrame] = []
    size: tuple[int, int] | None = None
    warning: tuple[float, str] | None = None
    try:
        for i, (t_s, rgb) in enumerate(_chunk_frames(task)):
            pose = est.process(rgb, t_s)
            size = size or (rgb.shape[1], rgb.shape[0])
            if i < task.keep_from:  # warm-up: settles the tracker, and tells how it names left and right
                warm.append(pose)
            else:
                poses.append(pose)
                if crowd is not None and (words := crowd.update(rgb, pose, t_s)) is not None:
                    warning = (t_s, words)
            if progress_q is not None and ((i + 1) % PROGRESS_EVERY == 0 or i + 1 == len(task.pts)):
                progress_q.put((task.index, i + 1))
    finally:
        est.close()
        if crowd is not None:
            crowd.close()
    if size is None or not poses:
        raise ChunkError(f"chunk {task.index} kept no frame")
    return ChunkResult(task.index, PoseTrack.from_frames(poses, *size), PoseTrack.from_frames(warm, *size), warning)


def _chunk_frames(task: ChunkTask):
    """The chunk's frames as (t_s, rgb) exactly as the sequential decoder (`sources._frames_pyav`) makes them."""
    import av

    from posecheck.sources import Frame, downscale

    k = (task.rotation_deg // 90) % 4
    want = task.pts
    i = 0
    last_t = -np.inf
    with av.open(task.path) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1  # the cores are busy with chunks; no FFmpeg threads to deadlock
        container.seek(want[0], stream=stream, backward=True, any_frame=False)
        for vf in container.decode(stream):
            if vf.pts is None or vf.pts < want[i]:
                continue  # before the chunk: decoded from the keyframe, not needed
            if vf.pts != want[i]:
                raise ChunkError(f"chunk {task.index}: expected frame pts {want[i]}, decoded {vf.pts}")
            rgb: np.ndarray = vf.to_ndarray(format="rgb24")
            if k:
                rgb = np.ascontiguousarray(np.rot90(rgb, -k))
            t_s = max(vf.time - task.t0, last_t + 1e-6)  # the first frame of the clip: exactly 0.0
            last_t = t_s
            if task.max_side and max(rgb.shape[:2]) > task.max_side:
                rgb = downscale(Frame(t_s, rgb, 0), task.max_side).rgb
            yield t_s, rgb
            i += 1
            if i == len(want):
                return
    raise ChunkError(f"chunk {task.index}: decoded {i} of {len(want)} frames")


# --- the pool (kept for the life of the process: the app analyses many clips) ----------------------


class _Pool:
    """One process pool and one queue manager, started on first use and reused; replaced if they break."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs = 0
        self._executor: ProcessPoolExecutor | None = None
        self._manager: Any = None

    def get(self, jobs: int) -> tuple[ProcessPoolExecutor, Any]:
        with self._lock:
            if self._executor is None or self._jobs != jobs:
                self._close_locked(kill=False)
                # forkserver: workers fork from a clean server process, never from this one (its threads, a
                # Streamlit server's, and any MediaPipe graph it holds must not be copied into a child).
                ctx = mp.get_context("forkserver")
                ctx.set_forkserver_preload(["posecheck.parallel"])
                self._executor = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx)
                self._manager = ctx.Manager()
                self._jobs = jobs
            return self._executor, self._manager

    def discard(self) -> None:
        """After a stall or crash: kill the workers (a stuck decoder would never return) and start afresh."""
        with self._lock:
            self._close_locked(kill=True)

    def _close_locked(self, kill: bool) -> None:
        if self._executor is not None:
            if kill:
                for proc in list(getattr(self._executor, "_processes", {}).values()):
                    with contextlib.suppress(Exception):
                        proc.kill()
            self._executor.shutdown(wait=not kill, cancel_futures=True)
        if self._manager is not None:
            with contextlib.suppress(Exception):
                self._manager.shutdown()
        self._executor, self._manager, self._jobs = None, None, 0

    def close(self) -> None:
        with self._lock:
            self._close_locked(kill=False)


_POOL = _Pool()
atexit.register(_POOL.close)


@contextlib.contextmanager
def main_not_reimported() -> Iterator[None]:
    """While worker processes start: a spawned/forkserver child re-runs the parent's `__main__` file unless it is
    hidden, and under Streamlit or AppTest that file is a page script (it failed with a NameError there).
    The workers need nothing from `__main__`: their functions live in posecheck's modules (here and the batch's
    Dask workers)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None:
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _run_tasks(tasks: Sequence[ChunkTask], jobs: int, progress: Progress | None, total: int) -> list[ChunkResult]:
    with main_not_reimported():
        executor, manager = _POOL.get(jobs)
        q = manager.Queue()
        futures: list[Future] = [executor.submit(record_chunk, t, q) for t in tasks]
    work = sum(len(t.pts) for t in tasks)
    done = [0] * len(tasks)
    heard = time.monotonic()
    while not all(f.done() for f in futures):
        try:
            idx, n = q.get(timeout=0.2)
        except queue.Empty:
            if time.monotonic() - heard > STALL_S:
                _POOL.discard()
                raise ChunkError(f"no worker reported for {STALL_S:g} s") from None
            continue
        heard = time.monotonic()
        done[idx] = n
        if progress is not None:
            progress(int(total * sum(done) / work), total)  # warm-up frames count, so the bar ends at 100 %
    return [f.result() for f in futures]


def record_parallel(path: str | Path, info: VideoInfo, jobs: int, *, model_path: str | Path | None = None,
                    max_side: int | None = MAX_SIDE_PX, progress: Progress | None = None,
                    crowd: bool = True) -> Recording | None:
    """The clip's poses via chunk workers, or None when the clip should run sequentially (short, odd, failed)."""
    if info.backend != "pyav" or jobs < 2:
        return None
    try:
        scan = scan_clip(path)
        tasks = plan_tasks(path, info, scan, model_path, max_side, crowd, jobs)
        if len(tasks) < 2:
            return None
        results = sorted(_run_tasks(tasks, jobs, progress, len(scan.pts)), key=lambda r: r.index)
    except Exception as exc:  # the sequential path is always there and handles damaged files on its own
        if not isinstance(exc, ChunkError):
            _POOL.discard()  # a crashed worker breaks the whole pool: the next clip gets a fresh one
        log.warning("%s: parallel analysis failed (%s); analysing sequentially", path, exc)
        return None
    track = join_chunks(results)
    if len(track) != len(scan.pts) or np.any(np.diff(track.t_s) <= 0):
        log.warning("%s: parallel chunks did not join cleanly; analysing sequentially", path)
        return None
    warnings = [w for r in results if r.crowd_warning is not None for w in [r.crowd_warning]]
    notes = (min(warnings)[1],) if warnings else ()
    return Recording(track, info, notes, len(tasks))


def join_chunks(results: Sequence[ChunkResult]) -> PoseTrack:
    """The chunks' poses as one track, each chunk's left and right named as the chunk before named them
    (decided on the warm-up frames, exactly as `chunks.SeamedEstimator` decides in one process)."""
    parts = [results[0].track]
    for r in results[1:]:
        # A chunk's warm-up lies inside the chunk before (chunks outlast the overlap), already renamed: a
        # renaming carries on down the chain.
        old = parts[-1].image_px[len(parts[-1]) - len(r.warm):]
        parts.append(r.track.permuted(seam_relabel(old, r.warm.image_px)))
    return PoseTrack.concat(parts)


# --- front doors ----------------------------------------------------------------------------------


def can_run_parallel(jobs: int, estimator: object | None = None) -> bool:
    """Parallel only with the real MediaPipe: a given estimator (replayed poses) lives in this process only,
    and so does a test's stand-in for `pose.make_estimator`."""
    return jobs >= 2 and estimator is None and pose_module.builds_mediapipe()


def record_clip(path: str | Path, *, jobs: int | None = None, model_path: str | Path | None = None,
                max_side: int | None = MAX_SIDE_PX, progress: Progress | None = None) -> PoseTrack:
    """`pipeline.record_track`, over chunk workers when asked and the clip has more than one chunk."""
    jobs = default_jobs() if jobs is None else jobs
    if can_run_parallel(jobs):
        rec = record_parallel(path, open_video(path).info, jobs, model_path=model_path, max_side=max_side,
                              progress=progress, crowd=False)
        if rec is not None:
            return rec.track
    return record_track(path, model_path=model_path, max_side=max_side, progress=progress)


def analyze(path: str | Path, exercise: Exercise, side: SideChoice = "auto", *, jobs: int | None = None,
            source: AngleSource = DEFAULT_SOURCE, model_path: str | Path | None = None,
            out_video: str | Path | None = None, max_side: int | None = MAX_SIDE_PX,
            progress: Progress | None = None, estimator: pose_module.Estimator | None = None,
            strict_depth: bool | None = None, check_exercise: bool = True) -> Report:
    """`pipeline.analyze_clip` with MediaPipe spread over `jobs` processes (default: `default_jobs`).

    Any jobs >= 2 gives the same report (the chunks depend on the clip alone); jobs=1, a given estimator, a
    clip of one chunk or any trouble on the parallel path runs `analyze_clip` itself.
    """
    jobs = default_jobs() if jobs is None else jobs
    seq: dict[str, Any] = dict(source=source, model_path=model_path, out_video=out_video, max_side=max_side,
               strict_depth=strict_depth, check_exercise=check_exercise)
    if not can_run_parallel(jobs, estimator):
        return analyze_clip(path, exercise, side, progress=progress, estimator=estimator, **seq)
    info = open_video(path).info  # bad input fails here, in words, before any worker starts
    # With a video to write, the poses come from the workers and a second, sequential pass decodes, replays
    # them and draws: drawing and H.264 encoding need every frame in order in one process, and re-decoding
    # costs far less than the MediaPipe work the workers took over (README: benchmarks). That pass also runs
    # the second-person check on real frames, so the workers skip it.
    first, second = _split_progress(progress, info.frame_count, out_video is not None)
    rec = record_parallel(path, info, jobs, model_path=model_path, max_side=max_side, progress=first,
                          crowd=out_video is None)
    if rec is None:
        return analyze_clip(path, exercise, side, progress=progress, **seq)
    if out_video is not None:
        return analyze_clip(path, exercise, side, progress=second, estimator=ReplayEstimator(rec.track), **seq)
    return analyze_track(rec.track, exercise, side, source=source, clip=str(path), info=info,
                         strict_depth=strict_depth, check_exercise=check_exercise, notes=rec.notes)


def _split_progress(progress: Progress | None, frames: int,
                    two_passes: bool) -> tuple[Progress | None, Progress | None]:
    """With a drawing pass after the poses, one bar covers both: the poses up to `POSE_SHARE`, drawing the rest."""
    if progress is None or not two_passes:
        return progress, None

    def first(done: int, total: int) -> None:
        progress(int(POSE_SHARE * done), total)

    def second(done: int, total: int) -> None:
        total = total or frames or done
        progress(min(total, int(POSE_SHARE * total + (1 - POSE_SHARE) * done)), total)

    return first, second


# --- checking the parallel path against the sequential one (tests, bench/bench_parallel_equality.py) -----


def report_mismatches(seq: Report, par: Report, time_tol_s: float = 0.1) -> list[str]:
    """How `par` differs from `seq` in what a user is told: counts, holds, faults. Empty: they agree.

    Counts, the number of holds and each fault code's count per side must be equal, times within `time_tol_s`
    (0 asks for exactly equal): MediaPipe's tracker never returns to exactly the one-process run's numbers after
    a chunk's fresh start (bench/bench_parallel_equality.py measures how far apart the angles stay).
    """
    a, b = seq.to_json(), par.to_json()
    out = [f"{k}: {a['reps'][k]} != {b['reps'][k]}" for k in a["reps"] if a["reps"][k] != b["reps"][k]]
    if len(a["holds"]) != len(b["holds"]):
        out.append(f"holds: {len(a['holds'])} != {len(b['holds'])}")
    else:
        for i, (h, g) in enumerate(zip(a["holds"], b["holds"], strict=True)):
            if h["side"] != g["side"] or h["ok"] != g["ok"] or any(
                    abs(h[k] - g[k]) > time_tol_s for k in ("start_s", "end_s", "duration_s")):
                out.append(f"hold {i + 1}: {h} != {g}")
    fa, fb = _fault_counts(a["faults"]), _fault_counts(b["faults"])
    if fa != fb:
        out.append(f"faults: {fa} != {fb}")
    for i, (r, s) in enumerate(zip(a["rep_list"], b["rep_list"], strict=False)):
        if r["side"] != s["side"] or abs(r["end_s"] - s["end_s"]) > time_tol_s:
            out.append(f"rep {i + 1}: {r['side']} ending {r['end_s']} != {s['side']} ending {s['end_s']}")
    return out


def _fault_counts(faults: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for f in faults:
        key = (f["code"], str(f["side"]))
        counts[key] = counts.get(key, 0) + 1
    return counts


def angle_differences(seq: Report, par: Report) -> np.ndarray:
    """Per-frame largest absolute difference over the angle signals, where both runs have a value (degrees)."""
    a = np.array([seq.series.values[n] for n in seq.series.values], dtype=float)
    b = np.array([par.series.values[n] for n in par.series.values], dtype=float)
    d = np.abs(a - b)
    d[~np.isfinite(d)] = np.nan
    return np.nanmax(d, axis=0, initial=0.0) if d.size else np.zeros(0)
