"""Throughput of the angles pipeline against bare MediaPipe, measured in one run on the same clip.

    python bench/bench_pipeline.py [CLIP] [--repeat N]

Prints frames/s for (1) bare MediaPipe inference on frames already decoded into memory (as many inference
threads as the pipeline uses), (2) the whole `posecheck angles` pipeline (decode, pose, kinematics, smoothing),
their ratio (goal >= 0.90), the per-frame cost of kinematics + smoothing alone, and the peak memory of each
stage. Without CLIP it generates a 10 s synthetic squat clip (640x480, 30 fps) first.

Then both cores for one clip, on the clip looped to at least 20 s: whole analyses (decode, pose, kinematics,
engine) per second of the sequential path (one process; its pose inference on every core, POSECHECK_POSE_THREADS)
and of chunk-parallel analysis (posecheck.parallel, --jobs worker processes), against bare single-stream
MediaPipe as it runs by default (one inference thread; goal >= 1.6x on 2 cores), against bare MediaPipe as
threaded as the analysis, and the ceiling of a split: as many bare MediaPipe processes as workers at once.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_mediapipe(frames: list[np.ndarray], threads: int = 1) -> float:
    """Frames/s of MediaPipe alone on frames in memory; threads=1 is MediaPipe's own default on a desktop."""
    from posecheck.pose import mediapipe_pose

    # The same graph posecheck runs (its own smoothing off: posecheck filters the angles itself).
    with mediapipe_pose(threads, static_image_mode=False, model_complexity=1, smooth_landmarks=False) as pose:
        pose.process(frames[0])  # graph warm-up is not throughput
        t0 = time.perf_counter()
        for rgb in frames:
            pose.process(rgb)
        return len(frames) / (time.perf_counter() - t0)


def whole_pipeline(clip: Path) -> tuple[float, int]:
    from posecheck.pipeline import AnglePipeline
    from posecheck.sources import open_video

    video = open_video(clip)
    with AnglePipeline() as pipe:
        n = 0
        t0 = None
        for frame in video:
            pipe.step(frame)
            if t0 is None:  # same warm-up exclusion as the bare run
                t0 = time.perf_counter()
                continue
            n += 1
        return n / (time.perf_counter() - t0), n + 1


def kinematics_cost(clip: Path, limit: int = 200) -> float:
    """Milliseconds per frame for compute_kinematics + smoothing on real poses (no MediaPipe)."""
    from posecheck.filters import OneEuroFilter
    from posecheck.kinematics import SIGNALS, compute_kinematics, signal_vector
    from posecheck.pose import PoseEstimator
    from posecheck.sources import open_video

    poses = []
    with PoseEstimator() as est:
        for frame in open_video(clip):
            poses.append(est.process(frame.rgb, frame.t_s))
            if len(poses) >= limit:
                break
    filt = OneEuroFilter(len(SIGNALS))
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        filt.reset()
        for p in poses:
            k = compute_kinematics(p)
            if k.detected:
                filt(p.t_s, signal_vector(k))
    return (time.perf_counter() - t0) * 1000 / (reps * len(poses))


def engine_cost(clip: Path, exercise_id: str = "squat", limit: int = 300) -> float:
    """Milliseconds per frame for the exercise tracker alone, fed the clip's real kinematics."""
    from posecheck.engine import Tracker
    from posecheck.exercises import get_exercise
    from posecheck.pipeline import AnglePipeline
    from posecheck.sources import open_video

    kins = []
    with AnglePipeline() as pipe:
        for frame in open_video(clip):
            kins.append(pipe.step(frame).kin)
            if len(kins) >= limit:
                break
    ex = get_exercise(exercise_id)
    reps = 5
    t0 = time.perf_counter()
    for _ in range(reps):
        tracker = Tracker(ex)
        for k in kins:
            tracker.update(k)
    return (time.perf_counter() - t0) * 1000 / (reps * len(kins))


# VmHWM, not ru_maxrss: a forked child inherits its parent's ru_maxrss on Linux, the new address space's peak
# starts afresh at exec.
_RSS_CHILD = """
import re, sys
from posecheck.pipeline import AnglePipeline
from posecheck.sources import open_video
with AnglePipeline() as pipe:
    n = sum(1 for f in open_video(sys.argv[1]) if pipe.step(f) is not None)
hwm_kb = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read())[1])
print(n, hwm_kb / 1024)
"""


