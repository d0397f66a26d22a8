"""Routine results that tell the truth (issue 13), on the Routine page through AppTest.

The page's camera session replays recorded MediaPipe poses of generated clips (tests/replay.py): a squat
that reaches its reps, and glute bridges held 0.4 s against "hold 5 s each". Each set is graded: "done" when
its targets are met, "short" with what was missing; the rest screen shows the set just finished; the rest's
words do not outlive the rest; "End routine now" keeps the set in progress as "ended early"; the summary's
closing words fit what happened.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from replay import Camera, synth_track
from streamlit.testing.v1 import AppTest
from test_app_routine import button, db_rows, routine_app, texts

from posecheck.exercises import EXERCISES_DIR, load_all
from posecheck.history import HistoryStore
from posecheck.posetrack import PoseTrack
from posecheck.routine_live import RecordingSession
from posecheck.ui import routine as routine_page

ROUTINE = """
id = "truth_test"
name = "Truth test routine"

[[steps]]
exercise = "squat"
sets = 2
reps = 2
rest_s = 60

[[steps]]
exercise = "glute_bridge"
sets = 1
reps = 2
hold_s = 5
rest_s = 10
"""

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PoseTrack]:
    folder = tmp_path_factory.mktemp("routine_results")
    size = {"fps": 30.0, "width": 480, "height": 360}
    return {"squat": synth_track(folder, "squat", "squat", reps=3, **size)[1],
            "bridge": synth_track(folder, "glute_bridge", "bridge_short", facing="left", reps=2, hold_s=0.4,
                                  **size)[1]}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ex_dir = tmp_path / "exercises"
    shutil.copytree(EXERCISES_DIR, ex_dir)
    (ex_dir / "routines" / "truth_test.toml").write_text(ROUTINE)
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(ex_dir))
    db = tmp_path / "history.sqlite3"
    monkeypatch.setenv("POSECHECK_DB", str(db))
    monkeypatch.setattr("posecheck.ui.webcam.streamer", lambda _key, _session: False)  # frames come from the test
    return db


def start(camera: Camera) -> AppTest:
    """The Routine page with the test routine started, its camera session replaying `camera`."""
    at = AppTest.from_function(routine_app, default_timeout=120)
    at.run()
    # The page reuses the session it finds (begin()): one whose "camera" is the replay.
    at.session_state[routine_page.SESSION_KEY] = RecordingSession(load_all().exercises["squat"],
                                                                  estimator_factory=camera.factory)
    at.run()
    at.selectbox(key="routine_choice").set_value("truth_test").run()
    button(at, "Start routine").click().run()
    assert not at.exception, at.exception
    return at


def rerun_until(at: AppTest, words: str) -> Callable[[], bool]:
    def between() -> bool:
        at.run()
        assert not at.exception, at.exception
        return words in texts(at)
    return between


def play_until(at: AppTest, camera: Camera, track: PoseTrack, origin: float, words: str) -> str:
    session = at.session_state[routine_page.SESSION_KEY]
    camera.play(session, track, origin, rerun_until(at, words))
    page = texts(at)
    assert words in page, f"never saw {words!r}:\n{page}"
    return page


def summary_table(at: AppTest):  # a DataFrame
    [table] = [d.value for d in at.dataframe if "Result" in d.value.columns]
    return table


def test_sets_are_graded_and_the_rest_says_how_the_last_one_went(env: Path, tracks: dict[str, PoseTrack]):
    camera = Camera()
    at = start(camera)
    page = play_until(at, camera, tracks["squat"], 1000.0, "Rest ·")
    # The rest screen shows the set just finished, and what comes next.
    assert "Set done: Squat · 2 reps" in page, page
    assert "Rest, then set 2 of 2" in page
    button(at, "Start now").click().run()
    page = texts(at)
    assert "Squat (set 2 of 2)" in page
    assert "Rest, then set 2 of 2" not in page  # the rest's words end with the rest
    page = play_until(at, camera, tracks["squat"], 2000.0, "Rest ·")
    assert "Next: Glute bridge with pelvic tilt" in page and "Set done: Squat · 2 reps" in page
    button(at, "Start now").click().run()
    assert "Next: Glute bridge" not in texts(at)

    # Bridges held 0.4 s against "hold 5 s each": the reps are counted, the set is filed short, with its holds.
    page = play_until(at, camera, tracks["bridge"], 3000.0, "summary")
    table = summary_table(at)
    assert list(table["Result"]) == ["done", "done", "short"], table
    assert list(table["What was missing"])[:2] == ["", ""]
    assert re.fullmatch(r"holds \d\.\d/\d\.\d s of 5 s", table["What was missing"].iloc[2]), table
    assert list(table["Reps"]) == [2, 2, 2]
    assert "Sets done=2 of 3" in page
    assert "Well done" not in page and "Good work: 2 of 3 sets met their targets" in page
    # All three sets are in the history, the short one with its end and targets.
    rows = db_rows(env, "SELECT exercise_id, reps, ended, target_reps, target_hold_s FROM sets ORDER BY id")
    assert rows == [("squat", 2, "finished", 2, None), ("squat", 2, "finished", 2, None),
                    ("glute_bridge", 2, "finished", 2, 5.0)]


def test_ending_mid_set_keeps_the_set_as_ended_early(env: Path, tracks: dict[str, PoseTrack]):
    camera = Camera()
    at = start(camera)
    play_until(at, camera, tracks["squat"], 1000.0, "Reps=1 / 2")  # one rep in: end the routine now
    button(at, "End routine now").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    table = summary_table(at)
    assert list(table["Result"]) == ["ended early"] and list(table["What was missing"]) == ["1 of 2 reps"]
    assert list(table["Reps"]) == [1]
    assert "Sets done=0 of 1" in page and "Short or ended early=1" in page
    assert "Well done" not in page and "No set reached its target this time" in page
    assert db_rows(env, "SELECT exercise_id, reps, ended FROM sets") == [("squat", 1, "ended early")]
    assert re.search(r"Saved to your history \(session \d+\)", page)


def test_ending_before_anything_was_done_says_so(env: Path):
    at = start(Camera())
    button(at, "End routine now").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert list(summary_table(at)["Result"]) == ["ended early"]
    assert "Well done" not in page and "Nothing was counted this time" in page
    assert "Nothing was counted, so nothing was saved to history." in page
    with HistoryStore(env) as db:
        assert db.sets() == []
