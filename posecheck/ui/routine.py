"""The Routine page: leads a routine live. Camera -> `RecordingSession`; a fragment re-runs every half
second, ticks the pure `RoutineController` (set done -> file -> save -> rest -> next) and draws where the
user is: the set with its counters, the rest countdown with what comes next, or the summary at the end.

Everything lives in st.session_state (session, controller, history session id), so reruns keep the place;
tests feed the session in st.session_state with frames and rerun, exactly as the camera thread would.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

from posecheck.exercises import Exercise
from posecheck.records import SetResult
from posecheck.routine_live import RecordingSession, RoutineController, closing_words, plan_exercise, plan_side
from posecheck.routines import Routine, RoutineRunner, SetPlan, expand, load_routines
from posecheck.speech import RoutineSpeech
from posecheck.ui import analysis, beeps, store, voice, webcam, widgets

ROUTINE_KEY = "routine_choice"
OPTIONAL_KEY = "routine_optional"
SESSION_KEY = "routine_session"  # the RecordingSession the camera feeds
CONTROLLER_KEY = "routine_controller"
META_KEY = "routine_meta"  # (routine id, routine name, safety lines)
HISTORY_KEY = "routine_history_id"  # history session the routine's sets go into
SAVED_KEY = "routine_saved"  # how many of controller.filed were handled
PROBLEM_KEY = "routine_save_problem"
RETRY_KEY = "routine_save_retry"  # store.RetryGate: when an unsaved set is tried again
STREAM_KEY = "routine_stream"
SPEECH_KEY = "routine_speech"  # RoutineSpeech: what the voice said in this routine
MUTE_KEY = "routine_mute"
HEARD_KEY = "routine_heard"  # (rep_seq, hold_seq) already beeped for (see ui/beeps.py)
BEEP_KEY = "routine_beep"  # the hidden container of the beep
DEFAULT_ROUTINE = "psoas_guide"
REFRESH_S = 0.5
PRO_NOTE = "If you have an injury, or pain that does not settle, see a physiotherapist or doctor before you start."


def render() -> None:
    st.html(f"<style>{beeps.hidden_css(BEEP_KEY)}</style>")
    st.title("Guided routine")
    catalog = widgets.load_catalog(analysis.exercises_dir())
    routines = _load(analysis.exercises_dir() / "routines", catalog.exercises)
    ctrl: RoutineController | None = st.session_state.get(CONTROLLER_KEY)
    if ctrl is None:
        if routines:
            _setup(routines, catalog.exercises)
        return
    if ctrl.finished:
        _summary(ctrl)
        return
    video_col, panel_col = st.columns([3, 2], gap="large")
    with video_col:
        playing = False
        with widgets.friendly_errors("starting the camera"):
            playing = webcam.streamer(STREAM_KEY, ctrl.session)
        if not playing:
            st.caption(":material/info: Press **START** and allow the camera, then step back until your whole body "
                       "is in the picture. The routine moves on by itself when a set is done.")
        _safety_footer()
    with panel_col:
        _panel()


def _load(folder: Path, exercises: Mapping[str, Exercise]) -> dict[str, Routine]:
    try:
        routines, errors = load_routines(exercises, folder)
    except Exception as exc:  # an unreadable folder: a message, not a traceback
        routines, errors = {}, [widgets.error_message(exc, "reading the routine files")]
    if errors:
        with st.expander(f"{len(errors)} routine file(s) could not be loaded and are skipped",
                         icon=":material/warning:"):
            st.warning(widgets.bullets(errors))
    if not routines:
        st.error(f"No routine could be loaded from {widgets.plain(folder)}. A routine is a TOML file there; see "
                 "psoas_guide.toml for the format, or run: posecheck exercises --template routine",
                 icon=":material/error:")
    return routines


# --- before the start ---------------------------------------------------------------------------------


def _setup(routines: dict[str, Routine], exercises: Mapping[str, Exercise]) -> None:
    st.caption("Follow a routine with your camera: posecheck shows what is next, counts and times each set, says "
               "when to switch sides, rests you between sets and keeps a record in your history.")
    ids = sorted(routines, key=lambda i: (i != DEFAULT_ROUTINE, routines[i].name.lower()))
    if st.session_state.get(ROUTINE_KEY) not in ids:
        st.session_state[ROUTINE_KEY] = ids[0]
    left, right = st.columns([3, 2], gap="large")
    with left, st.container(border=True):
        rid = st.selectbox("Routine", ids, key=ROUTINE_KEY, format_func=lambda i: routines[i].name)
        routine = routines[rid]
        optional = st.toggle("Include optional moves", key=OPTIONAL_KEY,
                             help="Add the routine's optional exercises (marked optional in its file)")
        if routine.description:
            st.markdown(widgets.plain(routine.description))
        lo, hi = routine.sessions_per_week
        st.caption(f"Goal: {lo}-{hi} sessions a week. Your own routines: add a TOML file to "
                   f"`{analysis.exercises_dir() / 'routines'}`.")
        plans = expand(routine, exercises, optional)
        st.dataframe([_plan_row(i, p) for i, p in enumerate(plans, 1)], hide_index=True, width="stretch")
        # A callback: the controller exists before the next run draws, so the page switches in one go.
        st.button("Start routine", type="primary", icon=":material/play_arrow:", disabled=not plans,
                  width="stretch", on_click=_start, args=(routine, plans))
    with right:
        _safety_box(routine)


def _plan_row(i: int, p: SetPlan) -> dict[str, object]:
    return {"#": i, "Exercise": p.exercise.name, "Side": p.side, "Set": f"{p.set_no} of {p.sets}",
            "Target": target_words(p, with_side=False), "Rest (s)": int(p.rest_s),
            "Optional": "yes" if p.optional else ""}


def _safety_box(routine: Routine) -> None:
    with st.container(border=True):
        st.subheader(":material/health_and_safety: Before you start", anchor=False)
        if routine.warmup:
            st.info(widgets.plain(routine.warmup), icon=":material/directions_walk:")
        lines = list(routine.safety) or ["Ease into every position", "Never bounce in a stretch",
                                         "Stop at once if you feel sharp pain"]
        if not any("professional" in s.lower() or "doctor" in s.lower() for s in lines):
            lines.append(PRO_NOTE)
        st.warning(widgets.bullets(lines), icon=":material/health_and_safety:")


def begin(routine: Routine, plans: list[SetPlan]) -> RoutineController:
    """Start leading `plans`: reuse this browser session's camera engine, start a fresh controller."""
    session: RecordingSession | None = st.session_state.get(SESSION_KEY)
    if session is None:
        session = RecordingSession(plan_exercise(plans[0]), plan_side(plans[0]))
        st.session_state[SESSION_KEY] = session
    ctrl = RoutineController(RoutineRunner(list(plans)), session)
    st.session_state[CONTROLLER_KEY] = ctrl
    st.session_state[META_KEY] = (routine.id, routine.name, tuple(routine.safety))
    st.session_state[HISTORY_KEY] = None
    st.session_state[SAVED_KEY] = 0
    st.session_state[PROBLEM_KEY] = None
    st.session_state[RETRY_KEY] = store.RetryGate()
    st.session_state[SPEECH_KEY] = RoutineSpeech()
    return ctrl


