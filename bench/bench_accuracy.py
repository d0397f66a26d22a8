"""Rep counts and hold times on the labelled real clips in ../shared/clips (when present).

    python bench/bench_accuracy.py [--clips DIR] [--only SUBSTR] [--no-cache] [--json OUT]

Each clip is analysed as the exercise its label names (`exercise_id` in labels.json; clips with none are
listed and skipped). MediaPipe's output is cached per clip (bench/.cache/poses, keyed by the clip's content
and the mediapipe version), so a rerun re-counts every clip in seconds; the counting itself always runs.

Prints per clip: expected vs counted reps, partial reps, hold-time error and, for every miss, its failure
class; then the totals: exact, within one, mean absolute error relative to the true count, hold-time
error. Clips whose rep label is marked uncertain are shown but kept out of the rep totals.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache" / "poses"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", default=str(ROOT.parent / "shared" / "clips"))
    ap.add_argument("--only", default=None, help="substring of clip names to run")
    ap.add_argument("--no-cache", action="store_true", help="run MediaPipe on every clip (no pose cache)")
    ap.add_argument("--json", default=None, help="also write the per-clip results to this file")
    ap.add_argument("--verbose", "-v", action="store_true", help="print every rep and hold")
    args = ap.parse_args()
    clips = Path(args.clips)
    labels_path = clips / "labels.json"
    if not labels_path.exists():
        print(f"no labelled clips at {clips}; nothing to measure")
        return 0
    from posecheck.exercises import load_all

    catalog = load_all().exercises
    labels = json.loads(labels_path.read_text())
    rows: list[dict[str, Any]] = []
    print(f"{'clip':52s} {'exercise':27s} {'exp':>4s} {'got':>4s} {'part':>4s}  holds label/measured (s)   class")
    for lab in labels:
        if args.only and args.only not in lab["file"]:
            continue
        ex_id = lab.get("exercise_id")
        if not ex_id:
            print(f"{lab['file'][:52]:52s} {'(no exercise fits)':27s}")
            continue
        if ex_id not in catalog:
            print(f"{lab['file'][:52]:52s} {ex_id + ' (not defined!)':27s}")
            continue
        row = measure(clips / lab["file"], lab, catalog[ex_id], not args.no_cache)
        rows.append(row)
        print(format_row(row))
        if args.verbose:
            for line in row["detail"]:
                print(f"      {line}")
    print()
    print(summary(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str))
    return 0


def measure(clip: Path, lab: dict[str, Any], exercise: Any, use_cache: bool) -> dict[str, Any]:
    from posecheck.pipeline import MAX_SIDE_PX, analyze_track, record_track
    from posecheck.posetrack import PoseCache

    t0 = time.perf_counter()
    if use_cache:
        track = PoseCache(CACHE).get(clip, lambda: record_track(clip), max_side=MAX_SIDE_PX)
    else:
        track = record_track(clip)
    t_pose = time.perf_counter() - t0
    report = analyze_track(track, exercise, clip=str(clip))
    js = report.to_json()
    exp = lab.get("reps")
    got = js["reps"]["total"]
    label_holds = [tuple(h) for h in lab.get("holds") or []]
    measured_holds = [(h["start_s"], h["end_s"], h["duration_s"]) for h in js["holds"]]
    hold_errs = hold_errors(label_holds, measured_holds) if exercise.kind in ("hold", "reps_hold") else []
    row = {
        "clip": lab["file"], "exercise": exercise.id, "kind": exercise.kind, "expected": exp, "counted": got,
        "partial": js["reps"]["partial"], "uncertain": bool(lab.get("reps_uncertain")),
        "hold_errors": hold_errs, "label_holds": label_holds, "measured_holds": measured_holds,
        "warnings": js["warnings"], "views": js.get("views", {}), "duration_s": js["duration_s"],
        "reps": [(r["side"], r["start_s"], r["end_s"]) for r in js["rep_list"]],
        "pose_s": round(t_pose, 2),
    }
    row["class"] = failure_class(row)
    row["detail"] = [f"rep {r['side']:5s} {r['start_s']:6.2f}-{r['end_s']:6.2f} rom {r['rom_deg']:5.1f} "
                     f"faults {','.join(r['faults'])}" for r in js["rep_list"]]
    row["detail"] += [f"partial {r['side']:5s} {r['start_s']:6.2f}-{r['end_s']:6.2f} rom {r['rom_deg']:5.1f}"
                      for r in js["partial_list"]]
    row["detail"] += [f"hold {h['side']:5s} {h['start_s']:6.2f}-{h['end_s']:6.2f} held {h['duration_s']:.2f}"
                      for h in js["holds"]]
    row["detail"] += [f"warning: {w}" for w in js["warnings"]]
    return row


def hold_errors(label: list[tuple[float, float]], measured: list[tuple[float, float, float]]) -> list[float]:
    """Per labelled hold: |label duration - duration of the measured hold overlapping it most| (none: all of it)."""
    errs = []
    for s, e in label:
        best, best_overlap = 0.0, 0.0
        for ms, me, dur in measured:
            overlap = min(e, me) - max(s, ms)
            if overlap > best_overlap:
                best, best_overlap = dur, overlap
        errs.append(round(abs((e - s) - best), 2))
    return errs


def failure_class(row: dict[str, Any]) -> str:
    """A first guess at why a clip missed, from what the report says (read the clip to be sure)."""
    exp, got = row["expected"], row["counted"]
    classes = []
    if exp is not None and got != exp:
        shown = sum(row["views"].values()) or 1
        views = [v for v, n in row["views"].items() if n / shown > 0.15]
        if got == 0 and not row["warnings"]:
            classes.append("silent zero")
        elif got == 0:
            classes.append("not measurable: " + "; ".join(row["warnings"])[:60])
        if got < exp and row["partial"]:
            classes.append("range of motion (partials)")
        if len(views) > 1:
            classes.append("view change " + "/".join(views))
        if got < exp and row["reps"]:
            first, last = row["reps"][0][1], row["reps"][-1][2]
            if first > 1.5 or row["duration_s"] - last > 1.5:
                classes.append("boundary?")
        if got > exp:
            classes.append("extra reps")
        if not classes:
            classes.append("missed reps")
    if any(err > 1.0 for err in row["hold_errors"]):
        classes.append("hold time")
    return ", ".join(classes)


def format_row(row: dict[str, Any]) -> str:
    exp = "-" if row["expected"] is None else str(row["expected"]) + ("?" if row["uncertain"] else "")
    holds = ""
    if row["label_holds"] and row["kind"] in ("hold", "reps_hold"):
        lab = " ".join(f"{e - s:.1f}" for s, e in row["label_holds"])
        got = " ".join(f"{d:.1f}" for _, _, d in row["measured_holds"]) or "none"
        holds = f"{lab} / {got}"
    return (f"{row['clip'][:52]:52s} {row['exercise']:27s} {exp:>4s} {row['counted']:>4d} {row['partial']:>4d}  "
            f"{holds:26s} {row['class']}")


def summary(rows: list[dict[str, Any]]) -> str:
    reps = [r for r in rows if r["expected"] is not None and r["kind"] != "hold"]
    sure = [r for r in reps if not r["uncertain"]]
    lines = []
    if sure:
        n = len(sure)
        exact = sum(r["counted"] == r["expected"] for r in sure)
        within = sum(abs(r["counted"] - r["expected"]) <= 1 for r in sure)
        rel = sum(abs(r["counted"] - r["expected"]) / max(1, r["expected"]) for r in sure) / n
        mae = sum(abs(r["counted"] - r["expected"]) for r in sure) / n
        lines.append(f"rep clips (labels not uncertain): {n}  exact {exact}/{n} ({100 * exact / n:.0f}%)  "
                     f"within one {within}/{n} ({100 * within / n:.0f}%)  mean abs error {mae:.2f} reps "
                     f"({100 * rel:.0f}% of the true count)")
    unsure = [r for r in reps if r["uncertain"]]
    if unsure:
        lines.append("uncertain rep labels: " + ", ".join(f"{r['clip']} {r['counted']} vs {r['expected']}?"
                                                         for r in unsure))
    errs = [e for r in rows for e in r["hold_errors"]]
    if errs:
        within = sum(e <= 1.0 for e in errs)
        lines.append(f"labelled holds: {len(errs)}  within 1 s {within}/{len(errs)}  "
                     f"mean abs error {sum(errs) / len(errs):.2f} s  worst {max(errs):.2f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
