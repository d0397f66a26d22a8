"""The Review and History pages' PDF report buttons (ui/reports.py), through AppTest: the PDF is made exactly as a
click makes it. The pages hand Streamlit a callable for the button's data (deferred download); the test catches
what the page registered with the media file manager and has the manager run it on another thread, as the
server does on a click, then reads the PDF's text back (pypdfium2).

The clip is a synthetic squat that leans too far forward (a fault every rep), its MediaPipe poses recorded once
and replayed by the app's own estimator (tests/recorded.py). It is analysed on the Review page, saved to a temp
history, and the History page then reports that saved session.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from recorded import replay_estimator, synthetic_clip
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from test_physio import image_count, pages

from posecheck.history import HistoryStore
from posecheck.ui import analysis, review

APP = str(Path(__file__).resolve().parent.parent / "app.py")
pytestmark = pytest.mark.e2e


@dataclass
class Deferred:
    manager: MediaFileManager
    file_id: str
    file_name: str | None
    mimetype: str | None

    def click(self) -> bytes:
        """What the browser downloads on a click: the manager runs the page's callable off the script thread."""
        got: list[str | BaseException] = []

        def run() -> None:
            try:
                got.append(self.manager.execute_deferred(self.file_id))
            except BaseException as exc:  # handed to the test thread
                got.append(exc)

        worker = threading.Thread(target=run)
        worker.start()
        worker.join(120)
        [url] = got
        if isinstance(url, BaseException):
            raise url
        return self.manager._storage.get_file(url.rsplit("/", 1)[-1]).content  # type: ignore[attr-defined]


@pytest.fixture
def deferred(monkeypatch: pytest.MonkeyPatch) -> list[Deferred]:
    """Every callable download the pages register (st.download_button with a callable `data`)."""
    got: list[Deferred] = []
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None):
        file_id = original(self, data_callable, mimetype, coordinates, file_name=file_name)
        got.append(Deferred(self, file_id, file_name, mimetype))
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return got


def download(found: list[Deferred], file_name: str) -> bytes:
    named = [d for d in found if d.file_name == file_name]
    assert named, f"no download named {file_name!r} in {[d.file_name for d in found]}"
    assert named[-1].mimetype == "application/pdf"
    return named[-1].click()


def test_review_and_history_pdf_buttons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deferred: list[Deferred]):
    clip = synthetic_clip("squat", "right", reps=3, lean=65.0)
    folder = tmp_path / "samples"
    folder.mkdir()
    shutil.copy(clip, folder / "leaning_squat.mp4")
    monkeypatch.setenv("POSECHECK_SAMPLES_DIR", str(folder))
    db = tmp_path / "history.sqlite3"
    monkeypatch.setenv("POSECHECK_DB", str(db))
    replay_estimator(monkeypatch, clip)
    analysis.track_cache.clear()
    analysis.result_cache.clear()

    # Review: analyse the clip as a squat, then the "Physio report (PDF)" button.
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.selectbox(key=review.EXERCISE_KEY).set_value("squat").run()
    next(b for b in at.button if b.label == "Analyse clip").click().run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}["Reps"] == "3"
    text, images = pages(download(deferred, "leaning_squat-squat-report.pdf"), "app-review-report")
    for words in ("Squat", "Clip: leaning_squat.mp4", "3 (target 10)", "Range of motion per rep", "Form faults (3)",
                  "Keep your chest up", "No earlier session of this exercise"):
        assert words in text, words
    assert "could not be made" not in text
    review_pdf = download(deferred, "leaning_squat-squat-report.pdf")
    assert image_count(review_pdf) >= 3 + 1  # a picture of each fault (from the annotated video) and the chart

    # Save it; the History page's "Session report (PDF)" for that session.
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception, at.exception
    with HistoryStore(db) as store:
        [session] = store.sessions()
    deferred.clear()
    history = AppTest.from_function(_history_page, default_timeout=60)
    history.run()
    assert not history.exception, history.exception
    assert history.selectbox(key="history_delete").value == session.id
    text, _ = pages(download(deferred, f"posecheck-session-{session.id}.pdf"), "app-history-report")
    for words in ("Squat", f"Clip review #{session.id} (leaning_squat.mp4)", "3 (target 10)", "Form faults (3)",
                  "Keep your chest up", "The clip itself is not kept in History"):
        assert words in text, words
    assert "could not be made" not in text


def _history_page() -> None:
    from posecheck.ui import history

    history.render()
