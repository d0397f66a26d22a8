"""The speech planner (what the voice says, and when) over live snapshots and routine states: pure, no browser."""

from __future__ import annotations

from dataclasses import replace

import pytest

from posecheck.live import CameraCheck, LiveSnapshot
from posecheck.records import RepRecord, SetResult, SetTargets
from posecheck.speech import CUE_REPEAT_S, KEEP_S, RoutineSpeech, SpeechPlanner, number_words

CHECKED = CameraCheck(True, "ok", "Counting", 1.0)
BASE = LiveSnapshot(
    running=True, exercise_id="squat", check=CHECKED, counting=True, reps_left=0, reps_right=0, reps_total=0,
    partial=0, hold_s=None, hold_target_s=None, phase="rest", cue=None, cue_severity="info", view="side",
    current=None, sets=(), rep_seq=0, hold_seq=0, frames=10, frames_with_pose=10, pose_fps=30.0, pose_ms=5.0,
    frame_size=(640, 480), error=None)


def texts(utterances) -> list[str]:
    return [u.text for u in utterances]


def run(planner: SpeechPlanner, snaps: list[LiveSnapshot], t0: float = 0.0, step: float = 0.5,
        hold_words: str = "lower slowly") -> list[str]:
    said = []
    for i, snap in enumerate(snaps):
        said += texts(planner.plan(snap, t0 + i * step, hold_words))
    return said


def test_counts_each_rep_once_in_order_and_never_replays_the_past():
    p = SpeechPlanner()
    old = replace(BASE, reps_total=4, rep_seq=4)  # the page opened on a set already 4 reps in
    snaps = [old, old, replace(old, reps_total=5, rep_seq=5), replace(old, reps_total=5, rep_seq=5),
             replace(old, reps_total=6, rep_seq=6)]
    assert run(p, snaps) == ["five", "six"]
    ids = [u.id for u in p.recent]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_per_side_says_the_side_that_grew():
    p = SpeechPlanner()
    s0 = replace(BASE, exercise_id="lunge")
    snaps = [s0, replace(s0, reps_left=1, reps_total=1, rep_seq=1), replace(s0, reps_left=1, reps_right=1,
                                                                          reps_total=2, rep_seq=2),
             replace(s0, reps_left=2, reps_right=1, reps_total=3, rep_seq=3)]
    assert run(p, snaps) == ["one", "one", "two"]


def test_hold_is_announced_counted_down_and_ended_once():
    p = SpeechPlanner()
    hold = replace(BASE, exercise_id="glute_bridge", phase="hold", hold_target_s=5.0)
    snaps = [replace(hold, hold_s=None)] + [replace(hold, hold_s=t / 2) for t in range(0, 13)]
    assert run(p, snaps) == ["Hold", "three", "two", "one", "lower slowly"]
    # The next hold starts over.
    again = [replace(hold, hold_s=None), replace(hold, hold_s=0.5), replace(hold, hold_s=4.5),
             replace(hold, hold_s=5.0)]
    assert run(p, again, t0=20.0, hold_words="and relax") == ["Hold", "one", "and relax"]


def test_short_holds_are_not_talked_over():
    p = SpeechPlanner()
    short = replace(BASE, phase="hold", hold_target_s=2.0)
    assert run(p, [replace(short, hold_s=t / 2) for t in range(6)]) == []


def test_one_cue_per_rep_never_the_same_cue_within_a_few_seconds_never_over_a_count():
    p = SpeechPlanner()
    lean = replace(BASE, cue="Keep your chest up", cue_severity="warning", rep_seq=1, reps_total=1)
    # First look: the cue of rep 1 (the count was before the page looked).
    said = run(p, [lean, lean, replace(lean, cue="Squat deeper")])
    assert said == ["Keep your chest up"]  # one cue in this rep, whatever else comes up in it
    # Rep 2 counted in the same refresh as the cue: the count speaks, the cue waits for silence.
    rep2 = replace(lean, rep_seq=2, reps_total=2)
    said = run(p, [rep2], t0=2.0)
    assert said == ["two"]
    # Later in rep 2: the same cue is still within CUE_REPEAT_S of the last time: not again.
    assert run(p, [rep2], t0=4.0) == []
    # After CUE_REPEAT_S, in rep 3, it may come again.
    rep3 = replace(lean, rep_seq=3, reps_total=3)
    assert run(p, [rep3, rep3, rep3], t0=2.0 + CUE_REPEAT_S) == ["three", "Keep your chest up"]


def test_info_cues_and_paused_frames_say_nothing():
    p = SpeechPlanner()
    info = replace(BASE, cue="Nice and slow", cue_severity="info")
    assert run(p, [info, info]) == []


def test_camera_check_lines_are_said_once_and_counting_is_announced():
    p = SpeechPlanner()
    far = replace(BASE, counting=False, check=CameraCheck(False, "too_far", "Come a little closer to the camera", 0))
    still = replace(far, check=CameraCheck(False, "hold_still", "Hold still...", 0.5))
    stopped = replace(far, running=False)  # the page opened before START
    said = run(p, [stopped, far, far, far, still, BASE, BASE, BASE])  # "counting" waits for the voice to finish
    assert said == ["Come a little closer to the camera", "Counting. Go ahead."]


def test_counting_is_announced_before_its_first_count():
    """The check's line was still being spoken when the gate opened and the first rep came at once: "Counting. Go
    ahead." is queued before the count, never said after "one" (nor dropped)."""
    p = SpeechPlanner()
    far = replace(BASE, counting=False, check=CameraCheck(False, "too_far", "Come a little closer to the camera", 0))
    one = replace(BASE, rep_seq=1, reps_total=1)
    stopped = replace(far, running=False)
    said = run(p, [stopped, far, one, *[one] * 8, replace(one, rep_seq=2, reps_total=2)])
    assert said == ["Come a little closer to the camera", "Counting. Go ahead.", "one", "two"]


