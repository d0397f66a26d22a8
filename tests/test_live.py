"""LiveSession on a generated clip, fed frame by frame with the frames' own timestamps.

One test runs real MediaPipe inside the session (and checks that its poses are the ones recorded for the
clip); the others replay poses recorded once per run for exactly the frames they feed (SequenceReplay checks
each frame is the one recorded), so they test the session, not MediaPipe, in a fraction of the time.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from synthcache import Recorder, Recording, SequenceReplay, Synth, SynthStore, real_estimator

from posecheck.exercises import Exercise, load_all
from posecheck.live import CHECK_S, LiveSession, LiveSnapshot, ice_servers_from_env, rtc_configuration
from posecheck.sources import Frame, open_video

RTP_ORIGIN_S = 48_213.7  # camera clocks do not start at 0: the session must not care


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def squat_clip(synth: SynthStore) -> tuple[list[Frame], int]:
    """A generated side-on squat clip's frames and its true rep count."""
    clip = synth.clip(Synth("squat", "right", 30, 480, 360, {"reps": 3}), poses=False)
    return list(open_video(clip.path)), truth_total_reps(clip.path)


@pytest.fixture(scope="module")
def full_poses(synth: SynthStore, squat_clip: tuple[list[Frame], int]) -> Recording:
    """MediaPipe's poses for the whole clip through one fresh graph (what a new stream sees)."""
    return synth.recording_of_frames(squat_clip[0])


@pytest.fixture(scope="module")
def squat() -> Exercise:
    return load_all().exercises["squat"]


def truth_total_reps(clip: Path) -> int:
    """Total reps from the ground-truth JSON the generator writes beside the clip."""
    candidates = [p for p in clip.parent.glob(f"{clip.stem}*.json")]
    assert candidates, f"no ground truth JSON beside {clip}"
    truth = json.loads(candidates[0].read_text())
    reps = truth["reps"]
    if isinstance(reps, dict):
        return int(reps.get("total", sum(int(v) for k, v in reps.items() if k in ("left", "right", "both"))))
    if isinstance(reps, list):
        return len(reps)
    return int(reps)


def feed(session: LiveSession, frames: list[Frame], step: int = 1, origin_s: float = RTP_ORIGIN_S,
         transform=None) -> list[LiveSnapshot]:
    snaps = []
    for f in frames[::step]:
        rgb = transform(f.rgb) if transform else f.rgb
        out = session.process(rgb, origin_s + f.t_s)
        assert out.shape == rgb.shape and out.dtype == np.uint8
        snaps.append(session.snapshot())
        assert snaps[-1].error is None, snaps[-1].error  # the session swallows errors to keep the video going
    return snaps


def replayed(recording: Recording, delay_s: float = 0.0):
    """A LiveSession estimator factory: each new stream replays the recording from its first frame."""
    return lambda: SequenceReplay(recording, delay_s)


def feet_cut_off(rgb: np.ndarray) -> np.ndarray:
    """The picture shifted down by 45% of its height: head and hips in view, feet below the frame."""
    h = rgb.shape[0]
    out = np.full_like(rgb, 235)
    out[int(0.45 * h):] = rgb[: h - int(0.45 * h)]
    return out


def standing_lead_in(frames: list[Frame], seconds: float = 1.0) -> list[Frame]:
    """The clip's first frame held for `seconds` before the clip: someone standing still in view."""
    dt = frames[1].t_s - frames[0].t_s
    n = round(seconds / dt)
    lead = [Frame(frames[0].t_s + i * dt, frames[0].rgb, i) for i in range(n)]
    return lead + [Frame(f.t_s + n * dt, f.rgb, f.index + n) for f in frames]


# --- counting -----------------------------------------------------------------------------------


@pytest.mark.e2e
def test_counts_match_truth_with_real_mediapipe(squat_clip, squat, full_poses):
    """The live path's real-MediaPipe test; its poses must be the recorded ones the other tests replay."""
    frames, want = squat_clip
    estimators: list[Recorder] = []
    session = LiveSession(squat, estimator_factory=lambda: estimators.append(Recorder(real_estimator()))
                          or estimators[-1])
    snaps = feed(session, frames)
    assert snaps[-1].running and snaps[-1].frames == len(frames)
    assert snaps[-1].frames_with_pose >= 0.9 * len(frames)
    assert snaps[-1].reps_total == want
    assert snaps[-1].rep_seq == want  # one beep per counted rep
    session.close()
    [real] = [e.recording() for e in estimators]
    assert real.digests == full_poses.digests
    for name in ("image_px", "world_m", "visibility", "detected"):  # MediaPipe repeats itself bit for bit
        np.testing.assert_array_equal(getattr(real.track, name), getattr(full_poses.track, name), err_msg=name)


@pytest.mark.e2e
def test_dropping_every_other_frame_keeps_the_count(squat_clip, squat, synth):
    frames, want = squat_clip
    session = LiveSession(squat, estimator_factory=replayed(synth.recording_of_frames(frames[::2])))
    snaps = feed(session, frames, step=2)
    assert snaps[-1].reps_total == want
    # Timers run on timestamps, not frame counts: the stream is as long as the clip either way.
    assert snaps[-1].current is not None
    assert snaps[-1].current.duration_s == pytest.approx(frames[-1].t_s - frames[0].t_s, abs=1.0)
    session.close()


