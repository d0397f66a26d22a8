"""`posecheck` command line: angles, synth, samples (and more as the engine grows).

Every user-caused problem ends as one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from posecheck.errors import PosecheckError
from posecheck.kinematics import SIGNALS

if TYPE_CHECKING:
    from posecheck.exercises import Targets

EXIT_USER_ERROR = 2
EXERCISES_DIR_HELP = ("folder of exercise definitions, routines in its routines/ subfolder (default: "
                      "$POSECHECK_EXERCISES_DIR, else the definitions shipped with posecheck)")


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
    except BrokenPipeError:  # the reader went away (| head): not an error (before OSError, its base class)
        return 0
    except OSError as exc:  # e.g. an output path that cannot be written, or a full disk
        where = exc.filename or getattr(args, "out_video", None) or getattr(args, "csv", None) or ""
        print(f"posecheck: {exc.strerror or exc}: {where}".rstrip(": "), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("posecheck: interrupted", file=sys.stderr)
        return 130


EXAMPLES = """examples:
  posecheck analyze samples/squat_side.mp4 --exercise squat
  posecheck analyze my_lunges.mov -e lunge --side left --json > report.json
  posecheck analyze clip.mp4 --exercise auto             # recognise the exercise first
  posecheck analyze bridge.mp4 -e glute_bridge --out-video annotated/bridge.mp4
  posecheck angles samples/squat_side.mp4 --csv angles.csv
  posecheck report clip.mp4 -e auto -o report.pdf          # a PDF for your physiotherapist
  posecheck exercises
  posecheck synth squat squat.mp4 --fps 30 --size 640x480
