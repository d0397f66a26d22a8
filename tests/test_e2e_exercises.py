"""End to end: a synthetic clip with known reps/holds -> real MediaPipe -> the exercise engine -> counts.

Every exercise in exercises/ is rendered (both facings for the main ones) plus faulty variants, its poses
recorded once per run (the `synth` store, see synthcache.py), analysed with the real exercise definition
by `analyze_track` (analyze_clip's frame step on the recorded poses), and compared with the clip's ground
truth: exact rep counts per side, partial reps, hold times within HOLD_TOL_S, and the fault codes the
variant must raise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from synthcache import Synth, SynthStore

from posecheck.engine.reps import classify, count_threshold
from posecheck.exercises import get_exercise, load_all
from posecheck.pipeline import analyze_track
from posecheck.report import Report
from posecheck.synth import SCRIPTS, generate_clip
from posecheck.synth.generate import truth_path

pytestmark = pytest.mark.e2e

# A hold is the position itself (the truth: arrived to starting to leave). The engine starts it once the person
# has settled (the pose's own stillness, a few tenths of a second after arriving) and ends it when the position
# is left (up to its grace): within a second of the truth, as on the labelled real clips.
HOLD_TOL_S = 1.0
# The rule's count threshold (engine.reps.classify), applied to the truth's exact angles, says what each scripted
# rep is; a case whose rep lies this close to a threshold (a share of it) would test MediaPipe's noise, not the
# rule, so the cases keep clear of it (test_cases_are_clear_of_the_thresholds).
CLEAR_MARGIN = 0.15
MIN_DETECTED = 0.95
ERROR_FAULTS = {"bouncing", "knee_bent"}  # error-level faults stop the hold clock by design

# Known disagreements, measured (30 fps, 640x480), each with its cause; not yet fixed. A listed test still runs
# its assertion under xfail(strict=True): once the cause is fixed it XPASSes, which fails, so the entry must go.
XFAIL: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Case:
    id: str
    script: str
    facing: str
    params: dict[str, Any] = field(default_factory=dict)
    out_of_view_s: tuple[float, float] | None = None


CASES = [
    Case("squat_right", "squat", "right", {"reps": 2}),
    Case("squat_left", "squat", "left", {"reps": 2}),
    # One full rep, 3 s hovering just off rest with a +-4 deg wobble (nothing), then an attempt under the count
    # threshold (a partial).
    Case("squat_jitter_partial", "squat", "right", {"reps": 1, "jitter_deg": 4.0, "partial_depth": 0.25}),
    # Out of view for 1.5 s in the 2.5 s pause between the reps (rep 1 is 1.5-4.0 s).
    Case("squat_out_of_view", "squat", "left", {"reps": 2, "rest_s": 2.5}, (4.5, 6.0)),
    Case("lunge_right", "lunge", "right", {"reps": 2}),
    Case("lunge_left", "lunge", "left", {"reps": 2}),
    Case("kneeling_right", "kneeling_hip_flexor_stretch", "right", {"hold_s": 5.0}),
    Case("kneeling_left", "kneeling_hip_flexor_stretch", "left", {"hold_s": 5.0, "leg": "left"}),
    Case("kneeling_bounce", "kneeling_hip_flexor_stretch", "right", {"hold_s": 6.0, "bounce": True}),
    Case("glute_bridge_right", "glute_bridge", "right", {"reps": 2, "hold_s": 5.0}),
    Case("glute_bridge_left", "glute_bridge", "left", {"reps": 1, "hold_s": 5.0}),
    # Hips lifted half way: each rep counts, flagged shallow.
    Case("glute_bridge_hips_low", "glute_bridge", "right", {"reps": 2, "hold_s": 1.0, "lift": 0.5}),
    # Two raises, the second stopping low (an attempt under the count threshold: a partial rep).
    Case("single_leg_raise_right", "single_leg_raise", "right",
         {"hold_s": 5.0, "partial": True, "depths": [1.0, 0.5]}),
    Case("single_leg_raise_left", "single_leg_raise", "left", {"reps": 1, "hold_s": 5.0, "leg": "left"}),
    Case("single_leg_raise_bent_knee", "single_leg_raise", "left", {"reps": 1, "hold_s": 3.0, "bent_knee_deg": 35.0}),
    Case("knee_to_chest", "knee_to_chest", "right", {"reps": 2}),
    Case("psoas_march", "psoas_march", "left", {"reps": 2}),
    Case("lying_psoas_stretch", "lying_psoas_stretch", "right", {"hold_s": 5.0}),
    Case("standing_pelvic_tilt", "standing_pelvic_tilt", "left", {"hold_s": 6.0}),
    Case("low_lunge", "low_lunge", "right", {"hold_s": 5.0}),
    Case("warrior_1", "warrior_1", "left", {"hold_s": 5.0}),
    Case("roll_up", "roll_up", "right", {"reps": 2}),
    Case("leg_circles", "leg_circles", "left", {"circles": 2}),
]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: c.id)
def result(request: pytest.FixtureRequest, synth: SynthStore) -> tuple[Case, Report, dict]:
    case: Case = request.param
    clip = synth.clip(Synth(case.script, case.facing, 30.0, 640, 480, case.params, case.out_of_view_s))
    report = analyze_track(clip.track, get_exercise(clip.truth["exercise"]), clip=str(clip.path), info=clip.info)
    return case, report, clip.truth


def _xfail(request: pytest.FixtureRequest, result: tuple[Case, Report, dict], what: str) -> None:
    """A measured, open discrepancy (see XFAIL): the assertion still runs; passing is an error (strict)."""
    reason = XFAIL.get((result[0].id, what))
    if reason is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


def test_every_exercise_has_a_script_and_a_case() -> None:
    ids = set(load_all().exercises)
    assert ids <= set(SCRIPTS)
    assert ids <= {c.script for c in CASES}


def test_person_detected(result: tuple[Case, Report, dict]) -> None:
    case, report, truth = result
    visible = sum(f["visible"] for f in truth["frames"])
    assert report.frames == len(truth["frames"])
    assert report.frames_with_pose >= MIN_DETECTED * visible


def _kind(truth: dict, rep: dict) -> str:
    """What the rule makes of a scripted rep, from the truth's exact angles (circles: always a rep)."""
    ex = get_exercise(truth["exercise"])
    if ex.motion is None or "rest_drive" not in rep:
        return "rep"
    return classify(ex.motion, rep["rest_drive"], rep["peak_drive"])


