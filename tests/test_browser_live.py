"""The Live page end to end: `streamlit run app.py`, Debian's headless Chromium with a fake camera playing a
generated squat clip, START clicked inside the streamlit-webrtc iframe, frames through WebRTC and MediaPipe.

Asserts from the page that frames flowed, a person was found, reps were counted in a sensible range, a beep
played, and that STOP keeps the set as a summary (how fast frames flow is bench/bench_live.py's business, not a
test's: this one shares the machine with other tests). Screenshots go to the test's tmp folder and test-output/.
`run_live_page` is also what bench/bench_live.py uses to measure the frames/s reached in the browser.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from browser import (
    OUTPUT_DIR,
    choose_live_exercise,
    launch_with_fake_camera,
    metric,
    need_chromium,
    squat_mjpeg,
    streamlit_app,
)

RUN_S = 12.0  # seconds of counting after the camera check passes
CLIP_REPS = 3
STATS_RE = re.compile(r"video ([\d.]+) fps \(([\d.]+) ms\) · pose ([\d.]+) fps \(([\d.]+) ms\) · (\S+) · "
                      r"frames (\d+) · person found in (\d+)%")
# Counts `playing` events of <audio> elements: the rep beeps (media events do not bubble; capture them).
BEEP_COUNTER_JS = """
window.__beeps = 0;
// 'play' fires once per start of a sound; 'playing' fires again each time a stalled sound resumes (seen on a
// loaded machine: 4 'playing' for 3 beeps).
document.addEventListener('play', e => { if (e.target.tagName === 'AUDIO') window.__beeps++; }, true);
"""

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@dataclass
class LiveRun:
    video_fps: float = 0.0  # annotated frames sent back per second, as the page shows it at the end
    video_ms: float = 0.0  # the video callback's time per frame (drawing; the pose is not in it)
    pose_fps: float = 0.0  # frames through the pose per second (the pose runs beside the video, never in its way)
    pose_ms: float = 0.0
    frames: int = 0
    person_pct: int = 0
    reps: int = 0
    beeps: int = 0
    counting_s: float = 0.0  # how long the page counted (after the camera check)
    check_s: float = 0.0  # START click -> camera check passed
    video_samples: list[float] = field(default_factory=list)  # one per stats read while counting
    pose_samples: list[float] = field(default_factory=list)
    frames_at_count: int | None = None  # frames processed when counting started (the first stats read after)
    reps_after_stop: str = ""  # the stopped page's summary line
    stats_after_stop: str = ""  # the stopped page's stats line
    screenshot: Path | None = None


# --- the page ---------------------------------------------------------------------------------


def run_live_page(url: str, clip: Path, shots: Path, run_s: float = RUN_S, exercise: str = "Squat") -> LiveRun:
    """Open the Live page, pick the exercise, click START, count for `run_s` s, STOP; read everything off the page."""
    from playwright.sync_api import sync_playwright

    run = LiveRun()
    with sync_playwright() as pw:
        browser = launch_with_fake_camera(pw, clip)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.add_init_script(BEEP_COUNTER_JS)
            page.goto(url + "live")
            page.get_by_role("heading", name="Live coaching").wait_for(timeout=60_000)
            choose_live_exercise(page, exercise)
            page.get_by_role("heading", name=re.compile(r"\bSet 1$")).wait_for(timeout=30_000)  # slow under load

            component = page.frame_locator('iframe[title*="webrtc"]')
            t_start = time.monotonic()
            component.get_by_role("button", name="START").click()
            page.get_by_text("Whole body in view: counting.").wait_for(timeout=60_000)
            t_count = time.monotonic()
            run.check_s = t_count - t_start
            while time.monotonic() - t_count < run_s:
                time.sleep(0.5)
                stats = _stats(page)
                if stats:
                    run.video_samples.append(stats[0])
                    run.pose_samples.append(stats[2])
                    if run.frames_at_count is None:
                        run.frames_at_count = stats[5]
            run.counting_s = time.monotonic() - t_count
            run.beeps = int(page.evaluate("window.__beeps"))  # before the reps: a beep follows its count
            run.reps = int(metric(page, "Reps", timeout_ms=5_000))
            stats = _stats(page)
            assert stats is not None, "no frame statistics on the page"
            run.video_fps, run.video_ms, run.pose_fps, run.pose_ms, _, run.frames, run.person_pct = stats
            shots.mkdir(parents=True, exist_ok=True)
            run.screenshot = shots / "live.png"
            page.screenshot(path=str(run.screenshot), full_page=True)

            component.get_by_role("button", name="STOP").click()
            page.get_by_role("heading", name=re.compile(r"Sets done: 1")).wait_for(timeout=20_000)
            run.reps_after_stop = page.get_by_text(re.compile("^Camera stopped")).inner_text(timeout=10_000)
            stats_box = page.locator(".st-key-live_stats")
            stats_box.get_by_text(re.compile("^Camera off")).wait_for(timeout=10_000)
            run.stats_after_stop = stats_box.inner_text(timeout=5_000)
            # The sets table draws on a canvas after its element appears: the shot shows it drawn.
            page.get_by_test_id("stDataFrame").locator("canvas").first.wait_for(timeout=10_000)
            page.wait_for_timeout(1_000)
            page.screenshot(path=str(shots / "live_stopped.png"), full_page=True)
            assert page.get_by_test_id("stException").count() == 0
        finally:
            browser.close()
    return run


def _stats(page) -> tuple[float, float, float, float, str, int, int] | None:  # playwright's Page
    box = page.locator(".st-key-live_stats")
    try:
        m = STATS_RE.search(box.inner_text(timeout=2_000))
    except Exception:  # the fragment is being redrawn; the next poll reads it
        return None
    return (float(m[1]), float(m[2]), float(m[3]), float(m[4]), m[5], int(m[6]), int(m[7])) if m else None


# --- the test -----------------------------------------------------------------------------------


def test_live_page_counts_reps_from_a_fake_camera(tmp_path: Path):
    need_chromium()
    clip, rep_period_s = squat_mjpeg(tmp_path, CLIP_REPS)
    with streamlit_app(tmp_path) as url:
        run = run_live_page(url, clip, tmp_path)
    OUTPUT_DIR.mkdir(exist_ok=True)
    for name in ("live.png", "live_stopped.png"):
        shutil.copy(tmp_path / name, OUTPUT_DIR / name)
    print(f"\nlive page: video {run.video_fps:.1f} fps ({run.video_ms:.1f} ms per frame), pose {run.pose_fps:.1f} fps "
          f"({run.pose_ms:.1f} ms per pose), {run.frames} frames, person {run.person_pct}%, {run.reps} reps in "
          f"{run.counting_s:.1f} s of counting (camera check {run.check_s:.1f} s), {run.beeps} beeps; "
          f"screenshots in {OUTPUT_DIR}")

    assert run.frames_at_count is not None and run.frames > run.frames_at_count  # frames flowed while counting
    assert run.person_pct >= 80
    expected = run.counting_s / rep_period_s
    assert max(1, math.floor(0.5 * expected)) <= run.reps <= math.ceil(1.25 * expected) + 1, (run.reps, expected)
    assert 1 <= run.beeps <= run.reps  # a beep per counted rep (two reps inside one refresh share one)
    kept = re.search(r"Set 1 kept: (\d+) reps?", run.reps_after_stop)  # STOP kept the count as the set summary
    assert kept and run.reps <= int(kept[1]) <= run.reps + 2, run.reps_after_stop
    assert "fps" not in run.stats_after_stop, run.stats_after_stop  # no stale rates once the camera is off
