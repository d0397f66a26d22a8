"""The Review page through Streamlit's AppTest: real MediaPipe on a real sample clip, and every bad input.

The page reads its sample folder from POSECHECK_SAMPLES_DIR, so each test points it at a tmp folder
holding exactly the clips it needs (a copy of a sample, a truncated file, an empty scene, ...). One test
runs MediaPipe inside the page; the others replay each clip's poses, recorded once (`replay_poses`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from synthcache import SynthStore

from posecheck.errors import PosecheckError
from posecheck.exercises import load_all
from posecheck.sources import open_video
from posecheck.ui import analysis, review
from posecheck.video_out import H264Writer

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
# Where the test clips come from (the generated samples; another folder of clips + truth files works too).
SOURCE_SAMPLES = Path(os.environ.get("POSECHECK_TEST_SAMPLES") or REPO / "samples")
TIMEOUT_S = 180  # one real analysis of a ~10 s clip on a small CI machine, with headroom
NO_TRACE = "Traceback"


# --- fixtures ---------------------------------------------------------------------------------


def truth_reps(truth: dict) -> dict[str, int]:
    """Rep counts from a sample's .truth.json as {"total", "left", "right"}."""
    reps = truth["reps"]
    if isinstance(reps, dict):
        total = reps.get("total", reps.get("left", 0) + reps.get("right", 0) + reps.get("both", 0))
        return {"total": int(total), "left": int(reps.get("left", 0)), "right": int(reps.get("right", 0))}
    if isinstance(reps, list):  # one record per rep, each with a side
        sides = [r.get("side", "both") if isinstance(r, dict) else "both" for r in reps]
        return {"total": len(reps), "left": sides.count("left"), "right": sides.count("right")}
    return {"total": int(reps), "left": 0, "right": 0}


def pick_sample() -> tuple[Path, dict]:
    """The shortest sample clip of a rep exercise whose truth file has at least one rep."""
    folder = SOURCE_SAMPLES
    known = load_all().exercises
    found = []
    for clip in sorted(folder.glob("*.mp4")):
        truth_file = clip.with_name(f"{clip.stem}.truth.json")
        if not truth_file.is_file():
            continue
        truth = json.loads(truth_file.read_text())
        ex = known.get(truth.get("exercise", ""))
        if ex is None or ex.kind == "hold" or "reps" not in truth or truth_reps(truth)["total"] < 1:
            continue
        found.append((open_video(clip).info.duration_s, clip, truth))
    if not found:
        pytest.fail(f"no sample clip with a .truth.json rep count in {folder}: run `posecheck samples`")
    _, clip, truth = min(found, key=lambda f: f[0])
    return clip, truth


@pytest.fixture(scope="module")
def sample() -> tuple[Path, dict]:
    return pick_sample()


@pytest.fixture
def samples_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "samples"
    folder.mkdir()
    monkeypatch.setenv("POSECHECK_SAMPLES_DIR", str(folder))
    return folder


def add_sample(folder: Path, clip: Path) -> str:
    shutil.copy(clip, folder / clip.name)
    truth = clip.with_name(f"{clip.stem}.truth.json")
    if truth.is_file():
        shutil.copy(truth, folder / truth.name)
    return clip.name


def write_clip(path: Path, frames: Iterator[np.ndarray], fps: float, size: tuple[int, int]) -> Path:
    with H264Writer(path, fps, *size) as w:
        for rgb in frames:
            w.write(rgb, rgb=True)
    return path


def empty_scene(n: int, size: tuple[int, int]) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(0)
    bg = np.full((size[1], size[0], 3), (180, 190, 200), np.uint8)
    for _ in range(n):
        yield np.clip(bg.astype(np.int16) + rng.integers(-5, 5, bg.shape), 0, 255).astype(np.uint8)


def start_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


def analyse(at: AppTest, sample_name: str | None = None, exercise: str | None = None) -> AppTest:
    if sample_name is not None:
        at.selectbox(key=review.SAMPLE_KEY).set_value(sample_name).run()
    if exercise is not None:
        at.selectbox(key=review.EXERCISE_KEY).set_value(exercise).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def messages(at: AppTest) -> str:
    return "\n".join(e.value for e in (*at.error, *at.warning, *at.info))


# --- the happy path ---------------------------------------------------------------------------


