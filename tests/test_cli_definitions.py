"""The CLI and the definition folders, in-process (posecheck.cli.main with capsys): the template,
POSECHECK_EXERCISES_DIR, a wrong folder, broken and duplicated files: a one-line message, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from posecheck.cli import main
from posecheck.exercises import EXERCISES_DIR, load_all, load_exercise
from posecheck.routines import load_routines


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("posecheck:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSECHECK_EXERCISES_DIR", raising=False)


@pytest.mark.usefixtures("no_env")
def test_the_exercise_template_prints_and_loads(capsys, tmp_path: Path):
    code, out, _ = run(capsys, "exercises", "--template")
    assert code == 0 and "hysteresis_deg = 5" in out and "# Degrees past a threshold" in out
    (tmp_path / "my_exercise.toml").write_text(out)
    assert load_exercise(tmp_path / "my_exercise.toml").id == "my_exercise"
    code, out, err = run(capsys, "exercises", "--exercises-dir", str(tmp_path))
    assert code == 0 and out.split()[0] == "my_exercise" and err == ""


@pytest.mark.usefixtures("no_env")
def test_the_routine_template_prints_and_loads(capsys, tmp_path: Path):
    code, out, _ = run(capsys, "exercises", "--template", "routine")
    assert code == 0 and "[[steps]]" in out and "rest_s = 20" in out
    (tmp_path / "my_routine.toml").write_text(out)
    routines, errors = load_routines(load_all().exercises, tmp_path)
    assert errors == [] and "my_routine" in routines


def test_the_cli_reads_posecheck_exercises_dir(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path)
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(tmp_path))
    code, out, _ = run(capsys, "exercises")
    assert code == 0 and [ln.split()[0] for ln in out.splitlines()] == ["squat"]
    code, _, err = run(capsys, "analyze", str(tmp_path / "clip.mp4"), "-e", "lunge")
    assert code == 2 and "unknown exercise 'lunge'; known: squat" in one_line_error(err)


@pytest.mark.parametrize("command", ["exercises", "analyze"])
def test_a_wrong_folder_is_named(capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str):
    extra = [str(tmp_path / "clip.mp4"), "-e", "squat"] if command == "analyze" else []
    missing = tmp_path / "nope"
    code, _, err = run(capsys, command, *extra, "--exercises-dir", str(missing))
    assert code == 2
    assert one_line_error(err) == f"posecheck: the folder {missing} does not exist (from --exercises-dir)"
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(empty))
    code, _, err = run(capsys, command, *extra)
    assert code == 2
    assert one_line_error(err) == (f"posecheck: the folder {empty} holds no exercise definitions (*.toml files) "
                                   "(from POSECHECK_EXERCISES_DIR)")


@pytest.mark.usefixtures("no_env")
def test_broken_files_are_listed_and_the_rest_still_work(capsys, tmp_path: Path):
    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path)
    (tmp_path / "digits.toml").write_text('id = "digits"\nsets = ' + "7" * 5001 + "\n")
    (tmp_path / "typo.toml").write_text((EXERCISES_DIR / "squat.toml").read_text()
                                        .replace('id = "squat"', 'id = "typo"')
                                        .replace("hysteresis_deg = 6", "hysterisis_deg = 30"))
    code, out, err = run(capsys, "exercises", "--exercises-dir", str(tmp_path))
    assert code == 0 and [ln.split()[0] for ln in out.splitlines()] == ["squat"]
    assert "posecheck: skipped digits.toml: not valid TOML (a number with too many digits)" in err
    assert ("posecheck: skipped typo.toml: unknown key 'motion.hysterisis_deg'; did you mean 'hysteresis_deg'?"
            in err)
    code, _, err = run(capsys, "analyze", str(tmp_path / "clip.mp4"), "-e", "typo", "--exercises-dir", str(tmp_path))
    assert code == 2 and "typo.toml: unknown key 'motion.hysterisis_deg'" in one_line_error(err)


@pytest.mark.usefixtures("no_env")
def test_duplicate_ids_are_shown_with_both_files(capsys, tmp_path: Path):
    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path)
    shutil.copy(EXERCISES_DIR / "lunge.toml", tmp_path)
    shutil.copy(EXERCISES_DIR / "squat.toml", tmp_path / "squat_copy.toml")
    code, out, err = run(capsys, "exercises", "--exercises-dir", str(tmp_path))
    assert code == 0 and [ln.split()[0] for ln in out.splitlines()] == ["lunge"]
    assert "squat.toml and squat_copy.toml: both define the exercise id 'squat'" in err
    code, _, err = run(capsys, "analyze", str(tmp_path / "clip.mp4"), "-e", "squat", "--exercises-dir", str(tmp_path))
    assert code == 2 and "squat.toml and squat_copy.toml: both define" in one_line_error(err)


@pytest.mark.usefixtures("no_env")
def test_routine_problems_are_reported_too(capsys, tmp_path: Path):
    shutil.copytree(EXERCISES_DIR, tmp_path / "defs")
    (tmp_path / "defs" / "routines" / "mine.toml").write_text(
        'id = "mine"\nname = "Mine"\n[[steps]]\nexercise = "squat"\nreps = 5\nsets = 0\n')
    code, out, err = run(capsys, "exercises", "--exercises-dir", str(tmp_path / "defs"))
    assert code == 0 and len(out.splitlines()) == 13
    assert err.strip() == ("posecheck: skipped routines/mine.toml: field 'steps[0].sets' must be a whole number >= 1 "
                           "and <= 50, not 0")


@pytest.mark.usefixtures("no_env")
def test_nothing_loadable_is_an_error(capsys, tmp_path: Path):
    (tmp_path / "bad.toml").write_text("id = 3\n")
    code, out, err = run(capsys, "exercises", "--exercises-dir", str(tmp_path))
    assert code == 2 and out == ""
    assert "posecheck: skipped bad.toml: field 'id' must be a non-empty string, not 3" in err
    assert f"posecheck: no exercise definition in {tmp_path} could be loaded" in err
