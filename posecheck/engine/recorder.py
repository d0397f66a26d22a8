"""What a tracker has recorded so far, and the interface of the per-kind strategies that record it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from posecheck.engine.signals import Values
from posecheck.kinematics import Kinematics
from posecheck.records import Event, FaultEvent, HoldRecord, RepRecord

HOLD_TOLERANCE_S = 0.25  # a hold this much short of its target still meets it (a stretch or a rep's held top)


@dataclass
class Recorder:
    """The set's records. `fault` also tells the strategy, which files the code on its rep or hold."""

    reps: list[RepRecord] = field(default_factory=list)
    partials: list[RepRecord] = field(default_factory=list)
    holds: list[HoldRecord] = field(default_factory=list)
    faults: list[FaultEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    attach: Callable[[str, str], None] = lambda _code, _severity: None

    def fault(self, t: float, code: str, message: str, severity: str, side: str | None,
              events: list[Event], attach: bool = True) -> None:
        """`attach`: the fault belongs to the rep or hold in progress (a judgement of a rep already recorded does
        not: by then the next rep, on the other leg, may be under way)."""
        f = FaultEvent(round(t, 3), code, message, severity, side)
        self.faults.append(f)
        events.append(Event("fault", t, side, message, fault=f))
        if attach:
            self.attach(code, severity)

    def reps_by_side(self) -> dict[str, int]:
        out = {"left": 0, "right": 0, "both": 0}
        for r in self.reps:
            out[r.side] += 1
        return out


class Strategy:
    """How one kind of exercise turns frames into records (reps, holds, circles); the tracker picks one."""

    phase: str = "setup"

    def update(self, t: float, dt: float, kin: Kinematics, values: Values, events: list[Event]) -> Values:
        """One counted frame; returns the values the form checks should read."""
        raise NotImplementedError

    def pause(self, t: float, events: list[Event], kin: Kinematics | None = None) -> None:
        """No reliable pose this frame (nobody, wrong view, or - with `kin` - every drive signal hidden)."""

    def abandon(self, _t: float, _events: list[Event]) -> None:
        """The tracked person jumped: nothing in progress may be finished with another body's frames."""
        self.phase = "setup"

    def finish(self, t: float, events: list[Event]) -> None:
        """The clip or stream ended."""

    def active_side(self) -> str | None:
        return None

    def attach_fault(self, code: str, severity: str) -> None:
        """A fault was raised: file its code on what is in progress."""

    def shown_hold_s(self) -> float | None:
        """The hold time to show now (a hold in progress, a rep's top hold), else None."""
        return None

    def current_hold(self) -> tuple[str, float] | None:
        return None

    def wrong_side(self) -> str | None:
        """With the side fixed (a routine's left-leg set), the other side doing the exercise: its name."""
        return None