def pipeline_rss(clip: Path) -> tuple[int, float]:
    """(frames, peak RSS in MB) of a fresh process running the angles pipeline over `clip`."""
    out = subprocess.run([sys.executable, "-c", _RSS_CHILD, str(clip)], capture_output=True, text=True, check=True)
    n, mb = out.stdout.split()[-2:]
    return int(n), float(mb)


def looped(clip: Path, times: int, out: Path) -> Path:
    """`clip` played `times` times over as one file (PyAV remux with shifted timestamps)."""
    import av

    with av.open(str(clip)) as src, av.open(str(out), "w") as dst:
        s_in = src.streams.video[0]
        s_out = dst.add_stream_from_template(s_in)
        packets = [p for p in src.demux(s_in) if p.dts is not None]
        pts = sorted(p.pts for p in packets)  # decode order is not presentation order (B-frames)
        span = pts[-1] - pts[0] + (pts[1] - pts[0])
        for k in range(times):
            for pkt in packets:
                pkt.pts += span if k else 0
                pkt.dts += span if k else 0
                pkt.stream = s_out
                dst.mux(pkt)
    return out


_BARE_CHILD = """
import sys, time
import mediapipe as mp
from posecheck.sources import open_video
frames = [f.rgb for f in open_video(sys.argv[1])]
with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=False) as pose:
    pose.process(frames[0])
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = time.perf_counter()
    for rgb in frames:
        pose.process(rgb)
    print(len(frames) / (time.perf_counter() - t0), flush=True)
"""


