"""The Review page: a clip (upload or sample) + an exercise -> reps, holds, faults, annotated video, exports.

The page only lays things out; `analysis` does the work and caches it, so reruns (every widget click)
never analyse the same clip twice.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import pandas as pd
import streamlit as st

from posecheck.engine import SideChoice
from posecheck.errors import PosecheckError
from posecheck.exercises import Exercise
from posecheck.pipeline import MAX_SIDE_PX
from posecheck.posetrack import PoseTrack
from posecheck.recognize import Recognition
from posecheck.report import Report, fault_words
from posecheck.sources import decode_shortfall
from posecheck.ui import analysis, charts, reports, store, widgets
from posecheck.ui.analysis import ReviewKey, ReviewResult

EXERCISE_KEY = "review_exercise"
STRICT_KEY = "review_strict_depth"
SAMPLE_KEY = "review_sample"
ERRORS_KEY = "review_errors"  # ReviewKey -> message, so a failure stays visible across reruns
RECOGNISE_ERRORS_KEY = "review_recognise_errors"  # clip sha -> message
ANSWERS_KEY = "review_answers"  # clip sha -> the exercise the user picked when recognition was not sure
HASHES_KEY = "review_hashes"  # file identity -> sha256, so reruns do not re-hash big clips
SIDE_WORDS = {"auto": "Auto", "left": "Left", "right": "Right"}
VIDEO_MAX_HEIGHT_PX = 540  # a portrait clip is narrowed to this height, so the results below stay in sight


@dataclass(frozen=True)
class ClipChoice:
    name: str  # as the user knows it
    sha256: str
    path: Path | None = None  # a sample, read in place
    data: bytes | None = None  # an upload, copied to a temp file only while it is analysed


def render() -> None:
    st.title("Review a clip")
    st.caption("Upload a recording of your exercise or pick a sample: posecheck counts your reps, times your holds "
               "and points out form faults, frame by frame.")
    ex_dir = analysis.exercises_dir()
    catalog = widgets.load_catalog(ex_dir)

    setup, tips = st.columns([3, 2], gap="large")
    with setup, st.container(border=True):
        st.subheader(":material/tune: Set up", anchor=False)
        clip = _choose_clip(catalog.exercises)
        choice = widgets.exercise_or_auto(catalog, EXERCISE_KEY)
        exercise = choice if isinstance(choice, Exercise) else None
        side = _choose_side(exercise)
        strict = widgets.strict_depth_toggle(exercise, STRICT_KEY) if exercise is not None else None
        start = st.button("Analyse clip", type="primary", icon=":material/play_arrow:",
                          disabled=clip is None or choice is None, width="stretch")
    if exercise is not None:
        with tips, st.container(border=True):
            st.subheader(":material/videocam: Camera setup", anchor=False)
            widgets.camera_tips(exercise)
            widgets.safety_notes(exercise)
    if clip is None or choice is None:
        return
    track, follow = None, False
    if choice == widgets.AUTO:
        exercise, track, follow = _recognised(clip, catalog.exercises, start)
        if exercise is None:
            return
        side = "auto" if exercise.sides == "both" else side
    assert exercise is not None

    key = ReviewKey(clip.sha256, exercise.id, analysis.definition_sha256(exercise, ex_dir), side, strict_depth=strict)
    cache = analysis.result_cache()
    errors: dict[ReviewKey, str] = st.session_state.setdefault(ERRORS_KEY, {})
    fresh = False
    # A click analyses (again, after a failure); a recognised or picked exercise is analysed once by itself.
    if (start or (follow and key not in errors)) and cache.get(key) is None:
        errors.pop(key, None)
        fresh = _run(clip, exercise, side, key, cache, errors, track)
    result = cache.get(key)
    if result is not None:
        show_results(result, key, fresh)
    elif key in errors:
        st.error(errors[key], icon=":material/error:")
        st.caption("Pick another clip or setting and analyse again.")


# --- automatic recognition --------------------------------------------------------------------


def _recognised(clip: ClipChoice, exercises: Mapping[str, Exercise], start: bool
                ) -> tuple[Exercise | None, PoseTrack | None, bool]:
    """(exercise to analyse as, its recorded poses, analyse now) for "Recognise automatically".

    The first click records the poses and recognises the exercise. When sure, the analysis follows at once;
    when not, the page asks, offering the likeliest ones, and the pick is analysed from the same poses.
    """
    tracks = analysis.track_cache()
    errors: dict[str, str] = st.session_state.setdefault(RECOGNISE_ERRORS_KEY, {})
    if start and tracks.get(clip.sha256) is None:
        errors.pop(clip.sha256, None)
        _recognise(clip, exercises, tracks, errors)
    hit = tracks.get(clip.sha256)
    if hit is None:
        if clip.sha256 in errors:
            st.error(errors[clip.sha256], icon=":material/error:")
        return None, None, False
    track, rec = hit
    answers: dict[str, str] = st.session_state.setdefault(ANSWERS_KEY, {})
    picked = answers.get(clip.sha256)
    if picked is not None and picked in exercises:
        st.info(f"Analysed as **{widgets.plain(exercises[picked].name)}**, as you chose.", icon=":material/check:")
        return exercises[picked], track, True
    if rec.id is not None and rec.sure and rec.id in exercises:
        runner = f" Runner-up: {widgets.plain(rec.runner_up_name)}." if rec.runner_up else ""
        st.success(f"Recognised **{widgets.plain(rec.name)}** ({100 * rec.confidence:.0f}% sure): "
                   f"{widgets.plain(rec.reason)}.{runner} Not right? Choose the exercise above.",
                   icon=":material/auto_awesome:")
        return exercises[rec.id], track, True
    _ask(clip.sha256, rec, exercises, answers)
    return None, None, False


def _recognise(clip: ClipChoice, exercises: Mapping[str, Exercise], tracks: analysis.TrackCache,
               errors: dict[str, str]) -> None:
    bar = st.progress(0.0, text="Finding your pose to recognise the exercise…")
    clock = analysis.ProgressClock(lambda frac, text: bar.progress(frac, text=text.replace("Analysing",
                                                                                          "Recognising")))
    path = clip.path
    try:
        if path is not None:
            analysis.recognise_for_review(path, clip.sha256, exercises, tracks, clock)
        else:
            assert clip.data is not None
            with analysis.UploadCopy(clip.name, clip.data) as path:
                analysis.recognise_for_review(path, clip.sha256, exercises, tracks, clock)
    except Exception as exc:
        errors[clip.sha256] = widgets.error_message(exc, f"recognising the exercise in {clip.name}", path, clip.name)
    finally:
        bar.empty()


def _ask(sha: str, rec: Recognition, exercises: Mapping[str, Exercise], answers: dict[str, str]) -> None:
    """Not sure: say what it looks like and let the user pick (the likeliest first)."""
    likely = [c for c in rec.candidates if c.id in exercises and c.score > 0][:3]
    with st.container(border=True, key="review_ask"):
        if rec.id is None or not likely:
            st.warning("I could not recognise the exercise in this clip: nothing I know fits what I saw "
                       f"({widgets.plain(rec.reason)}). Which exercise is it?", icon=":material/help:")
        else:
            st.warning(f"Not sure which exercise this is. It looks most like **{widgets.plain(rec.name)}** "
                       f"({widgets.plain(rec.reason)}). Which is it?", icon=":material/help:")
        cols = st.columns(len(likely) + 1) if likely else [st.container()]
        for col, cand in zip(cols, likely, strict=False):
            col.button(cand.name, key=f"review_pick_{cand.id}", width="stretch", on_click=_answer,
                       args=(answers, sha, cand.id))
        with cols[-1]:
            other = st.selectbox("Another exercise", sorted(exercises, key=lambda i: exercises[i].name.lower()),
                                 format_func=lambda i: exercises[i].name, index=None, key="review_pick_other",
                                 placeholder="Another exercise…")
            if other is not None:
                answers[sha] = other
                st.rerun()


def _answer(answers: dict[str, str], sha: str, exercise_id: str) -> None:
    answers[sha] = exercise_id


# --- input ------------------------------------------------------------------------------------


def _choose_clip(exercises: Mapping[str, Exercise]) -> ClipChoice | None:
    mode = st.radio("Clip", ["Sample clip", "Upload a clip"], horizontal=True, key="review_mode",
                    label_visibility="collapsed")
    if mode == "Upload a clip":
        return _upload()
    return _sample(exercises)


def _upload() -> ClipChoice | None:
    limit_mb, problem = analysis.upload_limit_mb()
    if problem:
        st.warning(f"{problem}; using {limit_mb} MB.", icon=":material/warning:")
    up = st.file_uploader(f"Video clip ({', '.join(analysis.VIDEO_TYPES)}; up to {limit_mb} MB)",
                          type=list(analysis.VIDEO_TYPES), max_upload_size=limit_mb, key="review_upload",
                          help="Set POSECHECK_MAX_UPLOAD_MB to change the limit.")
    if up is None:
        return None
    ext = Path(up.name).suffix.lower().lstrip(".")
    if ext not in analysis.VIDEO_TYPES:
        st.error(f"{up.name} is not a supported video file; use one of: {', '.join(analysis.VIDEO_TYPES)}.",
                 icon=":material/error:")
        return None
    if up.size > limit_mb * 1024 * 1024:
        st.error(f"{up.name} is {up.size / 2**20:.0f} MB; the limit is {limit_mb} MB. Trim or compress the clip, "
                 "or raise POSECHECK_MAX_UPLOAD_MB.", icon=":material/error:")
        return None
    hashes: dict[str, str] = st.session_state.setdefault(HASHES_KEY, {})
    data = up.getvalue()
    sha = hashes.get(up.file_id) or analysis.sha256_bytes(data)
    hashes[up.file_id] = sha
    return ClipChoice(up.name, sha, data=data)


def _sample(exercises: Mapping[str, Exercise]) -> ClipChoice | None:
    folder = analysis.samples_dir()
    names = analysis.list_samples(folder)
    if not names:
        st.info(f"No sample clips in `{folder}`. Generate them with `posecheck samples`, or upload a clip.",
                icon=":material/info:")
        return None
    if st.session_state.get(SAMPLE_KEY) not in names:
        st.session_state[SAMPLE_KEY] = names[0]
        _suggest_exercise(folder, exercises)
    name = st.selectbox("Sample clip", names, key=SAMPLE_KEY, on_change=_suggest_exercise, args=(folder, exercises))
    try:
        path = analysis.resolve_sample(name, folder)
    except PosecheckError as exc:
        st.error(str(exc), icon=":material/error:")
        return None
    stat = path.stat()
    ident = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    hashes: dict[str, str] = st.session_state.setdefault(HASHES_KEY, {})
    sha = hashes.get(ident) or analysis.sha256_file(path)
    hashes[ident] = sha
    return ClipChoice(name, sha, path=path)


def _suggest_exercise(folder: Path, exercises: Mapping[str, Exercise]) -> None:
    """Choosing a sample preselects its exercise (from its truth file, else from its name)."""
    name = st.session_state.get(SAMPLE_KEY)
    if name:
        ex_id = analysis.sample_exercise(folder, name, exercises)
        if ex_id:
            st.session_state[EXERCISE_KEY] = ex_id


def _choose_side(exercise: Exercise | None) -> SideChoice:
    both = exercise is not None and exercise.sides == "both"
    side = st.radio("Working side", list(SIDE_WORDS), format_func=SIDE_WORDS.__getitem__, horizontal=True,
                    key="review_side", disabled=both,
                    help="Both legs work together in this exercise." if both else
                    "Auto finds the working leg in each rep; choose a side to count only that one.")
    return "auto" if both else cast(SideChoice, side)


def _run(clip: ClipChoice, exercise: Exercise, side: SideChoice, key: ReviewKey, cache: analysis.ResultCache,
         errors: dict[ReviewKey, str], track: PoseTrack | None = None) -> bool:
    """Analyse with a progress bar; a failure is stored as a message, never raised."""
    bar = st.progress(0.0, text="Opening the clip…")
    clock = analysis.ProgressClock(lambda frac, text: bar.progress(frac, text=text))
    path = clip.path
    try:
        if path is not None:
            analysis.analyze_for_review(path, clip.name, exercise, side, key, cache, clock, track)
        else:
            assert clip.data is not None
            with analysis.UploadCopy(clip.name, clip.data) as path:
                analysis.analyze_for_review(path, clip.name, exercise, side, key, cache, clock, track)
    except Exception as exc:
        errors[key] = widgets.error_message(exc, f"analysing {clip.name}", path, clip.name)
        return False
    finally:
        bar.empty()
    return True


# --- results ----------------------------------------------------------------------------------


def show_results(result: ReviewResult, key: ReviewKey, fresh: bool) -> None:
    report, ex = result.report, result.report.exercise
    st.divider()
    st.header(f"Results · {widgets.plain(result.clip_name)}", anchor=False)
    how = f"analysed in {result.elapsed_s:.1f} s" if fresh else "from the cache (not analysed again)"
    st.caption(f"{widgets.plain(ex.name)} · {report.duration_s:.1f} s · {report.frames} frames at "
               f"{report.fps:.0f} fps · {report.width}×{report.height} · {how}")
    _notices(result)
    _metrics(report)
    store.save_review_button(report, result.clip_name, key)

    video_col, fault_col = st.columns([3, 2], gap="large")
    with fault_col:
        start_s = _fault_list(report, key)
    with video_col:
        if result.video_path is not None and result.video_path.is_file():
            st.video(str(result.video_path), start_time=int(start_s), autoplay=start_s > 0, muted=True,
                     width=video_width(report.width, report.height))
            st.caption("Skeleton, joint angles, counter, hold timer and coaching cue drawn on every frame.")
        else:
            st.warning("The annotated video could not be made for this clip.", icon=":material/warning:")

    st.subheader("Angles over time", anchor=False)
    st.caption(charts.CAPTION)
    drive = charts.drive_chart(report)
    if drive is not None:
        st.altair_chart(drive, width="stretch")
    st.altair_chart(charts.angles_chart(report), width="stretch")

    _tables(report)
    _exports(result)


def _notices(result: ReviewResult) -> None:
    report, ex = result.report, result.report.exercise
    if report.frames_with_pose == 0:
        st.warning("No person was found in this clip. Film the whole body, head to feet, in good light, "
                   "about 2-3 m from the camera.", icon=":material/person_off:")
    for w in report.warnings:
        if w != "No person was found in this clip":
            st.warning(w, icon=":material/warning:")
    info = result.info
    if (info.duration_s > 1.0 and report.frames and report.duration_s < 0.9 * info.duration_s
            and decode_shortfall(report.frames, info) is None):  # else the report's warning says it already
        st.warning(f"The clip ended early: only {report.duration_s:.1f} s of its {info.duration_s:.1f} s could be read "
                   "(the file may be truncated). Results cover the readable part.", icon=":material/warning:")
    if max(info.width, info.height) > MAX_SIDE_PX:
        st.info(f"This clip is {info.width}×{info.height}; its frames were scaled to {MAX_SIDE_PX} px for analysis "
                "(angles do not change with scale).", icon=":material/photo_size_select_large:")
    if report.frames_with_pose and ex.kind != "hold" and not report.reps:
        st.info(f"No complete rep was counted in this {report.duration_s:.1f} s clip. A rep goes from rest to the "
                "target and back; check the exercise choice and the camera view.", icon=":material/info:")
    if ex.kind == "hold" and report.frames_with_pose and not report.holds:
        st.info("No hold was timed: the position was not reached, or not for long enough.", icon=":material/info:")
    codes = {f.code for f in report.faults}
    if "bouncing" in codes:
        st.error("Bouncing was detected. Ease into the stretch and hold still: never bounce. Stop if you feel sharp "
                 "pain.", icon=":material/health_and_safety:")


def video_width(width: int, height: int) -> int | Literal["stretch"]:
    """The column's width for a landscape clip; a portrait one no taller than VIDEO_MAX_HEIGHT_PX."""
    if width <= 0 or height <= width:
        return "stretch"
    return max(160, round(VIDEO_MAX_HEIGHT_PX * width / height))


