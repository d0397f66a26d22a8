"""The History page: sessions per week against the goal (and the streak), range-of-motion and hold-time trends
per exercise, left/right asymmetry, the most frequent faults, filters by date and exercise, CSV export and
deleting a session. It only reads `HistoryStore`; the pages that do exercises write to it (see ui/store.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TypedDict

import altair as alt
import pandas as pd
import streamlit as st

from posecheck.exercises import Exercise
from posecheck.history import HistoryStore, SessionRow, sessions_per_week, week_streak
from posecheck.records import SetResult
from posecheck.routines import load_routines
from posecheck.ui import analysis, reports, store, widgets

EXERCISE_KEY = "history_exercise"
DATES_KEY = "history_dates"
DELETE_KEY = "history_delete"
CONFIRM_KEY = "history_confirm"  # the session id waiting for "Yes, delete"
ALL = "__all__"
GOAL = (3, 5)  # the guide's sessions per week
WEEKS = 12
ASYM_WARN = 0.10  # a left/right range-of-motion difference above 10% is worth a look
KIND_WORDS = {"live": "Live", "routine": "Routine", "review": "Clip review"}

# One row of the left/right table (its keys are the column headings).
AsymmetryRow = TypedDict("AsymmetryRow", {"Exercise": str, "Left ROM (deg)": float | None,
                                          "Right ROM (deg)": float | None, "Difference (%)": float | None,
                                          "Reps L/R": str})


def render() -> None:
    st.title("History")
    st.caption("Every live set, guided routine and saved clip review, stored on this machine. Weekly goal: "
               f"{GOAL[0]}-{GOAL[1]} sessions.")
    db, problem = store.open_store()
    if db is None:
        st.error(problem, icon=":material/error:")
        return
    with widgets.friendly_errors("reading your history"):
        _page(db)


def _page(db: HistoryStore) -> None:
    everything = db.sessions()
    if not everything:
        st.info("No sessions yet. Do a set on the **Live coaching** or **Guided routine** page, or save a clip "
                "review, and it shows up here.", icon=":material/history:")
        st.caption(f"History file: `{db.path}`")
        return
    catalog = widgets.load_catalog(analysis.exercises_dir()).exercises
    # Today's name of each exercise, else the name it was saved under (its file may be gone), else its id.
    names = {i: n for i, n in db.exercise_ids() if n} | {e.id: e.name for e in catalog.values()}
    since, until, exercise = _filters(db, everything, names)
    ex = None if exercise == ALL else exercise

    _weekly(everything)
    sessions = db.sessions(since, until, ex)
    sets = db.sets(since, until, ex)
    st.divider()
    if not sets:
        st.info("No sets match these filters.", icon=":material/filter_alt_off:")
    else:
        _trends(sets, names)
        left, right = st.columns(2, gap="large")
        with left:
            _asymmetry(db.asymmetry(ex, since, until), names)
        with right:
            _faults(db.fault_counts(since, until, ex))
    st.divider()
    _sessions(db, sessions, names, _routine_names(catalog))
    st.download_button("Export CSV", db.export_csv(since, until, ex), file_name="posecheck-history.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore",
                       help="One row per set in the filtered range: reps, partial reps, hold, range of motion, faults")
    st.caption(f"History file: `{db.path}`")


def _filters(db: HistoryStore, everything: list[SessionRow], names: dict[str, str]
             ) -> tuple[date | None, date | None, str]:
    first = min(s.started_at for s in everything).astimezone().date()
    today = date.today()
    c1, c2 = st.columns(2)
    dates = c1.date_input("Dates", value=(first, max(today, first)), key=DATES_KEY, format="YYYY-MM-DD")
    def by_name(i: str) -> str:
        return names.get(i, i).lower()

    ids = sorted({i for i, _ in db.exercise_ids()}, key=by_name)
    exercise = c2.selectbox("Exercise", [ALL, *ids], key=EXERCISE_KEY,
                            format_func=lambda i: "All exercises" if i == ALL else names.get(i, i))
    since, until = date_range(dates)
    return since, until, exercise or ALL


def date_range(value: object) -> tuple[date | None, date | None]:
    """st.date_input gives a date, or a tuple of one or two while a range is being picked."""
    if isinstance(value, date):
        return value, value
    if isinstance(value, tuple | list):
        picked = [d for d in value if isinstance(d, date)]
        if len(picked) == 2:
            return min(picked), max(picked)
        if len(picked) == 1:
            return picked[0], None
    return None, None


# --- sections -----------------------------------------------------------------------------------------


def _weekly(everything: list[SessionRow]) -> None:
    """Sessions, counted the same way everywhere: the heading, the week's count, the streak, the total."""
    days = [s.started_at.astimezone().date() for s in everything]
    today = date.today()
    weeks = sessions_per_week(days, WEEKS, today)
    this_week = weeks[-1][1]
    streak = week_streak(days, GOAL[0], today)
    st.subheader(":material/calendar_month: Sessions per week", anchor=False)
    c1, c2, c3 = st.columns(3)
    c1.metric("This week", f"{this_week} of {GOAL[0]}-{GOAL[1]} sessions", border=True,
              help="Sessions this week (Monday to Sunday): live sets, routines and saved clip reviews")
    c2.metric("Week streak", plural(streak, "week"), border=True,
              help=f"Weeks in a row with at least {GOAL[0]} sessions")
    c3.metric("Sessions in total", len(everything), border=True)
    if this_week >= GOAL[0]:
        st.success("Weekly goal met. Rest days help too.", icon=":material/emoji_events:")
    else:
        left = GOAL[0] - this_week
        st.caption(f"{plural(left, 'more session')} this week {'reaches' if left == 1 else 'reach'} the goal.")
    df = pd.DataFrame({"Week": [w.isoformat() for w, _ in weeks], "Sessions": [n for _, n in weeks]})
    bars = alt.Chart(df).mark_bar(color="#4c78a8").encode(
        x=alt.X("Week:O", title="Week starting", axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("Sessions:Q", title="Sessions", scale=alt.Scale(domain=[0, max(GOAL[1] + 1, int(df.Sessions.max()))])),
        tooltip=["Week", "Sessions"])
    goal = pd.DataFrame({"y": list(GOAL), "Goal": [f"{GOAL[0]} a week", f"{GOAL[1]} a week"]})
    rules = alt.Chart(goal).mark_rule(strokeDash=[6, 4], color="#2ca02c").encode(y="y:Q", tooltip=["Goal"])
    st.altair_chart((bars + rules).properties(height=220), width="stretch")


def plural(n: int, word: str) -> str:
    """'1 set', '2 sets', '0 sessions'."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def trend_frame(sets: list[SetResult], names: dict[str, str]) -> pd.DataFrame:
    """One row per set; "Hold (s)" is the set's time in holds, as the routine summary and the CSV say."""
    return pd.DataFrame([{"When": s.started_at.astimezone().replace(tzinfo=None) if s.started_at else None,
                          "Exercise": names.get(s.exercise_id, s.exercise_name), "Side": s.side,
                          "Range of motion (deg)": s.mean_rom_deg, "Hold (s)": s.time_in_holds_s,
                          "Best hold (s)": s.best_hold_s, "Reps": s.reps_total} for s in sets])


def _trends(sets: list[SetResult], names: dict[str, str]) -> None:
    st.subheader(":material/trending_up: Trends per exercise", anchor=False)
    df = trend_frame(sets, names)
    c1, c2 = st.columns(2, gap="large")
    rom = df.dropna(subset=["Range of motion (deg)"])
    with c1:
        st.markdown("**Range of motion** (mean per set)")
        if rom.empty:
            st.caption("No reps with a measured range of motion yet.")
        else:
            st.altair_chart(_line(rom, "Range of motion (deg)", "degrees", df), width="stretch")
    holds = df[df["Hold (s)"] > 0]
    with c2:
        st.markdown("**Time in holds** (per set)")
        if holds.empty:
            st.caption("No timed holds yet.")
        else:
            st.altair_chart(_line(holds, "Hold (s)", "seconds", df), width="stretch")


def trend_x(all_sets: pd.DataFrame) -> alt.X:
    """The trends' shared time axis: whole days from the first set's to the last's (at least one), labelled by
    date. Fitted to its own points, a chart with one set zoomed to a second and labelled it ":23"."""
    when = pd.to_datetime(all_sets["When"]).dropna()
    first = when.min().normalize() if not when.empty else pd.Timestamp.now().normalize()
    last = (when.max().normalize() if not when.empty else first) + pd.Timedelta(days=1)

    def day(t: pd.Timestamp) -> alt.DateTime:
        return alt.DateTime(year=t.year, month=t.month, date=t.day)

    days = alt.TimeIntervalStep(interval="day", step=1) if (last - first).days <= 7 else alt.Undefined  # no hours
    return alt.X("When:T", title=None, scale=alt.Scale(domain=[day(first), day(last)]),
                 axis=alt.Axis(format="%b %d", tickCount=days))


def _line(df: pd.DataFrame, field: str, unit: str, all_sets: pd.DataFrame) -> alt.Chart:
    legend = alt.Legend(orient="bottom", columns=2)
    return alt.Chart(df).mark_line(point=True).encode(
        x=trend_x(all_sets), y=alt.Y(f"{field}:Q", title=unit),
        color=alt.Color("Exercise:N", legend=legend), tooltip=["When:T", "Exercise", "Side", f"{field}:Q", "Reps"]
    ).properties(height=240)


def asymmetry_rows(asym: dict[str, dict[str, float]], names: dict[str, str]) -> list[AsymmetryRow]:
    rows: list[AsymmetryRow] = []
    for ex, d in sorted(asym.items()):
        left, right = d.get("left_rom_deg"), d.get("right_rom_deg")
        diff = None
        if left and right:
            diff = round(100 * abs(left - right) / max(left, right), 1)
        rows.append({"Exercise": names.get(ex, ex), "Left ROM (deg)": left, "Right ROM (deg)": right,
                     "Difference (%)": diff, "Reps L/R": f"{int(d.get('left_reps', 0))}/{int(d.get('right_reps', 0))}"})
    return rows


def _asymmetry(asym: dict[str, dict[str, float]], names: dict[str, str]) -> None:
    st.subheader(":material/compare_arrows: Left / right", anchor=False)
    rows = asymmetry_rows(asym, names)
    if not rows:
        st.caption("No one-sided reps yet (single-leg exercises show up here).")
        return
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={"Difference (%)": st.column_config.NumberColumn(format="%.1f")})
    for r in rows:
        diff = r["Difference (%)"]
        if isinstance(diff, float) and diff > 100 * ASYM_WARN:
            weaker = "left" if (r["Left ROM (deg)"] or 0) < (r["Right ROM (deg)"] or 0) else "right"
            st.warning(f"{widgets.plain(r['Exercise'])}: the {weaker} side moves {diff:.0f}% less. Give it a "
                       "little extra time, gently.", icon=":material/compare_arrows:")


