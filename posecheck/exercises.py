"""Exercise definitions as data: load and validate `exercises/*.toml` into frozen dataclasses.

A user adds an exercise by writing one TOML file. Every key is declared once below (`EXERCISE_TABLES`:
name, type, default, meaning with its unit); that declaration validates files, refusing unknown keys
with a "did you mean", and prints the commented template (`posecheck exercises --template`). Every
error names the file and the field, and one bad file never stops the others from loading (`load_all`
returns the good ones and the errors).

Signals in conditions are the kinematics names (`left_knee`, `trunk_incline`, ...) with two
placeholders: `{side}` is the working side and `{other}` the opposite one; a bare per-side name
(`knee`, `hip`, `thigh_incline`) means the mean of both sides. The condition language is small:
    "{side}_knee >= 150"          comparison with <, <=, >, >=
    "{side}_hip in [70, 110]"     inclusive range
    "{side}_thigh_incline - {other}_thigh_incline >= -10"   a difference of two signals

The shipped definitions live in the top-level `exercises/` folder of a source checkout; a wheel carries
them as `posecheck/definitions/` (setup.py maps the one onto the other). POSECHECK_EXERCISES_DIR
(settings.py) points the app and the CLI at another folder.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from posecheck import settings
from posecheck.errors import PosecheckError
from posecheck.kinematics import SIGNALS
from posecheck.rulefiles import (
    SNAKE,
    DefinitionError,
    Key,
    Section,
    Table,
    folder_problem,
    load_folder,
    read_toml,
    template,
)

__all__ = [
    "DEFINITIONS_DIR", "EXERCISES_DIR", "PER_SIDE_BASES", "Catalog", "Check", "CircleSpec", "Condition",
    "DefinitionError", "Exercise", "Expr", "HoldSpec", "Motion", "Targets", "exercises_dir", "get_exercise",
    "load_all", "load_exercise", "parse_condition", "parse_exercise",
]

Kind = Literal["reps", "hold", "reps_hold", "circles"]
Sides = Literal["per_side", "alternating", "both"]
Phase = Literal["any", "rest", "moving", "target", "hold"]
Severity = Literal["info", "warning", "error"]

KINDS = ("reps", "hold", "reps_hold", "circles")
SIDES = ("per_side", "alternating", "both")
VIEWS = ("side", "front", "oblique")
PHASES = ("any", "rest", "moving", "target", "hold")
SEVERITIES = ("info", "warning", "error")
POSTURES = ("lying", "upright", "any")
PER_SIDE_BASES = tuple(sorted({s.split("_", 1)[1] for s in SIGNALS if s.startswith(("left_", "right_"))}))
GLOBAL_SIGNALS = tuple(s for s in SIGNALS if not s.startswith(("left_", "right_")))


def _shipped_dir() -> Path:
    """posecheck/definitions/ in an installed wheel, else the checkout's (or editable install's) exercises/."""
    here = Path(__file__).resolve().parent
    installed = here / "definitions"
    return installed if installed.is_dir() else here.parent / "exercises"


DEFINITIONS_DIR = _shipped_dir()
EXERCISES_DIR = DEFINITIONS_DIR  # the name other modules import


def exercises_dir() -> Path:
    """The folder the app and the CLI read: POSECHECK_EXERCISES_DIR, else the shipped definitions."""
    return settings.current().exercises_dir or DEFINITIONS_DIR


# --- the condition language -------------------------------------------------------------------

_NAME = r"(?:\{side\}_|\{other\}_|left_|right_)?[a-z_]+"
_TERM = re.compile(rf"^\s*({_NAME})\s*(?:([-+])\s*({_NAME}))?\s*")
_CMP = re.compile(r"^(<=|>=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$")
_RANGE = re.compile(r"^in\s*\[\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\]\s*$")


@dataclass(frozen=True)
class Expr:
    """A signal, or the sum/difference of two; names may hold {side}/{other}."""

    terms: tuple[tuple[int, str], ...]  # (sign, name template)

    def names(self, side: str) -> list[str]:
        return [resolve_name(n, side) for _, n in self.terms]

    def evaluate(self, values: Mapping[str, float], side: str) -> float:
        total = 0.0
        for sign, name in self.terms:
            v = values.get(resolve_name(name, side), math.nan)
            total += sign * v
        return total

    def __str__(self) -> str:
        out = self.terms[0][1]
        for sign, name in self.terms[1:]:
            out += f" {'+' if sign > 0 else '-'} {name}"
        return out


@dataclass(frozen=True)
class Condition:
    text: str
    expr: Expr
    lo: float = -math.inf
    hi: float = math.inf
    lo_inclusive: bool = True
    hi_inclusive: bool = True

    def evaluate(self, values: Mapping[str, float], side: str) -> bool | None:
        """True/False, or None when a signal it needs is missing (unknown is not a fault)."""
        v = self.expr.evaluate(values, side)
        if not math.isfinite(v):
            return None
        above = v >= self.lo if self.lo_inclusive else v > self.lo
        below = v <= self.hi if self.hi_inclusive else v < self.hi
        return bool(above and below)  # a plain bool: callers test `is False` (a numpy value would slip past)


def resolve_name(template: str, side: str) -> str:
    other = {"left": "right", "right": "left"}.get(side, side)
    return template.replace("{side}", side).replace("{other}", other)


def parse_expr(text: str, where: str) -> tuple[Expr, str]:
    """Parse the signal part of a condition; returns it and the unparsed rest."""
    m = _TERM.match(text)
    if not m:
        raise DefinitionError(f"{where}: cannot read a signal name in {text!r}")
    terms = [(1, m.group(1))]
    if m.group(2):
        terms.append((1 if m.group(2) == "+" else -1, m.group(3)))
    for _, name in terms:
        _check_signal_name(name, where)
    return Expr(tuple(terms)), text[m.end():]


def parse_condition(text: str, where: str) -> Condition:
    if not isinstance(text, str):
        raise DefinitionError(f"{where}: a condition must be a string like \"{{side}}_knee >= 150\"")
    expr, rest = parse_expr(text, where)
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", rest)]
    if not all(math.isfinite(x) for x in numbers):
        raise DefinitionError(f"{where}: a number in {text!r} is too large")
    if m := _CMP.match(rest):
        op, value = m.group(1), float(m.group(2))
        if op.startswith(">"):
            return Condition(text, expr, lo=value, lo_inclusive=op == ">=")
        return Condition(text, expr, hi=value, hi_inclusive=op == "<=")
    if m := _RANGE.match(rest):
        lo, hi = float(m.group(1)), float(m.group(2))
        if lo > hi:
            raise DefinitionError(f"{where}: range [{lo:g}, {hi:g}] is inverted in {text!r}")
        return Condition(text, expr, lo=lo, hi=hi)
    raise DefinitionError(f"{where}: expected '<op> number' or 'in [lo, hi]' after the signal in {text!r}")


def _check_signal_name(name: str, where: str) -> None:
    base = name
    for prefix in ("{side}_", "{other}_", "left_", "right_"):
        if name.startswith(prefix):
            base = name[len(prefix):]
            if base not in PER_SIDE_BASES:
                known = ", ".join(PER_SIDE_BASES)
                raise DefinitionError(f"{where}: unknown signal {name!r} (per-side signals: {known})")
            return
    if base not in PER_SIDE_BASES and base not in GLOBAL_SIGNALS:
        known = ", ".join((*PER_SIDE_BASES, *GLOBAL_SIGNALS))
        raise DefinitionError(f"{where}: unknown signal {name!r} (known: {known})")


# --- the definition -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Motion:
    """The signal whose travel makes a rep, with rest/target thresholds and hysteresis."""

    signal: Expr
    direction: Literal["up", "down"]  # toward the target the signal rises (up) or falls (down)
    rest: float
    target: float
    hysteresis_deg: float = 5.0
    partial_min_deg: float = 15.0  # travel below this is noise, above it a partial rep
    min_rep_s: float = 0.5
    min_rest_s: float = 0.3  # time at rest before counting starts (getting into position is no rep)
    partial_cue: str = "Go through the full range"
    require: tuple[Condition, ...] = ()  # what makes a motion this exercise (e.g. the working leg straight)
    hold_still_deg_s: float = 25.0  # reps_hold: the top counts as held only while the signal moves slower
    # A rep counts when the signal travels this fraction of the way from the person's own rest to the target;
    # one short of the target counts too and is flagged shallow (strict_depth: only full reps count).
    count_fraction: float = 0.5
    strict_depth: bool = False
    when: tuple[Condition, ...] = ()  # frames where this way of doing it applies (see Variant)


@dataclass(frozen=True)
class Variant:
    """Another accepted way of doing an exercise (e.g. a single-leg raise with the other leg straight): its own
    motion, chosen as a rep begins where its `when` holds, and the cue a rep done this way gets."""

    id: str
    name: str
    motion: Motion
    cue: str = ""
    severity: Severity = "info"


@dataclass(frozen=True)
class HoldSpec:
    """Being 'in position' for a hold, and the rules that keep the hold honest."""

    position: tuple[Condition, ...]
    enter_s: float = 0.5
    grace_s: float = 1.0
    bounce_signal: Expr | None = None
    bounce_amp_deg: float = 4.0
    bounce_count: int = 3  # direction reversals of at least bounce_amp_deg ...
    bounce_window_s: float = 3.0  # ... within this window make a bounce
    # A hold starts once the person has settled still in the position: its signals (the depth signal, if any)
    # moving slower than this (deg/s); getting into the position is not the hold.
    still_deg_s: float = 12.0
    # How deep the stretch is (e.g. the kneeling thigh tilting back as the hips go forward). Held short of
    # depth_min (not a stretch yet) and then taken deeper by deepen_deg, what was held was the start position:
    # the hold starts again from the stretch. Held at depth_min or beyond, rocking deeper is part of the hold.
    depth_signal: Expr | None = None
    depth_direction: str = "up"
    depth_min: float | None = None
    deepen_deg: float = 8.0


@dataclass(frozen=True)
class CircleSpec:
    """Leg circles: the ankle's path around its running centre, counted per full turn."""

    select: Expr  # the side with the larger value is the working (raised) leg
    require: tuple[Condition, ...] = ()
    min_radius: float = 0.06  # in leg lengths; smaller loops are noise
    centre_tau_s: float = 1.5


