"""Routines as data (`exercises/routines/*.toml`) and a pure runner that leads through them.

The runner knows sets, sides, rests, skips and repeats; it is fed what the exercise tracker counted
and the time, so the Routine page and its tests drive it the same way.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posecheck.engine import Tracker
from posecheck.exercises import EXERCISES_DIR, DefinitionError, Exercise

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


@dataclass(frozen=True)
class SetResult:
    plan: SetPlan
    reps: int
    partial_reps: int
    hold_s: float
    skipped: bool = False


def load_routine(path: str | Path, catalog: Mapping[str, Exercise]) -> Routine:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"{path.name}: not valid TOML ({exc})") from None
    return parse_routine(raw, path.name, catalog)


def parse_routine(raw: Mapping[str, Any], fname: str, catalog: Mapping[str, Exercise]) -> Routine:
    def need(key: str, kind: type, where: str = "", src: Mapping[str, Any] = raw) -> Any:
        if key not in src:
            raise DefinitionError(f"{fname}: field '{where}{key}' is missing")
        v = src[key]
        if not isinstance(v, kind) or isinstance(v, bool) and kind is not bool:
            raise DefinitionError(f"{fname}: field '{where}{key}' must be {kind.__name__}")
        return v

    steps = []
    for i, st in enumerate(need("steps", list)):
        w = f"steps[{i}]."
        if not isinstance(st, Mapping):
            raise DefinitionError(f"{fname}: field 'steps[{i}]' must be a table")
        ex_id = need("exercise", str, w, st)
        if ex_id not in catalog:
            raise DefinitionError(f"{fname}: field '{w}exercise' names unknown exercise {ex_id!r}")
        ex = catalog[ex_id]
        sides = tuple(st.get("sides", ["left", "right"] if ex.sides == "per_side" else ["both"]))
        if not sides or any(s not in ("left", "right", "both") for s in sides):
            raise DefinitionError(f"{fname}: field '{w}sides' must list left/right/both")
        sets = st.get("sets", 1)
        if not isinstance(sets, int) or sets < 1:
            raise DefinitionError(f"{fname}: field '{w}sets' must be a whole number >= 1")
        reps = st.get("reps", ex.targets.reps_per_side if ex.per_side else ex.targets.reps_total)
        hold = st.get("hold_s", ex.targets.hold_s)
        if ex.kind in ("reps", "reps_hold", "circles") and not reps:
            raise DefinitionError(f"{fname}: field '{w}reps' is required for {ex_id}")
        if ex.kind == "hold" and not hold:
            raise DefinitionError(f"{fname}: field '{w}hold_s' is required for {ex_id}")
        steps.append(Step(ex_id, sets, sides, reps, float(hold) if hold else None,
                          float(st.get("rest_s", 20.0)), str(st.get("note", "")), bool(st.get("optional", False))))
    spw = raw.get("sessions_per_week", [3, 5])
    return Routine(need("id", str), need("name", str), tuple(steps), str(raw.get("description", "")),
                   str(raw.get("warmup", "")), tuple(raw.get("safety", ())), (int(spw[0]), int(spw[1])), fname)


def load_routines(catalog: Mapping[str, Exercise], folder: str | Path = ROUTINES_DIR
                  ) -> tuple[dict[str, Routine], list[str]]:
    found: dict[str, Routine] = {}
    errors: list[str] = []
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            r = load_routine(path, catalog)
        except DefinitionError as exc:
            errors.append(str(exc))
            continue
        except (TypeError, ValueError, KeyError, IndexError) as exc:  # a wrong type the field checks missed
            errors.append(f"{path.name}: malformed ({type(exc).__name__}: {exc})")
            continue
        found[r.id] = r
    return found, errors


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


def set_progress(plan: SetPlan, tracker: Tracker) -> tuple[int, float, bool]:
    """(reps done on the plan's side, best hold on that side, is the set done?) from a tracker."""
    side_ok = (lambda s: True) if plan.side == "both" else (lambda s: s == plan.side)
    reps = sum(1 for r in tracker.reps if side_ok(r.side))
    holds = [h.duration_s for h in tracker.holds if side_ok(h.side)]
    live = tracker.current_hold()
    if live is not None and side_ok(live[0]):
        holds.append(live[1])
    best = max(holds, default=0.0)
    kind = plan.exercise.kind
    if kind == "hold":
        done = plan.hold_s is not None and best >= plan.hold_s
    else:
        done = plan.reps is not None and reps >= plan.reps
    return reps, best, done


@dataclass
class RoutineRunner:
    """Where a person is in a routine: the current set, or a rest before the next one."""

    plans: list[SetPlan]
    index: int = 0
    resting_until: float | None = None
    results: list[SetResult] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.index >= len(self.plans)

    @property
    def current(self) -> SetPlan | None:
        return None if self.finished else self.plans[self.index]

    @property
    def next_plan(self) -> SetPlan | None:
        return self.plans[self.index + 1] if self.index + 1 < len(self.plans) else None

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

    def complete(self, reps: int, partial_reps: int, hold_s: float, now_s: float) -> None:
        plan = self.current
        if plan is None:
            return
        self.results.append(SetResult(plan, reps, partial_reps, hold_s))
        self.index += 1
        self.resting_until = now_s + plan.rest_s if not self.finished else None

    def skip(self, now_s: float) -> None:
        plan = self.current
        if plan is None:
            return
        self.results.append(SetResult(plan, 0, 0, 0.0, skipped=True))
        self.index += 1
        self.resting_until = None

    def repeat(self) -> None:
        """Do the last finished set again (it is re-inserted after the current position)."""
        if not self.results:
            return
        last = self.results[-1].plan
        self.plans.insert(self.index, last)
        self.resting_until = None

    def end_rest(self) -> None:
        self.resting_until = None

    def summary(self) -> list[SetResult]:
        return list(self.results)
