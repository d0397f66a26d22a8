"""The History page through AppTest, on a temp SQLite file (POSECHECK_DB) seeded with HistoryStore."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from synthcache import SynthStore
from test_history import set_of

from posecheck.history import HistoryStore
from posecheck.records import FaultEvent, HoldRecord, RepRecord

TODAY = date.today()
MONDAY = TODAY - timedelta(days=TODAY.weekday())
# Three sessions (Mon, Wed, Fri) in each of the two weeks before this one: the goal of 3 met twice in a row.
PAST_DAYS = [MONDAY - timedelta(weeks=w) + timedelta(days=d) for w in (1, 2) for d in (0, 2, 4)]
LEFT_ROM, RIGHT_ROM = 40.0, 50.0  # the left leg moves 20% less


def page() -> None:
    from posecheck.ui import history

    history.render()


def at_noon(d: date) -> datetime:
    return datetime.combine(d, time(12, 0)).astimezone(UTC)


def rep(side: str, rom: float, faults: tuple[str, ...] = ()) -> RepRecord:
    return RepRecord(side, 1.0, 3.0, 2.0, rom, rom, 5.0, True, not faults, faults)


def seed(path: Path) -> dict[str, int]:
    """Past weeks: single-leg raises (3 knee_bent faults each); today: one glute bridge session with a hold."""
    ids = {}
    with HistoryStore(path) as db:
        for i, d in enumerate(PAST_DAYS):
            t = at_noon(d)
            sid = db.start_session("routine", routine_id="psoas_guide", started_at=t)
            reps = [rep("left", LEFT_ROM + i % 2, ("knee_bent",)), rep("right", RIGHT_ROM + i % 2)]
            faults = [FaultEvent(2.0, "knee_bent", "Keep the raised leg straight", "error", "left")] * 3
            db.save_set(sid, set_of("single_leg_raise", t, t + timedelta(minutes=3), reps, [], [], faults))
            db.end_session(sid, t + timedelta(minutes=10))
            ids[d.isoformat()] = sid
        now = datetime.now(UTC) - timedelta(minutes=5)
        sid = db.start_session("review", source="bridge.mp4", started_at=now)
        bridge = [rep("both", 30.0)]
        holds = [HoldRecord("both", 1.0, 6.0, 5.0, True, ())]
        fault = [FaultEvent(1.0, "hips_sag", "Lift the hips higher", "warning", None)]
        db.save_set(sid, set_of("glute_bridge", now, now + timedelta(minutes=1), bridge, [], holds, fault))
        ids["today"] = sid
    return ids


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "history.sqlite3"
    ids = seed(path)
    monkeypatch.setenv("POSECHECK_DB", str(path))
    return path, ids


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, str | None]]:
    """What st.download_button handed to the media file manager (AppTest cannot click a download)."""
    got: list[tuple[bytes, str | None]] = []
    original = MediaFileManager.add

    def add(self, path_or_data, mimetype, coordinates, file_name=None, is_for_static_download=False):
        if isinstance(path_or_data, bytes | str) and mimetype == "text/csv":
            data = path_or_data.encode() if isinstance(path_or_data, str) else path_or_data
            got.append((data, file_name))
        return original(self, path_or_data, mimetype, coordinates, file_name, is_for_static_download)

    monkeypatch.setattr(MediaFileManager, "add", add)
    return got


def run_page() -> AppTest:
    at = AppTest.from_function(page, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def csv_rows(downloads: list[tuple[bytes, str | None]]) -> list[dict[str, str]]:
    assert downloads, "no CSV was offered"
    data, name = downloads[-1]
    assert name == "posecheck-history.csv"
    return list(csv.DictReader(io.StringIO(data.decode())))


@pytest.mark.usefixtures("db")
def test_weekly_goal_streak_asymmetry_faults_and_csv(downloads):
    at = run_page()
    assert metric(at, "This week") == "1 of 3-5 sessions"
    assert metric(at, "Week streak") == "2 weeks"
    assert metric(at, "Sessions in total") == str(len(PAST_DAYS) + 1)
    [asym] = [d.value for d in at.dataframe if "Left ROM (deg)" in d.value.columns]
    row = asym.iloc[0]
    assert row["Exercise"] == "Single-leg raise" and row["Left ROM (deg)"] == pytest.approx(LEFT_ROM + 0.5)
    assert row["Difference (%)"] == pytest.approx(100 * (RIGHT_ROM - LEFT_ROM) / (RIGHT_ROM + 0.5), abs=0.1)
    assert any("left side moves 20% less" in w.value for w in at.warning)
    assert any("Most frequent: **Keep the raised leg straight** (18×)" in c.value for c in at.caption)
    rows = csv_rows(downloads)
    assert len(rows) == len(PAST_DAYS) + 1
    assert {r["exercise"] for r in rows} == {"single_leg_raise", "glute_bridge"}


@pytest.mark.usefixtures("db")
def test_filters_by_exercise_and_date(downloads):
    at = run_page()
    at.selectbox(key="history_exercise").set_value("glute_bridge").run()
    assert not at.exception, at.exception
    rows = csv_rows(downloads)
    assert [(r["exercise"], r["reps"], r["hold_s"], r["faults"]) for r in rows] == [("glute_bridge", "1", "5.0", "1")]
    assert any("Most frequent: **Lift the hips higher** (1×)" in c.value for c in at.caption)
    assert not any("Left ROM (deg)" in d.value.columns for d in at.dataframe)  # no one-sided reps in a bridge

    at.selectbox(key="history_exercise").set_value("__all__").run()
    week_before = MONDAY - timedelta(weeks=2)
    at.date_input(key="history_dates").set_value((week_before, week_before + timedelta(days=6))).run()
    assert not at.exception, at.exception
    rows = csv_rows(downloads)
    assert sorted(r["started_at"][:10] for r in rows) == sorted(
        at_noon(d).isoformat()[:10] for d in PAST_DAYS if d < MONDAY - timedelta(weeks=1))
    [sessions] = [d.value for d in at.dataframe if "Kind" in d.value.columns]
    assert len(sessions) == 3 and set(sessions["Kind"]) == {"Routine: Psoas care routine"}


def test_delete_asks_first_then_removes_the_session(db):
    path, ids = db
    at = run_page()
    victim = ids["today"]
    at.selectbox(key="history_delete").set_value(victim).run()
    at.button(key="history_delete_btn").click().run()
    assert any("Delete session" in w.value for w in at.warning)
    at.button(key="history_confirm_no").click().run()  # cancel: nothing goes
    with HistoryStore(path) as store:
        assert victim in [s.id for s in store.sessions()]
    at.button(key="history_delete_btn").click().run()
    at.button(key="history_confirm_yes").click().run()
    assert not at.exception, at.exception
    with HistoryStore(path) as store:
        assert victim not in [s.id for s in store.sessions()]
        assert all(s.exercise_id != "glute_bridge" for s in store.sets())  # its sets went with it
    assert metric(at, "Sessions in total") == str(len(PAST_DAYS))


def test_empty_history_and_bad_path_are_friendly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "empty.sqlite3"))
    at = run_page()
    assert any("No sessions yet" in i.value for i in at.info)
    (tmp_path / "a_folder").mkdir()
    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "a_folder"))  # a folder, not a database file
    at = run_page()
    assert any("cannot be opened" in e.value and "POSECHECK_DB" in e.value for e in at.error)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("POSECHECK_DB", str(garbage))
    at = run_page()
    assert any("cannot be opened" in e.value for e in at.error)


def test_review_save_to_history_then_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, synth: SynthStore,
                                           replay_poses):
    """Review page (MediaPipe's poses of the squat sample, recorded once) -> "Save to history" -> a review
    session with its reps."""
    repo = Path(__file__).resolve().parent.parent
    clip = repo / "samples" / "squat_side.mp4"
    if not clip.is_file():
        pytest.fail("samples/squat_side.mp4 is missing: run `posecheck samples`")
    made = replay_poses(lambda: synth.recording_of_file(clip))
    samples = tmp_path / "samples"
    samples.mkdir()
    for f in (clip, clip.with_name("squat_side.truth.json")):
        (samples / f.name).write_bytes(f.read_bytes())
    monkeypatch.setenv("POSECHECK_SAMPLES_DIR", str(samples))
    path = tmp_path / "history.sqlite3"
    monkeypatch.setenv("POSECHECK_DB", str(path))
    at = AppTest.from_file(str(repo / "app.py"), default_timeout=240)
    at.run()
    at.selectbox(key="review_exercise").set_value("squat").run()
    next(b for b in at.button if b.label == "Analyse clip").click().run()
    assert not at.exception, at.exception
    reps_shown = int(next(m.value for m in at.metric if m.label == "Reps"))
    assert made and made[-1].frames > 0  # the page analysed the recorded poses (not a cached result)
    next(b for b in at.button if b.label == "Save to history").click().run()
    assert not at.exception, at.exception
    assert any("Saved to history" in s.value for s in at.success)
    with HistoryStore(path) as store:
        [session] = store.sessions()
        [row] = store.sets()
    assert (session.kind, session.source, row.exercise_id, len(row.reps)) == ("review", "squat_side.mp4", "squat",
                                                                              reps_shown)
    assert reps_shown > 0 and row.mean_rom_deg is not None and row.mean_rom_deg > 30
    at = run_page()  # and the History page shows it
    assert metric(at, "Sessions in total") == "1"


def test_sessions_named_by_exercise_counted_as_sessions_and_pluralised(db, downloads):
    """Issue 13: the table and the delete list name the exercises (not a clip file or a routine id), "This week"
    counts sessions as the heading says (two today are two), and "1 set" is singular."""
    path, ids = db
    now = datetime.now(UTC) - timedelta(minutes=2)
    with HistoryStore(path) as store:  # a second session today, of an exercise whose file is gone
        gone = RepRecord("both", 1.0, 3.0, 2.0, 30.0, 30.0, 0.0, True, True, ())
        store.add_set(replace(set_of("old_move", now, now + timedelta(minutes=1), [gone] * 2),
                              exercise_name="Old move"), kind="live")
    at = run_page()
    assert any(s.value == ":material/calendar_month: Sessions per week" for s in at.subheader)
    assert metric(at, "This week") == "2 of 3-5 sessions"
    assert metric(at, "Sessions in total") == str(len(PAST_DAYS) + 2)
    [sessions] = [d.value for d in at.dataframe if "Kind" in d.value.columns]
    assert list(sessions["Exercise"][:2]) == ["Old move", "Glute bridge with pelvic tilt"]
    assert set(sessions["Exercise"][2:]) == {"Single-leg raise"}
    assert "psoas_guide" not in sessions.to_string() and "Routine: Psoas care routine" in set(sessions["Kind"])
    labels = at.selectbox(key="history_delete").options
    assert labels[0].endswith("Old move · Live · 1 set, 2 reps"), labels[0]
    assert "Glute bridge with pelvic tilt · Clip review: bridge.mp4 · 1 set, 1 rep" in labels[1], labels[1]
    assert all("psoas_guide" not in label and " 1 sets" not in label for label in labels)
    assert any(o == "Old move" for o in at.selectbox(key="history_exercise").options)
    rows = csv_rows(downloads)
    assert [r["exercise_name"] for r in rows if r["exercise"] == "old_move"] == ["Old move"]


def test_trend_charts_share_a_time_axis_of_whole_days():
    # One set alone fitted the axis to a second of its own and labelled it ":23" (browser screenshot).
    import altair as alt
    import pandas as pd

    from posecheck.ui.history import trend_x

    def axis(*times: datetime) -> dict:
        df = pd.DataFrame({"When": list(times)})
        return alt.Chart(df).mark_point().encode(x=trend_x(df)).to_dict()["encoding"]["x"]

    one = axis(datetime(2026, 12, 3, 17, 35, 23))
    assert one["scale"]["domain"] == [{"year": 2026, "month": 12, "date": 3}, {"year": 2026, "month": 12, "date": 4}]
    assert one["axis"]["format"] == "%b %d" and one["axis"]["tickCount"] == {"interval": "day", "step": 1}
    many = axis(datetime(2026, 11, 17, 12), datetime(2026, 12, 3, 9))
    assert many["scale"]["domain"][0] == {"year": 2026, "month": 11, "date": 17}
    assert many["scale"]["domain"][1] == {"year": 2026, "month": 12, "date": 4}
