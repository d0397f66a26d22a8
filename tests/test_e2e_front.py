"""End to end from the FRONT: front-view synthetic squat and lunge -> real MediaPipe -> analyze_clip.

The clips come from posecheck.synth.front (an exact 3D skeleton, projected, so the 2D thighs and knees
foreshorten the way they do when someone squats facing a phone). Each clip is rendered and analysed
once per module with the project's default angle source and the real exercise definition.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from posecheck.exercises import get_exercise
from posecheck.pipeline import DEFAULT_SOURCE, analyze_clip
from posecheck.report import Report
from posecheck.synth.front import FRONT_SCRIPTS, generate_front_clip
from posecheck.synth.generate import truth_path

pytestmark = pytest.mark.e2e

MIN_DETECTED = 0.95
MIN_FRONT_VIEW = 0.8  # share of detected frames whose view reads "front"
PARAMS = {"squat": {"reps": 3}, "lunge": {"reps": 2}}

# Measured 2026-11-24 (30 fps, 640x480, DEFAULT_SOURCE "2d"); remove when the default source counts these.
XFAIL_REPS = {
    "squat": "2d counts 0 of 3: the 2D knees bottom out at 121-124 deg (per-rep min of the knee mean 122-124; truth "
             "80, rule target 105) and are flagged unreliable in 100% of frames (plane_facing < 0.6); 3d and auto "
             "count 3 of 3 (3D knee mean per rep 97-101)",
    "lunge": "0 of 2 with every source: lunge.toml views = side/oblique and the view reads 'front' in 334/334 "
             "frames, so counting pauses; the 2D front thigh_incline peaks at -38 (right) / -69 (left) deg (truth "
             "+1, target -25). With 'front' added to the views, 3d counts right 1 + left 1, 2d and auto 0",
}


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Report, dict]]:
    """Render + analyse each front-view clip once per module (lazily: a -k run only pays for what it uses)."""
    cache: dict[str, tuple[Report, dict]] = {}
    out = tmp_path_factory.mktemp("e2e_front")

    def get(name: str) -> tuple[Report, dict]:
        if name not in cache:
            clip = generate_front_clip(name, out / f"front_{name}.mp4", fps=30.0, width=640, height=480,
                                       **PARAMS[name])
            truth = json.loads(truth_path(clip).read_text())
            cache[name] = (analyze_clip(clip, get_exercise(truth["exercise"]), source=DEFAULT_SOURCE), truth)
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


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=XFAIL_REPS[n]))
                                  if n in XFAIL_REPS else n for n in sorted(FRONT_SCRIPTS)])
def test_rep_counts_exact_default_source(front: Callable[[str], tuple[Report, dict]], name: str) -> None:
    report, truth = front(name)
    want = Counter(r["side"] for r in truth["reps"] if r.get("full", True))
    got = Counter(r.side for r in report.reps)
    assert got == want, f"{DEFAULT_SOURCE}: reps {dict(got)} != truth {dict(want)}"
    assert not report.partials, f"partial reps {[(r.side, r.start_s) for r in report.partials]}"
