"""Routines: the shipped guide routine loads; the runner leads through sets, sides, rests, skips, repeats."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from posecheck.engine import Tracker
from posecheck.exercises import DefinitionError, load_all
from posecheck.kinematics import SIGNALS, Kinematics
from posecheck.routines import RoutineRunner, expand, load_routines, parse_routine, set_progress

sys.path.insert(0, str(Path(__file__).parent))
from test_engine import FPS, kin, leg_raise_frames  # noqa: E402

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
    run.complete(2, 0, 5.1, now_s=100.0)
    assert run.resting(105.0) and run.rest_left(105.0) == pytest.approx(5.0)
    assert not run.resting(110.5)
    assert run.current.side == "right"
    run.repeat()  # do the left set again
    assert run.current.side == "left"
    run.skip(111.0)
    assert run.current.side == "right"
    run.complete(2, 1, 5.0, now_s=200.0)
    assert run.transition_message() == "Routine complete"
    run.complete(3, 0, 0.0, now_s=300.0)
    assert run.finished
    summary = run.summary()
    assert [(s.plan.exercise.id, s.plan.side, s.skipped) for s in summary] == [
        ("single_leg_raise", "left", False), ("single_leg_raise", "left", True),
        ("single_leg_raise", "right", False), ("squat", "both", False)]


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
