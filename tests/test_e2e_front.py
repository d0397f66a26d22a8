"""End to end from the FRONT: front-view synthetic squat and lunge -> real MediaPipe -> analyze_clip.

The clips come from posecheck.synth.front (an exact 3D skeleton, projected, so the 2D thighs and knees
foreshorten the way they do when someone squats facing a phone). Each clip is rendered and its poses
recorded once per run (the `synth` store, see synthcache.py), then analysed by `analyze_track` with the
project's default angle source and the real exercise definition.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from synthcache import Synth, SynthStore

from posecheck.exercises import get_exercise
from posecheck.pipeline import DEFAULT_SOURCE, analyze_track
from posecheck.report import Report
from posecheck.synth.front import FRONT_SCRIPTS, generate_front_clip
from posecheck.synth.generate import truth_path

pytestmark = pytest.mark.e2e

MIN_DETECTED = 0.95
MIN_FRONT_VIEW = 0.8  # share of detected frames whose view reads "front"
PARAMS = {"squat": {"reps": 3}, "lunge": {"reps": 2}}



@pytest.fixture(scope="module")
def front(synth: SynthStore) -> Callable[[str], tuple[Report, dict]]:
    """Render + analyse each front-view clip once per module (lazily: a -k run only pays for what it uses)."""
    cache: dict[str, tuple[Report, dict]] = {}

    def get(name: str) -> tuple[Report, dict]:
        if name not in cache:
            clip = synth.clip(Synth(name, fps=30.0, width=640, height=480, params=PARAMS[name], front=True))
            report = analyze_track(clip.track, get_exercise(clip.truth["exercise"]), source=DEFAULT_SOURCE,
                                   clip=str(clip.path), info=clip.info)
            cache[name] = (report, clip.truth)
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(FRONT_SCRIPTS))
def test_truth_is_a_real_front_view_motion(name: str, tmp_path: Path) -> None:
    """Cheap check of the renderer's truth (no MediaPipe): deep enough in 3D, foreshortened in 2D."""
    clip = generate_front_clip(name, tmp_path / f"{name}.mp4", fps=10.0, width=320, height=240, **PARAMS[name])
    truth = json.loads(truth_path(clip).read_text())
    assert truth["view"] == "front" and truth["exercise"] == name
    assert len(truth["reps"]) == PARAMS[name]["reps"]
    frames = truth["frames"]
    min_knee = min(min(f["left_knee"], f["right_knee"]) for f in frames)
    assert min_knee < 95  # squat ~80, lunge front ~87 / back ~62

    def knee_2d(f: dict, s: str) -> float:
        h, k, a = (np.array(f["joints"][f"{s}_{n}"]) for n in ("hip", "knee", "ankle"))
        u, w = h - k, a - k
        return math.degrees(math.acos(np.clip(u @ w / (np.linalg.norm(u) * np.linalg.norm(w)), -1, 1)))

    deepest = min(frames, key=lambda f: f["left_knee"] + f["right_knee"])
    # the projection foreshortens: the image knee angle is much straighter than the true one
    assert min(knee_2d(deepest, s) for s in ("left", "right")) > min_knee + 20


@pytest.mark.parametrize("name", sorted(FRONT_SCRIPTS))
def test_person_detected(front: Callable[[str], tuple[Report, dict]], name: str) -> None:
    report, truth = front(name)
    assert report.frames == len(truth["frames"])
    assert report.frames_with_pose >= MIN_DETECTED * report.frames


@pytest.mark.parametrize("name", sorted(FRONT_SCRIPTS))
def test_view_reads_front(front: Callable[[str], tuple[Report, dict]], name: str) -> None:
    report, _ = front(name)
    assert report.views_seen.get("front", 0) >= MIN_FRONT_VIEW * report.frames_with_pose, report.views_seen


@pytest.mark.parametrize("name", sorted(FRONT_SCRIPTS))
def test_rep_counts_exact_default_source(front: Callable[[str], tuple[Report, dict]], name: str) -> None:
    report, truth = front(name)
    want = Counter(r["side"] for r in truth["reps"] if r.get("full", True))
    got = Counter(r.side for r in report.reps)
    assert got == want, f"{DEFAULT_SOURCE}: reps {dict(got)} != truth {dict(want)}"
    assert not report.partials, f"partial reps {[(r.side, r.start_s) for r in report.partials]}"


def test_side_only_exercise_filmed_from_the_front_says_so(synth: SynthStore) -> None:
    """A front-view lunge analysed as the low lunge (an upright hold checked side/oblique only): the first warning
    says it was filmed from the front and that nothing could be counted; no hold timed."""
    clip = synth.clip(Synth("lunge", fps=15.0, width=480, height=360, params={"reps": 2}, front=True))
    ex = get_exercise("low_lunge")
    assert "front" not in ex.views and ex.posture == "upright"
    report = analyze_track(clip.track, ex, clip=str(clip.path), info=clip.info)
    first = report.warnings[0] if report.warnings else ""
    assert "from the front" in first and "nothing could be counted" in first, report.warnings
    assert not report.reps and not [h for h in report.holds if h.ok]
