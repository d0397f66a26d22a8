"""A session report for the physiotherapist: one PDF per clip review or History session.

What it shows: the exercise, reps per side, range of motion per rep (a chart), hold times against the target
(a chart), the faults with a thumbnail of the frame at each (where a video exists), left/right asymmetry, and
the trend against earlier sessions of the same exercise from the History store.

Two steps, so each can be tested: `from_report` / `from_history` gather a `SessionData` (plain data), and
`render_pdf` lays it out with fpdf2, the charts drawn by matplotlib (Agg, in memory). Fonts are the DejaVu
ones matplotlib ships, so any text prints and nothing is fetched.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from posecheck.exercises import Exercise
from posecheck.history import HistoryStore
from posecheck.records import FaultEvent, HoldRecord, RepRecord, SetResult
from posecheck.report import Report

MAX_THUMBS = 8  # faults shown with a picture (the rest are listed)
THUMB_W = 320  # pixels
ASYM_NOTE = 10.0  # % left/right range-of-motion difference worth a note


@dataclass(frozen=True)
class TrendPoint:
    when: datetime
    mean_rom_deg: float | None
    hold_s: float
    reps: int
    current: bool = False  # this session


@dataclass(frozen=True)
class SessionData:
    """Everything the report prints, for one exercise of one session."""

    exercise_id: str
    exercise_name: str
    kind: str  # reps | hold | reps_hold | circles
    per_side: bool
    source: str  # "clip squat.mp4" / "Live session #12"
    when: datetime | None
    duration_s: float
    reps: tuple[RepRecord, ...]
    partials: int
    holds: tuple[HoldRecord, ...]
    faults: tuple[FaultEvent, ...]
    target_reps: int | None
    target_hold_s: float | None
    warnings: tuple[str, ...] = ()
    thumbnails: dict[int, np.ndarray] = field(default_factory=dict)  # fault index -> RGB image
    trend: tuple[TrendPoint, ...] = ()
    note: str = ""  # e.g. "no video is kept for live sessions"

    def reps_by_side(self) -> dict[str, int]:
        out = {"left": 0, "right": 0, "both": 0}
        for r in self.reps:
            out[r.side] = out.get(r.side, 0) + 1
        return out

    def mean_rom(self, side: str) -> float | None:
        roms = [r.rom_deg for r in self.reps if r.side == side and math.isfinite(r.rom_deg)]
        return float(np.mean(roms)) if roms else None

    def asymmetry_pct(self) -> float | None:
        left, right = self.mean_rom("left"), self.mean_rom("right")
        if not left or not right:
            return None
        return 100.0 * abs(left - right) / max(left, right)


# --- gathering ---------------------------------------------------------------------------------------


def from_report(report: Report, video: str | Path | None = None, history: HistoryStore | None = None,
                source: str | None = None, when: datetime | None = None) -> SessionData:
    """A clip review. `video`: where the fault thumbnails come from (the clip, or its annotated copy)."""
    ex = report.exercise
    thumbs = fault_thumbnails(video, [f.t_s for f in report.faults[:MAX_THUMBS]]) if video else {}
    data = SessionData(
        ex.id, ex.name, ex.kind, ex.per_side, source or f"Clip: {Path(report.clip).name}", when,
        report.duration_s, tuple(report.reps), len(report.partials), tuple(report.holds), tuple(report.faults),
        _target_reps(ex), ex.targets.hold_s, tuple(report.warnings), thumbs)
    return _with_trend(data, history, None)


def from_history(store: HistoryStore, session_id: int, names: dict[str, Exercise] | None = None
                 ) -> list[SessionData]:
    """One SessionData per exercise of a History session (its sets of one exercise merged, in order)."""
    session = next((s for s in store.sessions() if s.id == session_id), None)
    if session is None:
        raise KeyError(f"no session {session_id} in {store.path}")
    sets = store.session_sets(session_id)
    source = {"live": "Live session", "routine": "Guided routine", "review": "Clip review"}.get(session.kind,
                                                                                              session.kind)
    source = f"{source} #{session_id}" + (f" ({session.source or session.routine_id})"
                                          if session.source or session.routine_id else "")
    out = []
    for ex_id in dict.fromkeys(s.exercise_id for s in sets):
        mine = [s for s in sets if s.exercise_id == ex_id]
        ex = (names or {}).get(ex_id)
        data = SessionData(
            ex_id, ex.name if ex else ex_id, ex.kind if ex else "reps", ex.per_side if ex else
            any(r.side in ("left", "right") for s in mine for r in s.reps), source, mine[0].started_at,
            sum(s.duration_s for s in mine), _merge(mine, "reps"),
            sum(len(s.partials) for s in mine), _merge(mine, "holds"), _merge(mine, "faults"),
            _target_reps(ex) if ex else None, ex.targets.hold_s if ex else None,
            note="No video is kept for live and routine sessions: faults are listed without pictures."
            if session.kind != "review" else "The clip itself is not kept in History: faults are listed without "
                                             "pictures (the Review page's report has them).")
        out.append(_with_trend(data, store, session_id))
    return out


def _merge(sets: Sequence[SetResult], what: str) -> tuple:
    return tuple(x for s in sets for x in getattr(s, what))


def _target_reps(ex: Exercise) -> int | None:
    t = ex.targets
    return t.reps_per_side if ex.per_side and t.reps_per_side else t.reps_total


def _with_trend(data: SessionData, store: HistoryStore | None, session_id: int | None) -> SessionData:
    """Earlier sessions of the same exercise (mean range of motion, hold time, reps per set), this one last."""
    if store is None:
        return data
    rows = store.sets(exercise=data.exercise_id)
    points = []
    for r in rows:
        assert r.started_at is not None and r.session_id is not None  # a saved set has both (NOT NULL columns)
        if session_id is None or r.session_id <= session_id:
            points.append(TrendPoint(r.started_at, r.mean_rom_deg, r.time_in_holds_s, r.reps_total,
                                     current=r.session_id == session_id))
    if session_id is None:  # a clip not saved yet: it is the latest point
        roms = [r.rom_deg for r in data.reps if math.isfinite(r.rom_deg)]
        points.append(TrendPoint(data.when or datetime.now().astimezone(), float(np.mean(roms)) if roms else None,
                                 sum(h.duration_s for h in data.holds), len(data.reps), current=True))
    return SessionData(**{**data.__dict__, "trend": tuple(points)})


def fault_thumbnails(video: str | Path, times: Sequence[float], width: int = THUMB_W) -> dict[int, np.ndarray]:
    """The frame nearest each time, scaled to `width` px wide (decoded once, front to back)."""
    import cv2

    from posecheck.sources import open_video

    if not times:
        return {}
    out: dict[int, np.ndarray] = {}
    order = sorted(range(len(times)), key=lambda i: times[i])
    k = 0
    try:
        for frame in open_video(video):
            while k < len(order) and frame.t_s >= times[order[k]] - 1e-6:
                h, w = frame.rgb.shape[:2]
                out[order[k]] = cv2.resize(frame.rgb, (width, max(1, round(h * width / w))),
                                           interpolation=cv2.INTER_AREA)
                k += 1
            if k >= len(order):
                break
    except Exception:  # a damaged video costs the pictures, never the report
        return out
    return out


# --- drawing -------------------------------------------------------------------------------------------


def _png(fig: object) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buf.getvalue()


SIDE_COLOURS = {"left": "#1f77b4", "right": "#ff7f0e", "both": "#2ca02c"}


def rom_chart(data: SessionData) -> bytes | None:
    """Range of motion of every rep, coloured by side."""
    reps = [r for r in data.reps if math.isfinite(r.rom_deg)]
    if not reps:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(7.2, 2.4))
    xs = np.arange(1, len(reps) + 1)
    ax.bar(xs, [r.rom_deg for r in reps], width=0.6, color=[SIDE_COLOURS.get(r.side, "#777") for r in reps])
    handles = []
    for side, colour in SIDE_COLOURS.items():
        if any(r.side == side for r in reps):
            m = float(np.mean([r.rom_deg for r in reps if r.side == side]))
            ax.axhline(m, color=colour, ls="--", lw=1)
            handles.append(Patch(color=colour, label=f"{'both legs' if side == 'both' else side}: mean {m:.0f}°"))
    ax.set_xlim(0.3, len(reps) + 0.7)
    ax.set_xlabel("rep")
    ax.set_ylabel("range of motion (°)")
    ax.set_xticks(xs)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _png(fig)


def hold_chart(data: SessionData) -> bytes | None:
    """Each hold (or a rep's hold at the top) against the target."""
    if data.kind not in ("hold", "reps_hold"):
        return None  # a plain rep's pause at the turn is no hold
    holds = [(h.side, h.duration_s) for h in data.holds] or [(r.side, r.hold_s) for r in data.reps if r.hold_s > 0]
    if not holds:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.2, 2.2))
    xs = np.arange(1, len(holds) + 1)
    ax.bar(xs, [d for _, d in holds], width=0.6, color=[SIDE_COLOURS.get(s, "#777") for s, _ in holds])
    ax.set_xlim(0.3, len(holds) + 0.7)
    if data.target_hold_s:
        ax.axhline(data.target_hold_s, color="#d62728", ls="--", lw=1.2, label=f"target {data.target_hold_s:g} s")
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_xlabel("hold")
    ax.set_ylabel("held (s)")
    ax.set_xticks(xs)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def trend_chart(data: SessionData) -> bytes | None:
    """Mean range of motion (and hold time) per session of this exercise, this session marked."""
    pts = [p for p in data.trend if p.mean_rom_deg is not None or p.hold_s > 0]
    if len(pts) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    use_rom = any(p.mean_rom_deg is not None for p in pts)
    ys = [(p.mean_rom_deg if use_rom else p.hold_s) for p in pts]
    fig, ax = plt.subplots(figsize=(7.2, 2.4))
    xs = [p.when for p in pts]
    # matplotlib's stubs list only array-likes of numbers for x; datetimes go through its units (mdates) machinery
    ax.plot(xs, [y if y is not None else np.nan for y in ys], marker="o", color="#4c78a8")  # type: ignore[arg-type]
    for p, y in zip(pts, ys, strict=True):
        if p.current and y is not None:
            ax.plot([p.when], [y], marker="o", ms=10, mfc="none", mec="#d62728", mew=2,  # type: ignore[arg-type]
                    label="this session")  # (datetime x: as above)
    import matplotlib.dates as mdates

    ax.set_ylabel("mean range of motion (°)" if use_rom else "hold time (s)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=6))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=8)
    return _png(fig)


# --- the PDF ---------------------------------------------------------------------------------------------


def _fonts_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class _Pdf:
    """fpdf2 with the report's fonts, header and footer."""

    def __init__(self, title: str) -> None:
        from fpdf import FPDF

        fonts = _fonts_dir()
        pdf = FPDF(format="A4", unit="mm")
        pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        pdf.set_title(title)
        pdf.set_creator("posecheck")
        pdf.set_auto_page_break(True, margin=16)
        pdf.set_margins(16, 14, 16)
        pdf.set_footer = None  # type: ignore[attr-defined]
        self.pdf = pdf
        self.title = title

    def heading(self, text: str, size: int = 13) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "B", size)
        pdf.set_text_color(30, 30, 40)
        pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)

    def text(self, text: str, size: int = 10, colour: tuple[int, int, int] = (40, 40, 50)) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "", size)
        pdf.set_text_color(*colour)
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    def image(self, png: bytes, w: float = 178) -> None:
        self.pdf.image(io.BytesIO(png), w=w)
        self.pdf.ln(2)

    def section(self, title: str, png: bytes | None, w: float = 178) -> None:
        """A heading and its chart, kept on one page."""
        if png is not None:
            from PIL import Image

            with Image.open(io.BytesIO(png)) as im:
                h = w * im.height / im.width
            if self.pdf.get_y() + h + 12 > self.pdf.h - self.pdf.b_margin:
                self.pdf.add_page()
        self.heading(title)
        if png is not None:
            self.image(png, w)

    def table(self, rows: list[tuple[str, str]]) -> None:
        pdf = self.pdf
        pdf.set_font("DejaVu", "", 10)
        with pdf.table(col_widths=(55, 123), text_align=("LEFT", "LEFT"), first_row_as_headings=False,
                       line_height=6.5, borders_layout="HORIZONTAL_LINES") as table:
            for label, value in rows:
                row = table.row()
                row.cell(label)
                row.cell(value)
        pdf.ln(2)


