"""The pose model's inference on several threads: the same poses, bit for bit, with the cores shared out.

Real MediaPipe on a real sample clip: the threaded graph must give exactly what MediaPipe's default (one
inference thread) gives, so no count, hold or fault can depend on the machine's cores.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posecheck import batch, parallel
from posecheck import pose as pose_module
from posecheck.chunks import scan_clip
from posecheck.pose import PoseEstimator, default_pose_threads, mediapipe_pose
from posecheck.sources import open_video

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def _poses(threads: int, frames: list) -> np.ndarray:
    with PoseEstimator(threads=threads) as est:
        out = [est.process(f.rgb, f.t_s) for f in frames]
    assert all(p.detected for p in out)
    return np.stack([np.concatenate([p.image_px.ravel(), p.world_m.ravel(), p.visibility]) for p in out])


@pytest.mark.e2e
def test_threaded_inference_gives_the_one_thread_poses_bit_for_bit() -> None:
    frames = []
    for f in open_video(SAMPLES / "single_leg_raise.mp4"):  # a leg rising: the landmarks move every frame
        frames.append(f)
        if len(frames) == 120:
            break
    one, two = _poses(1, frames), _poses(2, frames)
    assert np.ptp(one, axis=0).max() > 10  # the clip moves: equality below is not of still frames
    assert np.array_equal(one, two)


@pytest.mark.e2e
def test_threads_reach_both_networks_of_the_graph() -> None:
    with mediapipe_pose(3, model_complexity=1, smooth_landmarks=False) as solution:
        threads = solution.inference_threads
    # the person detector and the landmark model
    assert len(threads) == 2 and set(threads.values()) == {3}, threads
    assert any("detection" in name for name in threads) and any("landmark" in name for name in threads)


def test_default_threads_share_the_cores_between_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSECHECK_POSE_THREADS", raising=False)
    monkeypatch.setattr(pose_module, "usable_cores", lambda: 8)
    assert default_pose_threads() == pose_module.MAX_POSE_THREADS == 4  # a small network: capped
    assert default_pose_threads(streams=2) == 4
    assert default_pose_threads(streams=3) == 2
    assert default_pose_threads(streams=16) == 1  # never none
    monkeypatch.setattr(pose_module, "usable_cores", lambda: 2)
    assert default_pose_threads() == 2
    assert default_pose_threads(streams=2) == 1
    monkeypatch.setenv("POSECHECK_POSE_THREADS", "3")
    assert default_pose_threads(streams=2) == 3  # the user's word wins
    monkeypatch.setenv("POSECHECK_POSE_THREADS", "lots")
    assert default_pose_threads() == 2  # not a number: the default


def test_parallel_workers_share_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSECHECK_POSE_THREADS", raising=False)
    monkeypatch.setattr(pose_module, "usable_cores", lambda: 4)
    path = SAMPLES / "single_leg_raise.mp4"
    info = open_video(path).info
    scan = scan_clip(path)
    assert {t.threads for t in parallel.plan_tasks(path, info, scan, None, 1280, crowd=False, jobs=2)} == {2}
    assert {t.threads for t in parallel.plan_tasks(path, info, scan, None, 1280, crowd=False, jobs=4)} == {1}


def test_batch_streams_count_each_hosts_worker_threads() -> None:
    workers = {"tcp://10.0.0.1:4001": {"nthreads": 1}, "tcp://10.0.0.1:4002": {"nthreads": 1},
               "tcp://10.0.0.2:4001": {"nthreads": 8}, "tls://[::1]:9000": {"nthreads": 2}}
    assert batch.streams_per_host(workers) == {"10.0.0.1": 2, "10.0.0.2": 8, "[::1]": 2}


def test_a_batch_worker_shares_its_machines_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSECHECK_POSE_THREADS", raising=False)
    monkeypatch.setattr(pose_module, "usable_cores", lambda: 4)
    monkeypatch.setattr(pose_module, "_streams_at_once", 1)
    monkeypatch.setattr(batch, "_worker_host", lambda: "10.0.0.1")
    seen: list[int] = []

    def fake_analyse(*_a: object, **_k: object) -> None:  # what the clip's estimator would be built with
        seen.append(default_pose_threads())
        raise RuntimeError("stop here")

    monkeypatch.setattr("posecheck.cli.analyse", fake_analyse)
    row = batch.analyse_one(str(SAMPLES / "squat_side.mp4"), batch.BatchSettings("squat"), "k", {"10.0.0.1": 2})["row"]
    assert seen == [2] and "stop here" in row["error"]
