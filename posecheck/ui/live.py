"""The Live page: the browser camera -> WebRTC -> `LiveSession` on the server -> the annotated video back.

All the work happens in `posecheck.live.LiveSession`, one per browser session, kept in `st.session_state`
so reruns (every widget click) never reset counts. The WebRTC frame callback runs on a worker thread and
never touches `st.*`: it only calls `session.video_frame` (the pose runs on the session's own worker). A
fragment re-runs every half second to read the session's snapshot (camera check, counters, sets, video and
pose fps) and to play a short beep once per counted rep or completed hold.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import streamlit as st

from posecheck.engine import SideChoice
from posecheck.exercises import Exercise
from posecheck.live import ICE_SERVERS_ENV, LiveSession, LiveSnapshot, ice_servers_from_env
from posecheck.recognize import LiveSuggester
from posecheck.records import SetResult
from posecheck.speech import STATUS
from posecheck.ui import analysis, beeps, store, voice, webcam, widgets

STRICT_KEY = "live_strict_depth"
SESSION_KEY = "live_session"
EXERCISE_KEY = "live_exercise"
SIDE_KEY = "live_side"
MUTE_KEY = "live_mute"
HEARD_KEY = "live_heard"  # (rep_seq, hold_seq) already beeped for, so each event sounds once
BEEP_KEY = "live_beep"  # the hidden container of the beep
STREAM_KEY = "live_stream"
SUGGESTER_KEY = "live_suggester"  # LiveSuggester watching the stream for another exercise
SWITCH_KEY = "live_switch_to"  # an exercise the user accepted from a suggestion (applied before the picker draws)
DISMISSED_KEY = "live_dismissed"  # (current exercise, suggested exercise) the user said no to
COUNTED_KEY = "live_counted_at"  # (reps + holds counted, when that number last grew: time.monotonic())
PLANNER_KEY = "live_speech"
VOICE_KEY = "live_voice"
REFRESH_S = 0.5
SIDE_WORDS = {"auto": "Auto", "left": "Left", "right": "Right"}
CSS = f"""<style>
{beeps.hidden_css(BEEP_KEY)}
.st-key-live_stats p {{ font-variant-numeric: tabular-nums; }}
</style>"""


def render() -> None:
    st.html(CSS)
    st.title("Live coaching")
    st.caption("Your camera, checked live: skeleton and hip/knee angles on the video, reps counted per side, "
               "holds timed, and a cue when form slips. Video stays between your browser and this server.")
    catalog = widgets.load_catalog(analysis.exercises_dir())
    if (switch := st.session_state.pop(SWITCH_KEY, None)) in catalog.exercises:
        st.session_state[EXERCISE_KEY] = switch  # before the picker is drawn: a widget's value can change here

    video_col, side_col = st.columns([3, 2], gap="large")
    with side_col, st.container(border=True):
        st.subheader(":material/tune: Exercise", anchor=False)
        exercise = widgets.exercise_picker(catalog, EXERCISE_KEY)
        if exercise is None:
            return
        side = _choose_side(exercise)
        st.markdown(f"**Target:** {widgets.targets_text(exercise) or 'none'}")
        session = _session(exercise, side, widgets.strict_depth_toggle(exercise, STRICT_KEY))
        _suggester(session, catalog.exercises)
        b1, b2 = st.columns(2)
        if b1.button("Finish set", icon=":material/flag:", width="stretch",
                     help="File the set in progress and start the next one"):
            session.finish_set()
        if b2.button("Reset", icon=":material/restart_alt:", width="stretch", help="Forget all sets and counts"):
            session.reset()
        st.toggle("Mute beeps", key=MUTE_KEY,
                  help="Where the browser has no voice, a short beep sounds for every counted rep and a chime for "
                       "every completed hold, so you need not watch the screen")

    with video_col:
        playing = webcam.streamer(STREAM_KEY, session)
        if not playing:
            st.caption(":material/info: Press **START** and allow the camera. Then step back until your whole "
                       "body is in the picture; counting starts after the camera check.")
        _history_panel()

    with side_col:
        _live_panel()
    with st.expander("Camera setup and safety", icon=":material/videocam:"):
        widgets.camera_tips(exercise)
        widgets.safety_notes(exercise)
        if servers := ice_servers_from_env()[0]:
            st.caption(f"WebRTC relays from {ICE_SERVERS_ENV}: {len(servers)} configured.")


def _choose_side(ex: Exercise) -> SideChoice:
    if not ex.per_side:
        return "auto"
    choice = st.segmented_control("Side", list(SIDE_WORDS), key=SIDE_KEY, default="auto",
                                  format_func=lambda s: SIDE_WORDS[s],
                                  help="Auto counts both sides; pick one to count only that side")
    return choice or "auto"  # type: ignore[return-value]


def _session(exercise: Exercise, side: SideChoice, strict_depth: bool | None) -> LiveSession:
    """This browser session's LiveSession, created once; a new exercise, side or depth rule files the set in
    progress."""
    session: LiveSession | None = st.session_state.get(SESSION_KEY)
    if session is None:
        session = store.new_live_session(exercise, side)  # a LiveSession that keeps per-rep records
        st.session_state[SESSION_KEY] = session
    session.set_exercise(exercise, side, strict_depth)
    return session


# --- the live panel (a fragment: re-runs on its own, reads only the snapshot) ----------------------


@st.fragment(run_every=REFRESH_S)
def _live_panel() -> None:
    session: LiveSession | None = st.session_state.get(SESSION_KEY)
    if session is None:
        return
    snap = session.snapshot()
    ex = session.exercise
    voice_box = st.container(key="live_voice_box")  # drawn on top, filled last (below)
    _suggestion(session, snap)
    with st.container(border=True):
        st.subheader(":material/fact_check: Camera check", anchor=False)
        webcam.camera_check(snap)
    with st.container(border=True):
        st.subheader(f":material/fitness_center: Set {snap.sets_done + 1}" + (" · complete" * snap.set_complete),
                     anchor=False)
        _counters(snap, ex)
    if snap.error:
        st.error(f"Frame processing failed: {snap.error}", icon=":material/error:")
    if snap.crowd:
        st.warning(snap.crowd, icon=":material/group:")
    # Sound after the numbers: the browser draws a run's elements in order, so the count is on screen by the
    # time its word or beep plays (before, a loaded browser beeped "three" over a "2").
    with voice_box:
        speaking = _speak(snap, ex)
    beeps.beep_if_new(snap, HEARD_KEY, BEEP_KEY, quiet=speaking or bool(st.session_state.get(MUTE_KEY)))


@st.fragment(run_every=REFRESH_S)
def _history_panel() -> None:
    """Under the video: finished sets and the stream's numbers."""
    session: LiveSession | None = st.session_state.get(SESSION_KEY)
    if session is None:
        return
    snap = session.snapshot()
    if problem := store.save_new_live_sets(session, snap.sets):  # each filed set goes to history once
        st.warning(problem, icon=":material/warning:")
    if snap.sets:
        st.subheader(f":material/done_all: Sets done: {snap.sets_done}", anchor=False)
        _sets_table(snap.sets)
    with st.container(key="live_stats"):
        st.caption(stats_line(snap))


