"""Synthetic clips for the failure classes of issue 12 ("counts and hold times that are right on real people").

One `SynthCase` per clip: which renderer draws it with which parameters, the exercise to analyse it as,
what its truth says (`truth`, a `summarize()` of the truth JSON at the default 640x480 / 30 fps), and what
the issue asks of the engine on it (`expect`). A test loops over them:

    for case in CASES:
        clip = render_case(case, tmp_path)
        truth = json.loads(truth_path(clip).read_text())
        report = analyze_clip(clip, get_exercise(case.analyse_as))
        ...  # compare with truth["reps"] (side, full, cut_start/cut_end, view), truth["holds"], case.expect

`expect` keys (all optional): count (reps the engine should count: every real excursion, shallow ones
too), shallow (of those, flagged short of the target), cut (reps the report should mark as cut by the
clip's start or end), holds_s (hold durations), cue (a check code the engine must raise), warn ("view":
say loudly that the view cannot be measured if it does not count; "mismatch": the motion does not look
like the chosen exercise), closest (the exercise the motion looks like).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from posecheck.synth.clip import FIRST_REP_GOING_OUT, LAST_REP_COMING_BACK, RepCut
from posecheck.synth.front import front_clip_truth, generate_front_clip
from posecheck.synth.generate import clip_truth, generate_clip
from posecheck.synth.view3d import generate_view_clip, view_clip_truth
from posecheck.synth.viewchange import generate_view_change_clip, view_change_truth

Renderer = Literal["side", "front", "view3d", "view_change"]

CLASSES = {
    1: "clip boundaries", 2: "real range of motion", 3: "common variants", 4: "view change mid-clip",
    5: "quick alternating reps", 6: "unusual camera position", 7: "holds that are not the stretch",
    8: "wrong exercise chosen",
}


@dataclass(frozen=True)
class SynthCase:
    name: str
    failure_class: int  # issue 12's numbering (CLASSES)
    renderer: Renderer
    script: str  # the motion script (side/view3d), front script (front) or exercise (view_change)
    params: dict[str, Any]  # the renderer's keyword arguments (facing, view, start_s/end_s, script params)
    analyse_as: str  # the exercise id to analyse the clip as
    truth: dict[str, Any]  # summarize(truth JSON) at 640x480, 30 fps
    expect: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def _t(reps: int, full: int, sides: dict[str, int], cut_start: int = 0, cut_end: int = 0,
       holds_s: tuple[float, ...] = (), views: dict[str, int] | None = None, start_position_s: float = 0.0) -> dict:
    return {"reps": reps, "full": full, "sides": sides, "cut_start": cut_start, "cut_end": cut_end,
            "holds_s": list(holds_s), "views": views or {}, "start_position_s": start_position_s}


def summarize(truth: dict[str, Any]) -> dict[str, Any]:
    """The facts a case declares, read from a truth JSON."""
    reps = truth["reps"]
    views = Counter(r["view"] for r in reps if "view" in r)
    start = sum(p["end_s"] - p["start_s"] for p in truth.get("phases", []) if p["name"] == "start_position")
    return _t(len(reps), sum(bool(r.get("full", True)) for r in reps), dict(sorted(Counter(r["side"] for r in reps)
                                                                                    .items())),
              sum(bool(r.get("cut_start")) for r in reps), sum(bool(r.get("cut_end")) for r in reps),
              tuple(round(h["duration_s"], 1) for h in truth["holds"]), dict(sorted(views.items())), round(start, 1))


BOTH = "both"
HALF_BACK = RepCut(-1, "back", 0.5)  # the bridge's top reached, lowering when the clip stops
SIDE_SHOT = {"side_zoom": 0.75, "side_shift": (0.18, 0.08)}  # the second camera frames wider, the person off-centre

CASES: list[SynthCase] = [
    # 1. clip boundaries
    SynthCase("squat_starts_mid_rep", 1, "side", "squat", {"reps": 3, "start_s": FIRST_REP_GOING_OUT}, "squat",
              _t(3, 3, {BOTH: 3}, cut_start=1), {"count": 3, "cut": 1},
              "frame 0 is half-way down the first squat"),
    SynthCase("squat_ends_mid_rep", 1, "side", "squat", {"reps": 3, "end_s": LAST_REP_COMING_BACK}, "squat",
              _t(3, 3, {BOTH: 3}, cut_end=1), {"count": 3, "cut": 1},
              "the clip stops half-way up from the last squat's bottom"),
    SynthCase("glute_bridge_cut_both_ends", 1, "side", "glute_bridge",
              {"reps": 3, "hold_s": 2.0, "facing": "left", "start_s": FIRST_REP_GOING_OUT, "end_s": HALF_BACK},
              "glute_bridge", _t(3, 3, {BOTH: 3}, cut_start=1, cut_end=1, holds_s=(2.0, 2.0, 2.0)),
              {"count": 3, "cut": 2}, "starts with the hips on the way up, stops with them on the way down"),
    SynthCase("knee_to_chest_cut_both_ends", 1, "side", "knee_to_chest",
              {"reps": 4, "start_s": FIRST_REP_GOING_OUT, "end_s": LAST_REP_COMING_BACK}, "knee_to_chest",
              _t(4, 4, {"left": 2, "right": 2}, cut_start=1, cut_end=1), {"count": 4, "cut": 2},
              "alternating legs, first and last rep cut"),
    SynthCase("front_squat_cut_both_ends", 1, "front", "squat",
              {"reps": 3, "start_s": FIRST_REP_GOING_OUT, "end_s": LAST_REP_COMING_BACK}, "squat",
              _t(3, 3, {BOTH: 3}, cut_start=1, cut_end=1), {"count": 3, "cut": 2}, "the same from the front"),
    # 2. real range of motion: shallow reps, the person's own rest, foreshortening
    SynthCase("squat_shallow", 2, "side", "squat", {"depths": [1.0, 0.7, 0.5]}, "squat",
              _t(3, 1, {BOTH: 3}), {"count": 3, "shallow": 2}, "bottoms at knee 80, 110, 130 (target 105)"),
    SynthCase("lunge_shallow", 2, "side", "lunge", {"depths": [1.0, 0.5, 0.35, 1.0], "facing": "left"}, "lunge",
              _t(4, 2, {"left": 2, "right": 2}), {"count": 4, "shallow": 2}, "front thigh to -28 and -40 (target -25)"),
    SynthCase("glute_bridge_shallow", 2, "side", "glute_bridge", {"depths": [1.0, 0.7, 0.45], "hold_s": 2.0},
              "glute_bridge", _t(3, 2, {BOTH: 3}, holds_s=(2.0, 2.0, 2.0)), {"count": 3, "shallow": 1},
              "the last bridge stops at hip 154 (target 163)"),
    SynthCase("single_leg_raise_shallow", 2, "side", "single_leg_raise", {"depths": [1.0, 0.7, 0.5], "hold_s": 3.0},
              "single_leg_raise", _t(3, 1, {"right": 3}, holds_s=(3.0,)), {"count": 3, "shallow": 2},
              "raises to 100, 70, 50 % of the bent knee's height"),
    SynthCase("knee_to_chest_shallow", 2, "side", "knee_to_chest", {"depths": [1.0, 0.75, 0.6, 1.0]},
              "knee_to_chest", _t(4, 2, {"left": 2, "right": 2}), {"count": 4, "shallow": 2},
              "hip at 86 and 106 on the short ones (target 85)"),
    SynthCase("psoas_march_shallow", 2, "side", "psoas_march", {"depths": [1.0, 1.0, 0.6, 0.5], "facing": "left"},
              "psoas_march", _t(4, 2, {"left": 2, "right": 2}), {"count": 4, "shallow": 2},
              "thigh lowered to 45 and 58 on the short ones (target 35)"),
    SynthCase("roll_up_shallow", 2, "side", "roll_up", {"depths": [1.0, 0.75, 0.55]}, "roll_up",
              _t(3, 2, {BOTH: 3}), {"count": 3, "shallow": 1}, "the last roll-up stops at hip 114 (target 95)"),
    SynthCase("squat_own_rest", 2, "side", "squat", {"reps": 3, "rest_offset": 15.0}, "squat",
              _t(3, 3, {BOTH: 3}), {"count": 3}, "stands with the knees at 165, not 180"),
    SynthCase("knee_to_chest_own_rest", 2, "side", "knee_to_chest", {"reps": 4, "rest_offset": 20.0},
              "knee_to_chest", _t(4, 4, {"left": 2, "right": 2}), {"count": 4}, "lies with the hips at ~158, not 180"),
    SynthCase("glute_bridge_own_rest", 2, "side", "glute_bridge", {"reps": 3, "hold_s": 2.0, "rest_offset": 15.0},
              "glute_bridge", _t(3, 3, {BOTH: 3}, holds_s=(2.0, 2.0, 2.0)), {"count": 3},
              "rests at hip 149, above the textbook rest line (148)"),
    SynthCase("psoas_march_own_rest", 2, "side", "psoas_march", {"reps": 4, "rest_offset": 20.0}, "psoas_march",
              _t(4, 4, {"left": 2, "right": 2}), {"count": 4}, "rests with the thighs at ~68, past the rest line (70)"),
    SynthCase("lunge_front", 2, "front", "lunge", {"reps": 4}, "lunge", _t(4, 4, {"left": 2, "right": 2}),
              {"count": 4}, "filmed from the front: the thighs foreshorten"),
    # 3. common variants
    SynthCase("single_leg_raise_straight_support", 3, "side", "single_leg_raise",
              {"reps": 2, "hold_s": 3.0, "support": "straight"}, "single_leg_raise",
              _t(2, 2, {"right": 2}, holds_s=(3.0, 3.0)), {"count": 2, "holds_s": [3.0, 3.0], "cue": "support_knee"},
              "the other leg straight on the floor; the raised thigh lifts to 45 deg"),
    # 4. view change
    SynthCase("squat_front_then_side", 4, "view_change", "squat",
              {"front_reps": 2, "side_reps": 2, **SIDE_SHOT}, "squat",
              _t(4, 4, {BOTH: 4}, views={"front": 2, "side": 2}), {"count": 4},
              "2 from the front, crossfade, 2 from the side in a wider shot (the person smaller, off-centre)"),
    SynthCase("lunge_front_then_side", 4, "view_change", "lunge",
              {"front_reps": 2, "side_reps": 2, **SIDE_SHOT}, "lunge",
              _t(4, 4, {"left": 2, "right": 2}, views={"front": 2, "side": 2}), {"count": 4},
              "2 from the front, crossfade, 2 from the side in a wider shot"),
    SynthCase("squat_front_then_side_same_framing", 4, "view_change", "squat", {"front_reps": 2, "side_reps": 2},
              "squat", _t(4, 4, {BOTH: 4}, views={"front": 2, "side": 2}), {"count": 4},
              "the same with both cameras framing the person alike"),
    # 5. quick alternating reps
    SynthCase("knee_to_chest_quick_hover", 5, "side", "knee_to_chest", {"reps": 8, "rep_s": 1.0, "hover": True},
              "knee_to_chest", _t(8, 8, {"left": 4, "right": 4}), {"count": 8},
              "1 s knee hugs back to back, the other leg hovering (knee bent 25, foot off the floor)"),
    SynthCase("psoas_march_quick", 5, "side", "psoas_march", {"reps": 8, "rep_s": 1.0, "facing": "left"},
              "psoas_march", _t(8, 8, {"left": 4, "right": 4}), {"count": 8}, "1 s marching steps back to back"),
    # 6. unusual camera positions
    SynthCase("glute_bridge_feet_end", 6, "view3d", "glute_bridge", {"view": "feet_end", "reps": 3, "hold_s": 2.0},
              "glute_bridge", _t(3, 3, {BOTH: 3}, holds_s=(2.0, 2.0, 2.0)), {"count": 3, "warn": "view"},
              "camera beyond the feet, 32 deg above; count, or say loudly the view can't be measured"),
    SynthCase("glute_bridge_oblique", 6, "view3d", "glute_bridge", {"view": "oblique", "reps": 3, "hold_s": 2.0},
              "glute_bridge", _t(3, 3, {BOTH: 3}, holds_s=(2.0, 2.0, 2.0)), {"count": 3},
              "camera at 45 deg from the feet-right, 15 deg above"),
    # 7. holds that are not the stretch
    SynthCase("kneeling_stretch_upright_start", 7, "side", "kneeling_hip_flexor_stretch",
              {"hold_s": 5.0, "upright_s": 3.0}, "kneeling_hip_flexor_stretch",
              _t(0, 0, {}, holds_s=(5.0,), start_position_s=4.0), {"holds_s": [5.0]},
              "3 s kneeling upright (hips not forward) before the 5 s push: the hold is the push only"),
    SynthCase("low_lunge_upright_start", 7, "side", "low_lunge", {"hold_s": 5.0, "upright_s": 3.0}, "low_lunge",
              _t(0, 0, {}, holds_s=(5.0,), start_position_s=4.0), {"holds_s": [5.0]},
              "3 s kneeling upright before sinking (over 2 s) into the lunge"),
    SynthCase("lying_psoas_level_start", 7, "side", "lying_psoas_stretch", {"hold_s": 5.0, "level_s": 3.0},
              "lying_psoas_stretch", _t(0, 0, {}, holds_s=(6.0,), start_position_s=4.0), {"holds_s": [6.0]},
              "3 s with the thigh level on the bench before it drops below the hip line"),
    SynthCase("warrior_1_stance_start", 7, "side", "warrior_1", {"hold_s": 5.0, "stance_s": 3.0, "facing": "left"},
              "warrior_1", _t(0, 0, {}, holds_s=(5.0,), start_position_s=3.8), {"holds_s": [5.0]},
              "3 s in a straight-legged wide stance, arms down, before bending into the pose"),
    # 8. the wrong exercise chosen
    SynthCase("squat_as_glute_bridge", 8, "side", "squat", {"reps": 3}, "glute_bridge", _t(3, 3, {BOTH: 3}),
              {"warn": "mismatch", "closest": "squat"}, "standing squats analysed as a lying bridge"),
    SynthCase("glute_bridge_as_warrior_1", 8, "side", "glute_bridge", {"reps": 2, "hold_s": 3.0}, "warrior_1",
              _t(2, 2, {BOTH: 2}, holds_s=(3.0, 3.0)), {"warn": "mismatch", "closest": "glute_bridge"},
              "lying bridges analysed as a standing yoga hold (no bounce alert either)"),
]

CASES_BY_NAME = {c.name: c for c in CASES}


def render_case(case: SynthCase, out_dir: str | Path, fps: float = 30.0, width: int = 640, height: int = 480,
                seed: int = 0) -> Path:
    """Render a case to out_dir/<name>.mp4 (+ .truth.json) and return the clip's path."""
    out = Path(out_dir) / f"{case.name}.mp4"
    if case.renderer == "side":
        return generate_clip(case.script, out, fps=fps, width=width, height=height, seed=seed, **case.params)
    if case.renderer == "front":
        return generate_front_clip(case.script, out, fps=fps, width=width, height=height, seed=seed, **case.params)
    if case.renderer == "view3d":
        return generate_view_clip(case.script, out, fps=fps, width=width, height=height, seed=seed, **case.params)
    return generate_view_change_clip(case.script, out, fps=fps, width=width, height=height, seed=seed, **case.params)


def case_truth(case: SynthCase, fps: float = 30.0, width: int = 640, height: int = 480) -> dict[str, Any]:
    """The truth render_case writes, without rendering (fast; front cases render nothing either)."""
    if case.renderer == "side":
        return clip_truth(case.script, fps=fps, width=width, height=height, **case.params)
    if case.renderer == "front":
        return front_clip_truth(case.script, fps=fps, width=width, height=height, **case.params)
    if case.renderer == "view3d":
        return view_clip_truth(case.script, fps=fps, width=width, height=height, **case.params)
    return view_change_truth(case.script, fps=fps, width=width, height=height, **case.params)
