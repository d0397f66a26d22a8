"""Which angle source is closest to ground truth? 2D pixel vs 3D world vs auto, raw vs One Euro filtered.

    python bench/bench_angles.py [--out DIR]

Generates every motion script facing both ways (and the front-view squat and lunge), runs real MediaPipe once
per clip (cached in bench/.cache), replays the poses through the app's own per-frame step (side tracker, glitch
gate, filter: pipeline.AnglePipeline) for each angle source, and prints per clip the detection rate and the
median / p95 absolute error of the four hip and knee angles for each source, then the totals for side-view and
front-view clips. Left/right are compared by anatomical label (after posecheck's geometric correction).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

JOINTS = ("left_hip", "right_hip", "left_knee", "right_knee")
CACHE = Path(__file__).resolve().parent / ".cache" / "poses"  # recorded poses: a rerun costs no MediaPipe


def measure(clip: Path) -> dict[str, object]:
    """Record the clip's poses once, then replay them through the app's own per-frame step (AnglePipeline: side
    tracker, glitch gate, filter) once per angle source, with and without the filter."""
    from posecheck.pipeline import DEFAULT_SMOOTHING, MAX_SIDE_PX, AnglePipeline, record_track
    from posecheck.posetrack import PoseCache, ReplayEstimator
    from posecheck.sources import Frame

    truth = json.loads(clip.with_name(clip.stem + ".truth.json").read_text())
    frames = {round(f["t_s"], 3): f for f in truth["frames"]}
    track = PoseCache(CACHE).get(clip, lambda: record_track(clip), max_side=MAX_SIDE_PX)
    blank = np.broadcast_to(np.zeros(1, np.uint8), (track.height, track.width, 3))
    sources = ("2d", "3d", "auto")
    errs: dict[str, list[list[float]]] = {f"{s}{m}": [] for s in sources for m in ("", "+filter")}
    visible = detected = swaps = 0
    for s in sources:
        for smoothing, key in ((None, s), (DEFAULT_SMOOTHING, f"{s}+filter")):
            with AnglePipeline(s, smoothing, estimator=ReplayEstimator(track)) as pipe:
                for i, t in enumerate(track.t_s):
                    res = pipe.step(Frame(float(t), blank, i))
                    tr = frames.get(round(float(t), 3))
                    if tr is None or not tr["visible"]:
                        continue
                    if key == "2d":
                        visible += 1
                        detected += res.kin.detected
                        swaps += res.kin.swapped
                    if res.kin.detected:
                        errs[key].append([abs(res.kin.angles[j] - tr[j]) for j in JOINTS])
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
