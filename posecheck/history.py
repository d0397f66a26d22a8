"""Session history in SQLite: every live set, routine and saved clip review, with schema versions.

One file per user (`default_db_path()`, overridable with POSECHECK_DB). Each set is written in one
transaction, in WAL mode, so a crash or a closed tab mid-set never corrupts the file or loses a set that
was already saved, and two app sessions can write at once.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import random
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from posecheck import settings
from posecheck.errors import PosecheckError
from posecheck.records import FaultEvent, HoldRecord, RepRecord, SetResult, SetTargets

SCHEMA_VERSION = 3
T = TypeVar("T")


def default_db_path() -> Path:
    """POSECHECK_DB, else the platform's per-user data folder."""
    if db := settings.current().db:
        return db
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "posecheck" / "history.sqlite3"


@dataclass(frozen=True)
class SessionRow:
    id: int
    started_at: datetime
    ended_at: datetime | None
    kind: str
    routine_id: str | None
    source: str | None
    sets: int
    reps: int
    exercises: tuple[tuple[str, str | None], ...] = ()  # (id, name as saved) of its sets, in order, once each


# --- schema and migrations --------------------------------------------------------------------------

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT, kind TEXT NOT NULL,
    routine_id TEXT, source TEXT);
CREATE TABLE sets (
    id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    exercise_id TEXT NOT NULL, side TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT NOT NULL,
    reps INTEGER NOT NULL, hold_s REAL NOT NULL);
CREATE TABLE reps (
    id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE, n INTEGER NOT NULL,
    side TEXT NOT NULL, start_s REAL, end_s REAL, rom_deg REAL, ok INTEGER NOT NULL, faults TEXT NOT NULL);
