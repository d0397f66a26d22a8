"""The Review page in a real browser: Debian's headless Chromium drives `streamlit run app.py`.

Picks a sample, analyses it, checks the rep count on the page and that the annotated H.264 clip really
plays in the browser, and saves a screenshot to test-output/ (and the test's tmp folder).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, OUTPUT_DIR, metric, need_chromium, streamlit_app
from test_app_review import add_sample, pick_sample, truth_reps

from posecheck.exercises import load_all

ANALYSIS_TIMEOUT_MS = 240_000

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port, its sample folder holding one real sample clip."""
    need_chromium()
    samples = tmp_path / "samples"
    samples.mkdir()
    clip, _ = pick_sample()
    add_sample(samples, clip)
    with streamlit_app(tmp_path, {"POSECHECK_SAMPLES_DIR": str(samples)}) as url:
        yield url


def test_review_page_in_chromium(app_url: str, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    clip, truth = pick_sample()
    ex = load_all().exercises[truth["exercise"]]
    want = truth_reps(truth)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(app_url)
            page.get_by_role("heading", name="Review a clip").wait_for(timeout=60_000)

            # The sample and its exercise are preselected; check, then analyse.
            expect(page.get_by_role("combobox", name="Sample clip")).to_have_value(clip.name)
            expect(page.get_by_role("combobox", name="Exercise")).to_have_value(ex.name)
            t0 = time.monotonic()
            page.get_by_role("button", name="Analyse clip").click()
            page.get_by_role("heading", name=f"Results · {clip.name}").wait_for(timeout=ANALYSIS_TIMEOUT_MS)
            elapsed = time.monotonic() - t0

            if ex.per_side:
                assert metric(page, "Reps · left") == str(want["left"])
                assert metric(page, "Reps · right") == str(want["right"])
            else:
                assert metric(page, "Reps") == str(want["total"])
            assert page.get_by_test_id("stException").count() == 0

            # The annotated H.264 clip loads and plays.
            video = page.locator("video").first
            video.scroll_into_view_if_needed()
            page.wait_for_function(
                "() => { const v = document.querySelector('video'); return v && v.readyState >= 1 && v.duration > 0 }",
                timeout=30_000)
            duration = video.evaluate("v => v.duration")
            assert duration > 0.5
            video.evaluate("v => { v.muted = true; return v.play() }")
            page.wait_for_function("() => document.querySelector('video').currentTime > 0.2", timeout=20_000)
            video.evaluate("v => v.pause()")
            assert video.evaluate("v => v.error") is None

            page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=30_000)
            # Streamlit scrolls inside its main section, so grow the viewport to the content for one shot.
            height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
            page.set_viewport_size({"width": 1440, "height": min(int(height) + 40, 6000)})
            page.wait_for_timeout(800)  # let the charts re-lay out at the new size
            shot = tmp_path / "review.png"
            page.screenshot(path=str(shot), full_page=True)
            OUTPUT_DIR.mkdir(exist_ok=True)
            shutil.copy(shot, OUTPUT_DIR / "review.png")
            print(f"analysis in the browser took {elapsed:.1f} s; screenshot {OUTPUT_DIR / 'review.png'}")
        finally:
            browser.close()