def _start(routine: Routine, plans: list[SetPlan]) -> None:
    """The Start button's callback (a Streamlit callback returns nothing)."""
    begin(routine, plans)


# --- while it runs (a fragment: re-runs on its own and only reads snapshots) --------------------------


@st.fragment(run_every=REFRESH_S)
def _panel() -> None:
    ctrl: RoutineController | None = st.session_state.get(CONTROLLER_KEY)
    if ctrl is None:
        return
    now = time.monotonic()
    in_set = not ctrl.runner.resting(now)  # before the tick: the rep that completes a set still sounds
    ctrl.tick(now)
    save_filed(ctrl)
    if ctrl.finished:
        st.rerun()  # the whole page switches to the summary (which says "routine done")
    run = ctrl.runner
    voice_box = st.container(key="routine_voice_box")  # on top, filled last: the numbers show before they sound
    st.caption(f"{widgets.plain(st.session_state.get(META_KEY, ('', 'Routine'))[1])} · set "
               f"{min(run.index + 1, len(run.plans))} "
               f"of {len(run.plans)}")
    if run.resting(now):
        _rest(ctrl, now)
    else:
        _current(ctrl)
    if problem := st.session_state.get(PROBLEM_KEY):
        st.error(problem, icon=":material/error:")
    _buttons(ctrl, now)
    with voice_box:
        speaking = _speak(ctrl, now)
    _beep(ctrl, speaking or not in_set)


