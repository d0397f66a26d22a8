"""Exercise definitions: every shipped file loads; malformed files fail with the file and field named."""

import re
import shutil
from pathlib import Path

import pytest

from posecheck.errors import PosecheckError
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


# --- the strict reader: unknown keys, wrong types, impossible values ---------------------------------

HOLD_GOOD = """
id = "stretch"
name = "Stretch"
kind = "hold"
views = ["side"]
sides = "per_side"
[targets]
hold_s = 20
[hold]
position = ["{side}_knee in [60, 125]"]
"""

CHECK = ('\n[[checks]]\ncode = "chest"\nwhen = "target"\nrequire = "trunk_incline <= 40"\ncue = "Chest up"\n'
         'severity = "warning"\n')


def _load_text(tmp_path: Path, text: str, name: str = "demo.toml"):
    return load_exercise(_write(tmp_path, name, text))


@pytest.mark.parametrize(("text", "message"), [
    # A typo in a key is refused with the table path and the nearest real key (it used to load with the default).
    (GOOD + "hysterisis_deg = 30\n", "demo.toml: unknown key 'motion.hysterisis_deg'; did you mean 'hysteresis_deg'?"),
    (GOOD + CHECK + 'sevrity = "error"\n', "unknown key 'checks\\[0\\].sevrity'; did you mean 'severity'?"),
    (GOOD.replace("[motion]", "[motoin]"), "unknown key 'motoin'; did you mean 'motion'?"),
    (GOOD.replace("sides =", "side ="), "unknown key 'side'; did you mean 'sides'?"),
    # A top-level key written after a [table] header lands in that table: say where it belongs.
    (GOOD + 'safety = ["Stop if it hurts"]\n', "unknown key 'motion.safety'; 'safety' belongs in the top level"),
    (GOOD.replace("reps_total = 5", "reps_total = 5\nhold_still_deg_s = 9"),
     "unknown key 'targets.hold_still_deg_s'; 'hold_still_deg_s' belongs in \\[motion\\]"),
    (GOOD + "flux_capacitor = 1\n", "unknown key 'motion.flux_capacitor' \\(keys in \\[motion\\]: signal, "),
])
def test_unknown_keys_fail_with_the_table_path_and_a_suggestion(tmp_path, text, message):
    with pytest.raises(DefinitionError, match=message):
        _load_text(tmp_path, text)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('severity = "warning"', 'severity = "eror"', "'checks\\[0\\].severity' must be one of .*did you mean \"error\""),
    ("rest = 150", 'rest = "150"', "'motion.rest' must be a number, not '150'"),
    ("rest = 150", "rest = true", "'motion.rest' must be a number, not true"),
    ("reps_total = 5", 'reps_total = 5.5', "'targets.reps_total' must be a whole number"),
    ('name = "Demo"', "name = 3", "'name' must be a non-empty string, not 3"),
    ('name = "Demo"', 'name = ""', "'name' must be a non-empty string"),
    ('views = ["side"]', 'views = ["sideways"]', "'views' must be a list of .*did you mean \"side\""),
    ('views = ["side"]', "views = []", "'views' must be a list of"),
    ('views = ["side"]', 'views = ["side"]\ntips = 3', "'tips' must be a string or a list of strings, not 3"),
    ('views = ["side"]', 'views = ["side"]\ntips = ["ok", 4]', "'tips' must be a string or a list of strings"),
    ("[targets]\nreps_total = 5\n", "targets = 5\n", "'targets' must be a table \\(\\[targets\\]\\), not 5"),
    ('id = "demo"', 'id = "Demo Exercise"', "'id' must be lower_snake_case"),
    ('cue = "Chest up"', "cue = []", "'checks\\[0\\].cue' must be a non-empty string"),
    ('when = "target"', 'when = "top"', "'checks\\[0\\].when' must be one of"),
])
def test_wrong_types_name_file_and_field(tmp_path, old, new, message):
    text = GOOD + CHECK
    assert old in text
    with pytest.raises(DefinitionError, match=f"demo.toml: field {message}"):
        _load_text(tmp_path, text.replace(old, new, 1))