@dataclass(frozen=True)
class Check:
    code: str
    when: Phase
    require: tuple[Condition, ...]
    cue: str
    severity: Severity = "warning"
    min_s: float = 0.3  # the condition must fail this long before the fault is raised


@dataclass(frozen=True)
class Targets:
    reps_per_side: int | None = None
    reps_total: int | None = None
    hold_s: float | None = None
    hold_max_s: float | None = None
    sets: int = 1
    rest_between_sets_s: float = 30.0


@dataclass(frozen=True)
class Exercise:
    id: str
    name: str
    kind: Kind
    views: tuple[str, ...]
    sides: Sides
    targets: Targets
    motion: Motion | None = None
    hold: HoldSpec | None = None
    circles: CircleSpec | None = None
    checks: tuple[Check, ...] = ()
    variants: tuple[Variant, ...] = ()
    # How the body is placed for it: "lying" (on the back), "upright" (standing or kneeling) or "any". Frames
    # in another posture are not counted, and a clip mostly in another posture is probably another exercise.
    posture: str = "any"
    tips: tuple[str, ...] = ()
    safety: tuple[str, ...] = ()
    camera_note: str = ""
    description: str = ""
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def per_side(self) -> bool:
        return self.sides != "both"

    def signals_used(self) -> set[str]:
        names: set[str] = set()
        exprs = [self.motion.signal, *(c.expr for c in self.motion.require)] if self.motion else []
        if self.hold:
            exprs += [c.expr for c in self.hold.position]
            if self.hold.bounce_signal:
                exprs.append(self.hold.bounce_signal)
        exprs += [c.expr for ch in self.checks for c in ch.require]
        for e in exprs:
            names.update(n for _, n in e.terms)
        return names