def _beep(ctrl: RoutineController, quiet: bool) -> None:
    """Where no voice speaks, the Live page's beeps: one per counted rep or completed hold of a set (what the
    camera counts during a rest is not the routine's: `quiet` then)."""
    beeps.beep_if_new(ctrl.session.snapshot(), HEARD_KEY, BEEP_KEY,
                      quiet=quiet or bool(st.session_state.get(MUTE_KEY)))


def _speak(ctrl: RoutineController, now: float) -> bool:
    """The routine's voice: the live count, hold countdown and cues, plus set done, what is next and the rests.
    True when a voice speaks in this browser."""
    speech: RoutineSpeech | None = st.session_state.get(SPEECH_KEY)
    if speech is None:
        speech = RoutineSpeech()
        st.session_state[SPEECH_KEY] = speech
    run = ctrl.runner
    resting = run.resting(now)
    nxt = run.current
    speech.plan(ctrl.filed, ctrl.message, run.rest_left(now) if resting else None,
                nxt.title if resting and nxt is not None else None, run.summary() if ctrl.finished else None, now)
    if not resting and nxt is not None:
        hold_words = "and relax" if nxt.exercise.kind == "hold" else "lower slowly"
        speech.planner.plan(ctrl.session.snapshot(), now, hold_words)
    return voice.voice(speech.planner, "routine_voice", now)


def _current(ctrl: RoutineController) -> None:
    plan = ctrl.runner.current
    assert plan is not None
    snap = ctrl.session.snapshot()
    prog = ctrl.session.progress()
    if ctrl.message:  # what just happened ("Skipped: ...", "Again: ..."); a rest's words end with the rest
        st.info(widgets.plain(ctrl.message), icon=":material/swap_horiz:")
    with st.container(border=True):
        st.subheader(f":material/fitness_center: {widgets.plain(plan.title)}", anchor=False)
        st.markdown(f"**Target:** {widgets.plain(target_words(plan))}"
                    + (f" · {widgets.plain(plan.note)}" if plan.note else ""))
        webcam.camera_check(snap)
        cols = st.columns(3)
        if plan.exercise.kind == "hold":
            cols[0].metric("Hold", f"{snap.hold_s or 0.0:.1f} s")
            cols[1].metric("Best hold", f"{prog.hold_s:.1f} s")
            cols[2].metric("Target", f"{plan.hold_s or 0:g} s")
            frac = prog.hold_s / plan.hold_s if plan.hold_s else 0.0
        else:
            cols[0].metric("Reps", f"{prog.reps} / {plan.reps or 0}")
            cols[1].metric("Partial", snap.partial)
            if plan.exercise.kind == "reps_hold":
                cols[2].metric("Hold", f"{snap.hold_s:.1f} s" if snap.hold_s is not None else "-")
            else:
                cols[2].metric("Side", plan.side)
            frac = prog.reps / plan.reps if plan.reps else 0.0
        st.progress(min(1.0, frac), text="Set progress")
        if prog.result is not None and prog.result.missing and plan.exercise.kind == "reps_hold":
            st.caption(f"So far: {widgets.plain(prog.result.missing)}")
        if snap.counting and snap.cue:
            icon = ":material/error:" if snap.cue_severity == "error" else ":material/record_voice_over:"
            st.markdown(f"{icon} **{widgets.plain(snap.cue)}**")
        if snap.error:
            st.error(f"Frame processing failed: {snap.error}", icon=":material/error:")
    st.caption(":material/health_and_safety: " + widgets.safety_text(plan.exercise))
    with st.expander("Camera setup for this exercise", icon=":material/videocam:"):
        widgets.camera_tips(plan_exercise(plan))


