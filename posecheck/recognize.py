"""Which exercise is this? Recognition from posture, view and how the joints move, for a whole clip or a
rolling window of a live stream.

Every exercise's own `Tracker` runs over the same kinematics (cheap: a fraction of a millisecond a frame
each), so the evidence is the exercise definitions themselves: how much of the clip each one explains with
counted reps or timed holds, how deep those reps went, and which faults they raised. On top of that come
what a definition does not say outright:

- posture, finer than the engine's lying/upright: standing, kneeling (a knee on the floor), lying, seated
  (trunk up, legs long on the floor), judged per frame inside the exercise's own reps and holds;
- symmetry: an exercise done with both legs together moves left and right alike (squat, bridge); a one-leg
  exercise moves one leg while the other stays (lunge, knee to chest);
- rest: a rep exercise returns to its rest position (a psoas march rests with both thighs up, so legs lying
  flat between reps are not a march).

Nothing here is learned from clips: each factor is a plain reading of the definition and the frame. The
scores are combined into a pick, a confidence, a runner-up and a sentence saying why.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from posecheck import pose as P
from posecheck.engine import Tracker
from posecheck.exercises import Catalog, Condition, Exercise, Expr, Motion, resolve_name
from posecheck.kinematics import SIGNALS, Kinematics
from posecheck.posetrack import PoseTrack
from posecheck.records import RepRecord

POSTURES = ("standing", "kneeling", "lying", "seated")
_IDX = {name: i for i, name in enumerate(SIGNALS)}
LYING_TRUNK_DEG = 55.0  # trunk further than this from upright: lying (the engine's own thresholds bracket it)
SEATED_THIGH_DEG = 25.0  # seated: both thighs within this of horizontal ...
SEATED_KNEE_DEG = 130.0  # ... with the legs long
KNEEL_FLOOR = 0.15  # a knee within this many leg lengths of the floor (the lowest foot point) is on the floor
STILL_DEG_S, STILL_LAG_S = 15.0, 0.3  # no signal faster than this over this long: a still frame
TYPICAL_MARGIN_DEG = 15.0  # a held position this far inside each of its bounds is squarely that position
REP_PAUSE_S = 1.0  # a plain rep explains this much stillness (a pause at its turn); more is a held position
EXPLAINED_FULL = 0.55  # explaining this share of the active time is full evidence
MIN_SCORE = 0.12  # below this nothing fits: no pick
SURE_SCORE = 0.35  # a pick this good ...
SURE_MARGIN = 0.7  # ... with the runner-up under this share of it is sure; else the user is asked
WINDOW_S = 12.0  # Live: the rolling window recognition looks at
HOLD_MOVE_S = 2.0  # a hold explains the movement this long before and after it (getting in and out)
HOLD_EVIDENCE_S = 2.5  # a hold (kind hold) shorter than this is a pause, not evidence of a hold exercise
MIN_MOVING_S = 1.0  # with less movement than this in the clip, where it happens is no evidence

# The shipped exercises in words (the reason sentence) and their posture when finer than upright/lying.
# Exercises a user adds fall back to words made from their definition and to their own posture.
MOTION_WORDS = {
    "squat": "both knees bending together",
    "lunge": "one leg stepping forward and bending",
    "kneeling_hip_flexor_stretch": "one knee down, hips held forward",
    "low_lunge": "back knee down and slid back, front knee bent, held",
    "warrior_1": "front knee bent, back leg straight, held",
    "standing_pelvic_tilt": "standing tall and still",
    "glute_bridge": "hips lifting with both knees bent",
    "single_leg_raise": "one straight leg rising",
    "knee_to_chest": "one knee pulled to the chest",
    "psoas_march": "thighs up, one leg lowering at a time",
    "lying_psoas_stretch": "one knee hugged, the other leg hanging",
    "roll_up": "rolling up to sitting and back down",
    "leg_circles": "one raised leg drawing circles",
}
FINE_POSTURES: dict[str, tuple[str, ...]] = {
    "squat": ("standing",),
    "lunge": ("standing", "kneeling"),  # the back knee nears the floor at the bottom
    "warrior_1": ("standing",),
    "standing_pelvic_tilt": ("standing",),
    "kneeling_hip_flexor_stretch": ("kneeling",),
    "low_lunge": ("kneeling",),
    "roll_up": ("lying", "seated"),
}
# In which exercises the body itself travels (the pelvis lifts or drops, the feet stay: True) and in which a
# leg moves while the pelvis stays (False). The lunge does either (a step, or a split squat).
BODY_MOVES = {"squat": True, "glute_bridge": True, "single_leg_raise": False,
              "knee_to_chest": False, "psoas_march": False, "leg_circles": False}
# Feet side by side (squat, standing tall) or one in front of the other (a split stance), seen side-on.
SPLIT_STANCE = {"squat": False, "standing_pelvic_tilt": False, "lunge": True, "warrior_1": True, "low_lunge": True,
                "kneeling_hip_flexor_stretch": True}
SPLIT_TORSOS = (0.5, 0.9)  # feet this many torso lengths apart along the view: together below, split above
_COARSE = {"standing": "upright", "kneeling": "upright", "lying": "lying", "seated": "seated"}
POSTURE_WORDS = {"standing": "standing", "kneeling": "kneeling", "lying": "lying", "seated": "sitting",
                 None: "posture unclear"}


# --- per frame -------------------------------------------------------------------------------------


def frame_posture(kin: Kinematics) -> str | None:
    """standing | kneeling | lying | seated for one frame; None when the trunk cannot be read."""
    if not kin.detected or not kin.ok("trunk_incline"):
        return None
    trunk = kin.value("trunk_incline")
    thighs = [kin.value(f"{s}_thigh_incline") for s in ("left", "right") if kin.ok(f"{s}_thigh_incline")]
    knees = [kin.value(f"{s}_knee") for s in ("left", "right") if kin.ok(f"{s}_knee")]
    legs_long = bool(thighs) and all(abs(t) < SEATED_THIGH_DEG for t in thighs) and bool(knees) and \
        all(k >= SEATED_KNEE_DEG for k in knees)
    if trunk < 60 and legs_long:
        return "seated"
    if trunk >= LYING_TRUNK_DEG:
        return "lying"
    return "kneeling" if _knee_on_floor(kin) else "standing"


def _knee_on_floor(kin: Kinematics) -> bool:
    """A knee about as low as the lower ankle (image y grows downward). Ankles, not toes: a kneeling back foot
    points its toes into the floor, and MediaPipe often draws them below it."""
    pose = kin.pose
    if pose is None or pose.image_px is None or pose.visibility is None:
        return False
    px, vis = pose.image_px, pose.visibility
    ankles = [i for i in (P.LEFT_ANKLE, P.RIGHT_ANKLE) if vis[i] >= 0.3]
    if not ankles:
        return False
    floor = float(px[ankles, 1].max())
    for hip, knee, ankle in ((P.LEFT_HIP, P.LEFT_KNEE, P.LEFT_ANKLE), (P.RIGHT_HIP, P.RIGHT_KNEE, P.RIGHT_ANKLE)):
        leg = float(np.linalg.norm(px[knee, :2] - px[hip, :2]) + np.linalg.norm(px[ankle, :2] - px[knee, :2]))
        if leg > 0 and vis[knee] >= 0.3 and floor - px[knee, 1] < KNEEL_FLOOR * leg:
            return True
    return False


def _row_values(kin: Kinematics) -> np.ndarray:
    return np.array([kin.value(n) if kin.ok(n) else np.nan for n in SIGNALS])


def _row_points(kin: Kinematics) -> np.ndarray:
    """Mid-hip, left ankle, right ankle (x, y pixels) and the torso length: where the body and the feet are."""
    body = kin.body
    if body is None or not body.torso_px > 0:
        return np.full(7, np.nan)
    hip = body.hip_centre
    left, right = hip + body.ankle_from_hip["left"], hip + body.ankle_from_hip["right"]
    return np.array([hip[0], hip[1], left[0], left[1], right[0], right[1], body.torso_px])


# --- results -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One exercise's fit: `score` 0..1 and the evidence behind it, in words."""

    id: str
    name: str
    score: float
    evidence: str
    factors: Mapping[str, float] = field(default_factory=dict)  # what the score is made of (for diagnostics)


