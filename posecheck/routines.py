"""Routines as data (`exercises/routines/*.toml`) and a pure runner that leads through them.

Routine files are read by the same strict reader as exercises (rulefiles.py): every key is declared once
in `ROUTINE_TABLES`, unknown keys and wrong types are refused with the file and the field named.

The runner knows sets, sides, rests, skips and repeats; it is fed what the exercise tracker counted
and the time, so the Routine page and its tests drive it the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posecheck.engine import Tracker
from posecheck.exercises import EXERCISES_DIR, DefinitionError, Exercise
from posecheck.records import SetEnd, SetResult, SetTargets, set_result
from posecheck.rulefiles import SNAKE, Key, Section, Table, load_folder, read_toml, template

ROUTINES_DIR = EXERCISES_DIR / "routines"


@dataclass(frozen=True)
class Step:
    exercise_id: str
    sets: int = 1
    sides: tuple[str, ...] = ("both",)  # one set per side listed, each set
    reps: int | None = None  # per side for per-side exercises, else in total
    hold_s: float | None = None
    rest_s: float = 20.0
    note: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    steps: tuple[Step, ...]
    description: str = ""
    warmup: str = ""
    safety: tuple[str, ...] = ()
    sessions_per_week: tuple[int, int] = (3, 5)
    source: str = ""


@dataclass(frozen=True)
class SetPlan:
    """One set to do: which exercise, which side, and what finishes it."""

    step: int
    exercise: Exercise
    side: str  # "left" | "right" | "both"
    set_no: int
    sets: int
    reps: int | None
    hold_s: float | None
    rest_s: float
    note: str
    optional: bool

    @property
    def title(self) -> str:
        side = "" if self.side == "both" else f", {self.side} side"
        return f"{self.exercise.name}{side} (set {self.set_no} of {self.sets})"


# --- the keys of a routine file (one declaration: validation, docs and the template) ------------------

ROUTINE_TOP = Table("", "", (
    Key("id", "string", "Unique id, lower_snake_case", pattern=SNAKE, example="my_routine"),
    Key("name", "string", "Name shown in the app", example="My routine"),
    Key("description", "string", "What the routine is for; shown in the app as plain text", default=None,
        example="Stretches first, then strength."),
    Key("warmup", "string", "What to do before the first set (plain text)", default=None,
        example="Warm up for 5 minutes first: walk or march on the spot."),
    Key("safety", "strings", "Safety notes shown before the start (plain text)", default=(),
        example=["Never bounce in a stretch", "Stop at once if you feel sharp pain"]),
    Key("sessions_per_week", "range", "The weekly goal, [fewest, most] sessions", default=(3, 5), min=1, max=21),
    Key("steps", "tables", "The exercises in order"),
))

STEPS = Table("steps", "[[steps]]: one exercise of the routine each, in order. Reps and hold_s default to the "
              "exercise's own targets.", (
    Key("exercise", "string", "The exercise id (see: posecheck exercises)", example="squat"),
    Key("sets", "integer", "How many sets", default=1, min=1, max=50),
    Key("sides", "choices", "One set per side listed, each set: left and/or right for per-side exercises, "
        "both for the others. Default: [\"left\", \"right\"] for sides = \"per_side\" exercises, else "
        "[\"both\"]", choices=("left", "right", "both"), default=None, example=["both"]),
    Key("reps", "integer", "Reps that finish a set (per side for per-side exercises, else in total); kinds reps, "
        "reps_hold and circles", default=None, min=1, max=1000, example=10),
    Key("hold_s", "number", "Seconds of hold that finish a set (kind hold) or are held at each rep's top "
        "(kind reps_hold)", default=None, above=0, max=3600, example=5),
    Key("rest_s", "number", "Seconds of rest after each set", default=20.0, min=0, max=3600),
    Key("note", "string", "A note shown with the set (plain text)", default=None, example="Go slowly."),
    Key("optional", "boolean", "Left out unless the person asks for the optional moves", default=False),
), array=True)

ROUTINE_TABLES = (ROUTINE_TOP, STEPS)

ROUTINE_TEMPLATE_HEADER = """posecheck routine definition: every key, what it means, its type and its default.
Save it as <id>.toml in the routines/ folder next to the exercise definitions (or in
$POSECHECK_EXERCISES_DIR/routines). Every exercise it names must load. Keys marked optional may be left out."""


def routine_template() -> str:
    """A commented, loadable routine file listing every key (`posecheck exercises --template routine`)."""
    return template([(ROUTINE_TOP, True), (STEPS, True)], ROUTINE_TEMPLATE_HEADER, commented={"steps.hold_s"})


# --- reading a routine file -----------------------------------------------------------------------------


def load_routine(path: str | Path, catalog: Mapping[str, Exercise]) -> Routine:
    path = Path(path)
    return parse_routine(read_toml(path), path.name, catalog)


def parse_routine(raw: Mapping[str, Any], fname: str, catalog: Mapping[str, Exercise]) -> Routine:
    r = Section(raw, ROUTINE_TOP, fname, schema=ROUTINE_TABLES)
    rid, name = r.get("id"), r.get("name")
    if "steps" not in r:
        raise DefinitionError(f"{r.where('steps')} is missing: a routine needs at least one [[steps]] table")
    steps = tuple(_parse_step(st, catalog) for st in r.sections("steps", STEPS))
    if not steps:
        raise DefinitionError(f"{r.where('steps')} is empty: a routine needs at least one [[steps]] table")
    return Routine(rid, name, steps, r.get("description") or "", r.get("warmup") or "", r.get("safety"),
                   r.get("sessions_per_week"), fname)


def _parse_step(st: Section, catalog: Mapping[str, Exercise]) -> Step:
    ex_id = st.get("exercise")
    if ex_id not in catalog:
        raise DefinitionError(f"{st.where('exercise')} names unknown exercise {ex_id!r}"
                              f"{_suggest(ex_id, catalog)}")
    ex = catalog[ex_id]
    sides = st.get("sides") or (("left", "right") if ex.sides == "per_side" else ("both",))
    if ex.sides == "both" and sides != ("both",):
        raise DefinitionError(f"{st.where('sides')}: {ex_id} works both sides together, so its sets have no "
                              f"left or right side (it would never finish); use [\"both\"]")
    reps, hold = st.get("reps"), st.get("hold_s")
    if ex.kind == "hold" and reps is not None:
        raise DefinitionError(f"{st.where('reps')}: {ex_id} is a hold; its sets are finished by hold_s")
    if ex.kind in ("reps", "circles") and hold is not None:
        raise DefinitionError(f"{st.where('hold_s')}: {ex_id} ({ex.kind}) times no holds")
    if reps is None:
        reps = ex.targets.reps_per_side if ex.per_side else ex.targets.reps_total
    if hold is None:
        hold = ex.targets.hold_s
    if ex.kind in ("reps", "reps_hold", "circles") and not reps:
        raise DefinitionError(f"{st.where('reps')} is required for {ex_id} (its definition has no default)")
    if ex.kind == "hold" and not hold:
        raise DefinitionError(f"{st.where('hold_s')} is required for {ex_id} (its definition has no default)")
    return Step(ex_id, st.get("sets"), sides, reps, hold, st.get("rest_s"), st.get("note") or "",
                st.get("optional"))


def _suggest(ex_id: str, catalog: Mapping[str, Exercise]) -> str:
    close = difflib.get_close_matches(ex_id, list(catalog), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def load_routines(catalog: Mapping[str, Exercise], folder: str | Path = ROUTINES_DIR
                  ) -> tuple[dict[str, Routine], list[str]]:
    """Every routine in a folder (only those whose exercises load); a bad file is one error line."""
    loaded = load_folder(Path(folder), lambda raw, fname: parse_routine(raw, fname, catalog), "routine")
    return loaded.items, loaded.errors


def expand(routine: Routine, catalog: Mapping[str, Exercise], include_optional: bool = False) -> list[SetPlan]:
    plans = []
    for i, st in enumerate(routine.steps):
        if st.optional and not include_optional:
            continue
        for n in range(1, st.sets + 1):
            for side in st.sides:
                plans.append(SetPlan(i, catalog[st.exercise_id], side, n, st.sets, st.reps, st.hold_s, st.rest_s,
                                     st.note, st.optional))
    return plans


def plan_targets(plan: SetPlan) -> SetTargets:
    """A plan's targets as a set's: its reps (per side, or in total) and its hold."""
    kind = plan.exercise.kind
    return SetTargets(None if kind == "hold" else plan.reps, plan.hold_s if kind in ("hold", "reps_hold") else None)


def plan_result(plan: SetPlan, tracker: Tracker | None = None, ended: SetEnd = "in progress",
                now_s: float | None = None) -> SetResult:
    """What a tracker counted toward a plan, as the plan's set (nothing counted without a tracker)."""
    ex = plan.exercise
    if tracker is None:
        return SetResult(ex.id, ex.name, ex.kind, ex.per_side, plan.side, ended=ended, targets=plan_targets(plan),
                         number=plan.set_no, of=plan.sets)
    return set_result(ex, tracker, side=plan.side, ended=ended, targets=plan_targets(plan), number=plan.set_no,
                      of=plan.sets, now_s=now_s)


