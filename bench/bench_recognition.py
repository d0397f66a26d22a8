"""Exercise recognition: top-1 accuracy on every synthetic script in both facings, and on every shared clip
whose label names an exercise, with the confusion pairs.

    python bench/bench_recognition.py [--only SUBSTR] [--synthetic-only | --shared-only] [-v]

Goals: >= 95 % on the synthetic clips, >= 85 % on the shared clips. The clips are only measured, never
learned from. MediaPipe runs once per clip: poses are cached in bench/.cache/poses (keyed by the clip's
content and the mediapipe version), the synthetic clips themselves in bench/.cache/synth.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache" / "poses"
SYNTH_DIR = ROOT / "bench" / ".cache" / "synth"
FACINGS = ("right", "left")
GOALS = {"synthetic": 0.95, "shared": 0.85}


def shared_clips_dir() -> Path:
    """../shared/clips beside the checkout (a worktree deeper down finds it further up)."""
    for folder in ROOT.parents:
        if (folder / "shared" / "clips").is_dir():
            return folder / "shared" / "clips"
    return ROOT.parent / "shared" / "clips"


def synth_tracks(only: str | None = None) -> Iterator[tuple[str, str, object]]:
    """(clip name, true exercise id, PoseTrack) for every synthetic script in both facings."""
    from posecheck.pipeline import MAX_SIDE_PX, record_track
    from posecheck.posetrack import PoseCache
    from posecheck.synth import SCRIPTS, generate_clip

    cache = PoseCache(CACHE)
    for script in sorted(SCRIPTS):
        for facing in FACINGS:
            name = f"{script}_{facing}"
            if only and only not in name:
                continue
            clip = SYNTH_DIR / f"{name}.mp4"
            if not clip.exists():
                generate_clip(script, clip, facing=facing)
            truth = json.loads(clip.with_name(clip.stem + ".truth.json").read_text())
            yield name, truth["exercise"], cache.get(clip, lambda c=clip: record_track(c), max_side=MAX_SIDE_PX)


def shared_tracks(clips: Path, only: str | None = None) -> Iterator[tuple[str, str, object]]:
    """(clip name, labelled exercise id, PoseTrack) for every shared clip whose label names an exercise."""
    from posecheck.pipeline import MAX_SIDE_PX, record_track
    from posecheck.posetrack import PoseCache

    labels = clips / "labels.json"
    if not labels.exists():
        return
    cache = PoseCache(CACHE)
    for lab in json.loads(labels.read_text()):
        ex_id = lab.get("exercise_id")
        if not ex_id or (only and only not in lab["file"]):
            continue
        clip = clips / lab["file"]
        yield lab["file"], ex_id, cache.get(clip, lambda c=clip: record_track(c), max_side=MAX_SIDE_PX)


def run(name: str, tracks: Iterator[tuple[str, str, object]], catalog: dict, verbose: bool) -> list[dict]:
    from posecheck.recognize import recognize_clip

    rows = []
    print(f"\n{name} clips")
    print(f"{'clip':52s} {'truth':27s} {'picked':27s} {'conf':>5s} {'sure':>4s}  runner-up")
    for clip, truth, track in tracks:
        t0 = time.perf_counter()
        rec = recognize_clip(track, catalog)
        ms = 1000 * (time.perf_counter() - t0) / max(1, len(track))
        ok = rec.id == truth
        rows.append({"clip": clip, "truth": truth, "picked": rec.id, "ok": ok, "confidence": rec.confidence,
                     "sure": rec.sure, "runner_up": rec.runner_up, "ms_per_frame": ms})
        mark = "" if ok else "  <-- MISS"
        print(f"{clip[:52]:52s} {truth:27s} {str(rec.id):27s} {rec.confidence:5.2f} {'yes' if rec.sure else 'no':>4s}  "
              f"{rec.runner_up}{mark}")
        if verbose or not ok:
            print(f"      {rec.reason}")
            for c in rec.candidates[:3]:
                print(f"        {c.id}={c.score:.2f} {dict(c.factors)} {c.evidence}")
    return rows


def summary(name: str, rows: list[dict]) -> str:
    if not rows:
        return f"{name}: no clips"
    n, ok = len(rows), sum(r["ok"] for r in rows)
    sure = [r for r in rows if r["sure"]]
    sure_ok = sum(r["ok"] for r in sure)
    ms = sum(r["ms_per_frame"] for r in rows) / n
    goal = GOALS[name]
    return (f"{name}: top-1 {ok}/{n} = {100 * ok / n:.0f}% (goal >= {100 * goal:.0f}%: "
            f"{'met' if ok / n >= goal else 'NOT met'}); sure on {len(sure)}/{n}, of those right {sure_ok}; "
            f"{ms:.2f} ms per frame for all 13")


def confusions(rows: list[dict]) -> str:
    pairs = Counter((r["truth"], r["picked"]) for r in rows if not r["ok"])
    if not pairs:
        return "confusion pairs: none"
    return "confusion pairs (truth -> picked): " + "; ".join(f"{t} -> {p} x{n}" for (t, p), n in pairs.most_common())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", default=str(shared_clips_dir()))
    ap.add_argument("--only", default=None, help="substring of clip names to run")
    ap.add_argument("--synthetic-only", action="store_true")
    ap.add_argument("--shared-only", action="store_true")
    ap.add_argument("--verbose", "-v", action="store_true", help="print the reason and top scores of every clip")
    args = ap.parse_args()
    from posecheck.exercises import load_all

    catalog = load_all().exercises
    results = {}
    if not args.shared_only:
        results["synthetic"] = run("synthetic", synth_tracks(args.only), catalog, args.verbose)
    if not args.synthetic_only:
        results["shared"] = run("shared", shared_tracks(Path(args.clips), args.only), catalog, args.verbose)
    print()
    for name, rows in results.items():
        print(summary(name, rows))
        print("  " + confusions(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