@dataclass(frozen=True)
class Recognition:
    """The pick (None when nothing fits), how sure, why, and the runner-up."""

    id: str | None
    name: str
    confidence: float  # 0..1
    reason: str
    runner_up: str | None
    runner_up_name: str
    posture: str | None  # the clip's main posture
    view: str
    candidates: tuple[Candidate, ...]  # every exercise, best first
    sure: bool  # confident enough to go ahead without asking

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "confidence": round(self.confidence, 3), "reason": self.reason,
                "runner_up": self.runner_up, "sure": self.sure, "posture": self.posture,
                "scores": {c.id: round(c.score, 3) for c in self.candidates}}

    def score_of(self, exercise_id: str) -> float:
        return next((c.score for c in self.candidates if c.id == exercise_id), 0.0)


# --- the recogniser ----------------------------------------------------------------------------------


class Recognizer:
    """Feed `update(kin)` once per frame (smoothed kinematics, as the tracker reads them); `result()` at any time.

    With `window_s` only the last `window_s` seconds count (Live); without, the whole stream (a clip).
    """

    def __init__(self, catalog: Catalog | Mapping[str, Exercise], window_s: float | None = None) -> None:
        exercises = catalog.exercises if isinstance(catalog, Catalog) else catalog
        self.exercises = dict(exercises)
        self.window_s = window_s
        self.trackers = {i: Tracker(ex) for i, ex in self.exercises.items()}
        self._t: deque[float] = deque()
        self._posture: deque[str | None] = deque()
        self._values: deque[np.ndarray] = deque()
        self._views: deque[str] = deque()
        self._points: deque[np.ndarray] = deque()

    def update(self, kin: Kinematics) -> None:
        for tracker in self.trackers.values():
            tracker.update(kin)
        self._t.append(kin.t_s)
        self._posture.append(frame_posture(kin))
        self._values.append(_row_values(kin) if kin.detected else np.full(len(SIGNALS), np.nan))
        self._views.append(kin.view if kin.detected else "")
        self._points.append(_row_points(kin) if kin.detected else np.full(7, np.nan))
        if self.window_s is not None:
            while self._t and kin.t_s - self._t[0] > self.window_s:
                for q in (self._t, self._posture, self._values, self._views, self._points):
                    q.popleft()

    def finish(self) -> None:
        for tracker in self.trackers.values():
            tracker.finish()

    def result(self) -> Recognition:
        frames = _Frames(np.array(self._t), list(self._posture), np.array(self._values).reshape(-1, len(SIGNALS)),
                         list(self._views), np.array(self._points).reshape(-1, 7))
        scored = [score_exercise(ex, self.trackers[i], frames) for i, ex in self.exercises.items()]
        return decide(scored, frames)


