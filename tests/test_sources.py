"""Video sources: real container timestamps, rotation metadata, other codecs, bad input, bounded memory."""

import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from posecheck.errors import PosecheckError
from posecheck.sources import LiveFrameStream, open_video
from posecheck.video_out import H264Writer


def _stripe(w: int = 64, h: int = 32) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :8] = 255  # a white stripe down the left edge shows which way a frame was turned
    return img


def test_h264_roundtrip_keeps_irregular_timestamps(tmp_path: Path):
    path = tmp_path / "vfr.mp4"
    times = [0.0, 0.033, 0.066, 0.2, 0.233, 0.5]  # dropped frames in between
    with H264Writer(path, 30, 64, 48) as w:
        for t in times:
            w.write(_stripe(64, 48), t_s=t)
    frames = list(open_video(path))
    assert [round(f.t_s, 3) for f in frames] == times
    assert frames[0].rgb.shape == (48, 64, 3)
    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"


def test_writer_evens_odd_sizes(tmp_path: Path):
    with H264Writer(tmp_path / "odd.mp4", 25, 65, 49) as w:
        w.write(np.zeros((49, 65, 3), np.uint8))
    info = open_video(tmp_path / "odd.mp4").info
    assert (info.width, info.height) == (64, 48)


@pytest.mark.parametrize(("ccw", "white_at"), [(90, "bottom"), (-90, "top"), (180, "right")])
def test_rotation_metadata_is_honoured(tmp_path: Path, ccw: int, white_at: str):
    path = tmp_path / "rot.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 32, "yuv420p"
        s.set_display_rotation(ccw)
        for i in range(3):
            f = av.VideoFrame.from_ndarray(_stripe(), format="rgb24")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    video = open_video(path)
    frame = next(iter(video))
    img = frame.rgb[..., 0].astype(float)
    if ccw in (90, -90):
        assert (video.info.width, video.info.height) == (32, 64) == (frame.width, frame.height)
    regions = {"top": img[:6].mean(), "bottom": img[-6:].mean(), "left": img[:, :6].mean(), "right": img[:, -6:].mean()}
    assert max(regions, key=regions.get) == white_at


def test_other_codec_mjpeg_avi(tmp_path: Path):
    path = tmp_path / "clip.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 20, (64, 48))
    for _ in range(10):
        w.write(np.full((48, 64, 3), 128, np.uint8))
    w.release()
    frames = list(open_video(path))
    assert len(frames) == 10
    assert frames[-1].t_s == pytest.approx(9 / 20, abs=1e-3)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"this is not a video at all" * 10, "not a video")],
)
def test_bad_files_raise_a_clear_error(tmp_path: Path, content: bytes, message: str):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(PosecheckError, match=message):
        open_video(path)


def test_missing_file(tmp_path: Path):
    with pytest.raises(PosecheckError, match="not found"):
        open_video(tmp_path / "nope.mp4")


def test_truncated_clip_keeps_what_decodes(tmp_path: Path):
    path = tmp_path / "full.mp4"
    rng = np.random.default_rng(0)
    with H264Writer(path, 30, 160, 120) as w:
        for _ in range(60):
            w.write(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8))
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # faststart: the index is at the front, frames get cut
    frames: list = []
    problem = None
    try:
        frames = list(open_video(cut))
    except PosecheckError as exc:
        problem = str(exc)
    if problem is not None:  # acceptable too: a clear message, never a raw FFmpeg error
        assert "cut.mp4" in problem
    else:
        assert 0 < len(frames) < 60


def test_audio_only_file_has_no_video_stream(tmp_path: Path):
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as c:
        s = c.add_stream("aac", rate=8000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 8000
        frame.pts = 0
        frame.time_base = Fraction(1, 8000)
        for p in s.encode(frame):
            c.mux(p)
        for p in s.encode():
            c.mux(p)
    with pytest.raises(PosecheckError, match="no video"):
        open_video(path)


def test_streaming_memory_is_bounded(tmp_path: Path):
    """Decoding a long clip must not hold its frames: peak RSS growth stays far below the clip's size."""
    path = tmp_path / "long.mp4"
    with H264Writer(path, 30, 640, 480, crf=40) as w:
        for i in range(900):  # 30 s of 640x480: 830 MB if it were all held as RGB
            w.write(np.full((480, 640, 3), i % 255, np.uint8))
    code = (
        "import resource, sys\n"
        "from posecheck.sources import open_video\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "n = sum(1 for _ in open_video(sys.argv[1]))\n"
        "print(n, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    n, grew_mb = map(int, out.stdout.split())
    assert n == 900
    assert grew_mb < 150


def test_live_stream_drops_oldest_and_keeps_camera_times():
    live = LiveFrameStream(maxsize=2)
    img = np.zeros((4, 4, 3), np.uint8)
    for i in range(5):
        live.push(img, 100.0 + i * 0.05)
    live.close()
    frames = list(live)
    assert [round(f.t_s, 2) for f in frames] == [0.15, 0.2]  # the newest two, times from the camera
    assert [f.index for f in frames] == [3, 4]
    assert live.dropped == 3


@pytest.mark.parametrize("isolate", [True, False])
def test_frames_come_scaled_down_by_the_decoder_exactly_as_downscale_makes_them(isolate: bool):
    from posecheck.sources import downscale

    path = Path(__file__).resolve().parents[1] / "samples" / "squat_side.mp4"
    full = [f for _, f in zip(range(12), open_video(path, isolate=isolate), strict=False)]
    small = [f for _, f in zip(range(12), open_video(path, isolate=isolate, max_side=320), strict=False)]
    assert max(full[0].rgb.shape[:2]) > 320 and max(small[0].rgb.shape[:2]) == 320
    for a, b in zip(full, small, strict=True):
        assert (a.t_s, a.index) == (b.t_s, b.index)
        assert np.array_equal(downscale(a, 320).rgb, b.rgb)  # the same pixels the caller would have made
    same = next(iter(open_video(path, isolate=isolate, max_side=4000)))
    assert np.array_equal(same.rgb, full[0].rgb)  # never scaled up
