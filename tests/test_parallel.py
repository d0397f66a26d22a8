"""Chunk-parallel analysis against the one-process path, with real MediaPipe on the repo's sample clips.

Both follow the clip's chunk plan (`posecheck.chunks`): the one-process path restarts its MediaPipe graph at
the same frames, warmed on the same frames, as the chunk workers do. So the poses must be equal bit for bit
and the reports identical, whatever the number of workers. The one-process poses come from the run's pose
store (recorded once, `synthcache`); the parallel ones are recorded afresh by worker processes each time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthcache import frame_digest

from posecheck import parallel
from posecheck.chunks import Chunk, SeamedEstimator, chunk_count, clip_estimator, plan_chunks
from posecheck.exercises import get_exercise
from posecheck.pipeline import analyze_track
from posecheck.pose import PoseFrame
from posecheck.sources import open_video

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


TRACK_FIELDS = ("t_s", "image_px", "world_m", "visibility", "detected")


@pytest.mark.parametrize(("clip", "exercise_id", "jobs"), [
    ("single_leg_raise.mp4", "single_leg_raise", 2),  # reps on both sides, four chunks over two workers
    ("kneeling_hip_flexor_stretch.mp4", "kneeling_hip_flexor_stretch", 3),  # a hold; more workers than chunks
])
def test_parallel_poses_and_report_equal_one_process(synth, clip: str, exercise_id: str, jobs: int) -> None:
    path = SAMPLES / clip
    info = open_video(path).info
    seq_track = synth.recording_of_file(path).track
    rec = parallel.record_parallel(path, info, jobs=jobs)
    assert rec is not None and rec.chunks == len(plan_chunks(parallel.scan_clip(path).times_s)) >= 2
    for a in TRACK_FIELDS:  # every frame once, and the same poses, seams included
        assert np.array_equal(getattr(rec.track, a), getattr(seq_track, a), equal_nan=True), a

    ex = get_exercise(exercise_id)
    seq = analyze_track(seq_track, ex, clip=str(path), info=info)
    par = analyze_track(rec.track, ex, clip=str(path), info=info, notes=rec.notes)
    assert parallel.report_mismatches(seq, par, time_tol_s=0.0) == []
    a, b = seq.to_json(), par.to_json()
    assert a["reps"] == b["reps"] and a["holds"] == b["holds"] and a["faults"] == b["faults"]
    assert a["reps"]["total"] > 0 or a["holds"], "the clip must give something to compare"
    assert np.nanmax(parallel.angle_differences(seq, par), initial=0.0) == 0.0


def test_chunks_decode_exactly_the_sequential_frames(synth) -> None:
    """Each worker seeks to its chunk: the frames it decodes must be the sequential decoder's, pixel for pixel."""
    path = SAMPLES / "single_leg_raise.mp4"
    digests = synth.recording_of_file(path).digests
    scan = parallel.scan_clip(path)
    tasks = parallel.plan_tasks(path, open_video(path).info, scan, None, 1280, crowd=False)
    assert len(tasks) == 4
    seen = []
    for task in tasks:
        frames = list(parallel._chunk_frames(task))
        assert len(frames) == len(task.pts)
        seen += [frame_digest(rgb) for _, rgb in frames[task.keep_from:]]
    assert seen == list(digests)


def test_chunk_plan_depends_on_the_clip_alone() -> None:
    assert [chunk_count(d) for d in (3, 9.9, 10, 19.9, 20, 39.9, 40, 600)] == [1, 1, 2, 2, 4, 4, 8, 8]
    times = np.arange(0, 20, 1 / 30)  # 600 frames, 19.97 s: two chunks
    assert plan_chunks(times[:300]) == [Chunk(0, 0, 300)]  # 10 s: one
    plan = plan_chunks(times)
    assert plan == [Chunk(0, 0, 300), Chunk(270, 300, 600)]  # the second warms up on the 1 s before it
    long = np.arange(0, 600, 1 / 30)
    plan = plan_chunks(long)
    assert len(plan) == 8 and plan[0].start == 0 and plan[-1].stop == len(long)
    assert all(a.stop == b.start and b.start - b.warm == 30 for a, b in zip(plan, plan[1:], strict=False))
    assert plan_chunks(long[:1]) == [Chunk(0, 0, 1)]