@dataclass(frozen=True)
class _Frames:
    t: np.ndarray
    posture: list[str | None]
    values: np.ndarray  # (n, len(SIGNALS)), NaN where unreliable or no person
    views: list[str]
    points: np.ndarray  # (n, 7): mid-hip x y, left ankle x y, right ankle x y, torso length (pixels)

    @property
    def t0(self) -> float:
        return float(self.t[0]) if len(self.t) else 0.0

    def active_s(self) -> float:
        """Seconds with a person whose posture could be read."""
        known = np.array([p is not None for p in self.posture])
        if len(self.t) < 2 or not known.any():
            return 0.0
        dt = np.diff(self.t, append=self.t[-1] + (self.t[-1] - self.t[-2]))
        return float(dt[known].sum())

    def moving_s(self, signal: np.ndarray, start: float, end: float) -> tuple[float, float]:
        """(seconds moving, seconds still) of a per-frame `signal` between start and end: still where it changed
        less than STILL_DEG_S per second over the last STILL_LAG_S."""
        sl = self.span(start, end)
        if sl.stop - sl.start < 2:
            return max(0.0, end - start), 0.0
        t = self.t[sl]
        j = np.searchsorted(self.t, t - STILL_LAG_S)
        lag = t - self.t[j]
        with np.errstate(invalid="ignore"):
            still = (lag >= 0.5 * STILL_LAG_S) & (np.abs(signal[sl] - signal[j]) < STILL_DEG_S * lag)
        dt = np.diff(t, append=t[-1])
        return float(dt[~still].sum()), float(dt[still].sum())

    @cached_property  # every exercise's score reads it: computed once per window
    def moving_mask(self) -> np.ndarray:
        """Per frame: some joint signal changed faster than STILL_DEG_S per second over the last STILL_LAG_S."""
        if len(self.t) < 2:
            return np.zeros(len(self.t), bool)
        j = np.searchsorted(self.t, self.t - STILL_LAG_S)
        lag = self.t - self.t[j]
        with np.errstate(invalid="ignore"):
            fast = np.abs(self.values - self.values[j]) > STILL_DEG_S * lag[:, None]
        return (lag >= 0.5 * STILL_LAG_S) & np.nan_to_num(fast, nan=0).astype(bool).any(axis=1)

    def span(self, start: float, end: float) -> slice:
        return slice(int(np.searchsorted(self.t, start, "left")), int(np.searchsorted(self.t, end, "right")))

    def main_posture(self) -> str | None:
        known = [p for p in self.posture if p is not None]
        return max(POSTURES, key=known.count) if known else None

    def main_view(self) -> str:
        seen = [v for v in self.views if v]
        return max(set(seen), key=seen.count) if seen else "unknown"


# --- scoring one exercise ------------------------------------------------------------------------------