CREATE TABLE faults (
    id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE, t_s REAL,
    code TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX sets_session ON sets(session_id);
CREATE INDEX sets_exercise ON sets(exercise_id, started_at);
"""


def _v1_to_v2(con: sqlite3.Connection) -> None:
    # v2: partial reps per set, per-rep hold time, and individual holds (for hold-time trends).
    con.execute("ALTER TABLE sets ADD COLUMN partial_reps INTEGER NOT NULL DEFAULT 0")
    con.execute("ALTER TABLE reps ADD COLUMN hold_s REAL NOT NULL DEFAULT 0")
    con.execute("""CREATE TABLE holds (
        id INTEGER PRIMARY KEY, set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,
        side TEXT NOT NULL, start_s REAL, end_s REAL, duration_s REAL NOT NULL, ok INTEGER NOT NULL)""")


def _v2_to_v3(con: sqlite3.Connection) -> None:
    # v3: a set is stored whole (records.SetResult): the exercise's name as it was (History names it even when
    # its file is gone), its kind, how it ended and its targets; partial reps as rep rows (full = 0) instead
    # of a bare count; each fault's severity and side.
    for table, column in (("sets", "exercise_name TEXT"), ("sets", "kind TEXT NOT NULL DEFAULT ''"),
                          ("sets", "ended TEXT NOT NULL DEFAULT 'finished'"), ("sets", "target_reps INTEGER"),
                          ("sets", "target_hold_s REAL"), ("reps", "full INTEGER NOT NULL DEFAULT 1"),
                          ("faults", "severity TEXT NOT NULL DEFAULT ''"), ("faults", "side TEXT")):
        con.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
    # Counts without rows (partial reps were only a count; a set's count could exceed its rep rows): one row
    # each, times and range of motion unknown, so a set reads back with as many reps as it was saved with.
    for count, full in (("reps - (SELECT COUNT(*) FROM reps r WHERE r.set_id = sets.id)", 1), ("partial_reps", 0)):
        con.execute(f"""WITH RECURSIVE k(set_id, i, n) AS (
                          SELECT id, 1, {count} FROM sets WHERE {count} > 0
                          UNION ALL SELECT set_id, i + 1, n FROM k WHERE i < n)
                        INSERT INTO reps (set_id, n, side, start_s, end_s, rom_deg, ok, faults, hold_s, full)
                        SELECT set_id, 1000 + i, 'both', NULL, NULL, NULL, {full}, '', 0, {full} FROM k""")


MIGRATIONS = {1: _v1_to_v2, 2: _v2_to_v3}  # from version -> function taking it one step up


def create_old(path: str | Path, version: int = 1) -> None:
    """Write an empty database of an older schema (1: the first release's layout); used by migration tests."""
    con = sqlite3.connect(path)
    with con:
        con.executescript(_V1)
        for v in range(1, version):
            MIGRATIONS[v](con)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    con.close()


def create_v1(path: str | Path) -> None:
    create_old(path, 1)


class HistoryError(PosecheckError):
    """Saving or opening the history failed, said for a person (disk full, read-only file, busy file)."""


BUSY_TIMEOUT_S = 30.0


def _is_locked(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _retry_locked(fn: Callable[[], T], timeout_s: float = BUSY_TIMEOUT_S) -> T:
    """Run fn, again while SQLite says the file is locked, up to timeout_s.

    SQLite's busy timeout does not cover every case: changing the journal mode, or a write lock wanted
    while another connection upgrades, fails at once with "database is locked" (4 processes opening a
    new or schema-1 file together lost sets that way). Short random waits break the ties.
    """
    deadline = time.monotonic() + timeout_s
    delay = 0.005
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.25)


class HistoryStore:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                    check_same_thread=False)
        try:
            self._con.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            self._con.execute("PRAGMA foreign_keys=ON")
            # WAL: readers never block the writer; crash-safe. Switching needs the file to itself.
            _retry_locked(lambda: self._con.execute("PRAGMA journal_mode=WAL").fetchone())
            self._con.execute("PRAGMA synchronous=NORMAL")
            _retry_locked(self._migrate)
        except BaseException:
            self._con.close()
            raise

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        row = self._con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        con = self._con
        con.execute("BEGIN EXCLUSIVE")  # one process migrates; the others wait and then see the result
        try:
            has_meta = con.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone()
            if not has_meta:
                for stmt in _V1.split(";"):
                    if stmt.strip():
                        con.execute(stmt)
                con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
            version = int(con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"history file {self.path} is from a newer posecheck (schema {version})")
            while version < SCHEMA_VERSION:
                MIGRATIONS[version](con)
                version += 1
                con.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(version),))
            con.execute("COMMIT")
        except BaseException:
            _rollback(con)
            raise

    # --- writing -----------------------------------------------------------------------------------

    def start_session(self, kind: str, routine_id: str | None = None, source: str | None = None,
                      started_at: datetime | None = None) -> int:
        cur = self._con.execute(
            "INSERT INTO sessions (started_at, kind, routine_id, source) VALUES (?, ?, ?, ?)",
            (_iso(started_at or _now()), kind, routine_id, source))
        return _row_id(cur)

    def end_session(self, session_id: int, ended_at: datetime | None = None) -> None:
        self._con.execute("UPDATE sessions SET ended_at=? WHERE id=?", (_iso(ended_at or _now()), session_id))

    def save_set(self, session_id: int, rec: SetResult) -> int:
        """One transaction: the set and all its reps, holds and faults are saved together or not at all."""
        with self._transaction("the set"):
            return self._insert_set(session_id, rec)

    def add_set(self, rec: SetResult, session_id: int | None = None, kind: str = "live",
                routine_id: str | None = None, source: str | None = None) -> tuple[int, int]:
        """Save a set into `session_id`, or into a new session of `kind`, and end the session at the set's end.

        One transaction for all of it, so a killed save never leaves a session without its set.
        Returns (session id, set id); raises HistoryError with words for the user.
        """
        with self._transaction("the set"):
            if session_id is None:
                cur = self._con.execute(
                    "INSERT INTO sessions (started_at, kind, routine_id, source) VALUES (?, ?, ?, ?)",
                    (_iso(_started(rec)), kind, routine_id, source))
                session_id = _row_id(cur)
            set_id = self._insert_set(session_id, rec)
            self._con.execute("UPDATE sessions SET ended_at=? WHERE id=?", (_iso(_ended(rec)), session_id))
        return session_id, set_id

    @contextlib.contextmanager
    def _transaction(self, what: str) -> Iterator[None]:
        """BEGIN IMMEDIATE .. COMMIT; any failure rolls back (if SQLite has not already) and is said in words."""
        con = self._con
        try:
            _retry_locked(lambda: con.execute("BEGIN IMMEDIATE"))
        except sqlite3.Error as exc:
            raise self._error(exc, what) from exc
        try:
            yield
            con.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(con)
            raise self._error(exc, what) from exc
        except BaseException:
            _rollback(con)
            raise

    def _error(self, exc: sqlite3.Error, what: str) -> HistoryError:
        text = str(exc).lower()
        if "full" in text:
            why = "the disk is full"
        elif "readonly" in text or "read-only" in text:
            why = "the history file is read-only"
        elif _is_locked(exc):
            why = "the history file is busy (another posecheck kept it locked)"
        elif "disk i/o" in text:
            why = "the disk reported an error"
        else:
            why = f"{type(exc).__name__}: {exc}"
        return HistoryError(f"{what[0].upper()}{what[1:]} was not saved: {why} ({self.path})")

    def _insert_set(self, session_id: int, rec: SetResult) -> int:
        con = self._con
        t = rec.targets or SetTargets()
        cur = con.execute(
            "INSERT INTO sets (session_id, exercise_id, side, started_at, ended_at, reps, hold_s, partial_reps,"
            " exercise_name, kind, ended, target_reps, target_hold_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, rec.exercise_id, rec.worked_side, _iso(_started(rec)), _iso(_ended(rec)), len(rec.reps),
             rec.time_in_holds_s, len(rec.partials), rec.exercise_name, rec.kind, rec.ended, t.reps, t.hold_s))
        set_id = _row_id(cur)
        rows = [(r, 1) for r in rec.reps] + [(r, 0) for r in rec.partials]
        con.executemany(
            "INSERT INTO reps (set_id, n, side, start_s, end_s, rom_deg, ok, faults, hold_s, full)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(set_id, i, r.side, _num(r.start_s), _num(r.end_s), _num(r.rom_deg), int(r.ok), ",".join(r.faults),
              _num(r.hold_s) or 0.0, full) for i, (r, full) in enumerate(rows, 1)])
        con.executemany(
            "INSERT INTO holds (set_id, side, start_s, end_s, duration_s, ok) VALUES (?, ?, ?, ?, ?, ?)",
            [(set_id, h.side, h.start_s, h.end_s, h.duration_s, int(h.ok)) for h in rec.holds])
        con.executemany(
            "INSERT INTO faults (set_id, t_s, code, message, severity, side) VALUES (?, ?, ?, ?, ?, ?)",
            [(set_id, f.t_s, f.code, f.message, f.severity, f.side) for f in rec.faults])
        return set_id

    def delete_session(self, session_id: int) -> None:
        self._con.execute("DELETE FROM sessions WHERE id=?", (session_id,))

    # --- reading ---------------------------------------------------------------------------------

    def sessions(self, since: date | None = None, until: date | None = None,
                 exercise: str | None = None) -> list[SessionRow]:
        where, args = _filters("s.started_at", since, until)
        if exercise:
            where.append("EXISTS (SELECT 1 FROM sets x WHERE x.session_id = s.id AND x.exercise_id = ?)")
            args.append(exercise)
        sql = ("SELECT s.id, s.started_at, s.ended_at, s.kind, s.routine_id, s.source, COUNT(t.id), "
               "COALESCE(SUM(t.reps), 0) FROM sessions s LEFT JOIN sets t ON t.session_id = s.id"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " GROUP BY s.id ORDER BY s.started_at DESC")
        rows = self._con.execute(sql, args).fetchall()
        done: dict[int, dict[str, str | None]] = {}
        for sid, ex_id, name in self._con.execute(
                "SELECT session_id, exercise_id, exercise_name FROM sets ORDER BY started_at, id"):
            done.setdefault(sid, {}).setdefault(ex_id, name)
        return [SessionRow(r[0], _dt(r[1]), _dt(r[2]) if r[2] else None, r[3], r[4], r[5], r[6], r[7],
                           tuple(done.get(r[0], {}).items())) for r in rows]

    def exercise_ids(self) -> list[tuple[str, str | None]]:
        """(id, the latest name it was saved under) of every exercise with a set."""
        sql = ("SELECT exercise_id, (SELECT exercise_name FROM sets y WHERE y.exercise_id = x.exercise_id AND "
               "exercise_name IS NOT NULL ORDER BY started_at DESC LIMIT 1) FROM sets x GROUP BY exercise_id")
        return [(r[0], r[1]) for r in self._con.execute(sql)]

    def sets(self, since: date | None = None, until: date | None = None,
             exercise: str | None = None) -> list[SetResult]:
        """The saved sets (oldest first) with their reps, partial reps, holds and faults."""
        where, args = _filters("t.started_at", since, until)
        if exercise:
            where.append("t.exercise_id = ?")
            args.append(exercise)
        scope = " WHERE " + " AND ".join(where) if where else ""
        reps: dict[int, list[tuple[RepRecord, bool]]] = {}
        for r in self._con.execute(
                "SELECT r.set_id, r.side, r.start_s, r.end_s, r.rom_deg, r.hold_s, r.ok, r.faults, r.full FROM reps r"
                f" JOIN sets t ON t.id = r.set_id{scope} ORDER BY r.set_id, r.n", args):
            reps.setdefault(r[0], []).append((_rep(r[1:8], bool(r[8])), bool(r[8])))
        holds: dict[int, list[HoldRecord]] = {}
        for h in self._con.execute("SELECT h.set_id, h.side, h.start_s, h.end_s, h.duration_s, h.ok FROM holds h"
                                   f" JOIN sets t ON t.id = h.set_id{scope} ORDER BY h.id", args):
            holds.setdefault(h[0], []).append(HoldRecord(h[1], _f(h[2]), _f(h[3]), h[4], bool(h[5]), ()))
        faults: dict[int, list[FaultEvent]] = {}
        for f in self._con.execute("SELECT f.set_id, f.t_s, f.code, f.message, f.severity, f.side FROM faults f"
                                   f" JOIN sets t ON t.id = f.set_id{scope} ORDER BY f.id", args):
            faults.setdefault(f[0], []).append(FaultEvent(_f(f[1]), f[2], f[3], f[4], f[5]))
        sql = ("SELECT t.id, t.session_id, t.exercise_id, t.exercise_name, t.kind, t.side, t.started_at, t.ended_at,"
               f" t.ended, t.target_reps, t.target_hold_s FROM sets t{scope} ORDER BY t.started_at, t.id")
        out = []
        for (sid, session, ex, name, kind, side, started, ended_at, ended, t_reps, t_hold) in self._con.execute(
                sql, args):
            mine = reps.get(sid, [])
            start, end = _dt(started), _dt(ended_at)
            targets = SetTargets(t_reps, t_hold) if t_reps is not None or t_hold is not None else None
            out.append(SetResult(ex, name or ex, kind, False, side, start, end, (end - start).total_seconds(),
                                 tuple(r for r, full in mine if full), tuple(r for r, full in mine if not full),
                                 tuple(holds.get(sid, ())), tuple(faults.get(sid, ())), ended, targets,
                                 set_id=sid, session_id=session))
        return out

    def session_sets(self, session_id: int) -> list[SetResult]:
        """Every set of one session with its reps, holds and faults (what a session report shows), oldest first."""
        return [s for s in self.sets() if s.session_id == session_id]

    def fault_counts(self, since: date | None = None, until: date | None = None,
                     exercise: str | None = None) -> list[tuple[str, str, int]]:
        """(code, message, count), most frequent first."""
        where, args = _filters("t.started_at", since, until)
        if exercise:
            where.append("t.exercise_id = ?")
            args.append(exercise)
        sql = ("SELECT f.code, MIN(f.message), COUNT(*) FROM faults f JOIN sets t ON t.id = f.set_id"
               + (" WHERE " + " AND ".join(where) if where else "") + " GROUP BY f.code ORDER BY COUNT(*) DESC")
        return [(r[0], r[1], r[2]) for r in self._con.execute(sql, args)]

    def asymmetry(self, exercise: str | None = None, since: date | None = None,
                  until: date | None = None) -> dict[str, dict[str, float]]:
        """Per exercise: left/right mean range of motion and rep counts (optionally within dates)."""
        where, args = _filters("t.started_at", since, until)
        if exercise:
            where.append("t.exercise_id = ?")
            args.append(exercise)
        sql = ("SELECT t.exercise_id, r.side, AVG(r.rom_deg), COUNT(*) FROM reps r JOIN sets t ON t.id = r.set_id"
               " WHERE r.full = 1 AND r.side IN ('left', 'right')" + "".join(f" AND {w}" for w in where)
               + " GROUP BY t.exercise_id, r.side")
        out: dict[str, dict[str, float]] = {}
        for ex, side, rom, n in self._con.execute(sql, args):
            out.setdefault(ex, {})[f"{side}_rom_deg"] = round(rom or 0.0, 1)
            out[ex][f"{side}_reps"] = n
        return out

    def export_csv(self, since: date | None = None, until: date | None = None, exercise: str | None = None) -> str:
        """One row per set: hold_s is the set's time in holds (the sum of its holds), as every page shows it."""
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["session_id", "set_id", "started_at", "exercise", "side", "reps", "partial_reps", "hold_s",
                    "mean_rom_deg", "faults", "exercise_name", "best_hold_s", "holds", "ended"])
        for s in self.sets(since, until, exercise):
            w.writerow([s.session_id, s.set_id, _iso(_started(s)), s.exercise_id, s.side, len(s.reps), len(s.partials),
                        s.time_in_holds_s, "" if s.mean_rom_deg is None else s.mean_rom_deg, len(s.faults),
                        s.exercise_name, s.best_hold_s, len(s.holds), s.ended])
        return buf.getvalue()