def test_checks_must_be_an_array_of_tables(tmp_path):
    with pytest.raises(DefinitionError, match="demo.toml: field 'checks' must be a list of tables"):
        _load_text(tmp_path, GOOD.replace('sides = "both"', 'sides = "both"\nchecks = "knee >= 100"'))


def test_a_single_string_list_is_one_string_not_characters(tmp_path):
    ex = _load_text(tmp_path, GOOD.replace('sides = "both"', 'sides = "both"\nsafety = "Never bounce"\n'
                                           'tips = "Side-on"'))
    assert ex.safety == ("Never bounce",) and ex.tips == ("Side-on",)


@pytest.mark.parametrize(("old", "new", "field"), [
    # Issue 13: a negative hysteresis loaded and then counted nothing.
    ("target = 100", "target = 100\nhysteresis_deg = -5", "motion.hysteresis_deg"),
    ("target = 100", "target = 100\nhysteresis_deg = 0", "motion.hysteresis_deg"),
    ("target = 100", "target = 100\nmin_rep_s = -1", "motion.min_rep_s"),
    ("target = 100", "target = 100\nhold_still_deg_s = 0", "motion.hold_still_deg_s"),
    ("reps_total = 5", "reps_total = 0", "targets.reps_total"),
    ("reps_total = 5", "reps_total = 5\nsets = 0", "targets.sets"),
    ("reps_total = 5", "reps_total = 5\nrest_between_sets_s = -3", "targets.rest_between_sets_s"),
    ("reps_total = 5", "reps_total = " + "9" * 400, "targets.reps_total"),  # parses, but is no count
    ("rest = 150", "rest = 1e400", "motion.rest"),  # TOML reads it as inf
    ("rest = 150", "rest = nan", "motion.rest"),
])
def test_numbers_out_of_range_are_refused(tmp_path, old, new, field):
    with pytest.raises(DefinitionError, match=f"demo.toml: field '{field}' must be"):
        _load_text(tmp_path, GOOD.replace(old, new))


@pytest.mark.parametrize(("old", "new", "field"), [
    ("grace_s", "bounce_amp_deg = 0", "hold.bounce_amp_deg"),
    ("grace_s", "bounce_count = 0", "hold.bounce_count"),
    ("grace_s", "enter_s = -0.5", "hold.enter_s"),
    ("grace_s", "grace_s = -1", "hold.grace_s"),
    ("hold_s = 20", "hold_s = 0", "targets.hold_s"),
])
def test_hold_numbers_out_of_range_are_refused(tmp_path, old, new, field):
    text = HOLD_GOOD + (new + "\n" if old == "grace_s" else "")
    if old != "grace_s":
        text = text.replace(old, new)
    with pytest.raises(DefinitionError, match=f"demo.toml: field '{field}' must be"):
        _load_text(tmp_path, text)


