"""Exercise recognition end to end: synthetic clips -> real MediaPipe (recorded once) -> which exercise.

Also what recognition changes elsewhere: the report's "doesn't look like X" warning names the closest match,
the rolling window (Live) follows a change of exercise, and `posecheck analyze --exercise auto` writes the
picked id and the recognition into its JSON.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from recorded import poses, replay_estimator, synthetic_clip

from posecheck.cli import main
from posecheck.exercises import load_all
from posecheck.pipeline import analyze_track
from posecheck.posetrack import PoseTrack
from posecheck.recognize import Recognizer, frame_posture, recognize_clip, track_kinematics

pytestmark = pytest.mark.e2e

CATALOG = load_all().exercises
# One clip per posture and movement family: standing reps, kneeling hold, lying two-leg reps, lying one-leg reps.
# The kneeling stretch's close cousin, the low lunge, fits it too: right, but not sure enough to skip asking.
CASES = [("squat", "right", {"reps": 2}, True), ("kneeling_hip_flexor_stretch", "left", {"hold_s": 5.0}, False),
         ("glute_bridge", "left", {"reps": 2, "hold_s": 3.0}, True), ("single_leg_raise", "right", {"reps": 2}, True)]


@pytest.mark.parametrize(("script", "facing", "params", "sure"), CASES, ids=[c[0] for c in CASES])
def test_recognises_synthetic_clips(script: str, facing: str, params: dict, sure: bool):
    rec = recognize_clip(poses(synthetic_clip(script, facing, **params)), CATALOG)
    assert rec.id == script, (rec.id, rec.reason, [(c.id, round(c.score, 2)) for c in rec.candidates[:3]])
    assert rec.candidates[0].score > rec.candidates[1].score
    if sure:
        assert rec.sure and rec.confidence > 0.5
    assert rec.runner_up is not None and rec.runner_up != script
    assert rec.reason.endswith(")") and CATALOG[script].name.lower() in rec.reason  # says what it saw, and why


def test_posture_of_each_family():
    def main_posture(script: str, params: dict) -> str | None:
        found = [frame_posture(k) for k in track_kinematics(poses(synthetic_clip(script, **params)))]
        known = [p for p in found if p is not None]
        return max(set(known), key=known.count)

    assert main_posture("squat", {"reps": 2}) == "standing"
    assert main_posture("glute_bridge", {"reps": 2, "hold_s": 3.0}) == "lying"
    assert main_posture("kneeling_hip_flexor_stretch", {"hold_s": 5.0}) == "kneeling"


def test_wrong_exercise_warning_names_the_closest_match():
    squat = poses(synthetic_clip("squat", "right", reps=2))
    as_lunge = analyze_track(squat, CATALOG["lunge"])  # same posture, other exercise
    assert any("doesn't look like Forward lunge" in w and "looks most like Squat" in w for w in as_lunge.warnings), \
        as_lunge.warnings
    as_bridge = analyze_track(squat, CATALOG["glute_bridge"])  # wrong posture
    assert any("lying on your back" in w and "looks most like Squat" in w for w in as_bridge.warnings), \
        as_bridge.warnings
    right = analyze_track(squat, CATALOG["squat"])
    assert not any("doesn't look like" in w for w in right.warnings)
    assert right.to_json()["looks_like"]["id"] == "squat"


def test_rolling_window_follows_a_change_of_exercise():
    squat = poses(synthetic_clip("squat", "right", reps=2))
    bridge = poses(synthetic_clip("glute_bridge", "left", reps=2, hold_s=3.0))
    gap = float(squat.t_s[-1]) + 1.0
    later = PoseTrack(bridge.t_s + gap, bridge.image_px, bridge.world_m, bridge.visibility, bridge.detected,
                      bridge.width, bridge.height)
    rec = Recognizer(CATALOG, window_s=10.0)
    seen = []
    for i, kin in enumerate(track_kinematics(PoseTrack.concat([squat, later]))):
        rec.update(kin)
        if abs(kin.t_s - (gap - 1.0)) < 0.04 or i == len(squat) + len(bridge) - 1:
            seen.append(rec.result().id)
    assert seen == ["squat", "glute_bridge"]


def test_cli_auto_writes_the_picked_exercise_and_the_recognition(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]):
    clip = synthetic_clip("glute_bridge", "left", reps=2, hold_s=3.0)
    replay_estimator(monkeypatch, clip)  # the CLI's own MediaPipe pass replays the recorded poses
    assert main(["analyze", str(clip), "--exercise", "auto", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["exercise"] == "glute_bridge"
    rec = data["recognition"]
    assert {"id", "confidence", "reason", "runner_up"} <= set(rec)
    assert rec["id"] == "glute_bridge" and 0.5 < rec["confidence"] <= 1.0 and rec["runner_up"] != "glute_bridge"
    assert data["reps"]["total"] == 2  # the analysis ran as the recognised exercise

    assert main(["analyze", str(clip), "-e", "auto"]) == 0  # the readable summary says what it recognised
    assert capsys.readouterr().out.startswith("Recognised: Glute bridge")


def test_nobody_in_view_is_no_pick():
    empty = PoseTrack(np.arange(30) / 15.0, np.full((30, 33, 3), np.nan), np.full((30, 33, 3), np.nan),
                      np.zeros((30, 33)), np.zeros(30, dtype=bool), 640, 480)
    rec = recognize_clip(empty, CATALOG)
    assert rec.id is None and not rec.sure and rec.confidence == 0.0


def test_live_suggests_a_switch_only_for_another_exercise():
    from posecheck.recognize import LiveSuggester

    sugg = LiveSuggester(CATALOG, window_s=10.0, stride=2)
    for kin in track_kinematics(poses(synthetic_clip("squat", "right", reps=2))):
        sugg.observe(kin)
    rec = sugg.suggestion("glute_bridge")  # the user picked a bridge and is squatting
    assert rec is not None and rec.id == "squat"
    assert sugg.suggestion("squat") is None  # the right exercise: nothing to suggest
    sugg.reset()
    assert sugg.suggestion("glute_bridge") is None


def test_live_standing_still_after_a_set_is_rest_not_a_pelvic_tilt():
    # Squats, then eight seconds standing still: the window reads as a standing pelvic tilt (a standing hold looks
    # like standing still). Once the squats have counted, that is rest in the squat's start position.
    from dataclasses import replace

    from posecheck.recognize import LiveSuggester

    sugg = LiveSuggester(CATALOG, stride=2)
    kins = list(track_kinematics(poses(synthetic_clip("squat", "right", reps=2))))
    for kin in kins:
        sugg.observe(kin)
    for i in range(1, 8 * 30 + 1):
        sugg.observe(replace(kins[-1], t_s=kins[-1].t_s + i / 30))
    rec = sugg.suggestion("squat")
    assert rec is not None and rec.id == "standing_pelvic_tilt"  # nothing counted: a standing hold is possible
    assert sugg.suggestion("squat", counted=True) is None
    assert CATALOG["lunge"].posture == CATALOG["squat"].posture
    assert sugg.suggestion("lunge", counted=True) is None  # any exercise whose rest is standing
    assert sugg.suggestion("glute_bridge", counted=True) is not None  # lying: standing is no rest of a bridge
