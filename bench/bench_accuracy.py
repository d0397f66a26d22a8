"""Rep counts and hold times on the labelled real clips in ../shared/clips (when present).

    python bench/bench_accuracy.py [--clips DIR] [--source 2d|3d|auto]

Prints, per clip, the exercise it was analysed as, expected vs counted reps and hold-time errors, then
the exact-count rate, off-by-one rate and mean absolute count error. Clips whose exercise has no
posecheck definition are mapped to the nearest one (a reverse lunge counts as a lunge, a split squat
as a lunge, a standing knee lift as a knee-to-chest motion is NOT comparable and is skipped).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# label file name -> (posecheck exercise id, side) ; None = nothing comparable to count
CLIP_EXERCISE = {
    "glute_bridge__darebee.mp4": "glute_bridge",
    "glute_bridge__ndnam.mp4": "glute_bridge",
    "glute_bridge_short__physioplus.mp4": "glute_bridge",
    "hip_flexor_stretch_kneeling__musclewiki.mp4": "kneeling_hip_flexor_stretch",
    "lunge_side_with_overlay__ngoquocbao.mp4": "lunge",
    "reverse_lunge_knee_drive__darebee.mp4": "lunge",
    "single_leg_bridge__ndnam.mp4": "glute_bridge",
    "split_squat_weighted_gym__venkat.mp4": "lunge",
    "squat__darebee.mp4": "squat",
    "squat_correct_short__kaiakol.mp4": "squat",
    "squat_incorrect_short__kaiakol.mp4": "squat",
    "squat_oblique__vengaza.mp4": "squat",
    "weighted_lunge__ndnam.mp4": "lunge",
    "standing_knee_lift__ndnam.mp4": None,
    "standing_quad_stretch__musclewiki.mp4": None,
    "supine_hamstring_stretch_leg_up__musclewiki.mp4": None,
    "tree_pose__surajdubey.mp4": None,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "clips"))
    ap.add_argument("--source", default=None, choices=["2d", "3d", "auto"])
    ap.add_argument("--only", default=None, help="substring of clip names to run")
    args = ap.parse_args()
    clips = Path(args.clips)
    labels_path = clips / "labels.json"
    if not labels_path.exists():
        print(f"no labelled clips at {clips}; nothing to measure")
        return 0
    from posecheck.exercises import load_all
    from posecheck.pipeline import DEFAULT_SOURCE, analyze_clip

    catalog = load_all().exercises
    labels = json.loads(labels_path.read_text())
    errs: list[int] = []
    hold_errs: list[float] = []
    print(f"{'clip':46s} {'exercise':28s} {'exp':>4s} {'got':>4s} {'part':>4s} {'det%':>5s}  "
          "holds (label vs measured, s)")
    for lab in labels:
        ex_id = CLIP_EXERCISE.get(lab["file"])
        if args.only and args.only not in lab["file"]:
            continue
        if ex_id is None:
            print(f"{lab['file']:46s} {'(no comparable exercise)':28s}")
            continue
        t0 = time.perf_counter()
        rep = analyze_clip(clips / lab["file"], catalog[ex_id], source=args.source or DEFAULT_SOURCE)
        dt = time.perf_counter() - t0
        exp = lab["reps"]
        got = len(rep.reps)
        holds = ""
        if lab["holds"] and catalog[ex_id].kind == "hold":
            exp_total = sum(e - s for s, e in lab["holds"])
            got_total = sum(h.duration_s for h in rep.holds)
            hold_errs.append(abs(exp_total - got_total))
            holds = f"{exp_total:5.1f} vs {got_total:5.1f}"
        elif lab["holds"] and catalog[ex_id].kind == "reps_hold":
            holds = " ".join(f"{e - s:.1f}" for s, e in lab["holds"]) + " vs " + \
                " ".join(f"{r.hold_s:.1f}" for r in rep.reps)
        if exp is not None:
            errs.append(got - exp)
        print(f"{lab['file']:46s} {ex_id:28s} {exp if exp is not None else '-':>4} {got:>4d} {len(rep.partials):>4d} "
              f"{100 * rep.detection_rate:5.1f}  {holds}  ({dt:.1f}s)")
    if errs:
        n = len(errs)
        exact = sum(e == 0 for e in errs) / n
        off1 = sum(abs(e) == 1 for e in errs) / n
        mae = sum(abs(e) for e in errs) / n
        print(f"\ncounted clips: {n}  exact: {100 * exact:.0f}%  off-by-one: {100 * off1:.0f}%  "
              f"mean abs count error: {mae:.2f}")
    if hold_errs:
        print(f"hold clips: {len(hold_errs)}  mean abs hold-time error: {sum(hold_errs) / len(hold_errs):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
