"""Does chunk-parallel analysis tell the user what the one-process analysis tells them? Every clip, both paths.

    python bench/bench_parallel_equality.py [CLIP ...] [--jobs N] [--exercise ID]

Default clips: samples/*.mp4, plus ../shared/clips/*.mp4|mov when that folder exists beside the repo.
The exercise comes from the clip's truth file (samples) or labels.json (shared clips); clips labelled with
none are counted as squats (any rule set shows whether the two paths agree). Prints one row per clip: the
chunks, each path's reps/holds/faults, the angle differences against the one-process analysis (per frame,
the largest over the angle signals: median, 99th percentile, max), whether the workers' poses equal the
one-process run of the same chunk plan (chunks.SeamedEstimator) bit for bit, the wall times and what the user
would be told differently; then the number of clips whose reports differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# beside the repo; from a git worktree (/work/wt/NAME) that is one folder further up
SHARED = next((p for p in (REPO.parent / "shared" / "clips", REPO.parents[1] / "shared" / "clips") if p.is_dir()),
              REPO.parent / "shared" / "clips")


def default_clips() -> list[Path]:
    clips = sorted((REPO / "samples").glob("*.mp4"))
    if SHARED.is_dir():
        clips += sorted(p for p in SHARED.iterdir() if p.suffix.lower() in (".mp4", ".mov"))
    return clips


def exercise_for(clip: Path, fallback: str) -> str:
    truth = clip.with_suffix(".truth.json")
    if truth.is_file():
        return json.loads(truth.read_text())["exercise"]
    labels = clip.parent / "labels.json"
    if labels.is_file():
        for lab in json.loads(labels.read_text()):
            if lab["file"] == clip.name and lab.get("exercise_id"):
                return lab["exercise_id"]
    return fallback


def compare(clip: Path, exercise_id: str, jobs: int) -> dict:
    from posecheck.chunks import clip_estimator
    from posecheck.exercises import get_exercise
    from posecheck.parallel import angle_differences, record_parallel, report_mismatches
    from posecheck.pipeline import analyze_clip, analyze_track, record_track
    from posecheck.pose import make_estimator
    from posecheck.sources import open_video

    ex = get_exercise(exercise_id)
    t0 = time.perf_counter()
    seq = analyze_clip(clip, ex)
    t_seq = time.perf_counter() - t0
    t0 = time.perf_counter()
    info = open_video(clip).info
    rec = record_parallel(clip, info, jobs)
    if rec is None:
        return dict(chunks=1, seq=seq, t_seq=t_seq, t_par=float("nan"), diffs=[], d=np.zeros(0), same="-")
    par = analyze_track(rec.track, ex, clip=str(clip), info=info, notes=rec.notes)
    t_par = time.perf_counter() - t0
    ref = record_track(clip, estimator=clip_estimator(clip, make_estimator))  # the plan, run in one process
    same_poses = all(np.array_equal(getattr(ref, a), getattr(rec.track, a), equal_nan=True)
                     for a in ("t_s", "image_px", "world_m", "visibility", "detected"))
    return dict(chunks=rec.chunks, seq=seq, par=par, t_seq=t_seq, t_par=t_par, diffs=report_mismatches(seq, par),
                d=angle_differences(seq, par), same="yes" if same_poses else "NO")


def counts(report) -> str:
    j = report.to_json()
    r = j["reps"]
    return f"{r['total']}({r['left']}/{r['right']}/p{r['partial']}) h{len(j['holds'])} f{len(j['faults'])}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", nargs="*", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--exercise", default="squat", help="for clips with no exercise label (default: squat)")
    args = ap.parse_args()
    clips = args.clips or default_clips()
    print(f"{'clip':52s} {'ex':14s} ch  {'one process':18s} {'parallel':18s} {'med':>5s} {'p99':>5s} {'max':>5s} "
          f"{'=ref':4s} {'t_seq':>6s} {'t_par':>6s}  differs")
    mismatched = ran = 0
    for clip in clips:
        ex = exercise_for(clip, args.exercise)
        try:
            r = compare(clip, ex, args.jobs)
        except Exception as exc:  # a clip neither path can read is not a mismatch
            print(f"{clip.name[:52]:52s} {ex[:14]:14s} error: {exc}")
            continue
        d = r["d"]
        stats = [np.nanmedian(d), np.nanpercentile(d, 99), np.nanmax(d)] if np.isfinite(d).any() else [0.0] * 3
        par = counts(r["par"]) if "par" in r else "(one chunk)"
        ran += r["chunks"] > 1
        mismatched += bool(r["diffs"])
        print(f"{clip.name[:52]:52s} {ex[:14]:14s} {r['chunks']:2d}  {counts(r['seq']):18s} {par:18s} "
              + " ".join(f"{x:5.2f}" for x in stats) + f" {r['same']:4s} {r['t_seq']:6.1f} {r['t_par']:6.1f}  "
              + ("; ".join(r["diffs"]) or "-"))
        sys.stdout.flush()
    print(f"\nclips: {len(clips)}, split into chunks: {ran}, reports that differ: {mismatched}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