# --- cross-field checks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    # {side}/{other} in a both-sides exercise could never be true (it resolved to "both_knee").
    (GOOD + CHECK.replace("trunk_incline <= 40", "{side}_knee >= 120"),
     "field 'checks\\[0\\].require' uses {side}/{other}.*sides = \"both\""),
    (GOOD.replace('signal = "knee"', 'signal = "{side}_knee"'), "field 'motion.signal' uses {side}/{other}"),
    (GOOD.replace("target = 100", 'target = 100\nrequire = ["{other}_knee >= 90"]'),
     "field 'motion.require' uses {side}/{other}"),
    (HOLD_GOOD.replace('"per_side"', '"both"'), "field 'hold.position' uses {side}/{other}"),
    # A check in a phase the kind never enters could never run.
    (GOOD + CHECK.replace('when = "target"', 'when = "hold"'),
     "field 'checks\\[0\\].when': kind 'reps' has no 'hold' phase.*any, rest, moving, target"),
    (HOLD_GOOD + CHECK, "field 'checks\\[0\\].when': kind 'hold' has no 'target' phase.*any, hold"),
    # Tables and targets the kind never reads.
    (GOOD + "[hold]\nposition = \"knee >= 100\"\n", "field 'hold': a \\[hold\\] table is only read for kind 'hold'"),
    (HOLD_GOOD + "[motion]\nsignal = \"knee\"\n", "field 'motion': a \\[motion\\] table is only read for kind 'reps'"),
    (HOLD_GOOD.replace("[hold]", "[holds]"), "unknown key 'holds'; did you mean 'hold'?"),
    (HOLD_GOOD.replace('kind = "hold"', 'kind = "circles"').replace("hold_s = 20", "reps_per_side = 5"),
     "field 'hold': a \\[hold\\] table is only read for kind 'hold'"),
    (GOOD.replace("reps_total = 5", "reps_total = 5\nhold_s = 5"), "field 'targets.hold_s': kind 'reps' times no"),
    (GOOD.replace("reps_total = 5", "reps_per_side = 5"), "field 'targets.reps_per_side': sides = \"both\""),
    (HOLD_GOOD.replace("hold_s = 20", "hold_s = 20\nhold_max_s = 10"), "field 'targets.hold_max_s' must be at least"),
    (HOLD_GOOD.replace("hold_s = 20", "hold_s = 20\nreps_per_side = 3"),
     "field 'targets.reps_per_side': kind 'hold' counts no reps"),
    (GOOD + CHECK + CHECK, "two checks have the code 'chest'"),
])
def test_cross_field_checks(tmp_path, text, message):
    with pytest.raises(DefinitionError, match=f"demo.toml: {message}"):
        _load_text(tmp_path, text)


def test_side_placeholders_load_where_there_is_a_working_side(tmp_path):
    ex = _load_text(tmp_path, HOLD_GOOD + CHECK.replace('"target"', '"hold"').replace("trunk_incline", "{side}_knee"))
    assert ex.checks[0].when == "hold" and ex.sides == "per_side"


# --- the folder loader: one bad file is one error line, never a crash or a hang -------------------------


def test_huge_numbers_and_deep_nesting_are_one_files_error(tmp_path):
    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path)
    _write(tmp_path, "digits.toml", GOOD.replace("rest = 150", "rest = " + "1" * 5001))  # ValueError in tomllib
    _write(tmp_path, "nested.toml", GOOD + "deep = " + "[" * 5000 + "]" * 5000 + "\n")  # RecursionError
    cat = load_all(tmp_path)
    assert set(cat.exercises) == {"squat"}
    assert sorted(e.split(":")[0] for e in cat.errors) == ["digits.toml", "nested.toml"]
    assert any("too many digits" in e for e in cat.errors) and any("nested too deeply" in e for e in cat.errors)
    with pytest.raises(DefinitionError, match="digits.toml: not valid TOML"):
        get_exercise("digits", tmp_path)  # the file's own name, as its id cannot be read
    with pytest.raises(PosecheckError, match="unknown exercise 'demo'; known: squat; not loaded: digits.toml, "
                                             "nested.toml"):
        get_exercise("demo", tmp_path)


