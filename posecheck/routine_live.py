"""Live routines without Streamlit: a LiveSession that follows a routine's plan and a controller that leads.

`RecordingSession` is a `LiveSession` that measures progress toward a routine's `SetPlan` on the pose
thread (the set so far as a `SetResult`), so the page only reads a published reference, and files each
set with the plan's side, targets and number.

`RoutineController` is the pure "set complete -> file it -> rest -> next" logic: the page calls `tick(now)`
from its refresh fragment, tests call it after feeding frames; neither needs a browser. Every set it meets
goes into the runner's results as it went: done (targets met), short (what was missing), ended early, or
skipped; `filed` are the ones to save.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from posecheck.engine import SideChoice
from posecheck.exercises import Exercise
from posecheck.live import LiveSession
from posecheck.records import SetEnd, SetResult
from posecheck.routines import RoutineRunner, SetPlan, plan_result, plan_targets


@dataclass(frozen=True)
class Progress:
    """The set so far against its plan (published whole by the camera thread)."""

    result: SetResult | None = None

    @property
    def reps(self) -> int:
        return self.result.reps_on(self.result.side) if self.result is not None else 0

    @property
    def hold_s(self) -> float:
        return self.result.best_hold_on(self.result.side) if self.result is not None else 0.0

    @property
    def done(self) -> bool:
        """Everything the set asks for is counted: the routine files it (done or short) and moves on."""
        return self.result is not None and self.result.complete


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
    """A LiveSession that, when given a plan, measures and files its sets as the plan's (see module doc)."""

    def __init__(self, exercise: Exercise, side: SideChoice = "auto", **kwargs: object) -> None:
        self._plan: SetPlan | None = None
        self._progress = Progress()
        super().__init__(exercise, side, **kwargs)  # type: ignore[arg-type]

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

    def _after_frame(self) -> None:
        """On the pose thread, under the session lock, after each frame: the set so far against its plan."""
        if self._plan is not None:
            self._progress = Progress(self._summary("in progress"))

    def _summary(self, ended: SetEnd) -> SetResult | None:
        """The set as the plan's: its side, targets and number (a plain live set otherwise)."""
        res = super()._summary(ended)
        plan = self._plan
        if res is None or plan is None:
            return res
        return replace(res, side=plan.side, targets=plan_targets(plan), number=plan.set_no, of=plan.sets)


# --- the controller ---------------------------------------------------------------------------------


@dataclass
class RoutineController:
    """Leads a RecordingSession through a RoutineRunner: set complete -> file -> rest -> next set -> summary."""

    runner: RoutineRunner
    session: RecordingSession
    filed: list[SetResult] = field(default_factory=list)  # sets with something counted, to save
    message: str = ""  # what comes next ("Switch sides ...", "Next: ..."), said during the rest after a set

    def __post_init__(self) -> None:
        if self.session.plan is not self.runner.current:
            self.session.start_plan(self.runner.current)

    @property
    def finished(self) -> bool:
        return self.runner.finished

    def tick(self, now_s: float) -> SetResult | None:
        """Call often. Files the set once all it asks for is counted; starts the next one when the rest ends."""
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
        if not self.session.progress().done:
            return None
        return self.finish_set(now_s)

    def finish_set(self, now_s: float) -> SetResult | None:
        """File the set in progress as it is (done if its targets were met, else short) and rest before the next."""
        run = self.runner
        plan = run.current
        if plan is None or run.resting_until is not None:
            return None
        self.message = run.transition_message()  # before complete(): it looks at current and next
        result = self._take(plan, "finished")
        run.complete(result, now_s)
        # During the rest nothing is tracked against a plan; the next plan starts when the rest ends.
        self.session.start_plan(None)
        if not run.finished and run.resting_until is None:
            self._next()  # no rest planned: straight on
        return result

    def _take(self, plan: SetPlan, ended: SetEnd) -> SetResult:
        """The session's set in progress, filed; an empty one for the plan if nothing was counted."""
        result = self.session.finish_set(ended) if self.session.plan is plan else None
        if result is None:
            result = plan_result(plan, ended=ended)
        else:
            self.filed.append(result)
        return result

    def _next(self) -> None:
        self.message = ""  # the rest's words ("Rest, then set 2 of 2") end with it
        self.session.start_plan(self.runner.current)

    def end_rest(self) -> None:
        self.runner.end_rest()
        self._next()

    def skip(self, now_s: float) -> None:
        """Skip the current set, or during a rest the one coming up (nothing is filed); no rest follows."""
        cur = self.runner.current
        self.runner.skip(now_s)
        self.session.start_plan(self.runner.current)
        self.message = f"Skipped: {cur.title}" if cur else ""

    def repeat(self) -> None:
        """Do the last finished set again, now."""
        if not self.runner.done_plans:
            return
        self.runner.repeat()
        self.session.start_plan(self.runner.current)
        self.message = f"Again: {self.runner.current.title}" if self.runner.current else ""

    def end_now(self) -> None:
        """Stop the routine here: a set in progress is kept as "ended early" with what it counted; the sets not
        started are dropped; everything met so far stays for the summary."""
        run = self.runner
        plan = run.current
        in_progress = self._take(plan, "ended early") if plan is not None and run.resting_until is None else None
        run.end(in_progress)
        self.message = ""
        self.session.start_plan(None)


def closing_words(results: list[SetResult]) -> str:
    """The summary's last words, fitting what happened (no "Well done" when nothing was)."""
    done = sum(r.status == "done" for r in results)
    care = "Stretch gently if anything feels tight, and stop if you feel sharp pain."
    if done and done == len(results):
        return f"Well done: every set met its target. {care}"
    if done:
        return f"Good work: {done} of {len(results)} sets met their targets. {care}"
    if any(r.counted for r in results):
        return ("No set reached its target this time: build up gradually, the table says what was missing. "
                f"{care}")
    return "Nothing was counted this time. Come back when you are ready: a short session counts too."