class _Graph:
    """Stands in for MediaPipe: numbers itself and notes every frame it is given."""

    made: list[_Graph] = []

    def __init__(self) -> None:
        self.frames: list[int] = []
        self.closed = False
        self.number = len(_Graph.made)
        _Graph.made.append(self)

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        self.frames.append(int(rgb[0, 0, 0]))
        return PoseFrame(t_s, 4, 4, np.full((33, 3), float(self.number)))

    def close(self) -> None:
        self.closed = True


def test_seamed_estimator_gives_each_graph_its_chunks_frames() -> None:
    """The one-process path must feed each graph what a chunk worker feeds it: warm-up frames, then its own."""
    plan = [Chunk(0, 0, 10), Chunk(7, 10, 20), Chunk(17, 20, 25)]
    _Graph.made = []
    est = SeamedEstimator(plan, _Graph)
    answered_by = []
    for i in range(25):
        pose = est.process(np.full((1, 1, 3), i, np.uint8), i / 30)
        answered_by.append(int(pose.image_px[0, 0]))
    est.close()
    assert [g.frames for g in _Graph.made] == [list(range(0, 10)), list(range(7, 20)), list(range(17, 25))]
    assert answered_by == [0] * 10 + [1] * 10 + [2] * 5
    assert all(g.closed for g in _Graph.made)


def test_one_chunk_clips_keep_one_graph() -> None:
    _Graph.made = []
    est = clip_estimator(SAMPLES / "squat_side.mp4", _Graph)  # 12.2 s: two chunks
    assert isinstance(est, SeamedEstimator)
    assert clip_estimator(SAMPLES / "not-a-clip.mp4", _Graph) is _Graph.made[-1]  # unreadable: one graph


def test_short_clip_and_one_job_run_sequentially(monkeypatch: pytest.MonkeyPatch) -> None:
    path = SAMPLES / "squat_side.mp4"
    info = open_video(path).info
    assert parallel.record_parallel(path, info, jobs=1) is None
    called = []
    monkeypatch.setattr(parallel, "record_parallel", lambda *_a, **_k: called.append(1))
    monkeypatch.setattr(parallel, "analyze_clip", lambda *_a, **_k: "sequential")
    assert parallel.analyze(path, get_exercise("squat"), jobs=1) == "sequential"
    assert parallel.analyze(path, get_exercise("squat"), jobs=2, estimator=object()) == "sequential"
    assert not called


def test_cli_refuses_zero_jobs(capsys: pytest.CaptureFixture) -> None:
    from posecheck.cli import main

    assert main(["analyze", str(SAMPLES / "squat_side.mp4"), "-e", "squat", "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


def test_workers_start_whatever_main_script_is_running(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under Streamlit (or AppTest) `__main__` is a page script; a forkserver child would run it again and die
    before working (seen in CI: a NameError from an AppTest script). The workers must start all the same."""
    import sys
    import types

    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('a page script must never run in a pose worker')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    parallel._POOL.close()  # new workers, started under this __main__
    path = SAMPLES / "squat_side.mp4"
    rec = parallel.record_parallel(path, open_video(path).info, jobs=2)
    assert rec is not None and rec.chunks >= 2
    assert fake_main.__file__ == str(script)  # put back once the workers are up
    parallel._POOL.close()


def test_default_jobs_every_core_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delenv("POSECHECK_JOBS", raising=False)
    assert parallel.default_jobs() == len(os.sched_getaffinity(0))
    monkeypatch.setenv("POSECHECK_JOBS", "3")
    assert parallel.default_jobs() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("POSECHECK_JOBS", bad)
        assert parallel.default_jobs() == len(os.sched_getaffinity(0))
