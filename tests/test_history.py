"""SQLite history: round trip, migration from schema 1, concurrent writers, a crash mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from posecheck.history import SCHEMA_VERSION, HistoryStore, create_old, create_v1, sessions_per_week, week_streak
from posecheck.records import FaultEvent, HoldRecord, RepRecord, SetResult

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday


def _rep(side: str, rom: float, faults: tuple[str, ...] = ()) -> RepRecord:
    return RepRecord(side, 1.0, 3.0, 2.0, rom, rom, 5.0, True, not faults, faults)


def set_of(ex: str, start: datetime, end: datetime, reps=(), partials=(), holds=(), faults=()) -> SetResult:
    """A set as a page would file it (side "both": the side worked is found from the records)."""
    return SetResult(ex, ex.replace("_", " ").capitalize(), "reps", False, "both", start, end,
                     (end - start).total_seconds(), tuple(reps), tuple(partials), tuple(holds), tuple(faults))


def _set(ex: str = "single_leg_raise", when: datetime = T0) -> SetResult:
    reps = [_rep("left", 40.0), _rep("left", 44.0, ("knee_bent",))]
    holds = [HoldRecord("left", 1.5, 6.5, 5.0, True, ())]
    faults = [FaultEvent(2.0, "knee_bent", "Keep the raised leg straight", "error", "left")]
    return set_of(ex, when, when + timedelta(minutes=2), reps, [_rep("left", 10.0)], holds, faults)


def test_round_trip(tmp_path: Path):
    with HistoryStore(tmp_path / "h.db") as db:
        sid = db.start_session("live", started_at=T0)
        db.save_set(sid, _set())
        db.end_session(sid, T0 + timedelta(minutes=5))
        [s] = db.sessions()
        assert (s.id, s.kind, s.sets, s.reps) == (sid, "live", 1, 2)
        [row] = db.sets()
        assert (row.exercise_id, row.side, len(row.reps), len(row.partials), row.time_in_holds_s, len(row.faults)) == (
            "single_leg_raise", "left", 2, 1, 5.0, 1)
        assert row.mean_rom_deg == 42.0
        assert row.exercise_name == "Single leg raise" and row.session_id == sid and row.set_id is not None
        assert row.holds == (HoldRecord("left", 1.5, 6.5, 5.0, True, ()),)
        assert row.faults == (FaultEvent(2.0, "knee_bent", "Keep the raised leg straight", "error", "left"),)
        assert [r.rom_deg for r in row.reps] == [40.0, 44.0] and [r.rom_deg for r in row.partials] == [10.0]
        assert db.fault_counts() == [("knee_bent", "Keep the raised leg straight", 1)]
        assert db.asymmetry()["single_leg_raise"]["left_rom_deg"] == 42.0
        csv_text = db.export_csv()
        assert csv_text.splitlines()[1].split(",")[3:6] == ["single_leg_raise", "left", "2"]
        db.delete_session(sid)
        assert db.sessions() == [] and db.sets() == []  # sets, reps, holds, faults go with it


def test_filters_by_date_and_exercise(tmp_path: Path):
    with HistoryStore(tmp_path / "h.db") as db:
        for i, ex in enumerate(["squat", "glute_bridge", "squat"]):
            sid = db.start_session("review", started_at=T0 + timedelta(days=7 * i))
            db.save_set(sid, _set(ex, T0 + timedelta(days=7 * i)))
        assert len(db.sets(exercise="squat")) == 2
        assert len(db.sessions(since=date(2026, 11, 9))) == 2
        assert len(db.sessions(until=date(2026, 11, 2))) == 1
        assert len(db.sessions(exercise="glute_bridge")) == 1


def test_migrates_a_schema_1_file_keeping_its_data(tmp_path: Path):
    path = tmp_path / "old.db"
    create_v1(path)
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO sessions (id, started_at, kind) VALUES (1, '2026-10-01T10:00:00+00:00', 'live')")
        con.execute("INSERT INTO sets (id, session_id, exercise_id, side, started_at, ended_at, reps, hold_s) "
                    "VALUES (1, 1, 'squat', 'both', '2026-10-01T10:00:00+00:00', '2026-10-01T10:02:00+00:00', 8, 0)")
        con.execute("INSERT INTO reps (set_id, n, side, start_s, end_s, rom_deg, ok, faults) "
                    "VALUES (1, 1, 'both', 0, 2, 80, 1, '')")
    con.close()
    with HistoryStore(path) as db:
        assert db.schema_version == SCHEMA_VERSION
        [row] = db.sets()
        assert (row.exercise_id, len(row.reps), len(row.partials), row.mean_rom_deg) == ("squat", 8, 0, 80.0)
        db.save_set(1, _set())  # the new columns and the holds table work
        assert len(db.sets()) == 2


def test_migrates_a_schema_2_file_to_whole_sets(tmp_path: Path):
    """Schema 2 kept partial reps as a count and faults without severity: after the migration each set reads
    back whole (its partial reps as records, its holds and faults), named by its id until saved with a name."""
    path = tmp_path / "v2.db"
    create_old(path, 2)
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO sessions (id, started_at, kind, routine_id) VALUES "
                    "(1, '2026-10-01T10:00:00+00:00', 'routine', 'psoas_guide')")
        con.execute("INSERT INTO sets (id, session_id, exercise_id, side, started_at, ended_at, reps, hold_s, "
                    "partial_reps) VALUES (1, 1, 'glute_bridge', 'both', '2026-10-01T10:00:00+00:00', "
                    "'2026-10-01T10:01:00+00:00', 1, 5.5, 2)")
        con.execute("INSERT INTO reps (set_id, n, side, start_s, end_s, rom_deg, ok, faults, hold_s) "
                    "VALUES (1, 1, 'both', 1.0, 8.0, 48.0, 1, '', 5.5)")
        con.execute("INSERT INTO holds (set_id, side, start_s, end_s, duration_s, ok) "
                    "VALUES (1, 'both', 2, 7.5, 5.5, 1)")
        con.execute("INSERT INTO faults (set_id, t_s, code, message) VALUES (1, 9.0, 'hips_sag', 'Lift the hips')")
    con.close()
    with HistoryStore(path) as db:
        assert db.schema_version == SCHEMA_VERSION == 3
        [s] = db.sets()
        assert (s.exercise_id, s.exercise_name, len(s.reps), len(s.partials), s.ended) == (
            "glute_bridge", "glute_bridge", 1, 2, "finished")
        assert s.reps[0].rom_deg == 48.0 and all(not r.full for r in s.partials)
        assert (s.best_hold_s, s.time_in_holds_s, s.mean_rom_deg) == (5.5, 5.5, 48.0)
        assert [(f.code, f.message, f.severity) for f in s.faults] == [("hips_sag", "Lift the hips", "")]
        assert db.sessions()[0].exercises == (("glute_bridge", None),)
        db.add_set(_set("glute_bridge"), session_id=1)  # and a new set saves whole into the migrated file
        assert [x.exercise_name for x in db.sets()] == ["glute_bridge", "Glute bridge"]


WRITER = textwrap.dedent("""
    import sys, time
    from datetime import UTC, datetime
    sys.path.insert(0, {tests!r})
    from test_history import _set
    from posecheck.history import HistoryStore
    db = HistoryStore(sys.argv[1])
    sid = db.start_session("live", source=sys.argv[2])
    for i in range(int(sys.argv[3])):
        db.save_set(sid, _set())
        print(i, flush=True)  # printed only after the commit returned
        time.sleep(float(sys.argv[4]))
