"""The command line's edges (issue 13), run in-process: bounded synth settings, output paths named in errors,
a 1-pixel clip, every argument documented, the Python version check. One subprocess test checks what
only a real process shows: stderr is exactly posecheck's one line, with no MediaPipe notices.
"""

from __future__ import annotations

import argparse
import importlib
import runpy
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

import posecheck
from posecheck import cli
from posecheck.sources import open_video
from posecheck.video_out import H264Writer

REPO = Path(__file__).resolve().parent.parent
SQUAT = REPO / "samples" / "squat_side.mp4"


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(result: tuple[int, str, str], *fragments: str) -> None:
    code, out, err = result
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and err.startswith("posecheck: "), err
    for f in fragments:
        assert f in err, err


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--fps", "0", "--fps must be a number from 1 to 240, not 0"),
    ("--fps", "nan", "not nan"),
    ("--fps", "inf", "not inf"),
    ("--fps", "-5", "not -5"),
    ("--size", "0x0", "--size must be from 64x64 to 4096x4096, not 0x0"),
    ("--size", "1x1", "not 1x1"),
    ("--size", "40000x40000", "not 40000x40000"),
    ("--size", "640by480", "--size must look like 640x480"),
])
def test_synth_refuses_unusable_settings_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture, option: str,
                                                     value: str, says: str):
    out = tmp_path / "clip.mp4"
    t0 = time.monotonic()
    one_line_error(run(capsys, "synth", "squat", str(out), option, value), says)
    assert time.monotonic() - t0 < 2  # refused up front: nothing allocated, nothing rendered
    assert not out.exists()


def test_out_video_into_a_missing_folder_names_the_path_before_analysing(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture):
    target = tmp_path / "no" / "such" / "folder" / "out.mp4"
    t0 = time.monotonic()
    one_line_error(run(capsys, "analyze", str(SQUAT), "-e", "squat", "--out-video", str(target)),
                   str(target), f"the folder {target.parent} does not exist")
    assert time.monotonic() - t0 < 5  # no minutes of analysis first
    one_line_error(run(capsys, "analyze", str(SQUAT), "-e", "squat", "--out-video", str(tmp_path)),
                   "must end in .mp4", str(tmp_path))
    one_line_error(run(capsys, "angles", str(SQUAT), "--csv", str(target.with_suffix(".csv"))),
                   str(target.with_suffix(".csv")), "does not exist")


def _tiny_clip(path: Path, w: int, h: int, n: int = 6) -> Path:
    """A lossless (FFV1) clip of w x h pixels: sizes H.264 cannot hold."""
    with av.open(str(path), "w") as c:
        s = c.add_stream("ffv1", rate=10)
        s.width, s.height, s.pix_fmt = w, h, "yuv444p"
        for i in range(n):
            f = av.VideoFrame.from_ndarray(np.full((h, w, 3), 90 + i, np.uint8), format="rgb24")
            f = f.reformat(format="yuv444p")
            f.pts = i
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


def test_out_video_of_a_one_pixel_clip_is_written(tmp_path: Path, capsys: pytest.CaptureFixture):
    clip = _tiny_clip(tmp_path / "dot.mkv", 1, 1)
    out = tmp_path / "dot.mp4"
    code, text, err = run(capsys, "analyze", str(clip), "-e", "squat", "--out-video", str(out))
    assert code == 0 and err == "", err
    assert f"annotated video: {out}" in text
    video = open_video(out)
    assert (video.info.width, video.info.height) == (2, 2) and len(list(video)) == 6


def test_writer_pads_a_one_pixel_side(tmp_path: Path):
    with H264Writer(tmp_path / "strip.mp4", 10, 1, 7) as w:
        w.write(np.full((7, 1, 3), 200, np.uint8))
    frame = next(iter(open_video(tmp_path / "strip.mp4")))
    assert frame.rgb.shape == (6, 2, 3) and abs(int(frame.rgb.mean()) - 200) < 8


# --- --help ---------------------------------------------------------------------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.parametrize("command", ["angles", "analyze", "synth", "samples"])
def test_every_argument_is_documented(command: str):
    sub = _subparsers(cli._build_parser())[command]
    undocumented = [a.dest for a in sub._actions if not a.help or a.help == argparse.SUPPRESS]
    assert undocumented == []


@pytest.mark.parametrize("command", [None, "angles", "analyze", "synth", "report", "batch", "exercises", "samples"])
def test_help_has_examples(command: str | None, capsys: pytest.CaptureFixture):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"] if command else ["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "examples:\n  posecheck " in text
    if command == "analyze":
        for arg, words in [("clip", "the video file"), ("--side", "working side"), ("--source", "2d = image"),
                           ("--model", ".task file")]:
            assert arg in text and words in text, arg


# --- the Python version -----------------------------------------------------------------------------


def test_import_on_an_unsupported_python_says_which_work(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(sys, "version_info", (3, 13, 0, "final", 0))
    with pytest.raises(ImportError, match=r"posecheck needs Python 3\.11 or 3\.12"):
        importlib.reload(posecheck)
    monkeypatch.undo()
    importlib.reload(posecheck)  # and on this Python it imports


def test_install_on_an_unsupported_python_says_which_work(monkeypatch: pytest.MonkeyPatch):
    """setup.py runs when pip builds the package (pip itself did not check requires-python on 3.13)."""
    monkeypatch.setattr(sys, "version_info", (3, 13, 0, "final", 0))
    monkeypatch.setattr(sys, "argv", ["setup.py", "--version"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(REPO / "setup.py"))
    assert "posecheck needs Python 3.11 or 3.12" in str(exit_.value.code)


# --- a real process: what reaches stderr -------------------------------------------------------------


def test_stderr_is_one_line_on_error_and_silent_on_success(tmp_path: Path):
    clip = tmp_path / "squat_2s.mp4"
    src = open_video(SQUAT)
    with H264Writer(clip, src.info.fps, src.info.width, src.info.height) as w:
        for f in src:
            if f.t_s > 2.0:
                break
            w.write(f.rgb, t_s=f.t_s, rgb=True)
    cmd = [sys.executable, "-m", "posecheck.cli", "analyze", str(clip), "-e", "squat"]
    ok = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and ok.stderr == "", ok.stderr  # no "INFO: Created TensorFlow Lite ..." and co.
    assert "Squat" in ok.stdout
    bad = subprocess.run([*cmd[:4], str(tmp_path / "missing.mp4"), "-e", "squat"], capture_output=True, text=True,
                         timeout=300)
    assert bad.returncode == 2 and bad.stderr == f"posecheck: File not found: {tmp_path / 'missing.mp4'}\n"
