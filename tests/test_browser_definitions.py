"""In Chromium: a Markdown image, link or HTML tag in an exercise file is shown as text and never fetched.
(Streamlit's Markdown turns a bare http:// address into a link showing that address; that is allowed.)

The Review page runs with a definitions folder whose squat has an image, a link and an <img> tag in its
tips and description; every request the page makes is recorded and any to another host is refused.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, need_chromium, pick_option, streamlit_app

from posecheck.exercises import EXERCISES_DIR

pytestmark = pytest.mark.e2e

IMAGE = "![tip](http://example.com/tip.png)"
HTML = '<img src="http://example.com/html.png">'
LINK = "[guide](http://example.com/guide)"


def test_file_text_is_shown_never_fetched(tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    need_chromium()
    ex_dir = tmp_path / "exercises"
    ex_dir.mkdir()
    squat = (EXERCISES_DIR / "squat.toml").read_text()
    squat = squat.replace("tips = [", f"tips = [{json.dumps(IMAGE)}, {json.dumps(HTML)}, ")
    squat = squat.replace('description = "', f'description = "Read the {LINK}. ')
    (ex_dir / "squat.toml").write_text(squat)
    shutil.copy(EXERCISES_DIR / "lunge.toml", ex_dir)
    env = {"POSECHECK_EXERCISES_DIR": str(ex_dir), "POSECHECK_SAMPLES_DIR": str(tmp_path / "none")}
    with streamlit_app(tmp_path, env) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            app_host = urlparse(url).netloc
            outside: list[str] = []

            def refuse_outside(route) -> None:  # Playwright's Route
                if urlparse(route.request.url).netloc != app_host and not route.request.url.startswith("data:"):
                    outside.append(route.request.url)
                    route.abort()
                else:
                    route.continue_()

            page.route("**/*", refuse_outside)
            page.goto(url)
            page.get_by_role("combobox", name="Exercise").wait_for(timeout=60_000)
            pick_option(page, "Exercise", "Squat")
            page.get_by_text("Side-on to the camera is best").wait_for(timeout=30_000)  # the tips are drawn
            time.sleep(1.0)  # anything they would load has been asked for by now
            assert [u for u in outside if "example.com" in u] == []
            assert page.locator("img[src*='example.com']").count() == 0
            # The text as written (a bare address inside may be its own link element, hence has_text).
            expect(page.locator("li", has_text=IMAGE)).to_be_visible()
            expect(page.locator("li", has_text=HTML)).to_be_visible()
            expect(page.locator("p", has_text=f"Read the {LINK}.")).to_be_visible()
            # Streamlit links a bare address; a link may only ever show its own address, never other words.
            links = page.locator("a[href*='example.com']")
            for i in range(links.count()):
                assert links.nth(i).inner_text() == unquote(links.nth(i).get_attribute("href") or "")
        finally:
            browser.close()