""")


def _writer(tmp_path: Path, db: Path, name: str, n: int, pause: float) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(tests=str(Path(__file__).parent)))
    return subprocess.Popen([sys.executable, str(script), str(db), name, str(n), str(pause)],
                            stdout=subprocess.PIPE, text=True)


def test_two_writers_at_once(tmp_path: Path):
    db = tmp_path / "h.db"
    HistoryStore(db).close()
    procs = [_writer(tmp_path, db, name, 40, 0.0) for name in ("a", "b")]
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 0
    with HistoryStore(db) as store:
        assert sorted(s.sets for s in store.sessions()) == [40, 40]


def test_killed_mid_write_keeps_every_committed_set(tmp_path: Path):
    db = tmp_path / "h.db"
    proc = _writer(tmp_path, db, "crash", 100000, 0.0)
    committed = -1
    deadline = time.time() + 60
    while committed < 30 and time.time() < deadline:
        line = proc.stdout.readline()
        if line:
            committed = int(line)
    os.kill(proc.pid, signal.SIGKILL)  # no cleanup, no atexit: as hard as a crash gets
    proc.wait()
    rest = proc.stdout.read().split()
    committed = int(rest[-1]) if rest else committed
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    with HistoryStore(db) as store:
        n_sets = len(store.sets())
        # every set reported committed is there; at most the one in flight may also have landed
        assert committed + 1 <= n_sets <= committed + 2
        # no half-written set: each has its 2 reps, 1 hold, 1 fault
        assert all(len(s.reps) == 2 and s.time_in_holds_s == 5.0 and len(s.faults) == 1 for s in store.sets())


def test_weeks_and_streak():
    monday = date(2026, 11, 23)
    days = [monday - timedelta(weeks=w) + timedelta(days=d) for w in (1, 2, 3) for d in (0, 2, 4)] + [monday]
    assert week_streak(days, goal=3, today=monday) == 3  # this week (1 so far) is still open
    weeks = sessions_per_week(days, 4, today=monday)
    assert [n for _, n in weeks] == [3, 3, 3, 1]
    assert weeks[-1][0] == monday
    assert week_streak(days + [monday + timedelta(days=1), monday + timedelta(days=2)], goal=3, today=monday) == 4
