"""Live coaching throughput: the WebRTC frame callback's own cost, and the frames/s reached in a real browser.

    python bench/bench_live.py [CLIP] [--repeat N] [--no-browser] [--browser-seconds S]

Measured in one run on the same frames, so machine noise hits all alike:
1. bare MediaPipe Pose (model_complexity=1) on frames already in memory;
2. `LiveSession.process` (pose, kinematics, smoothing, camera check, tracker, overlay);
3. the whole callback as streamlit-webrtc calls it: av.VideoFrame (yuv420p, as the VP8 decoder hands it
   over) -> RGB -> process -> av.VideoFrame;
and prints ms per frame, frames/s and ratios against bare MediaPipe. Then, unless --no-browser, it runs
the Live page in headless Chromium with a fake camera playing a generated squat clip (the same harness as
tests/test_browser_live.py) and prints the frames/s the page reports. Goal: >= 25 fps in the browser on
2 cores. Without CLIP it generates a 640x480, 30 fps squat clip first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def bare_mediapipe(frames: list[np.ndarray]) -> float:
    """ms per frame."""
    import mediapipe as mp

    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
        pose.process(frames[0])  # graph warm-up is not throughput
        t0 = time.perf_counter()
        for rgb in frames:
            pose.process(rgb)
        return (time.perf_counter() - t0) * 1000 / len(frames)


def live_process(frames: list[np.ndarray], times: list[float]) -> tuple[float, int]:
    """ms per frame of LiveSession.process, and the reps it counted."""
    from posecheck.exercises import get_exercise
    from posecheck.live import LiveSession

    session = LiveSession(get_exercise("squat"))
    session.process(frames[0], times[0] - 1 / 30)  # warm-up: the graph is built on the first frame
    t0 = time.perf_counter()
    for rgb, t in zip(frames, times, strict=True):
        session.process(rgb, t)
    ms = (time.perf_counter() - t0) * 1000 / len(frames)
    reps = session.snapshot().reps_total
    session.close()
    return ms, reps


def whole_callback(frames: list[np.ndarray], times: list[float]) -> float:
    """ms per frame of the Live page's callback, av.VideoFrame in and out."""
    import av

    from posecheck.exercises import get_exercise
    from posecheck.live import LiveSession

    session = LiveSession(get_exercise("squat"))
    # WebRTC delivers yuv420p frames with pts in a 90 kHz clock; build them up front (not part of the cost).
    vfs = []
    for rgb, t in zip(frames, times, strict=True):
        vf = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        vf.pts, vf.time_base = round(t * 90_000), Fraction(1, 90_000)
        vfs.append(vf)

    def callback(frame: av.VideoFrame) -> av.VideoFrame:  # mirrors posecheck.ui.live._frame_callback
        rgb = frame.to_ndarray(format="rgb24")
        out = session.process(rgb, float(frame.time))
        return av.VideoFrame.from_ndarray(out, format="rgb24")

    callback(vfs[0])
    t0 = time.perf_counter()
    for vf in vfs:
        callback(vf)
    ms = (time.perf_counter() - t0) * 1000 / len(vfs)
    session.close()
    return ms


def browser_fps(seconds: float) -> dict[str, float] | None:
    sys.path.insert(0, str(REPO / "tests"))
    try:
        import browser
        import test_browser_live as harness
    finally:
        sys.path.pop(0)
    if not Path(harness.CHROMIUM).exists():
        print(f"browser run skipped: {harness.CHROMIUM} is missing")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip, _ = browser.squat_mjpeg(folder)
        with browser.streamlit_app(folder) as url:
            run = harness.run_live_page(url, clip, folder, run_s=seconds)
    samples = run.fps_samples[len(run.fps_samples) // 4:] or [run.fps]  # skip the ramp-up
    return {"fps_end": run.fps, "fps_median": statistics.median(samples), "fps_min": min(samples),
            "callback_ms": run.callback_ms, "frames": run.frames, "reps": run.reps, "seconds": run.counting_s}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clip", nargs="?")
    ap.add_argument("--repeat", type=int, default=2, help="alternate the measurements this many times")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium run")
    ap.add_argument("--browser-seconds", type=float, default=15.0)
    args = ap.parse_args()

    from posecheck.sources import open_video

    tmp = tempfile.TemporaryDirectory()
    clip = Path(args.clip) if args.clip else None
    if clip is None:
        from posecheck.synth import generate_clip

        clip = Path(generate_clip("squat", Path(tmp.name) / "squat.mp4", fps=30, width=640, height=480, reps=4)
                    or Path(tmp.name) / "squat.mp4")
    decoded = list(open_video(clip))
    frames = [f.rgb for f in decoded]
    times = [1000.0 + f.t_s for f in decoded]  # a camera clock does not start at 0
    print(f"clip: {clip}  frames={len(frames)}  size={frames[0].shape[1]}x{frames[0].shape[0]}")

    bare, live, cb = [], [], []
    reps = 0
    for _ in range(max(1, args.repeat)):
        bare.append(bare_mediapipe(frames))
        ms, reps = live_process(frames, times)
        live.append(ms)
        cb.append(whole_callback(frames, times))
    b, p, c = min(bare), min(live), min(cb)
    row = "{:34s} {:6.1f} ms/frame  {:6.1f} fps   runs={}"
    print(row.format("bare MediaPipe:", b, 1000 / b, [round(x, 1) for x in bare]))
    print(row.format("LiveSession.process:", p, 1000 / p, [round(x, 1) for x in live]) + f"   reps={reps}")
    print(row.format("whole callback (av in/out):", c, 1000 / c, [round(x, 1) for x in cb]))
    print(f"ratio process / bare (time):       {p / b:6.2f}   (fps ratio {b / p:.2f})")
    print(f"ratio callback / bare (time):      {c / b:6.2f}   (fps ratio {b / c:.2f})")
    print(f"callback overhead beyond MediaPipe: {c - b:5.1f} ms/frame")
    if not args.no_browser:
        res = browser_fps(args.browser_seconds)
        if res is not None:
            print(f"browser (Chromium fake camera, WebRTC round trip): {res['fps_median']:.1f} fps median, "
                  f"{res['fps_min']:.1f} min, {res['fps_end']:.1f} at the end; callback {res['callback_ms']:.1f} ms "
                  f"under load; {res['frames']} frames, {res['reps']} reps in {res['seconds']:.1f} s")
            print(f"ratio browser fps / bare MediaPipe fps: {res['fps_median'] / (1000 / b):.2f}   (goal: >= 25 fps)")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