def set_progress(plan: SetPlan, tracker: Tracker, now_s: float = 0.0) -> tuple[int, float, bool]:
    """(reps done on the plan's side, best hold on that side (the hold going on included), has everything the
    set asks for been counted?) from a tracker."""
    res = plan_result(plan, tracker, now_s=now_s)
    return res.reps_on(plan.side), res.best_hold_on(plan.side), res.complete


@dataclass
class RoutineRunner:
    """Where a person is in a routine: the current set, or a rest before the next one. `results` holds every
    set met so far, as it went (done, short, ended early or skipped), in order."""

    plans: list[SetPlan]
    index: int = 0
    resting_until: float | None = None
    results: list[SetResult] = field(default_factory=list)
    done_plans: list[SetPlan] = field(default_factory=list)  # the plan of each result

    @property
    def finished(self) -> bool:
        return self.index >= len(self.plans)

    @property
    def current(self) -> SetPlan | None:
        return None if self.finished else self.plans[self.index]

    @property
    def next_plan(self) -> SetPlan | None:
        return self.plans[self.index + 1] if self.index + 1 < len(self.plans) else None

    @property
    def last(self) -> SetResult | None:
        """The set just finished (or skipped)."""
        return self.results[-1] if self.results else None

    def resting(self, now_s: float) -> bool:
        return self.resting_until is not None and now_s < self.resting_until

    def rest_left(self, now_s: float) -> float:
        return max(0.0, (self.resting_until or now_s) - now_s)

    def transition_message(self) -> str:
        """What to say when a set ends: switch sides, next set, or the next exercise."""
        cur, nxt = self.current, self.next_plan
        if cur is None or nxt is None:
            return "Routine complete"
        if nxt.exercise.id == cur.exercise.id and nxt.side != cur.side and nxt.side != "both":
            return f"Switch sides: {nxt.side} side next"
        if nxt.exercise.id == cur.exercise.id:
            return f"Rest, then set {nxt.set_no} of {nxt.sets}"
        return f"Next: {nxt.exercise.name}"

    def _record(self, result: SetResult) -> SetPlan | None:
        plan = self.current
        if plan is not None:
            self.results.append(result)
            self.done_plans.append(plan)
            self.index += 1
        return plan

    def complete(self, result: SetResult, now_s: float) -> None:
        """The current set is over (done or short, as `result` says): rest, unless the routine is finished."""
        plan = self._record(result)
        if plan is not None:
            self.resting_until = now_s + plan.rest_s if not self.finished else None

    def skip(self, _now_s: float) -> None:
        plan = self.current
        if plan is None:
            return
        self._record(plan_result(plan, ended="skipped"))
        self.resting_until = None

    def end(self, in_progress: SetResult | None = None) -> None:
        """Stop here: the set in progress (if given) is kept as ended early, the sets not started are dropped."""
        if in_progress is not None and self.current is not None and self.resting_until is None:
            self._record(in_progress)
        del self.plans[self.index:]
        self.resting_until = None

    def repeat(self) -> None:
        """Do the last finished set again (it is re-inserted after the current position)."""
        if not self.done_plans:
            return
        self.plans.insert(self.index, self.done_plans[-1])
        self.resting_until = None

    def end_rest(self) -> None:
        self.resting_until = None

    def summary(self) -> list[SetResult]:
        return list(self.results)