def render_pdf(sessions: Sequence[SessionData], title: str = "posecheck session report") -> bytes:
    """The report: a page (or more) per exercise of the session."""
    doc = _Pdf(title)
    for data in sessions:
        _exercise_pages(doc, data)
    if not sessions:
        doc.pdf.add_page()
        doc.heading(title, 16)
        doc.text("Nothing was recorded in this session.")
    return bytes(doc.pdf.output())


def error_pdf(message: str) -> bytes:
    """A one-page PDF that says why the report could not be made."""
    doc = _Pdf("posecheck session report")
    doc.pdf.add_page()
    doc.heading("posecheck session report", 16)
    doc.text(message)
    return bytes(doc.pdf.output())


def _exercise_pages(doc: _Pdf, d: SessionData) -> None:
    pdf = doc.pdf
    pdf.add_page()
    doc.heading(f"{d.exercise_name}", 17)
    when = d.when.astimezone().strftime("%d %B %Y, %H:%M") if d.when else ""
    doc.text(" · ".join(x for x in (d.source, when, f"{d.duration_s:.0f} s" if d.duration_s else "") if x),
             9, (100, 100, 110))
    pdf.ln(2)
    doc.table(_summary_rows(d))
    for w in d.warnings:
        doc.text(f"Note: {w}", 9, (150, 80, 0))
    if (png := rom_chart(d)) is not None:
        doc.section("Range of motion per rep", png)
    if (png := hold_chart(d)) is not None:
        doc.section("Hold times against the target" if d.target_hold_s else "Hold times", png)
    _faults(doc, d)
    png = trend_chart(d)
    earlier = sum(not p.current for p in d.trend)
    doc.section(f"Trend against earlier sessions ({earlier} earlier)" if png else "Trend against earlier sessions",
                png)
    if png is None:
        doc.text("No earlier session of this exercise in History yet.")
    doc.text("Made by posecheck from the camera: angles are estimates from video, for discussion with your "
             "physiotherapist, not a diagnosis.", 8, (120, 120, 130))


