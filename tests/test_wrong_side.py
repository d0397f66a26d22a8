"""A set for one side (a routine's left-leg set) and the person working the other: "That's your right leg: this
set is for the left" within ~2 s of the other side's first rep (or of settling in the hold), and never while
the set's own side works or rests, nor from the support leg. Engine-level on plain angle series, then end to end
on a sample clip's recorded poses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from replay import REPO, track_of

from posecheck.engine import Tracker
from posecheck.engine.tracker import SideChoice
from posecheck.exercises import Exercise, get_exercise
from posecheck.kinematics import SIGNALS, Kinematics
from posecheck.records import TrackerState

FPS = 30.0

OTHER = {"left": "right", "right": "left"}
WRONG = "That's your"
LIMIT_S = 2.0  # the cue must come this soon after the other side's first rep motion (or hold) starts


def kin(t: float, **angles: float) -> Kinematics:
    values = {n: float("nan") for n in SIGNALS} | angles
    return Kinematics(t, True, values, {n: bool(np.isfinite(v)) for n, v in values.items()}, "side")


def _run(ex: Exercise, side: str, frames: list[dict[str, float]]) -> tuple[Tracker, list[TrackerState]]:
    tr = Tracker(ex, "left" if side == "left" else "right")
    states = [tr.update(kin(i / FPS, **f)) for i, f in enumerate(frames)]
    tr.finish()
    return tr, states


def _cue_times(states: list[TrackerState]) -> list[float]:
    return [s.t_s for s in states if s.status and s.status.startswith(WRONG)]


def _series(*parts: tuple[float, float, float]) -> list[float]:
    """Piecewise-linear: (from, to, seconds) segments, FPS samples each."""
    out: list[float] = []
    for a, b, secs in parts:
        out += list(np.linspace(a, b, round(secs * FPS), endpoint=False))
    return out


def _jitter(values: list[float], seed: int, amp: float = 0.8) -> list[float]:
    rng = np.random.default_rng(seed)
    return [v + float(rng.uniform(-amp, amp)) for v in values]


# --- single-leg raise (reps_hold, per side) -------------------------------------------------------

RAISE_START_S = 2.0  # after the setup below: rest, then the first raise


def raise_frames(raised: str, reps: int = 2, from_flat: bool = False) -> list[dict[str, float]]:
    """Lying, the support knee bent (foot flat), the other leg straight, raised to the bent knee's height and held
    5 s, `reps` times. `from_flat`: the person starts with both legs straight on the floor and first bends the
    support knee (getting into position, 1.5 s) and rests, so the raise starts 2 s after that."""
    support = OTHER[raised]
    thigh = _series((-2, -2, RAISE_START_S), *[(-2, 44, 1.5), (44, 44, 5.0), (44, -2, 1.5), (-2, -2, 2.0)] * reps)
    s_thigh, s_knee = [46.0] * len(thigh), [75.0] * len(thigh)
    if from_flat:
        bend_t, bend_k = _series((-2, -2, 1.0), (-2, 46, 1.5)), _series((178, 178, 1.0), (178, 75, 1.5))
        s_thigh, s_knee = bend_t + s_thigh, bend_k + s_knee
        thigh = [-2.0] * len(bend_t) + thigh
    n = len(thigh)
    return [{f"{raised}_thigh_incline": th, f"{raised}_knee": k, f"{support}_thigh_incline": st,
             f"{support}_knee": sk, "trunk_incline": 90.0}
            for th, k, st, sk in zip(_jitter(thigh, 1), _jitter([178.0] * n, 2), _jitter(s_thigh, 3),
                                     _jitter(s_knee, 4), strict=True)]


@pytest.mark.parametrize("from_flat", [False, True])
@pytest.mark.parametrize("raised", ["left", "right"])
def test_raising_the_other_leg_is_told_within_two_seconds(raised: str, from_flat: bool) -> None:
    set_side = OTHER[raised]
    tr, states = _run(get_exercise("single_leg_raise"), set_side, raise_frames(raised, from_flat=from_flat))
    start = RAISE_START_S + (2.5 if from_flat else 0.0)
    cues = _cue_times(states)
    assert cues, "no wrong-side cue at all"
    assert start < cues[0] <= start + LIMIT_S, (start, cues[0])  # not while resting or bending the support knee
    said = {s.status for s in states if s.status and s.status.startswith(WRONG)}
    assert said == {f"That's your {raised} leg: this set is for the {set_side}"}
    assert not [r for r in tr.reps if r.side == raised]  # told, never counted


@pytest.mark.parametrize("from_flat", [False, True])
@pytest.mark.parametrize("raised", ["left", "right"])
def test_the_sets_own_leg_never_hears_the_wrong_side_cue(raised: str, from_flat: bool) -> None:
    """Neither during its reps nor in the rests between them (the bent support leg is no rep of the other side)."""
    tr, states = _run(get_exercise("single_leg_raise"), raised, raise_frames(raised, from_flat=from_flat))
    assert _cue_times(states) == []
    assert [r.side for r in tr.reps] == [raised, raised]


# --- a plain reps exercise done per side (the lunge, as a one-side set) ----------------------------

LUNGE_START_S = 2.0


def lunge_frames(front: str, reps: int = 3) -> list[dict[str, float]]:
    """Standing, then lunges forward with `front`: its thigh rises toward horizontal, both knees bend."""
    back = OTHER[front]
    cycle = [(-88, -20, 1.0), (-20, -20, 0.4), (-20, -88, 1.0), (-88, -88, 1.0)]
    thigh = _series((-88, -88, LUNGE_START_S), *cycle * reps)
    bend = [(175, 90, 1.0), (90, 90, 0.4), (90, 175, 1.0), (175, 175, 1.0)]
    knee = _series((175, 175, LUNGE_START_S), *bend * reps)
    back_thigh = _series((-88, -88, LUNGE_START_S), *[(-88, -80, 1.0), (-80, -80, 0.4), (-80, -88, 1.0),
                                                       (-88, -88, 1.0)] * reps)
    return [{f"{front}_thigh_incline": th, f"{front}_knee": k, f"{back}_thigh_incline": bt, f"{back}_knee": k,
             "trunk_incline": 5.0}
            for th, k, bt in zip(_jitter(thigh, 5), _jitter(knee, 6), _jitter(back_thigh, 7), strict=True)]


def per_side_lunge() -> Exercise:
    return dataclasses.replace(get_exercise("lunge"), sides="per_side")


@pytest.mark.parametrize("front", ["left", "right"])
def test_a_rep_of_the_other_side_is_told_within_two_seconds(front: str) -> None:
    tr, states = _run(per_side_lunge(), OTHER[front], lunge_frames(front))
    cues = _cue_times(states)
    assert cues and LUNGE_START_S < cues[0] <= LUNGE_START_S + LIMIT_S, cues[:1]
    assert len(tr.reps) == 0


@pytest.mark.parametrize("front", ["left", "right"])
def test_reps_of_the_sets_side_hear_no_wrong_side_cue(front: str) -> None:
    tr, states = _run(per_side_lunge(), front, lunge_frames(front))
    assert _cue_times(states) == []
    assert len(tr.reps) == 3


# --- a hold (per side) -----------------------------------------------------------------------------

KNEEL_AT_S = 3.0  # in position from here


def kneel_frames(kneeling: str) -> list[dict[str, float]]:
    """Standing 2 s, 1 s into the half-kneel (`kneeling` leg's knee on the floor, the other foot forward), held."""
    front = OTHER[kneeling]
    stand, move, hold = 2.0, KNEEL_AT_S - 2.0, 8.0
    series = {
        f"{front}_knee": _series((175, 175, stand), (175, 90, move), (90, 90, hold)),
        f"{front}_thigh_incline": _series((-88, -88, stand), (-88, -5, move), (-5, -5, hold)),
        f"{kneeling}_knee": _series((175, 175, stand), (175, 90, move), (90, 90, hold)),
        f"{kneeling}_thigh_incline": _series((-88, -88, stand), (-88, -70, move), (-70, -70, hold)),
        "trunk_incline": [5.0] * round((stand + move + hold) * FPS),
    }
    cols = {k: _jitter(v, i, 0.5) for i, (k, v) in enumerate(series.items())}
    return [dict(zip(cols, row, strict=True)) for row in zip(*cols.values(), strict=True)]


@pytest.mark.parametrize("kneeling", ["left", "right"])
def test_holding_the_other_side_is_told_within_two_seconds(kneeling: str) -> None:
    tr, states = _run(get_exercise("kneeling_hip_flexor_stretch"), OTHER[kneeling], kneel_frames(kneeling))
    cues = _cue_times(states)
    assert cues and KNEEL_AT_S - 0.5 < cues[0] <= KNEEL_AT_S + LIMIT_S, cues[:1]
    assert states[-1].status == f"That's your {kneeling} leg: this set is for the {OTHER[kneeling]}"
    assert tr.holds == [] and states[-1].hold_s is None  # told, never timed


@pytest.mark.parametrize("kneeling", ["left", "right"])
def test_holding_the_sets_side_hears_no_wrong_side_cue(kneeling: str) -> None:
    tr, states = _run(get_exercise("kneeling_hip_flexor_stretch"), kneeling, kneel_frames(kneeling))
    assert _cue_times(states) == []
    assert [h.side for h in tr.holds] == [kneeling] and tr.holds[0].duration_s > 6.0


# --- end to end: the single-leg-raise sample's recorded poses (right leg raised, 2 reps) ---------------

SAMPLE = REPO / "samples" / "single_leg_raise.mp4"


def _replay(side: SideChoice) -> list[TrackerState]:
    from posecheck.pipeline import AnglePipeline, FrameStep
    from posecheck.posetrack import ReplayEstimator
    from posecheck.sources import Frame

    track = track_of(SAMPLE)
    step = FrameStep(AnglePipeline(estimator=ReplayEstimator(track)), get_exercise("single_leg_raise"), side)
    blank = np.zeros((track.height, track.width, 3), np.uint8)
    return [step(Frame(float(t), blank, i)).state for i, t in enumerate(track.t_s)]


def _truth_reps() -> list[dict[str, float]]:
    import json

    return json.loads(SAMPLE.with_suffix(".truth.json").read_text())["reps"]


@pytest.mark.parametrize(("side", "check"), [
    ("left", lambda cues, reps: bool(cues) and reps[0]["start_s"] < cues[0] <= reps[0]["start_s"] + LIMIT_S),
    ("right", lambda cues, _reps: cues == []),
])
def test_sample_clip_set_for_either_side(side: SideChoice, check: Callable[[list[float], list[dict]], bool]) -> None:
    """The sample raises the right leg twice: a left set is told within 2 s of the first raise (and counts
    nothing), a right set counts both and is never told, in its reps or the rests between them."""
    states = _replay(side)
    cues = _cue_times(states)
    assert check(cues, _truth_reps()), (cues[:3], len(cues))
    assert states[-1].reps_total == (2 if side == "right" else 0)