# --- the keys of an exercise file (one declaration: validation, docs and the template) ------------------

TOP = Table("", "", (
    Key("id", "string", "Unique id, lower_snake_case: the CLI's --exercise and routine steps name the exercise "
        "by it", pattern=SNAKE, example="my_exercise"),
    Key("name", "string", "Name shown in the app", example="My exercise"),
    Key("kind", "choice", "What is counted: reps (out to a target and back), hold (time in a position), "
        "reps_hold (reps with a hold at the top), circles (leg circles, one per turn)", choices=KINDS,
        example="reps_hold"),
    Key("views", "choices", "Camera views it can be checked from; in another view counting pauses and the person "
        "is asked to turn", choices=VIEWS, example=["side", "oblique"]),
    Key("sides", "choice", "How sides work: per_side (one leg per set; {side} is the working leg, {other} the "
        "other one), alternating (the legs take turns within a set), both (both legs work together: {side} and "
        "{other} cannot be used)", choices=SIDES, example="per_side"),
    Key("description", "string", "How to do it, in a sentence or two; shown in the app as plain text",
        default=None, example="Lie on your back, one knee bent. Lift the straight leg to the bent knee's height."),
    Key("tips", "strings", "Camera and set-up tips shown in the app (plain text)", default=(),
        example=["Lie side-on to the camera", "Whole body in frame, head to feet"]),
    Key("safety", "strings", "Safety notes shown with the exercise (plain text)", default=(),
        example=["Keep the lower back on the floor", "Stop if you feel sharp pain"]),
    Key("camera_note", "string", "What the camera can and cannot see for this exercise (plain text)",
        default=None, example="Filmed side-on, the raised leg is measured against the bent one."),
    Key("posture", "choice", "How the body is placed: lying (on the back), upright (standing or kneeling) or any. "
        "Frames in the other posture are not counted, and a clip mostly in it gets a \"doesn't look like\" warning",
        default="any", choices=POSTURES, example="lying"),
    Key("targets", "table", "What a set is: reps, hold seconds, sets and rest"),
    Key("motion", "table", "The movement that makes a rep (kinds reps and reps_hold)", default=None),
    Key("hold", "table", "The position that makes a hold (kind hold)", default=None),
    Key("circles", "table", "How circles are found (kind circles)", default=None),
    Key("checks", "tables", "Form checks, each with its conditions and cue", default=()),
    Key("variants", "tables", "Other accepted ways of doing it, each with its own [variants.motion] and cue "
        "(kinds reps and reps_hold)", default=()),
))