@pytest.mark.e2e
def test_sample_analysis_shows_the_true_counts_and_is_cached_with_real_mediapipe(sample: tuple[Path, dict],
                                                                                  samples_dir: Path):
    clip, truth = sample
    name = add_sample(samples_dir, clip)
    at = start_app()
    # Choosing the sample preselects its exercise (from the truth file).
    at.selectbox(key=review.SAMPLE_KEY).set_value(name).run()
    assert at.selectbox(key=review.EXERCISE_KEY).value == truth["exercise"]
    analysis.result_cache.clear()  # a fresh cache, whatever ran before in this process
    before = analysis.result_cache().analyses
    analyse(at)

    assert not at.error, [e.value for e in at.error]
    got = metrics(at)
    want = truth_reps(truth)
    ex = load_all().exercises[truth["exercise"]]
    if ex.per_side:
        assert (int(got["Reps · left"]), int(got["Reps · right"])) == (want["left"], want["right"]), got
    else:
        assert int(got["Reps"]) == want["total"], got
    assert got["Person detected"].endswith("%") and int(got["Person detected"][:-1]) >= 80, got
    assert "Faults" in got and "Partial reps" in got

    # The annotated clip, the charts and the four exports (the physiotherapist's PDF last) are there.
    videos = at.get("video")
    assert len(videos) == 1 and videos[0].proto.url, "annotated video missing"
    assert [d.label for d in at.get("download_button")] == ["JSON report", "Reps CSV", "Annotated MP4",
                                                           "Physio report (PDF)"]
    assert len(at.get("vega_lite_chart")) == 2  # drive signal + hip/knee angles
    assert any("analysed in" in c.value for c in at.caption)
    assert analysis.result_cache().analyses == before + 1

    # A rerun (any widget click) shows the cached result: no second analysis.
    at.run()
    assert analysis.result_cache().analyses == before + 1
    assert any("from the cache" in c.value for c in at.caption)
    assert metrics(at) == got


def test_choosing_a_fault_plays_the_video_from_there(sample: tuple[Path, dict], samples_dir: Path,
                                                     synth: SynthStore, replay_poses):
    clip, truth = sample
    replay_poses(lambda: synth.recording_of_file(clip))
    name = add_sample(samples_dir, clip)
    at = analyse(start_app(), name, truth["exercise"])
    faults = [r for r in analysis.result_cache().results() if r.clip_name == name][-1].report.faults
    if not faults:
        pytest.skip("this sample raises no fault to choose")
    fault_radio = next(r for r in at.radio if r.label.startswith("Choose a fault"))
    fault_radio.set_value(len(faults) - 1).run()
    video = at.get("video")[0].proto
    assert video.start_time == int(max(0.0, faults[-1].t_s - 1.0))


# --- bad input: always a message, never a traceback, and the page keeps working -----------------


def test_non_video_upload_gives_a_message_and_the_page_recovers(sample: tuple[Path, dict], samples_dir: Path,
                                                                synth: SynthStore, replay_poses):
    clip, truth = sample
    replay_poses(lambda: synth.recording_of_file(clip))
    name = add_sample(samples_dir, clip)
    at = start_app()
    at.radio(key="review_mode").set_value("Upload a clip").run()
    at.file_uploader[0].upload("holiday.mp4", b"these are not the frames you are looking for\n" * 100, "video/mp4")
    at.run()
    at.button[0].click().run()
    assert not at.exception
    assert len(at.error) == 1 and "holiday.mp4" in at.error[0].value and "not a video" in at.error[0].value
    assert NO_TRACE not in messages(at)
    # The temp copy of the upload is gone.
    assert not any(Path(p).name == "holiday.mp4" for p in _temp_uploads())
    # Back to a sample: the page works as before.
    at.radio(key="review_mode").set_value("Sample clip").run()
    analyse(at, name, truth["exercise"])
    assert not at.error and metrics(at)


