"""The command line as a user meets it: exit codes, one-line messages, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posecheck.video_out import H264Writer


def posecheck(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posecheck.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def _one_line_error(proc: subprocess.CompletedProcess, fragment: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("posecheck:")]
    assert len(lines) == 1 and fragment in lines[0], proc.stderr


@pytest.fixture(scope="module")
def empty_scene(tmp_path_factory) -> Path:
    """A 2 s clip of an empty room: decodable video, nobody in it."""
    path = tmp_path_factory.mktemp("clips") / "empty.mp4"
    rng = np.random.default_rng(0)
    bg = np.full((240, 320, 3), (180, 190, 200), np.uint8)
    with H264Writer(path, 15, 320, 240) as w:
        for _ in range(30):
            w.write(np.clip(bg + rng.integers(-5, 5, bg.shape), 0, 255).astype(np.uint8))
    return path


@pytest.mark.parametrize("command", ["angles", "analyze"])
def test_bad_inputs_exit_2_with_one_line(tmp_path: Path, command: str):
    extra = ["--exercise", "squat"] if command == "analyze" else []
    _one_line_error(posecheck(command, str(tmp_path / "missing.mp4"), *extra), f"{tmp_path / 'missing.mp4'}")
    text = tmp_path / "notes.mp4"
    text.write_text("definitely not a video\n" * 50)
    _one_line_error(posecheck(command, str(text), *extra), f"{text} is not a video")  # the path as given
    empty = tmp_path / "zero.mp4"
    empty.write_bytes(b"")
    _one_line_error(posecheck(command, str(empty), *extra), f"{empty} is empty")


def test_unknown_exercise_and_bad_definition(tmp_path: Path, empty_scene: Path):
    _one_line_error(posecheck("analyze", str(empty_scene), "--exercise", "moonwalk"), "unknown exercise 'moonwalk'")
    (tmp_path / "broken.toml").write_text('id = "broken"\nname = "B"\nkind = "reps"\n')
    proc = posecheck("analyze", str(empty_scene), "--exercise", "broken", "--exercises-dir", str(tmp_path))
    _one_line_error(proc, "broken.toml: field 'views' is missing")


def test_no_person_is_reported_not_crashed(empty_scene: Path, tmp_path: Path):
    out = tmp_path / "a.csv"
    proc = posecheck("angles", str(empty_scene), "--csv", str(out))
    assert proc.returncode == 0
    assert "with_person=0" in proc.stdout and "no person" in proc.stderr
    rows = out.read_text().splitlines()
    assert rows[0].split(",")[:6] == ["frame", "t_s", "detected", "view", "left_hip", "right_hip"]
    assert len(rows) == 31
    assert rows[1].split(",")[4] == ""  # empty where no person was found
    proc = posecheck("analyze", str(empty_scene), "--exercise", "squat", "--json")
    assert proc.returncode == 0
    report = json.loads(proc.stdout)
    assert report["frames"] == 30 and report["frames_with_pose"] == 0
    assert report["reps"] == {"total": 0, "left": 0, "right": 0, "partial": 0}
    assert any("No person" in w for w in report["warnings"])


def test_exercises_lists_all_definitions():
    proc = posecheck("exercises")
    assert proc.returncode == 0
    ids = {line.split()[0] for line in proc.stdout.splitlines()}
    assert {"squat", "lunge", "single_leg_raise", "kneeling_hip_flexor_stretch", "leg_circles"} <= ids
    assert len(ids) == 13


def test_out_video_must_be_mp4(empty_scene: Path, tmp_path: Path):
    _one_line_error(posecheck("analyze", str(empty_scene), "-e", "squat", "--out-video", str(tmp_path / "x.avi")),
                    ".mp4")


def test_bad_model_file_is_one_line(tmp_path: Path, empty_scene: Path):
    bad = tmp_path / "pose.task"
    bad.write_text("not a model")
    _one_line_error(posecheck("angles", str(empty_scene), "--model", str(bad)), "Could not load pose model")
    _one_line_error(posecheck("angles", str(empty_scene), "--model", str(tmp_path / "x.tflite")), ".task")
