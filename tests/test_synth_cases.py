"""The synthetic renderer's failure-class clips (posecheck.synth.cases, issue 12): their truth and their
pictures, checked without MediaPipe.

Truth is built at the real 640x480 / 30 fps without rendering (clip_truth & co.: cheap); the few videos
rendered here are small. What is checked is the renderer's promise to the engine tests: trimmed clips
keep exact, shifted truth with cut flags; per-rep depth/rest/full agree with the exercise files' targets
recomputed from the frames; variants, quick reps, views and start positions are the motion they claim.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from posecheck.exercises import Motion, get_exercise
from posecheck.sources import open_video
from posecheck.synth.cases import CASES, CLASSES, case_truth, render_case, summarize
from posecheck.synth.clip import FIRST_REP_GOING_OUT, LAST_REP_COMING_BACK, RepCut, truth_path
from posecheck.synth.figure import background
from posecheck.synth.front import front_clip_truth
from posecheck.synth.generate import clip_truth, generate_clip
from posecheck.synth.scripts import SCRIPTS
from posecheck.synth.view3d import VIEWS, OrbitSource, view_clip_truth
from posecheck.synth.viewchange import _view_change, view_change_truth

REP_SCRIPTS = ("squat", "lunge", "glute_bridge", "single_leg_raise", "knee_to_chest", "psoas_march", "roll_up")


@functools.cache
def _motion(ex: str) -> Motion:
    return get_exercise(ex).motion


def _drive(frame: dict, ex: str, side: str) -> float:
    """The exercise's [motion] signal from one truth frame, computed here (bare names: mean of both sides)."""
    m = _motion(ex)
    vals = dict(frame)
    for base in ("hip", "knee", "thigh_incline"):
        vals[base] = (frame[f"left_{base}"] + frame[f"right_{base}"]) / 2
    return m.signal.evaluate(vals, "left" if side == "both" else side)


def _span(truth: dict, a: float, b: float) -> list[dict]:
    return [f for f in truth["frames"] if a - 1e-6 <= f["t_s"] <= b + 1e-6]


# --- 1. clip boundaries -------------------------------------------------------------------------


def test_trimmed_clip_has_only_its_frames_and_shifted_truth(tmp_path: Path) -> None:
    full = clip_truth("squat", fps=10.0, width=160, height=120, reps=3)
    clip = generate_clip("squat", tmp_path / "trim.mp4", fps=10.0, width=160, height=120, reps=3, start_s=2.0,
                         end_s=9.0)
    truth = json.loads(truth_path(clip).read_text())
    frames = list(open_video(clip))
    assert len(frames) == len(truth["frames"]) == 71  # 2.0 .. 9.0 s at 10 fps
    assert truth["frames"][0]["t_s"] == 0.0 and abs(frames[-1].t_s - 7.0) < 0.05
    # the first written frame is the script's t = 2.0 s
    assert truth["frames"][0]["left_knee"] == full["frames"][20]["left_knee"]
    assert truth["clip"] == {"start_s": 2.0, "end_s": 9.0, "source_duration_s": full["clip"]["end_s"]}
    r0, r1, r2 = full["reps"]
    t0, t1, t2 = truth["reps"]
    assert t0["start_s"] == round(r0["start_s"] - 2.0, 3) < 0 and t0["cut_start"] and not t0["cut_end"]
    assert t1["peak_s"] == round(r1["peak_s"] - 2.0, 3) and not (t1["cut_start"] or t1["cut_end"])
    assert t2["cut_end"] and t2["seen_s"] == round(9.0 - r2["start_s"], 3)


