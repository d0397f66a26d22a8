"""End to end: a clip edited the way real footage is (a cut mid-rep to another shot, a second person in view)
-> real MediaPipe -> the squat counter. None of it may add reps; a cut says so in the report's warnings."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck.exercises import get_exercise
from posecheck.pipeline import analyze_clip
from posecheck.sources import Frame, open_video
from posecheck.synth import generate_clip
from posecheck.synth.generate import truth_path
from posecheck.video_out import H264Writer

pytestmark = pytest.mark.e2e

FPS = 20.0
W, H = 480, 360


def _clip(tmp: Path, name: str, **params) -> tuple[list[Frame], list[dict]]:
    path = generate_clip("squat", tmp / f"{name}.mp4", fps=FPS, width=W, height=H, **params)
    return list(open_video(path)), json.loads(truth_path(path).read_text())["reps"]


def _zoomed(rgb: np.ndarray, zoom: float, shift_x: float) -> np.ndarray:
    """Another camera: the picture scaled by `zoom` about its centre and moved sideways by `shift_x` widths."""
    m = cv2.getRotationMatrix2D((W / 2, H / 2), 0, zoom)
    m[0, 2] += shift_x * W
    return cv2.warpAffine(rgb, m, (W, H), borderMode=cv2.BORDER_REPLICATE)


def _write(path: Path, frames: list[np.ndarray]) -> Path:
    with H264Writer(path, FPS, W, H, crf=26) as w:
        for i, rgb in enumerate(frames):
            w.write(rgb, t_s=i / FPS, rgb=True)
    return path


def _at(frames: list[Frame], t: float) -> int:
    return min(range(len(frames)), key=lambda i: abs(frames[i].t_s - t))


def test_a_cut_mid_rep_adds_no_rep(tmp_path: Path) -> None:
    """Shot A runs into the bottom of its 2nd squat; a cut to shot B (another camera: closer, off to one
    side) comes in at the bottom of B's 1st squat. Down in A + up in B is no rep; B's 2nd squat counts."""
    a, a_reps = _clip(tmp_path, "a", reps=2)
    b, b_reps = _clip(tmp_path, "b", reps=2)
    cut_a = _at(a, a_reps[1]["peak_s"])
    cut_b = _at(b, b_reps[0]["peak_s"])
    frames = [f.rgb for f in a[:cut_a]] + [_zoomed(f.rgb, 1.35, 0.18) for f in b[cut_b:]]
    clip = _write(tmp_path / "cut.mp4", frames)
    report = analyze_clip(clip, get_exercise("squat"))
    cut_s = cut_a / FPS
    assert len(report.reps) == 2, [(r.start_s, r.end_s) for r in report.reps]
    assert report.reps[0].end_s < cut_s < report.reps[1].start_s  # A's first squat, then B's second
    assert not [r for r in report.partials if r.start_s < cut_s < r.end_s]  # nor a partial across the cut
    assert any("jumped" in w for w in report.warnings), report.warnings


def test_a_second_person_in_view_adds_no_rep(tmp_path: Path) -> None:
    """Two people side by side: one squats twice, the other stands still. Whoever MediaPipe follows, the
    count is theirs alone: 2 or 0, never more, never a rep made of both."""
    a, a_reps = _clip(tmp_path, "squatter", reps=2)
    still = _clip(tmp_path, "stander", reps=1)[0][0].rgb  # the first frame: standing
    half, quarter = W // 2, W // 4  # each person is the middle half of their own shot
    frames = [np.concatenate([f.rgb[:, quarter:quarter + half], still[:, quarter:quarter + half]], axis=1)
              for f in a]
    clip = _write(tmp_path / "two.mp4", frames)
    report = analyze_clip(clip, get_exercise("squat"))
    assert report.frames_with_pose >= 0.9 * report.frames
    assert len(report.reps) in (0, len(a_reps)), [(r.start_s, r.end_s) for r in report.reps]
