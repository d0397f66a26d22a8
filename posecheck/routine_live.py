"""Live routines without Streamlit: a LiveSession that keeps each set's records and a controller that leads.

`RecordingSession` is a `LiveSession` that (a) keeps the reps (with range of motion), holds and faults of
every set it files, so history gets more than the counts in a `SetSummary`, and (b) measures progress
toward a routine's `SetPlan` on the camera thread, so the page only reads a published tuple.

`RoutineController` is the pure "set done -> file it -> rest -> next" logic: the page calls `tick(now)`
from its refresh fragment, tests call it after feeding frames; neither needs a browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from posecheck.engine import SideChoice
from posecheck.exercises import Exercise
from posecheck.live import LiveSession, SetSummary
from posecheck.records import FaultEvent, HoldRecord, RepRecord
from posecheck.routines import RoutineRunner, SetPlan, set_progress


@dataclass(frozen=True)
class SetDetail:
    """Everything the tracker recorded in one filed set."""

    reps: tuple[RepRecord, ...]
    partials: tuple[RepRecord, ...]
    holds: tuple[HoldRecord, ...]
    faults: tuple[FaultEvent, ...]


@dataclass(frozen=True)
class Progress:
    reps: int = 0
    hold_s: float = 0.0
    done: bool = False


def plan_side(plan: SetPlan) -> SideChoice:
    """The tracker side for a plan: a named side counts only that leg; "both" lets the tracker decide."""
    return plan.side if plan.side in ("left", "right") else "auto"  # type: ignore[return-value]


def plan_exercise(plan: SetPlan) -> Exercise:
    """The exercise with the plan's targets, so the tracker's hold timer and the video's counter use them."""
    ex = plan.exercise
    t = ex.targets
    if ex.per_side and plan.reps is not None:
        targets = replace(t, reps_per_side=plan.reps, reps_total=None, hold_s=plan.hold_s or t.hold_s, sets=plan.sets)
    else:
        targets = replace(t, reps_total=plan.reps if plan.reps is not None else t.reps_total,
                          hold_s=plan.hold_s or t.hold_s, sets=plan.sets)
    return replace(ex, targets=targets)


class RecordingSession(LiveSession):
    """A LiveSession that keeps per-set records and, when given a plan, its progress (see module doc)."""

    def __init__(self, exercise: Exercise, side: SideChoice = "auto", **kwargs: object) -> None:
        self._details: list[tuple[SetSummary, SetDetail]] = []
        self._plan: SetPlan | None = None
        self._progress = Progress()
        super().__init__(exercise, side, **kwargs)  # type: ignore[arg-type]

    # --- per-set records ------------------------------------------------------------------------

    def detail(self, summary: SetSummary) -> SetDetail | None:
        """The records behind a filed summary (matched by identity: numbers restart after a reset)."""
        with self._lock:
            return next((d for s, d in self._details if s is summary), None)

    def _file_set(self, ended: str) -> SetSummary | None:
        tracker = self._tracker  # the parent replaces it; its lists stay ours
        done = super()._file_set(ended)
        if done is not None:
            self._details.append((done, SetDetail(tuple(tracker.reps), tuple(tracker.partials),
                                                  tuple(tracker.holds), tuple(tracker.faults))))
        return done

    def reset(self) -> None:
        with self._lock:
            super().reset()
            self._details.clear()

    # --- routine plans --------------------------------------------------------------------------

    @property
    def plan(self) -> SetPlan | None:
        return self._plan

    def start_plan(self, plan: SetPlan | None) -> None:
        """Track `plan` from now on with a fresh set: what was counted during a rest is dropped, not filed."""
        with self._lock:
            self._plan = plan
            if plan is not None:
                side, ex = plan_side(plan), plan_exercise(plan)
                if ex != self._ex or side != self._side:
                    self._set_exercise(ex, side)  # also starts a new set and re-checks the camera
                else:
                    self._new_set()
            self._progress = Progress()
            self._publish(self._state, self._check)

    def progress(self) -> Progress:
        return self._progress  # one reference, replaced whole: safe to read from any thread

    def process(self, rgb: np.ndarray, t_s: float) -> np.ndarray:
        with self._lock:  # reentrant: the parent takes it again
            out = super().process(rgb, t_s)
            if self._plan is not None:
                self._progress = Progress(*set_progress(self._plan, self._tracker))
            return out


# --- the controller ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    """One set the controller finished: the plan, what the session filed (None if nothing was counted)."""

    plan: SetPlan
    summary: SetSummary | None
    detail: SetDetail | None
    message: str  # what comes next, e.g. "Switch sides: right side next"


@dataclass
class RoutineController:
    """Leads a RecordingSession through a RoutineRunner: set done -> file -> rest -> next set -> summary."""

    runner: RoutineRunner
    session: RecordingSession
    filed: list[Filed] = field(default_factory=list)
    message: str = ""  # the last transition message ("Switch sides ...", "Next: ...")

    def __post_init__(self) -> None:
        if self.session.plan is not self.runner.current:
            self.session.start_plan(self.runner.current)

    @property
    def finished(self) -> bool:
        return self.runner.finished

    def tick(self, now_s: float) -> Filed | None:
        """Call often. Files the set when its target is reached and starts the next one when the rest ends."""
        run = self.runner
        if run.finished:
            return None
        if run.resting_until is not None:
            if run.resting(now_s):
                return None
            self.end_rest()
            return None
        if self.session.plan is not run.current:
            self.session.start_plan(run.current)
            return None
        prog = self.session.progress()
        if not prog.done:
            return None
        return self._file(prog, now_s)

    def _file(self, prog: Progress, now_s: float) -> Filed:
        run = self.runner
        plan = run.current
        assert plan is not None
        self.message = run.transition_message()  # before complete(): it looks at current and next
        summary = self.session.finish_set()
        detail = self.session.detail(summary) if summary is not None else None
        run.complete(prog.reps, summary.partial if summary else 0, prog.hold_s, now_s)
        # During the rest nothing is tracked against a plan; the next plan starts when the rest ends.
        self.session.start_plan(None)
        if not run.finished and run.resting_until is None:
            self.session.start_plan(run.current)  # no rest planned: straight on
        done = Filed(plan, summary, detail, self.message)
        self.filed.append(done)
        return done

    def end_rest(self) -> None:
        self.runner.end_rest()
        self.session.start_plan(self.runner.current)

    def skip(self, now_s: float) -> None:
        """Skip the current set, or during a rest the one coming up (nothing is filed); no rest follows."""
        cur = self.runner.current
        self.message = f"Skipped: {cur.title}" if cur else ""
        self.runner.skip(now_s)
        self.session.start_plan(self.runner.current)

    def repeat(self) -> None:
        """Do the last finished set again, now."""
        if not self.runner.results:
            return
        self.runner.repeat()
        self.message = f"Again: {self.runner.current.title}" if self.runner.current else ""
        self.session.start_plan(self.runner.current)

    def end_now(self) -> None:
        """Stop the routine here: the sets not started are dropped, what was done stays for the summary."""
        del self.runner.plans[self.runner.index:]
        self.runner.resting_until = None
        self.session.start_plan(None)