@pytest.mark.e2e
def test_camera_check_blocks_counting_until_the_body_is_in_view(squat_clip, squat, synth):
    frames, want = squat_clip
    # One stream, one graph: the clip with the feet cut off, then the whole body after a standing lead-in.
    t_next = frames[-1].t_s + 1 / 30
    stream = [Frame(f.t_s, feet_cut_off(f.rgb), f.index) for f in frames]
    stream += [Frame(t_next + f.t_s, f.rgb, f.index) for f in standing_lead_in(frames)]
    session = LiveSession(squat, estimator_factory=replayed(synth.recording_of_frames(stream)))
    # First pass: feet out of frame. Nothing may count, and the check says what to do.
    cut = feed(session, frames, transform=feet_cut_off)
    assert not any(s.counting for s in cut)
    assert cut[-1].reps_total == 0 and cut[-1].rep_seq == 0
    issues = {s.check.issue for s in cut if s.frames_with_pose}
    assert issues & {"out_of_frame", "too_close"}, issues
    assert any("feet" in s.check.message or "Step back" in s.check.message for s in cut)
    # Then the whole body in view, standing a moment, on a clock that continues: only these reps count.
    later = RTP_ORIGIN_S + frames[-1].t_s + 1 / 30
    full = feed(session, standing_lead_in(frames), origin_s=later)
    # MediaPipe's tracker needs some frames to re-find a body that jumped; after that, the gate wants
    # CHECK_S of a steady clear view (plus a frame or two of rounding), and no more.
    first_seen = next(i for i, s in enumerate(full) if s.check.issue in ("hold_still", "ok"))
    first_counting = next(i for i, s in enumerate(full) if s.counting)
    assert first_seen < 30
    assert CHECK_S * 30 <= first_counting - first_seen <= CHECK_S * 30 + 2
    assert full[-1].reps_total == want
    session.close()


@pytest.mark.e2e
def test_close_keeps_the_set_summary_and_a_new_stream_starts_a_new_set(squat_clip, squat, full_poses):
    frames, want = squat_clip
    session = LiveSession(squat, estimator_factory=replayed(full_poses))
    feed(session, frames)
    session.close()  # the camera stopped mid-session
    snap = session.snapshot()
    assert not snap.running
    assert snap.sets_done == 1
    last = snap.sets[-1]
    assert (last.reps_total, last.ended, last.exercise_id) == (want, "camera stopped", "squat")
    assert snap.reps_total == 0 and snap.current is None
    session.close()  # idempotent: no empty second set
    assert session.snapshot().sets_done == 1
    # START again: the camera's clock restarts from a new origin; the graph is rebuilt, the check runs again.
    again = feed(session, frames, origin_s=5.0)
    assert again[0].running and not again[0].counting
    assert again[-1].reps_total == want
    session.close()
    assert [s.reps_total for s in session.snapshot().sets] == [want, want]


@pytest.mark.e2e
def test_snapshot_is_thread_safe(squat_clip, squat, full_poses):
    """A camera thread processes frames while the page thread reads snapshots and files sets."""
    frames, want = squat_clip
    # The replay takes 10 ms a frame outside the GIL, as MediaPipe's graph does (~25 ms here).
    session = LiveSession(squat, estimator_factory=replayed(full_poses, delay_s=0.01))
    seen: list[LiveSnapshot] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def camera() -> None:
        try:
            feed(session, frames)
        except BaseException as exc:  # re-raised in the test thread
            errors.append(exc)
        finally:
            done.set()

    def reader() -> None:
        try:
            while not done.is_set():
                seen.append(session.snapshot())
                time.sleep(0.0005)  # a page polls; a busy loop would only starve the camera thread of the GIL
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=camera), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert len(seen) > len(frames)  # the reader never waited for MediaPipe
    for a, b in zip(seen, seen[1:], strict=False):  # each snapshot is whole and they only move forward
        assert b.frames >= a.frames and b.rep_seq >= a.rep_seq
        assert b.reps_total == (b.current.reps_total if b.current else 0)
    assert seen[-1].reps_total == want
    session.close()


# --- configuration (no MediaPipe) ----------------------------------------------------------------


def test_ice_servers_default_to_none_and_parse_json():
    assert rtc_configuration({}) == {"iceServers": []}
    assert ice_servers_from_env({"POSECHECK_ICE_SERVERS": ""}) == ([], None)
    turn = [{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]
    assert ice_servers_from_env({"POSECHECK_ICE_SERVERS": json.dumps(turn)}) == (turn, None)
    assert rtc_configuration({"POSECHECK_ICE_SERVERS": json.dumps({"iceServers": turn})}) == {"iceServers": turn}
    servers, problem = ice_servers_from_env({"POSECHECK_ICE_SERVERS": "stun:stun.example.org"})
    assert servers == [] and "not valid JSON" in (problem or "")
    servers, problem = ice_servers_from_env({"POSECHECK_ICE_SERVERS": '[{"url": "x"}]'})
    assert servers == [] and problem


def test_session_before_any_frame_is_idle(squat):
    snap = LiveSession(squat).snapshot()
    assert not snap.running and not snap.counting and snap.frames == 0 and snap.sets == ()
    assert snap.check.issue == "no_person"
