"""Download buttons for the physiotherapist's PDF (posecheck/physio.py), shared by the Review and History pages.

The PDF is made when the button is pressed (a callable `data`), never on every rerun; a failure to make it is
logged and the button gives a one-page PDF saying so, so the page never shows a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from posecheck import physio
from posecheck.history import HistoryStore
from posecheck.ui import analysis, store, widgets
from posecheck.ui.analysis import ReviewResult

log = logging.getLogger(__name__)
HELP = ("A PDF for your physiotherapist: reps per side, range of motion per rep, hold times against the target, "
        "faults with a picture of each, left/right asymmetry and the trend against your earlier sessions")


def _safely(make: Callable[[], bytes], what: str) -> Callable[[], bytes]:
    def run() -> bytes:
        try:
            return make()
        except Exception as exc:
            log.exception("making the %s report failed", what)
            return physio.error_pdf(f"The report could not be made ({type(exc).__name__}: {exc}).")

    return run


def review_pdf_button(container: object, result: ReviewResult, file_stem: str) -> None:
    """The Review page's "Physio report (PDF)" button for one analysed clip."""

    def make() -> bytes:
        db, _ = store.open_store()  # for the trend; without a history the report says there is none
        data = physio.from_report(result.report, result.video_path, db, source=f"Clip: {result.clip_name}")
        return physio.render_pdf([data])

    container.download_button(  # type: ignore[attr-defined]
        "Physio report (PDF)", _safely(make, "review"), file_name=f"{file_stem}-report.pdf", mime="application/pdf",
        icon=":material/picture_as_pdf:", on_click="ignore", width="stretch", help=HELP)


def history_pdf_button(container: object, db: HistoryStore, session_id: int) -> None:
    """The History page's "Session report (PDF)" button for one session."""

    def make() -> bytes:
        names = dict(widgets.load_catalog(analysis.exercises_dir()).exercises)
        return physio.render_pdf(physio.from_history(db, session_id, names),
                                 title=f"posecheck session {session_id}")

    container.download_button(  # type: ignore[attr-defined]
        "Session report (PDF)", _safely(make, "history"), file_name=f"posecheck-session-{session_id}.pdf",
        mime="application/pdf", icon=":material/picture_as_pdf:", on_click="ignore", width="stretch", help=HELP,
        key=f"history_pdf_{session_id}")

