"""Form checks: each exercise's `[[checks]]`, evaluated in the phases they name, raised once per failure.

A check fails while one of its conditions reads False (unknown is not a fault) and is raised after it has
failed for `min_s`; it is raised again only after it has passed in between.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from posecheck.engine.primitives import Debounce
from posecheck.engine.signals import Values, all_true, expand
from posecheck.exercises import Check

SEVERITY_ORDER = ("info", "warning", "error")
FaultSink = Callable[[float, str, str, str, str | None], None]  # (t, code, cue, severity, side)


@dataclass
class _CheckState:
    failing: Debounce
    raised: bool = False


@dataclass
class FormChecks:
    checks: tuple[Check, ...]
    _state: dict[str, _CheckState] = field(init=False)

    def __post_init__(self) -> None:
        self._state = {c.code: _CheckState(Debounce(c.min_s)) for c in self.checks}

    def run(self, t: float, values: Values, phase: str, side: str | None, raise_fault: FaultSink) -> None:
        for check in self.checks:
            st = self._state[check.code]
            if not phase_matches(check, phase) or side is None:
                st.failing.reset()
                st.raised = False
                continue
            failing = all_true(check.require, values, side) is False
            if st.failing.update(t, failing) and not st.raised:
                st.raised = True
                raise_fault(t, check.code, check.cue, check.severity, side)
            elif not failing:
                st.raised = False

    def error_failing(self) -> bool:
        """An error-level fault is raised now (it stops hold clocks)."""
        return any(self._state[c.code].raised for c in self.checks if c.severity == "error")

    def raised(self) -> list[Check]:
        return [c for c in self.checks if self._state[c.code].raised]

    def severity(self) -> str:
        return max((c.severity for c in self.raised()), key=SEVERITY_ORDER.index, default="info")

    def joint_status(self, phase: str, side: str | None) -> dict[str, str]:
        """ok / close / bad per joint signal named by a check evaluated now (for the overlay colours)."""
        out: dict[str, str] = {}
        if side is None:
            return out
        rank = ("ok", "close", "bad")
        for c in self.checks:
            if not phase_matches(c, phase):
                continue
            st = self._state[c.code]
            new = "bad" if st.raised else "close" if st.failing.since is not None else "ok"
            for cond in c.require:
                for name in cond.expr.names(side):
                    for n in expand(name):
                        out[n] = max(out.get(n, "ok"), new, key=rank.index)
        return out


def phase_matches(check: Check, phase: str) -> bool:
    return check.when == "any" and phase not in ("setup", "paused") or check.when == phase
