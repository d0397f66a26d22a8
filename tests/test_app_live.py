"""The Live page's settings through Streamlit's AppTest: the strict-depth toggle reaches the live session."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


def _live_page() -> None:
    from posecheck.ui import live

    live.render()


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    from posecheck.ui import webcam

    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "history.db"))
    # streamlit-webrtc needs a real server session (the browser tests drive it); here the camera stays off.
    monkeypatch.setattr(webcam, "streamer", lambda *_args, **_kwargs: False)
    at = AppTest.from_function(_live_page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _session(at: AppTest):  # -> posecheck.live.LiveSession
    from posecheck.ui.live import SESSION_KEY

    return at.session_state[SESSION_KEY]


def test_full_depth_only_follows_the_toggle(page: AppTest):
    at = page
    pick = at.selectbox(key="live_exercise")
    pick.select(next(o for o in pick.options if o.startswith("Squat"))).run()
    toggle = next(t for t in at.toggle if t.label == "Count full-depth reps only")
    assert toggle.value is False  # the squat's own default: shallow reps count, flagged
    assert _session(at)._strict_depth is False
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    assert _session(at)._strict_depth is True
    assert _session(at)._tracker.strategy.strict is True  # the set now counts full-depth reps only


def test_holds_have_no_depth_toggle(page: AppTest):
    at = page
    pick = at.selectbox(key="live_exercise")
    pick.select(next(o for o in pick.options if o.startswith("Kneeling"))).run()
    assert not [t for t in at.toggle if t.label == "Count full-depth reps only"]


def _suggesting_page(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, picked: str) -> AppTest:
    """The Live page with `picked` chosen while the camera shows squats: a synthetic squat clip's frames go
    through the page's own session (its MediaPipe poses recorded once and replayed, tests/recorded.py), whose
    frame observers include the page's LiveSuggester, as the camera thread would feed it."""
    from recorded import poses, synthetic_clip

    from posecheck.exercises import load_all
    from posecheck.posetrack import ReplayEstimator
    from posecheck.routine_live import RecordingSession
    from posecheck.sources import open_video
    from posecheck.ui import webcam

    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "history.db"))
    monkeypatch.setattr(webcam, "streamer", lambda *_args, **_kwargs: False)
    clip = synthetic_clip("squat", "right", reps=2)
    track = poses(clip)
    at = AppTest.from_function(_live_page, default_timeout=60)
    at.session_state["live_session"] = RecordingSession(  # the page keeps the session it finds
        load_all().exercises[picked], estimator_factory=lambda: ReplayEstimator(track), crowd_check=False,
        threaded=False)
    at.session_state["live_exercise"] = picked
    at.run()
    assert not at.exception, at.exception
    assert _session(at).exercise.id == picked
    assert not _banner(at)  # nothing seen yet: nothing suggested
    for frame in open_video(clip):
        _session(at).process(frame.rgb, frame.t_s)
    at.run()
    assert not at.exception, at.exception
    return at


def _banner(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "This looks like" in w.value]


@pytest.mark.e2e
def test_live_suggests_the_exercise_it_sees_and_switch_changes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from posecheck.ui import widgets

    at = _suggesting_page(monkeypatch, tmp_path, "glute_bridge")
    [banner] = _banner(at)
    assert banner.startswith("**This looks like squat: switch?**"), banner
    assert at.button(key="live_switch").label == "Switch to Squat"
    at.button(key="live_switch").click().run()
    assert not at.exception, at.exception
    assert at.selectbox(key="live_exercise").value == "squat"  # the picker shows it...
    assert _session(at).exercise.id == "squat"  # ...and the session counts it
    target = f"**Target:** {widgets.targets_text(_session(at).exercise)}"
    assert target in [m.value for m in at.markdown]  # the side panel was redrawn for it
    assert not _banner(at)  # what it sees is what is picked now