def _rollback(con: sqlite3.Connection) -> None:
    """Roll back if a transaction is still open: after a full disk SQLite has already rolled it back, and a
    second ROLLBACK would replace the real error with "cannot rollback - no transaction is active"."""
    if con.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            con.execute("ROLLBACK")


# --- week goals -------------------------------------------------------------------------------------


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def sessions_per_week(days: Iterable[date], weeks: int, today: date | None = None) -> list[tuple[date, int]]:
    """(Monday, sessions that week) for the last `weeks` weeks, oldest first, from each session's day (two
    sessions on one day are two sessions: the goal, the heading and "Sessions in total" all count sessions)."""
    today = today or _now().date()
    per = Counter(week_start(d) for d in days)
    first = week_start(today) - timedelta(weeks=weeks - 1)
    return [(first + timedelta(weeks=i), per.get(first + timedelta(weeks=i), 0)) for i in range(weeks)]


def week_streak(days: Iterable[date], goal: int = 3, today: date | None = None) -> int:
    """Consecutive weeks meeting the goal (in sessions), counting back from this week (which counts if met)."""
    today = today or _now().date()
    per = Counter(week_start(d) for d in days)
    wk = week_start(today)
    if per.get(wk, 0) < goal:
        wk -= timedelta(weeks=1)  # the current week is still open
    streak = 0
    while per.get(wk, 0) >= goal:
        streak += 1
        wk -= timedelta(weeks=1)
    return streak