def _summary_rows(d: SessionData) -> list[tuple[str, str]]:
    by = d.reps_by_side()
    rows: list[tuple[str, str]] = [("Exercise", d.exercise_name)]
    if d.kind != "hold":
        target = f" (target {d.target_reps}{' per side' if d.per_side else ''})" if d.target_reps else ""
        if d.per_side:
            rows.append(("Reps per side", f"left {by['left']}, right {by['right']}{target}"))
        else:
            rows.append(("Reps", f"{len(d.reps)}{target}"))
        rows.append(("Partial reps", str(d.partials)))
        roms = [r.rom_deg for r in d.reps if math.isfinite(r.rom_deg)]
        if roms:
            rows.append(("Range of motion", f"mean {np.mean(roms):.0f}°, from {min(roms):.0f}° to {max(roms):.0f}°"))
    holds = [h.duration_s for h in d.holds]
    if holds or d.kind in ("hold", "reps_hold"):
        target = f" against a target of {d.target_hold_s:g} s" if d.target_hold_s else ""
        met = sum(1 for h in holds if d.target_hold_s and h >= d.target_hold_s)
        rows.append(("Holds", f"{len(holds)}, longest {max(holds, default=0):.1f} s{target}"
                     + (f" ({met} reached it)" if d.target_hold_s and holds else "")))
    asym = d.asymmetry_pct()
    if asym is not None:
        left, right = d.mean_rom("left"), d.mean_rom("right")
        weaker = "left" if (left or 0) < (right or 0) else "right"
        note = f" — the {weaker} side moves less" if asym >= ASYM_NOTE else ""
        rows.append(("Left / right", f"left {left:.0f}°, right {right:.0f}° mean range: {asym:.0f}% apart{note}"))
    rows.append(("Form faults", str(len(d.faults)) if d.faults else "none"))
    return rows