"""

CLIP_HELP = "the video file (mp4, mov, avi, webm, mkv; any codec FFmpeg reads)"
SOURCE_HELP = ("where angles come from: 2d = image pixels (best in side views), 3d = MediaPipe's world "
               "landmarks, auto = 2d in side views and 3d where the front view foreshortens (default: auto)")
MODEL_HELP = ("your own MediaPipe PoseLandmarker .task file (default: $POSECHECK_MODEL, else the BlazePose full "
              "model bundled in the mediapipe wheel; nothing is downloaded)")


def _wrap(text: str) -> str:
    return textwrap.fill(text, 79)  # the raw formatter (kept for the examples) does not wrap


def _build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(prog="posecheck", description=_wrap("Pose-checking exercise coach: reps, holds "
                                "and form from a clip. The app (webcam, routines, history): streamlit run app.py"),
                                epilog=EXAMPLES, formatter_class=fmt)
    sub = p.add_subparsers(dest="command", title="commands", metavar="COMMAND")

    a = sub.add_parser("angles", help="per-frame hip/knee angles of a clip", formatter_class=fmt,
                       description=_wrap("Print one CSV row per frame: time, whether a person was found, the camera "
                                         "view, every angle and whether it can be trusted. A summary goes to "
                                         "stderr."),
                       epilog="examples:\n  posecheck angles clip.mp4 > angles.csv\n"
                              "  posecheck angles clip.mp4 --csv angles.csv --source 3d\n")
    a.add_argument("clip", help=CLIP_HELP)
    a.add_argument("--csv", metavar="OUT", help="write the per-frame table as CSV instead of printing it")
    a.add_argument("--source", choices=["2d", "3d", "auto"], default=None, help=SOURCE_HELP)
    a.add_argument("--raw", action="store_true", help="no smoothing")
    a.add_argument("--model", metavar="FILE.task", default=None, help=MODEL_HELP)
    a.set_defaults(func=_cmd_angles)

    z = sub.add_parser("analyze", help="count reps, time holds and check form in a clip", formatter_class=fmt,
                       description=_wrap("Count reps per side, time holds and list form faults with their times. "
                                         "Prints a readable summary, or one JSON object with --json."),
                       epilog="examples:\n  posecheck analyze samples/squat_side.mp4 -e squat\n"
                              "  posecheck analyze lunges.mov -e lunge --side left --json\n"
                              "  posecheck analyze bridge.mp4 -e glute_bridge --out-video annotated.mp4\n")
    z.add_argument("clip", help=CLIP_HELP)
    z.add_argument("--exercise", "-e", required=True,
                   help="exercise id (see: posecheck exercises), or auto to recognise it from the clip")
    z.add_argument("--side", choices=["left", "right", "auto"], default="auto",
                   help="the working side to count: left or right only, or auto = the working leg of each rep "
                        "(default: auto; ignored by exercises that use both legs together)")
    z.add_argument("--json", action="store_true", help="print exactly one JSON object")
    depth = z.add_mutually_exclusive_group()
    depth.add_argument("--strict-depth", dest="strict_depth", action="store_true", default=None,
                       help="count only reps that reach the exercise's target depth (shallow ones become partial); "
                            "default: the exercise's own setting, which counts a shallow rep and flags it")
    depth.add_argument("--no-strict-depth", dest="strict_depth", action="store_false",
                       help="count shallow reps (flagged), whatever the exercise's own setting")
    z.add_argument("--out-video", metavar="OUT.mp4",
                   help="also write the clip with skeleton, angles, counter and cues drawn on it (H.264 MP4)")
    z.add_argument("--source", choices=["2d", "3d", "auto"], default=None, help=SOURCE_HELP)
    z.add_argument("--model", metavar="FILE.task", default=None, help=MODEL_HELP)
    z.add_argument("--exercises-dir", default=None, help=EXERCISES_DIR_HELP)
    z.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="processes running the pose model over the clip's time chunks (default 1, or "
                        "POSECHECK_JOBS: one process, whose results the accuracy numbers are measured on; any N >= 2 "
                        "gives the same results, faster, but hold times can differ slightly from one process's; "
                        "clips under 10 s are one chunk)")
    z.set_defaults(func=_cmd_analyze)

    x = sub.add_parser("exercises", help="list the exercise definitions and their targets",
                       description="List the exercise definitions (problems with any definition or routine "
                       "file go to stderr), or print a commented template of every key.", formatter_class=fmt,
                       epilog="examples:\n  posecheck exercises\n  posecheck exercises --exercises-dir my_rules/\n"
                              "  posecheck exercises --template > my_rules/side_plank.toml\n"
                              "  posecheck exercises --template routine > my_rules/morning.toml")
    x.add_argument("--exercises-dir", default=None, help=EXERCISES_DIR_HELP)
    x.add_argument("--template", nargs="?", const="exercise", choices=["exercise", "routine"], default=None,
                   help="print a commented TOML template with every key of an exercise (default) or routine file")
    x.set_defaults(func=_cmd_exercises)

    s = sub.add_parser("synth", help="render a synthetic exercise clip with ground truth", formatter_class=fmt,
                       description=_wrap("Render a stick figure doing an exercise, with its exact angles, reps and "
                                         "holds written beside the clip as OUT.truth.json."),
                       epilog="examples:\n  posecheck synth --list\n  posecheck synth squat squat.mp4\n"
                              "  posecheck synth lunge lunge.mp4 --facing left --fps 25 --size 1280x720\n")
    s.add_argument("script", help="motion script name (see --list)", nargs="?")
    s.add_argument("out", nargs="?", help="output .mp4 (truth is written beside it as .truth.json)")
    s.add_argument("--facing", choices=["left", "right"], default="right",
                   help="which way the figure faces (default: right)")
    s.add_argument("--fps", type=float, default=30.0, help="frames per second, 1 to 240 (default: 30)")
    s.add_argument("--size", default="640x480", help="WIDTHxHEIGHT in pixels, each 64 to 4096 (default: 640x480)")
    s.add_argument("--seed", type=int, default=0, help="seed of the background's noise (default: 0)")
    s.add_argument("--list", action="store_true", help="list the motion scripts")
    s.set_defaults(func=_cmd_synth)

    r = sub.add_parser("report", help="a PDF session report for your physiotherapist", formatter_class=fmt,
                       description=_wrap("Write a PDF for your physiotherapist: the exercise, reps per side, range of "
                                         "motion per rep, hold times against the target, faults with a picture of "
                                         "each, left/right asymmetry and the trend against your earlier sessions "
                                         "(from the History file). From a clip, or from a History session."),
                       epilog="examples:\n  posecheck report clip.mp4 -e glute_bridge -o bridge.pdf\n"
                              "  posecheck report clip.mp4 -e auto -o report.pdf\n"
                              "  posecheck report --session 12 -o session12.pdf\n")
    r.add_argument("clip", nargs="?", help=CLIP_HELP + " (or --session)")
    r.add_argument("--exercise", "-e", default=None, help="exercise id, or auto (with a clip)")
    r.add_argument("--session", type=int, default=None, help="a History session id instead of a clip")
    r.add_argument("--out", "-o", required=True, metavar="OUT.pdf", help="the PDF to write")
    r.add_argument("--side", choices=["left", "right", "auto"], default="auto", help="as for analyze")
    r.add_argument("--model", metavar="FILE.task", default=None, help=MODEL_HELP)
    r.add_argument("--exercises-dir", default=None, help=EXERCISES_DIR_HELP)
    r.set_defaults(func=_cmd_report)

    b = sub.add_parser("batch", help="analyse many clips into one table (CSV, Parquet) on a Dask cluster",
                       formatter_class=fmt,
                       description=_wrap("Analyse every clip given (files, folders, globs), one clip per Dask worker "
                                         "process: DIR/results.csv and DIR/results.parquet get one row per clip, "
                                         "DIR/<clip>.json the report analyze --json prints. A clip that fails is "
                                         "an error row; a rerun skips clips already done with the same settings."),
                       epilog="examples:\n  posecheck batch clips/ --exercise auto --out results/\n"
                              "  posecheck batch 'clips/*.mov' -e squat --out results/ --workers 4\n"
                              "  posecheck batch /shared/clips -e auto --out /shared/out --scheduler tcp://HOST:8786\n")
    b.add_argument("paths", nargs="+", metavar="PATH", help="clips, folders of clips, or globs (quoted)")
    b.add_argument("--exercise", "-e", required=True, help="exercise id, or auto to recognise each clip's exercise")
    b.add_argument("--out", "-o", required=True, metavar="DIR", help="folder for results.csv, results.parquet and "
                                                                     "one JSON per clip (created if missing)")
    b.add_argument("--side", choices=["left", "right", "auto"], default="auto", help="as for analyze")
    b.add_argument("--source", choices=["2d", "3d", "auto"], default=None, help=SOURCE_HELP)
    b.add_argument("--model", metavar="FILE.task", default=None, help=MODEL_HELP)
    b.add_argument("--exercises-dir", default=None, help=EXERCISES_DIR_HELP)
    b.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: every core); ignored with --scheduler")
    b.add_argument("--scheduler", metavar="tcp://HOST:8786", default=None,
                   help="use this running Dask scheduler (its workers need posecheck and the same clip paths)")
    b.set_defaults(func=_cmd_batch)

    m = sub.add_parser("samples", help="regenerate the sample clips in samples/", formatter_class=fmt,
                       description=_wrap("Render the sample clips the Review page offers (synthetic people doing the "
                                         "exercises, each with a .truth.json of its exact reps and holds)."),
                       epilog="examples:\n  posecheck samples\n  posecheck samples --out /tmp/my_samples")
    m.add_argument("--out", default="samples", help="folder to write them to (default: samples)")
    m.set_defaults(func=_cmd_samples)
    return p


def _check_output(path: str, what: str) -> None:
    """Refuse an output path that cannot be written, naming it, before any work is done."""
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise PosecheckError(f"cannot write {what} to {path}: it is a folder")
    if not folder.is_dir():
        raise PosecheckError(f"cannot write {what} to {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise PosecheckError(f"cannot write {what} to {path}: permission denied")


# --- angles -----------------------------------------------------------------------------------


def _cmd_angles(args: argparse.Namespace) -> int:
    from posecheck.pipeline import DEFAULT_SOURCE, AnglePipeline, angle_row
    from posecheck.pose import default_model_path
    from posecheck.sources import decode_shortfall, open_video

    video = open_video(args.clip)  # bad clips and models fail here, before any output
    if args.csv:
        _check_output(args.csv, "the CSV")
    pipe = AnglePipeline(args.source or DEFAULT_SOURCE, None if args.raw else _default_smoothing(),
                         args.model or default_model_path())
    header = ["frame", "t_s", "detected", "view", *SIGNALS, *(f"{n}_ok" for n in SIGNALS)]
    frames = detected = 0
    last_t = 0.0
    t0 = time.perf_counter()
    out_file = open(args.csv, "w", newline="") if args.csv else None  # noqa: SIM115
    try:
        writer = csv.writer(out_file or sys.stdout)
        writer.writerow(header)
        for res in map(pipe.step, video):
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
        pipe.close()
        if out_file:
            out_file.close()
    elapsed = time.perf_counter() - t0
    fps = (frames - 1) / last_t if frames > 1 and last_t > 0 else 0.0
    pct = 100.0 * detected / frames if frames else 0.0
    summary = (f"frames={frames} with_person={detected} ({pct:.1f}%) fps={fps:.2f} duration_s={last_t:.2f} "
               f"processed_fps={frames / elapsed if elapsed else 0:.1f}")
    # With the table on stdout the summary goes to stderr, so the CSV stays clean.
    print(summary, file=sys.stdout if args.csv else sys.stderr)
    if (short := decode_shortfall(frames, video.info)) is not None:
        print(f"posecheck: warning: {args.clip}: {short}", file=sys.stderr)
    if detected == 0:
        print("posecheck: no person was found in this clip", file=sys.stderr)
    return 0


def _default_smoothing():
    from posecheck.pipeline import DEFAULT_SMOOTHING

    return DEFAULT_SMOOTHING


def _fmt(v: float) -> str:
    return "" if not math.isfinite(v) else f"{v:.2f}"


# --- analyze / exercises ----------------------------------------------------------------------


def _exercises_folder(args: argparse.Namespace) -> Path:
    """--exercises-dir, else POSECHECK_EXERCISES_DIR, else the shipped definitions; a useless folder is an error."""
    from posecheck import settings
    from posecheck.exercises import DEFINITIONS_DIR
    from posecheck.rulefiles import folder_problem

    env = settings.current().exercises_dir
    folder, origin = ((Path(args.exercises_dir), "--exercises-dir") if args.exercises_dir else
                      (env, "POSECHECK_EXERCISES_DIR") if env else (DEFINITIONS_DIR, "the shipped definitions"))
    if problem := folder_problem(folder):
        raise PosecheckError(f"{problem} (from {origin})")
    return folder


def _cmd_analyze(args: argparse.Namespace) -> int:
    import json

    if args.jobs is not None and args.jobs < 1:
        raise PosecheckError(f"--jobs must be at least 1, not {args.jobs}")
    folder = _exercises_folder(args)
    if args.out_video and Path(args.out_video).suffix.lower() != ".mp4":
        raise PosecheckError(f"--out-video must end in .mp4, not {args.out_video}")
    if args.out_video:
        _check_output(args.out_video, "the annotated video")  # before minutes of analysis, not after
    report, recognition = analyse(args.clip, args.exercise, folder, side=args.side, source=args.source,
                                  model=args.model, strict_depth=args.strict_depth, out_video=args.out_video,
                                  jobs=args.jobs)
    if args.json:
        print(json.dumps(report_json(report, recognition)))
    else:
        if recognition is not None:
            print(_recognition_words(recognition))
        print(report.summary_text())
        if args.out_video:
            print(f"  annotated video: {args.out_video}")
    return 0


def analyse(clip: str | Path, exercise_arg: str, folder: Path, *, side: str = "auto", source: str | None = None,
            model: str | None = None, strict_depth: bool | None = None, out_video: str | None = None,
            jobs: int | None = None):
    """What `analyze` does for one clip (also each clip of `posecheck batch`): `exercise_arg` is an id or auto.

    jobs: MediaPipe processes for this clip (None: parallel.default_jobs, one unless POSECHECK_JOBS says).
    """
    from posecheck.engine import SideChoice
    from posecheck.exercises import get_exercise
    from posecheck.kinematics import AngleSource
    from posecheck.parallel import analyze
    from posecheck.pipeline import DEFAULT_SOURCE
    from posecheck.pose import default_model_path

    estimator, recognition = None, None
    if exercise_arg.strip().lower() == "auto":
        exercise, recognition, estimator = _recognise(clip, model, folder, jobs)
    else:
        exercise = get_exercise(exercise_arg, folder)
    report = analyze(clip, exercise, cast(SideChoice, side), jobs=jobs,
                     source=cast(AngleSource, source or DEFAULT_SOURCE), model_path=model or default_model_path(),
                     out_video=out_video, estimator=estimator, strict_depth=strict_depth)
    return report, recognition


def report_json(report, recognition=None) -> dict:
    """The one JSON object `analyze --json` prints (and `batch` writes per clip)."""
    data = report.to_json()
    if recognition is not None:
        data["recognition"] = recognition.to_json()
    return data


def _recognise(clip: str | Path, model: str | None, folder: Path, jobs: int | None = 1):
    """--exercise auto: MediaPipe once over the clip, recognition from its poses, and the same poses replayed for
    the analysis (no second MediaPipe pass). Returns (Exercise, Recognition, estimator)."""
    from posecheck.exercises import load_all
    from posecheck.parallel import record_clip
    from posecheck.pose import default_model_path
    from posecheck.posetrack import ReplayEstimator
    from posecheck.recognize import recognize_clip
    from posecheck.sources import open_video

    catalog = load_all(folder).exercises
    if not catalog:
        raise PosecheckError(f"no exercise definition in {folder} could be loaded")
    open_video(clip)  # a bad clip fails here, in words, before the pose model loads
    track = record_clip(clip, jobs=jobs, model_path=model or default_model_path())
    recognition = recognize_clip(track, catalog)
    if recognition.id is None:
        raise PosecheckError(f"{clip}: no exercise could be recognised ({recognition.reason}); "
                             "choose one with --exercise (see: posecheck exercises)")
    return catalog[recognition.id], recognition, ReplayEstimator(track)


def _recognition_words(rec) -> str:
    sure = "" if rec.sure else "; not sure: check it, or choose with --exercise"
    runner = f", runner-up {rec.runner_up_name}" if rec.runner_up else ""
    return f"Recognised: {rec.name} ({100 * rec.confidence:.0f}%{runner}{sure}) — {rec.reason}"


def _cmd_report(args: argparse.Namespace) -> int:
    import tempfile

    from posecheck import physio
    from posecheck.exercises import get_exercise, load_all
    from posecheck.history import HistoryStore, default_db_path
    from posecheck.pipeline import DEFAULT_SOURCE, analyze_clip
    from posecheck.pose import default_model_path

    if Path(args.out).suffix.lower() != ".pdf":
        raise PosecheckError(f"--out must end in .pdf, not {args.out}")
    if (args.clip is None) == (args.session is None):
        raise PosecheckError("give a clip or --session ID (one of them)")
    _check_output(args.out, "the report")
    folder = _exercises_folder(args)
    db = default_db_path()
    store = HistoryStore(db) if db.exists() or args.session is not None else None
    try:
        if args.session is not None:
            assert store is not None
            if not any(s.id == args.session for s in store.sessions()):
                raise PosecheckError(f"there is no session {args.session} in {db} (see the History page)")
            sessions = physio.from_history(store, args.session, dict(load_all(folder).exercises))
        else:
            if not args.exercise:
                raise PosecheckError("give the exercise with --exercise ID (or --exercise auto)")
            estimator = None
            if args.exercise.strip().lower() == "auto":
                exercise, recognition, estimator = _recognise(args.clip, args.model, folder)
                print(_recognition_words(recognition), file=sys.stderr)
            else:
                exercise = get_exercise(args.exercise, folder)
            with tempfile.TemporaryDirectory(prefix="posecheck-report-") as tmp:
                annotated = Path(tmp) / "annotated.mp4"  # the thumbnails show the skeleton and the cue
                report = analyze_clip(args.clip, exercise, args.side, source=DEFAULT_SOURCE,
                                      model_path=args.model or default_model_path(), out_video=annotated,
                                      estimator=estimator)
                sessions = [physio.from_report(report, annotated, store, source=f"Clip: {Path(args.clip).name}")]
        pdf = physio.render_pdf(sessions)
    finally:
        if store is not None:
            store.close()
    Path(args.out).write_bytes(pdf)
    print(f"wrote {args.out}")
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from posecheck import batch
    from posecheck.exercises import get_exercise
    from posecheck.pose import default_model_path

    if args.workers is not None and args.workers < 1:
        raise PosecheckError(f"--workers must be at least 1, not {args.workers}")
    folder = _exercises_folder(args)
    if args.exercise.strip().lower() != "auto":
        get_exercise(args.exercise, folder)  # a typo fails now, not once per clip
    clips = batch.find_clips(args.paths)
    if not clips:
        raise PosecheckError("no clips found in " + " ".join(args.paths))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise PosecheckError(f"--out {out} is a file, not a folder")
    settings = batch.BatchSettings(args.exercise.strip(), args.side, args.source, args.model or default_model_path(),
                                   None, str(folder))
    outcome = batch.run_batch(clips, settings, out, scheduler=args.scheduler, workers=args.workers,
                              progress=batch.progress_line)
    print(f"{len(outcome.rows)} clips: {outcome.analysed} analysed, {outcome.skipped} done before, "
          f"{outcome.errors} with errors ({outcome.seconds:.0f} s); results in {out / 'results.csv'} and "
          f"{out / 'results.parquet'}")
    for row in outcome.rows:
        if row.get("error"):
            print(f"posecheck: {row['clip']}: {row['error']}", file=sys.stderr)
    return 0


def _cmd_exercises(args: argparse.Namespace) -> int:
    from posecheck.exercises import exercise_template, load_all
    from posecheck.routines import load_routines, routine_template

    if args.template:
        print(exercise_template() if args.template == "exercise" else routine_template())
        return 0
    folder = _exercises_folder(args)
    cat = load_all(folder)
    for ex in sorted(cat.exercises.values(), key=lambda e: e.id):
        print(f"{ex.id:30s} {ex.name:34s} {ex.kind:9s} {_targets_words(ex.targets)}  [{'/'.join(ex.views)}]")
    for err in cat.errors:
        print(f"posecheck: skipped {err}", file=sys.stderr)
    if (folder / "routines").is_dir():  # routine files are checked too, so a typo there is seen here
        _, routine_errors = load_routines(cat.exercises, folder / "routines")
        for err in routine_errors:
            print(f"posecheck: skipped routines/{err}", file=sys.stderr)
    if not cat.exercises:
        raise PosecheckError(f"no exercise definition in {folder} could be loaded")
    return 0


def _targets_words(t: Targets) -> str:
    parts = []
    if t.reps_per_side:
        parts.append(f"{t.reps_per_side} reps per side")
    if t.reps_total:
        parts.append(f"{t.reps_total} reps")
    if t.hold_s:
        parts.append(f"hold {t.hold_s:g}" + (f"-{t.hold_max_s:g}" if t.hold_max_s else "") + " s")
    if t.sets > 1:
        parts.append(f"x{t.sets}")
    return ", ".join(parts)


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
    match = re.fullmatch(r"\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*", args.size)
    if not match:
        raise PosecheckError(f"--size must look like 640x480, not {args.size!r}")
    w, h = int(match[1]), int(match[2])
    if (problem := synth.settings_problem(args.fps, w, h)) is not None:
        raise PosecheckError(problem)
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