def test_rep_cuts_land_inside_the_first_and_last_rep() -> None:
    """Begins on the way down of rep 1, ends on the way back up of the last one (knee between rest and bottom)."""
    truth = clip_truth("squat", reps=3, start_s=FIRST_REP_GOING_OUT, end_s=LAST_REP_COMING_BACK)
    f = truth["frames"]
    assert 90 < f[0]["left_knee"] < 170 and f[1]["left_knee"] < f[0]["left_knee"]  # going down
    assert 90 < f[-1]["left_knee"] < 170 and f[-1]["left_knee"] > f[-2]["left_knee"]  # coming up
    first, *_, last = truth["reps"]
    assert first["cut_start"] and first["peak_in_clip"] and not first["cut_end"]
    assert last["cut_end"] and last["peak_in_clip"] and not last["cut_start"]
    assert len(truth["reps"]) == 3


def test_reps_outside_the_window_are_dropped_and_peaks_kept() -> None:
    full = clip_truth("glute_bridge", reps=3, hold_s=2.0)
    after_first = full["reps"][0]["end_s"] + 0.1
    cut = RepCut(1, "back", 0.5)  # after rep 2's top: its peak is before the clip
    truth = clip_truth("glute_bridge", reps=3, hold_s=2.0, start_s=after_first)
    assert len(truth["reps"]) == 2 and len(truth["holds"]) == 2
    truth = clip_truth("glute_bridge", reps=3, hold_s=2.0, start_s=cut)
    assert len(truth["reps"]) == 2
    assert truth["reps"][0]["peak_s"] < 0 and not truth["reps"][0]["peak_in_clip"]
    assert not truth["holds"][0]["cut_start"] or truth["holds"][0]["seen_s"] < truth["holds"][0]["duration_s"]


def test_front_clip_trims_the_same_way() -> None:
    truth = front_clip_truth("squat", reps=3, start_s=FIRST_REP_GOING_OUT, end_s=LAST_REP_COMING_BACK)
    assert [r["cut_start"] for r in truth["reps"]] == [True, False, False]
    assert [r["cut_end"] for r in truth["reps"]] == [False, False, True]


@pytest.mark.parametrize("window", [(5.0, 4.0), (-1.0, 3.0), (0.0, 99.0), (RepCut(0, "out", 1.5), None)])
def test_bad_windows_are_refused(window: tuple) -> None:
    with pytest.raises(ValueError, match=r"clip window .* is not inside|RepCut\.frac must be in"):
        clip_truth("squat", reps=1, start_s=window[0], end_s=window[1])


# --- 2. range of motion ---------------------------------------------------------------------------


@pytest.mark.parametrize("script", REP_SCRIPTS)
def test_depths_give_each_rep_its_depth_and_the_truth_judges_it_by_the_exercise_target(script: str) -> None:
    truth = clip_truth(script, depths=[1.0, 0.4])
    motion = get_exercise(script).motion
    sign = 1 if motion.direction == "up" else -1
    assert [r["depth"] for r in truth["reps"]] == [1.0, 0.4]
    peaks = []
    for r in truth["reps"]:
        # recomputed here from the frames, independently of the renderer's own sampling
        peak = max((_drive(f, script, r["side"]) for f in _span(truth, r["start_s"], r["end_s"])),
                   key=lambda v: sign * v)
        assert abs(peak - r["peak_drive"]) < 1.0
        assert r["full"] == (sign * (r["peak_drive"] - motion.target) >= 0)
        peaks.append(peak)
    assert sign * (peaks[0] - peaks[1]) > 10  # the shallow rep stops well short of the full one
    assert [r["full"] for r in truth["reps"]] == [True, False]  # a full excursion reaches the target, 40 % doesn't


@pytest.mark.parametrize("script", REP_SCRIPTS)
def test_rest_offset_moves_the_persons_own_rest_toward_the_target(script: str) -> None:
    motion = get_exercise(script).motion
    sign = 1 if motion.direction == "up" else -1
    base = clip_truth(script, reps=1)["reps"][0]
    moved = clip_truth(script, reps=1, rest_offset=12.0)
    r = moved["reps"][0]
    assert abs(sign * (r["rest_drive"] - base["rest_drive"]) - 12.0) < 0.5
    assert abs(_drive(moved["frames"][0], script, r["side"]) - r["rest_drive"]) < 0.5  # resting there from frame 0
    assert abs(r["peak_drive"] - base["peak_drive"]) < 0.5  # the same depth


