"""The harness the in-browser tests share: the app on a free port, Debian's Chromium, a fake-camera clip.

Never a downloaded browser: Playwright drives /usr/bin/chromium. The app always gets its own history file
(POSECHECK_DB in the test's tmp folder), so a test run never writes into the user's real history.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# The closed network here refuses Chromium's background connections; these flags stop it trying.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--use-fake-ui-for-media-stream",
                 "--use-fake-device-for-media-stream"]
OUTPUT_DIR = REPO / "test-output"


def launch_with_fake_camera(pw, clip: Path):  # -> playwright Browser; pw: the sync_playwright() instance
    """Debian's Chromium, headless, whose camera is the given MJPEG clip (played in a loop)."""
    return pw.chromium.launch(executable_path=CHROMIUM,
                              args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={clip}"])


def pick_option(page, box: str, option: str, attempts: int = 3) -> None:  # page: playwright Page
    """Choose `option` in the select box labelled `box`, and see the box show it. On a loaded machine a click
    can land while the open list is being redrawn (a fragment's rerun) and the list stays open on the old
    choice (seen in CI): then pick again, as a person would."""
    from playwright.sync_api import expect

    combo = page.get_by_role("combobox", name=box)
    for _ in range(attempts):
        combo.click()
        page.get_by_role("option", name=option, exact=True).click()
        try:
            expect(combo).to_have_value(option, timeout=5_000)
            return
        except AssertionError:
            page.keyboard.press("Escape")
    raise AssertionError(f"{box!r} never showed {option!r} after {attempts} picks")


def choose_live_exercise(page, name: str) -> None:  # page: playwright Page
    """Pick `name` on the Live page and wait until the server has drawn it (its target line)."""
    from posecheck.exercises import load_all
    from posecheck.ui.widgets import targets_text

    ex = next(e for e in load_all().exercises.values() if e.name == name)
    pick_option(page, "Exercise", name)
    page.get_by_test_id("stMarkdown").filter(
        has_text=re.compile(rf"^\s*Target: {re.escape(targets_text(ex) or 'none')}\s*$")).first.wait_for(timeout=30_000)


def metric(page, label: str, timeout_ms: float = 30_000) -> str:  # page: playwright Page
    """The value shown under the st.metric labelled exactly `label`."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue").inner_text(timeout=timeout_ms).strip()


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (sudo apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_app(folder: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free port (log and history file in `folder`); yields its URL."""
    port = free_port()
    log_path = folder / "streamlit.log"
    log = log_path.open("w")
    full_env = {**os.environ, "POSECHECK_DB": str(folder / "history.sqlite3"), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=REPO, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        end = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > end:
                raise RuntimeError(f"streamlit did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def squat_mjpeg(folder: Path, reps: int = 3) -> tuple[Path, float]:
    """A generated side-on squat clip as MJPEG (Chromium's fake camera loops it; ~30x smaller than Y4M),
    and its seconds per rep."""
    import av

    from posecheck.sources import open_video
    from posecheck.synth import generate_clip

    mp4 = Path(generate_clip("squat", folder / "squat.mp4", fps=30, width=640, height=480, reps=reps))
    out = folder / "squat.mjpeg"
    duration = 0.0
    with av.open(str(out), "w", format="mjpeg") as container:
        stream = container.add_stream("mjpeg", rate=30)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuvj420p"
        for frame in open_video(mp4):
            duration = frame.t_s
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame.rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out, (duration + 1 / 30) / reps
