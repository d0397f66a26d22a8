"""The Routine and History pages in a real browser: `streamlit run app.py` on a free port with a seeded temp
history file, Debian's headless Chromium with a fake camera playing a generated squat clip.

Routine: the user's own short routine is chosen, START pressed in the streamlit-webrtc iframe, and the page
must count, file the set at its target and move to the rest with what comes next. History: the seeded
weeks plus the set just done show as metrics, charts and tables. Screenshots go to test-output/.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import (
    OUTPUT_DIR,
    launch_with_fake_camera,
    need_chromium,
    pick_option,
    squat_mjpeg,
    streamlit_app,
)
from test_app_history import PAST_DAYS, seed

from posecheck.exercises import EXERCISES_DIR

ROUTINE = """
id = "browser_quick"
name = "Quick squat routine"
safety = ["Ease in", "Never bounce", "Stop at once if you feel sharp pain",
          "If you have an injury, see a professional before you start"]

[[steps]]
exercise = "squat"
sets = 2
reps = 2
rest_s = 45
note = "Sit back, chest up."
"""

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    need_chromium()
    ex_dir = tmp_path / "exercises"
    shutil.copytree(EXERCISES_DIR, ex_dir)
    (ex_dir / "routines" / "browser_quick.toml").write_text(ROUTINE)
    db = tmp_path / "history.sqlite3"
    seed(db)
    env = {"POSECHECK_DB": str(db), "POSECHECK_EXERCISES_DIR": str(ex_dir)}
    with streamlit_app(tmp_path, env) as url:
        yield url, db


def test_routine_and_history_pages_in_chromium(app: tuple[str, Path], tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    url, db = app
    clip, _ = squat_mjpeg(tmp_path, 4)
    OUTPUT_DIR.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch_with_fake_camera(pw, clip)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            # --- Routine: set-up screen with the guide's safety notes, then the user's routine, live.
            page.goto(url + "routine")
            page.get_by_role("heading", name="Guided routine").wait_for(timeout=60_000)
            expect(page.get_by_text("Never bounce in a stretch")).to_be_visible()
            expect(page.get_by_text(re.compile("see a professional", re.I)).first).to_be_visible()
            page.get_by_role("button", name="Start routine").wait_for(timeout=30_000)
            page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)
            time.sleep(1.0)  # widgets and the plan table finish drawing
            page.screenshot(path=str(OUTPUT_DIR / "routine_setup.png"), full_page=True)
            pick_option(page, "Routine", "Quick squat routine")
            page.get_by_role("button", name="Start routine").click()
            page.get_by_role("heading", name=re.compile(r"Squat \(set 1 of 2\)")).wait_for(timeout=60_000)
            page.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="START").click()
            page.get_by_text("Whole body in view: counting.").wait_for(timeout=90_000)
            page.get_by_text(re.compile(r"Reps\s*1 / 2")).or_(page.get_by_text("Rest, then set 2 of 2")).first \
                .wait_for(timeout=90_000)
            page.get_by_text("Rest, then set 2 of 2").wait_for(timeout=90_000)  # filed at the target, resting
            expect(page.get_by_role("heading", name=re.compile(r"Rest · \d+ s"))).to_be_visible()
            expect(page.get_by_text(re.compile(r"Up next:.*Squat \(set 2 of 2\)"))).to_be_visible()
            time.sleep(1.0)  # let the video and the countdown settle for the picture
            page.screenshot(path=str(OUTPUT_DIR / "routine.png"), full_page=True)
            assert page.get_by_test_id("stException").count() == 0
            page.get_by_role("button", name="Skip set").click()  # in the rest: skip the last set -> summary
            page.get_by_role("heading", name=re.compile("Quick squat routine: summary")).wait_for(timeout=30_000)
            expect(page.get_by_text(re.compile(r"Saved to your history \(session \d+\)"))).to_be_visible()
            time.sleep(1.0)
            page.screenshot(path=str(OUTPUT_DIR / "routine_summary.png"), full_page=True)
            assert page.get_by_test_id("stException").count() == 0

            # --- History: the seeded weeks plus the set just done.
            page.goto(url + "history")
            page.get_by_role("heading", name="History").wait_for(timeout=60_000)
            page.get_by_text("Week streak").wait_for(timeout=30_000)
            expect(page.get_by_text("2 weeks")).to_be_visible()
            expect(page.get_by_text(str(len(PAST_DAYS) + 2), exact=True).first).to_be_visible()  # + review + routine
            expect(page.get_by_text(re.compile("Most frequent: Keep the raised leg straight"))).to_be_visible()
            expect(page.get_by_text(re.compile("left side moves 20% less"))).to_be_visible()
            expect(page.get_by_role("button", name="Export CSV")).to_be_visible()
            page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg").nth(3) \
                .wait_for(timeout=30_000)  # weekly bars, two trends, faults
            page.set_viewport_size({"width": 1440, "height": 2900})  # Streamlit scrolls inside: show it all
            time.sleep(1.5)
            page.screenshot(path=str(OUTPUT_DIR / "history.png"), full_page=True)
            assert page.get_by_test_id("stException").count() == 0
        finally:
            browser.close()
