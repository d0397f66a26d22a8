"""LiveSession's threaded path: the video callback hands frames to a pose worker and never waits for it.

A stand-in estimator returns a hand-built standing pose shifted by the frame's id (written into the frame's
first pixel), so each test knows exactly which frames the pose saw. Most tests hold the estimator on an
event instead of sleeping: what they check follows from the order of events, not from how fast anything
runs (no timing asserts; the one rate comparison uses a 10x margin).
"""

from __future__ import annotations

import threading
import time

import av
import numpy as np
import pytest
from poses import standing_side

from posecheck.exercises import Exercise, load_all
from posecheck.live import LiveSession
from posecheck.overlay import draw_overlay
from posecheck.pose import PoseFrame

W, H = 480, 640
WAIT_S = 10.0  # generous: only a broken session ever waits this long


class StandIn:
    """A pose estimator that can be held mid-frame; records the id of every frame it saw."""

    def __init__(self, hold: bool = False, sleep_s: float = 0.0) -> None:
        self.seen: list[int] = []
        self.finished = 0
        self.entered = threading.Event()  # set when a frame's pose starts
        self.release = threading.Event()  # a held estimator waits for this
        if not hold:
            self.release.set()
        self.sleep_s = sleep_s

    def factory(self) -> StandIn:
        return self

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        fid = int(rgb[0, 0, 0])
        self.seen.append(fid)
        self.entered.set()
        self.release.wait(WAIT_S)
        time.sleep(self.sleep_s)
        self.finished += 1
        lm = standing_side()
        lm[:, 0] += 10 * fid  # the frame's id, readable off the pose
        return PoseFrame(t_s, W, H, lm, lm / 500, np.ones(33))

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def squat() -> Exercise:
    return load_all().exercises["squat"]


def frame(fid: int) -> np.ndarray:
    rgb = np.full((H, W, 3), 200, np.uint8)
    rgb[0, 0, 0] = fid
    return rgb


def pose_id(session: LiveSession) -> int:
    """The id of the frame whose pose the overlay draws now."""
    kin = session.latest_overlay()[0]
    assert kin.pose is not None and kin.pose.image_px is not None
    return round((kin.pose.image_px[0, 0] - standing_side()[0, 0]) / 10)


def test_video_frame_returns_while_the_pose_is_busy_and_stale_frames_are_dropped(squat):
    est = StandIn(hold=True)
    session = LiveSession(squat, estimator_factory=est.factory)
    session.video_frame(frame(0), 100.0)
    assert est.entered.wait(WAIT_S)  # the worker is inside the pose for frame 0, held there
    finished_when_returned = []
    for fid in range(1, 6):
        out = session.video_frame(frame(fid), 100.0 + fid / 30)
        finished_when_returned.append(est.finished)
        assert out.shape == (H, W, 3)
    # Every video frame came back while frame 0's pose was still held: the video never waited for it.
    assert finished_when_returned == [0] * 5
    est.release.set()
    assert session.wait_idle(WAIT_S)
    assert est.seen == [0, 5]  # frames 1-4 went stale while the pose was busy: dropped, not queued
    assert session.snapshot().frames == 2
    assert pose_id(session) == 5  # the overlay draws the newest result
    session.close()


def test_the_video_draws_the_newest_pose_result(squat):
    est = StandIn()
    session = LiveSession(squat, estimator_factory=est.factory)
    for fid in (3, 7):
        session.video_frame(frame(fid), 100.0 + fid / 30)
        assert session.wait_idle(WAIT_S)
        assert pose_id(session) == fid
    kin, hud = session.latest_overlay()
    est.release.clear()  # frame 8's pose will be held: the video must draw frame 7's result meanwhile
    out = session.video_frame(frame(8), 101.0)
    np.testing.assert_array_equal(out, draw_overlay(frame(8), kin, hud))
    assert not np.array_equal(out, frame(8))  # a skeleton and the counter are on the video
    est.release.set()
    assert session.wait_idle(WAIT_S)
    assert pose_id(session) == 8  # and the next video frame gets frame 8's, no older
    session.close()


def test_pose_fps_is_below_video_fps_with_a_slow_pose(squat):
    est = StandIn(sleep_s=0.05)
    session = LiveSession(squat, estimator_factory=est.factory)
    for fid in range(60):
        session.video_frame(frame(fid % 250), 100.0 + fid / 200)
        time.sleep(0.005)
    snap = session.snapshot()
    session.close()
    assert snap.frames < 60 and len(est.seen) < 60  # the pose skipped frames it had no time for
    assert snap.pose_fps > 0 and snap.video_fps > 3 * snap.pose_fps  # ~20 vs ~150 frames/s


def test_close_joins_the_worker_and_no_pose_work_follows(squat):
    est = StandIn(hold=True)
    session = LiveSession(squat, estimator_factory=est.factory)
    session.video_frame(frame(0), 100.0)
    assert est.entered.wait(WAIT_S)
    session.video_frame(frame(1), 100.1)  # waiting in the mailbox when the stream stops
    worker = session._worker
    assert worker is not None and worker.is_alive()
    closer = threading.Thread(target=session.close)
    closer.start()
    deadline = time.monotonic() + WAIT_S
    while session._mailbox is not None and time.monotonic() < deadline:  # close() has taken the mailbox away
        time.sleep(0.001)
    est.release.set()  # frame 0's pose, in flight, finishes; frame 1 must never reach the pose
    closer.join(WAIT_S)
    assert not closer.is_alive() and not worker.is_alive()
    time.sleep(0.1)
    assert est.seen == [0]
    snap = session.snapshot()
    assert not snap.running and snap.frames == 1 and snap.video_fps == 0.0


def test_a_frame_handed_over_before_a_set_switch_is_not_counted(squat):
    est = StandIn()
    session = LiveSession(squat, estimator_factory=est.factory)
    session.video_frame(frame(1), 100.0)
    assert session.wait_idle(WAIT_S)
    with session._lock:  # a page control call in progress: the worker cannot step a frame meanwhile
        session.video_frame(frame(2), 100.1)
        session.finish_set()
    assert session.wait_idle(WAIT_S)
    assert est.seen == [1]  # frame 2 belonged to the finished set: dropped, never counted in the new one
    session.video_frame(frame(3), 100.2)
    assert session.wait_idle(WAIT_S)
    assert est.seen == [1, 3]
    session.close()


def test_unthreaded_video_frame_processes_each_frame_in_the_call(squat):
    est = StandIn()
    session = LiveSession(squat, estimator_factory=est.factory, threaded=False)
    for fid in range(1, 4):
        session.video_frame(frame(fid), 100.0 + fid / 30)
        assert est.seen[-1] == fid and pose_id(session) == fid
    assert session._worker is None
    session.close()


def test_the_webrtc_callback_feeds_the_session(squat):
    from posecheck.ui.webcam import frame_callback

    est = StandIn()
    session = LiveSession(squat, estimator_factory=est.factory, threaded=False)
    vf = av.VideoFrame.from_ndarray(frame(9), format="rgb24")
    out = frame_callback(session)(vf)
    assert (out.width, out.height) == (W, H)
    assert len(est.seen) == 1 and session.snapshot().frames == 1
    session.close()
