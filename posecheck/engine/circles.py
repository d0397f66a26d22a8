"""Leg circles: loops of the working ankle, counted by how far its direction of travel has turned."""

from __future__ import annotations

import math

import numpy as np

from posecheck.engine.checks import FormChecks
from posecheck.engine.recorder import Recorder, Strategy
from posecheck.engine.signals import Values, all_true
from posecheck.exercises import CircleSpec, Exercise
from posecheck.kinematics import Kinematics
from posecheck.records import Event, RepRecord


class CircleStrategy(Strategy):
    """The raised leg (the side with the larger `select` value) draws circles; each full loop is a rep."""

    def __init__(self, exercise: Exercise, sides: tuple[str, ...], _checks: FormChecks, rec: Recorder) -> None:
        assert exercise.circles is not None
        self.spec, self.sides, self.rec = exercise.circles, sides, rec
        self.counter = CircleCounter(self.spec)
        self.phase = "setup"

    def update(self, t: float, _dt: float, kin: Kinematics, values: Values, events: list[Event]) -> Values:
        scores = {s: self.spec.select.evaluate(values, s) for s in self.sides}
        ok = {s: v for s, v in scores.items()
              if math.isfinite(v) and all_true(self.spec.require, values, s) is not False}
        if not ok or kin.body is None:
            self.phase = "rest"
            self.counter.reset()
            return values
        side = max(ok, key=lambda k: ok[k])
        self.phase = "moving"
        done = self.counter.add(t, side, kin.body.leg_px[side], kin.body.ankle_from_hip[side])
        if done is not None:
            start, direction = done
            rec = RepRecord(side, round(start, 3), round(t, 3), round(t, 3), 360.0, 0.0, 0.0, True, True, (),
                            direction=direction)
            self.rec.reps.append(rec)
            events.append(Event("rep", t, side, f"circle ({direction})", rep=rec))
        return values


class CircleCounter:
    """Counts loops of the working ankle by how far its direction of travel has turned.

    A closed loop turns the travel direction by 360 degrees wherever its centre is, so no centre has
    to be estimated (which would lose most of the first circle). Steps shorter than `min_step` (in leg
    lengths) carry no direction and are skipped, so pauses and jitter add nothing.
    """

    min_step = 0.02
    cusp = math.radians(135)

    def __init__(self, spec: CircleSpec) -> None:
        self.spec = spec
        self.reset()

    def reset(self) -> None:
        self._side: str | None = None
        self._last: np.ndarray | None = None
        self._heading: float | None = None
        self._turn = 0.0
        self._path = 0.0
        self._start = 0.0
        self._scale = 0.0
        self._since_turn_reset()

    def _since_turn_reset(self) -> None:
        # The extremes of the running turn (and the path drawn by then): a loop in either direction is measured
        # from the opposite extreme, so a reversal after part of a loop starts its count at once instead of first
        # unwinding the leftover turn of the old direction (which lost the first reversed circle).
        self._lo = self._hi = self._turn
        self._path_lo = self._path_hi = self._path

    def add(self, t: float, side: str, leg: float, pos: np.ndarray) -> tuple[float, str] | None:
        """One frame: the leg's drawn length and the ankle's position from the hip (pixels)."""
        if leg <= 0:
            return None
        if side != self._side:
            self.reset()
            self._side, self._start = side, t
        # Thresholds scale with the longest the leg has looked (its projection shrinks and grows with the
        # circle itself); positions stay in pixels, since the turning angle needs no scale.
        self._scale = max(self._scale, leg)
        if self._last is None:
            self._last = pos
            return None
        step = pos - self._last
        length = float(np.linalg.norm(step)) / self._scale
        if length < self.min_step:
            return None
        self._last = pos
        heading = math.atan2(step[1], step[0])
        if self._heading is not None:
            change = (heading - self._heading + math.pi) % (2 * math.pi) - math.pi
            if abs(change) > self.cusp:
                # Travel reversed (a swing back, a change of direction, jitter at rest): a U-turn's sign is
                # arbitrary, so it turns nothing and the loop count starts again from here.
                self._since_turn_reset()
            else:
                self._turn += change
                self._path += length
                self._track_extremes()
        self._heading = heading
        return self._loop(t)

    def _track_extremes(self) -> None:
        if self._turn < self._lo:
            self._lo, self._path_lo = self._turn, self._path
        if self._turn > self._hi:
            self._hi, self._path_hi = self._turn, self._path

    def _loop(self, t: float) -> tuple[float, str] | None:
        """A full turn since the opposite extreme, over a path long enough for a loop of min_radius."""
        need = 2 * math.pi * self.spec.min_radius
        if self._turn - self._lo >= 2 * math.pi and self._path - self._path_lo >= need:
            direction = "cw"  # image y grows down: a positive turn is clockwise
        elif self._hi - self._turn >= 2 * math.pi and self._path - self._path_hi >= need:
            direction = "ccw"
        else:
            return None
        self._since_turn_reset()
        start, self._start = self._start, t
        return start, direction
