"""Reps: one clear excursion of the drive signal from the person's OWN rest and back; how deep it went is judged
separately.

Each way a rep can be made has a channel: a side (or both) x a variant of the motion (the exercise's own, and
any `[[variants]]`). A channel learns its rest level from the person's still frames (camera angle and body
shape shift every angle by 10-20 deg, so the textbook rest is only the first guess), leaves rest by more than
the hysteresis, and returns. Its excursion counts as a rep when it reaches `count_fraction` of the textbook
range; short of the textbook target it counts and is flagged shallow (with `strict_depth` it is a partial);
under the count threshold but over `partial_min_deg` it is a partial. Channels whose reps overlap in time are
one movement seen twice (both thighs rise in a lunge; a variant and the base read the same raise): the best
fitting one is kept. A rep cut by the clip's start or end (or a camera cut) counts when its turning point is
inside: at least half of the way out was seen, and the turn itself (a return, or a still moment at the top).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from posecheck.engine.checks import FormChecks
from posecheck.engine.primitives import Chord, Debounce
from posecheck.engine.recorder import HOLD_TOLERANCE_S, Recorder, Strategy
from posecheck.engine.signals import Values, all_true, expand, mirror
from posecheck.exercises import Exercise, Motion, Variant
from posecheck.kinematics import Kinematics
from posecheck.records import Event, HoldRecord, RepRecord

END_CONFIRM_S = 0.15  # a rep ends when the signal has stayed back this long (a one-frame glitch is no return)
RETURN_FRACTION = 0.3  # back within this share of the excursion (from its start) is a return to rest
CORE_FRACTION = 0.5  # a rep's core: where it is beyond this share of its own peak (for overlap tests)
SEEN_FRACTION = 0.5  # a rep cut by the clip start counts if at least this much of its way out was seen,
OPENING_HOLD_S = 0.5  # a still top starting this soon after such a clip starts is the hold it opened on
OUT_MAX_S = 3.0  # ... and its peak came this soon (later, the clip opened on a held position, not a way out)
TURN_SEEN_FRACTION = 1 / 3  # ... cut by the clip end: if it came back this much from its peak, or
TURN_HOLD_S = 1.0  # ... stayed still at its top this long (a held turning point), or, in an exercise whose
TURN_HOLD_HELD_S = 0.25  # reps hold the top (reps_hold), settled still there this long: that is its turn
REST_STILL_DEG_S = 20.0  # slower than this the person is still (for learning their rest level)
REST_LEARN_S = 0.3  # a still spell on the rest side this long teaches the rest level
TOP_GAP_S = 0.3  # a moving moment shorter than this does not break a top hold
JUMP_DEG = 25.0  # a reading that changes this much from one frame to the next (> ~750 deg/s) jumped: no body
# moves that fast, MediaPipe swapped or re-drew a leg
JUMP_END_S = 0.4  # an excursion whose return came within this of a jump ended by the jump, not by moving back
MEDIAN_S = 0.2  # the channel reads its signal through a running median this long: a glitch of a few frames
# (MediaPipe drawing one leg onto the other) neither starts, peaks nor ends a rep


# --- what a rep is (pure: the engine and the tests' ground truth use the same rule) ---------------------


def count_threshold(m: Motion, rest_value: float) -> float:
    """The excursion a rep needs from a person resting at `rest_value`: `count_fraction` of the way from there to
    the textbook target (never less than half the textbook range's worth)."""
    sgn = 1.0 if m.direction == "up" else -1.0
    return m.count_fraction * max(sgn * (m.target - rest_value), 0.5 * sgn * (m.target - m.rest))


def classify(m: Motion, rest_value: float, peak_value: float) -> str:
    """"rep" (reached the target), "shallow" (counts, short of it), "partial" (an attempt under the count
    threshold) or "none" (too small to be an attempt), for an excursion from rest_value to peak_value."""
    sgn = 1.0 if m.direction == "up" else -1.0
    travel = sgn * (peak_value - rest_value)
    if travel >= count_threshold(m, rest_value):
        return "rep" if sgn * (peak_value - m.target) >= 0 else "shallow"
    return "partial" if travel >= m.partial_min_deg else "none"


# --- the person's own rest -----------------------------------------------------------------------


@dataclass
class RestLevel:
    """The rest value of one drive signal, learned from the person's still frames on the rest side of the range
    (never from a still top: a held bridge is still too). Until learned, the textbook rest."""

    textbook: float
    sgn: float
    travel: float
    learned: float | None = None
    _run: list[float] = field(default_factory=list)
    _run_since: float | None = None

    @property
    def value(self) -> float:
        return self.learned if self.learned is not None else self.textbook

    def update(self, t: float, v: float, speed: float | None) -> None:
        rest_side = self.sgn * (v - self.textbook) < 0.5 * self.travel
        if speed is None or speed > REST_STILL_DEG_S or not rest_side:
            self._run, self._run_since = [], None
            return
        if self._run_since is None:
            self._run_since = t
        self._run.append(v)
        if t - self._run_since >= REST_LEARN_S:
            recent = sorted(self._run[-60:])
            self.learned = recent[len(recent) // 2]

    def reset(self) -> None:
        self.learned, self._run, self._run_since = None, [], None


# --- one excursion -------------------------------------------------------------------------------


@dataclass
class Excursion:
    """A rep in progress on one channel (values in the channel's own signal; `e` = travel from rest)."""

    start_s: float
    start_val: float  # the signal where it last rested
    rest_e: float  # excursion at the start (0 from a full rest; more after a partial return)
    armed: bool  # the channel had rested first (else: getting into position, never counted)
    cut_start: bool = False  # already out of rest when the clip (or a new shot) began
    first_e: float = 0.0  # excursion at the clip start (cut_start)
    peak_e: float = 0.0
    peak_val: float = math.nan
    peak_s: float = 0.0
    peak_angles: dict[str, float] = field(default_factory=dict)
    samples: list[tuple[float, float]] = field(default_factory=list)  # (t, e): for the core
    require_seen: bool = False  # the motion's own condition seen true at any point (or it has none)
    require_true: bool = False  # ... seen true at the top
    require_false: bool = False  # ... seen false at the top (known not to be this motion there)
    faults: list[str] = field(default_factory=list)
    back: Debounce = field(default_factory=lambda: Debounce(END_CONFIRM_S))
    top_since: float | None = None  # start of the current still spell near the top
    top_last: float | None = None  # last still frame near the top
    best_top_s: float = 0.0
    top_spans: list[tuple[float, float]] = field(default_factory=list)
    speed: float = math.inf  # deg/s of the drive's fastest component signal (see RepStrategy._update_speed)
    chords: dict[str, Chord] = field(default_factory=dict)
    in_target: bool = False
    jump_s: float | None = None  # the last jump of the raw reading while out (see JUMP_DEG)

    @property
    def ended_by_jump(self) -> bool:
        return self.jump_s is not None and self.back.since is not None and self.back.since - self.jump_s <= JUMP_END_S

    def core(self) -> tuple[float, float]:
        level = CORE_FRACTION * self.peak_e
        times = [t for t, e in self.samples if e >= level]
        return (times[0], times[-1]) if times else (self.peak_s, self.peak_s)

    def top_hold_s(self) -> float:
        """The longest still spell at the top so far (the current one up to its last still frame)."""
        current = 0.0
        if self.top_since is not None and self.top_last is not None:
            current = self.top_last - self.top_since
        return max(self.best_top_s, current)


# --- a channel: one side x one way of doing it ----------------------------------------------------


class Channel:
    """The excursion state machine of one drive signal: rest (learning its level) -> out -> back."""

    def __init__(self, side: str, motion: Motion, variant: Variant | None) -> None:
        self.side, self.m, self.variant = side, motion, variant
        self.sgn = 1.0 if motion.direction == "up" else -1.0
        self.travel = self.sgn * (motion.target - motion.rest)
        self.rest = RestLevel(motion.rest, self.sgn, self.travel)
        self.chord = Chord()
        self.recent: deque[tuple[float, float]] = deque()
        self.last_raw: tuple[float, float] | None = None  # (t, value) before the median, for jumps
        self.resting = Debounce(motion.min_rest_s)
        self.armed = False
        self.started = False  # has seen a usable frame since the clip (or shot) began
        self.low_val = math.nan  # the most rested reading since the last rep: where the next one starts from
        self.low_t = 0.0
        self.rep: Excursion | None = None
        self.speed: float | None = None  # deg/s of the (median) signal, as a chord (None until known)

    @property
    def key(self) -> str:
        return f"{self.side}:{self.variant.id if self.variant else ''}"

    @property
    def min_e(self) -> float:
        return count_threshold(self.m, self.rest.value)

    def excursion(self, v: float) -> float:
        return self.sgn * (v - self.rest.value)

    @property
    def low_e(self) -> float:
        return self.excursion(self.low_val) if math.isfinite(self.low_val) else math.inf

    def depth(self, v: float) -> float:
        """Progress toward the textbook target (1 = reached it)."""
        return self.sgn * (v - self.m.rest) / self.travel if self.travel else 0.0

    def applies(self, values: Values) -> bool:
        return all_true(self.m.when, values, self.side) is not False

    def reset(self) -> None:
        """A new shot: rest must be learned again (another camera angle shifts every reading)."""
        self.rest.reset()
        self.chord.reset()
        self.recent.clear()
        self.last_raw = None
        self.resting.reset()
        self.started, self.low_val, self.rep = False, math.nan, None

    # --- per frame ------------------------------------------------------------------------------

    def latest(self) -> float:
        """The excursion now, from the last few raw readings (not the median, which lags a moving signal by half
        its window: at a clip's end the last movement must be read as it was)."""
        last = [v for _, v in list(self.recent)[-3:]]
        return self.excursion(sum(last) / len(last)) if last else math.nan

    def median(self, t: float, v: float) -> float:
        self.recent.append((t, v))
        while t - self.recent[0][0] > MEDIAN_S:
            self.recent.popleft()
        vals = sorted(x for _, x in self.recent)
        n = len(vals)
        return vals[n // 2] if n % 2 else 0.5 * (vals[n // 2 - 1] + vals[n // 2])

    def update_unreliable(self, t: float, v: float) -> Excursion | None:
        """A reading MediaPipe is unsure of (a far leg lying occluded): enough to see the leg rest or a rep come
        back to rest, never to start one or set its peak."""
        rep = self.rep
        if not math.isfinite(v):
            return None
        e = self.excursion(v)
        if rep is None:  # resting needs no sure reading: a far leg lying still is often occluded
            if self.resting.update(t, e <= self.m.hysteresis_deg):
                self.armed = True
            return None
        if rep.back.update(t, e <= self._back_level(rep)) and rep.back.since is not None:
            self.rep = None
            self.low_t, self.low_val = t, v
            return rep
        return None

    def _back_level(self, rep: Excursion) -> float:
        return max(rep.rest_e + RETURN_FRACTION * (rep.peak_e - rep.rest_e), rep.rest_e + self.m.hysteresis_deg / 2)

    def watch_jumps(self, t: float, raw: float) -> None:
        """Every frame's reading, trusted or not: a jump no body can make while out marks the excursion (the
        glitch gate hides such frames from the counting, so they are watched here)."""
        if not math.isfinite(raw):
            return
        last = self.last_raw
        if self.rep is not None and last is not None and t - last[0] <= 0.1 and abs(raw - last[1]) >= JUMP_DEG:
            self.rep.jump_s = t
        self.last_raw = (t, raw)

    def update(self, t: float, v: float) -> Excursion | None:
        """One usable reading of the signal; returns the excursion that ended on this frame, if any."""
        v = self.median(t, v)
        speed = self.speed = self.chord.add(t, v)
        rep = self.rep
        opening = rep is not None and rep.cut_start and rep.peak_e - rep.first_e < self.m.hysteresis_deg
        if self.rep is None or opening:
            self.rest.update(t, v, speed)
            if opening and self.rest.learned is not None:
                # The clip opened on a still level on the rest side of the range: that was this person's rest
                # (their own differs from the textbook's), not the middle of a rep.
                self.rep, self.armed, self.low_val, self.low_t = None, True, v, t
        e = self.excursion(v)
        hyst = self.m.hysteresis_deg
        if not self.started:
            self.started = True
            if e > 2 * hyst:  # the clip (or shot) opens mid-rep: follow it, decide at its end
                self.rep = Excursion(t, v, 0.0, True, cut_start=True, first_e=e)
                self._track(self.rep, t, v, e)
                return None
            self.armed = True  # it opens at (or just off) rest: already in position, its first rep counts
        if self.rep is None:
            self._rest_step(t, v, e)
            return None
        rep = self.rep
        self._track(rep, t, v, e)
        if rep.back.update(t, e <= self._back_level(rep)) and rep.back.since is not None:
            self.rep = None
            self.low_t, self.low_val = t, v
            return rep
        return None

    def _rest_step(self, t: float, v: float, e: float) -> None:
        hyst = self.m.hysteresis_deg
        if self.resting.update(t, e <= hyst) or self.rest.learned is not None:
            self.armed = True
        if e <= self.low_e + 1.0:  # a rep starts where the signal last sat at its most rested value
            self.low_t = t
            if e <= self.low_e:
                self.low_val = v
        if e > max(self.low_e, 0.0) + hyst:
            base = max(self.low_e, 0.0)
            start_val = self.low_val if math.isfinite(self.low_val) else v
            self.rep = Excursion(self.low_t, start_val, base, self.armed)
            self._track(self.rep, t, v, e)
            self.low_val = math.nan

    def _track(self, rep: Excursion, t: float, v: float, e: float) -> None:
        rep.samples.append((t, e))
        if e > rep.peak_e or not math.isfinite(rep.peak_val):
            rep.peak_e, rep.peak_val, rep.peak_s = e, v, t

    # --- judging a finished (or cut) excursion ------------------------------------------------------

    def own_excursion(self, rep: Excursion) -> float:
        return rep.peak_e - rep.rest_e

    def own_motion(self, rep: Excursion) -> bool:
        """The person made this excursion: out from a rest seen first (armed), not arrived at by a jump of the
        reading (a label swap), and, if the clip opened on it, at least half of the way out seen."""
        moved = not rep.cut_start or rep.peak_e - rep.first_e >= SEEN_FRACTION * rep.peak_e
        return rep.armed and moved and rep.jump_s is None

    def counts(self, rep: Excursion) -> bool:
        """Reached the count threshold as a real rep of this channel's motion (depth is judged apart). Its own
        condition must not be known false; short of the textbook target it must be seen true, since a shallow
        excursion is where other movements look alike (a step forward lifts the thigh like a shallow lunge)."""
        if not rep.armed or self.own_excursion(rep) < self.min_e or (rep.require_false and not rep.require_true):
            return False
        if self.m.require and not self.full(rep) and not rep.require_true:
            return False
        if rep.cut_start:  # the clip began part-way out: at least half of the way out must be seen
            seen = rep.peak_e - rep.first_e >= SEEN_FRACTION * rep.peak_e
            return seen and rep.peak_s - rep.start_s <= OUT_MAX_S
        return True

    def turned(self, rep: Excursion, e_now: float, held_top: bool) -> bool:
        """Its turning point is seen: it came back part of the way, or stayed still at the top (briefly will do
        where the exercise holds its top: settling there is that rep's turn)."""
        returned = rep.peak_e - e_now >= TURN_SEEN_FRACTION * self.own_excursion(rep)
        return returned or rep.top_hold_s() >= (TURN_HOLD_HELD_S if held_top else TURN_HOLD_S)

    def full(self, rep: Excursion) -> bool:
        return self.depth(rep.peak_val) >= 1.0 - 1e-9


# --- the strategy --------------------------------------------------------------------------------


@dataclass
class _Candidate:
    channel: Channel
    rep: Excursion
    end_s: float
    counted: bool  # a rep (else a partial)
    cut: str  # "" | "start" | "end" | "cut"
    core: tuple[float, float]

    def score(self) -> tuple[bool, bool, float]:
        c = self.channel
        return (self.counted, self.rep.require_true, c.own_excursion(self.rep) / c.travel if c.travel else 0.0)

    @property
    def suspect(self) -> bool:
        """Ended by a jump of the reading (a label swap), not by moving back: maybe the other leg's rep."""
        return self.rep.ended_by_jump

    def overlaps(self, other: _Candidate) -> bool:
        if self.suspect or other.suspect:  # the whole spans: the swap may hand the movement over mid-way
            return min(self.end_s, other.end_s) > max(self.rep.start_s, other.rep.start_s)
        (a0, a1), (b0, b1) = self.core, other.core
        shorter = max(min(a1 - a0, b1 - b0), 1e-6)
        return min(a1, b1) - max(a0, b0) >= 0.5 * shorter or (a0 == a1 and b0 <= a0 <= b1) or (
            b0 == b1 and a0 <= b0 <= a1)


WRONG_SIDE_SHOW_S = 3.0  # how long the "that's your other leg" cue stays after the other side moved
WRONG_SIDE_TURN_S = 0.1  # the other side's excursion turned (still at its top, or on its way back) this long
MAX_WAIT_S = 1.0  # a finished rep waits at most this long for an overlapping one on another channel
SIDE_LEAD_DEG = 5.0  # of two readings of one movement, the one that went clearly (this much) farther worked


def _best(group: list[_Candidate]) -> _Candidate:
    """One movement seen on several channels: a rep over a partial, the motion's own condition seen over not,
    then the one that went clearly farther, else the one that started first (both thighs leave rest together in
    a lunge, and from the front they read alike: the leg that led it)."""
    top = max(group, key=_Candidate.score)
    first = min((c for c in group if c.score()[:2] == top.score()[:2]), key=lambda c: c.rep.start_s)
    lead = top.channel.own_excursion(top.rep) - first.channel.own_excursion(first.rep)
    return top if lead > SIDE_LEAD_DEG else first


class RepStrategy(Strategy):
    """reps and reps_hold exercises: channels per side and variant, arbitrated into one count."""

    def __init__(self, exercise: Exercise, sides: tuple[str, ...], checks: FormChecks, rec: Recorder,
                 strict_depth: bool | None = None) -> None:
        assert exercise.motion is not None
        self.ex, self.checks, self.rec, self.sides = exercise, checks, rec, sides
        ways: list[tuple[Motion, Variant | None]] = [(exercise.motion, None)]
        ways += [(v.motion, v) for v in exercise.variants]
        self.channels = [Channel(s, m, v) for s in sides for m, v in ways]
        # A set for one side: the other side's channels watch, never count, so a rep there can be told.
        others = [s for s in ("left", "right") if exercise.per_side and len(sides) == 1 and s not in sides]
        self.shadows = [Channel(s, m, v) for s in others for m, v in ways]
        self._shadow_turns = {ch.key: Debounce(WRONG_SIDE_TURN_S) for ch in self.shadows}
        self._wrong_until = -math.inf
        self._wrong_side: str | None = None
        self.strict = exercise.motion.strict_depth if strict_depth is None else strict_depth
        self.pending: list[_Candidate] = []
        self._kept: list[_Candidate] = []  # the last reps recorded (a later overlapping one is the same movement)
        self.lead: Channel | None = None
        self.phase = "setup"
        self._t = 0.0
        self._shot_begun, self._shot_t0 = False, 0.0

    # --- the strategy interface ---------------------------------------------------------------

    def update(self, t: float, _dt: float, kin: Kinematics, values: Values, events: list[Event]) -> Values:
        self._t = t
        if not self._shot_begun:  # the clip's (or shot's) first frame: only now can a rep be cut by its start
            self._shot_begun, self._shot_t0 = True, t
            for ch in self.channels:  # a channel that cannot be mid-rep now (hidden, not its way, not its motion)
                ch.started = (not math.isfinite(ch.m.signal.evaluate(values, ch.side)) or not ch.applies(values)
                              or all_true(ch.m.require, values, ch.side) is False)
        for ch in self.channels:
            raw = ch.m.signal.evaluate(kin.angles, ch.side)
            ch.watch_jumps(t, raw)
            # A way of doing it (a variant) is chosen as a rep begins: mid-rep, where the legs overlap, MediaPipe
            # may exchange their readings and flip the condition for a moment.
            v = ch.m.signal.evaluate(values, ch.side) if ch.rep is not None or ch.applies(values) else math.nan
            if not math.isfinite(v):  # hidden or not this way of doing it: freeze, but see it come back
                done = ch.update_unreliable(t, raw)
                if done is not None:
                    self._candidate(ch, done, t, "")
                continue
            done = ch.update(t, v)
            if done is not None:
                self._candidate(ch, done, t, "")
            if ch.rep is not None:
                self._follow(ch, ch.rep, t, values, events)
        self._watch_shadows(t, kin, values)
        self._resolve(t, events, final=False)
        self.lead = self._leader()
        check_values = values
        if self.lead is not None and self.lead.rep is not None:
            check_values = self._check_values(self.lead, self.lead.rep, values)
        self.phase = self._phase()
        return check_values

    def pause(self, t: float, events: list[Event], kin: Kinematics | None = None) -> None:
        """Nothing to count this frame; with `kin` (every drive hidden, the person in view) a rep may still be
        seen coming back through MediaPipe's unsure readings."""
        for ch in self.channels:
            ch.resting.reset()
            if kin is not None and kin.detected:
                raw = ch.m.signal.evaluate(kin.angles, ch.side)
                ch.watch_jumps(t, raw)
                done = ch.update_unreliable(t, raw)
                if done is not None:
                    self._candidate(ch, done, t, "")
        if kin is not None:
            self._resolve(t, events, final=False)

    def abandon(self, t: float, events: list[Event]) -> None:
        """A camera cut or another body: what was in progress ends here, as at a clip's end; start afresh."""
        self._close_open(t, "cut", events)
        for ch in self.channels + self.shadows:
            ch.reset()
        for turn in self._shadow_turns.values():
            turn.reset()
        self._shot_begun = False
        self.lead = None
        self.phase = "setup"

    def finish(self, t: float, events: list[Event]) -> None:
        self._close_open(t, "end", events)

    def active_side(self) -> str | None:
        return self.lead.side if self.lead is not None else None

    def wrong_side(self) -> str | None:
        return self._wrong_side if self._t <= self._wrong_until else None

    def _watch_shadows(self, t: float, kin: Kinematics, values: Values) -> None:
        """A set for one side: the other side's channels follow its excursions as the counter does its own, and
        one that is that side's rep (see _shadow_rep) is told (for a few seconds), never counted. Told once it has
        turned (still at its top, or on its way back) or ended: getting the support leg into position rises too,
        but settles bent, where the motion's own condition fails. Not while this set's side is out on a rep the
        counter would count (both sides read one movement)."""
        busy = any(c.rep is not None and self._doing_rep(c, c.rep, values) and c.own_excursion(c.rep) >= c.min_e
                   for c in self.channels)
        for ch in self.shadows:
            ch.watch_jumps(t, ch.m.signal.evaluate(kin.angles, ch.side))
            v = ch.m.signal.evaluate(values, ch.side) if ch.rep is not None or ch.applies(values) else math.nan
            done = ch.update(t, v) if math.isfinite(v) else None
            rep = ch.rep
            if rep is not None:
                self._shadow_top(ch, rep, values)
            turned = rep is not None and self._shadow_rep(ch, rep, values) and self._turning(ch, rep)
            turned = self._shadow_turns[ch.key].update(t, turned and not busy)
            ended = done is not None and self._shadow_rep(ch, done, None) and t - done.start_s >= ch.m.min_rep_s
            if turned or (ended and not busy):
                self._wrong_side, self._wrong_until = ch.side, t + WRONG_SIDE_SHOW_S

    @staticmethod
    def _doing_rep(ch: Channel, rep: Excursion, values: Values | None) -> bool:
        """The person's own excursion on this channel, its motion's condition not known false at the top (the
        leader's rule) nor (with `values`) now: a support knee bent after rising is no rep of that leg."""
        if not ch.own_motion(rep) or (rep.require_false and not rep.require_true):
            return False
        return values is None or all_true(ch.m.require, values, ch.side) is not False

    def _shadow_rep(self, ch: Channel, rep: Excursion, values: Values | None) -> bool:
        """The other side's rep, judged stricter than the counter (a cue is said at once, a count has its whole
        excursion to be judged): past the count threshold, and its motion's condition seen true at the top and
        never false there."""
        strict = not ch.m.require or (rep.require_true and not rep.require_false)
        return strict and self._doing_rep(ch, rep, values) and ch.own_excursion(rep) >= ch.min_e

    @staticmethod
    def _shadow_top(ch: Channel, rep: Excursion, values: Values) -> None:
        """The counter's reading of the top (see _follow), with the condition read as is (no label-swap mirror)."""
        e = rep.samples[-1][1] if rep.samples else 0.0
        band = max(ch.m.hysteresis_deg, 0.15 * ch.own_excursion(rep))
        rep.in_target = e >= ch.min_e + rep.rest_e and e >= rep.peak_e - band
        if rep.in_target:
            ok = all_true(ch.m.require, values, ch.side)
            rep.require_true = rep.require_true or ok is True
            rep.require_false = rep.require_false or ok is False

    @staticmethod
    def _turning(ch: Channel, rep: Excursion) -> bool:
        """Still at its top, or come back part of the way from it (the counter's turning point)."""
        e = rep.samples[-1][1] if rep.samples else rep.peak_e
        still = rep.in_target and ch.speed is not None and ch.speed < REST_STILL_DEG_S
        return still or rep.peak_e - e >= TURN_SEEN_FRACTION * ch.own_excursion(rep)

    def attach_fault(self, code: str, _severity: str) -> None:
        rep = self.lead.rep if self.lead is not None else None
        if rep is not None and code not in rep.faults:
            rep.faults.append(code)

    def shown_hold_s(self) -> float | None:
        if self.ex.kind != "reps_hold" or self.lead is None or self.lead.rep is None:
            return None
        return self.lead.rep.top_hold_s()

    # --- following an excursion ---------------------------------------------------------------------

    def _follow(self, ch: Channel, rep: Excursion, t: float, values: Values, events: list[Event]) -> None:
        """Per frame while out: the top band, the motion's own condition there, the still top and its hold."""
        e = rep.samples[-1][1] if rep.samples else 0.0  # this frame's (median) reading
        band = max(ch.m.hysteresis_deg, 0.15 * ch.own_excursion(rep))
        rep.in_target = e >= ch.min_e + rep.rest_e and e >= rep.peak_e - band
        ok = self._motion_ok(ch, rep, values)
        rep.require_seen = rep.require_seen or ok is True or not ch.m.require
        if rep.in_target:
            rep.require_true = rep.require_true or ok is True
            rep.require_false = rep.require_false or ok is False
        if e >= rep.peak_e:  # a new peak (just set by the channel): what the joints read there
            rep.peak_angles = {k: round(v, 1) for k, v in values.items() if k.startswith(("left_", "right_", "trunk"))}
        self._update_speed(ch, rep, t, values)
        still = rep.in_target and rep.speed < ch.m.hold_still_deg_s and (
            not self.checks.error_failing())
        before = rep.top_hold_s()
        if still:
            if rep.top_since is None or (rep.top_last is not None and t - rep.top_last > TOP_GAP_S):
                self._close_top(rep)
                rep.top_since = t
            rep.top_last = t
        elif rep.top_last is not None and t - rep.top_last > TOP_GAP_S:
            self._close_top(rep)
        ht = self.ex.targets.hold_s if self.ex.kind == "reps_hold" else None
        if ht and before < ht <= rep.top_hold_s():
            events.append(Event("hold_complete", t, ch.side, f"{ht:g} s hold done"))

    @staticmethod
    def _close_top(rep: Excursion) -> None:
        if rep.top_since is not None and rep.top_last is not None:
            rep.best_top_s = max(rep.best_top_s, rep.top_last - rep.top_since)
            rep.top_spans.append((rep.top_since, rep.top_last))
        rep.top_since = rep.top_last = None

    def _update_speed(self, ch: Channel, rep: Excursion, t: float, values: Values) -> None:
        """Holding means keeping still at the top: the speed of the fastest signal the drive is made of (a
        difference of two thighs can stand still while both move, when one's reading drags the other), each
        measured as a chord over STILL_WINDOW_S so frame jitter does not read as motion. A bilateral mean
        ("hip") is read per side: the mean jumps when one side drops in or out of view."""
        names = [n for name in ch.m.signal.names(ch.side) for n in expand(name)]
        speeds = [rep.chords.setdefault(n, Chord()).add(t, values[n]) for n in names if math.isfinite(
            values.get(n, math.nan))]
        known = [v for v in speeds if v is not None]
        rep.speed = max(known) if known else math.inf  # unknown: not still

    def _motion_ok(self, ch: Channel, rep: Excursion, values: Values) -> bool | None:
        ok = all_true(ch.m.require, values, ch.side)
        if ok is False and rep.require_true and all_true(ch.m.require, mirror(values, ch.m.require, ch.side),
                                                          ch.side) is True:
            return True  # the legs' readings exchanged where they overlap (see _check_values)
        return ok

    def _check_values(self, ch: Channel, rep: Excursion, values: Values) -> Values:
        """The values the form checks read. When the rep's defining condition held on its side and now holds only
        with the two legs' readings exchanged (single-leg raise: the working knee reads bent, the support knee
        straight) while the thigh still drives the rep, that is a label swap where the legs overlap in the
        image, not a change of legs: the checks read the exchanged values."""
        if rep.require_true and all_true(ch.m.require, values, ch.side) is False:
            mirrored = mirror(values, ch.m.require, ch.side)
            if all_true(ch.m.require, mirrored, ch.side) is True:
                return mirrored
        return values

    def _leader(self) -> Channel | None:
        """The rep the checks, the phase and the display follow: out, armed, and not known to be another
        movement (the motion's own condition only ever seen false, e.g. the bent support leg of a leg raise)."""
        open_ = [(c, c.rep) for c in self.channels if c.rep is not None and c.rep.armed and (
            c.rep.require_true or not c.rep.require_false)]
        if not open_:
            return None
        return max(open_, key=lambda cr: (cr[1].in_target,
                                          cr[0].own_excursion(cr[1]) / cr[0].travel if cr[0].travel else 0.0))[0]

    def _phase(self) -> str:
        if self.lead is not None and self.lead.rep is not None:
            return "target" if self.lead.rep.in_target else "moving"
        return "rest" if any(c.armed for c in self.channels) else "setup"

    # --- deciding what counted ----------------------------------------------------------------------

    def _candidate(self, ch: Channel, rep: Excursion, end_t: float, cut: str) -> None:
        m = ch.m
        RepStrategy._close_top(rep)  # a quick return ends the rep before the top's own gap would
        if not rep.armed or end_t - rep.start_s < m.min_rep_s:
            return  # getting into position, or too quick to be a rep
        if rep.cut_start and not ch.counts(rep) and (rep.require_true or not ch.m.require):
            # The rep began before the clip, its hold with it: a still top from the first moments is that hold.
            rep.top_spans = [(a, b) for a, b in rep.top_spans if a - rep.start_s <= OPENING_HOLD_S]
            self._record_top_holds(ch, rep, list(rep.faults))
        counted = ch.counts(rep) and (self.strict is False or ch.full(rep))
        out_since = rep.samples[0][0] if rep.samples else rep.start_s
        partial = (not counted and not rep.cut_start and ch.own_excursion(rep) >= m.partial_min_deg
                   and rep.require_seen and end_t - out_since >= m.min_rep_s)
        if counted or partial:
            self.pending.append(_Candidate(ch, rep, end_t, counted, "start" if rep.cut_start else cut, rep.core()))

    def _close_open(self, t: float, cut: str, events: list[Event]) -> None:
        """The clip or shot ends here: an open rep counts if its turning point was seen (see module doc)."""
        for ch in self.channels:
            rep, ch.rep = ch.rep, None
            if rep is None or not rep.samples:
                continue
            RepStrategy._close_top(rep)
            e_now = ch.latest()
            e_now = e_now if math.isfinite(e_now) else rep.samples[-1][1]
            turned = ch.turned(rep, e_now, self.ex.kind == "reps_hold")
            if ch.counts(rep) and turned and (not self.strict or ch.full(rep)):
                self.pending.append(_Candidate(ch, rep, t, True, "start" if rep.cut_start else cut, rep.core()))
        self._resolve(t, events, final=True)
        self.lead = None

    def _waiting(self, cand: _Candidate, t: float) -> bool:
        """Another channel is still out on a rep that began before this one's core ended: it may be the same
        movement seen twice, so wait to keep the better of the two (a rep briefly, so the count stays live;
        a partial as long as it takes, since a rep on the other channel would overrule it)."""
        if cand.counted and not cand.suspect and t - cand.end_s > MAX_WAIT_S:
            return False
        return any(c is not cand.channel and c.rep is not None and c.rep.armed and c.rep.start_s <= cand.core[1]
                   for c in self.channels)

    def _resolve(self, t: float, events: list[Event], final: bool) -> None:
        for cand in sorted(self.pending, key=lambda c: c.end_s):
            if cand not in self.pending:
                continue
            group = [c for c in self.pending if c is cand or c.overlaps(cand)]
            if not final and any(self._waiting(c, t) for c in group):
                continue
            for c in group:
                self.pending.remove(c)
            best = _best(group)
            # A rep already counted on another channel for this movement stands (it was announced).
            if not any(r.overlaps(best) and r.channel is not best.channel and (r.counted or not best.counted)
                       for r in self._kept):
                self._record(best, events)

    def _record(self, cand: _Candidate, events: list[Event]) -> None:
        ch, rep, m, t = cand.channel, cand.rep, cand.channel.m, cand.end_s
        if not cand.cut and rep.start_s <= self._shot_t0 + 0.1 and ch.excursion(rep.start_val) > m.hysteresis_deg:
            # Counted from the clip's first frame, which (by the rest learned since) was already on the way out.
            cand.cut = "start"
        self._kept.append(cand)
        del self._kept[:-8]  # recent reps only: a later overlap is with one of these
        faults = list(dict.fromkeys(rep.faults))
        full, hold_s = ch.full(rep), rep.top_hold_s()
        if not cand.counted:
            rec = self._rep_record(cand, t, full, False, hold_s, faults)
            self.rec.partials.append(rec)
            self.rec.fault(t, "partial_rep", m.partial_cue, "warning", ch.side, events, attach=False)
            events.append(Event("partial", t, ch.side, m.partial_cue, rep=rec))
            return
        form_errors = {c.code for c in self.ex.checks if c.severity == "error"}
        for code, cue, severity, due in self._rep_faults(ch, full, hold_s, bool(form_errors & set(faults))):
            if due and code not in faults:
                faults.append(code)
                self.rec.fault(t, code, cue, severity, ch.side, events, attach=False)
        errors = form_errors | {"hold_short"}
        rec = self._rep_record(cand, t, full, full and not (set(faults) & errors), hold_s, faults)
        self.rec.reps.append(rec)
        events.append(Event("rep", t, ch.side, "rep counted", rep=rec))
        self._record_top_holds(ch, rep, faults)

    def _record_top_holds(self, ch: Channel, rep: Excursion, faults: list[str]) -> None:
        """reps_hold: each still spell at the top is a hold (start, end, duration = end - start)."""
        if self.ex.kind != "reps_hold":
            return
        ht = self.ex.targets.hold_s or 0.0
        for a, b in rep.top_spans:
            if b - a >= 0.1:
                self.rec.holds.append(HoldRecord(ch.side, round(a, 3), round(b, 3), round(b - a, 3),
                                                 b - a >= ht - HOLD_TOLERANCE_S, tuple(faults)))

    @staticmethod
    def _rep_record(cand: _Candidate, t: float, full: bool, ok: bool, hold_s: float, faults: list[str]) -> RepRecord:
        ch, rep = cand.channel, cand.rep
        return RepRecord(ch.side, round(rep.start_s, 3), round(t, 3), round(rep.peak_s, 3),
                         round(abs(rep.peak_val - rep.start_val), 1), round(rep.peak_val, 1), round(hold_s, 3), full,
                         ok, tuple(faults), rep.peak_angles, variant=ch.variant.id if ch.variant else "",
                         cut=cand.cut, depth=round(ch.depth(rep.peak_val), 2))

    def _rep_faults(self, ch: Channel, full: bool, hold_s: float,
                    form_faulted: bool = False) -> list[tuple[str, str, str, bool]]:
        """(code, cue, severity, due) of the judgements made once a rep is counted: depth, hold, variant. The hold
        clock stops while a form error shows, so after one the hold cue says so: a person who kept still at the
        top for longer than the target, with a bent knee, was told only "Hold 5 s at the top"."""
        ht = (self.ex.targets.hold_s or 0.0) if self.ex.kind == "reps_hold" else 0.0
        hold_cue = f"Hold {ht:g} s at the top" + (" with good form" if form_faulted else "")
        out = [("shallow", ch.m.partial_cue, "warning", not full),
               ("hold_short", hold_cue, "warning", ht > 0 and hold_s < ht - HOLD_TOLERANCE_S)]
        if ch.variant is not None and ch.variant.cue:
            out.append((ch.variant.id, ch.variant.cue, ch.variant.severity, True))
        return out