TARGETS = Table("targets", "[targets]: what a set is. Reps for kinds reps, reps_hold and circles; hold_s for "
                "kinds hold and reps_hold.", (
    Key("reps_per_side", "integer", "Reps per side in a set (not for sides = \"both\")", default=None, min=1,
        max=1000, example=10),
    Key("reps_total", "integer", "Reps in a set, both sides together", default=None, min=1, max=1000, example=20),
    Key("hold_s", "number", "Seconds to hold (kind hold), or to hold at the top of each rep (kind reps_hold)",
        default=None, above=0, max=3600, example=5),
    Key("hold_max_s", "number", "Longest useful hold in seconds, shown as the target's upper end; at least "
        "hold_s", default=None, above=0, max=3600, example=10),
    Key("sets", "integer", "Sets in a session", default=1, min=1, max=50),
    Key("rest_between_sets_s", "number", "Seconds of rest between sets", default=30.0, min=0, max=3600),
))

MOTION = Table("motion", "[motion]: the movement that makes a rep (kinds reps and reps_hold). A rep starts when "
               "the signal leaves rest by more than hysteresis_deg, reaches the target and ends back at rest.", (
    Key("signal", "string", "The signal whose travel makes a rep: a signal name, or the difference (or sum) of "
        "two", example="{side}_thigh_incline - {other}_thigh_incline"),
    Key("direction", "choice", "Which way the signal goes from rest toward the target: up (it rises) or down "
        "(it falls)", choices=("up", "down"), example="up"),
    Key("rest", "number", "The signal's value at rest, in degrees", example=-25),
    Key("target", "number", "The value a full rep reaches, in degrees; beyond rest in the motion's direction by "
        "more than twice hysteresis_deg", example=-8),
    Key("hysteresis_deg", "number", "Degrees past a threshold before it counts as crossed, so jitter around it "
        "counts nothing twice", default=5.0, above=0, max=90),
    Key("partial_min_deg", "number", "Travel in degrees below which a movement is noise; a movement beyond it "
        "that misses the target is a partial rep", default=15.0, min=0, max=360),
    Key("min_rep_s", "number", "Shortest rep in seconds; quicker ones are not counted", default=0.5, min=0,
        max=60),
    Key("min_rest_s", "number", "Seconds at rest before counting starts (getting into position is no rep)",
        default=0.3, min=0, max=60),
    Key("partial_cue", "string", "What to say after a partial rep", default="Go through the full range"),
    Key("require", "strings", "Conditions that make a movement this exercise (e.g. the working leg straight); "
        "a movement without them is not counted", default=(), example=["{side}_knee >= 120"]),
    Key("hold_still_deg_s", "number", "The top counts as held only while the signal moves slower than this, in "
        "degrees per second (kind reps_hold times it; every kind uses it to see a rep settle at its top)",
        default=25.0, above=0, max=1000),
    Key("count_fraction", "number", "A rep counts when the signal travels this fraction of the way from the "
        "person's own rest (learned from their still frames) to the target; one short of the target is counted "
        "and flagged shallow with partial_cue", default=0.5, above=0, max=1),
    Key("strict_depth", "boolean", "Count only reps that reach the target (the shallow ones become partial)",
        default=False),
    Key("when", "strings", "Conditions under which this way of doing it applies, checked as a rep begins (see "
        "[[variants]])", default=(), example=()),
))