def _load_all_within(folder: Path, seconds: float):
    import threading

    box = {}
    worker = threading.Thread(target=lambda: box.setdefault("cat", load_all(folder)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"load_all({folder}) still running after {seconds} s (blocked on a FIFO?)"
    return box["cat"]


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_or_folder_named_toml_is_skipped_not_opened(tmp_path):
    import os

    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path)
    os.mkfifo(tmp_path / "pipe.toml")  # opening it would block until a writer comes: forever
    (tmp_path / "folder.toml").mkdir()
    cat = _load_all_within(tmp_path, 10)
    assert set(cat.exercises) == {"squat"}
    assert any(e.startswith("pipe.toml: not a regular file (a FIFO)") for e in cat.errors), cat.errors
    assert any(e.startswith("folder.toml: not a regular file (a folder)") for e in cat.errors), cat.errors


def test_an_oversized_file_is_refused_unread(tmp_path):
    _write(tmp_path, "demo.toml", GOOD + "# " + "x" * 300_000 + "\n")
    with pytest.raises(DefinitionError, match="demo.toml: too large"):
        load_exercise(tmp_path / "demo.toml")


def test_duplicate_ids_name_both_files_and_neither_wins(tmp_path):
    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path)
    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path / "my_squat.toml")
    _write(tmp_path, "demo.toml", GOOD)
    cat = load_all(tmp_path)
    assert set(cat.exercises) == {"demo"}
    assert cat.errors == ("my_squat.toml and squat.toml: both define the exercise id 'squat', so neither is "
                          "loaded; give each file its own id",)
    with pytest.raises(DefinitionError, match="my_squat.toml and squat.toml: both define"):
        get_exercise("squat", tmp_path)


def test_a_missing_or_empty_folder_says_so_with_its_path(tmp_path):
    missing = tmp_path / "nope"
    assert load_all(missing).errors == (f"the folder {missing} does not exist",)
    with pytest.raises(PosecheckError, match=f"cannot load exercise 'squat': the folder {missing} does not exist"):
        get_exercise("squat", missing)
    (tmp_path / "notes.txt").write_text("not a definition")
    assert load_all(tmp_path).errors == (f"the folder {tmp_path} holds no exercise definitions (*.toml files)",)
    with pytest.raises(PosecheckError, match="holds no exercise definitions"):
        get_exercise("squat", tmp_path)


def test_hidden_files_are_not_definitions(tmp_path):
    _write(tmp_path, "demo.toml", GOOD)
    (tmp_path / ".#demo.toml").symlink_to(tmp_path / "gone")  # an editor's lock file: a dangling link
    cat = load_all(tmp_path)
    assert set(cat.exercises) == {"demo"} and cat.errors == ()


# --- every key documented once: the template --------------------------------------------------------------


def test_the_template_lists_every_key_with_its_doc_and_loads(tmp_path):
    from posecheck.exercises import EXERCISE_TABLES, exercise_template
    from posecheck.rulefiles import key_doc

    text = exercise_template()
    assert "= None" not in text
    flat = " ".join(line.lstrip("#").strip() for line in text.splitlines())
    for table in EXERCISE_TABLES:
        if table.name:
            assert f"[[{table.name}]]" in text if table.array else f"[{table.name}]" in text
        for key in table.keys:
            if key.type not in ("table", "tables"):
                assert re.search(rf"^(# )?{key.name} = ", text, re.M), key.name
                assert key_doc(key) in flat, key.name
    ex = _load_text(tmp_path, text, "my_exercise.toml")
    assert ex.id == "my_exercise" and ex.kind == "reps_hold" and ex.checks and ex.motion is not None
    assert load_all(tmp_path).errors == ()
    # The commented-out [hold] and [circles] tables load too once uncommented (with their own kind).
    hold_part = text[text.index("\n# [hold]\n"):text.index("\n# [circles]\n")]
    hold_text = HOLD_GOOD.split("[hold]")[0] + "\n".join(
        line[2:] for line in hold_part.splitlines() if line.startswith("# ") and not line.startswith("## "))
    assert _load_text(tmp_path, hold_text, "stretch.toml").hold.bounce_signal is not None


def test_every_key_has_units_or_a_documented_meaning():
    from posecheck.exercises import EXERCISE_TABLES

    for table in EXERCISE_TABLES:
        for key in table.keys:
            assert len(key.doc) > 15, key.name
            if key.type == "number":  # a quantity: its unit is in the name or in the doc
                assert key.name.endswith(("_s", "_deg", "_deg_s")) or re.search(
                    r"degrees|seconds|leg lengths|fraction", key.doc), key.name
