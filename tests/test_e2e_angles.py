"""End to end: every motion script, both facings -> real MediaPipe via AnglePipeline -> hip/knee angles vs truth.

Each clip's poses are recorded once per run (the `synth` store, see synthcache.py) and stepped through
AnglePipeline with a ReplayEstimator: the same step, on the same poses, as a live MediaPipe graph gives.

Per joint, the absolute error of the smoothed angles the rules read must stay within MEDIAN_MAX_DEG
(median) and P95_MAX_DEG (95th percentile) of the renderer's exact angles, and the person must be
found in MIN_DETECTED of the frames. The near side is always checked; the far side where it is seen
well enough to mean something (KNOWN lists the measured exceptions, held to their numbers).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from synthcache import Synth, SynthClip, SynthStore, replay_frames

from posecheck.pipeline import AnglePipeline
from posecheck.posetrack import ReplayEstimator
from posecheck.synth import SCRIPTS

pytestmark = pytest.mark.e2e

MEDIAN_MAX_DEG = 6.0
P95_MAX_DEG = 12.0
MIN_DETECTED = 0.95
MIN_RELIABLE = 0.5  # near-side joints must be marked reliable in at least half the frames (measured: 44-100%)
FPS = 20.0

# Short takes: one rep or a 2-3 s hold is enough to sweep each joint through its range.
PARAMS: dict[str, dict[str, Any]] = {
    "squat": {"reps": 1},
    "lunge": {"reps": 2},  # both legs lead once
    "kneeling_hip_flexor_stretch": {"hold_s": 2.5},
    "glute_bridge": {"reps": 1, "hold_s": 2.0},
    "single_leg_raise": {"reps": 1, "hold_s": 2.0},
    "knee_to_chest": {"reps": 2},
    "psoas_march": {"reps": 2},
    "lying_psoas_stretch": {"hold_s": 2.5},
    "standing_pelvic_tilt": {"hold_s": 2.5},
    "low_lunge": {"hold_s": 2.5},
    "warrior_1": {"hold_s": 2.5},
    "roll_up": {"reps": 1},
    "leg_circles": {"circles": 1},
}

# (script, facing, joint) -> (median, p95, cause): measured errors that miss the limits (20 fps, 640x480, smoothed
# angles; 2026-12-01, MediaPipe's own landmark smoothing off, glitch gate on). Far joints seen in under half the
# frames are skipped by the test itself; these are the rest, with causes seen frame by frame. They are held to
# their measured numbers plus KNOWN_SLACK_DEG, so they cannot silently get worse; one that meets the limits fails
# the test until its entry is removed.
KNOWN: dict[tuple[str, str, str], tuple[float, float, str]] = {
    ("kneeling_hip_flexor_stretch", "right", "near_knee"): (2.3, 13.0, "10-19 deg too closed kneeling down, standing"),
    ("kneeling_hip_flexor_stretch", "right", "far_knee"): (4.3, 12.0, "front (far) knee, partly hidden"),
    ("single_leg_raise", "right", "far_hip"): (6.3, 10.3, "support (far) hip, behind the raised leg"),
    ("single_leg_raise", "right", "far_knee"): (11.6, 14.9, "support (far) knee, behind the raised leg"),
    ("single_leg_raise", "left", "far_hip"): (4.5, 14.8, "support (far) hip, behind the raised leg"),
    ("single_leg_raise", "left", "far_knee"): (6.5, 34.2, "support (far) knee, behind the raised leg"),
    ("knee_to_chest", "right", "near_hip"): (1.5, 16.2, "MediaPipe draws the straight leg onto the pulled one for "
                                                        "~0.5 s as the knee passes over it"),
    ("knee_to_chest", "right", "near_knee"): (1.4, 13.5, "as near_hip; the glitch gate trusts a jump after 0.3 s"),
    ("knee_to_chest", "right", "far_hip"): (1.3, 27.2, "pulled (far) hip: legs folded together"),
    # as measured here and in CI (5.0 / 33.7); the earlier 3.6 / 27.6 was measured on another machine
    ("knee_to_chest", "right", "far_knee"): (5.0, 33.7, "pulled (far) knee: legs folded together"),
    ("psoas_march", "right", "near_hip"): (7.7, 11.9, "MediaPipe bias, mean -5 deg"),
    ("psoas_march", "right", "near_knee"): (6.4, 9.2, "MediaPipe bias, mean -5 deg"),
    ("lying_psoas_stretch", "right", "far_hip"): (5.7, 22.5, "hugged (far) hip"),
    ("lying_psoas_stretch", "right", "far_knee"): (7.7, 14.3, "hugged (far) knee"),
    ("lying_psoas_stretch", "left", "far_hip"): (15.6, 16.7, "hugged (far) hip"),
    ("lying_psoas_stretch", "left", "far_knee"): (11.5, 13.7, "hugged (far) knee"),
    ("leg_circles", "left", "far_hip"): (6.7, 11.7, "resting (far) hip, behind the circling leg"),
    ("leg_circles", "left", "far_knee"): (6.9, 10.8, "resting (far) knee, behind the circling leg"),
}

KNOWN_SLACK_DEG = (1.5, 3.0)  # (median, p95) allowed above the measured numbers of a KNOWN entry

JOINTS = ("near_hip", "near_knee", "far_hip", "far_knee")
CLIPS = [(s, f) for s in SCRIPTS for f in ("right", "left")]


def _errors(clip: SynthClip) -> dict[str, Any]:
    truth = clip.truth
    near = truth["near_side"]
    far = "left" if near == "right" else "right"
    names = {"near_hip": f"{near}_hip", "near_knee": f"{near}_knee", "far_hip": f"{far}_hip",
             "far_knee": f"{far}_knee"}
    errs: dict[str, list[float]] = {j: [] for j in JOINTS}
    frames = detected = 0
    with AnglePipeline(estimator=ReplayEstimator(clip.track)) as pipe:
        for frame, tr in zip(replay_frames(clip.track), truth["frames"], strict=True):
            kin = pipe.step(frame).kin
            frames += 1
            if not kin.detected:
                continue
            detected += 1
            for role, name in names.items():
                if kin.ok(name):
                    errs[role].append(abs(kin.angles[name] - tr[name]))
    return {"frames": frames, "detected": detected, "errs": {k: np.array(v) for k, v in errs.items()}}


@pytest.fixture(scope="module", params=CLIPS, ids=lambda c: f"{c[0]}-{c[1]}")
def measured(request: pytest.FixtureRequest, synth: SynthStore) -> tuple[str, str, dict]:
    script, facing = request.param
    return script, facing, _errors(synth.clip(Synth(script, facing, FPS, 640, 480, PARAMS[script])))


def test_every_script_has_params() -> None:
    assert set(PARAMS) == set(SCRIPTS)


def test_person_detected(measured: tuple[str, str, dict]) -> None:
    _, _, m = measured
    assert m["detected"] >= MIN_DETECTED * m["frames"], f"person in {m['detected']}/{m['frames']} frames"


@pytest.mark.parametrize("joint", JOINTS)
def test_joint_angle_error(measured: tuple[str, str, dict], joint: str) -> None:
    script, facing, m = measured
    e = m["errs"][joint]
    if joint.startswith("near"):
        assert len(e) >= MIN_RELIABLE * m["detected"], f"{joint} reliable in {len(e)}/{m['detected']} frames"
    elif len(e) < 0.5 * m["detected"]:
        pytest.skip(f"far {joint} reliable in only {len(e)}/{m['detected']} frames: not meaningful here")
    med, p95 = float(np.median(e)), float(np.percentile(e, 95))
    print(f"{script} {facing} {joint}: median {med:.1f} p95 {p95:.1f} n={len(e)}")
    within = med <= MEDIAN_MAX_DEG and p95 <= P95_MAX_DEG
    known = KNOWN.get((script, facing, joint))
    if known is None:
        assert within, f"{joint}: median {med:.1f} deg, p95 {p95:.1f} deg"
        return
    k_med, k_p95, cause = known
    assert not within, f"{joint} now within the limits (median {med:.1f}, p95 {p95:.1f}): remove its KNOWN entry"
    assert med <= k_med + KNOWN_SLACK_DEG[0] and p95 <= k_p95 + KNOWN_SLACK_DEG[1], (
        f"{joint} got worse than known: median {med:.1f} (was {k_med}), p95 {p95:.1f} (was {k_p95}); {cause}")
