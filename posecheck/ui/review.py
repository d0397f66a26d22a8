"""The Review page: a clip (upload or sample) + an exercise -> reps, holds, faults, annotated video, exports.

The page only lays things out; `analysis` does the work and caches it, so reruns (every widget click)
never analyse the same clip twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd
import streamlit as st

from posecheck.engine import SideChoice
from posecheck.errors import PosecheckError
from posecheck.exercises import Exercise
from posecheck.pipeline import MAX_SIDE_PX
from posecheck.report import Report
from posecheck.sources import decode_shortfall
from posecheck.ui import analysis, charts, store, widgets
from posecheck.ui.analysis import ReviewKey, ReviewResult

EXERCISE_KEY = "review_exercise"
SAMPLE_KEY = "review_sample"
ERRORS_KEY = "review_errors"  # ReviewKey -> message, so a failure stays visible across reruns
HASHES_KEY = "review_hashes"  # file identity -> sha256, so reruns do not re-hash big clips
SIDE_WORDS = {"auto": "Auto", "left": "Left", "right": "Right"}


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
        exercise = widgets.exercise_picker(catalog, EXERCISE_KEY)
        side = _choose_side(exercise)
        start = st.button("Analyse clip", type="primary", icon=":material/play_arrow:",
                          disabled=clip is None or exercise is None, width="stretch")
    if exercise is not None:
        with tips, st.container(border=True):
            st.subheader(":material/videocam: Camera setup", anchor=False)
            widgets.camera_tips(exercise)
            widgets.safety_notes(exercise)
    if clip is None or exercise is None:
        return

    key = ReviewKey(clip.sha256, exercise.id, analysis.definition_sha256(exercise, ex_dir), side)
    cache = analysis.result_cache()
    errors: dict[ReviewKey, str] = st.session_state.setdefault(ERRORS_KEY, {})
    fresh = False
    if start and cache.get(key) is None:
        errors.pop(key, None)
        fresh = _run(clip, exercise, side, key, cache, errors)
    result = cache.get(key)
    if result is not None:
        show_results(result, key, fresh)
    elif key in errors:
        st.error(errors[key], icon=":material/error:")
        st.caption("Pick another clip or setting and analyse again.")


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
         errors: dict[ReviewKey, str]) -> bool:
    """Analyse with a progress bar; a failure is stored as a message, never raised."""
    bar = st.progress(0.0, text="Opening the clip…")
    clock = analysis.ProgressClock(lambda frac, text: bar.progress(frac, text=text))
    try:
        if clip.path is not None:
            analysis.analyze_for_review(clip.path, clip.name, exercise, side, key, cache, clock)
        else:
            assert clip.data is not None
            with analysis.UploadCopy(clip.name, clip.data) as path:
                analysis.analyze_for_review(path, clip.name, exercise, side, key, cache, clock)
    except Exception as exc:
        errors[key] = widgets.error_message(exc, f"analysing {clip.name}")
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
            st.video(str(result.video_path), start_time=int(start_s), autoplay=start_s > 0, muted=True)
            st.caption("Skeleton, joint angles, counter, hold timer and coaching cue drawn on every frame.")
        else:
            st.warning("The annotated video could not be made for this clip.", icon=":material/warning:")

    st.subheader("Angles over time", anchor=False)
    st.caption("Shaded spans: full reps (green), partial reps (orange), holds (purple). Red dashed lines mark "
               "faults. Hover for values.")
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


def _metrics(report: Report) -> None:
    ex = report.exercise
    items: list[tuple[str, str, str | None]] = []
    target = ex.targets.reps_per_side if ex.per_side else ex.targets.reps_total
    tip = f"Target: {target} per set" if target else None
    if ex.kind != "hold":
        by = report.reps_by_side
        if ex.per_side:
            items += [("Reps · left", str(by["left"]), tip), ("Reps · right", str(by["right"]), tip)]
        else:
            items.append(("Reps", str(len(report.reps)), tip))
        items.append(("Partial reps", str(len(report.partials)), "Moved, but did not reach the target"))
    if ex.kind in ("hold", "reps_hold"):
        holds = [h.duration_s for h in report.holds] or [r.hold_s for r in (*report.reps, *report.partials)
                                                          if r.hold_s > 0]
        hold_tip = f"Target: {ex.targets.hold_s:g} s" if ex.targets.hold_s else None
        items += [("Longest hold", f"{max(holds, default=0.0):.1f} s", hold_tip),
                  ("Total hold", f"{sum(holds):.1f} s", "Time in position with good form")]
    items += [("Faults", str(len(report.faults)), "Form faults raised during the clip"),
              ("Person detected", f"{100 * report.detection_rate:.0f}%", "Share of frames with a person found")]
    for col, (label, value, help_) in zip(st.columns(len(items)), items, strict=True):
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
    tabs = st.tabs(["Reps", "Holds"])
    with tabs[0]:
        rows = sorted([*report.reps, *report.partials], key=lambda r: r.start_s)
        if rows:
            df = pd.DataFrame([{
                "#": i, "Side": r.side, "Start (s)": r.start_s, "Duration (s)": round(r.duration_s, 2),
                "Range of motion (deg)": r.rom_deg, "Hold (s)": r.hold_s, "Full": r.full, "OK": r.ok,
                "Faults": ", ".join(r.faults),
            } for i, r in enumerate(rows, 1)])
            if report.exercise.kind != "reps_hold":
                df = df.drop(columns="Hold (s)")  # only reps with a hold at the top have one
            st.dataframe(df, hide_index=True, width="stretch", column_config={
                "Start (s)": st.column_config.NumberColumn(format="%.2f"),
                "Range of motion (deg)": st.column_config.NumberColumn(format="%.0f"),
                "Hold (s)": st.column_config.NumberColumn(format="%.1f"),
            })
        else:
            st.caption("No reps in this clip.")
    with tabs[1]:
        if report.holds:
            df = pd.DataFrame([{
                "Side": h.side, "Start (s)": h.start_s, "End (s)": h.end_s, "Held (s)": h.duration_s, "OK": h.ok,
                "Faults": ", ".join(h.faults),
            } for h in report.holds])
            st.dataframe(df, hide_index=True, width="stretch", column_config={
                "Start (s)": st.column_config.NumberColumn(format="%.2f"),
                "End (s)": st.column_config.NumberColumn(format="%.2f"),
                "Held (s)": st.column_config.NumberColumn(format="%.1f"),
            })
        else:
            st.caption("No holds in this clip.")


def _exports(result: ReviewResult) -> None:
    report = result.report
    st.subheader("Export", anchor=False)
    stem = f"{Path(result.clip_name).stem}-{report.exercise.id}"
    data = report.to_json()
    data["clip"] = result.clip_name  # the user's name for it, not our temp path
    c1, c2, c3, _ = st.columns([1, 1, 1, 2])
    c1.download_button("JSON report", json.dumps(data, indent=2), file_name=f"{stem}.json", mime="application/json",
                       icon=":material/data_object:", on_click="ignore", width="stretch")
    c2.download_button("Reps CSV", report.reps_csv(), file_name=f"{stem}-reps.csv", mime="text/csv",
                       icon=":material/table:", on_click="ignore", width="stretch")
    video = result.video_path
    if video is not None and video.is_file():
        c3.download_button("Annotated MP4", video.read_bytes, file_name=f"{stem}-annotated.mp4", mime="video/mp4",
                           icon=":material/movie:", on_click="ignore", width="stretch")