def _metrics(report: Report) -> None:
    ex = report.exercise
    res = report.set_result()  # the clip as one set: the same numbers the history and routines show
    items: list[tuple[str, str, str | None]] = []
    target = ex.targets.reps_per_side if ex.per_side else ex.targets.reps_total
    tip = f"Target: {target} per set" if target else None
    if ex.kind != "hold":
        if ex.per_side:
            items += [("Reps · left", str(res.reps_left), tip), ("Reps · right", str(res.reps_right), tip)]
        else:
            items.append(("Reps", str(res.reps_total), tip))
        items.append(("Partial reps", str(res.partial), "Moved, but did not reach the target"))
    if ex.kind in ("hold", "reps_hold"):
        hold_tip = f"Target: {ex.targets.hold_s:g} s" if ex.targets.hold_s else None
        items += [("Longest hold", f"{res.best_hold_s:.1f} s", hold_tip),
                  ("Time in holds", f"{res.time_in_holds_s:.1f} s", "Every hold in the clip, added up (the Holds "
                   "table lists them)")]
    items += [("Faults", str(len(report.faults)), "Form faults raised during the clip"),
              ("Person detected", f"{100 * report.detection_rate:.0f}%", "Share of frames with a person found")]
    # At most four cards a row, the rows evened out (six: 3 + 3): six in one row cut labels to "Longest ...".
    per_row = math.ceil(len(items) / math.ceil(len(items) / 4))
    for start in range(0, len(items), per_row):
        for col, (label, value, help_) in zip(st.columns(per_row), items[start:start + per_row], strict=False):
            col.metric(label, value, help=help_, border=True)


