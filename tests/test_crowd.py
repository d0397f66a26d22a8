"""The second-person check: its rules with a stand-in detector (fast), then real MediaPipe on synthetic
clips with two figures side by side (warns) and with one (never warns)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from posecheck.crowd import Box, SecondPersonCheck, blank_out, body_box
from posecheck.pipeline import AnglePipeline
from posecheck.pose import NUM_LANDMARKS, PoseFrame
from posecheck.sources import open_video
from posecheck.synth import generate_clip
from posecheck.video_out import H264Writer

W, H, FPS = 480, 360, 20.0


def person(x0: float, y0: float, x1: float, y1: float, seen: int = NUM_LANDMARKS) -> PoseFrame:
    """A pose whose landmarks span the box, `seen` of them visible."""
    rng = np.random.default_rng(0)
    px = np.column_stack([rng.uniform(x0, x1, NUM_LANDMARKS), rng.uniform(y0, y1, NUM_LANDMARKS),
                          np.zeros(NUM_LANDMARKS)])
    px[0, :2], px[1, :2] = (x0, y0), (x1, y1)
    vis = np.where(np.arange(NUM_LANDMARKS) < seen, 0.9, 0.1)
    return PoseFrame(0.0, W, H, px, None, vis)


class StandIn:
    """A detector that 'finds' what it is told, and records the images it was shown."""

    def __init__(self, finds: PoseFrame) -> None:
        self.finds, self.shown = finds, []

    def process(self, rgb: np.ndarray, _t_s: float) -> PoseFrame:
        self.shown.append(rgb)
        return self.finds

    def close(self) -> None:
        pass


TRACKED = person(40, 40, 200, 340)
FRAME = np.full((H, W, 3), 200, np.uint8)


def run(check: SecondPersonCheck, seconds: float, pose: PoseFrame = TRACKED) -> list[str]:
    return [m for i in range(int(seconds * FPS)) if (m := check.update(FRAME, pose, i / FPS))]


def test_a_body_beside_the_tracked_person_warns_once_after_two_checks():
    det = StandIn(person(300, 50, 440, 330))
    check = SecondPersonCheck(detector=det)
    msgs = run(check, 5.0)
    assert len(msgs) == 1 and msgs[0].startswith("A second person is in view (from 0 s)")
    assert check.warning == msgs[0] and check.checks == 2  # confirmed at the second check, then no more work


@pytest.mark.parametrize(("found", "why"), [
    (person(60, 60, 190, 330), "the tracked person again"),
    (person(300, 300, 340, 340), "too small to be a person"),
    (person(300, 50, 440, 330, seen=5), "too little of a body"),
    (PoseFrame(0.0, W, H), "nobody"),
])
def test_no_warning_for(found: PoseFrame, why: str):
    check = SecondPersonCheck(detector=StandIn(found))
    assert run(check, 5.0) == [], why
    assert check.checks == 5  # once a second


def test_the_tracked_person_is_blanked_out_and_nothing_runs_without_one():
    det = StandIn(PoseFrame(0.0, W, H))
    check = SecondPersonCheck(detector=det)
    assert run(check, 3.0, PoseFrame(0.0, W, H)) == [] and det.shown == []
    img = np.random.default_rng(1).integers(0, 255, (H, W, 3), dtype=np.uint8)
    check.update(img, TRACKED, 0.0)
    shown = det.shown[0]
    inside = shown[60:320, 50:190]
    assert (inside == inside[0, 0]).all()  # one flat colour where the tracked person was
    assert np.array_equal(shown[:, 260:], img[:, 260:])  # the rest untouched


def test_box_helpers():
    box = body_box(TRACKED)
    assert box == Box(40, 40, 200, 340)
    assert box.grown(0.5, W, H) == Box(0, 0, 280, 360)
    assert Box(0, 0, 10, 10).overlap_of(Box(5, 0, 15, 10)) == 0.5
    out = blank_out(FRAME, Box(0, 0, 5, 5))
    assert out is not FRAME and out.shape == FRAME.shape


# --- real MediaPipe on synthetic people ------------------------------------------------------------


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One figure squatting, and the same beside a second figure standing (as in test_e2e_cuts)."""
    tmp = tmp_path_factory.mktemp("crowd")
    one = generate_clip("squat", tmp / "one.mp4", fps=FPS, width=W, height=H, reps=2)
    squat = list(open_video(one))
    still = next(iter(open_video(generate_clip("squat", tmp / "b.mp4", fps=FPS, width=W, height=H, reps=1)))).rgb
    half, quarter = W // 2, W // 4
    two = tmp / "two.mp4"
    with H264Writer(two, FPS, W, H, crf=26) as w:
        for i, f in enumerate(squat):
            w.write(np.concatenate([f.rgb[:, quarter:quarter + half], still[:, quarter:quarter + half]], axis=1),
                    t_s=i / FPS, rgb=True)
    return {"one": one, "two": two}


def _checked(path: Path) -> tuple[SecondPersonCheck, float, float]:
    """Run the pose pipeline and the check over a clip: (check, pipeline seconds, check seconds)."""
    pipe_s = check_s = 0.0
    with AnglePipeline() as pipe, SecondPersonCheck() as check:
        for frame in open_video(path):
            t = time.perf_counter()
            res = pipe.step(frame)
            t2 = time.perf_counter()
            check.update(frame.rgb, res.pose, frame.t_s)
            pipe_s += t2 - t
            check_s += time.perf_counter() - t2
    return check, pipe_s, check_s


@pytest.mark.e2e
def test_two_people_side_by_side_are_warned_about(clips: dict[str, Path]):
    check, _, _ = _checked(clips["two"])
    assert check.warning is not None and "second person" in check.warning
    assert check.checks <= 3  # found within the first checks


@pytest.mark.e2e
def test_one_person_is_never_warned_about(clips: dict[str, Path]):
    check, pipe_s, check_s = _checked(clips["one"])
    assert check.warning is None
    assert check.checks >= 8  # it did look, once a second
    print(f"second-person check cost: {check_s / pipe_s:.1%} of the pose pipeline")


@pytest.mark.e2e
@pytest.mark.parametrize(("clip", "warned"), [("two", True), ("one", False)])
def test_live_coaching_says_a_second_person_is_in_view(clips: dict[str, Path], clip: str, warned: bool):
    """The live path runs the same check on its pose thread and shows it on the page (snapshot.crowd)."""
    from posecheck.exercises import get_exercise
    from posecheck.live import LiveSession

    session = LiveSession(get_exercise("squat"), threaded=False, check_frames=1, check_s=0.0)
    try:
        for frame in open_video(clips[clip]):
            session.process(frame.rgb, frame.t_s)
        said = session.snapshot().crowd
    finally:
        session.close()
    assert (said is not None and "second person" in said) == warned, said
    assert session.snapshot().crowd == said  # kept once the stream has ended
