"""The Routine page through AppTest, driven by a synthetic frame stream and real MediaPipe.

AppTest has no browser camera, so the test does what the WebRTC worker does: it feeds the page's
`RecordingSession` (kept in st.session_state) with the frames of a generated squat clip (rendered once per
run, see synthcache.py), then reruns the page. The routine is the user's own file in a temp exercises
folder; history goes to a temp SQLite file.
"""

from __future__ import annotations

import base64
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from recorded import poses, synthetic_clip
from streamlit.testing.v1 import AppTest
from synthcache import Synth, SynthStore

from posecheck.exercises import EXERCISES_DIR
from posecheck.routine_live import RecordingSession
from posecheck.sources import Frame, open_video

REPS_PER_SET = 2
CLIP_REPS = 3  # more than the set needs: the page must file the set when its target is reached, not at the end
STEP = 2  # every 2nd frame (15 fps), like a loaded camera worker
CHUNK = 10  # frames between page reruns (the page refreshes every 0.5 s)
ROUTINE = f"""
id = "quick_test"
name = "Quick test routine"
safety = ["Never bounce in a stretch", "Stop at once if you feel sharp pain"]

[[steps]]
exercise = "squat"
sets = 2
reps = {REPS_PER_SET}
rest_s = 60

[[steps]]
exercise = "glute_bridge"
sets = 1
reps = 1
rest_s = 10
"""


def routine_app() -> None:
    from posecheck.ui import routine

    routine.render()