def score_exercise(ex: Exercise, tracker: Tracker, frames: _Frames) -> Candidate:
    """How well `ex` explains these frames, 0..1, from its tracker's records and the frames' posture/motion."""
    t0 = frames.t0
    reps = [r for r in tracker.reps if r.end_s >= t0]
    partials = [r for r in tracker.partials if r.end_s >= t0]
    holds = [h for h in tracker.holds if h.end_s >= t0]
    active = frames.active_s()
    if active <= 0.5:
        return Candidate(ex.id, ex.name, 0.0, "nobody in view")
    times = [_rep_times(ex, frames, r, t0) for r in reps]
    explained = sum(moving + min(still, REP_PAUSE_S) for moving, still in times)
    explained += 0.3 * sum(m + min(s, REP_PAUSE_S) for m, s in (_rep_times(ex, frames, r, t0) for r in partials))
    # A held position is evidence once held a while: still moments between another exercise's reps (standing tall
    # between squats) are not a pelvic tilt. Reps with a hold at the top are explained by _rep_times.
    explained += sum(h.duration_s for h in holds if ex.kind != "hold" or h.duration_s >= HOLD_EVIDENCE_S)
    if ex.kind == "hold":  # getting into and out of a held stretch is part of doing it (not of the held time)
        explained += sum(_moving_around(frames, h.start_s, h.end_s) for h in holds if h.duration_s >= HOLD_EVIDENCE_S)
    explained += _hold_in_progress(tracker)
    coverage = min(1.0, explained / (EXPLAINED_FULL * active))
    depth = float(np.mean([min(1.0, max(0.0, r.depth)) for r in reps])) if reps else 1.0
    spans = [(r.start_s, r.end_s) for r in (*reps, *partials)] + [(h.start_s, h.end_s) for h in holds]
    posture = posture_fit(ex, frames, spans)
    sym = symmetry_fit(ex, frames, reps)
    rest = rest_fit(ex, frames)
    mover = mover_fit(ex, frames, [*reps, *partials]) * stance_fit(ex, frames, spans)
    mover *= position_fit(ex, frames, holds) * rhythm_fit(times)
    faults = fault_fit(tracker, len(reps) + len(holds), t0)
    moves = motion_fit(frames, [(r.start_s, r.end_s) for r in (*reps, *partials)]
                       + [(h.start_s - HOLD_MOVE_S, h.end_s + HOLD_MOVE_S) for h in holds])
    factors = {"coverage": coverage, "depth": 0.5 + 0.5 * depth, "posture": posture, "symmetry": sym, "rest": rest,
               "mover": mover, "faults": faults, "moves": moves}
    score = float(np.prod(list(factors.values())))
    return Candidate(ex.id, ex.name, score, _evidence_words(reps, partials, holds),
                     {k: round(v, 2) for k, v in factors.items()})


def _moving_around(frames: _Frames, start: float, end: float) -> float:
    """Seconds of movement within HOLD_MOVE_S before `start` and after `end` (the way into and out of a hold)."""
    if len(frames.t) < 2:
        return 0.0
    t = frames.t
    near = ((t >= start - HOLD_MOVE_S) & (t < start)) | ((t > end) & (t <= end + HOLD_MOVE_S))
    dt = np.diff(t, append=t[-1])
    return float(dt[near & frames.moving_mask].sum())


def motion_fit(frames: _Frames, spans: list[tuple[float, float]]) -> float:
    """The share of the clip's movement that happens inside the exercise's own reps and holds (a hold with the
    moves into and out of it): movement is the stronger evidence, so an exercise that explains only the still
    moments between someone else's reps (standing tall between squats) explains little."""
    moving = frames.moving_mask
    if len(frames.t) < 2 or not moving.any():
        return 1.0
    inside = np.zeros(len(frames.t), bool)
    for a, b in spans:
        inside |= (frames.t >= a) & (frames.t <= b)
    dt = np.diff(frames.t, append=frames.t[-1])
    total = float(dt[moving].sum())
    return 1.0 if total < MIN_MOVING_S else _ramp(float(dt[moving & inside].sum()) / total, 0.4, 0.8)


def _rep_times(ex: Exercise, frames: _Frames, rep: RepRecord, t0: float) -> tuple[float, float]:
    """(seconds moving, seconds held still) of a rep's drive signal. A plain rep is movement: time held still in
    it beyond a pause at the turn (REP_PAUSE_S) is a held position, which it does not explain. A rep with a hold
    at the top (reps_hold) explains all of its time."""
    start = max(rep.start_s, t0)
    if ex.kind == "reps_hold" or ex.motion is None:
        return rep.end_s - start, 0.0
    motion = next((v.motion for v in ex.variants if v.id == rep.variant), ex.motion)
    drive = _evaluate(motion, frames.values, rep.side if rep.side in ("left", "right") else "both")
    return frames.moving_s(drive, start, rep.end_s)


