"""The Review page's "Recognise automatically" (Streamlit AppTest): the default exercise choice, a sure pick
analysed at once, and an unsure one asked about, the answer analysed from the same recorded poses.

The clip is a synthetic glute bridge under a name that says nothing (no truth file), its poses recorded once
with real MediaPipe and replayed by the app's own estimator (tests/recorded.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from recorded import replay_estimator, synthetic_clip
from streamlit.testing.v1 import AppTest

from posecheck import recognize
from posecheck.ui import analysis, review, widgets

APP = str(Path(__file__).resolve().parent.parent / "app.py")
pytestmark = pytest.mark.e2e


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    clip = synthetic_clip("glute_bridge", "left", reps=2, hold_s=3.0)
    folder = tmp_path / "samples"
    folder.mkdir()
    shutil.copy(clip, folder / "my_workout.mp4")  # no truth file, a name that is no exercise id
    monkeypatch.setenv("POSECHECK_SAMPLES_DIR", str(folder))
    replay_estimator(monkeypatch, clip)
    analysis.track_cache.clear()
    analysis.result_cache.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_recognise_automatically_is_the_default_and_a_sure_pick_is_analysed(page: AppTest):
    at = page
    picker = at.selectbox(key=review.EXERCISE_KEY)
    assert picker.value == widgets.AUTO and picker.options[0] == widgets.AUTO_WORDS
    at.button[0].click().run()
    assert not at.exception, at.exception
    said = [s.value for s in at.success]
    assert any(s.startswith("Recognised **Glute bridge") and "hips lifting" in s for s in said), said
    assert int(_metrics(at)["Reps"]) == 2  # analysed as the recognised exercise
    assert analysis.track_cache().recorded == 1


def test_unsure_asks_and_the_answer_is_analysed_without_a_second_pose_pass(page: AppTest,
                                                                           monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(recognize, "SURE_SCORE", 2.0)  # nothing can be sure: the page must ask
    at = page
    at.button[0].click().run()
    assert not at.exception, at.exception
    asked = [w.value for w in at.warning if "Not sure which exercise" in w.value]
    assert asked and "Glute bridge" in asked[0], [w.value for w in at.warning]
    assert not at.metric  # nothing analysed before the answer
    at.button(key="review_pick_glute_bridge").click().run()
    assert not at.exception, at.exception
    assert any("as you chose" in i.value for i in at.info)
    assert int(_metrics(at)["Reps"]) == 2
    assert analysis.track_cache().recorded == 1  # the answer replayed the poses recorded for the question