@pytest.fixture(scope="module")
def squat_frames(synth: SynthStore) -> list[Frame]:
    clip = synth.clip(Synth("squat", "right", 30, 480, 360, {"reps": CLIP_REPS}), poses=False)
    return list(open_video(clip.path))[::STEP]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the exercise definitions with the test routine added, and a temp history file."""
    ex_dir = tmp_path / "exercises"
    shutil.copytree(EXERCISES_DIR, ex_dir)
    (ex_dir / "routines" / "quick_test.toml").write_text(ROUTINE)
    (ex_dir / "routines" / "broken.toml").write_text("id = 'broken'\nname = 3\n[[steps]]\n")  # must not break it
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(ex_dir))
    db = tmp_path / "history.sqlite3"
    monkeypatch.setenv("POSECHECK_DB", str(db))
    # No browser camera in AppTest: the streamer is replaced; frames come from the test instead.
    monkeypatch.setattr("posecheck.ui.webcam.streamer", lambda _key, _session: False)
    return db


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "info", "success", "warning", "error", "subheader")
             for e in at.get(kind) if isinstance(getattr(e, "value", None), str)]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def button(at: AppTest, label: str):  # AppTest's Button
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r} in {[b.label for b in at.button]}"
    return found[0]


def feed_until_rest(at: AppTest, frames: list[Frame], origin: float) -> list[str]:
    """Feed chunks of frames, rerunning the page after each; stop when the page shows the rest."""
    session: RecordingSession = at.session_state["routine_session"]
    seen = []
    for i in range(0, len(frames), CHUNK):
        for f in frames[i:i + CHUNK]:
            session.process(f.rgb, origin + f.t_s)
        at.run()
        assert not at.exception, at.exception
        seen += [m.value for m in at.metric if m.label == "Reps"]
        if "Rest ·" in texts(at):
            return seen
    pytest.fail(f"the set was never filed; reps shown: {seen}\n{texts(at)}")


def db_rows(db: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.e2e
def test_routine_flow_frames_to_history_with_real_mediapipe(env: Path, squat_frames: list[Frame]):
    at = AppTest.from_function(routine_app, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert any("broken.toml" in w.value for w in at.warning)  # the broken routine file is reported, not raised
    assert at.selectbox(key="routine_choice").value == "psoas_guide"  # the guide's routine is the default
    page = texts(at)
    assert "Never bounce" in page and "sharp pain" in page and "professional" in page
    at.selectbox(key="routine_choice").set_value("quick_test").run()
    button(at, "Start routine").click().run()
    assert not at.exception, at.exception
    assert "Squat (set 1 of 2)" in texts(at)
    assert f"Reps=0 / {REPS_PER_SET}" in texts(at)

    # Set 1: frames in -> reps counted and shown -> the set is filed at its target -> rest with what is next.
    shown = feed_until_rest(at, squat_frames, 1000.0)
    assert f"1 / {REPS_PER_SET}" in shown  # the count was shown on the way
    page = texts(at)
    assert "Rest, then set 2 of 2" in page and "Up next:** Squat (set 2 of 2)" in page
    [(sid, kind, routine_id)] = db_rows(env, "SELECT id, kind, routine_id FROM sessions")
    assert (kind, routine_id) == ("routine", "quick_test")
    [(ex, reps, rom)] = db_rows(env, "SELECT exercise_id, reps, (SELECT AVG(rom_deg) FROM reps r WHERE r.set_id = "
                                     "s.id) FROM sets s")
    assert ex == "squat" and REPS_PER_SET <= reps <= CLIP_REPS and rom is not None and rom > 30

    # End the rest early: set 2 starts from zero.
    button(at, "Start now").click().run()
    assert "Squat (set 2 of 2)" in texts(at) and f"Reps=0 / {REPS_PER_SET}" in texts(at)

    # Repeat the last set: set 1 comes back, is done again and filed into the same history session.
    button(at, "Repeat last set").click().run()
    assert "Squat (set 1 of 2)" in texts(at)
    feed_until_rest(at, squat_frames, 2000.0)
    assert len(db_rows(env, "SELECT id FROM sets")) == 2
    assert db_rows(env, "SELECT DISTINCT session_id FROM sets") == [(sid,)]

    # Skip in the rest skips the set coming up (squat set 2); skipping the bridge ends the routine.
    button(at, "Skip set").click().run()
    assert "Glute bridge" in texts(at)
    button(at, "Skip set").click().run()
    assert not at.exception, at.exception
    page = texts(at)
    assert "summary" in page and "Sets done=2" in page and "Skipped=2" in page
    assert f"Saved to your history (session {sid})" in page
    summary = at.dataframe[0].value
    assert list(summary["Result"]) == ["done", "done", "skipped", "skipped"]
    assert all(summary["Reps"][:2] >= REPS_PER_SET)
    assert len(db_rows(env, "SELECT id FROM sets")) == 2  # skipped sets are not saved
    [(ended,)] = db_rows(env, "SELECT ended_at FROM sessions")
    assert ended is not None


def beeps_drawn(at: AppTest) -> list[bytes]:
    """The WAV clips of the <audio autoplay> beeps this run drew (ui/beeps.py)."""
    found = []
    for e in at.get("html"):
        m = re.search(r'<audio autoplay src="data:audio/wav;base64,([^"]+)"', e.proto.body)
        if m:
            found.append(base64.b64decode(m[1]))
    return found


@pytest.mark.e2e
@pytest.mark.usefixtures("env")
@pytest.mark.parametrize("voice_speaks", [False, True], ids=["no-voice", "voice"])
def test_routine_beeps_per_counted_rep_where_no_voice_speaks(monkeypatch: pytest.MonkeyPatch, voice_speaks: bool):
    """The Live page's fallback on the Guided routine: one beep in the run that shows a new rep, none for what the
    camera counts during the rest, and none at all when the browser's voice speaks the count."""
    from posecheck.exercises import load_all
    from posecheck.posetrack import ReplayEstimator

    if voice_speaks:
        monkeypatch.setattr("posecheck.ui.voice.voice", lambda *_a, **_k: True)
    clip = synthetic_clip("squat", "right", reps=CLIP_REPS)  # its MediaPipe poses recorded once (recorded.py)
    track = poses(clip)
    frames = list(open_video(clip))
    assert len(frames) == len(track)
    squat = load_all().exercises["squat"]
    at = AppTest.from_function(routine_app, default_timeout=60)
    # The page reuses the session it finds (as after a first routine): this one replays the recorded poses.
    at.session_state["routine_session"] = RecordingSession(
        squat, estimator_factory=lambda: ReplayEstimator(track), crowd_check=False, threaded=False)
    at.run()
    at.selectbox(key="routine_choice").set_value("quick_test").run()
    button(at, "Start routine").click().run()
    assert not at.exception, at.exception
    session: RecordingSession = at.session_state["routine_session"]
    beeped_at: list[str] = []
    reps_shown, rest_reps, resting = "0", 0, False
    for i in range(0, len(frames), CHUNK):
        for f in frames[i:i + CHUNK]:
            session.process(f.rgb, 500.0 + f.t_s)
        at.run()
        assert not at.exception, at.exception
        page = texts(at)
        shown = next((m.value.split(" /")[0] for m in at.metric if m.label == "Reps"), reps_shown)
        wavs = beeps_drawn(at)
        assert all(w.startswith(b"RIFF") and b"WAVE" in w[:16] for w in wavs)
        if wavs:
            beeped_at.append(shown if "Rest ·" not in page else "rest" if resting else "set filed")
        if "Rest ·" in page:
            resting, rest_reps = True, session.snapshot().reps_total
        reps_shown = shown
    assert rest_reps >= 1, "the camera counted nothing during the rest: the test shows no rest silence"
    if voice_speaks:
        assert beeped_at == []  # the voice says the count: no beeps on top
    else:
        # A beep in the run that showed rep 1, and one for rep 2 in the run that filed the set (the page shows the
        # rest); the third rep of the clip falls in the rest and is not sounded.
        assert beeped_at == ["1", "set filed"], beeped_at