def test_rest_offset_beyond_the_range_is_refused() -> None:
    with pytest.raises(ValueError, match="beyond this motion's range"):
        clip_truth("squat", reps=1, rest_offset=150.0)
    with pytest.raises(ValueError, match="must be >= 0"):
        clip_truth("squat", reps=1, rest_offset=-5.0)


# --- 3. the straight-leg variant ------------------------------------------------------------------


def test_straight_support_leg_lies_straight_and_the_raised_thigh_reaches_45() -> None:
    truth = clip_truth("single_leg_raise", reps=2, hold_s=3.0, support="straight")
    frames = truth["frames"]
    assert min(f["left_knee"] for f in frames) > 170  # the other leg: straight ...
    assert max(abs(f["left_thigh_incline"]) for f in frames) < 5  # ... and on the floor throughout
    assert abs(max(f["right_thigh_incline"] for f in frames) - 45) < 3
    assert [r["side"] for r in truth["reps"]] == ["right", "right"] and "support_knee" in truth["expected_faults"]
    bent = clip_truth("single_leg_raise", reps=1)
    assert max(f["left_knee"] for f in bent["frames"]) < 100  # the default still bends it


# --- 5. quick alternation -------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["knee_to_chest", "psoas_march"])
def test_quick_reps_are_back_to_back_and_never_overlap(script: str) -> None:
    truth = clip_truth(script, reps=6, rep_s=1.0)
    reps = truth["reps"]
    assert [r["side"] for r in reps] == ["right", "left"] * 3
    assert all(abs(r["end_s"] - r["start_s"] - 1.0) < 1e-6 for r in reps)
    assert all(a["end_s"] <= b["start_s"] for a, b in zip(reps, reps[1:], strict=False))
    assert all(r["full"] for r in reps)


def test_hovering_leg_is_off_the_floor_and_slightly_bent() -> None:
    truth = clip_truth("knee_to_chest", reps=4, rep_s=1.0, hover=True)
    floor_ankle_y = truth["frames"][0]["joints"]["right_hip"][1]  # the ankle of a long leg lies at hip height
    for f in truth["frames"]:
        for s in ("left", "right"):
            assert f["joints"][f"{s}_ankle"][1] < floor_ankle_y - 20  # never down on the floor
    rest = truth["frames"][0]
    assert 145 < rest["left_knee"] < 165 and 145 < rest["right_knee"] < 165


# --- 4. view change -------------------------------------------------------------------------------


def test_view_change_truth_runs_front_then_crossfade_then_side() -> None:
    truth = view_change_truth("lunge", front_reps=2, side_reps=2)
    views = [f["view"] for f in truth["frames"]]
    switch = views.index("side")
    assert set(views[:switch]) == {"front"} and set(views[switch:]) == {"side"}
    fade = [f["crossfade"] for f in truth["frames"] if "crossfade" in f]
    assert 7 <= len(fade) <= 10 and fade == sorted(fade) and 0 < fade[0] < fade[-1] < 1  # ~0.3 s at 30 fps
    reps = truth["reps"]
    assert [(r["view"], r["side"]) for r in reps] == [("front", "right"), ("front", "left"), ("side", "right"),
                                                       ("side", "left")]  # the alternation carries on
    side_start = truth["parts"][1]["start_s"]
    assert reps[1]["end_s"] < side_start < reps[2]["start_s"]
    assert "joints3d" in truth["frames"][0] and "joints3d" not in truth["frames"][-1]


def test_crossfade_frames_blend_the_two_cameras() -> None:
    src, _ = _view_change("squat", 1, 1, "right", 0.3, 0.6, 160, 120, 0, None, None)
    t = src.b_at + 0.15
    w = src._weight(t)
    a = src.a.image(t).astype(float)
    b = src.b.image(src._tb(t)).astype(float)
    mixed = src.image(t).astype(float)
    assert abs(w - 0.5) < 1e-6
    assert np.abs(mixed - (a + b) / 2).max() <= 1.0
    assert np.abs(a - b).mean() > 5  # the two cameras really differ