VARIANTS = Table("variants", "[[variants]]: another accepted way of doing the exercise (e.g. a single-leg raise "
                 "with the other leg straight). Its [variants.motion] lists only what differs from [motion]; a rep "
                 "done this way is counted and gets the variant's cue.", (
    Key("id", "string", "Short name, lower_snake_case (also the fault code of its cue)", pattern=SNAKE,
        example="support_straight"),
    Key("name", "string", "What it is, in words", example="other leg straight on the floor"),
    Key("cue", "string", "What to say after a rep done this way (empty: nothing)", default="",
        example="Bend the other knee, foot flat on the floor"),
    Key("severity", "choice", "How the cue counts: info, warning or error", default="info", choices=SEVERITIES),
    Key("motion", "table", "The keys of [motion] that differ for this variant (a when is usual)"),
), array=True)

HOLD = Table("hold", "[hold]: the position that makes a hold (kind hold), and the rules that keep it honest.", (
    Key("position", "strings", "Conditions that all hold while in position",
        example=["{side}_knee in [60, 125]", "{other}_thigh_incline <= -20"]),
    Key("enter_s", "number", "Seconds in position before the hold starts", default=0.5, min=0, max=60),
    Key("grace_s", "number", "Seconds out of position (or out of view) a hold survives before it ends",
        default=1.0, min=0, max=60),
    Key("bounce_signal", "string", "The signal watched for bouncing (a name or a difference of two); without it "
        "there is no bounce check", default=None, example="{side}_knee"),
    Key("bounce_amp_deg", "number", "A direction reversal of at least this many degrees counts toward a bounce",
        default=4.0, above=0, max=90),
    Key("bounce_count", "integer", "This many reversals ...", default=3, min=1, max=100),
    Key("bounce_window_s", "number", "... within this many seconds are a bounce", default=3.0, above=0, max=60),
    Key("still_deg_s", "number", "The hold starts once the position's signals (its depth_signal, if given) move "
        "slower than this, in degrees per second: getting into the position is not the hold", default=12.0,
        above=0, max=1000),
    Key("depth_signal", "string", "How deep the stretch is (a signal or a difference of two)", default=None,
        example="{side}_thigh_incline"),
    Key("depth_direction", "choice", "Which way depth_signal goes as the stretch deepens", default="up",
        choices=("up", "down")),
    Key("depth_min", "number", "Where the stretch begins, in degrees of depth_signal: held short of it and then "
        "taken deeper by deepen_deg, what was held was the start position and the hold starts again",
        default=None, example=-80),
    Key("deepen_deg", "number", "Degrees deeper that start the hold again (see depth_min)", default=8.0, above=0,
        max=180),
))

CIRCLES = Table("circles", "[circles]: leg circles (kind circles): the path of the working foot around its "
                "running centre, one rep per full turn.", (
    Key("select", "string", "The signal that picks the working (raised) leg: the side with the larger value",
        example="{side}_thigh_incline"),
    Key("require", "strings", "Conditions for the working leg (e.g. raised and straight)", default=(),
        example=["{side}_thigh_incline >= 30", "{side}_knee >= 130"]),
    Key("min_radius", "number", "Smallest circle counted, in leg lengths; smaller loops are noise", default=0.06,
        above=0, max=10),
    Key("centre_tau_s", "number", "Seconds over which the circle's centre follows the foot (a running mean)",
        default=1.5, above=0, max=60),
))

CHECKS = Table("checks", "[[checks]]: form checks, one [[checks]] table each. A check watches its conditions "
               "in its phase and says its cue when one fails.", (
    Key("code", "string", "Short name of the fault, lower_snake_case, unique in the file (kept in the history)",
        pattern=SNAKE, example="knee_bent"),
    Key("when", "choice", "The phase it runs in: any (whenever counting), rest, moving or target (kinds reps, "
        "reps_hold: at rest, on the way, at the top), rest or moving (kind circles), hold (kind hold)",
        default="any", choices=PHASES, example="target"),
    Key("require", "strings", "Conditions that must hold; the fault is raised when one fails for min_s seconds",
        example="{side}_knee >= 158"),
    Key("cue", "string", "What to say when the check fails", example="Keep the raised leg straight"),
    Key("severity", "choice", "info, warning, or error: an error fault makes a rep not good and stops a hold's "
        "clock", default="warning", choices=SEVERITIES),
    Key("min_s", "number", "Seconds the condition must fail before the fault is raised", default=0.3, min=0,
        max=60),
), array=True)

