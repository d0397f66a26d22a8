"""Altair charts of a Report: the drive signal against its thresholds, and hip/knee angles over time.

Both charts share one time axis and the same overlays: reps as shaded spans (full / partial), holds as
spans, faults as red rules, so a moment can be found in either.
"""

from __future__ import annotations

import math
from typing import TypedDict

import altair as alt
import pandas as pd

from posecheck.exercises import PER_SIDE_BASES, Exercise
from posecheck.report import Report

ANGLE_LABELS = {"left_hip": "Left hip", "right_hip": "Right hip", "left_knee": "Left knee",
                "right_knee": "Right knee"}
ANGLE_COLOURS = ["#1f77b4", "#9ecae1", "#d62728", "#ff9896"]  # hips blue, knees red; the right side lighter
SPAN_COLOURS = {"Full rep": "#2ca02c", "Partial rep": "#ff7f0e", "Hold": "#6a51a3"}
SPAN_OPACITY = 0.13  # reps: a light shade over the whole height
HOLD_STRIP_PX = 10  # holds: a solid purple strip along the top (a light shade over green would look grey)
HOLD_OPACITY = 0.85
FAULT_COLOUR = "#c62828"
CAPTION = ("Shaded spans: full reps (green), partial reps (orange); holds are the purple bars along the top. Red "
           "dashed lines mark faults. Hover for values.")
CHART_HEIGHT = 320  # the whole chart (Streamlit fits title, legend and axes inside): ~170 px of plot


class _AxisGutter(TypedDict):
    minExtent: int
    titlePadding: int


Y_AXIS: _AxisGutter = {"minExtent": 48, "titlePadding": 8}  # same label gutter on both charts: time axes line up


def angles_chart(report: Report) -> alt.LayerChart:
    """Hip and knee angles (degrees) over time, with rep/hold spans and fault markers."""
    s = report.series
    rows = {"t_s": s.t_s}
    rows.update({label: s.values[name] for name, label in ANGLE_LABELS.items()})
    df = pd.DataFrame(rows).melt("t_s", var_name="Angle", value_name="deg").dropna()
    x = _x_axis(report)
    scale = alt.Scale(zero=False, domain=fitted_domain(df["deg"]), nice=False) if not df.empty else \
        alt.Scale(zero=False)
    lines = alt.Chart(df).mark_line(strokeWidth=1.8).encode(
        x=x, y=alt.Y("deg:Q", title="Angle (deg)", scale=scale, axis=alt.Axis(**Y_AXIS)),
        color=alt.Color("Angle:N", scale=alt.Scale(domain=list(ANGLE_LABELS.values()), range=ANGLE_COLOURS),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip("t_s:Q", title="t (s)", format=".2f"), "Angle:N",
                 alt.Tooltip("deg:Q", format=".0f")],
    )
    return _with_overlays(lines, report).properties(height=CHART_HEIGHT, title="Hip and knee angles")


def drive_chart(report: Report) -> alt.LayerChart | None:
    """The signal that makes a rep, per working side, with its rest and target lines; None without one."""
    ex = report.exercise
    m = ex.motion
    if m is None or ex.kind == "circles":
        return None
    label = drive_label(ex)
    sides = ("both",) if ex.sides == "both" else ("left", "right")
    s = report.series
    frames = []
    for i, t in enumerate(s.t_s):
        values = {n: v[i] for n, v in s.values.items() if math.isfinite(v[i])}
        for base in PER_SIDE_BASES:  # bare names (`knee`) are the mean of both sides, as in the engine
            both = [values[f"{p}_{base}"] for p in ("left", "right") if f"{p}_{base}" in values]
            if both:
                values[base] = sum(both) / len(both)
        for side in sides:
            v = m.signal.evaluate(values, side)
            if math.isfinite(v):
                frames.append((t, side if side != "both" else label, v))
    df = pd.DataFrame(frames, columns=["t_s", "Side", "deg"])
    if df.empty:
        return None
    x = _x_axis(report)
    y_dom = fitted_domain(df["deg"], (m.rest, m.target))
    scale = alt.Scale(domain=y_dom, nice=False, zero=False)  # every layer: one axis fitted to the data
    y = alt.Y("deg:Q", title="Angle (deg)", scale=scale, axis=alt.Axis(**Y_AXIS))
    lines = alt.Chart(df).mark_line(strokeWidth=2).encode(
        x=x, y=y, color=alt.Color("Side:N", legend=alt.Legend(orient="top", title=None),
                                  scale=alt.Scale(range=["#1f77b4", "#ff7f0e"])),
        tooltip=[alt.Tooltip("t_s:Q", title="t (s)", format=".2f"), "Side:N", alt.Tooltip("deg:Q", format=".0f")],
    )
    band = pd.DataFrame({"lo": [m.target - m.hysteresis_deg], "hi": [m.target + m.hysteresis_deg]})
    band_layer = alt.Chart(band).mark_rect(opacity=0.12, color="#2ca02c", clip=True).encode(
        y=alt.Y("lo:Q", scale=scale), y2="hi:Q")
    layers: list[alt.Chart] = [band_layer]
    # Each line's label on its own side of it (the lower line's below, the upper's above): never on each other.
    for value, name, above in ((m.rest, "rest", m.rest >= m.target), (m.target, "target", m.target > m.rest)):
        line = pd.DataFrame({"deg": [value], "line": [f"{name} {value:g}"]})
        layers.append(alt.Chart(line).mark_rule(strokeDash=[6, 4], color="#555").encode(
            y=alt.Y("deg:Q", scale=scale), tooltip=["line:N"]))
        layers.append(alt.Chart(line).mark_text(align="left", baseline="bottom" if above else "top", dx=4,
                                                dy=-3 if above else 3, color="#555", fontSize=11).encode(
            y=alt.Y("deg:Q", scale=scale), x=alt.value(0), text="line:N"))
    return _with_overlays(_layer(*layers, lines), report).properties(
        height=CHART_HEIGHT, title=f"Rep signal: {label}, with the rest and target lines")