def _faults(counts: list[tuple[str, str, int]]) -> None:
    st.subheader(":material/report: Most frequent faults", anchor=False)
    if not counts:
        st.success("No form faults recorded in this range.", icon=":material/check_circle:")
        return
    top = pd.DataFrame([{"Fault": msg, "Code": code, "Times": n} for code, msg, n in counts[:8]])
    # An explicit band step (not a fixed height) so each fault gets a readable row however many there are.
    chart = alt.Chart(top).mark_bar(color="#c62828").encode(
        x=alt.X("Times:Q", title="Times"),
        y=alt.Y("Fault:N", sort=alt.EncodingSortField("Times", order="descending"), title=None,
                axis=alt.Axis(labelLimit=220)),
        tooltip=["Fault", "Code", "Times"]).properties(height=alt.Step(34))
    st.altair_chart(chart, width="stretch")
    code, msg, n = counts[0]
    st.caption(f"Most frequent: **{widgets.plain(msg)}** ({n}×). Work on that one first.")


def _routine_names(catalog: Mapping[str, Exercise]) -> dict[str, str]:
    try:
        return {r.id: r.name for r in load_routines(catalog, analysis.exercises_dir() / "routines")[0].values()}
    except Exception:  # a routine folder that cannot be read: ids are shown as they are
        return {}


