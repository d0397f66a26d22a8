"""Reading a frame's signals the way rules need them: reliable values only, bilateral means, conditions."""

from __future__ import annotations

import math

from posecheck.exercises import PER_SIDE_BASES, Condition
from posecheck.kinematics import Kinematics, twin

Values = dict[str, float]


_LAST: tuple[Kinematics | None, Values] = (None, {})  # the recogniser's trackers all read the same frame


def usable_values(kin: Kinematics) -> Values:
    """Reliable signals only, plus the bilateral means (`knee` = mean of the reliable knees). A fresh dict."""
    global _LAST
    last = _LAST  # one read: another thread may replace it
    if last[0] is kin:
        return dict(last[1])
    values = {k: v for k, v in kin.angles.items() if kin.ok(k)}
    for base in PER_SIDE_BASES:
        both = [values[n] for n in (f"left_{base}", f"right_{base}") if n in values]
        if both:
            values[base] = float(sum(both) / len(both))
    _LAST = (kin, values)
    return dict(values)


def all_true(conds: tuple[Condition, ...], values: Values, side: str) -> bool | None:
    """False if any condition fails, None if none could be evaluated, else True."""
    results = [c.evaluate(values, side) for c in conds]
    if any(r is False for r in results):
        return False
    if results and all(r is None for r in results):
        return None
    return True


def mirror(values: Values, conds: tuple[Condition, ...], side: str) -> Values:
    """`values` with the left/right readings of the signals `conds` name exchanged."""
    out = dict(values)
    for c in conds:
        for name in c.expr.names(side):
            if (other := twin(name)) != name:
                out[name], out[other] = values.get(other, math.nan), values.get(name, math.nan)
    return out


def names_side(cond: Condition) -> bool:
    """Whether a condition reads the working side itself ({side}), not only the other side or the trunk."""
    return any("{side}" in name for _, name in cond.expr.terms)


def expand(name: str) -> list[str]:
    """A bilateral mean's two per-side signals (`knee` -> left_knee, right_knee); others as they are."""
    return [f"left_{name}", f"right_{name}"] if name in PER_SIDE_BASES else [name]