def test_cases_are_clear_of_the_thresholds(result: tuple[Case, Report, dict]) -> None:
    _, _, truth = result
    ex = get_exercise(truth["exercise"])
    for r in truth["reps"]:
        if ex.motion is None or "rest_drive" not in r:
            continue
        sgn = 1.0 if ex.motion.direction == "up" else -1.0
        travel = sgn * (r["peak_drive"] - r["rest_drive"])
        need = count_threshold(ex.motion, r["rest_drive"])
        assert abs(travel - need) > CLEAR_MARGIN * need, (r, travel, need)


def test_rep_counts_exact(request: pytest.FixtureRequest, result: tuple[Case, Report, dict]) -> None:
    """Every excursion past the count threshold is a rep, short of the target (shallow) or not."""
    _xfail(request, result, "reps")
    _, report, truth = result
    want = Counter((r["side"], r.get("direction", "")) for r in truth["reps"]
                   if _kind(truth, r) in ("rep", "shallow"))
    got = Counter((r.side, r.direction) for r in report.reps)
    assert got == want, f"reps {got} != truth {want}"


def test_shallow_reps_are_flagged(result: tuple[Case, Report, dict]) -> None:
    _, report, truth = result
    want = sorted(_kind(truth, r) == "shallow" for r in truth["reps"] if _kind(truth, r) in ("rep", "shallow"))
    got = sorted("shallow" in r.faults for r in report.reps)
    assert got == want, f"shallow flags {got} != truth {want}"


def test_partial_reps(request: pytest.FixtureRequest, result: tuple[Case, Report, dict]) -> None:
    """An attempt under the count threshold (but past partial_min_deg) is a partial rep, not a rep."""
    _xfail(request, result, "partial")
    _, report, truth = result
    want = Counter(r["side"] for r in truth["reps"] if _kind(truth, r) == "partial")
    got = Counter(r.side for r in report.partials)
    assert got == want, f"partial reps {got} != truth {want}"


def test_hold_times(request: pytest.FixtureRequest, result: tuple[Case, Report, dict]) -> None:
    _xfail(request, result, "holds")
    _, report, truth = result
    if ERROR_FAULTS & set(truth["expected_faults"]):
        pytest.skip("an error-level fault pauses the hold: its time is not the scripted one")
    want = [(h["side"], h["duration_s"]) for h in truth["holds"]]
    got = [(h.side, h.duration_s) for h in report.holds]
    assert [s for s, _ in got] == [s for s, _ in want], f"holds {got} != truth {want}"
    for (_, g), (_, w) in zip(got, want, strict=True):
        assert abs(g - w) <= HOLD_TOL_S, f"hold {g:.2f} s vs truth {w:.2f} s"


def test_faults(request: pytest.FixtureRequest, result: tuple[Case, Report, dict]) -> None:
    _xfail(request, result, "faults")
    _, report, truth = result
    codes = {f.code for f in report.faults}
    expected = set(truth["expected_faults"])
    assert expected <= codes, f"missing faults {expected - codes}; raised {codes}"
    if not expected:  # a clean performance: no error-level fault, no partial rep
        bad = {f.code for f in report.faults if f.severity == "error" or f.code == "partial_rep"}
        assert not bad, f"clean clip raised {bad}"


def test_rep_and_hold_sides_follow_the_anatomy(request: pytest.FixtureRequest,
                                               result: tuple[Case, Report, dict]) -> None:
    """The side the engine reports is anatomical whichever way the person faces (a mirror must not swap it)."""
    _xfail(request, result, "sides")
    _, report, truth = result
    sides = {r["side"] for r in truth["reps"]} | {h["side"] for h in truth["holds"]}
    got = {r.side for r in report.reps} | {r.side for r in report.partials} | {h.side for h in report.holds}
    assert got == sides, f"sides {got} != truth {sides}"  # each scripted side, and only those


def _case_ids() -> list[str]:
    return [c.id for c in CASES]


def test_case_ids_unique() -> None:
    assert len(set(_case_ids())) == len(CASES)


def test_clips_land_in_tmp(tmp_path: Path) -> None:
    # generate_clip must honour the output path (the fixture relies on it to keep clips out of the repo).
    out = generate_clip("squat", tmp_path / "s.mp4", fps=10.0, width=160, height=120, reps=1)
    assert out.exists() and truth_path(out).exists()