def _filters(col: str, since: date | None, until: date | None) -> tuple[list[str], list[str]]:
    where, args = [], []
    if since:
        where.append(f"{col} >= ?")
        args.append(since.isoformat())
    if until:
        where.append(f"{col} < ?")
        args.append((until + timedelta(days=1)).isoformat())
    return where, args


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _started(rec: SetResult) -> datetime:
    return rec.started_at or _ended(rec) - timedelta(seconds=rec.duration_s)


def _ended(rec: SetResult) -> datetime:
    return rec.ended_at or (rec.started_at + timedelta(seconds=rec.duration_s) if rec.started_at else _now())


def _num(v: float) -> float | None:
    """NaN (unknown) is stored as NULL: SQLite would turn it into NULL anyway, and AVG skips NULLs."""
    return v if v == v else None


def _f(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _rep(row: Sequence, full: bool) -> RepRecord:
    side, start, end, rom, hold, ok, faults = row
    return RepRecord(side, _f(start), _f(end), math.nan, _f(rom), math.nan, _f(hold) if hold is not None else 0.0,
                     full, bool(ok), tuple(c for c in (faults or "").split(",") if c))


def _row_id(cur: sqlite3.Cursor) -> int:
    """The id of the row an INSERT just added (sqlite3 types lastrowid as optional: None before any INSERT)."""
    row_id = cur.lastrowid
    assert row_id is not None
    return row_id