def rhythm_fit(times: list[tuple[float, float]]) -> float:
    """Plain reps keep moving: reps that mostly sit still (a position held for seconds) are a hold instead."""
    moving = sum(m for m, _ in times)
    still = sum(max(0.0, s - REP_PAUSE_S) for _, s in times)
    return 1.0 if moving + still <= 0 else _ramp(moving / (moving + still), 0.3, 0.6)


def _hold_in_progress(tracker: Tracker) -> float:
    cur = tracker.current_hold()
    return cur[1] if cur is not None and cur[1] > 0 else 0.0


def allowed_postures(ex: Exercise) -> tuple[str, ...]:
    if ex.id in FINE_POSTURES:
        return FINE_POSTURES[ex.id]
    return {"lying": ("lying",), "upright": ("standing", "kneeling")}.get(ex.posture, POSTURES)


def posture_fit(ex: Exercise, frames: _Frames, spans: list[tuple[float, float]]) -> float:
    """The share of the exercise's own reps and holds (else of the whole stream) spent in its posture.

    An exercise that moves between postures (the roll-up: lying to sitting) must show each of them.
    """
    allowed = allowed_postures(ex)
    idx: list[int] = []
    for start, end in spans:
        sl = frames.span(start, end)
        idx.extend(range(sl.start, sl.stop))
    seen = [frames.posture[i] for i in (idx or range(len(frames.posture)))]
    seen = [p for p in seen if p is not None]
    known = [p for p in frames.posture if p is not None]
    if not seen or not known:
        return 0.0
    fit = sum(p in allowed for p in seen) / len(seen)
    # Outside its reps and holds too, a clip of this exercise stays mostly in its posture (getting into
    # position and out takes a while; a clip half spent sitting up is no bridge).
    # Standing and kneeling are one here: kneeling exercises are entered from standing.
    coarse = {_COARSE[a] for a in allowed}
    fit *= _ramp(sum(_COARSE[p] in coarse for p in known) / len(known), 0.3, 0.8)
    if len(allowed) > 1 and ex.posture == "any":  # a transition: each end must be there
        least = min(sum(p == a for p in seen) / len(seen) for a in allowed)
        fit *= min(1.0, least / 0.1)
    return fit


def _base(motion: Motion | None) -> str | None:
    """The per-side signal a motion drives (`{side}_hip` -> hip, `knee` -> knee), else None."""
    if motion is None:
        return None
    name = motion.signal.terms[0][1]
    for prefix in ("{side}_", "{other}_", "left_", "right_"):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name if f"left_{name}" in _IDX else None


def _range(frames: _Frames, name: str, sl: slice) -> float:
    v = frames.values[sl, _IDX[name]]
    v = v[np.isfinite(v)]
    return float(np.percentile(v, 95) - np.percentile(v, 5)) if len(v) >= 3 else math.nan


def _pair_ranges(frames: _Frames, a: str, b: str, sl: slice) -> tuple[float, float]:
    """The ranges of two signals over the frames where both were read (a side seen only at rest has no range)."""
    va, vb = frames.values[sl, _IDX[a]], frames.values[sl, _IDX[b]]
    both = np.isfinite(va) & np.isfinite(vb)
    if both.sum() < max(3, 0.5 * np.isfinite(va).sum()):
        return math.nan, math.nan

    def rng(v: np.ndarray) -> float:
        return float(np.percentile(v, 95) - np.percentile(v, 5))

    return rng(va[both]), rng(vb[both])


def symmetry_fit(ex: Exercise, frames: _Frames, reps: list) -> float:
    """One-leg exercises move one leg while the other stays; two-leg ones move both alike. 1 = as expected."""
    if not reps or ex.motion is None:
        return 1.0
    if ex.sides == "both":
        return _both_legs_fit(frames, reps)
    base = _base(ex.motion)
    if base is None:
        return 1.0
    return _one_leg_fit(frames, reps, base)


def _both_legs_fit(frames: _Frames, reps: list) -> float:
    """Two-leg exercises: per rep, the median over hip/knee/thigh of the smaller leg's range over the larger's."""
    ratios: list[float] = []
    for r in reps:
        sl = frames.span(r.start_s, r.end_s)
        pairs = []
        for base in ("hip", "knee", "thigh_incline"):
            a, b = _pair_ranges(frames, f"left_{base}", f"right_{base}", sl)
            if math.isfinite(a) and math.isfinite(b) and max(a, b) >= 20:
                pairs.append(min(a, b) / max(a, b))
        if pairs:
            ratios.append(float(np.median(pairs)))
    if not ratios:
        return 1.0
    return _ramp(float(np.median(ratios)), 0.2, 0.4)