def exercise_words(s: SessionRow, names: dict[str, str]) -> str:
    """The exercises of a session by name ("Squat, Glute bridge with pelvic tilt")."""
    return ", ".join(names.get(i, n or i) for i, n in s.exercises) or "no sets"


def kind_words(s: SessionRow, routines: dict[str, str]) -> str:
    """What kind of session: "Live", "Routine: Psoas care routine", "Clip review: bridge.mp4"."""
    what = KIND_WORDS.get(s.kind, s.kind)
    if s.kind == "routine" and s.routine_id:
        return f"{what}: {routines.get(s.routine_id, s.routine_id)}"
    if s.kind == "review" and s.source:
        return f"{what}: {s.source}"
    return what


def session_label(s: SessionRow, names: dict[str, str] | None = None, routines: dict[str, str] | None = None
                  ) -> str:
    """#12 · 2026-05-04 18:30 · Squat, Glute bridge · Routine: Psoas care routine · 2 sets, 12 reps"""
    when = s.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return (f"#{s.id} · {when} · {exercise_words(s, names or {})} · {kind_words(s, routines or {})} · "
            f"{plural(s.sets, 'set')}, {plural(s.reps, 'rep')}")


def _sessions(db: HistoryStore, sessions: list[SessionRow], names: dict[str, str], routines: dict[str, str]) -> None:
    st.subheader(":material/list: Sessions", anchor=False)
    if not sessions:
        st.caption("No sessions in this range.")
        return
    st.dataframe([{"#": s.id, "Started": s.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
                   "Exercise": exercise_words(s, names), "Kind": kind_words(s, routines),
                   "Sets": s.sets, "Reps": s.reps} for s in sessions], hide_index=True, width="stretch")
    by_id = {s.id: s for s in sessions}
    c1, c3, c2 = st.columns([3, 1.2, 1], vertical_alignment="bottom")
    sid = c1.selectbox("Session", list(by_id), key=DELETE_KEY,
                       format_func=lambda i: session_label(by_id[i], names, routines))
    reports.history_pdf_button(c3, db, sid)
    if c2.button("Delete session", icon=":material/delete:", key="history_delete_btn", width="stretch"):
        st.session_state[CONFIRM_KEY] = sid
    pending = st.session_state.get(CONFIRM_KEY)
    if pending is None:
        return
    if pending not in by_id:
        st.session_state[CONFIRM_KEY] = None
        return
    st.warning(f"Delete session {widgets.plain(session_label(by_id[pending], names, routines))}? Its sets, reps, "
               "holds and faults "
               "are removed for good.", icon=":material/warning:")
    y, n, _ = st.columns([1, 1, 3])
    if y.button("Yes, delete", type="primary", key="history_confirm_yes", width="stretch"):
        db.delete_session(pending)
        st.session_state[CONFIRM_KEY] = None
        st.toast(f"Session {pending} deleted", icon=":material/delete:")
        st.rerun()
    if n.button("Cancel", key="history_confirm_no", width="stretch"):
        st.session_state[CONFIRM_KEY] = None
        st.rerun()