def _fault_list(report: Report, key: ReviewKey) -> float:
    """The faults as a list; choosing one returns its time so the video plays from there."""
    st.subheader(f"Faults ({len(report.faults)})", anchor=False)
    if not report.faults:
        st.success("No form faults: nice work.", icon=":material/check_circle:")
        return 0.0
    options: list[int] = [-1, *range(len(report.faults))]

    def label(i: int) -> str:
        if i < 0:
            return "Start of the clip"
        f = report.faults[i]
        side = f" ({f.side})" if f.side and f.side != "both" else ""
        return f"{widgets.fmt_time(f.t_s)} · {widgets.plain(f.message)}{side}"

    box = st.container(height=320 if len(options) > 8 else "content", border=False)
    choice = box.radio("Choose a fault to play the clip from that moment", options, format_func=label,
                       key=f"review_fault_{key.clip_sha256[:16]}_{key.exercise_id}_{key.side}")
    if choice is None or choice < 0:
        return 0.0
    # st.video starts at whole seconds; start a little early so the fault is seen happening.
    return max(0.0, report.faults[choice].t_s - 1.0)


def _tables(report: Report) -> None:
    words = fault_words(report.exercise, report.faults)
    tabs = st.tabs(["Reps", "Holds"])
    seconds = st.column_config.NumberColumn(format="%.2f")
    with tabs[0]:
        rows = sorted([*report.reps, *report.partials], key=lambda r: r.start_s)
        if rows:
            df = pd.DataFrame([{
                "#": i, "Side": r.side, "Start (s)": r.start_s, "Duration (s)": r.duration_s,
                "Range of motion (deg)": r.rom_deg, "Hold (s)": r.hold_s, "Full": r.full, "OK": r.ok,
                "Faults": "; ".join(words.get(c, c.replace("_", " ")) for c in r.faults),
            } for i, r in enumerate(rows, 1)])
            if report.exercise.kind != "reps_hold":
                df = df.drop(columns="Hold (s)")  # only reps with a hold at the top have one
            st.dataframe(df, hide_index=True, width="stretch", column_config={
                "Start (s)": seconds, "Duration (s)": seconds, "Hold (s)": seconds,
                "Range of motion (deg)": st.column_config.NumberColumn(format="%.0f"),
            })
        else:
            st.caption("No reps in this clip.")
    with tabs[1]:
        if report.holds:
            df = pd.DataFrame([{
                "Side": h.side, "Start (s)": h.start_s, "End (s)": h.end_s, "Held (s)": h.duration_s, "OK": h.ok,
                "Faults": "; ".join(words.get(c, c.replace("_", " ")) for c in h.faults),
            } for h in report.holds])
            st.dataframe(df, hide_index=True, width="stretch", column_config={
                "Start (s)": seconds, "End (s)": seconds, "Held (s)": seconds})
        else:
            st.caption("No holds in this clip.")


def _exports(result: ReviewResult) -> None:
    report = result.report
    st.subheader("Export", anchor=False)
    stem = f"{Path(result.clip_name).stem}-{report.exercise.id}"
    data = report.to_json()
    data["clip"] = result.clip_name  # the user's name for it, not our temp path
    c1, c2, c3, c4, _ = st.columns([1, 1, 1, 1.2, 0.8])
    c1.download_button("JSON report", json.dumps(data, indent=2), file_name=f"{stem}.json", mime="application/json",
                       icon=":material/data_object:", on_click="ignore", width="stretch")
    c2.download_button("Reps CSV", report.reps_csv(), file_name=f"{stem}-reps.csv", mime="text/csv",
                       icon=":material/table:", on_click="ignore", width="stretch")
    video = result.video_path
    if video is not None and video.is_file():
        c3.download_button("Annotated MP4", video.read_bytes, file_name=f"{stem}-annotated.mp4", mime="video/mp4",
                           icon=":material/movie:", on_click="ignore", width="stretch")
    reports.review_pdf_button(c4, result, stem)