def test_no_loadable_routine_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ex_dir = tmp_path / "exercises"
    shutil.copytree(EXERCISES_DIR, ex_dir)
    shutil.rmtree(ex_dir / "routines")
    (ex_dir / "routines").mkdir()
    (ex_dir / "routines" / "bad.toml").write_text("this is not toml [")
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(ex_dir))
    at = AppTest.from_function(routine_app, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert any("No routine could be loaded" in e.value for e in at.error)
    assert any("bad.toml" in w.value for w in at.warning)


# --- the controller alone: a stand-in session whose progress the test sets -------------------------------


class FakeSession:
    """What RoutineController uses of a RecordingSession; the hold so far is set by the test."""

    def __init__(self) -> None:
        self.plan = None
        self.hold_s = 0.0
        self.started: list[object] = []
        self.filed = 0

    def start_plan(self, plan) -> None:
        self.plan, self.hold_s = plan, 0.0
        self.started.append(plan)

    def _result(self, ended: str):
        from dataclasses import replace

        from posecheck.records import HoldRecord
        from posecheck.routines import plan_result

        h = self.hold_s
        holds = (HoldRecord(self.plan.side, 0.0, h, h, h >= self.plan.hold_s, ()),) if h else ()
        return replace(plan_result(self.plan, ended=ended), holds=holds)

    def progress(self):
        from posecheck.routine_live import Progress

        return Progress(self._result("in progress") if self.plan is not None else None)

    def finish_set(self, ended: str = "finished"):
        self.filed += 1
        return self._result(ended)


def test_controller_switches_sides_rests_and_moves_on():
    from posecheck.exercises import load_all
    from posecheck.routine_live import RoutineController
    from posecheck.routines import RoutineRunner, expand, load_routines

    catalog = load_all().exercises
    guide = load_routines(catalog)[0]["psoas_guide"]
    plans = expand(guide, catalog)[:3]  # kneeling stretch: left, right, then left again (set 2)
    session = FakeSession()
    ctrl = RoutineController(RoutineRunner(plans), session)  # type: ignore[arg-type]
    assert session.plan is plans[0]
    assert ctrl.tick(0.0) is None  # nothing counted: nothing happens
    session.hold_s = 12.0
    assert ctrl.tick(1.0) is None
    session.hold_s = 30.2
    filed = ctrl.tick(2.0)
    assert filed is not None and ctrl.runner.done_plans[-1] is plans[0]
    assert ctrl.message == "Switch sides: right side next"
    assert ctrl.runner.results[-1].best_hold_s == 30.2 and ctrl.runner.results[-1].status == "done"
    assert ctrl.runner.resting(2.0 + plans[0].rest_s - 0.1) and session.plan is None  # resting, nothing tracked
    assert ctrl.tick(2.0 + plans[0].rest_s / 2) is None and session.plan is None
    ctrl.tick(2.0 + plans[0].rest_s)  # the rest is over: the right side starts by itself
    assert session.plan is plans[1] and not ctrl.runner.resting(2.0 + plans[0].rest_s)
    assert ctrl.message == ""  # the rest's words are gone with the rest
    session.hold_s = 31.0
    assert ctrl.tick(100.0) is not None and ctrl.message == "Switch sides: left side next"
    ctrl.skip(101.0)  # in the rest: the set coming up (left, set 2) is skipped; it was the last one given
    assert ctrl.runner.results[-1].status == "skipped" and ctrl.finished  # only three plans were given
    assert session.filed == 2