def _rest(ctrl: RoutineController, now: float) -> None:
    run = ctrl.runner
    nxt = run.current
    left = run.rest_left(now)
    with st.container(border=True):
        st.subheader(f":material/self_improvement: Rest · {left:.0f} s", anchor=False)
        if (last := run.last) is not None:
            _just_finished(last)
        st.markdown(f"**{widgets.plain(ctrl.message)}**")
        last_rest = run.done_plans[-1].rest_s if run.done_plans else 1.0
        st.progress(min(1.0, max(0.0, 1 - left / last_rest)) if last_rest else 1.0, text="Rest")
        if nxt is not None:
            st.markdown(f"**Up next:** {widgets.plain(nxt.title)} · {widgets.plain(target_words(nxt))}"
                        + (f" · {widgets.plain(nxt.note)}" if nxt.note else ""))
            widgets.camera_tips(plan_exercise(nxt))
            st.caption(":material/health_and_safety: " + widgets.safety_text(nxt.exercise))


def _just_finished(res: SetResult) -> None:
    """How the set just finished went, in one line: done, or short with what was missing."""
    what = f"{res.exercise_name}" + ("" if res.side == "both" else f", {res.side} side")
    counted = res.counts_words()
    if res.status == "done":
        st.success(f"Set done: {widgets.plain(what)} · {widgets.plain(counted)}", icon=":material/check_circle:")
    else:
        st.warning(f"Set {widgets.plain(res.status)}: {widgets.plain(what)} · {widgets.plain(counted)}"
                   + (f" · missing: {widgets.plain(res.missing)}" if res.missing else ""), icon=":material/info:")


def _finish_set(ctrl: RoutineController) -> None:
    ctrl.finish_set(time.monotonic())  # a Streamlit callback returns nothing: the result is dropped, as before


def _buttons(ctrl: RoutineController, now: float) -> None:
    """Callbacks, not `if st.button(...)`: they run before the next draw, so the panel shows the new state."""
    run = ctrl.runner
    c1, c2, c3 = st.columns(3)
    if run.resting(now):
        c1.button("Start now", key="routine_start_now", icon=":material/fast_forward:", width="stretch",
                  help="End the rest and start the next set", on_click=ctrl.end_rest)
    else:
        c1.button("Finish set", key="routine_finish", icon=":material/done:", width="stretch",
                  help="End this set as it is (it is kept, and marked short if its target was not met)",
                  on_click=lambda: _finish_set(ctrl))
    c2.button("Skip set", key="routine_skip", icon=":material/skip_next:", width="stretch",
              help="Skip this set (or, in a rest, the next one); nothing is saved for it",
              on_click=lambda: ctrl.skip(time.monotonic()))
    c3.button("Repeat last set", key="routine_repeat", icon=":material/replay:", width="stretch",
              disabled=not run.done_plans, help="Do the set you just finished again", on_click=ctrl.repeat)
    st.button("End routine now", key="routine_end", icon=":material/stop_circle:",
              help="Stop here; what you did is kept and summed up", on_click=ctrl.end_now)
    st.toggle("Mute beeps", key=MUTE_KEY,
              help="Where the browser has no voice, a short beep sounds for every counted rep and a chime for "
                   "every completed hold, so you need not watch the screen")


def _safety_footer() -> None:
    safety = st.session_state.get(META_KEY, ("", "", ()))[2]
    lines = list(safety) or ["Ease in and never bounce", "Stop at once if you feel sharp pain"]
    st.caption(":material/health_and_safety: **Safety:** " + " · ".join(widgets.plain(s) for s in lines))


# --- saving and the summary ------------------------------------------------------------------------