EXERCISE_TABLES = (TOP, TARGETS, MOTION, HOLD, CIRCLES, CHECKS, VARIANTS)

# The phases each kind's tracker goes through (engine.py); a check in another phase could never run.
KIND_PHASES: dict[str, tuple[str, ...]] = {
    "reps": ("rest", "moving", "target"),
    "reps_hold": ("rest", "moving", "target"),
    "hold": ("hold",),
    "circles": ("rest", "moving"),
}
_KIND_TABLE = {"reps": "motion", "reps_hold": "motion", "hold": "hold", "circles": "circles"}

TEMPLATE_HEADER = f"""posecheck exercise definition: every key, what it means, its type and its default.
Save it as <id>.toml in the exercises folder (or in $POSECHECK_EXERCISES_DIR); check it with
`posecheck exercises`. Unknown keys, wrong types and impossible combinations are refused with the file
and the field named. Keys marked optional may be left out. This template is a kind = "reps_hold"
exercise; [hold] and [circles] (for kinds hold and circles) are commented out below.

Signals (degrees): {', '.join(SIGNALS)}.
{{side}}_knee is the working side's, {{other}}_knee the other side's (sides = "per_side" or "alternating");
a bare per-side name ({', '.join(PER_SIDE_BASES)}) is the mean of both sides.
Conditions: "{{side}}_knee >= 150" (<, <=, >, >=), "{{side}}_hip in [70, 110]" (inclusive range),
"{{side}}_thigh_incline - {{other}}_thigh_incline >= -10" (a difference of two signals).
Text (name, description, tips, safety, cues) is shown as plain text: Markdown is not rendered."""


def exercise_template() -> str:
    """A commented, loadable exercise file listing every key (`posecheck exercises --template`)."""
    return template([(TOP, True), (TARGETS, True), (MOTION, True), (HOLD, False), (CIRCLES, False),
                     (CHECKS, True),
                     (VARIANTS, False)], TEMPLATE_HEADER, commented={"targets.reps_total", "targets.hold_max_s"})


# --- reading an exercise file ---------------------------------------------------------------------------


def load_exercise(path: str | Path) -> Exercise:
    path = Path(path)
    return parse_exercise(read_toml(path), path.name)


def parse_exercise(raw: Mapping[str, Any], fname: str) -> Exercise:
    r = Section(raw, TOP, fname, schema=EXERCISE_TABLES)
    ex_id, name, kind, views, sides = (r.get(k) for k in ("id", "name", "kind", "views", "sides"))
    for table in ("motion", "hold", "circles"):
        if table in r and _KIND_TABLE[kind] != table:
            raise DefinitionError(f"{r.where(table)}: a [{table}] table is only read for kind "
                                  f"{' or '.join(repr(k) for k, t in _KIND_TABLE.items() if t == table)}, "
                                  f"not {kind!r}")
        if table not in r and _KIND_TABLE[kind] == table:
            raise DefinitionError(f"{r.where(table)} is missing: kind {kind!r} needs a [{table}] table")
    targets = _parse_targets(r.section("targets", TARGETS), kind, sides)
    motion = _parse_motion(r.section("motion", MOTION), sides) if "motion" in r else None
    hold = _parse_hold(r.section("hold", HOLD), sides) if "hold" in r else None
    circles = _parse_circles(r.section("circles", CIRCLES), sides) if "circles" in r else None
    checks = tuple(_parse_check(c, kind, sides) for c in r.sections("checks", CHECKS))
    variants = tuple(_parse_variant(v, motion, sides) for v in r.sections("variants", VARIANTS))
    if variants and motion is None:
        raise DefinitionError(f"{r.where('variants')}: only kinds with a [motion] (reps, reps_hold) have variants")
    codes = [c.code for c in checks]
    if dup := next((c for c in codes if codes.count(c) > 1), None):
        raise DefinitionError(f"{fname}: two checks have the code {dup!r}; each check needs its own")
    return Exercise(
        id=ex_id, name=name, kind=kind, views=views, sides=sides, targets=targets,
        motion=motion, hold=hold, circles=circles, checks=checks, variants=variants, posture=r.get("posture"),
        tips=r.get("tips"), safety=r.get("safety"),
        camera_note=r.get("camera_note") or "", description=r.get("description") or "", source=fname,
    )