def _one_leg_fit(frames: _Frames, reps: list, base: str) -> float:
    """One-leg exercises: per rep on a side, the other leg's range of `base` over the working leg's."""
    ratios: list[float] = []
    for r in reps:
        if r.side not in ("left", "right"):
            continue
        other = "right" if r.side == "left" else "left"
        sl = frames.span(r.start_s, r.end_s)
        a, b = _pair_ranges(frames, f"{r.side}_{base}", f"{other}_{base}", sl)
        if math.isfinite(a) and math.isfinite(b) and a > 0:
            ratios.append(b / a)
    if not ratios:
        return 1.0
    return _ramp(-float(np.median(ratios)), -0.9, -0.5)


def body_or_limb(frames: _Frames, start: float, end: float) -> float:
    """How much of a movement is the pelvis travelling (1: a bridge or a squat, the feet stay) rather than a
    foot (0: a leg raise, a march): the hip centre's travel over that plus the farther-moving foot's."""
    pts = frames.points[frames.span(start, end)]
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) < 3:
        return math.nan
    torso = float(np.median(pts[:, 6]))

    def travel(xy: np.ndarray) -> float:
        lo, hi = np.percentile(xy, 5, axis=0), np.percentile(xy, 95, axis=0)
        return float(np.linalg.norm(hi - lo)) / torso

    pelvis = travel(pts[:, 0:2])
    foot = max(travel(pts[:, 2:4]), travel(pts[:, 4:6]))
    return pelvis / (pelvis + foot) if pelvis + foot > 0 else math.nan


def mover_fit(ex: Exercise, frames: _Frames, reps: list) -> float:
    """Whether the body (pelvis) or a limb (foot) makes the exercise's reps, as the exercise does it."""
    expect = BODY_MOVES.get(ex.id)
    if expect is None or not reps:
        return 1.0
    shares = [s for r in reps if math.isfinite(s := body_or_limb(frames, r.start_s, r.end_s))]
    if not shares:
        return 1.0
    share = float(np.median(shares))
    return _ramp(share, 0.2, 0.5) if expect else _ramp(-share, -0.5, -0.2)


def stance_fit(ex: Exercise, frames: _Frames, spans: list[tuple[float, float]]) -> float:
    """Feet together or split, as the exercise stands, judged at its deepest (side and oblique views only:
    from the front a split stance hides in depth)."""
    split = SPLIT_STANCE.get(ex.id)
    if split is None or not spans:
        return 1.0
    gaps = []
    for start, end in spans:
        sl = frames.span(start, end)
        pts = frames.points[sl]
        side_on = np.array([v in ("side", "oblique") for v in frames.views[sl]], dtype=bool)
        pts = pts[side_on & np.isfinite(pts).all(axis=1)] if len(pts) else pts
        if len(pts) >= 3:
            gaps.append(float(np.percentile(np.abs(pts[:, 2] - pts[:, 4]) / pts[:, 6], 80)))
    if not gaps:
        return 1.0
    gap = float(np.median(gaps))
    lo, hi = SPLIT_TORSOS
    return _ramp(gap, lo, hi) if split else _ramp(-gap, -hi, -lo)


def rest_fit(ex: Exercise, frames: _Frames) -> float:
    """A rep exercise spends time at its rest position: some frame must have a side on the rest side of the
    range (the person's own rest may be 10-20 deg off the textbook one: the line is 60 % of the way)."""
    if ex.motion is None or ex.kind not in ("reps", "reps_hold"):
        return 1.0
    motions = [ex.motion, *(v.motion for v in ex.variants)]
    sides = ("both",) if ex.sides == "both" else ("left", "right")
    values = frames.values
    known = np.array([p is not None for p in frames.posture])
    if not known.any():
        return 0.0
    at_rest = np.zeros(len(values), dtype=bool)
    for m in motions:
        sgn = 1.0 if m.direction == "up" else -1.0
        line = m.rest + 0.6 * (m.target - m.rest)
        for side in sides:
            sig = _evaluate(m, values, side)
            with np.errstate(invalid="ignore"):
                at_rest |= np.isfinite(sig) & (sgn * (sig - line) < 0)
    share = float(at_rest[known].mean())
    return _ramp(share, 0.02, 0.15)


def _evaluate(m: Motion, values: np.ndarray, side: str) -> np.ndarray:
    """The motion's drive signal over rows of values (NaN where a signal is missing)."""
    return _evaluate_expr(m.signal, values, side)


