"""Exercise definitions as data: load and validate `exercises/*.toml` into frozen dataclasses.

A user adds an exercise by writing one TOML file. Every error names the file and the field, and one
bad file never stops the others from loading (`load_all` returns the good ones and the errors).

Signals in conditions are the kinematics names (`left_knee`, `trunk_incline`, ...) with two
placeholders: `{side}` is the working side and `{other}` the opposite one; a bare per-side name
(`knee`, `hip`, `thigh_incline`) means the mean of both sides. The condition language is small:
    "{side}_knee >= 150"          comparison with <, <=, >, >=
    "{side}_hip in [70, 110]"     inclusive range
    "{side}_thigh_incline - {other}_thigh_incline >= -10"   a difference of two signals
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from posecheck.errors import PosecheckError
from posecheck.kinematics import SIGNALS

Kind = Literal["reps", "hold", "reps_hold", "circles"]
Sides = Literal["per_side", "alternating", "both"]
Phase = Literal["any", "rest", "moving", "target", "hold"]
Severity = Literal["info", "warning", "error"]

KINDS = ("reps", "hold", "reps_hold", "circles")
SIDES = ("per_side", "alternating", "both")
VIEWS = ("side", "front", "oblique")
PHASES = ("any", "rest", "moving", "target", "hold")
SEVERITIES = ("info", "warning", "error")
PER_SIDE_BASES = tuple(sorted({s.split("_", 1)[1] for s in SIGNALS if s.startswith(("left_", "right_"))}))
GLOBAL_SIGNALS = tuple(s for s in SIGNALS if not s.startswith(("left_", "right_")))

EXERCISES_DIR = Path(__file__).resolve().parent.parent / "exercises"


class DefinitionError(PosecheckError):
    """A malformed exercise file; the message names the file and the field."""


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


def load_exercise(path: str | Path) -> Exercise:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path.name}: not valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"{path.name}: cannot be read ({exc})") from None
    return parse_exercise(raw, path.name)


def parse_exercise(raw: Mapping[str, Any], fname: str) -> Exercise:
    r = _Reader(raw, fname)
    ex_id = r.str("id")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", ex_id):
        raise DefinitionError(f"{fname}: field 'id' must be lower_snake_case, not {ex_id!r}")
    kind = r.choice("kind", KINDS)
    views = tuple(r.list_of_choices("views", VIEWS))
    sides = r.choice("sides", SIDES)
    t = _Reader(r.table("targets"), fname, "targets")
    targets = Targets(
        reps_per_side=t.int("reps_per_side", None), reps_total=t.int("reps_total", None),
        hold_s=t.num("hold_s", None), hold_max_s=t.num("hold_max_s", None), sets=t.int("sets", 1) or 1,
        rest_between_sets_s=t.num("rest_between_sets_s", 30.0),
    )
    motion = _parse_motion(r, fname) if "motion" in raw or kind in ("reps", "reps_hold") else None
    circles = _parse_circles(r, fname) if kind == "circles" else None
    hold = _parse_hold(r, fname) if "hold" in raw or kind == "hold" else None
    if kind in ("hold", "reps_hold") and targets.hold_s is None:
        raise DefinitionError(f"{fname}: field 'targets.hold_s' is required for kind {kind!r}")
    if kind in ("reps", "reps_hold") and targets.reps_per_side is None and targets.reps_total is None:
        raise DefinitionError(f"{fname}: field 'targets.reps_per_side' or 'targets.reps_total' is required")
    checks = []
    for i, c in enumerate(r.list("checks", [])):
        cr = _Reader(c, fname, f"checks[{i}]")
        checks.append(Check(
            code=cr.str("code"), when=cr.choice("when", PHASES, "any"),
            require=tuple(parse_condition(x, cr.where("require")) for x in cr.str_list("require")),
            cue=cr.str("cue"), severity=cr.choice("severity", SEVERITIES, "warning"), min_s=cr.num("min_s", 0.3),
        ))
    return Exercise(
        id=ex_id, name=r.str("name"), kind=kind, views=views, sides=sides, targets=targets, motion=motion,
        hold=hold, circles=circles, checks=tuple(checks), tips=tuple(r.str_list("tips", [])),
        safety=tuple(r.str_list("safety", [])),
        camera_note=r.str("camera_note", ""), description=r.str("description", ""), source=fname,
    )


def _parse_motion(r: _Reader, fname: str) -> Motion:
    m = _Reader(r.table("motion"), fname, "motion")
    expr, rest = parse_expr(m.str("signal"), m.where("signal"))
    if rest.strip():
        raise DefinitionError(f"{m.where('signal')}: only a signal (or a difference of two) belongs here")
    direction = m.choice("direction", ("up", "down"))
    rest_v, target = m.num("rest"), m.num("target")
    hyst = m.num("hysteresis_deg", 5.0)
    # Thresholds must lie in the motion's direction, with room for the hysteresis band.
    travel = target - rest_v if direction == "up" else rest_v - target
    if travel <= 2 * hyst:
        raise DefinitionError(
            f"{fname}: field 'motion.target' ({target:g}) must lie beyond 'motion.rest' ({rest_v:g}) in direction "
            f"{direction!r} by more than twice the hysteresis ({hyst:g}); the band is inverted or too narrow")
    return Motion(
        signal=expr, direction=direction, rest=rest_v, target=target, hysteresis_deg=hyst,
        partial_min_deg=m.num("partial_min_deg", 15.0), min_rep_s=m.num("min_rep_s", 0.5),
        min_rest_s=m.num("min_rest_s", 0.3), partial_cue=m.str("partial_cue", "Go through the full range"),
        require=tuple(parse_condition(x, m.where("require")) for x in m.str_list("require", [])),
        hold_still_deg_s=m.num("hold_still_deg_s", 25.0),
    )


def _parse_circles(r: _Reader, fname: str) -> CircleSpec:
    c = _Reader(r.table("circles"), fname, "circles")
    select, rest = parse_expr(c.str("select"), c.where("select"))
    if rest.strip():
        raise DefinitionError(f"{c.where('select')}: only a signal belongs here")
    return CircleSpec(select=select,
                      require=tuple(parse_condition(x, c.where("require")) for x in c.str_list("require", [])),
                      min_radius=c.num("min_radius", 0.06), centre_tau_s=c.num("centre_tau_s", 1.5))


def _parse_hold(r: _Reader, fname: str) -> HoldSpec:
    h = _Reader(r.table("hold"), fname, "hold")
    position = tuple(parse_condition(x, h.where("position")) for x in h.str_list("position"))
    bounce = None
    if "bounce_signal" in h.raw:
        bounce, rest = parse_expr(h.str("bounce_signal"), h.where("bounce_signal"))
        if rest.strip():
            raise DefinitionError(f"{h.where('bounce_signal')}: only a signal belongs here")
    return HoldSpec(
        position=position, enter_s=h.num("enter_s", 0.5), grace_s=h.num("grace_s", 1.0), bounce_signal=bounce,
        bounce_amp_deg=h.num("bounce_amp_deg", 4.0), bounce_count=h.int("bounce_count", 3) or 3,
        bounce_window_s=h.num("bounce_window_s", 3.0),
    )


_MISSING = object()


class _Reader:
    """Typed field access with messages that name the file and the field."""

    def __init__(self, raw: Any, fname: str, prefix: str = "") -> None:
        if not isinstance(raw, Mapping):
            raise DefinitionError(f"{fname}: field '{prefix}' must be a table")
        self.raw, self.fname, self.prefix = raw, fname, prefix

    def where(self, key: str) -> str:
        return f"{self.fname}: field '{self.prefix + '.' if self.prefix else ''}{key}'"

    def _get(self, key: str, default: Any) -> Any:
        if key in self.raw:
            return self.raw[key]
        if default is _MISSING:
            raise DefinitionError(f"{self.where(key)} is missing")
        return default

    def str(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v is not default and (not isinstance(v, str) or not v.strip()):
            raise DefinitionError(f"{self.where(key)} must be a non-empty string")
        return v

    def num(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v is not default and (isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)):
            raise DefinitionError(f"{self.where(key)} must be a number")
        return float(v) if v is not None else None

    def int(self, key: str, default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v is not default and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise DefinitionError(f"{self.where(key)} must be a whole number >= 0")
        return v

    def choice(self, key: str, options: tuple[str, ...], default: Any = _MISSING) -> Any:
        v = self._get(key, default)
        if v not in options:
            raise DefinitionError(f"{self.where(key)} must be one of {', '.join(options)} (got {v!r})")
        return v

    def table(self, key: str) -> Any:
        return self._get(key, _MISSING)

    def list(self, key: str, default: Any = _MISSING) -> list:
        v = self._get(key, default)
        if not isinstance(v, list):
            raise DefinitionError(f"{self.where(key)} must be a list")
        return v

    def str_list(self, key: str, default: Any = _MISSING) -> list[str]:
        v = self._get(key, default)
        if isinstance(v, str):
            v = [v]
        if not isinstance(v, list) or not all(isinstance(x, str) and x.strip() for x in v):
            raise DefinitionError(f"{self.where(key)} must be a string or a list of strings")
        return v

    def list_of_choices(self, key: str, options: tuple[str, ...]) -> list[str]:
        v = self.str_list(key)
        bad = [x for x in v if x not in options]
        if bad or not v:
            raise DefinitionError(f"{self.where(key)} must list some of {', '.join(options)} (got {v!r})")
        return v


@dataclass(frozen=True)
class Catalog:
    exercises: Mapping[str, Exercise]
    errors: tuple[str, ...]  # one line per file that failed to load


def load_all(folder: str | Path = EXERCISES_DIR) -> Catalog:
    """Every definition in a folder; a bad file is reported, never fatal for the others."""
    folder = Path(folder)
    found: dict[str, Exercise] = {}
    errors: list[str] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path.name}: not valid TOML ({exc})")
            continue
        try:
            ex = parse_exercise(raw, path.name)
        except DefinitionError as exc:
            errors.append(str(exc))
            continue
        if ex.id in found:
            errors.append(f"{path.name}: id {ex.id!r} is already defined in {found[ex.id].source}")
            continue
        found[ex.id] = ex
    return Catalog(found, tuple(errors))


def get_exercise(ex_id: str, folder: str | Path = EXERCISES_DIR) -> Exercise:
    cat = load_all(folder)
    if ex_id in cat.exercises:
        return cat.exercises[ex_id]
    bad = [e for e in cat.errors if e.startswith(f"{ex_id}.toml")]
    if bad:
        raise DefinitionError(bad[0])
    raise PosecheckError(f"unknown exercise {ex_id!r}; known: {', '.join(sorted(cat.exercises))}")