def _faults(doc: _Pdf, d: SessionData) -> None:
    if not d.faults:
        return
    pdf = doc.pdf
    doc.heading(f"Form faults ({len(d.faults)})")
    if d.note and not d.thumbnails:
        doc.text(d.note, 9, (100, 100, 110))
    col_w, gap = 86.0, 6.0
    x0 = pdf.l_margin
    open_row: tuple[float, float] | None = None  # (top, bottom) of a row whose right column is still free
    for i, f in enumerate(d.faults):
        side = f" ({f.side})" if f.side and f.side != "both" else ""
        caption = f"{_clock(f.t_s)} · {f.message}{side}"
        thumb = d.thumbnails.get(i)
        if thumb is None:
            if open_row is not None:  # a line under the row, never over the picture on its left
                pdf.set_xy(x0, open_row[1] + 2)
                open_row = None
            doc.text(f"• {caption}", 9)
            continue
        from PIL import Image

        h = col_w * thumb.shape[0] / thumb.shape[1]
        if open_row is None:
            if pdf.get_y() + h + 12 > pdf.h - pdf.b_margin:
                pdf.add_page()
            x, y = x0, pdf.get_y()
        else:
            x, y = x0 + col_w + gap, open_row[0]  # beside the picture on the left
        pdf.image(Image.fromarray(thumb), x=x, y=y, w=col_w)
        pdf.set_xy(x, y + h + 1)
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(col_w, 4, caption)
        bottom = max(pdf.get_y(), y + h + 10)
        if open_row is None:
            open_row = (y, bottom)
            pdf.set_xy(x0, y)
        else:
            pdf.set_xy(x0, max(bottom, open_row[1]) + 2)
            open_row = None
    if open_row is not None:
        pdf.set_xy(x0, open_row[1] + 2)


def _clock(t: float) -> str:
    if not math.isfinite(t):
        return "-"
    m, s = divmod(max(0.0, t), 60)
    return f"{int(m)}:{s:04.1f}"