def _evaluate_expr(expr: Expr, values: np.ndarray, side: str) -> np.ndarray:
    """A signal expression over rows of values (NaN where a signal is missing)."""
    total = np.zeros(len(values))
    for sign, name in expr.terms:
        name = resolve_name(name, side)
        if name in _IDX:
            total = total + sign * values[:, _IDX[name]]
        else:  # a bilateral mean (`knee`): mean of the readable sides
            both = values[:, [_IDX[f"left_{name}"], _IDX[f"right_{name}"]]]
            count = np.isfinite(both).sum(axis=1)
            mean = np.where(count > 0, np.nansum(both, axis=1) / np.maximum(count, 1), np.nan)
            total = total + sign * mean
    return total


def position_fit(ex: Exercise, frames: _Frames, holds: list) -> float:
    """How squarely the held position sits inside the exercise's own position: a hold that keeps each condition
    well inside its bounds (TYPICAL_MARGIN_DEG) is this exercise; one grazing a bound is a neighbour's."""
    if ex.hold is None or not holds:
        return 1.0
    fits = []
    for h in holds:
        sl = frames.span(h.start_s, h.end_s)
        rows = frames.values[sl]
        if not len(rows):
            continue
        side = h.side if h.side in ("left", "right") else "both"
        inside = np.ones(len(rows))
        for cond in _position(ex):
            inside = np.fmin(inside, _margin(cond, rows, side))
        fits.append(float(np.nanmean(inside)) if np.isfinite(inside).any() else 1.0)
    return 0.4 + 0.6 * float(np.mean(fits)) if fits else 1.0


def _position(ex: Exercise) -> list[Condition]:
    """The hold's position conditions, plus its depth line (from `depth_min` on, the position is the stretch)."""
    spec = ex.hold
    assert spec is not None
    conds = list(spec.position)
    if spec.depth_signal is not None and spec.depth_min is not None:
        up = spec.depth_direction == "up"
        conds.append(Condition("depth", spec.depth_signal, lo=spec.depth_min if up else -math.inf,
                               hi=math.inf if up else spec.depth_min))
    return conds


def _margin(cond: Condition, rows: np.ndarray, side: str) -> np.ndarray:
    """Per row, how far inside the condition's bounds the value is, as a share of TYPICAL_MARGIN_DEG (0..1)."""
    v = _evaluate_expr(cond.expr, rows, side)
    margin = np.full(len(rows), np.inf)
    if math.isfinite(cond.lo):
        margin = np.fmin(margin, v - cond.lo)
    if math.isfinite(cond.hi):
        margin = np.fmin(margin, cond.hi - v)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(v), np.clip(margin / TYPICAL_MARGIN_DEG, 0.0, 1.0), np.nan)


def fault_fit(tracker: Tracker, units: int, t0: float) -> float:
    """Faults on every rep suggest the frames are not this exercise (a squat read as a lunge leans "too far")."""
    faults = [f for f in tracker.faults if f.t_s >= t0]
    if not faults or units == 0:
        return 1.0
    per_unit = len(faults) / units
    return 1.0 / (1.0 + 0.25 * min(per_unit, 4.0))


def _ramp(x: float, lo: float, hi: float, floor: float = 0.15) -> float:
    """floor at or below lo, 1 at or above hi, linear between."""
    return float(floor + (1 - floor) * np.clip((x - lo) / (hi - lo), 0.0, 1.0))


def _evidence_words(reps: list, partials: list, holds: list) -> str:
    parts = []
    if reps:
        parts.append(f"{len(reps)} rep{'s' * (len(reps) != 1)}")
    if partials:
        parts.append(f"{len(partials)} partial")
    if holds:
        parts.append(f"held {sum(h.duration_s for h in holds):.0f} s")
    return ", ".join(parts) or "nothing counted"


# --- deciding --------------------------------------------------------------------------------------------


def decide(candidates: list[Candidate], frames: _Frames) -> Recognition:
    ranked = sorted(candidates, key=lambda c: -c.score)
    posture, view = frames.main_posture(), frames.main_view()
    if not ranked or ranked[0].score <= 0.0:
        best = ranked[0] if ranked else None
        reason = f"{POSTURE_WORDS[posture]}; no exercise fits what was seen"
        return Recognition(None, "", 0.0, reason, best.id if best else None, best.name if best else "", posture,
                           view, tuple(ranked), False)
    best = ranked[0]
    second = ranked[1] if len(ranked) > 1 else Candidate("", "", 0.0, "")
    squares = sum(c.score ** 2 for c in ranked)
    confidence = (best.score ** 2 / squares) * min(1.0, best.score / SURE_SCORE)
    sure = best.score >= max(SURE_SCORE, MIN_SCORE) and second.score <= SURE_MARGIN * best.score
    reason = f"{POSTURE_WORDS[posture]}, {motion_words(best.id)}: {best.name.lower()} ({best.evidence})"
    return Recognition(best.id, best.name, float(confidence), reason, second.id or None, second.name, posture, view,
                       tuple(ranked), sure)