def _parse_targets(t: Section, kind: str, sides: str) -> Targets:
    targets = Targets(
        reps_per_side=t.get("reps_per_side"), reps_total=t.get("reps_total"), hold_s=t.get("hold_s"),
        hold_max_s=t.get("hold_max_s"), sets=t.get("sets"), rest_between_sets_s=t.get("rest_between_sets_s"),
    )
    reps = targets.reps_per_side is not None or targets.reps_total is not None
    if kind in ("hold", "reps_hold") and targets.hold_s is None:
        raise DefinitionError(f"{t.where('hold_s')} is required for kind {kind!r}")
    if kind not in ("hold", "reps_hold") and targets.hold_s is not None:
        raise DefinitionError(f"{t.where('hold_s')}: kind {kind!r} times no holds (only hold and reps_hold do)")
    if targets.hold_max_s is not None and (targets.hold_s is None or targets.hold_max_s < targets.hold_s):
        raise DefinitionError(f"{t.where('hold_max_s')} must be at least 'targets.hold_s'")
    if kind in ("reps", "reps_hold") and not reps:
        raise DefinitionError(f"{t.where('reps_per_side')} or 'targets.reps_total' is required for kind {kind!r}")
    if kind == "hold" and reps:
        key = "reps_per_side" if targets.reps_per_side is not None else "reps_total"
        raise DefinitionError(f"{t.where(key)}: kind 'hold' counts no reps (its sets are finished by hold_s)")
    if sides == "both" and targets.reps_per_side is not None:
        raise DefinitionError(f"{t.where('reps_per_side')}: sides = \"both\" has no per-side reps; use reps_total")
    return targets


def _conditions(s: Section, key: str, sides: str) -> tuple[Condition, ...]:
    conds = tuple(parse_condition(x, s.where(key)) for x in s.get(key))
    for c in conds:
        _placeholders_fit(c.expr, s.where(key), sides)
    return conds


def _signal(s: Section, key: str, sides: str) -> Expr | None:
    text = s.get(key)
    if text is None:
        return None
    expr, rest = parse_expr(text, s.where(key))
    if rest.strip():
        raise DefinitionError(f"{s.where(key)}: only a signal (or a difference of two) belongs here, not {text!r}")
    _placeholders_fit(expr, s.where(key), sides)
    return expr


def _placeholders_fit(expr: Expr, where: str, sides: str) -> None:
    """{side}/{other} need a working side; with sides = "both" a check using them could never be true."""
    if sides == "both" and any("{" in name for _, name in expr.terms):
        raise DefinitionError(
            f"{where} uses {{side}}/{{other}} ({expr}), but sides = \"both\" has no working side, so it could never "
            "be true; name the side (left_knee, right_knee) or use the mean of both (knee)")


def _parse_motion(m: Section, sides: str) -> Motion:
    signal = _signal(m, "signal", sides)
    assert signal is not None  # a required key
    direction, rest_v, target, hyst = m.get("direction"), m.get("rest"), m.get("target"), m.get("hysteresis_deg")
    # Thresholds must lie in the motion's direction, with room for the hysteresis band.
    travel = target - rest_v if direction == "up" else rest_v - target
    if travel <= 2 * hyst:
        raise DefinitionError(
            f"{m.where('target')} ({target:g}) must lie beyond 'motion.rest' ({rest_v:g}) in direction "
            f"{direction!r} by more than twice the hysteresis ({hyst:g}); the band is inverted or too narrow")
    return Motion(
        signal=signal, direction=direction, rest=rest_v, target=target, hysteresis_deg=hyst,
        partial_min_deg=m.get("partial_min_deg"), min_rep_s=m.get("min_rep_s"), min_rest_s=m.get("min_rest_s"),
        partial_cue=m.get("partial_cue"), require=_conditions(m, "require", sides),
        hold_still_deg_s=m.get("hold_still_deg_s"), count_fraction=m.get("count_fraction"),
        strict_depth=m.get("strict_depth"), when=_conditions(m, "when", sides),
    )


