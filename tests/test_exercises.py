"""Exercise definitions: every shipped file loads; malformed files fail with the file and field named."""

import shutil
from pathlib import Path

import pytest

from posecheck.exercises import EXERCISES_DIR, DefinitionError, get_exercise, load_all, load_exercise, parse_condition

EXPECTED_IDS = {
    "kneeling_hip_flexor_stretch", "lying_psoas_stretch", "standing_pelvic_tilt", "glute_bridge", "knee_to_chest",
    "single_leg_raise", "psoas_march", "low_lunge", "warrior_1", "roll_up", "leg_circles", "squat", "lunge",
}

GOOD = """
id = "demo"
name = "Demo"
kind = "reps"
views = ["side"]
sides = "both"
[targets]
reps_total = 5
[motion]
signal = "knee"
direction = "down"
rest = 150
target = 100
"""


def test_all_shipped_definitions_load():
    cat = load_all()
    assert cat.errors == ()
    assert set(cat.exercises) == EXPECTED_IDS
    for ex in cat.exercises.values():
        assert ex.tips, f"{ex.id} has no camera tips"
        assert ex.safety, f"{ex.id} has no safety notes"


@pytest.mark.parametrize(
    ("text", "values", "side", "expected"),
    [
        ("{side}_knee >= 150", {"left_knee": 160}, "left", True),
        ("{side}_knee >= 150", {"left_knee": 140}, "left", False),
        ("{other}_knee < 90", {"right_knee": 80}, "left", True),
        ("knee in [80, 100]", {"knee": 100}, "both", True),
        ("knee in [80, 100]", {"knee": 100.5}, "both", False),
        ("{side}_thigh_incline - {other}_thigh_incline >= -8", {"left_thigh_incline": 40, "right_thigh_incline": 45},
         "left", True),
        ("{side}_knee >= 150", {}, "left", None),  # unknown, not a fault
    ],
)
def test_condition_language(text, values, side, expected):
    assert parse_condition(text, "t").evaluate(values, side) is expected


def _write(folder: Path, name: str, text: str) -> Path:
    p = folder / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda t: t.replace('name = "Demo"\n', ""), "field 'name' is missing"),
        (lambda t: t.replace('signal = "knee"', 'signal = "elbow"'), "field 'motion.signal'.*unknown signal 'elbow'"),
        (lambda t: t.replace("target = 100", "target = 170"), "field 'motion.target'.*inverted"),
        (lambda t: t.replace('kind = "reps"', 'kind = "dance"'), "field 'kind' must be one of"),
        (lambda t: t.replace("reps_total = 5", "reps_total = -2"), "field 'targets.reps_total'"),
        (lambda t: t + '[[checks]]\ncode = "x"\nrequire = "knee in [120, 90]"\ncue = "c"\n',
         "field 'checks\\[0\\].require'.*inverted"),
        (lambda t: t + '[[checks]]\ncode = "x"\nrequire = "knee >> 3"\ncue = "c"\n', "field 'checks\\[0\\].require'"),
        (lambda t: t.replace("[targets]", "[targets"), "not valid TOML"),
    ],
)
def test_malformed_definitions_name_file_and_field(tmp_path, mutation, message):
    path = _write(tmp_path, "demo.toml", mutation(GOOD))
    with pytest.raises(DefinitionError, match=f"demo.toml.*{message}"):
        load_exercise(path)


def test_one_bad_file_does_not_stop_the_others(tmp_path):
    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path)
    _write(tmp_path, "broken.toml", GOOD.replace("rest = 150", "rest = oops"))
    _write(tmp_path, "demo.toml", GOOD)
    cat = load_all(tmp_path)
    assert set(cat.exercises) == {"squat", "demo"}
    assert len(cat.errors) == 1 and cat.errors[0].startswith("broken.toml")


def test_user_adds_an_exercise_by_writing_one_file(tmp_path):
    _write(tmp_path, "demo.toml", GOOD)
    assert get_exercise("demo", tmp_path).motion.target == 100


def test_unknown_exercise_lists_the_known_ones():
    with pytest.raises(Exception, match="unknown exercise 'nope'.*squat"):
        get_exercise("nope")


def test_hold_stillness_defaults_and_per_exercise_value(tmp_path):
    p = tmp_path / "demo.toml"
    p.write_text(GOOD)
    assert load_exercise(p).motion.hold_still_deg_s == 25.0
    p.write_text(GOOD + "hold_still_deg_s = 12\n")
    assert load_exercise(p).motion.hold_still_deg_s == 12.0
    assert get_exercise("single_leg_raise").motion.hold_still_deg_s == 10.0  # lifted and lowered slowly


def test_conditions_return_plain_bools():
    import numpy as np

    cond = parse_condition("{side}_knee <= 150", "test")
    assert cond.evaluate({"left_knee": np.float64(175.0)}, "left") is False
    assert cond.evaluate({"left_knee": np.float64(140.0)}, "left") is True