def stats_line(snap: LiveSnapshot) -> str:
    """The stream's numbers under the video. Rates only while a camera runs: after STOP the last ones would read
    as if frames still came."""
    pct = 100 * snap.frames_with_pose / snap.frames if snap.frames else 0.0
    tail = f"frames {snap.frames} · person found in {pct:.0f}% · view {snap.view}"
    if not snap.running:
        return f"Camera off · {tail}"
    size = f"{snap.frame_size[0]}x{snap.frame_size[1]}" if snap.frame_size else "-"
    # Video and pose rates apart: the video runs at the camera's rate, the pose as fast as it can beside it.
    return (f"Live · video {snap.video_fps:.1f} fps ({snap.video_ms:.1f} ms) · pose {snap.pose_fps:.1f} fps "
            f"({snap.pose_ms:.1f} ms) · {size} · {tail}")


def _counters(snap: LiveSnapshot, ex: Exercise) -> None:
    t = ex.targets
    cols = st.columns(3)
    if ex.kind == "hold":
        cols[0].metric("Hold", f"{snap.hold_s or 0.0:.1f} s", help=f"Target {t.hold_s:g} s" if t.hold_s else None)
        cur = snap.current
        cols[1].metric("Holds done", cur.holds_done if cur else 0)
        cols[2].metric("Best hold", f"{cur.best_hold_s if cur else 0.0:.1f} s")
    elif ex.per_side:
        goal = f"Target {t.reps_per_side} per side" if t.reps_per_side else None
        cols[0].metric("Reps · left", snap.reps_left, help=goal)
        cols[1].metric("Reps · right", snap.reps_right)
        cols[2].metric("Partial", snap.partial)
    else:
        cols[0].metric("Reps", snap.reps_total, help=f"Target {t.reps_total}" if t.reps_total else None)
        cols[1].metric("Partial", snap.partial)
        if ex.kind == "reps_hold":
            cols[2].metric("Hold", f"{snap.hold_s:.1f} s" if snap.hold_s is not None else "-")
        else:
            cols[2].metric("Target", t.reps_total or "-")
    if snap.set_complete and snap.current is not None:
        st.success(f"**Set complete**: {widgets.plain(snap.current.counts_words())}, the target reached. Rest, "
                   "then press **Finish set** (what you do before that still counts in this set).",
                   icon=":material/emoji_events:")
    elif snap.counting and snap.cue:
        icon = ":material/error:" if snap.cue_severity == "error" else ":material/record_voice_over:"
        st.markdown(f"{icon} **{widgets.plain(snap.cue)}**")


