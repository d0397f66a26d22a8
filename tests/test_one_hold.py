"""One definition of a hold, shown the same everywhere (issue 13), and the default sample's first click.

One clip, the Review page's default sample (glute bridges held at the top), analysed once on the page (its
recorded MediaPipe poses replayed: tests/replay.py). Every place a hold shows up must agree with the engine's
records as the JSON report carries them (duration = end - start, times at 0.01 s): the page's metric cards,
rep and hold tables and chart shading, the downloaded JSON and reps CSV, the CLI's JSON and text, the routine
summary's numbers for that set, and the History page's CSV and trend after "Save to history".
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from replay import REPO, track_of
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from posecheck import cli
from posecheck import pose as pose_module
from posecheck.history import HistoryStore
from posecheck.posetrack import ReplayEstimator
from posecheck.ui import history as history_page
from posecheck.ui import routine as routine_page

SAMPLES = REPO / "samples"
DEFAULT = "glute_bridge.mp4"  # the first sample: what the page analyses on the first click

pytestmark = pytest.mark.e2e


class Page:
    """The Review page after one click on "Analyse clip", and what its download buttons offered."""

    def __init__(self, at: AppTest, downloads: list[tuple[bytes, str]], db: Path) -> None:
        self.at, self.downloads, self.db = at, downloads, db

    def download(self, mimetype: str) -> bytes:
        found = [data for data, kind in self.downloads if kind == mimetype]
        assert found, f"no {mimetype} download offered"
        return found[-1]

    def metric(self, label: str) -> str:
        return next(m.value for m in self.at.metric if m.label == label)

    def table(self, column: str) -> pd.DataFrame:
        [df] = [d.value for d in self.at.dataframe if column in d.value.columns]
        return df


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Page]:
    track = track_of(SAMPLES / DEFAULT)
    db = tmp_path_factory.mktemp("one_hold") / "history.sqlite3"
    downloads: list[tuple[bytes, str]] = []
    original = MediaFileManager.add

    def add(self, data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if isinstance(data, bytes | str) and mimetype in ("application/json", "text/csv"):
            downloads.append((data.encode() if isinstance(data, str) else data, mimetype))
        return original(self, data, mimetype, coordinates, file_name, is_for_static_download)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pose_module, "make_estimator", lambda _model_path=None: ReplayEstimator(track))
        mp.setattr(MediaFileManager, "add", add)
        mp.setenv("POSECHECK_SAMPLES_DIR", str(SAMPLES))
        mp.setenv("POSECHECK_DB", str(db))
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
        at.run()
        next(b for b in at.button if b.label == "Analyse clip").click().run()  # nothing else chosen
        assert not at.exception, at.exception
        yield Page(at, downloads, db)


def test_the_default_sample_shows_good_form_on_the_first_click(page: Page):
    at = page.at
    assert at.selectbox(key="review_sample").value == DEFAULT
    truth = json.loads((SAMPLES / "glute_bridge.truth.json").read_text())
    assert page.metric("Reps") == str(len(truth["reps"]))
    assert page.metric("Faults") == "0"
    assert any("No form faults" in s.value for s in at.success)
    assert not any("Hold 5 s" in str(e.value) for e in [*at.markdown, *at.warning, *at.radio])


def _holds(report: dict[str, Any]) -> list[tuple[float, float, float]]:
    return [(h["start_s"], h["end_s"], h["duration_s"]) for h in report["holds"]]


def _rep_holds(report: dict[str, Any]) -> list[float]:
    """Each rep's hold as the hold records say: the longest hold inside the rep."""
    return [max((h["duration_s"] for h in report["holds"] if r["start_s"] <= h["start_s"] <= r["end_s"]), default=0)
            for r in report["rep_list"]]