def save_filed(ctrl: RoutineController) -> None:
    """Save each newly filed set to this routine's history session (one transaction per set).

    A set that fails to save stays first in line and is tried again a few seconds later, with the
    problem shown until it is saved.
    """
    done = st.session_state.get(SAVED_KEY, 0)
    gate: store.RetryGate = st.session_state.setdefault(RETRY_KEY, store.RetryGate())
    now = time.monotonic()
    if done >= len(ctrl.filed) or not gate.due(now):
        return
    meta = st.session_state.get(META_KEY, (None, "", ()))
    for filed in ctrl.filed[done:]:
        problem = _save_one(filed, meta[0])
        if problem is not None:
            gate.failed(now)
            st.session_state[PROBLEM_KEY] = store.unsaved_words(len(ctrl.filed) - done, problem)
            break
        done += 1
    else:
        gate.succeeded()
        st.session_state[PROBLEM_KEY] = None
    st.session_state[SAVED_KEY] = done


def _retry_now() -> None:
    st.session_state[RETRY_KEY] = store.RetryGate()  # the next save_filed tries at once


def _save_one(result: SetResult, routine_id: str | None) -> str | None:
    """Save one filed set; the problem in words, or None when it is saved (or had nothing to save)."""
    if not result.counted:
        return None
    sid, problem = store.save_live_set(result, st.session_state.get(HISTORY_KEY), kind="routine",
                                       routine_id=routine_id)
    if sid is not None:
        st.session_state[HISTORY_KEY] = sid
    return problem


def _summary(ctrl: RoutineController) -> None:
    _beep(ctrl, _speak(ctrl, time.monotonic()))  # the last rep of the last set
    name = st.session_state.get(META_KEY, ("", "Routine"))[1]
    st.subheader(f":material/emoji_events: {widgets.plain(name)}: summary", anchor=False)
    results = ctrl.runner.summary()
    by = {status: [r for r in results if r.status == status] for status in ("done", "short", "ended early",
                                                                             "skipped")}
    cols = st.columns(4)
    cols[0].metric("Sets done", f"{len(by['done'])} of {len(results)}", border=True,
                   help="Sets whose targets were met")
    cols[1].metric("Short or ended early", len(by["short"]) + len(by["ended early"]), border=True)
    cols[2].metric("Skipped", len(by["skipped"]), border=True)
    cols[3].metric("Time in holds", f"{sum(r.time_in_holds_s for r in results):.1f} s", border=True,
                   help="Every hold of every set, added up")
    if results:
        rows = [summary_row(i, r) for i, r in enumerate(results, 1)]
        if not any(r.kind in ("hold", "reps_hold") for r in results):  # no hold in this routine: no hold columns
            rows = [{k: v for k, v in row.items() if "hold" not in k} for row in rows]
        st.dataframe(rows, hide_index=True, width="stretch")
    save_filed(ctrl)  # sets that could not be saved yet are tried again here too
    sid = st.session_state.get(HISTORY_KEY)
    if problem := st.session_state.get(PROBLEM_KEY):
        st.error(problem, icon=":material/error:")
        st.button("Try saving again", icon=":material/refresh:", key="routine_save_again", on_click=_retry_now)
    elif sid is not None:
        st.success(f"Saved to your history (session {sid}). See the History page for your trends.",
                   icon=":material/check_circle:")
    else:
        st.info("Nothing was counted, so nothing was saved to history.", icon=":material/info:")
    st.caption(closing_words(results))
    st.button("Back to routines", icon=":material/arrow_back:", key="routine_again", on_click=_leave)


def summary_row(i: int, r: SetResult) -> dict[str, object]:
    return {"#": i, "Exercise": r.exercise_name, "Side": r.side, "Set": f"{r.number} of {r.of}",
            "Reps": r.reps_total, "Partial": r.partial, "Best hold (s)": r.best_hold_s,
            "Time in holds (s)": r.time_in_holds_s, "Result": r.status,
            "What was missing": r.missing if r.status in ("short", "ended early") else ""}


def _leave() -> None:
    st.session_state[CONTROLLER_KEY] = None


def target_words(p: SetPlan, with_side: bool = True) -> str:
    side = "" if p.side == "both" or not with_side else f" ({p.side})"
    if p.exercise.kind == "hold":
        return f"hold {p.hold_s:g} s{side}"
    per = " per side" if p.exercise.per_side and p.side == "both" else ""
    hold = f", hold {p.hold_s:g} s each" if p.exercise.kind == "reps_hold" and p.hold_s else ""
    return f"{p.reps} reps{per}{hold}{side}"