def test_reframed_side_shot_moves_picture_and_truth_joints_together() -> None:
    plain, _ = _view_change("squat", 1, 1, "right", 0.3, 0.6, 160, 120, 0, None, None)
    wide, _ = _view_change("squat", 1, 1, "right", 0.3, 0.6, 160, 120, 0, None, None, 0.75, (0.18, 0.08))
    t = wide.duration_s - 1.0  # in the side part
    for name, p in plain.record(t)["joints"].items():
        want = (np.array(p) - (80, 60)) * 0.75 + (80, 60) + (0.18 * 160, 0.08 * 120)
        assert np.allclose(wide.record(t)["joints"][name], want, atol=0.02), name
    assert plain.record(t)["left_knee"] == wide.record(t)["left_knee"]  # the angles do not change
    assert np.abs(wide.image(t).astype(float) - plain.image(t).astype(float)).mean() > 3
    assert wide.record(1.0) == plain.record(1.0)  # the front part is untouched


# --- 6. 3D views ----------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["feet_end", "oblique"])
def test_lifted_bridge_keeps_the_side_scripts_knees_and_rises(view: str) -> None:
    """The 3D knee angles are the authored ones (legs in sagittal planes); the hips rise off the floor."""
    side = clip_truth("glute_bridge", reps=2, hold_s=2.0)
    truth = view_clip_truth("glute_bridge", view=view, reps=2, hold_s=2.0)
    assert truth["camera"]["yaw_deg"] == VIEWS[view].yaw_deg
    for fs, f3 in zip(side["frames"][::15], truth["frames"][::15], strict=True):
        j = {k: np.array(v) for k, v in fs["joints"].items()}
        hip = (j["left_hip"] + j["right_hip"]) / 2  # the lift keeps one pelvis; the 2D sides sit 3 px apart
        for s in ("left", "right"):
            u, w = hip - j[f"{s}_knee"], j[f"{s}_ankle"] - j[f"{s}_knee"]
            knee = math.degrees(math.acos(u @ w / (np.linalg.norm(u) * np.linalg.norm(w))))
            assert abs(knee - f3[f"{s}_knee"]) < 0.05
    assert [r["full"] for r in truth["reps"]] == [True, True]
    rest = truth["frames"][0]["joints3d"]["left_hip"][1]
    top = min(f["joints3d"]["left_hip"][1] for f in truth["frames"])
    assert rest - top > 0.1 * 0.78 * 480  # the hips rise by more than a tenth of the body height


def test_feet_end_camera_sees_the_feet_nearest_and_draws_the_person_there() -> None:
    sc = SCRIPTS["glute_bridge"](reps=1, hold_s=1.0)
    src = OrbitSource(sc, VIEWS["feet_end"], 320, 240)
    rec = src.record(0.0)
    j = rec["joints"]
    for s in ("left", "right"):
        assert j[f"{s}_ankle"][1] > j[f"{s}_hip"][1] > j[f"{s}_shoulder"][1]  # near the camera = low in the image
    assert j["left_hip"][0] > j["right_hip"][0]  # seen from the feet, the person's left is on image right
    img = src.image(0.0).astype(float)
    empty = background(320, 240, 0, src.floor_y)
    empty = empty.reshape(240, 2, 320, 2, 3).mean(axis=(1, 3))  # the 2x canvas at output size
    for name in ("left_knee", "right_knee", "left_hip", "left_shoulder", "right_ankle"):
        x, y = (int(round(v)) for v in j[name])
        assert np.abs(img[y, x] - empty[y, x]).sum() > 40, name  # the figure is drawn where the truth says


# --- 7. start positions ---------------------------------------------------------------------------