def test_truncated_clips_give_a_message(sample: tuple[Path, dict], samples_dir: Path, synth: SynthStore,
                                        replay_poses):
    clip, _ = sample
    data = clip.read_bytes()
    (samples_dir / "stub.mp4").write_bytes(data[:1500])  # cut inside the header: unreadable
    (samples_dir / "cut.mp4").write_bytes(data[: len(data) // 3])  # the first third of the frames survive
    replay_poses(lambda: synth.recording_of_file(samples_dir / "cut.mp4"))
    at = analyse(start_app(), "stub.mp4", "squat")
    assert len(at.error) == 1 and "stub.mp4" in at.error[0].value, messages(at)
    assert NO_TRACE not in messages(at)

    at.selectbox(key=review.SAMPLE_KEY).set_value("cut.mp4").run()
    at.button[0].click().run()
    assert not at.exception
    text = messages(at)
    assert NO_TRACE not in text
    # Either it cannot be read at all, or the readable part is analysed and the page says how much was read.
    assert (at.error and "cut.mp4" in at.error[0].value) or "ended early" in text or "Decoded" in text, text


def test_no_person_huge_frames_and_too_short(samples_dir: Path, sample: tuple[Path, dict], synth: SynthStore,
                                             replay_poses):
    # An empty room, bigger than the analysis size: both notices, no crash.
    write_clip(samples_dir / "empty_room.mp4", empty_scene(20, (1600, 900)), 10, (1600, 900))
    replay_poses(lambda: synth.recording_of_file(samples_dir / "empty_room.mp4"),
                 lambda: synth.recording_of_file(samples_dir / "short.mp4"))
    at = analyse(start_app(), "empty_room.mp4", "squat")
    text = messages(at)
    assert "No person was found" in text
    assert "scaled to 1280 px" in text
    assert metrics(at)["Person detected"] == "0%"

    # The first 0.8 s of a real rep clip: a person, but not one whole rep.
    clip, truth = sample
    src = open_video(clip)
    info = src.info
    short = (f.rgb for f in src if f.t_s < 0.8)
    write_clip(samples_dir / "short.mp4", short, info.fps, (info.width, info.height))
    at.run()  # the new file shows up in the sample list
    at.selectbox(key=review.SAMPLE_KEY).set_value("short.mp4").run()
    at.selectbox(key=review.EXERCISE_KEY).set_value(truth["exercise"]).run()
    at.button[0].click().run()
    assert not at.exception
    assert "No complete rep was counted" in messages(at)


@pytest.mark.usefixtures("samples_dir")
def test_upload_size_limit_is_enforced_with_a_message(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("POSECHECK_MAX_UPLOAD_MB", "1")
    at = start_app()
    at.radio(key="review_mode").set_value("Upload a clip").run()
    assert "up to 1 MB" in at.file_uploader[0].label
    at.file_uploader[0].upload("big.mp4", b"\0" * (2 * 1024 * 1024), "video/mp4")
    at.run()
    assert not at.exception
    assert any("limit is 1 MB" in e.value for e in at.error)
    assert at.button[0].disabled

    monkeypatch.setenv("POSECHECK_MAX_UPLOAD_MB", "lots")
    at = start_app()
    at.radio(key="review_mode").set_value("Upload a clip").run()
    assert any("POSECHECK_MAX_UPLOAD_MB" in w.value for w in at.warning)


@pytest.mark.usefixtures("samples_dir")
def test_broken_definition_is_a_warning_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ex_dir = tmp_path / "exercises"
    ex_dir.mkdir()
    shutil.copy(REPO / "exercises" / "squat.toml", ex_dir)
    (ex_dir / "broken.toml").write_text('id = "broken"\nname = "Broken"\nkind = "reps"\n')
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(ex_dir))
    at = start_app()
    assert any("broken.toml" in w.value for w in at.warning)
    assert at.selectbox(key=review.EXERCISE_KEY).options == ["Recognise automatically", "Squat"]


# --- the sample chooser never leaves samples/ -------------------------------------------------


def test_sample_names_cannot_reach_outside_the_folder(tmp_path: Path):
    folder = tmp_path / "samples"
    folder.mkdir()
    (folder / "ok.mp4").write_bytes(b"x")
    (folder / "notes.txt").write_text("x")
    secret = tmp_path / "secret.mp4"
    secret.write_bytes(b"x")
    os.symlink(secret, folder / "link.mp4")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.mp4").write_bytes(b"x")

    assert analysis.resolve_sample("ok.mp4", folder) == (folder / "ok.mp4").resolve()
    for bad in ["../secret.mp4", str(secret), "/etc/passwd", "..", ".", "", "sub/deep.mp4", "link.mp4",
                "notes.txt", "..\\secret.mp4", "ok.mp4\x00.txt", "missing.mp4"]:
        with pytest.raises(PosecheckError):
            analysis.resolve_sample(bad, folder)
    assert analysis.list_samples(folder) == ["ok.mp4"]


def test_the_page_ignores_a_forged_sample_name(tmp_path: Path, samples_dir: Path):
    (tmp_path / "secret.mp4").write_bytes(b"x")
    write_clip(samples_dir / "room.mp4", empty_scene(3, (64, 48)), 10, (64, 48))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.session_state[review.SAMPLE_KEY] = "../secret.mp4"  # as if the browser sent it
    at.run()
    assert not at.exception
    assert at.selectbox(key=review.SAMPLE_KEY).value == "room.mp4"


def _temp_uploads() -> list[str]:
    root = Path(tempfile.gettempdir())
    return [str(p) for d in root.glob("posecheck-upload-*") for p in d.iterdir()]


def test_full_depth_only_toggle_reanalyses_and_counts_only_full_reps(sample: tuple[Path, dict], samples_dir: Path,
                                                                      synth: SynthStore, replay_poses):
    """The Review page's strict-depth toggle is part of what an analysis is: each setting is analysed (and cached)
    on its own, and with it on only the reps that reach the target count (the shallow ones become partial)."""
    clip, truth = sample
    replay_poses(lambda: synth.recording_of_file(clip))
    name = add_sample(samples_dir, clip)
    at = analyse(start_app(), name, truth["exercise"])
    lenient = [r for r in analysis.result_cache().results() if r.clip_name == name][-1].report
    toggle = next(t for t in at.toggle if t.label == "Count full-depth reps only")
    assert toggle.value is False
    before = analysis.result_cache().analyses
    toggle.set_value(True).run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert analysis.result_cache().analyses == before + 1  # a different analysis, not the cached lenient one
    strict = [r for r in analysis.result_cache().results() if r.clip_name == name][-1].report
    full = [r for r in lenient.reps if "shallow" not in r.faults]
    assert len(strict.reps) == len(full) and all("shallow" not in r.faults for r in strict.reps)
    assert len(strict.partials) == len(lenient.partials) + len(lenient.reps) - len(full)
