"""Chunk-parallel analysis, with real MediaPipe on the repo's sample clips.

Two checks. The workers' poses must equal, bit for bit and whatever the number of workers, what one process
computes when it follows the same chunk plan (`chunks.SeamedEstimator`): the split, the decoding after a seek,
the warm-up and the left/right renaming are exact. And the report must tell the user what the default
one-process analysis tells them (counts, holds, faults): a chunk's fresh MediaPipe graph never returns to
exactly the one-process numbers (see bench/bench_parallel_equality.py), so the angles are compared by their
median. The one-process poses come from the run's pose store (recorded once, `synthcache`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthcache import frame_digest

from posecheck import parallel
from posecheck.chunks import Chunk, SeamedEstimator, chunk_count, clip_estimator, plan_chunks, seam_relabel
from posecheck.exercises import get_exercise
from posecheck.pipeline import analyze_track
from posecheck.pose import PoseFrame
from posecheck.sides import LEG_PAIRS
from posecheck.sources import open_video

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


TRACK_FIELDS = ("t_s", "image_px", "world_m", "visibility", "detected")


def test_parallel_poses_equal_the_one_process_reference_for_any_worker_count() -> None:
    from synthcache import real_estimator

    from posecheck.pipeline import record_track

    path = SAMPLES / "single_leg_raise.mp4"  # 20 s: four chunks, reps on both sides
    info = open_video(path).info
    reference = record_track(path, estimator=clip_estimator(path, real_estimator))
    for jobs in (2, 3):
        rec = parallel.record_parallel(path, info, jobs=jobs)
        assert rec is not None and rec.chunks == len(plan_chunks(parallel.scan_clip(path).times_s)) == 4
        for a in TRACK_FIELDS:  # every frame once, and the same poses, seams included
            assert np.array_equal(getattr(rec.track, a), getattr(reference, a), equal_nan=True), (jobs, a)


@pytest.mark.parametrize(("clip", "exercise_id"), [
    ("single_leg_raise_bent_knee.mp4", "single_leg_raise"),  # reps, one side
    ("kneeling_hip_flexor_stretch.mp4", "kneeling_hip_flexor_stretch"),  # a hold
])
def test_parallel_report_agrees_with_one_process(synth, clip: str, exercise_id: str) -> None:
    path = SAMPLES / clip
    info = open_video(path).info
    seq_track = synth.recording_of_file(path).track
    rec = parallel.record_parallel(path, info, jobs=2)
    assert rec is not None and rec.chunks >= 2
    par_track = rec.track
    assert np.array_equal(par_track.t_s, seq_track.t_s)  # every frame once, at the one-process run's times
    first_stop = int(np.searchsorted(seq_track.t_s, seq_track.t_s[-1] / rec.chunks))
    for a in TRACK_FIELDS:  # chunk 0 starts where the clip does: identical
        assert np.array_equal(getattr(par_track, a)[:first_stop], getattr(seq_track, a)[:first_stop], equal_nan=True)

    ex = get_exercise(exercise_id)
    seq = analyze_track(seq_track, ex, clip=str(path), info=info)
    par = analyze_track(par_track, ex, clip=str(path), info=info, notes=rec.notes)
    assert parallel.report_mismatches(seq, par) == []
    by_seq, by_par = seq.to_json()["reps"], par.to_json()["reps"]
    assert by_seq == by_par and len(seq.holds) == len(par.holds)
    assert by_seq["total"] > 0 or seq.holds, "the clip must give something to compare"
    # Not "within 0.5 deg everywhere": after a chunk's fresh start MediaPipe settles on slightly different
    # numbers for the rest of the chunk (1-4 deg on some synthetic clips; the frame alignment itself is
    # proven exact above and in the decoding test below). A gross error would move the median too.
    d = parallel.angle_differences(seq, par)
    assert np.nanmedian(d) < 1.5, f"median {np.nanmedian(d):.2f}, p99 {np.nanpercentile(d, 99):.2f} deg"


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


def test_default_jobs_one_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POSECHECK_JOBS", raising=False)
    assert parallel.default_jobs() == 1
    monkeypatch.setenv("POSECHECK_JOBS", "3")
    assert parallel.default_jobs() == 3
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("POSECHECK_JOBS", bad)
        assert parallel.default_jobs() == 1


def _side_on_person(rng: np.random.Generator, legs_apart_px: float) -> np.ndarray:
    """(33, 3) image landmarks: a body with its left limbs `legs_apart_px` to the left of its right limbs."""
    px = rng.uniform(200, 400, (33, 3))
    for a, b in [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10), *((i, i + 1) for i in range(11, 33, 2))]:
        px[b, :2] = px[a, :2] + (legs_apart_px, 0.0)
    return px


def test_seam_relabel_renames_only_a_group_named_the_other_way() -> None:
    """A fresh graph that names the legs the other way round is renamed back; arms and face it named alike stay."""
    rng = np.random.default_rng(3)
    old = np.stack([_side_on_person(rng, 60.0) for _ in range(30)])
    new = old + rng.normal(0, 2.0, old.shape)  # the same person, a few pixels apart (a new tracker settling)
    assert seam_relabel(old, new) is None
    legs = [23, 25, 27, 29, 31], [24, 26, 28, 30, 32]
    crossed = new.copy()
    crossed[:, legs[0] + legs[1]] = new[:, legs[1] + legs[0]]
    perm = seam_relabel(old, crossed)
    assert perm is not None
    assert np.allclose(crossed[:, perm], new)  # renaming gives back the old naming
    assert list(perm[:23]) == list(range(23))  # arms and face untouched
    together = np.stack([_side_on_person(rng, 0.5) for _ in range(30)])  # limbs on top of each other
    swapped = together.copy()
    swapped[:, legs[0] + legs[1]] = together[:, legs[1] + legs[0]]
    assert seam_relabel(together, swapped + rng.normal(0, 2.0, together.shape)) is None  # ambiguous: keep names
    assert seam_relabel(old[:0], new[:0]) is None  # nobody seen in the warm-up: nothing to go on


class _Mirror:
    """A stand-in graph: the n-th one made names left and right the other way round when n is odd."""

    made = 0

    def __init__(self) -> None:
        self.flip = _Mirror.made % 2 == 1
        _Mirror.made += 1

    def process(self, rgb: np.ndarray, t_s: float) -> PoseFrame:
        px = _side_on_person(np.random.default_rng(int(rgb[0, 0, 0])), 60.0)
        if self.flip:
            px[[a for a, _ in LEG_PAIRS] + [b for _, b in LEG_PAIRS]] = px[[b for _, b in LEG_PAIRS] +
                                                                           [a for a, _ in LEG_PAIRS]]
        return PoseFrame(t_s, 640, 480, px, None, np.ones(33))

    def close(self) -> None:
        pass


def test_seamed_estimator_keeps_the_first_graphs_naming_across_seams() -> None:
    plan = [Chunk(0, 0, 10), Chunk(5, 10, 20), Chunk(15, 20, 30)]
    _Mirror.made = 0
    est = SeamedEstimator(plan, _Mirror)
    out = [est.process(np.full((1, 1, 3), i, np.uint8), i / 30) for i in range(30)]
    _Mirror.made = 0
    one = _Mirror()  # the first graph's naming, every frame
    want = [one.process(np.full((1, 1, 3), i, np.uint8), i / 30) for i in range(30)]
    assert all(np.array_equal(a.image_px, b.image_px) for a, b in zip(out, want, strict=True))
