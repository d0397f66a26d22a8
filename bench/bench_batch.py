"""Batch throughput: `posecheck batch` on a Dask LocalCluster with N workers against one process, same clips.

    python bench/bench_batch.py [CLIP ...] [--workers 2] [--clips 8]

Without clips it renders 8 synthetic clips (squats and lunges, 6-8 s, 640x480, 30 fps). Prints clips/s and
frames/s of (1) one process analysing the clips one after another (the sequential path, as `analyze -j 1`
does), (2) `batch.run_batch` with --workers Dask worker processes (cluster start included, and without
it), and their ratio (goal >= 1.7 with 2 workers on 2 cores). Each run writes to a fresh folder, so
nothing is skipped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path


def make_clips(folder: Path, n: int) -> list[Path]:
    from posecheck.synth import generate_clip

    scripts = ["squat", "lunge"]
    return [generate_clip(scripts[i % 2], folder / f"clip{i}.mp4", reps=2 + i % 2, seed=i) for i in range(n)]


def one_process(clips: list[Path]) -> tuple[float, int]:
    """Seconds and frames for analysing the clips one after another in this process."""
    from posecheck.batch import BatchSettings, analyse_one

    t0 = time.perf_counter()
    frames = 0
    for clip in clips:
        row = analyse_one(str(clip), BatchSettings("squat"), "bench")["row"]
        frames += row["frames"] or 0
    return time.perf_counter() - t0, frames


def on_cluster(clips: list[Path], workers: int) -> tuple[float, float, int]:
    """(seconds including the cluster's start, seconds of the batch alone, frames) for run_batch."""
    from distributed import Client

    from posecheck import batch

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as out, batch.local_cluster(workers) as cluster:
        with Client(cluster) as client:
            client.wait_for_workers(workers)
            t1 = time.perf_counter()
            outcome = batch.run_batch(clips, batch.BatchSettings("squat"), Path(out),
                                      scheduler=cluster.scheduler_address)
        t_end = time.perf_counter()
    errors = [r["error"] for r in outcome.rows if r.get("error")]
    if errors:
        print("errors:", errors)
    return t_end - t0, t_end - t1, sum(r["frames"] or 0 for r in outcome.rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--clips", dest="n", type=int, default=8, help="synthetic clips to render (default: 8)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        clips = args.clips or make_clips(Path(d), args.n)
        print(f"{len(clips)} clips, {args.workers} Dask workers")
        t_one, frames = one_process(clips)
        t_all, t_batch, frames_b = on_cluster(clips, args.workers)
    for name, t, n in (("one process", t_one, frames), ("batch (with start)", t_all, frames_b),
                       ("batch (warm)", t_batch, frames_b)):
        print(f"{name + ':':20s}{t:7.1f} s  {len(clips) / t:6.3f} clips/s  {n / t:6.1f} frames/s")
    print(f"ratio batch / one process: {t_one / t_all:.3f} with the cluster's start, {t_one / t_batch:.3f} without "
          f"(goal >= 1.7 with 2 workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
