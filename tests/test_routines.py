"""Routines: the shipped guide routine loads; the runner leads through sets, sides, rests, skips, repeats."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from posecheck.engine import Tracker
from posecheck.exercises import DefinitionError, load_all
from posecheck.kinematics import SIGNALS, Kinematics
from posecheck.routines import RoutineRunner, expand, load_routines, parse_routine, plan_result, set_progress

sys.path.insert(0, str(Path(__file__).parent))
from test_engine import FPS, kin, leg_raise_frames

CATALOG = load_all().exercises


def test_guide_routine_loads_and_expands():
    routines, errors = load_routines(CATALOG)
    assert errors == []
    guide = routines["psoas_guide"]
    assert guide.warmup and any("bounce" in s for s in guide.safety)
    plans = expand(guide, CATALOG)
    ids = [p.exercise.id for p in plans]
    assert ids.count("kneeling_hip_flexor_stretch") == 6  # 30 s x 3 per leg
    assert [p.side for p in plans if p.exercise.id == "single_leg_raise"] == ["left", "right"]
    assert all(p.reps == 20 for p in plans if p.exercise.id == "single_leg_raise")
    assert "warrior_1" not in ids and "warrior_1" in [p.exercise.id for p in expand(guide, CATALOG, True)]


@pytest.mark.parametrize(("step", "message"), [
    ({"exercise": "moonwalk"}, "unknown exercise 'moonwalk'"),
    ({"exercise": "squat", "sets": 0}, "'steps\\[0\\].sets'"),
    ({"exercise": "squat", "sides": ["up"]}, "'steps\\[0\\].sides'"),
])
def test_bad_routine_files_name_the_field(step, message):
    with pytest.raises(DefinitionError, match=f"mine.toml.*{message}"):
        parse_routine({"id": "mine", "name": "Mine", "steps": [step]}, "mine.toml", CATALOG)


def test_runner_sides_rest_skip_repeat_and_summary():
    r = parse_routine({"id": "t", "name": "T", "steps": [
        {"exercise": "single_leg_raise", "sides": ["left", "right"], "reps": 2, "rest_s": 10},
        {"exercise": "squat", "reps": 3, "rest_s": 5}]}, "t.toml", CATALOG)
    run = RoutineRunner(expand(r, CATALOG))
    assert run.current.title == "Single-leg raise, left side (set 1 of 1)"
    assert run.transition_message() == "Switch sides: right side next"

    # Drive the left set with real tracker input until the runner says the set is done.
    tracker = Tracker(run.current.exercise, run.current.side)
    done_at = None
    for i, a in enumerate(leg_raise_frames("left", 3, 5.2)):
        tracker.update(kin(i / FPS, **a))
        reps, _, done = set_progress(run.current, tracker)
        if done and done_at is None:
            done_at = reps
    assert done_at == 2
    run.complete(plan_result(run.current, tracker, ended="finished"), now_s=100.0)
    assert run.resting(105.0) and run.rest_left(105.0) == pytest.approx(5.0)
    assert not run.resting(110.5)
    assert run.current.side == "right"
    run.repeat()  # do the left set again
    assert run.current.side == "left"
    run.skip(111.0)
    assert run.current.side == "right"
    run.complete(plan_result(run.current, ended="finished"), now_s=200.0)  # nothing counted: short
    assert run.transition_message() == "Routine complete"
    run.complete(plan_result(run.current, ended="finished"), now_s=300.0)
    assert run.finished
    summary = run.summary()
    assert [(s.exercise_id, s.side, s.status, s.missing) for s in summary] == [
        ("single_leg_raise", "left", "done", ""), ("single_leg_raise", "left", "skipped", "0 of 2 reps"),
        ("single_leg_raise", "right", "short", "0 of 2 reps"), ("squat", "both", "short", "0 of 3 reps")]
    assert summary[0].reps_left == 3 and summary[0].best_hold_s >= 5.0  # all 3 reps fed were counted


def test_hold_set_done_when_the_hold_reaches_its_target():
    r = parse_routine({"id": "t", "name": "T", "steps": [
        {"exercise": "standing_pelvic_tilt", "hold_s": 3}]}, "t.toml", CATALOG)
    plan = expand(r, CATALOG)[0]
    tracker = Tracker(plan.exercise)
    stand = {n: v for n, v in zip(SIGNALS, (178, 178, 178, 178, 3, -88, -88), strict=True)}
    done = False
    for i in range(round(4.5 * FPS)):
        tracker.update(Kinematics(i / FPS, True, stand, {n: True for n in SIGNALS}, "side"))
        done = done or set_progress(plan, tracker)[2]
    assert done and set_progress(plan, tracker)[1] >= 3.0


# --- the strict reader for routine files ------------------------------------------------------------------

GUIDE = Path(__file__).resolve().parent.parent / "exercises" / "routines" / "psoas_guide.toml"


def _routine(**top) -> dict:
    return {"id": "mine", "name": "Mine", "steps": [{"exercise": "squat", "reps": 5}], **top}


def test_a_single_safety_string_is_one_line_not_characters():
    r = parse_routine(_routine(safety="Never bounce"), "mine.toml", CATALOG)
    assert r.safety == ("Never bounce",)  # it was ('N', 'e', 'v', ...)


@pytest.mark.parametrize(("routine", "message"), [
    (_routine(saftey=["x"]), "unknown key 'saftey'; did you mean 'safety'?"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "rest": 10}]), "unknown key 'steps\\[0\\].rest'; did you mean "
                                                                     "'rest_s'?"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "warmup": "x"}]),
     "unknown key 'steps\\[0\\].warmup'; 'warmup' belongs in the top level"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "sets": "3"}]), "field 'steps\\[0\\].sets' must be a whole"),
    (_routine(steps=[{"exercise": "squat", "reps": 0}]), "field 'steps\\[0\\].reps' must be a whole number >= 1"),
    (_routine(steps=[{"exercise": "squat", "reps": -4}]), "field 'steps\\[0\\].reps' must be a whole number >= 1"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "sets": 10**40}]), "field 'steps\\[0\\].sets' must be"),
    (_routine(steps=[{"exercise": "standing_pelvic_tilt", "hold_s": 0}]), "field 'steps\\[0\\].hold_s' must be a "
                                                                          "number > 0"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "rest_s": -1}]), "field 'steps\\[0\\].rest_s' must be"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "optional": "yes"}]),
     "field 'steps\\[0\\].optional' must be true"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "note": 5}]),
     "field 'steps\\[0\\].note' must be a non-empty string"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "sides": ["left"]}]),
     "field 'steps\\[0\\].sides': squat works both sides together"),
    (_routine(steps=[{"exercise": "squat", "reps": 5, "hold_s": 5}]), "field 'steps\\[0\\].hold_s': squat \\(reps\\) "
                                                                      "times no holds"),
    (_routine(steps=[{"exercise": "standing_pelvic_tilt", "reps": 5}]), "field 'steps\\[0\\].reps': "
                                                                        "standing_pelvic_tilt is a hold"),
    (_routine(steps=[{"exercise": "squatt", "reps": 5}]),
     "field 'steps\\[0\\].exercise' names unknown exercise 'squatt'; did you mean 'squat'?"),
    (_routine(steps=[]), "field 'steps' is empty"),
    (_routine(steps="squat"), "field 'steps' must be a list of tables"),
    (_routine(steps=["squat"]), "field 'steps\\[0\\]' must be a table"),
    (_routine(sessions_per_week=[5, 3]), "field 'sessions_per_week' must be \\[low, high\\]"),
    (_routine(sessions_per_week=3), "field 'sessions_per_week' must be \\[low, high\\]"),
    (_routine(safety=[1, 2]), "field 'safety' must be a string or a list of strings"),
    (_routine(id="My Routine"), "field 'id' must be lower_snake_case"),
])
def test_bad_routine_keys_and_values_name_file_and_field(routine, message):
    with pytest.raises(DefinitionError, match=f"mine.toml: {message}"):
        parse_routine(routine, "mine.toml", CATALOG)


def test_routine_files_load_safely_from_a_folder(tmp_path):
    import os
    import shutil
    import threading

    shutil.copy(GUIDE, tmp_path)
    shutil.copy(GUIDE, tmp_path / "copy.toml")  # a second psoas_guide: neither wins
    (tmp_path / "digits.toml").write_text('id = "d"\nname = "D"\nsessions_per_week = [' + "1" * 5001 + ", 9]\n")
    (tmp_path / "mine.toml").write_text('id = "mine"\nname = "Mine"\nsafety = "Never bounce"\n'
                                        '[[steps]]\nexercise = "squat"\nreps = 5\n')
    os.mkfifo(tmp_path / "pipe.toml")  # opening it would block forever: the loader must not
    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("out", load_routines(CATALOG, tmp_path)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "load_routines is blocked (on the FIFO?)"
    routines, errors = box["out"]
    assert set(routines) == {"mine"} and routines["mine"].safety == ("Never bounce",)
    assert sorted(e.split(":")[0] for e in errors) == ["copy.toml and psoas_guide.toml", "digits.toml", "pipe.toml"]
    assert any("both define the routine id 'psoas_guide'" in e for e in errors)


def test_the_routine_template_lists_every_key_and_loads(tmp_path):
    from posecheck.routines import ROUTINE_TABLES, routine_template

    text = routine_template()
    for table in ROUTINE_TABLES:
        for key in table.keys:
            if key.type != "tables":
                assert f"{key.name} = " in text, key.name
    (tmp_path / "my_routine.toml").write_text(text)
    routines, errors = load_routines(CATALOG, tmp_path)
    assert errors == [] and [s.exercise_id for s in routines["my_routine"].steps] == ["squat"]
