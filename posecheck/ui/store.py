"""History wiring for the pages: one HistoryStore per browser session; the Live and Routine pages save the
`SetResult`s their sessions file, the Review page its report's `set_result()`.

The `save_*` functions open the store lazily and turn any failure (unwritable folder, a file from a newer
posecheck) into a message, so saving never breaks a page.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import streamlit as st

from posecheck.history import HistoryError, HistoryStore, default_db_path
from posecheck.records import SetResult
from posecheck.report import Report
from posecheck.routine_live import RecordingSession

log = logging.getLogger(__name__)

STORE_KEY = "history_store"  # (path, HistoryStore) for this browser session
LIVE_SESSION_KEY = "history_live_session"  # history session id the Live page's sets go into
LIVE_SAVED_KEY = "history_live_saved"  # SetResult objects already saved (identity)
LIVE_PROBLEM_KEY = "history_live_problem"  # the last save failure on the Live page, shown until a save works
LIVE_RETRY_KEY = "history_live_retry"  # RetryGate: when the Live page tries an unsaved set again
RETRY_S = 3.0
REVIEW_SAVED_KEY = "history_review_saved"  # review keys already saved -> history session id


# --- opening ----------------------------------------------------------------------------------------


def open_store() -> tuple[HistoryStore | None, str | None]:
    """(store, None) or (None, a message for the page). Reopened when POSECHECK_DB changes (tests)."""
    path = default_db_path()
    cached = st.session_state.get(STORE_KEY)
    if cached is not None and cached[0] == path:
        return cached[1], None
    try:
        store = HistoryStore(path)
    except Exception as exc:  # unwritable folder, not a database, newer schema: say so, keep the page alive
        log.warning("cannot open the history file %s: %s", path, exc)
        return None, (f"The history file `{path}` cannot be opened ({type(exc).__name__}: {exc}). "
                      "Set POSECHECK_DB to a writable file path to keep a history.")
    st.session_state[STORE_KEY] = (path, store)
    return store, None


# --- saving ---------------------------------------------------------------------------------------


def save_live_set(result: SetResult, session_id: int | None = None, kind: str = "live",
                  routine_id: str | None = None) -> tuple[int | None, str | None]:
    """Save one filed set (one transaction) into `session_id`, or a new session of `kind`.

    Returns (history session id, None) or (None, message).
    """
    store, problem = open_store()
    if store is None:
        return None, problem
    try:
        # One transaction: a new session is only ever written together with its set.
        session_id, _ = store.add_set(result, session_id, kind, routine_id=routine_id)
    except Exception as exc:
        log.exception("saving a set to history failed")
        return None, _save_problem(exc, "The set")
    return session_id, None


def _save_problem(exc: Exception, what: str) -> str:
    if isinstance(exc, HistoryError):
        return str(exc)
    return f"{what} could not be saved to history ({type(exc).__name__}: {exc})."


class RetryGate:
    """When a save that failed may be tried again: at once the first time, then every RETRY_S seconds
    (the pages refresh twice a second; a full disk need not be hammered)."""

    def __init__(self, retry_s: float | None = None) -> None:
        self.retry_s = retry_s  # None: RETRY_S
        self.failed_at: float | None = None

    def due(self, now: float) -> bool:
        wait = RETRY_S if self.retry_s is None else self.retry_s
        return self.failed_at is None or now - self.failed_at >= wait

    def failed(self, now: float) -> None:
        self.failed_at = now

    def succeeded(self) -> None:
        self.failed_at = None


def unsaved_words(n: int, problem: str) -> str:
    sets = "1 set is" if n == 1 else f"{n} sets are"
    return f"{problem} {sets} kept here and saving is tried again every few seconds."


def save_new_live_sets(_session: object, sets: Sequence[SetResult]) -> str | None:
    """Live page: save every filed set not saved yet, into one history session per browser session.

    Returns a problem message to show, or None. (`_session` is the page's LiveSession; its sets carry all
    their records, so it is not asked for anything.)
    """
    saved: list[SetResult] = st.session_state.setdefault(LIVE_SAVED_KEY, [])
    gate: RetryGate = st.session_state.setdefault(LIVE_RETRY_KEY, RetryGate())
    unsaved = [s for s in sets if not any(s is done for done in saved)]
    now = time.monotonic()
    if unsaved and gate.due(now):
        for summary in unsaved:
            sid, problem = save_live_set(summary, st.session_state.get(LIVE_SESSION_KEY))
            if sid is None:  # kept: tried again on a later refresh
                gate.failed(now)
                st.session_state[LIVE_PROBLEM_KEY] = problem
                break
            saved.append(summary)
            st.session_state[LIVE_SESSION_KEY] = sid
        else:
            gate.succeeded()
            st.session_state[LIVE_PROBLEM_KEY] = None
    left = sum(1 for s in sets if not any(s is done for done in saved))
    problem = st.session_state.get(LIVE_PROBLEM_KEY)
    return unsaved_words(left, problem) if problem and left else None


def new_live_session(exercise: object, side: object) -> RecordingSession:
    """The Live page's engine: a LiveSession that also keeps per-rep records for history."""
    return RecordingSession(exercise, side)  # type: ignore[arg-type]


def save_review(report: Report, clip_name: str) -> tuple[int | None, str | None]:
    """Save a reviewed clip as a "review" session with one set. (session id, None) or (None, message)."""
    store, problem = open_store()
    if store is None:
        return None, problem
    try:
        sid, _ = store.add_set(report.set_result(datetime.now(UTC)), kind="review", source=clip_name)
    except Exception as exc:
        log.exception("saving a review to history failed")
        return None, _save_problem(exc, "The review")
    return sid, None


def save_review_button(report: Report, clip_name: str, key: object) -> None:
    """The Review page's "Save to history" button; a clip/exercise/side result is saved once per session."""
    saved: dict[str, int] = st.session_state.setdefault(REVIEW_SAVED_KEY, {})
    ident = repr(key)
    if ident in saved:
        st.caption(":material/check: Saved to history.")
        return
    widget_key = f"save_review_{hashlib.sha1(ident.encode()).hexdigest()[:12]}"
    if st.button("Save to history", icon=":material/bookmark_add:", key=widget_key,
                 help="Keep this result (reps, range of motion, holds, faults) on the History page"):
        sid, problem = save_review(report, clip_name)
        if sid is None:
            st.error(problem, icon=":material/error:")
        else:
            saved[ident] = sid
            st.success("Saved to history.", icon=":material/check_circle:")
