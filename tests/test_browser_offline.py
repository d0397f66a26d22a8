"""Every page in Chromium with the network closed to everything but the app, and the Review page as seen.

Issue 13: "Runs offline" must hold in the browser. Every request the pages make to any host other than the
app's own is refused and recorded, on every page: Review (a sample analysed), Live (the camera running),
Routine (a routine started, the camera running) and History; the test fails if there was any.

The Review page is also checked as a person sees it (the default sample, then a portrait clip): the holds
are drawn in the purple the caption names, the default sample is not flagged, and a portrait clip is sized
to fit (not ~1000 px tall). Screenshots go to test-output/ (review_default.png is the README's review.png).
"""

from __future__ import annotations

import io
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from browser import (
    OUTPUT_DIR,
    launch_with_fake_camera,
    need_chromium,
    squat_mjpeg,
    streamlit_app,
)

from posecheck.synth import generate_clip

REPO = Path(__file__).resolve().parents[1]
ANALYSIS_TIMEOUT_MS = 300_000
# Sorts after the default sample; its name is Markdown and Streamlit short codes, which the results heading must
# show as written (it rendered bold, struck through and as an emoji).
PORTRAIT = "zz__portrait__ ~~squat~~ :smile:.mp4"
MAX_VIDEO_PX = 600

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(tmp_path: Path) -> Iterator[str]:
    need_chromium()
    samples = tmp_path / "samples"
    samples.mkdir()
    for f in ("glute_bridge.mp4", "glute_bridge.truth.json"):
        shutil.copy(REPO / "samples" / f, samples / f)
    generate_clip("squat", samples / PORTRAIT, fps=30, width=360, height=640, reps=1)
    with streamlit_app(tmp_path, {"POSECHECK_SAMPLES_DIR": str(samples)}) as url:
        yield url


def test_every_page_offline_and_the_review_page_as_seen(app: str, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    own = urlsplit(app).netloc
    refused: list[str] = []

    def guard(route) -> None:  # playwright's Route
        url = route.request.url
        if urlsplit(url).netloc == own:
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    clip, _ = squat_mjpeg(tmp_path, 2)
    OUTPUT_DIR.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch_with_fake_camera(pw, clip)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
            ctx.route("**/*", guard)
            ctx.on("request", lambda r: None if urlsplit(r.url).scheme in ("data", "blob") or
                   urlsplit(r.url).netloc == own else refused.append(r.url))
            page = ctx.new_page()
            _analyse_default(page, app, expect)
            _live(page, app)
            _routine(page, app)
            _history(page, app)
            assert page.get_by_test_id("stException").count() == 0
            assert not refused, f"the pages asked other hosts for: {sorted(set(refused))}"
            _review_as_seen(page, app, expect)
        finally:
            browser.close()
    assert not refused, f"the pages asked other hosts for: {sorted(set(refused))}"


def _analyse_default(page, app: str, expect) -> None:
    page.goto(app)
    page.get_by_role("heading", name="Review a clip").wait_for(timeout=60_000)
    expect(page.get_by_role("combobox", name="Sample clip")).to_have_value("glute_bridge.mp4")
    page.get_by_role("button", name="Analyse clip").click()  # the first click, nothing else chosen
    page.get_by_role("heading", name="Results · glute_bridge.mp4").wait_for(timeout=ANALYSIS_TIMEOUT_MS)
    page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=30_000)
    page.locator("video").first.wait_for(timeout=30_000)


def _review_as_seen(page, app: str, expect) -> None:
    page.goto(app)  # the analysis is cached: its results show again without analysing
    page.get_by_role("heading", name="Results · glute_bridge.mp4").wait_for(timeout=60_000)
    expect(page.get_by_text("No form faults: nice work.")).to_be_visible()  # the default sample: good form
    charts = page.get_by_test_id("stVegaLiteChart")
    charts.nth(1).wait_for(timeout=30_000)
    time.sleep(1.5)  # the charts draw
    _full_shot(page, OUTPUT_DIR / "review_default.png")
    for i in range(2):  # both charts: the holds are the caption's purple
        purple = _hold_pixels(charts.nth(i).screenshot())
        assert purple > 500, f"chart {i}: {purple} pixels of the holds' purple"
    expect(page.get_by_text(re.compile("holds are the purple bars"))).to_be_visible()

    _choose(page, "Sample clip", PORTRAIT)
    _choose(page, "Exercise", "Squat")
    page.get_by_role("button", name="Analyse clip").click()
    heading = page.get_by_role("heading", name=f"Results · {PORTRAIT}")
    heading.wait_for(timeout=ANALYSIS_TIMEOUT_MS)
    assert heading.inner_text() == f"Results · {PORTRAIT}"
    video = page.locator("video").first
    page.wait_for_function("() => { const v = document.querySelector('video'); return v && v.readyState >= 1 }",
                           timeout=30_000)
    time.sleep(0.5)
    box = video.bounding_box()
    assert box is not None and box["height"] <= MAX_VIDEO_PX, box  # a portrait clip fits beside its results
    assert box["width"] < box["height"]
    _full_shot(page, OUTPUT_DIR / "review_portrait.png")


def _live(page, app: str) -> None:
    page.goto(app + "live")
    page.get_by_role("heading", name="Live coaching").wait_for(timeout=60_000)
    page.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="START").click()
    page.get_by_text("Whole body in view: counting.").wait_for(timeout=90_000)
    time.sleep(3.0)  # frames flow for a while
    page.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="STOP").click()


def _routine(page, app: str) -> None:
    page.goto(app + "routine")
    page.get_by_role("heading", name="Guided routine").wait_for(timeout=60_000)
    page.get_by_role("button", name="Start routine").click()
    page.get_by_role("button", name="End routine now").wait_for(timeout=30_000)
    page.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="START").click()
    page.get_by_text("Whole body in view: counting.").wait_for(timeout=90_000)
    time.sleep(2.0)
    page.get_by_role("button", name="End routine now").click()
    page.get_by_role("heading", name=re.compile("summary")).wait_for(timeout=30_000)


def _history(page, app: str) -> None:
    page.goto(app + "history")
    page.get_by_role("heading", name="History").wait_for(timeout=60_000)
    time.sleep(2.0)


def _choose(page, box: str, value: str) -> None:
    """Pick a select box's option by typing it, as a keyboard user would."""
    combo = page.get_by_role("combobox", name=box)
    combo.scroll_into_view_if_needed()
    combo.click()
    page.keyboard.type(value)
    page.keyboard.press("Enter")
    page.wait_for_function("([name, v]) => [...document.querySelectorAll('input[role=combobox]')].some("
                           "e => e.getAttribute('aria-label') === name && e.value === v)", arg=[box, value],
                           timeout=10_000)
    time.sleep(0.5)  # the rerun it triggers


def _full_shot(page, path: Path) -> None:
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(int(height) + 40, 6000)})
    page.wait_for_timeout(1000)  # the charts re-lay out at the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 1000})


def _hold_pixels(png: bytes) -> int:
    """Pixels a person would call purple (the caption's colour for holds): clearly more blue than green, more red
    than green, bluest of all. The hold colour #6a51a3 over white passes from about 50% opacity up; a faint
    wash of it over the reps' green (what looked grey) does not, nor do the blue, orange and red lines."""
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return int(((b - g >= 40) & (r - g >= 10) & (b > r)).sum())