def test_browser_list_keeps_only_recent_lines():
    p = SpeechPlanner()
    run(p, [BASE, replace(BASE, rep_seq=1, reps_total=1)])
    assert [u["text"] for u in p.browser_list(1.0)] == ["one"]
    assert p.browser_list(1.0 + KEEP_S + 1) == []


def rep(t: float, hold_s: float = 0.0, faults: tuple[str, ...] = ()) -> RepRecord:
    return RepRecord("both", t, t + 2.0, t + 1.0, 60.0, 80.0, hold_s, True, not faults, faults)


def bridge_set(holds: tuple[float, ...], ended: str = "finished", reps: int = 2) -> SetResult:
    """A glute-bridge set of `reps` reps held 5 s each, with the holds it got."""
    done = tuple(rep(4.0 * i, h, () if h >= 5.0 else ("hold_short",)) for i, h in enumerate(holds))
    return SetResult("glute_bridge", "Glute bridge", "reps_hold", reps=done, ended=ended,  # type: ignore[arg-type]
                     targets=SetTargets(reps, 5.0))


DONE, SHORT = bridge_set((5.2, 5.1)), bridge_set((0.3, 0.4))


def test_routine_says_how_each_set_went_the_next_step_the_rest_and_routine_done():
    r = RoutineSpeech()
    said = texts(r.plan([], "", None, None, None, 0.0))
    said += texts(r.plan([DONE], "Switch sides: left side next", 30.0, "Single-leg raise (left)", None, 1.0))
    for t, left in ((2.0, 29.0), (3.0, 3.0), (3.5, 2.5), (4.0, 2.0), (5.0, 1.0), (5.5, 0.5)):
        said += texts(r.plan([DONE], "Switch sides: left side next", left, "Single-leg raise (left)", None, t))
    said += texts(r.plan([DONE, DONE], "", None, None, [DONE, DONE], 9.0))
    assert said[:-1] == ["Set done. Switch sides: left side next", "Rest 30 seconds. Next: Single-leg raise (left).",
                         "three", "two", "one", "Set done."]
    assert said[-1].startswith("Routine done. Well done: every set met its target.")


@pytest.mark.parametrize(("filed", "summary", "set_line", "end_line"), [
    # holds of 0.3 and 0.4 s against "hold 5 s each": short, with what was missing, never "Well done"
    ([SHORT], [SHORT], "Set short: holds 0.3 and 0.4 seconds of 5 seconds.",
     "Routine done. No set reached its target this time"),
    ([bridge_set((5.3,))], [bridge_set((5.3,))], "Set short: 1 of 2 reps.", "Routine done. No set reached"),
    ([DONE, SHORT], [DONE, SHORT], "Set short: holds 0.3 and 0.4 seconds of 5 seconds.",
     "Routine done. Good work: 1 of 2 sets met their targets."),
    # "End routine now" mid-set: the set in progress is filed as ended early, the routine "ended"
    ([DONE, bridge_set((5.1,), "ended early")], [DONE, bridge_set((5.1,), "ended early")], "Set ended early.",
     "Routine ended. Good work: 1 of 2 sets met their targets."),
    ([], [], None, "Routine ended. Nothing was counted this time."),
])
def test_routine_words_fit_what_happened(filed: list[SetResult], summary: list[SetResult], set_line: str | None,
                                         end_line: str):
    r = RoutineSpeech()
    said = texts(r.plan([], "", None, None, None, 0.0)) + texts(r.plan(filed, "", None, None, summary, 1.0))
    said += texts(r.plan(filed, "", None, None, summary, 2.0))  # the summary page plans again: said once
    assert "Well done" not in " ".join(said) or all(s.status == "done" for s in summary)
    if set_line is None:
        assert len(said) == 1
    else:
        assert len(said) == 2 and said[0] == set_line
    assert said[-1].startswith(end_line), said


def test_the_last_set_says_the_routine_is_done_once():
    """The last set's transition is "Routine complete" (routines.transition_message), and the routine's end says
    "Routine done": together they were "Set done. Routine complete", "Routine done. Well done." (doubled)."""
    from posecheck.exercises import load_all
    from posecheck.routines import RoutineRunner, expand, parse_routine, plan_result

    catalog = load_all().exercises
    routine = parse_routine({"id": "t", "name": "T", "steps": [{"exercise": "squat", "sets": 2, "reps": 2,
                                                                 "rest_s": 5}]}, "t.toml", catalog)
    run = RoutineRunner(expand(routine, catalog))
    r = RoutineSpeech()
    filed: list[SetResult] = []
    said: list[str] = []
    for t in (0.0, 20.0):  # each set ends as RoutineController.finish_set ends it: the message first
        message = run.transition_message()
        assert run.current is not None
        done = replace(plan_result(run.current, ended="finished"), reps=(rep(t), rep(t + 3)))
        run.complete(done, t)
        filed.append(done)
        said += texts(r.plan(filed, message, run.rest_left(t) if run.resting(t) else None,
                             run.current.title if run.current else None, run.summary() if run.finished else None,
                             t))
        run.end_rest()
    said += texts(r.plan(filed, message, None, None, run.summary(), 21.0))  # the summary page plans again
    assert message == "Routine complete" and run.finished
    assert said[:3] == ["Set done. Rest, then set 2 of 2", "Rest 5 seconds. Next: Squat (set 2 of 2).",
                        "Set done."]
    assert len(said) == 4 and said[3].startswith("Routine done. Well done")


def test_number_words():
    assert [number_words(n) for n in (1, 3, 12, 20, 21)] == ["one", "three", "twelve", "twenty", "21"]
