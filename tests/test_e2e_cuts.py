"""End to end: a clip edited the way real footage is (a cut mid-rep to another shot, a second person in view)
-> real MediaPipe -> the squat counter. None of it may add reps; a cut says so in the report's warnings.

The squat clips are rendered once per run and each edited clip's poses recorded once (the `synth` store,
see synthcache.py); `analyze_track` runs analyze_clip's frame step on them.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from synthcache import Synth, SynthStore

from posecheck import pose as P
from posecheck.exercises import get_exercise
from posecheck.pipeline import analyze_track
from posecheck.posetrack import PoseTrack
from posecheck.report import Report
from posecheck.sources import Frame, open_video
from posecheck.video_out import H264Writer

pytestmark = pytest.mark.e2e

FPS = 20.0
W, H = 480, 360


def _clip(synth: SynthStore, **params) -> tuple[list[Frame], list[dict]]:
    clip = synth.clip(Synth("squat", "right", FPS, W, H, params), poses=False)
    return list(open_video(clip.path)), clip.truth["reps"]


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


def _analyse(synth: SynthStore, clip: Path) -> tuple[Report, PoseTrack]:
    track = synth.recording_of_file(clip).track
    return analyze_track(track, get_exercise("squat"), clip=str(clip), info=open_video(clip).info), track


def _at(frames: list[Frame], t: float) -> int:
    return min(range(len(frames)), key=lambda i: abs(frames[i].t_s - t))


def test_a_cut_mid_rep_adds_no_rep(tmp_path: Path, synth: SynthStore) -> None:
    """Shot A runs into the bottom of its 2nd squat; a cut to shot B (another camera: closer, off to one
    side) comes in at the bottom of B's 1st squat. Down in A + up in B is no rep; B's 2nd squat counts."""
    a, a_reps = _clip(synth, reps=2)
    b, b_reps = a, a_reps  # shot B films the same squats from another camera
    cut_a = _at(a, a_reps[1]["peak_s"])
    cut_b = _at(b, b_reps[0]["peak_s"])
    frames = [f.rgb for f in a[:cut_a]] + [_zoomed(f.rgb, 1.35, 0.18) for f in b[cut_b:]]
    report, _ = _analyse(synth, _write(tmp_path / "cut.mp4", frames))
    cut_s = cut_a / FPS
    assert len(report.reps) == 2, [(r.start_s, r.end_s) for r in report.reps]
    assert report.reps[0].end_s < cut_s < report.reps[1].start_s  # A's first squat, then B's second
    assert not [r for r in report.partials if r.start_s < cut_s < r.end_s]  # nor a partial across the cut
    assert any("jumped" in w for w in report.warnings), report.warnings


def test_a_second_person_in_view_adds_no_rep(tmp_path: Path, synth: SynthStore) -> None:
    """Two people side by side: one squats twice, the other stands still. Whoever MediaPipe follows, the
    count is theirs alone: 2 or 0, never more, never a rep made of both. The squatter beside an empty room
    counts 2, so a 0 here is MediaPipe following the stander, not a counter that stopped."""
    a, a_reps = _clip(synth, reps=2)
    still = _clip(synth, reps=1)[0][0].rgb  # the first frame: standing
    room = synth.clip(Synth("squat", "right", FPS, W, H, {"reps": 1}, out_of_view_s=(0.0, 1.0)), poses=False)
    empty = next(iter(open_video(room.path))).rgb  # nobody in view
    half, quarter = W // 2, W // 4  # each person is the middle half of their own shot

    def beside(other: np.ndarray) -> list[np.ndarray]:
        return [np.concatenate([f.rgb[:, quarter:quarter + half], other[:, quarter:quarter + half]], axis=1)
                for f in a]

    alone, _ = _analyse(synth, _write(tmp_path / "alone.mp4", beside(empty)))
    assert len(alone.reps) == len(a_reps), [(r.start_s, r.end_s) for r in alone.reps]
    report, track = _analyse(synth, _write(tmp_path / "two.mp4", beside(still)))
    assert report.frames_with_pose >= 0.9 * report.frames
    # Whom MediaPipe followed, frame by frame: the squatter is in the left half, the stander in the right.
    hips_x = np.nanmean(track.image_px[:, [P.LEFT_HIP, P.RIGHT_HIP], 0], axis=1)
    on_squatter = track.detected & (hips_x < half)
    on_stander = track.detected & (hips_x >= half)
    reps = [(r.start_s, r.end_s) for r in report.reps]
    if on_squatter.all():
        assert len(report.reps) == len(a_reps), reps
    elif on_stander.all():
        assert not report.reps, reps
    else:  # it switched: no more than the squatter did, each rep while it watched the squatter throughout
        assert len(report.reps) <= len(a_reps), reps
        for r in report.reps:
            span = (track.t_s >= r.start_s) & (track.t_s <= r.end_s)
            assert on_squatter[span].all(), (r.start_s, r.end_s)
