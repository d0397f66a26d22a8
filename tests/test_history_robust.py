"""The history file under stress (issue 13): processes opening it at once, a full disk, a save killed
half-way, and a Live/routine set whose save failed being tried again."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit as st
from test_history import T0, _rep, _set, set_of

from posecheck.history import SCHEMA_VERSION, HistoryError, HistoryStore, create_v1
from posecheck.records import SetResult
from posecheck.ui import routine as routine_page
from posecheck.ui import store

# --- opening at once -------------------------------------------------------------------------------


@pytest.mark.parametrize("schema", ["new", "v1"])
def test_opening_waits_for_a_writer_instead_of_failing_at_once(tmp_path: Path, schema: str):
    """The deterministic core of the 4-process race: another connection holds a write lock on a file not
    yet in WAL mode. `PRAGMA journal_mode=WAL` then failed at once with "database is locked" (no
    busy timeout applies to it); now opening waits for the lock and migrates."""
    path = tmp_path / "h.sqlite3"
    if schema == "v1":
        create_v1(path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
    t0 = time.monotonic()
    with HistoryStore(path) as db:
        assert db.schema_version == SCHEMA_VERSION
        assert time.monotonic() - t0 >= 0.4  # it waited for the other writer
    other.close()


RACE = textwrap.dedent("""
    # Run in a fresh interpreter: forking the test process (Streamlit's and MediaPipe's threads) could hang.
    import multiprocessing, sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_history import _set
    from posecheck.history import HistoryStore, create_v1

    def open_at_once(path, barrier, out):
        barrier.wait()
        try:
            with HistoryStore(path) as db:
                db.add_set(_set())
                out.put(("ok", db.schema_version))
        except Exception as exc:
            out.put(("error", f"{{type(exc).__name__}}: {{exc}}"))

    if __name__ == "__main__":
        ctx = multiprocessing.get_context("fork")
        folder, schema, trials = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
        for trial in range(trials):
            path = folder / f"h{{trial}}.sqlite3"
            if schema == "v1":
                create_v1(path)
            barrier, out = ctx.Barrier(4), ctx.Queue()
            procs = [ctx.Process(target=open_at_once, args=(str(path), barrier, out)) for _ in range(4)]
            for p in procs:
                p.start()
            results = [out.get(timeout=60) for _ in procs]
            for p in procs:
                p.join(timeout=60)
            with HistoryStore(path) as db:
                print(trial, sorted(set(results)), len(db.sessions()), len(db.sets()), flush=True)
""")


@pytest.mark.parametrize("schema", ["new", "v1"])
def test_four_processes_open_and_save_at_once(tmp_path: Path, schema: str):
    script = tmp_path / "race.py"
    script.write_text(RACE.format(tests=str(Path(__file__).parent)))
    proc = subprocess.run([sys.executable, str(script), str(tmp_path), schema, "8"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 8
    for line in lines:  # every process opened, migrated to the current schema and saved its set: 4 sessions, 4 sets
        assert line.split(" ", 1)[1] == f"[('ok', {SCHEMA_VERSION})] 4 4", line


# --- a full disk -------------------------------------------------------------------------------------


def _fill_up(db: HistoryStore) -> None:
    """Make the next write fail as on a full disk. Simulated with SQLite's own limit (max_page_count), which
    raises the same SQLITE_FULL error ("database or disk is full") as a real ENOSPC does; the file system
    itself is not filled."""
    pages = db._con.execute("PRAGMA page_count").fetchone()[0]
    db._con.execute(f"PRAGMA max_page_count={pages}")


def _big_set():
    rec = _set()
    return replace(rec, reps=rec.reps * 400, faults=rec.faults * 400)


def test_a_full_disk_is_said_in_words_and_loses_nothing_saved(tmp_path: Path):
    with HistoryStore(tmp_path / "h.sqlite3") as db:
        sid = db.start_session("live", started_at=T0)
        db.save_set(sid, _set())
        _fill_up(db)
        with pytest.raises(HistoryError) as err:
            db.save_set(sid, _big_set())
        assert "The set was not saved: the disk is full" in str(err.value)
        assert "rollback" not in str(err.value)
        with pytest.raises(HistoryError, match="disk is full"):
            db.add_set(_big_set())
        assert not db._con.in_transaction
        assert [len(s.reps) for s in db.sets()] == [2]  # the earlier set is intact, nothing half-written
        assert len(db.sessions()) == 1  # and no empty session from the failed add_set
        db._con.execute("PRAGMA max_page_count=1073741823")  # space again: saving works
        db.save_set(sid, _big_set())
        assert len(db.sets()) == 2


# --- a save killed half-way ------------------------------------------------------------------------

KILLED_SAVE = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from posecheck.records import SetResult
    from posecheck.ui import store
    db, problem = store.open_store()
    # The kill: SIGKILL the moment the set row is being written (after whatever came before it).
    db._con.set_trace_callback(
        lambda sql: os.kill(os.getpid(), signal.SIGKILL) if sql.lstrip().startswith("INSERT INTO sets") else None)
    store.save_live_set(SetResult("squat", "Squat", duration_s=30.0))
    print("not killed")
""")


