"""The physiotherapist's PDF: from a clip (real poses, recorded once) and from a History session, through the
library and the `posecheck report` command. Every page is rendered to PNG (pypdfium2; kept in test-output/ to
look at) and must not be blank; the text read back from the PDF must say what the session held.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from recorded import poses, replay_estimator, synthetic_clip
from test_history import set_of

from posecheck import physio
from posecheck.cli import main
from posecheck.exercises import load_all
from posecheck.history import HistoryStore
from posecheck.pipeline import analyze_clip
from posecheck.posetrack import ReplayEstimator
from posecheck.records import FaultEvent, HoldRecord, RepRecord

CATALOG = load_all().exercises
OUT = Path(__file__).resolve().parents[1] / "test-output"


def pages(pdf: bytes, name: str) -> tuple[str, list[np.ndarray]]:
    """(all the text, each page as an RGB array); the pages also go to test-output/NAME-pN.png."""
    doc = pdfium.PdfDocument(pdf)
    text, images = [], []
    OUT.mkdir(exist_ok=True)
    for i, page in enumerate(doc):
        text.append(page.get_textpage().get_text_range())
        im = page.render(scale=1.2).to_pil()
        im.save(OUT / f"{name}-p{i + 1}.png")
        images.append(np.asarray(im.convert("RGB")))
    return " ".join(" ".join(text).split()), images  # table cells and captions wrap: compare words


def ink(image: np.ndarray) -> float:
    """Share of the page that is not white paper."""
    return float((image.min(axis=2) < 235).mean())


def image_count(pdf: bytes) -> int:
    doc = pdfium.PdfDocument(pdf)
    return sum(1 for page in doc for obj in page.get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE)


@pytest.fixture(scope="module")
def leaning_squat(tmp_path_factory: pytest.TempPathFactory):
    """A squat clip leaning too far forward (a fault every rep), analysed with its annotated copy."""
    clip = synthetic_clip("squat", "right", reps=3, lean=65.0)
    annotated = tmp_path_factory.mktemp("physio") / "annotated.mp4"
    report = analyze_clip(clip, CATALOG["squat"], estimator=ReplayEstimator(poses(clip)), out_video=annotated)
    return clip, report, annotated


@pytest.mark.e2e
def test_clip_report_has_counts_charts_fault_pictures_and_the_trend(leaning_squat, tmp_path: Path):
    clip, report, annotated = leaning_squat
    assert len(report.reps) == 3 and len(report.faults) == 3
    store = HistoryStore(tmp_path / "h.sqlite3")
    for days in (14, 7):  # two earlier sessions of the same exercise
        store.add_set(report.set_result(datetime.now(UTC) - timedelta(days=days)), kind="review")
    data = physio.from_report(report, annotated, store, source="Clip: squat.mp4")
    assert len(data.thumbnails) == 3 and all(t.shape[1] == physio.THUMB_W for t in data.thumbnails.values())
    pdf = physio.render_pdf([data])
    assert pdf.startswith(b"%PDF")
    text, images = pages(pdf, "physio-clip")
    for words in ("Squat", "Clip: squat.mp4", "Reps", "3 (target 10)", "Range of motion per rep",
                  "Form faults (3)", "Keep your chest up", "Trend against earlier sessions (2 earlier)"):
        assert words in text, words
    assert "Hold times" not in text  # a squat holds nothing
    assert all(ink(im) > 0.005 for im in images), [round(ink(im), 3) for im in images]
    assert image_count(pdf) >= 3 + 2  # the fault pictures, the range-of-motion chart and the trend chart


def _rep(side: str, t: float, rom: float) -> RepRecord:
    return RepRecord(side, t, t + 3, t + 1.5, rom, 30.0, 5.0, True, True, ())


@pytest.mark.parametrize("via", ["library", "cli"])
def test_history_session_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, via: str):
    db = tmp_path / "history.sqlite3"
    store = HistoryStore(db)
    now = datetime.now(UTC)
    for days, rom in ((21, 30.0), (10, 34.0)):
        store.add_set(set_of("single_leg_raise", now - timedelta(days=days), now - timedelta(days=days)
                             + timedelta(minutes=2), (_rep("left", 1, rom), _rep("right", 6, rom + 4))))
    fault = FaultEvent(8.0, "knee_bent", "Keep the raised leg straight", "error", "right")
    sid, _ = store.add_set(set_of(
        "single_leg_raise", now - timedelta(minutes=3), now,
        (_rep("left", 1, 40.0), _rep("left", 6, 42.0), _rep("right", 11, 30.0)), (_rep("left", 16, 10.0),),
        (HoldRecord("left", 2, 7, 5.2, True, ()), HoldRecord("right", 12, 15, 3.1, False, ())), (fault,)),
        kind="routine", routine_id="psoas_guide")
    if via == "library":
        pdf = physio.render_pdf(physio.from_history(store, sid, dict(CATALOG)))
    else:
        store.close()
        monkeypatch.setenv("POSECHECK_DB", str(db))
        out = tmp_path / "session.pdf"
        assert main(["report", "--session", str(sid), "-o", str(out)]) == 0
        pdf = out.read_bytes()
    text, images = pages(pdf, f"physio-history-{via}")
    for words in ("Single-leg raise", f"Guided routine #{sid} (psoas_guide)", "left 2, right 1", "Partial reps",
                  "Left / right", "left 41°, right 30°", "27% apart", "the right side moves less",
                  "Hold times against the target", "target of 5 s (1 reached it)", "Keep the raised leg straight",
                  "No video is kept", "Trend against earlier sessions (2 earlier)"):
        assert words in text, words
    assert all(ink(im) > 0.005 for im in images)


@pytest.mark.e2e
def test_report_command_from_a_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]):
    clip = synthetic_clip("glute_bridge", "left", reps=2, hold_s=3.0)
    replay_estimator(monkeypatch, clip)
    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "none.sqlite3"))  # no history yet: no trend
    out = tmp_path / "bridge.pdf"
    assert main(["report", str(clip), "-e", "auto", "-o", str(out)]) == 0
    assert "Recognised: Glute bridge" in capsys.readouterr().err
    text, images = pages(out.read_bytes(), "physio-cli-clip")
    assert "Glute bridge with pelvic tilt" in text and "Reps" in text and "Hold times against the target" in text
    assert "No earlier session of this exercise" in text
    assert not (tmp_path / "none.sqlite3").exists()  # a report never creates a history file


def test_report_command_says_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]):
    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "h.sqlite3"))
    HistoryStore(tmp_path / "h.sqlite3").close()
    assert main(["report", "--session", "99", "-o", str(tmp_path / "x.pdf")]) == 2
    assert "no session 99" in capsys.readouterr().err
    assert main(["report", "-o", str(tmp_path / "x.pdf")]) == 2
    assert main(["report", "--session", "1", "-o", str(tmp_path / "x.txt")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_failed_report_is_a_readable_pdf():
    text, images = pages(physio.error_pdf("The report could not be made (disk full)."), "physio-error")
    assert "could not be made (disk full)" in text



def _boxes_overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """(left, bottom, right, top) boxes that share some area."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_a_fault_without_a_picture_is_never_written_over_the_picture_beside_it():
    """A fault whose frame gave no thumbnail, between two that did: its line goes under the first picture's row,
    not over that picture (it used to be drawn where the second picture was meant to go beside the first)."""
    faults = tuple(FaultEvent(t, "lean", f"Fault number {n} here", "warning", None)
                   for n, t in ((1, 1.0), (2, 2.0), (3, 3.0), (4, 4.0)))
    thumb = np.full((180, physio.THUMB_W, 3), 90, np.uint8)
    data = physio.SessionData("squat", "Squat", "reps", False, "Clip: x.mp4", None, 10.0, (), 0, (), faults, 10,
                              None, thumbnails={0: thumb, 2: thumb, 3: thumb})
    pdf = physio.render_pdf([data])
    doc = pdfium.PdfDocument(pdf)
    [page] = list(doc)
    pictures = [obj.get_bounds() for obj in page.get_objects() if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE]
    assert len(pictures) == 3
    textpage = page.get_textpage()
    found = textpage.search("Fault number 2 here").get_next()
    assert found is not None, textpage.get_text_range()
    start, count = found
    line = [textpage.get_charbox(i) for i in range(start, start + count)]
    box = (min(c[0] for c in line), min(c[1] for c in line), max(c[2] for c in line), max(c[3] for c in line))
    assert not any(_boxes_overlap(box, pic) for pic in pictures), (box, pictures)
    first, *later = sorted(pictures, key=lambda p: (-p[3], p[0]))
    assert box[3] <= first[1]  # under the first picture...
    assert all(box[1] >= p[3] for p in later)  # ...and above the two that follow it (in the order of the faults)
    pages(pdf, "physio-fault-without-picture")