def fitted_domain(values: pd.Series, lines: tuple[float, ...] = ()) -> list[float]:
    """The y range of the data and the threshold lines, with a margin (more on top, where the hold bars run):
    never stretched down to 0."""
    lo = min([float(values.min()), *lines])
    hi = max([float(values.max()), *lines])
    span = max(hi - lo, 10.0)
    return [lo - max(3.0, 0.08 * span), hi + max(6.0, 0.22 * span)]


def drive_label(ex: Exercise) -> str:
    """A readable name for the motion signal, e.g. '{side}_thigh_incline' -> 'thigh incline'."""
    assert ex.motion is not None
    text = str(ex.motion.signal)
    bare = "{" not in text and not text.startswith(("left_", "right_"))
    text = text.replace("{side}_", "").replace("{other}_", "other ").replace("_", " ")
    return f"{text} (mean of both sides)" if bare and text in PER_SIDE_BASES else text


def _x_axis(report: Report) -> alt.X:
    end = max(report.duration_s, report.series.t_s[-1] if report.series.t_s else 0.0, 0.1)
    return alt.X("t_s:Q", title="Time (s)", scale=alt.Scale(domain=[0, end], nice=False))


def _with_overlays(base: alt.Chart | alt.LayerChart, report: Report) -> alt.LayerChart:
    spans = [(r.start_s, r.end_s, "Full rep" if r.full else "Partial rep", f"{r.side} rep, ROM {r.rom_deg:.0f} deg")
             for r in (*report.reps, *report.partials)]
    spans += [(h.start_s, h.end_s, "Hold", f"{h.side} hold {h.duration_s:.2f} s") for h in report.holds]
    layers: list[alt.Chart | alt.LayerChart] = []
    if spans:
        sdf = pd.DataFrame(spans, columns=["start", "end", "Span", "about"])
        present = [k for k in SPAN_COLOURS if k in set(sdf["Span"])]  # the legend lists only what is there
        color = alt.Color("Span:N", scale=alt.Scale(domain=present, range=[SPAN_COLOURS[k] for k in present]),
                          legend=alt.Legend(orient="top", title=None, symbolOpacity=0.8))
        tooltip = ["about:N", alt.Tooltip("start:Q", format=".2f"), alt.Tooltip("end:Q", format=".2f")]
        reps = sdf[sdf["Span"] != "Hold"]
        holds = sdf[sdf["Span"] == "Hold"]
        span_layers = []
        if not reps.empty:
            span_layers.append(alt.Chart(reps).mark_rect(opacity=SPAN_OPACITY).encode(
                x="start:Q", x2="end:Q", color=color, tooltip=tooltip))
        if not holds.empty:
            span_layers.append(alt.Chart(holds).mark_rect(opacity=HOLD_OPACITY).encode(
                x="start:Q", x2="end:Q", y=alt.value(0), y2=alt.value(HOLD_STRIP_PX), color=color, tooltip=tooltip))
        layers.append(_layer(*span_layers))  # one colour scale for reps and holds: one legend
    layers.append(base)
    if report.faults:
        fdf = pd.DataFrame([(f.t_s, f.message, f.code) for f in report.faults], columns=["t_s", "fault", "code"])
        layers.append(alt.Chart(fdf).mark_rule(color=FAULT_COLOUR, strokeWidth=1.5, strokeDash=[2, 2]).encode(
            x="t_s:Q", tooltip=[alt.Tooltip("t_s:Q", title="t (s)", format=".2f"), "fault:N", "code:N"]))
        layers.append(alt.Chart(fdf).mark_point(color=FAULT_COLOUR, shape="triangle-down", filled=True, size=70)
                      .encode(x="t_s:Q", y=alt.value(HOLD_STRIP_PX + 4), tooltip=["fault:N"]))
    return _layer(*layers).resolve_scale(color="independent")


def _layer(*charts: alt.Chart | alt.LayerChart) -> alt.LayerChart:
    """alt.layer, typed for these charts: it returns a FacetChart only when every layer has the same row/column/
    facet encoding, and no chart here has one."""
    chart = alt.layer(*charts)
    assert isinstance(chart, alt.LayerChart)
    return chart
