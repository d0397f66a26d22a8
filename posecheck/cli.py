"""`posecheck` command line: angles, synth, samples (and more as the engine grows).

Every user-caused problem ends as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from posecheck.errors import PosecheckError
from posecheck.kinematics import SIGNALS

EXIT_USER_ERROR = 2


def main(argv: Sequence[str] | None = None) -> int:
    # MediaPipe/TFLite chatter on stderr would bury our one-line messages.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return int(args.func(args) or 0)
    except PosecheckError as exc:
        print(f"posecheck: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("posecheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="posecheck", description="Pose-checking exercise coach.")
    sub = p.add_subparsers(dest="command")

    a = sub.add_parser("angles", help="per-frame hip/knee angles of a clip")
    a.add_argument("clip")
    a.add_argument("--csv", metavar="OUT", help="write the per-frame table as CSV instead of printing it")
    a.add_argument("--source", choices=["2d", "3d", "auto"], default=None,
                   help="angle source: image pixels (2d), MediaPipe world landmarks (3d) or auto")
    a.add_argument("--raw", action="store_true", help="no smoothing")
    a.add_argument("--model", metavar="FILE.task", default=None,
                   help="your own MediaPipe PoseLandmarker .task model (default: the bundled full model)")
    a.set_defaults(func=_cmd_angles)

    s = sub.add_parser("synth", help="render a synthetic exercise clip with ground truth")
    s.add_argument("script", help="motion script name (see --list)", nargs="?")
    s.add_argument("out", nargs="?", help="output .mp4 (truth is written beside it as .truth.json)")
    s.add_argument("--facing", choices=["left", "right"], default="right")
    s.add_argument("--fps", type=float, default=30.0)
    s.add_argument("--size", default="640x480", help="WIDTHxHEIGHT")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--list", action="store_true", help="list the motion scripts")
    s.set_defaults(func=_cmd_synth)

    m = sub.add_parser("samples", help="regenerate the sample clips in samples/")
    m.add_argument("--out", default="samples")
    m.set_defaults(func=_cmd_samples)
    return p


# --- angles -----------------------------------------------------------------------------------


def _cmd_angles(args: argparse.Namespace) -> int:
    from posecheck.pipeline import DEFAULT_SOURCE, angle_row, stream_clip
    from posecheck.pose import default_model_path
    from posecheck.sources import open_video

    video = open_video(args.clip)  # fails here, before any output, on unreadable input
    source = args.source or DEFAULT_SOURCE
    smoothing = None if args.raw else _default_smoothing()
    header = ["frame", "t_s", "detected", "view", *SIGNALS, *(f"{n}_ok" for n in SIGNALS)]
    frames = detected = 0
    last_t = 0.0
    t0 = time.perf_counter()
    out_file = open(args.csv, "w", newline="") if args.csv else None  # noqa: SIM115
    try:
        writer = csv.writer(out_file or sys.stdout)
        writer.writerow(header)
        for res in stream_clip(video, source, smoothing, args.model or default_model_path()):
            kin = res.kin
            frames += 1
            detected += kin.detected
            last_t = res.frame.t_s
            writer.writerow([
                res.frame.index, f"{res.frame.t_s:.4f}", int(kin.detected), kin.view if kin.detected else "",
                *(_fmt(v) for v in angle_row(kin)),
                *(int(kin.reliable.get(n, False)) for n in SIGNALS),
            ])
    finally:
        if out_file:
            out_file.close()
    elapsed = time.perf_counter() - t0
    fps = (frames - 1) / last_t if frames > 1 and last_t > 0 else 0.0
    pct = 100.0 * detected / frames if frames else 0.0
    summary = (f"frames={frames} with_person={detected} ({pct:.1f}%) fps={fps:.2f} duration_s={last_t:.2f} "
               f"processed_fps={frames / elapsed if elapsed else 0:.1f}")
    # With the table on stdout the summary goes to stderr, so the CSV stays clean.
    print(summary, file=sys.stdout if args.csv else sys.stderr)
    if detected == 0:
        print("posecheck: no person was found in this clip", file=sys.stderr)
    return 0


def _default_smoothing():  # noqa: ANN202
    from posecheck.pipeline import DEFAULT_SMOOTHING

    return DEFAULT_SMOOTHING


def _fmt(v: float) -> str:
    return "" if not math.isfinite(v) else f"{v:.2f}"


# --- synthetic clips --------------------------------------------------------------------------


def _cmd_synth(args: argparse.Namespace) -> int:
    from posecheck import synth

    if args.list or not args.script:
        for name in sorted(synth.SCRIPTS):
            print(name)
        return 0
    if args.script not in synth.SCRIPTS:
        raise PosecheckError(f"unknown motion script {args.script!r}; try: posecheck synth --list")
    if not args.out:
        raise PosecheckError("give an output path, e.g. posecheck synth squat squat.mp4")
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise PosecheckError(f"--size must look like 640x480, not {args.size!r}") from None
    path = synth.generate_clip(args.script, args.out, facing=args.facing, fps=args.fps, width=w, height=h,
                               seed=args.seed)
    print(f"wrote {path}")
    return 0


def _cmd_samples(args: argparse.Namespace) -> int:
    from posecheck import synth

    for path in synth.generate_samples(Path(args.out)):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
