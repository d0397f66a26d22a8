"""What the engine produces, as records every sink shares: faults, reps, holds, events, the per-frame state,
and what one set produced (`SetResult`).

Plain frozen dataclasses with no behaviour beyond derived properties, so storage, reports, routines and
the UI depend on these and not on the tracker that makes them.

Every time a person sees (reports, tables, charts, history) is rounded once, here, to 0.01 s: a hold's
duration is its end minus its start after rounding, so no sink can show a span and a duration that disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # only for the builder's signature: records never import the engine at run time
    from posecheck.engine import Tracker
    from posecheck.exercises import Exercise

TIME_DECIMALS = 2  # every time in a report, a table or the history: 0.01 s


def round_s(t: float) -> float:
    """A time as reports show it (0.01 s)."""
    return round(t, TIME_DECIMALS) if math.isfinite(t) else t


@dataclass(frozen=True)
class FaultEvent:
    t_s: float
    code: str
    message: str
    severity: str
    side: str | None

    def rounded(self) -> FaultEvent:
        return replace(self, t_s=round_s(self.t_s))


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
    variant: str = ""  # the exercise variant it was done as ("" = the exercise's own motion)
    cut: str = ""  # "start" / "end": begun before the clip started or ended after it; "cut": at a camera cut
    depth: float = 1.0  # how far toward the textbook target (1 = reached it)

    @property
    def duration_s(self) -> float:
        return round_s(self.end_s - self.start_s)

    def rounded(self) -> RepRecord:
        return replace(self, start_s=round_s(self.start_s), end_s=round_s(self.end_s), peak_s=round_s(self.peak_s),
                       hold_s=round_s(self.hold_s))


@dataclass(frozen=True)
class HoldRecord:
    """One hold: from its first counted frame to its last; short breaks (within the grace period) are part of
    it, so duration_s == end_s - start_s (the engine's one definition; `rounded()` keeps it so at 0.01 s)."""

    side: str
    start_s: float
    end_s: float
    duration_s: float
    ok: bool  # long enough for the target the tracker had (within its tolerance) and no bouncing
    faults: tuple[str, ...]

    def rounded(self) -> HoldRecord:
        start, end = round_s(self.start_s), round_s(self.end_s)
        duration = round_s(end - start) if math.isfinite(start) and math.isfinite(end) else round_s(self.duration_s)
        return replace(self, start_s=start, end_s=end, duration_s=duration)


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
    # Readings the rules took from the other leg this frame (where the legs overlap MediaPipe may exchange them:
    # see engine.reps._check_values); the overlay writes each joint's label with what the rules judged.
    exchanged: frozenset[str] = frozenset()

    @property
    def cue(self) -> str | None:
        return self.status or (self.cues[0] if self.cues else None)

    @classmethod
    def blank(cls, t: float, view: str, status: str | None) -> TrackerState:
        """Nothing counted (before a tracker runs, or while the camera check holds it back)."""
        return cls(t_s=t, phase="setup", side=None, reps_left=0, reps_right=0, reps_total=0, partial=0,
                   hold_s=None, hold_target_s=None, cues=(), cue_severity="info", status=status, view=view,
                   events=(), joint_status={})


# --- one set ------------------------------------------------------------------------------------------

SetEnd = Literal["finished", "ended early", "camera stopped", "exercise changed", "in progress", "skipped"]
PER_SIDE = ("left", "right")


@dataclass(frozen=True)
class SetTargets:
    """What finishes a set: a routine step's targets, else the exercise's own."""

    reps: int | None = None  # per side for per-side exercises, else in total (kinds reps, reps_hold, circles)
    hold_s: float | None = None  # kind hold: the hold that finishes the set; reps_hold: each rep's top hold


@dataclass(frozen=True)
class SetResult:
    """What one set produced, wherever it came from (a live set, a routine set, a reviewed clip, the history).

    History, routines, the live session and the pages all read this one record; the words and numbers a
    person sees about a set (reps per side, best hold, time in holds, done or short and what was missing)
    are its properties, so no two pages can disagree about the same set.
    """

    exercise_id: str
    exercise_name: str
    kind: str = "reps"  # the exercise's kind: reps | hold | reps_hold | circles ("" when not known)
    per_side: bool = False
    side: str = "both"  # left | right: only that side counted (a routine step's side); both: every side.
    # (Read back from the history: the side that was worked, which may be "mixed".)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float = 0.0
    reps: tuple[RepRecord, ...] = ()
    partials: tuple[RepRecord, ...] = ()
    holds: tuple[HoldRecord, ...] = ()
    faults: tuple[FaultEvent, ...] = ()
    ended: SetEnd = "finished"
    targets: SetTargets | None = None
    number: int = 0  # the n-th set of its live session, or of its routine step
    of: int = 0  # sets in the routine step (0: not a routine set)
    set_id: int | None = None  # once saved in the history
    session_id: int | None = None

    # --- counts -------------------------------------------------------------------------------------

    @property
    def reps_by_side(self) -> dict[str, int]:
        out = {"left": 0, "right": 0, "both": 0}
        for r in self.reps:
            out[r.side] = out.get(r.side, 0) + 1
        return out

    @property
    def reps_left(self) -> int:
        return self.reps_by_side["left"]

    @property
    def reps_right(self) -> int:
        return self.reps_by_side["right"]

    @property
    def reps_total(self) -> int:
        return len(self.reps)

    @property
    def partial(self) -> int:
        return len(self.partials)

    @property
    def counted(self) -> bool:
        """Anything at all was counted (an empty set is not worth saving)."""
        return bool(self.reps or self.partials or self.holds)

    @property
    def worked_side(self) -> str:
        """The side the reps and holds were done on: left, right, mixed (both, one leg at a time) or both."""
        if self.side in PER_SIDE:
            return self.side
        sides = {r.side for r in self.reps} | {h.side for h in self.holds}
        return sides.pop() if len(sides) == 1 else ("mixed" if sides else "both")

    def reps_on(self, side: str) -> int:
        """Reps on one side ("both": all of them)."""
        return len(self._on(self.reps, side))

    # --- holds --------------------------------------------------------------------------------------

    def best_hold_on(self, side: str) -> float:
        return max((h.duration_s for h in self._on(self.holds, side)), default=0.0)

    @property
    def best_hold_s(self) -> float:
        return max((h.duration_s for h in self.holds), default=0.0)

    @property
    def time_in_holds_s(self) -> float:
        return round_s(sum(h.duration_s for h in self.holds))

    @property
    def holds_done(self) -> int:
        """Holds that reached the target with good form (the engine's verdict)."""
        return sum(1 for h in self.holds if h.ok)

    @property
    def mean_rom_deg(self) -> float | None:
        roms = [r.rom_deg for r in self.reps if math.isfinite(r.rom_deg)]
        return round(sum(roms) / len(roms), 1) if roms else None

    # --- the verdict --------------------------------------------------------------------------------

    def _sides(self) -> tuple[str, ...]:
        if self.side in PER_SIDE:
            return (self.side,)
        return PER_SIDE if self.per_side else ("both",)

    def _on(self, items: Iterable[RepRecord | HoldRecord], side: str) -> list:
        return [x for x in items if side == "both" or x.side == side]

    def _shortfalls(self) -> list[str]:
        """What kept each side from its targets, in words; empty when every target is met."""
        t = self.targets
        if t is None:
            return []
        out = []
        label = len(self._sides()) > 1
        for side in self._sides():
            words = self._side_shortfall(side, t)
            out += [f"{side} {w}" if label else w for w in words]
        return out

    def _side_shortfall(self, side: str, t: SetTargets) -> list[str]:
        words = []
        if self.kind == "hold":
            holds = self._on(self.holds, side)
            best = max((h.duration_s for h in holds), default=0.0)
            if t.hold_s and not any(h.ok for h in holds):
                bounced = any("bouncing" in h.faults for h in holds) and best >= t.hold_s
                words.append(f"held {best:.1f} s of {t.hold_s:g} s" + (" (bouncing)" if bounced else ""))
            return words
        reps = self._on(self.reps, side)
        if t.reps and len(reps) < t.reps:
            words.append(f"{len(reps)} of {t.reps} reps")
        short = [r.hold_s for r in reps if "hold_short" in r.faults]
        if self.kind == "reps_hold" and t.hold_s and short:
            words.append(f"hold{'s' * (len(short) > 1)} {'/'.join(f'{h:.1f}' for h in short)} s of {t.hold_s:g} s")
        return words

    @property
    def has_target(self) -> bool:
        t = self.targets
        return t is not None and bool(t.reps if self.kind != "hold" else t.hold_s)

    @property
    def target_met(self) -> bool:
        """Every target of the set reached on every side it was for (reps_hold: each counted rep held its top)."""
        return self.has_target and self.ended != "skipped" and not self._shortfalls()

    @property
    def target_reached(self) -> bool:  # the Live page's word for it
        return self.target_met

    @property
    def complete(self) -> bool:
        """Everything the set asks for was counted, however well: every rep (reps_hold: held or not), or the
        hold. A routine moves on then; `status` says whether it was done or short."""
        t = self.targets
        if not self.has_target or t is None:
            return False
        if self.kind == "hold":
            return self.target_met
        return all(len(self._on(self.reps, s)) >= (t.reps or 0) for s in self._sides())

    @property
    def missing(self) -> str:
        """What was missing, e.g. "holds 0.3/0.4 s of 5 s" or "left 3 of 10 reps"; "" when nothing was."""
        return "; ".join(self._shortfalls())

    @property
    def status(self) -> str:
        """done (targets met) | short | ended early (the routine was ended during it) | skipped."""
        if self.ended == "skipped":
            return "skipped"
        if self.target_met or (not self.has_target and self.counted):
            return "done"
        return "ended early" if self.ended == "ended early" else "short"

    def counts_words(self) -> str:
        """What was counted, in words: "2 reps", "3 left / 2 right reps", "1 hold, best 5.2 s"."""
        if self.kind == "hold" or (not self.reps and self.holds):
            n = len(self.holds)
            return f"{n} hold{'s' * (n != 1)}, best {self.best_hold_s:.1f} s"
        if self.per_side and self.side not in PER_SIDE:
            return f"{self.reps_left} left / {self.reps_right} right reps"
        n = len(self.reps)
        return f"{n} rep{'s' * (n != 1)}"


def exercise_targets(exercise: Exercise) -> SetTargets:
    """An exercise's own targets, as a set's."""
    t = exercise.targets
    reps = None if exercise.kind == "hold" else (t.reps_per_side if exercise.per_side else t.reps_total)
    hold = t.hold_s if exercise.kind in ("hold", "reps_hold") else None
    return SetTargets(reps, hold)


def rounded_records(reps: Sequence[RepRecord], partials: Sequence[RepRecord], holds: Sequence[HoldRecord],
                    faults: Sequence[FaultEvent]) -> tuple[tuple[RepRecord, ...], tuple[RepRecord, ...],
                                                           tuple[HoldRecord, ...], tuple[FaultEvent, ...]]:
    """The records as every sink shows them: times at 0.01 s, and a rep's hold the longest hold recorded within
    it (the same number the hold table shows)."""
    shown_holds = tuple(h.rounded() for h in holds)

    def rep(r: RepRecord) -> RepRecord:
        r = r.rounded()
        inside = [h.duration_s for h in shown_holds if h.side == r.side and r.start_s <= h.start_s <= r.end_s]
        return replace(r, hold_s=max(inside)) if inside else r

    return (tuple(rep(r) for r in reps), tuple(rep(r) for r in partials), shown_holds,
            tuple(f.rounded() for f in faults))


def set_result(exercise: Exercise, tracker: Tracker, *, side: str = "both", ended: SetEnd = "finished",
               duration_s: float = 0.0, started_at: datetime | None = None, ended_at: datetime | None = None,
               targets: SetTargets | None = None, number: int = 0, of: int = 0,
               now_s: float | None = None) -> SetResult:
    """What a tracker has recorded so far, as a set. `now_s` (a set still going) adds the hold in progress."""
    holds = list(tracker.holds)
    live = tracker.current_hold() if now_s is not None else None
    if live is not None and now_s is not None:
        t = (targets or exercise_targets(exercise)).hold_s or 0.0
        holds.append(HoldRecord(live[0], now_s - live[1], now_s, live[1], live[1] >= t, ()))
    reps, partials, shown_holds, faults = rounded_records(tracker.reps, tracker.partials, holds, tracker.faults)
    return SetResult(exercise.id, exercise.name, exercise.kind, exercise.per_side,
                     side if side in PER_SIDE else "both", started_at, ended_at, round_s(duration_s), reps, partials,
                     shown_holds, faults, ended, targets if targets is not None else exercise_targets(exercise),
                     number, of)
