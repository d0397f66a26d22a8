"""A rep exercise's drive signal (its `[motion] signal` in exercises/*.toml) on exact truth angles.

The truth says, per rep, how far the drive went (`peak_drive`), where it started (`rest_drive`) and whether
it reached the exercise's textbook target (`full`): the same numbers the engine judges, without a camera.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import cache

import numpy as np

from posecheck.errors import PosecheckError
from posecheck.exercises import Motion, get_exercise

AnglesAt = Callable[[float], Mapping[str, float]]


@cache
def motion_of(exercise_id: str) -> Motion | None:
    """The exercise's [motion] table, or None (hold/circle exercises, unknown ids)."""
    try:
        return get_exercise(exercise_id).motion
    except PosecheckError:
        return None


def drive_value(angles: Mapping[str, float], motion: Motion, side: str) -> float:
    """The drive signal; a bare per-side name (`knee`) is the mean of both sides, as for a side-on body."""
    values = dict(angles)
    for base in ("hip", "knee", "thigh_incline"):
        if f"left_{base}" in values and f"right_{base}" in values:
            values[base] = (values[f"left_{base}"] + values[f"right_{base}"]) / 2
    return motion.signal.evaluate(values, side if side in ("left", "right") else "left")


def reaches_target(motion: Motion, value: float) -> bool:
    return bool(value >= motion.target if motion.direction == "up" else value <= motion.target)


def toward_target(motion: Motion) -> float:
    """+1 when the drive rises toward the target, -1 when it falls."""
    return 1.0 if motion.direction == "up" else -1.0


def rest_fraction(drive_of: Callable[[float], float], motion: Motion, offset_deg: float, hi: float = 1.0) -> float:
    """The excursion fraction x in [0, hi] whose drive is `offset_deg` from x=0's, toward the target.

    Scripts move along one parameter x (0 = textbook rest, 1 = full depth); a person's own rest posture sits
    a few degrees in, and bisection finds where (the drive is monotonic along every script's path).
    """
    if offset_deg < 0:
        raise ValueError("rest_offset is in degrees toward the target: it must be >= 0")
    if offset_deg == 0:
        return 0.0
    base = drive_of(0.0)
    sign = toward_target(motion)

    def gap(x: float) -> float:
        return sign * (drive_of(x) - base) - offset_deg

    if gap(hi) < 0:
        raise ValueError(f"rest_offset {offset_deg:g} deg is beyond this motion's range")
    lo = 0.0
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gap(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def annotate_reps(reps: list[dict], exercise_id: str, angles_at: AnglesAt, rate_hz: float = 25.0) -> None:
    """Add `rest_drive`, `peak_drive` and `full` (the drive reached the target) to every rep with a peak.

    The rep is sampled at rate_hz plus exactly at its turning point (reached at peak_s - hold_s, held to peak_s).
    """
    motion = motion_of(exercise_id)
    if motion is None:
        return
    sign = toward_target(motion)
    for r in reps:
        if "peak_s" not in r:
            continue
        times = list(np.arange(r["start_s"], r["end_s"], 1.0 / rate_hz))
        times += [r["peak_s"], r["peak_s"] - r.get("hold_s", 0.0), r["end_s"]]
        vals = [drive_value(angles_at(t), motion, r["side"]) for t in times]
        peak = max(vals, key=lambda v: sign * v)
        r["rest_drive"] = round(drive_value(angles_at(r["start_s"]), motion, r["side"]), 3)
        r["peak_drive"] = round(float(peak), 3)
        r["full"] = reaches_target(motion, peak) and math.isfinite(peak)
