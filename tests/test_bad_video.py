"""Video files that lie or break (issue 13's bad-input corpus): damaged H.264, a decoder that hangs,
images renamed .mp4, pipes and devices. Each ends in one clear message, or a result that says what
it could not read; none hangs, none is a traceback.
"""

from __future__ import annotations

import faulthandler
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from posecheck import cli, decode_worker, sources
from posecheck.errors import PosecheckError
from posecheck.sources import open_video

REPO = Path(__file__).resolve().parent.parent
SQUAT = REPO / "samples" / "squat_side.mp4"


def damaged(src: Path, dst: Path, seed: int, flips: int = 200) -> Path:
    """`src` with `flips` bytes of its video data (after the mdat tag) inverted, at seeded positions."""
    data = bytearray(src.read_bytes())
    start = data.find(b"mdat") + 4
    assert start > 4, "not an MP4 with its index first"
    for pos in np.random.default_rng(seed).integers(start, len(data), flips):
        data[pos] ^= 0xFF
    dst.write_bytes(bytes(data))
    return dst


@pytest.fixture
def hang_guard() -> Iterator[None]:
    """A hang that holds the GIL cannot be interrupted from Python: after 150 s, dump the stacks and end
    the run (a failure, loudly), instead of leaving the test suite hanging forever."""
    faulthandler.dump_traceback_later(150, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def broken_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The squat sample with 200 bytes flipped: decodes 156 of its 367 frames, then errors. Decoding it
    in-process hung 4 times in 5 on main (FFmpeg's thread vs the GIL in PyAV's log callback)."""
    return damaged(SQUAT, tmp_path_factory.mktemp("damaged") / "squat_flipped.mp4", seed=1)


def test_damaged_clips_never_deadlock_the_in_process_decoder(tmp_path: Path):
    """Eight in-process decodes of each of two damaged clips, in a child so a deadlock is a timeout."""
    clips = [damaged(SQUAT, tmp_path / f"d{seed}.mp4", seed) for seed in (1, 4)]
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from posecheck.sources import _frames_pyav, open_video\n"
        "for p in sys.argv[1:]:\n"
        "    info = open_video(p).info\n"
        "    counts = {sum(1 for _ in _frames_pyav(Path(p), info)) for _ in range(8)}\n"
        "    print(p, sorted(counts))\n"
    )
    try:
        proc = subprocess.run([sys.executable, "-c", code, *map(str, clips)], capture_output=True, text=True,
                              timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail("decoding a damaged clip hung (the FFmpeg log callback deadlock)")
    assert proc.returncode == 0, proc.stderr
    counts = [line.split(" ", 1)[1] for line in proc.stdout.splitlines()]
    assert len(counts) == 2 and all(c.count(",") == 0 for c in counts), proc.stdout  # same count every time


@pytest.mark.usefixtures("hang_guard")
def test_damaged_clip_in_the_cli_says_how_much_was_read(broken_clip: Path, capsys: pytest.CaptureFixture):
    assert cli.main(["analyze", str(broken_clip), "-e", "squat", "--json"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["frames"] == 156
    assert report["warnings"][0].startswith("Decoded 156 of 367 frames; the rest of the file is damaged")
    assert err == ""
    assert cli.main(["analyze", str(broken_clip), "-e", "squat"]) == 0
    assert "warning: Decoded 156 of 367 frames" in capsys.readouterr().out


def test_a_healthy_clip_has_no_decode_warning():
    n = sum(1 for _ in open_video(SQUAT))
    assert sources.decode_shortfall(n, open_video(SQUAT).info) is None
    assert n == 367


# --- a decoder that hangs ---------------------------------------------------------------------------

STUCK_CHILD = """
import struct, sys, time
out = sys.stdout.buffer
for i in range({frames}):
    out.write(b"F" + struct.pack("<dQII", i / 30, i, 8, 8) + bytes(8 * 8 * 3))
out.flush()
time.sleep(120)  # a decoder deadlocked for good
"""


@pytest.fixture
def stuck_decoder(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen]]:
    """Replace the decoding child by one that sends 3 frames and hangs; stall after 1 s. Yields the
    children started, so a test can check each was killed."""
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def popen(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(decode_worker, "child_command",
                        lambda *_args: [sys.executable, "-c", STUCK_CHILD.format(frames=3)])
    monkeypatch.setattr(decode_worker.subprocess, "Popen", popen)
    monkeypatch.setattr(sources, "STALL_S", 1.0)
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()


def test_a_stuck_decoder_is_cut_off_and_the_frames_read_stand(stuck_decoder: list[subprocess.Popen]):
    video = open_video(SQUAT)
    t0 = time.monotonic()
    frames = list(video)
    assert len(frames) == 3 and time.monotonic() - t0 < 10
    assert video.stopped == "the decoder stopped responding (no frame for 1 s)"
    assert stuck_decoder and stuck_decoder[0].poll() is not None  # killed, not left behind
    assert sources.decode_shortfall(3, video.info).startswith("decoded 3 of 367 frames")


@pytest.mark.usefixtures("stuck_decoder")
def test_a_decoder_stuck_from_the_start_is_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(decode_worker, "child_command",
                        lambda *_args: [sys.executable, "-c", STUCK_CHILD.format(frames=0)])
    with pytest.raises(PosecheckError, match="no decodable video frames .the decoder stopped responding"):
        list(open_video(SQUAT))


@pytest.mark.usefixtures("stuck_decoder")
def test_a_stuck_decoder_does_not_block_other_threads():
    """What kept the app server alive: while one thread waits on a stuck decode, another keeps running."""
    ticks = []
    done = threading.Event()

    def ticker() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.05)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        list(open_video(SQUAT))
    finally:
        done.set()
        t.join()
    assert len(ticks) >= 10 and max(np.diff(ticks)) < 0.5


def test_the_in_process_decoder_has_the_same_cut_off(monkeypatch: pytest.MonkeyPatch):
    def stuck(_path, _info):
        yield sources.Frame(0.0, np.zeros((4, 4, 3), np.uint8), 0)
        threading.Event().wait(30)

    monkeypatch.setattr(sources, "_frames_pyav", stuck)
    video = sources.VideoSource(SQUAT, isolate=False, stall_s=0.5)
    assert len(list(video)) == 1 and "stopped responding" in video.stopped


def test_child_and_thread_decoding_give_the_same_frames():
    a = list(open_video(SQUAT, isolate=False))
    b = list(open_video(SQUAT))
    assert len(a) == len(b) == 367
    for x, y in zip(a[::40], b[::40], strict=True):
        assert (x.index, x.t_s) == (y.index, y.t_s) and np.array_equal(x.rgb, y.rgb)
    assert b[0].rgb.flags.writeable  # overlays draw on the frames


# --- inputs that are not what their name says ---------------------------------------------------


@pytest.mark.parametrize(("ext", "kind"), [("png", "PNG"), ("jpg", "JPEG")])
def test_an_image_renamed_mp4_is_called_a_still_image(tmp_path: Path, capsys: pytest.CaptureFixture, ext: str,
                                                      kind: str):
    img = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    still = tmp_path / f"photo.{ext}"
    cv2.imwrite(str(still), img)
    fake = tmp_path / "photo.mp4"
    shutil.copy(still, fake)
    with pytest.raises(PosecheckError, match=f"photo.mp4 is a still image \\({kind}\\), not a video"):
        open_video(fake)
    assert cli.main(["analyze", str(fake), "-e", "squat"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "still image" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_not_a_regular_file_and_never_blocks(tmp_path: Path, capsys: pytest.CaptureFixture):
    fifo = tmp_path / "clip.mp4"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    with pytest.raises(PosecheckError, match="clip.mp4 is not a regular file"):
        open_video(fifo)
    assert cli.main(["angles", str(fifo)]) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert time.monotonic() - t0 < 5


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_not_a_regular_file():
    with pytest.raises(PosecheckError, match="/dev/zero is not a regular file"):
        open_video("/dev/zero")


# --- the Review page ------------------------------------------------------------------------------


@pytest.fixture
def review_samples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "samples"
    folder.mkdir()
    monkeypatch.setenv("POSECHECK_SAMPLES_DIR", str(folder))
    return folder


@pytest.mark.usefixtures("hang_guard")
def test_review_page_says_how_much_of_a_damaged_clip_was_read(review_samples: Path, broken_clip: Path):
    from test_app_review import analyse, messages, start_app

    shutil.copy(broken_clip, review_samples / "damaged.mp4")
    at = analyse(start_app(), "damaged.mp4", "squat")
    assert not at.error, messages(at)
    assert "Decoded 156 of 367 frames; the rest of the file is damaged" in messages(at)
    assert "Traceback" not in messages(at)


@pytest.mark.usefixtures("stuck_decoder")
def test_review_page_cuts_off_a_stuck_decoder_with_a_message(review_samples: Path, monkeypatch: pytest.MonkeyPatch):
    from test_app_review import analyse, messages, start_app

    monkeypatch.setattr(decode_worker, "child_command",
                        lambda *_args: [sys.executable, "-c", STUCK_CHILD.format(frames=0)])
    shutil.copy(SQUAT, review_samples / "stuck.mp4")
    t0 = time.monotonic()
    at = analyse(start_app(), "stuck.mp4", "squat")
    assert len(at.error) == 1, messages(at)
    assert at.error[0].value.startswith("stuck.mp4 contains no decodable video frames (the decoder stopped responding")
    assert str(review_samples) not in at.error[0].value  # the page names the clip, not the server's folders
    assert time.monotonic() - t0 < 60