def _chart_holds(at: AppTest) -> list[list[tuple[float, float]]]:
    """The hold spans each chart on the page shades."""
    out = []
    for el in [e for e in _walk(at._tree) if getattr(e, "type", "") == "vega_lite_chart"]:
        data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in el.proto.datasets}
        frames = [df for df in data.values() if "Span" in df.columns]
        spans = pd.concat(frames) if frames else pd.DataFrame(columns=["Span", "start", "end"])
        holds = spans[spans["Span"] == "Hold"]
        out.append(sorted(zip(holds["start"], holds["end"], strict=True)))
    return out


def _walk(node: object) -> Iterator[object]:
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)


def test_one_hold_everywhere(page: Page, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    at = page.at
    report = json.loads(page.download("application/json"))
    holds = _holds(report)
    durations = [d for _, _, d in holds]
    assert len(holds) == 2 and all(d >= 5.0 for d in durations)

    # The JSON: one definition (duration = end - start), every time at 0.01 s.
    for start, end, d in holds:
        assert d == round(end - start, 2)
    times = [*(x for h in holds for x in h), *(f["t_s"] for f in report["faults"]),
             *(r[k] for r in report["rep_list"] for k in ("start_s", "end_s", "peak_s", "hold_s", "duration_s"))]
    assert all(t == round(t, 2) for t in times), times
    assert [r["hold_s"] for r in report["rep_list"]] == _rep_holds(report)

    # The page: cards, tables and the charts' shading all show those holds.
    assert page.metric("Longest hold") == f"{max(durations):.1f} s"
    assert page.metric("Time in holds") == f"{sum(durations):.1f} s"
    held = page.table("Held (s)")
    assert list(zip(held["Start (s)"], held["End (s)"], held["Held (s)"], strict=True)) == holds
    reps = page.table("Range of motion (deg)")
    assert list(reps["Hold (s)"]) == _rep_holds(report)
    charts = _chart_holds(at)
    assert len(charts) == 2 and all(c == [(s, e) for s, e, _ in holds] for c in charts), charts

    # The reps CSV the page offers.
    rows = list(csv.DictReader(io.StringIO(page.download("text/csv").decode())))
    assert [float(r["hold_s"]) for r in rows] == _rep_holds(report)

    # The CLI: its JSON is the page's, its text says the same spans and durations.
    clip = str(SAMPLES / DEFAULT)
    track = track_of(SAMPLES / DEFAULT)
    monkeypatch.setattr(pose_module, "make_estimator", lambda _model_path=None: ReplayEstimator(track))
    assert cli.main(["analyze", clip, "-e", "glute_bridge", "--json"]) == 0
    cli_json = json.loads(capsys.readouterr().out)
    assert _holds(cli_json) == holds and cli_json["rep_list"] == report["rep_list"]
    assert cli.main(["analyze", clip, "-e", "glute_bridge"]) == 0
    text = capsys.readouterr().out
    spans = re.findall(r"(\d+\.\d\d)-\s*(\d+\.\d\d) s\s+held (\d+\.\d\d) s", text)
    said = [(float(a), float(b), float(c)) for a, b, c in spans]
    assert said == holds, text
    assert [float(h) for h in re.findall(r"hold (\d+\.\d\d) s", text)] == _rep_holds(report)

    # The routine summary's numbers for this set, and the History page's after "Save to history".
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception, at.exception
    with HistoryStore(page.db) as db:
        [saved] = db.sets()
    row = routine_page.summary_row(1, saved)
    assert row["Best hold (s)"] == max(durations) and row["Time in holds (s)"] == round(sum(durations), 2)
    assert [(h.start_s, h.end_s, h.duration_s) for h in saved.holds] == holds
    hist = AppTest.from_function(_history_app, default_timeout=60)
    page.downloads.clear()
    hist.run()
    assert not hist.exception, hist.exception
    [line] = list(csv.DictReader(io.StringIO(page.download("text/csv").decode())))
    assert (float(line["hold_s"]), float(line["best_hold_s"]), int(line["holds"])) == (
        round(sum(durations), 2), max(durations), 2)
    trend = history_page.trend_frame([saved], {})
    assert list(trend["Hold (s)"]) == [round(sum(durations), 2)]


def _history_app() -> None:
    from posecheck.ui import history

    history.render()