def bare_mediapipe_processes(clip: Path, n: int) -> float:
    """Frames/s of `n` bare MediaPipe processes running at once over pre-decoded frames, summed: what any split
    of one clip over `n` processes could reach at best on this machine (no decoding, no counting)."""
    procs = [subprocess.Popen([sys.executable, "-c", _BARE_CHILD, str(clip)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(n)]
    try:
        for pr in procs:  # every graph loaded and its frames decoded before any starts timing
            assert pr.stdout is not None and pr.stdout.readline().strip() == "ready"
        for pr in procs:
            assert pr.stdin is not None
            pr.stdin.write("go\n")
            pr.stdin.flush()
        return sum(float(pr.stdout.readline()) for pr in procs if pr.stdout is not None)
    finally:
        for pr in procs:
            pr.wait(timeout=120)


def analysis_fps(clip: Path, jobs: int) -> float:
    """Frames per second of a whole clip analysis (no video written): jobs=1 is today's sequential path."""
    from posecheck.exercises import get_exercise
    from posecheck.parallel import analyze

    t0 = time.perf_counter()
    report = analyze(clip, get_exercise("squat"), jobs=jobs)
    return report.frames / (time.perf_counter() - t0)


def parallel_section(clip: Path, jobs: int, repeat: int) -> None:
    """Both cores for one clip, on a clip of at least 20 s: the sequential analysis (its pose model's inference
    threaded over the cores) and chunk-parallel analysis (`jobs` worker processes), against bare single-stream
    MediaPipe as it runs by default (one inference thread) and as threaded as the analysis."""
    from posecheck.pose import default_pose_threads
    from posecheck.sources import open_video

    frames = [f.rgb for f in open_video(clip)]
    threads = default_pose_threads()

    with tempfile.TemporaryDirectory() as d:
        info = open_video(clip).info
        times = max(1, int(np.ceil(20.0 / max(info.duration_s, 0.1))))
        long_clip = looped(clip, times, Path(d) / "long.mp4") if times > 1 else clip
        n = open_video(long_clip).info
        print(f"\nboth cores for one clip ({threads} inference threads; {jobs} jobs) on {n.duration_s:.1f} s "
              f"({clip.name} x{times}):")
        cold = analysis_fps(long_clip, jobs) if jobs > 1 else 0.0  # includes starting the worker pool
        bares, bares_mt, seq, par, ceil = [], [], [], [], []
        for _ in range(max(1, repeat)):  # alternate so machine noise hits all alike
            bares.append(bare_mediapipe(frames))
            bares_mt.append(bare_mediapipe(frames, threads))
            ceil.append(bare_mediapipe_processes(clip, jobs) if jobs > 1 else bares[-1])
            seq.append(analysis_fps(long_clip, 1))
            par.append(analysis_fps(long_clip, jobs) if jobs > 1 else seq[-1])
    bare, bare_mt, s, p, c = max(bares), max(bares_mt), max(seq), max(par), max(ceil)

    def runs(xs: list[float]) -> str:
        return f"runs={[round(x, 1) for x in xs]}"

    print(f"bare MediaPipe, one stream (1 thread):  {bare:7.1f} frames/s   {runs(bares)}   (MediaPipe's default)")
    print(f"bare MediaPipe, one stream, {threads} threads: {bare_mt:7.1f} frames/s   {runs(bares_mt)}   "
          f"= {bare_mt / bare:.3f}x")
    print(f"bare MediaPipe, {jobs} processes at once:  {c:7.1f} frames/s   {runs(ceil)}   = {c / bare:.3f}x")
    print(f"sequential analysis (jobs=1, {threads} threads): {s:7.1f} frames/s   {runs(seq)}")
    print(f"chunk-parallel analysis (warm pool):    {p:7.1f} frames/s   {runs(par)}")
    if jobs > 1:
        print(f"chunk-parallel, first call (cold):      {cold:7.1f} frames/s   (includes starting {jobs} workers)")
    print(f"ratio sequential / bare MediaPipe:      {s / bare:7.3f}   (goal >= 1.6 on 2 cores: the default path)")
    print(f"ratio parallel / bare MediaPipe:        {p / bare:7.3f}")
    print(f"ratio sequential / bare, {threads} threads:    {s / bare_mt:7.3f}   (the analysis's own cost: decoding, "
          f"the second-person check, counting)")
    print(f"ratio parallel / sequential:            {p / s:7.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?")
    ap.add_argument("--repeat", type=int, default=2, help="alternate the two measurements this many times")
    ap.add_argument("--jobs", type=int, default=None, help="chunk-parallel workers (default: every core)")
    ap.add_argument("--only-parallel", action="store_true", help="bare MediaPipe and the chunk-parallel part only")
    args = ap.parse_args()
    tmp = None
    clip = Path(args.clip) if args.clip else None
    if clip is None:
        from posecheck.synth import generate_clip

        tmp = tempfile.TemporaryDirectory()
        clip = generate_clip("squat", Path(tmp.name) / "squat.mp4", reps=4)

    from posecheck.parallel import default_jobs
    from posecheck.pose import default_pose_threads
    from posecheck.sources import open_video

    jobs = args.jobs or default_jobs()
    if args.only_parallel:
        parallel_section(clip, jobs, args.repeat)
        return 0
    frames = [f.rgb for f in open_video(clip)]
    decoded_mb = sum(f.nbytes for f in frames) / 2**20
    print(f"clip: {clip}  frames={len(frames)}  size={frames[0].shape[1]}x{frames[0].shape[0]}")
    bare, pipe = [], []
    for _ in range(max(1, args.repeat)):  # alternate so machine noise hits both alike
        bare.append(bare_mediapipe(frames, default_pose_threads()))  # as threaded as the pipeline's
        pipe.append(whole_pipeline(clip)[0])
    del frames
    b, p = max(bare), max(pipe)
    tracemalloc.start()
    whole_pipeline(clip)
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kin_ms = kinematics_cost(clip)
    eng = {ex: engine_cost(clip, ex) for ex in ("squat", "single_leg_raise", "kneeling_hip_flexor_stretch")}
    print(f"bare MediaPipe (frames pre-decoded):  {b:7.1f} frames/s   runs={[round(x, 1) for x in bare]}")
    print(f"posecheck angles pipeline (decode+):  {p:7.1f} frames/s   runs={[round(x, 1) for x in pipe]}")
    print(f"ratio pipeline / bare:                {p / b:7.3f}   (goal >= 0.90)")
    print(f"kinematics + smoothing per frame:     {kin_ms:7.3f} ms")
    for ex, ms in eng.items():
        print(f"engine ({ex}) per frame:".ljust(38) + f"{ms:7.3f} ms   (goal < 0.2)")
    print(f"pipeline Python heap peak:            {py_peak / 2**20:7.1f} MB   "
          f"(pre-decoded frames were {decoded_mb:.0f} MB)")
    print(f"process peak RSS (this bench):        {_rss_mb():7.1f} MB")
    with tempfile.TemporaryDirectory() as d:
        n1, mb1 = pipeline_rss(clip)
        n4, mb4 = pipeline_rss(looped(clip, 4, Path(d) / "x4.mp4"))
    print(f"angles pipeline peak RSS, own process: {mb1:6.1f} MB for {n1} frames, {mb4:.1f} MB for {n4} frames "
          f"(4x the clip: memory must not grow with length)")
    parallel_section(clip, jobs, args.repeat)
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