def test_a_killed_save_leaves_no_empty_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "h.sqlite3"
    monkeypatch.setenv("POSECHECK_DB", str(path))
    script = tmp_path / "killed.py"
    script.write_text(KILLED_SAVE.format(tests=str(Path(__file__).parent)))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr  # really killed mid-save
    with HistoryStore(path) as db:
        assert db.sessions() == [] and db.sets() == []


# --- a failed live/routine save is tried again -------------------------------------------------------


def _summary(n: int) -> SetResult:
    """A filed live squat set: 3 reps and 1 partial."""
    return replace(set_of("squat", T0, T0 + timedelta(seconds=30), [_rep("both", 90.0)] * 3, [_rep("both", 30.0)]),
                   number=n)


@pytest.fixture
def fresh_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Streamlit's session state in bare mode, emptied, with its own history file."""
    path = tmp_path / "h.sqlite3"
    monkeypatch.setenv("POSECHECK_DB", str(path))
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    yield path
    db, _ = store.open_store()
    if db is not None:
        db.close()
    for key in list(st.session_state.keys()):
        del st.session_state[key]


@pytest.mark.usefixtures("fresh_state")
def test_a_live_set_that_failed_to_save_is_saved_on_a_later_refresh(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(store, "RETRY_S", 0.2)
    db, _ = store.open_store()
    sets = [_summary(1)]
    db._con.execute("PRAGMA query_only=ON")  # every write fails, as on a read-only file
    problem = store.save_new_live_sets(object(), sets)
    assert problem is not None and "read-only" in problem and "1 set is kept" in problem
    assert store.save_new_live_sets(object(), sets) is not None  # within the retry pause: still unsaved
    assert db.sets() == []
    db._con.execute("PRAGMA query_only=OFF")  # writable again
    time.sleep(0.25)
    assert store.save_new_live_sets(object(), sets) is None
    [row] = db.sets()
    assert len(row.reps) == 3 and len(row.partials) == 1
    sets.append(_summary(2))  # the next set goes into the same session, once
    assert store.save_new_live_sets(object(), sets) is None
    assert store.save_new_live_sets(object(), sets) is None
    assert len(db.sets()) == 2 and len(db.sessions()) == 1


@pytest.mark.usefixtures("fresh_state")
def test_a_routine_set_that_failed_to_save_is_saved_later():
    db, _ = store.open_store()
    st.session_state[routine_page.META_KEY] = ("psoas_guide", "Psoas guide", ())
    filed = [replace(_summary(i), side="left") for i in (1, 2)]
    ctrl = SimpleNamespace(filed=filed[:1])
    db._con.execute("PRAGMA query_only=ON")  # every write fails, as on a read-only file
    routine_page.save_filed(ctrl)
    assert "read-only" in st.session_state[routine_page.PROBLEM_KEY]
    assert db.sets() == []
    db._con.execute("PRAGMA query_only=OFF")
    st.session_state[routine_page.RETRY_KEY] = store.RetryGate(retry_s=0.0)
    ctrl.filed = filed
    routine_page.save_filed(ctrl)
    assert st.session_state.get(routine_page.PROBLEM_KEY) is None
    rows = db.sets()
    assert [r.side for r in rows] == ["left", "left"] and len(db.sessions()) == 1
    assert [s.kind for s in db.sessions()] == ["routine"]