def _parse_variant(v: Section, base: Motion | None, sides: str) -> Variant:
    """A [[variants]] entry: its [variants.motion] is [motion] with the keys it gives replaced."""
    if base is None:
        raise DefinitionError(f"{v.where('motion')}: a variant needs the exercise's [motion] to vary")
    if "motion" not in v:
        raise DefinitionError(f"{v.where('motion')} is missing: a variant's [variants.motion] says what differs")
    own = v.section("motion", MOTION)  # unknown keys refused, named with the variant's path
    merged = {**_motion_keys(base), **own.raw}
    return Variant(id=v.get("id"), name=v.get("name"), cue=v.get("cue"), severity=v.get("severity"),
                   motion=_parse_motion(Section(merged, MOTION, v.fname, f"{v.path}.motion"), sides))


def _motion_keys(m: Motion) -> dict[str, Any]:
    """A parsed motion as the raw keys a variant's motion starts from."""
    return {"signal": str(m.signal), "direction": m.direction, "rest": m.rest, "target": m.target,
            "hysteresis_deg": m.hysteresis_deg, "partial_min_deg": m.partial_min_deg, "min_rep_s": m.min_rep_s,
            "min_rest_s": m.min_rest_s, "partial_cue": m.partial_cue, "require": [c.text for c in m.require],
            "hold_still_deg_s": m.hold_still_deg_s, "count_fraction": m.count_fraction,
            "strict_depth": m.strict_depth, "when": [c.text for c in m.when]}


def _parse_circles(c: Section, sides: str) -> CircleSpec:
    select = _signal(c, "select", sides)
    assert select is not None  # a required key
    return CircleSpec(select=select, require=_conditions(c, "require", sides), min_radius=c.get("min_radius"),
                      centre_tau_s=c.get("centre_tau_s"))


def _parse_hold(h: Section, sides: str) -> HoldSpec:
    return HoldSpec(
        position=_conditions(h, "position", sides), enter_s=h.get("enter_s"), grace_s=h.get("grace_s"),
        bounce_signal=_signal(h, "bounce_signal", sides), bounce_amp_deg=h.get("bounce_amp_deg"),
        bounce_count=h.get("bounce_count"), bounce_window_s=h.get("bounce_window_s"),
        still_deg_s=h.get("still_deg_s"), depth_signal=_signal(h, "depth_signal", sides),
        depth_direction=h.get("depth_direction"), depth_min=h.get("depth_min"), deepen_deg=h.get("deepen_deg"),
    )


def _parse_check(c: Section, kind: str, sides: str) -> Check:
    when = c.get("when")
    if when != "any" and when not in KIND_PHASES[kind]:
        phases = ", ".join(("any", *KIND_PHASES[kind]))
        raise DefinitionError(f"{c.where('when')}: kind {kind!r} has no {when!r} phase, so this check could "
                              f"never run; use one of {phases}")
    return Check(code=c.get("code"), when=when, require=_conditions(c, "require", sides), cue=c.get("cue"),
                 severity=c.get("severity"), min_s=c.get("min_s"))

@dataclass(frozen=True)
class Catalog:
    exercises: Mapping[str, Exercise]
    errors: tuple[str, ...]  # one line per file that failed to load (or why the folder gave nothing)
    by_id: Mapping[str, str] = field(default_factory=dict)  # the error for an exercise id that did not load


def load_all(folder: str | Path = EXERCISES_DIR) -> Catalog:
    """Every definition in a folder; a bad file is reported, never fatal for the others."""
    loaded = load_folder(Path(folder), parse_exercise, "exercise")
    return Catalog(loaded.items, tuple(loaded.errors), loaded.by_id)


def get_exercise(ex_id: str, folder: str | Path = EXERCISES_DIR) -> Exercise:
    folder = Path(folder)
    if problem := folder_problem(folder):
        raise PosecheckError(f"cannot load exercise {ex_id!r}: {problem}")
    cat = load_all(folder)
    if ex_id in cat.exercises:
        return cat.exercises[ex_id]
    if ex_id in cat.by_id:
        raise DefinitionError(cat.by_id[ex_id])
    known = ", ".join(sorted(cat.exercises)) or f"none could be loaded from {folder}"
    failed = sorted({e.split(":")[0] for e in cat.errors if e.split(":")[0].endswith(".toml")})
    not_loaded = f"; not loaded: {', '.join(failed)} (see: posecheck exercises)" if failed else ""
    raise PosecheckError(f"unknown exercise {ex_id!r}; known: {known}{not_loaded}")
