"""What the engine produces, as records every sink shares: faults, reps, holds, events, the per-frame state.

Plain frozen dataclasses with no behaviour beyond derived properties, so storage, reports, routines and
the UI depend on these and not on the tracker that makes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class FaultEvent:
    t_s: float
    code: str
    message: str
    severity: str
    side: str | None


@dataclass(frozen=True)
class RepRecord:
    side: str  # "left" | "right" | "both"
    start_s: float
    end_s: float
    peak_s: float
    rom_deg: float
    peak_deg: float
    hold_s: float
    full: bool  # reached the target
    ok: bool  # full, held long enough (reps with a hold) and no error-level fault
    faults: tuple[str, ...]
    peak_angles: dict[str, float] = field(default_factory=dict)
    direction: str = ""  # leg circles: "cw" | "ccw" as seen in the image

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class HoldRecord:
    side: str
    start_s: float
    end_s: float
    duration_s: float  # time that counted (in position, good form); breaks are not counted
    ok: bool
    faults: tuple[str, ...]


@dataclass(frozen=True)
class Event:
    kind: Literal["rep", "partial", "hold_start", "hold_end", "hold_complete", "fault", "warning"]
    t_s: float
    side: str | None = None
    message: str = ""
    rep: RepRecord | None = None
    hold: HoldRecord | None = None
    fault: FaultEvent | None = None


@dataclass(frozen=True)
class TrackerState:
    t_s: float
    phase: str  # setup | rest | moving | target | hold | paused
    side: str | None
    reps_left: int
    reps_right: int
    reps_total: int
    partial: int
    hold_s: float | None
    hold_target_s: float | None
    cues: tuple[str, ...]
    cue_severity: str
    status: str | None  # why nothing is counted right now (no person, wrong view), else None
    view: str
    events: tuple[Event, ...]
    joint_status: dict[str, str]

    @property
    def cue(self) -> str | None:
        return self.status or (self.cues[0] if self.cues else None)

    @classmethod
    def blank(cls, t: float, view: str, status: str | None) -> TrackerState:
        """Nothing counted (before a tracker runs, or while the camera check holds it back)."""
        return cls(t_s=t, phase="setup", side=None, reps_left=0, reps_right=0, reps_total=0, partial=0,
                   hold_s=None, hold_target_s=None, cues=(), cue_severity="info", status=status, view=view,
                   events=(), joint_status={})
