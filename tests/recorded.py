"""Synthetic clips and their MediaPipe poses, recorded once and kept between runs (real MediaPipe the first time).

Poses are cached with `PoseCache` under .pytest_cache/posecheck-poses, keyed by the clip's bytes and the
mediapipe version, so a rerun replays them in milliseconds. `replay_estimator` makes the app's own
`make_estimator` hand out a replay of one clip's poses (the app, the CLI and the Review page then run exactly
the frames MediaPipe saw, without running it again).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from posecheck.pipeline import MAX_SIDE_PX, record_track
from posecheck.posetrack import PoseCache, PoseTrack, ReplayEstimator
from posecheck.synth import generate_clip

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".pytest_cache" / "posecheck-poses"
CLIPS = REPO / ".pytest_cache" / "posecheck-clips"
FPS = 15.0  # half the usual rate: half the MediaPipe work on the first run, and recognition must not care


def synthetic_clip(script: str, facing: str = "right", **params: object) -> Path:
    """A rendered synthetic clip (rendered once; the renderer is deterministic)."""
    extra = "".join(f"_{k}{v}" for k, v in sorted(params.items()))
    path = CLIPS / f"{script}_{facing}{extra}_{FPS:g}fps.mp4"
    if not path.exists():
        generate_clip(script, path, facing=facing, fps=FPS, **params)
    return path


def poses(clip: Path) -> PoseTrack:
    """The clip's poses: real MediaPipe the first time, the cache after."""
    return PoseCache(CACHE).get(clip, lambda: record_track(clip), max_side=MAX_SIDE_PX)


def replay_estimator(monkeypatch: pytest.MonkeyPatch, clip: Path) -> PoseTrack:
    """Every estimator the app makes from now on replays `clip`'s recorded poses."""
    import posecheck.pose as pose_module

    track = poses(clip)
    monkeypatch.setattr(pose_module, "make_estimator", lambda *_a, **_k: ReplayEstimator(track))
    return track
