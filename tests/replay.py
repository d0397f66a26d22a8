"""Recorded poses for the page tests: a clip's real MediaPipe poses, recorded once and replayed.

MediaPipe 0.10.21 is bit-identical from run to run, so a clip's poses are kept on disk (keyed by the clip's
bytes and the MediaPipe version, see posecheck.posetrack.PoseCache) and replayed wherever the app builds an
estimator: `use_track` swaps `pose.make_estimator` (the Review page and the CLI call it), `Camera` stands in
for the webcam behind a LiveSession (`estimator_factory=`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posecheck import pose as pose_module
from posecheck.pipeline import record_track
from posecheck.pose import PoseFrame
from posecheck.posetrack import PoseCache, PoseTrack, ReplayEstimator

REPO = Path(__file__).resolve().parents[1]
CACHE = PoseCache(REPO / ".pytest_cache" / "posecheck-poses")


def track_of(clip: Path) -> PoseTrack:
    """The clip's poses as the app sees them (same scaling), from the cache or recorded now."""
    return CACHE.get(clip, lambda: record_track(clip), max_side=1280)


def synth_track(folder: Path, script: str, name: str, **params: object) -> tuple[Path, PoseTrack]:
    """Render a synthetic clip (with its .truth.json) and its recorded poses."""
    from posecheck.synth import generate_clip

    clip = Path(generate_clip(script, folder / f"{name}.mp4", **params))  # type: ignore[arg-type]
    return clip, track_of(clip)


def use_track(monkeypatch: pytest.MonkeyPatch, track: PoseTrack) -> None:
    """Every estimator the app builds from now on replays `track` (a fresh replay each time)."""
    monkeypatch.setattr(pose_module, "make_estimator", lambda _model_path=None: ReplayEstimator(track))


class Camera:
    """A LiveSession's estimator that plays whichever recorded track the test puts in front of it.

    `play(session, track, origin)` feeds the session every `step`-th frame of the track with the frame's own
    time (plus `origin`), as the WebRTC worker does, calling `between()` every `chunk` frames (a page rerun).
    """

    def __init__(self) -> None:
        self.track: PoseTrack | None = None
        self.i = 0

    def factory(self) -> Camera:
        return self

    def process(self, _rgb: np.ndarray | None, t_s: float) -> PoseFrame:
        assert self.track is not None
        f = self.track.frame(min(self.i, len(self.track) - 1))
        self.i += 1
        return PoseFrame(t_s, f.width, f.height, f.image_px, f.world_m, f.visibility)

    def close(self) -> None:
        pass

    def play(self, session: object, track: PoseTrack, origin: float, between: object = None, step: int = 2,
             chunk: int = 10, stop_s: float | None = None) -> None:
        blank = np.zeros((track.height, track.width, 3), np.uint8)
        self.track = track
        for n, i in enumerate(range(0, len(track), step)):
            t = float(track.t_s[i])
            if stop_s is not None and t > stop_s:
                break
            self.i = i
            session.process(blank, origin + t)  # type: ignore[attr-defined]
            if between is not None and n % chunk == chunk - 1 and between():  # type: ignore[operator]
                return
        if between is not None:
            between()  # type: ignore[operator]