def _in(truth: dict, name: str) -> tuple[list[dict], list[dict]]:
    ph = next(p for p in truth["phases"] if p["name"] == name)
    h = truth["holds"][0]
    assert ph["end_s"] <= h["start_s"] + 1e-6  # the start position is over before the hold begins
    return _span(truth, ph["start_s"] + 0.8, ph["end_s"] - 0.8), _span(truth, h["start_s"] + 0.8, h["end_s"] - 0.8)


@pytest.mark.parametrize("script", ["kneeling_hip_flexor_stretch", "low_lunge"])
def test_upright_kneel_comes_before_the_hips_go_forward(script: str) -> None:
    truth = clip_truth(script, hold_s=4.0, upright_s=3.0)
    back = "right" if script == "kneeling_hip_flexor_stretch" else "left"
    upright, held = _in(truth, "start_position")

    def forward(f: dict) -> float:  # the pelvis ahead of the kneeling knee, in pixels (facing image right)
        return f["joints"][f"{back}_hip"][0] - f["joints"][f"{back}_knee"][0]

    assert all(f[f"{back}_thigh_incline"] < -85 and abs(forward(f)) < 8 for f in upright)  # thigh vertical
    assert all(forward(f) > 20 for f in held)  # hips pushed forward
    assert clip_truth(script, hold_s=4.0)["phases"] == []  # no start position unless asked


def test_lying_psoas_thigh_rests_level_before_it_drops() -> None:
    truth = clip_truth("lying_psoas_stretch", hold_s=4.0, level_s=3.0)
    level, held = _in(truth, "start_position")
    assert all(f["right_thigh_incline"] > 0 for f in level) and all(f["right_thigh_incline"] < -3 for f in held)


def test_warrior_stance_is_straight_legged_before_the_front_knee_bends() -> None:
    truth = clip_truth("warrior_1", hold_s=4.0, stance_s=3.0)
    stance, held = _in(truth, "start_position")
    assert all(f["right_knee"] > 155 and f["left_knee"] > 155 for f in stance)
    assert all(f["right_knee"] < 100 and f["left_knee"] > 155 for f in held)


# --- 8. the cases ---------------------------------------------------------------------------------


def test_every_failure_class_has_cases_with_real_exercises() -> None:
    assert {c.failure_class for c in CASES} == set(CLASSES)
    assert len({c.name for c in CASES}) == len(CASES)
    for c in CASES:
        assert get_exercise(c.analyse_as).id == c.analyse_as


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case_truth_is_what_the_case_declares(case) -> None:
    truth = case_truth(case, fps=10.0)  # at 640x480 (pixel offsets matter); the facts do not depend on the fps
    assert summarize(truth) == case.truth
    if case.failure_class == 8:
        assert truth["exercise"] != case.analyse_as
    if case.failure_class == 5:
        assert all(a["end_s"] <= b["start_s"] for a, b in zip(truth["reps"], truth["reps"][1:], strict=False))


@pytest.mark.parametrize("renderer", ["side", "front", "view3d", "view_change"])
def test_rendered_case_video_matches_its_truth(renderer: str, tmp_path: Path) -> None:
    """One case per renderer, small: the video has exactly the truth's frames, and the truth file is
    the truth-only builder's (so the lead's tests may use either)."""
    case = next(c for c in CASES if c.renderer == renderer)
    clip = render_case(case, tmp_path, fps=10.0, width=160, height=120)
    written = json.loads(truth_path(clip).read_text())
    assert written == json.loads(json.dumps(case_truth(case, fps=10.0, width=160, height=120)))
    frames = list(open_video(clip))
    assert len(frames) == len(written["frames"])
    assert math.isclose(frames[-1].t_s, written["frames"][-1]["t_s"], abs_tol=0.06)
    spread = np.std([f.rgb.astype(float).mean() for f in frames])
    assert np.std(frames[len(frames) // 2].rgb) > 10 and spread < 30  # a picture, not a blank or a flicker
