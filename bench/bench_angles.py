"""Which angle source is closest to ground truth? 2D pixel vs 3D world vs auto, raw vs One Euro filtered.

    python bench/bench_angles.py [--out DIR]

Generates every motion script facing both ways (and the front-view squat and lunge), runs real MediaPipe once
per clip, and prints per clip the detection rate and the median / p95 absolute error of the four hip and knee
angles for each source, then the totals for side-view and front-view clips. Left/right are compared by
anatomical label (after posecheck's geometric correction).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

JOINTS = ("left_hip", "right_hip", "left_knee", "right_knee")


def measure(clip: Path) -> dict[str, object]:
    from posecheck.filters import OneEuroFilter
    from posecheck.kinematics import SIGNALS, compute_kinematics, signal_vector
    from posecheck.pipeline import DEFAULT_SMOOTHING
    from posecheck.pose import PoseEstimator
    from posecheck.sources import open_video

    truth = json.loads(clip.with_name(clip.stem + ".truth.json").read_text())
    frames = {round(f["t_s"], 3): f for f in truth["frames"]}
    sources = ("2d", "3d", "auto")
    errs: dict[str, list[list[float]]] = {f"{s}{m}": [] for s in sources for m in ("", "+filter")}
    filters = {s: OneEuroFilter(len(SIGNALS), DEFAULT_SMOOTHING) for s in sources}
    visible = detected = 0
    swaps = 0
    with PoseEstimator() as est:
        for frame in open_video(clip):
            tr = frames.get(round(frame.t_s, 3))
            pose = est.process(frame.rgb, frame.t_s)
            if tr is None or not tr["visible"]:
                continue
            visible += 1
            if not pose.detected:
                continue
            detected += 1
            for s in sources:
                kin = compute_kinematics(pose, s)
                swaps += s == "2d" and kin.swapped
                filt = dict(zip(SIGNALS, filters[s](frame.t_s, signal_vector(kin)), strict=True))
                errs[s].append([abs(kin.angles[j] - tr[j]) for j in JOINTS])
                errs[f"{s}+filter"].append([abs(filt[j] - tr[j]) for j in JOINTS])
    out: dict[str, object] = {"detected": detected / visible if visible else 0.0, "swapped_frames": swaps}
    for k, v in errs.items():
        a = np.array(v) if v else np.full((1, 4), np.nan)
        out[k] = (np.nanmedian(a, axis=0), np.nanpercentile(a, 95, axis=0))
    return out


def main() -> int:
    from posecheck.synth import SCRIPTS, generate_clip
    from posecheck.synth.front import FRONT_SCRIPTS, generate_front_clip

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="keep the generated clips here")
    ap.add_argument("--scripts", default=",".join(sorted(SCRIPTS)))
    ap.add_argument("--front", default=",".join(sorted(FRONT_SCRIPTS)),
                    help="front-view scripts (3D skeleton, perspective camera); empty for none")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    out_dir = Path(args.out or tmp.name)
    totals: dict[tuple[bool, str], list[np.ndarray]] = {}
    print(f"{'clip':40s} {'det':>5s}  {'source':12s} median L/R hip, L/R knee   |  p95")
    side_clips = [(s, f) for s in args.scripts.split(",") if s for f in ("right", "left")]
    front_clips = [(s, "front") for s in args.front.split(",") if s]
    for script, facing in side_clips + front_clips:
        if facing == "front":
            clip = generate_front_clip(script, out_dir / f"{script}_front.mp4")
        else:
            clip = generate_clip(script, out_dir / f"{script}_{facing}.mp4", facing=facing)
        res = measure(clip)
        for key in ("2d", "2d+filter", "3d", "3d+filter", "auto", "auto+filter"):
            med, p95 = res[key]
            totals.setdefault((facing == "front", key), []).append(np.concatenate([med, p95]))
            print(f"{clip.stem:40s} {100 * res['detected']:5.1f}  {key:12s} "
                  f"{' '.join(f'{x:5.1f}' for x in med)}  | {' '.join(f'{x:5.1f}' for x in p95)}")
        print(f"{'':40s} label swaps corrected in {res['swapped_frames']} frames")
    for front in (False, True):
        rows_of = {k: v for (f, k), v in totals.items() if f == front}
        if not rows_of:
            continue
        print(f"\n{'front' if front else 'side'}-view clips, mean over clips of (per-joint median, per-joint p95):")
        for key, rows in rows_of.items():
            a = np.nanmean(np.array(rows), axis=0)
            print(f"  {key:12s} median {np.mean(a[:4]):5.2f} deg   p95 {np.mean(a[4:]):5.2f} deg   "
                  f"worst joint p95 {np.max(a[4:]):5.2f}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