@pytest.mark.e2e
def test_keep_dismisses_the_suggestion_for_good(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    at = _suggesting_page(monkeypatch, tmp_path, "glute_bridge")
    assert _banner(at)
    assert at.button(key="live_keep").label == "No, keep Glute bridge with pelvic tilt"
    at.button(key="live_keep").click().run()
    assert not at.exception, at.exception
    assert not _banner(at)
    assert at.selectbox(key="live_exercise").value == "glute_bridge"
    assert _session(at).exercise.id == "glute_bridge"
    at.run()  # later refreshes do not bring it back
    assert not _banner(at) and not at.exception


@pytest.mark.e2e
def test_no_suggestion_once_the_camera_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    at = _suggesting_page(monkeypatch, tmp_path, "glute_bridge")
    assert _banner(at)
    _session(at).close()  # STOP: the set is over, there is nothing to switch for
    at.run()
    assert not at.exception, at.exception
    assert not _banner(at)


@pytest.mark.e2e
def test_standing_still_after_squats_is_no_suggestion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # Squats picked and counted, then eight seconds standing still, as after any set: the suggester's window reads
    # as a standing pelvic tilt (before, the page offered "This looks like standing pelvic tilt: switch?").
    from dataclasses import replace

    from recorded import poses, synthetic_clip

    from posecheck.recognize import track_kinematics
    from posecheck.ui.live import SUGGESTER_KEY

    at = _suggesting_page(monkeypatch, tmp_path, "squat")
    assert _session(at).snapshot().reps_total == 2 and not _banner(at)
    sugg = at.session_state[SUGGESTER_KEY]
    last = list(track_kinematics(poses(synthetic_clip("squat", "right", reps=2))))[-1]
    for i in range(1, 8 * 30 + 1):  # as the camera thread feeds it (the session's frame observer)
        sugg.observe(replace(last, t_s=last.t_s + i / 30))
    assert sugg.suggestion("squat") is not None  # what the window alone would say
    at.run()
    assert not at.exception, at.exception
    assert not _banner(at)


@pytest.mark.e2e
def test_the_set_complete_moment_and_the_stopped_stats_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A set whose target is reached says so three ways at once (no voice here, so the fanfare beep; the banner
    and heading; the planner's "Set complete" for where a voice speaks), once; after STOP the stats line says
    "Camera off" with no frame rates (it read "20.1 fps" after STOP)."""
    import base64
    import re
    import shutil

    from recorded import poses, synthetic_clip

    from posecheck.exercises import DEFINITIONS_DIR, load_all
    from posecheck.posetrack import ReplayEstimator
    from posecheck.routine_live import RecordingSession
    from posecheck.sources import open_video
    from posecheck.ui import beeps, webcam
    from posecheck.ui.live import PLANNER_KEY

    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "history.db"))
    monkeypatch.setattr(webcam, "streamer", lambda *_args, **_kwargs: False)
    folder = tmp_path / "exercises"  # the shipped squat with a target of 2 reps, which the clip reaches
    shutil.copytree(DEFINITIONS_DIR, folder, ignore=shutil.ignore_patterns("routines"))
    text = (folder / "squat.toml").read_text()
    assert "reps_total = 10" in text
    (folder / "squat.toml").write_text(text.replace("reps_total = 10", "reps_total = 2"))
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(folder))
    squat = load_all(folder).exercises["squat"]
    clip = synthetic_clip("squat", "right", reps=2)
    track = poses(clip)
    at = AppTest.from_function(_live_page, default_timeout=60)
    at.session_state["live_session"] = RecordingSession(
        squat, estimator_factory=lambda: ReplayEstimator(track), crowd_check=False, threaded=False)
    at.session_state["live_exercise"] = "squat"
    at.run()
    assert not at.exception, at.exception
    assert not [s for s in at.success if "Set complete" in s.value]
    session = _session(at)
    assert session.exercise.targets.reps_total == 2
    for frame in open_video(clip):
        session.process(frame.rgb, frame.t_s)
    assert session.snapshot().reps_total == 2 and session.snapshot().running
    at.run()
    assert not at.exception, at.exception
    [banner] = [s.value for s in at.success if "Set complete" in s.value]
    assert banner.startswith("**Set complete**: 2 reps, the target reached."), banner
    assert any(h.value.endswith("Set 1 · complete") for h in at.subheader)
    said = [u.text for u in at.session_state[PLANNER_KEY].recent]
    assert said[-1] == "Set complete. Rest, then press Finish set." and said.count(said[-1]) == 1, said
    [audio] = [h.proto.body for h in at.get("html") if "audio" in h.proto.body]
    wav = base64.b64decode(re.search(r"base64,([^\"]+)", audio)[1])
    snap = session.snapshot()
    assert wav == beeps.beep_wav("set", tag=snap.rep_seq + 7 * snap.hold_seq)  # the fanfare, not a rep's blip
    assert any(c.value.startswith("Live · video ") for c in at.caption)

    at.run()  # the next refresh: nothing said or sounded again
    assert [u.text for u in at.session_state[PLANNER_KEY].recent].count(said[-1]) == 1
    assert not [h for h in at.get("html") if "audio" in h.proto.body]

    session.close()  # STOP
    at.run()
    assert not at.exception, at.exception
    [stats] = [c.value for c in at.caption if "frames" in c.value and "person found" in c.value]
    assert stats.startswith("Camera off · frames ") and "fps" not in stats, stats
    [sets] = [d.value for d in at.dataframe if "Target met" in d.value.columns]
    assert list(sets["Result"]) == ["2 reps"] and list(sets["Target met"]) == ["yes"]
