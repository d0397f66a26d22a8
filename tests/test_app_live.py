"""The Live page's settings through Streamlit's AppTest: the strict-depth toggle reaches the live session."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest


def _live_page() -> None:
    from posecheck.ui import live

    live.render()


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    from posecheck.ui import webcam

    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "history.db"))
    # streamlit-webrtc needs a real server session (the browser tests drive it); here the camera stays off.
    monkeypatch.setattr(webcam, "streamer", lambda *_args, **_kwargs: False)
    at = AppTest.from_function(_live_page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def _session(at: AppTest):  # -> posecheck.live.LiveSession
    from posecheck.ui.live import SESSION_KEY

    return at.session_state[SESSION_KEY]


def test_full_depth_only_follows_the_toggle(page: AppTest):
    at = page
    pick = at.selectbox(key="live_exercise")
    pick.select(next(o for o in pick.options if o.startswith("Squat"))).run()
    toggle = next(t for t in at.toggle if t.label == "Count full-depth reps only")
    assert toggle.value is False  # the squat's own default: shallow reps count, flagged
    assert _session(at)._strict_depth is False
    toggle.set_value(True).run()
    assert not at.exception, at.exception
    assert _session(at)._strict_depth is True
    assert _session(at)._tracker.strategy.strict is True  # the set now counts full-depth reps only


def test_holds_have_no_depth_toggle(page: AppTest):
    at = page
    pick = at.selectbox(key="live_exercise")
    pick.select(next(o for o in pick.options if o.startswith("Kneeling"))).run()
    assert not [t for t in at.toggle if t.label == "Count full-depth reps only"]