def motion_words(exercise_id: str) -> str:
    return MOTION_WORDS.get(exercise_id, "its motion")


# --- front doors -------------------------------------------------------------------------------------------


def recognize_stream(frames: Iterable[Kinematics], catalog: Catalog | Mapping[str, Exercise]) -> Recognition:
    """Recognition over a stream of smoothed kinematics (what `AnglePipeline.step(...).kin` gives)."""
    rec = Recognizer(catalog)
    for kin in frames:
        rec.update(kin)
    rec.finish()
    return rec.result()


def recognize_clip(path_or_track: str | Path | PoseTrack, catalog: Catalog | Mapping[str, Exercise], *,
                   model_path: str | Path | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Recognition:
    """Which exercise a clip (a video path, or its recorded poses) shows. A path runs MediaPipe once."""
    from posecheck.pipeline import record_track

    track = path_or_track if isinstance(path_or_track, PoseTrack) else \
        record_track(path_or_track, model_path=model_path, progress=progress)
    return recognize_stream(track_kinematics(track), catalog)


def track_kinematics(track: PoseTrack) -> Iterable[Kinematics]:
    """The smoothed kinematics of a recorded track, frame by frame, as the analysis computes them."""
    from posecheck.pipeline import DEFAULT_SMOOTHING, DEFAULT_SOURCE, AnglePipeline
    from posecheck.posetrack import ReplayEstimator
    from posecheck.sources import Frame

    blank = np.broadcast_to(np.zeros(1, np.uint8), (track.height, track.width, 3))
    with AnglePipeline(DEFAULT_SOURCE, DEFAULT_SMOOTHING, estimator=ReplayEstimator(track)) as pipe:
        for i, t in enumerate(track.t_s):
            yield pipe.step(Frame(float(t), blank, i)).kin


# --- Live: "this looks like another exercise" ------------------------------------------------------------


SUGGEST_EVERY_S = 2.0  # how often the live window is judged (a judgement costs tens of milliseconds)


class LiveSuggester:
    """Recognition over a rolling window of a live stream, for "This looks like a glute bridge: switch?".

    `observe(kin)` runs on the camera thread (every `stride`-th frame feeds the recogniser: recognition needs no
    more than 15 frames a second) and re-judges the window every SUGGEST_EVERY_S; `latest` is one reference,
    replaced whole, so the page reads it from its own thread without a lock.
    """

    def __init__(self, catalog: Catalog | Mapping[str, Exercise], window_s: float = WINDOW_S, stride: int = 2) -> None:
        self._catalog = catalog
        self.window_s = window_s
        self.stride = max(1, stride)
        self._rec = Recognizer(catalog, window_s)
        self._n = 0
        self._judged_at: float | None = None
        self.latest: Recognition | None = None

    def observe(self, kin: Kinematics) -> None:
        self._n += 1
        if self._n % self.stride:
            return
        self._rec.update(kin)
        if self._judged_at is None or kin.t_s < self._judged_at:
            self._judged_at = kin.t_s  # a new stream's clock
        elif kin.t_s - self._judged_at >= SUGGEST_EVERY_S:
            self._judged_at = kin.t_s
            self.latest = self._rec.result()

    def reset(self) -> None:
        """Forget the window (a new stream, a reset)."""
        self._rec = Recognizer(self._catalog, self.window_s)
        self._judged_at, self.latest = None, None

    def suggestion(self, current_id: str, counted: bool = False) -> Recognition | None:
        """What the last window looked like, when that is surely another exercise than `current_id`.

        `counted`: the chosen exercise has counted a rep or a hold in the set in progress. Then a hold done in the
        chosen exercise's own posture is not suggested: resting in its start position after the set reads as that
        hold (standing still after squats looks like a standing pelvic tilt)."""
        rec = self.latest
        if rec is None or rec.id is None or rec.id == current_id or not rec.sure:
            return None
        if rec.score_of(current_id) >= 0.5 * rec.candidates[0].score:
            return None  # the chosen exercise reads the motion about as well
        if counted and self._rest_lookalike(current_id, rec.id):
            return None
        return rec

    def _rest_lookalike(self, current_id: str, other_id: str) -> bool:
        """`other_id` is a hold in `current_id`'s posture: its position can be the chosen exercise's rest."""
        exercises = self._catalog.exercises if isinstance(self._catalog, Catalog) else self._catalog
        cur, other = exercises.get(current_id), exercises.get(other_id)
        return (cur is not None and other is not None and other.kind == "hold"
                and other.posture in (cur.posture, "any"))
