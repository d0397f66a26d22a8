"""Spoken coaching in the browser: `streamlit run app.py`, Debian's headless Chromium with a fake camera playing a
generated squat clip, the Live page counting, and `speechSynthesis.speak` spied on by an init script (Chromium
here has no voice installed, so the spy also offers one test voice and ends each utterance after a moment).

Asserts that the utterances arrive during the session, in order (the camera-check line, then the counts one,
two, three... rising by one), never two at once, and that the beeps stay silent while the voice speaks. Then, in
the same session, the voice is switched off in its controls (and its rate and volume changed): the reps go on
with nothing said and the beeps back; after a reload the controls show the settings this browser kept
(localStorage).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
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

from posecheck.speech import number_words

pytestmark = pytest.mark.e2e
RUN_S = 20.0  # at most; the test moves on once three counts were said

# Records every utterance in the top page (the voice component lives in an iframe of the same origin), with
# whether another one was still being spoken: the page must never make two voices at once.
SPY_JS = """
(() => {
  const sink = (() => { try { return window.top; } catch (e) { return window; } })();
  if (window === window.top) { window.__spoken = []; window.__overlap = 0; window.__busy = false; window.__beeps = 0;
    document.addEventListener('play', e => { if (e.target.tagName === 'AUDIO') window.__beeps++; }, true); }
  if (!window.speechSynthesis) return;
  const voice = {name: 'Test voice', lang: 'en-US', default: true, localService: true, voiceURI: 'test-voice'};
  speechSynthesis.getVoices = () => [voice];
  speechSynthesis.speak = u => {
    if (sink.__busy) sink.__overlap++;
    sink.__busy = true;
    sink.__spoken.push(u.text);
    setTimeout(() => { sink.__busy = false; if (u.onend) u.onend(new Event('end')); }, 250);
  };
})();
"""


def test_live_session_speaks_the_counts_in_order(tmp_path: Path):
    need_chromium()
    from playwright.sync_api import sync_playwright

    clip, _ = squat_mjpeg(tmp_path, 3)
    with streamlit_app(tmp_path) as url, sync_playwright() as pw:
        browser = launch_with_fake_camera(pw, clip)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1100})
            page.add_init_script(SPY_JS)
            page.goto(url + "live")
            page.get_by_role("heading", name="Live coaching").wait_for(timeout=60_000)
            choose_live_exercise(page, "Squat")
            voice = page.frame_locator('iframe[title*="posecheck_voice"]')
            voice.get_by_text("Voice coaching").wait_for(timeout=30_000)
            page.frame_locator('iframe[title*="webrtc"]').get_by_role("button", name="START").click()
            page.get_by_text("Whole body in view: counting.").wait_for(timeout=60_000)
            end = time.monotonic() + RUN_S
            while time.monotonic() < end and len(_counts(page)) < 3:
                time.sleep(0.5)
            time.sleep(1.0)
            spoken = page.evaluate("window.__spoken")
            overlap, beeps = page.evaluate("window.__overlap"), page.evaluate("window.__beeps")
            reps = int(metric(page, "Reps"))
            page.screenshot(path=str(tmp_path / "live_voice.png"), full_page=True)
            assert page.get_by_test_id("stException").count() == 0
            off = _voice_off_then_reload(page)
        finally:
            browser.close()
    OUTPUT_DIR.mkdir(exist_ok=True)
    shutil.copy(tmp_path / "live_voice.png", OUTPUT_DIR / "live_voice.png")
    print(f"\nspoken: {spoken}; {reps} reps on the page")

    counts = [s for s in spoken if s in {number_words(n) for n in range(1, 40)}]
    numbers = [next(n for n in range(1, 40) if number_words(n) == s) for s in counts]
    assert len(numbers) >= 2, spoken  # the counts arrived during the session...
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), spoken  # ...in order, none twice
    assert numbers[0] == 1
    assert abs(numbers[-1] - reps) <= 1, (numbers, reps)  # the voice says what the page counts
    assert spoken.index("Counting. Go ahead.") < spoken.index("one")
    assert overlap == 0  # never two voices at once
    assert beeps == 0  # the voice speaks: no beeps on top

    print(f"voice off: {off}")
    assert off.reps >= 2  # the session went on counting...
    assert off.spoken == []  # ...and a voice switched off said nothing of it
    assert off.beeps >= 1  # the beeps took over
    # After the reload the controls show the settings this browser keeps, and the stored ones are those.
    assert off.shown == {"on": False, "rate": "1.4", "volume": "0.3"}, off.shown
    assert off.stored == {"on": False, "rate": 1.4, "volume": 0.3}, off.stored


@dataclass
class VoiceOff:
    reps: int  # counted while the voice was off
    spoken: list[str]  # said meanwhile
    beeps: int  # sounded meanwhile
    shown: dict[str, object]  # the controls after the reload
    stored: dict[str, object]  # localStorage after the reload


def _voice_off_then_reload(page) -> VoiceOff:  # playwright's Page
    """Switch the voice off and change its rate and volume in the voice component, let the session count on,
    then reload the page and read the controls and localStorage back."""
    voice = page.frame_locator('iframe[title*="posecheck_voice"]')
    voice.locator("#on").uncheck()
    for box, value in (("#rate", "1.4"), ("#volume", "0.3")):  # a slider moved as a person moves it: input events
        voice.locator(box).evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", value)
    said, beeps = len(page.evaluate("window.__spoken")), page.evaluate("window.__beeps")
    reps = int(metric(page, "Reps"))
    end = time.monotonic() + RUN_S
    while time.monotonic() < end and int(metric(page, "Reps")) < reps + 2:
        time.sleep(0.5)
    time.sleep(1.0)  # a word planned for the last rep would be said by now
    off = VoiceOff(int(metric(page, "Reps")) - reps, page.evaluate("window.__spoken")[said:],
                   page.evaluate("window.__beeps") - beeps, {}, {})
    page.reload()
    page.get_by_role("heading", name="Live coaching").wait_for(timeout=60_000)
    voice = page.frame_locator('iframe[title*="posecheck_voice"]')
    voice.get_by_text("Voice coaching").wait_for(timeout=30_000)
    off.shown = {"on": voice.locator("#on").is_checked(), "rate": voice.locator("#rate").input_value(),
                 "volume": voice.locator("#volume").input_value()}
    off.stored = json.loads(page.evaluate("localStorage.getItem('posecheck.voice')") or "{}")
    return off


def _counts(page) -> list[str]:  # playwright's Page
    spoken = page.evaluate("window.__spoken") or []
    return [s for s in spoken if re.fullmatch(r"[a-z]+", s) and s in {number_words(n) for n in range(1, 40)}]