def _sets_table(sets: tuple[SetResult, ...]) -> None:
    rows = [{"Set": s.number, "Exercise": s.exercise_name, "Result": webcam.set_words(s), "Partial": s.partial,
             "Faults": len(s.faults), "Time (s)": s.duration_s,
             "Target met": "yes" if s.target_reached else "no",  # a bare "–" under "Target" read as no target
             "Ended": s.ended} for s in reversed(sets)]
    st.dataframe(rows, hide_index=True, width="stretch")


# --- voice and suggestions ----------------------------------------------------------------------


def _speak(snap: LiveSnapshot, ex: Exercise) -> bool:
    """Plan what to say for this snapshot and hand it to the browser's voice; True when a voice speaks."""
    planner = voice.planner(PLANNER_KEY, announce_target=True)
    planner.plan(snap, time.monotonic(), "and relax" if ex.kind == "hold" else "lower slowly")
    return voice.voice(planner, VOICE_KEY)


def _suggester(session: LiveSession, exercises: Mapping[str, Exercise]) -> LiveSuggester:
    """The stream's watcher for another exercise, attached to the session once."""
    sugg: LiveSuggester | None = st.session_state.get(SUGGESTER_KEY)
    if sugg is None:
        sugg = LiveSuggester(exercises)
        st.session_state[SUGGESTER_KEY] = sugg
    if sugg.observe not in session.frame_observers:
        session.frame_observers.append(sugg.observe)
    return sugg


def _suggestion(session: LiveSession, snap: LiveSnapshot) -> None:
    """"This looks like a glute bridge: switch?" when the stream surely shows another exercise: never once the
    camera is off (the set is over), nor while the chosen exercise has counted within the window the suggester
    judges (the person is doing it; what else the window holds is rest)."""
    if st.session_state.get(SWITCH_KEY):
        st.rerun(scope="app")  # a switch was accepted: the whole page redraws with the new exercise
    sugg: LiveSuggester | None = st.session_state.get(SUGGESTER_KEY)
    if sugg is None or not snap.running or _counted_within(snap, sugg.window_s):
        return
    ex = session.exercise
    rec = sugg.suggestion(ex.id, counted=snap.current is not None)
    if rec is None or (ex.id, rec.id) in st.session_state.get(DISMISSED_KEY, set()):
        return
    text = f"This looks like {rec.name.lower()}: switch?"
    voice.planner(PLANNER_KEY).say(f"This looks like {rec.name.lower()}. Switch on the screen if it is.", "suggest",
                                   time.monotonic(), STATUS, 60.0)
    with st.container(border=True, key="live_suggestion"):
        st.warning(f"**{widgets.plain(text)}** {widgets.plain(rec.reason)}.", icon=":material/auto_awesome:")
        c1, c2 = st.columns(2)
        c1.button(f"Switch to {rec.name}", key="live_switch", type="primary", width="stretch",
                  on_click=_switch, args=(rec.id,))
        c2.button(f"No, keep {ex.name}", key="live_keep", width="stretch", on_click=_dismiss, args=(ex.id, rec.id))


def _counted_within(snap: LiveSnapshot, window_s: float) -> bool:
    """A rep or hold was counted less than `window_s` ago (wall clock, as the page sees the counts grow)."""
    seq, now = snap.rep_seq + snap.hold_seq, time.monotonic()
    last_seq, at = st.session_state.get(COUNTED_KEY, (0, -float("inf")))
    if seq != last_seq:  # grew: counted just now; fell: a new session, nothing counted in it yet
        st.session_state[COUNTED_KEY] = (seq, now if seq > last_seq else -float("inf"))
        return seq > last_seq
    return now - at < window_s


def _switch(exercise_id: str) -> None:
    st.session_state[SWITCH_KEY] = exercise_id


def _dismiss(current: str, suggested: str | None) -> None:
    st.session_state.setdefault(DISMISSED_KEY, set()).add((current, suggested))
