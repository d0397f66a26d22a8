"""Motion scripts: one function per exercise (and faulty variants through parameters).

Each returns a `Script` in the canonical orientation (see motion.py) for a frame of `width` x `height`,
with ground-truth reps (start when the body leaves rest, end when it is back) and hold spans. Working
sides are anatomical; in the canonical view the right side is the near one.

Hold spans (for `hold` exercises) are the position itself: from arriving in it to starting to leave it (the
time the script holds it, `hold_s`). Getting into and out of the position is not the hold, as posecheck
times it: a hold starts once the person has settled. `expected_faults` lists the fault codes a faulty variant
must raise.

Real-world variations (issue 12), all off by default so the default clips never change:
- `depths=[1.0, 0.7, ...]` (rep scripts): each rep's depth as a fraction of the script's full excursion,
  recorded per rep as `depth`; it sets the rep count. The truth's `full` says whether the exercise's target
  was reached (drive.annotate_reps), and bridges / leg raises hold only the reps that reach it.
- `rest_offset` (rep scripts): the person's own rest posture, that many degrees of the drive signal toward
  the target from the textbook one (knees at 165 standing, hips at 160 lying, ...).
- `rep_s` (knee_to_chest, psoas_march): quick reps back to back; `hover` (knee_to_chest): legs rest off the floor.
- `support="straight"` (single_leg_raise): the other leg lies straight on the floor.
- A start position before the real one, as a "start_position" phase outside the hold: `upright_s`
  (kneeling_hip_flexor_stretch, low_lunge), `level_s` (lying_psoas_stretch), `stance_s` (warrior_1).
  standing_pelvic_tilt has none: its start (standing tall) is the position itself, the tilt is invisible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from posecheck.engine.reps import classify
from posecheck.synth.angles import truth_angles
from posecheck.synth.drive import drive_value, motion_of, reaches_target, rest_fraction
from posecheck.synth.figure import Joints
from posecheck.synth.motion import Body, Script, Track, assemble, ik_knee, unit

SETUP_S = 1.5
QUICK_SPLIT = (0.45, 0.10, 0.45)  # quick reps (rep_s): out, top, back as shares of the rep, no pause


def _frame(height: int) -> tuple[float, Body]:
    floor_y = 0.9 * height
    return floor_y, Body(0.78 * height)


def _rep_track(track: Track, reps: list[dict], side: str, out: float, back: float, go_s: float, hold_s: float,
               ret_s: float, pause_s: float, full: bool = True, depth: float | None = None) -> None:
    start = track.t
    track.to(out, go_s).hold(hold_s)
    peak = track.t
    track.to(back, ret_s)
    reps.append({"side": side, "start_s": round(start, 3), "end_s": round(track.t, 3), "peak_s": round(peak, 3),
                 "hold_s": hold_s, "full": full})
    if depth is not None:
        reps[-1]["depth"] = round(depth, 3)
    track.hold(pause_s)


def _depth_list(reps: int, depths: Sequence[float] | None) -> list[float]:
    """Per-rep depth as a fraction of the script's full excursion; `depths` (if given) sets the rep count."""
    if depths is None:
        return [1.0] * reps
    out = [float(f) for f in depths]
    if not out or any(not 0.0 < f <= 1.0 for f in out):
        raise ValueError("depths must be fractions in (0, 1], at least one")
    return out


def _rest_x(pose_of_x: Callable[[float], Joints], exercise: str, side: str, offset_deg: float) -> float:
    """The excursion fraction where the person's own rest sits: `offset_deg` of drive from the textbook rest."""
    if offset_deg == 0:
        return 0.0
    motion = motion_of(exercise)
    assert motion is not None, exercise
    return rest_fraction(lambda x: drive_value(truth_angles(pose_of_x(x)), motion, side), motion, offset_deg)


def _reaches(pose: Joints, exercise: str, side: str) -> bool:
    """Whether the drive signal in this pose is at or past the exercise's target."""
    motion = motion_of(exercise)
    assert motion is not None, exercise
    return reaches_target(motion, drive_value(truth_angles(pose), motion, side))


def _counts(rest: Joints, top: Joints, exercise: str, side: str) -> bool:
    """Whether an excursion from `rest` to `top` counts as a rep by the engine's rule (shallow ones too): the
    still top of such a rep is a hold, however high it got."""
    motion = motion_of(exercise)
    assert motion is not None, exercise
    kind = classify(motion, drive_value(truth_angles(rest), motion, side), drive_value(truth_angles(top), motion, side))
    return kind in ("rep", "shallow")


def _timing(rep_s: float | None, go_s: float, hold_s: float, ret_s: float, pause_s: float) -> tuple[float, ...]:
    """(go, hold, return, pause) seconds: the script's own, or quick reps of rep_s each with no pause."""
    if rep_s is None:
        return go_s, hold_s, ret_s, pause_s
    if rep_s <= 0.2:
        raise ValueError("rep_s must be > 0.2 s")
    return tuple(rep_s * f for f in QUICK_SPLIT) + (0.0,)


HANG = {"left": (-95.0, -85.0), "right": (-95.0, -85.0)}


# --- standing ------------------------------------------------------------------------------------


def _standing(b: Body, ankle0: np.ndarray, x: float, lean: float, arm: float) -> Joints:
    """A standing/squatting pose: x=0 stands tall (knee 180), x=1 is a deep squat (knee 80)."""
    shin_deg, thigh_deg = 90 - 25 * x, 90 + 75 * x  # ankle->knee, knee->hip
    knees, ankles = {}, {}
    for side, dx in (("right", 3.0), ("left", -3.0)):
        ankles[side] = ankle0 + (dx, 0)
        knees[side] = ankles[side] + unit(shin_deg) * b.shin
    hip = knees["right"] + unit(thigh_deg) * b.thigh - (3.0, 0)
    trunk = 90 - lean
    return assemble(b, hip, trunk, knees, ankles, {"left": 0.0, "right": 0.0},
                    {"left": (arm, arm + 5), "right": (arm, arm + 5)}, trunk - 90)


def squat(width: int = 640, height: int = 480, reps: int = 3, depth: float = 1.0, partial_depth: float | None = None,
          lean: float = 40.0, rest_s: float = 0.8, jitter_deg: float = 0.0, depths: Sequence[float] | None = None,
          rest_offset: float = 0.0) -> Script:
    """Bodyweight squat; `partial_depth` adds one shallow rep at the end.

    `jitter_deg` adds, after the reps, 3 s of hovering with the knees just off the person's rest (6 deg)
    wobbling +-jitter_deg: not a rep, not an attempt. `rest_s` is the standing pause between reps. `depths`
    gives each rep's depth as a fraction of `depth` (and the rep count); `rest_offset` stands with the knees
    that many degrees bent (knee 180 - rest_offset) between reps.
    """
    floor_y, b = _frame(height)
    ankle0 = np.array([0.47 * width, floor_y - 0.035 * b.height])

    def body(x: float) -> Joints:
        return _standing(b, ankle0, x, lean * x, -95 + 95 * x)  # arms come forward for balance at the bottom

    x0 = _rest_x(body, "squat", "both", rest_offset)
    d = Track(x0).hold(SETUP_S)
    truth: list[dict] = []
    for f in _depth_list(reps, depths):
        _rep_track(d, truth, "both", depth * f, x0, 1.1, 0.3, 1.1, rest_s, depth=depth * f)
    jitter_span = (0.0, 0.0)
    if jitter_deg > 0:
        d.to(x0 + 0.06, 0.8)  # knee = 180 - 100 x: 6 deg off this person's rest, wobbling there
        jitter_span = (d.t, d.t + 3.0)
        d.hold(3.0).to(x0, 0.8).hold(0.8)
    if partial_depth is not None:
        _rep_track(d, truth, "both", partial_depth, x0, 0.8, 0.2, 0.8, 0.8, full=False, depth=partial_depth)
    d.hold(0.8)

    def pose(t: float):
        x = d.at(t)
        if jitter_span[0] < t < jitter_span[1]:
            x += jitter_deg / 100 * np.sin(2 * np.pi * 1.5 * (t - jitter_span[0]))
        return body(x)

    faults = ["partial_rep"] if partial_depth is not None else []
    return Script("squat", d.t, pose, truth, [], floor_y=floor_y, scale=b.height, expected_faults=faults)


def lunge(width: int = 640, height: int = 480, reps: int = 2, leg: str = "right", alternate: bool = True,
          lean: float = 0.0, depths: Sequence[float] | None = None, rest_offset: float = 0.0) -> Script:
    """Forward lunge: step out, lower until the front thigh is level, push back. `leg` is the first front leg.

    `depths` lowers each rep that fraction of the way (and sets the rep count); `rest_offset` stands with
    softer knees, the front thigh's drive that many degrees up from the textbook stance.
    """
    floor_y, b = _frame(height)
    ankle_y = floor_y - 0.035 * b.height
    x0 = 0.36 * width
    stride = 1.3 * b.thigh
    step = Track(0.0).hold(SETUP_S)
    drop = Track(0.0).hold(SETUP_S)
    fronts: list[tuple[float, float, str]] = []
    truth: list[dict] = []
    side = leg
    for f in _depth_list(reps, depths):
        start = step.t
        step.to(1.0, 0.7).hold(2.3).to(0.0, 0.7).hold(0.8)
        drop.hold(0.7).to(f, 1.0).hold(0.3).to(0.0, 1.0).hold(1.5)
        truth.append({"side": side, "start_s": round(start, 3), "end_s": round(start + 3.7, 3),
                      "peak_s": round(start + 1.7, 3), "hold_s": 0.3, "full": True, "depth": round(f, 3)})
        fronts.append((start, start + 4.5, side))
        if alternate:
            side = "left" if side == "right" else "right"
    step.hold(0.6)
    drop.t = step.t

    def body(crouch: float, s: float, dd: float, front: str) -> Joints:
        back = "left" if front == "right" else "right"
        lift = 0.06 * b.height * np.sin(np.pi * min(s, 1.0)) * (dd < 0.05)  # the foot clears the floor
        ankles = {back: np.array([x0, ankle_y]), front: np.array([x0 + stride * s, ankle_y - lift])}
        bottom_hip = np.array([x0 + stride - 0.97 * b.thigh, ankle_y - 0.98 * b.shin])
        top_hip = np.array([x0 + stride * s * 0.5, ankle_y - (0.99 - crouch) * (b.thigh + b.shin)])
        hip = top_hip + (bottom_hip - top_hip) * dd if s > 0.99 else top_hip
        knees = {k: ik_knee(hip, a, b.thigh, b.shin, unit(0)) for k, a in ankles.items()}
        toes = {front: 0.0, back: -35.0 * dd}
        trunk = 90 - lean * dd
        return assemble(b, hip, trunk, knees, ankles, toes, HANG, trunk - 90)

    # the person's own stance: knees softer (the hip lower, up to 0.2 leg lengths)
    crouch = 0.2 * _rest_x(lambda x: body(0.2 * x, 0.0, 0.0, leg), "lunge", leg, rest_offset)

    def pose(t: float):
        front = next((f for t0, t1, f in fronts if t0 <= t < t1), leg)
        return body(crouch, step.at(t), drop.at(t), front)

    return Script("lunge", step.t, pose, truth, [], floor_y=floor_y, scale=b.height)


def standing_pelvic_tilt(width: int = 640, height: int = 480, hold_s: float = 8.0) -> Script:
    """From a rest with hands on the thighs (knees bent, trunk 30 deg forward), stand tall and hold."""
    floor_y, b = _frame(height)
    ankle0 = np.array([0.47 * width, floor_y - 0.035 * b.height])
    go_s = 1.5
    x = Track(0.4).hold(SETUP_S).to(0.03, go_s)  # knee = 180 - 100 x
    t_in = x.t
    x.hold(hold_s)
    t_out = x.t
    x.to(0.4, go_s).hold(1.0)
    lean = Track(30.0).hold(SETUP_S).to(0.0, go_s).hold(hold_s).to(30.0, go_s).hold(1.0)

    def pose(t: float):
        e = lean.at(t) / 30.0  # 1 resting on the thighs, 0 standing tall
        return _standing(b, ankle0, x.at(t), lean.at(t), -95 + 40 * e)

    holds = [_hold("both", t_in, t_out)]
    return Script("standing_pelvic_tilt", x.t, pose, [], holds, floor_y=floor_y, scale=b.height)


def warrior_1(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right",
              stance_s: float = 0.0) -> Script:
    """From standing, step `leg` forward into Warrior I (front knee ~90, back leg straight, arms up), hold.

    `stance_s` first steps into the wide stance with both legs straight and the arms down and stands there
    that long (a "start_position" phase), then bends the front knee and raises the arms: only that is the hold.
    """
    if stance_s > 0:
        return _warrior_from_stance(width, height, hold_s, leg, stance_s)
    floor_y, b = _frame(height)
    ankle_y = floor_y - 0.035 * b.height
    back = "left" if leg == "right" else "right"
    x0 = 0.30 * width
    legl = b.thigh + b.shin
    # Front shin vertical, thigh ~level; the straight back leg (knee ~168) reaches from the hip to x0.
    hip_w = np.array([x0 + np.sqrt((0.995 * legl) ** 2 - (0.98 * b.shin) ** 2), ankle_y - 0.98 * b.shin])
    front_w = np.array([hip_w[0] + 0.97 * b.thigh, ankle_y])
    hip_s = np.array([x0 + 0.03 * b.thigh, ankle_y - 0.99 * legl])
    back_a = np.array([x0, ankle_y])
    r_s, r_w = float(np.linalg.norm(hip_s - back_a)), float(np.linalg.norm(hip_w - back_a))
    u_s, u_w = (hip_s - back_a) / r_s, (hip_w - back_a) / r_w
    go_s = 1.6
    s = Track(0.0).hold(SETUP_S).to(1.0, go_s)
    t_in = s.t
    s.hold(hold_s)
    t_out = s.t
    s.to(0.0, go_s).hold(1.0)

    def pose(t: float):
        e = s.at(t)
        # The hip travels on an arc about the back ankle, so the back leg stays straight through the step
        # (a straight line between the two poses would bend the back knee to ~117 deg half-way).
        # The hip sinks a little behind the stepping foot (eh lags e), so the front knee bends past the
        # position's line about half-way through the step, where the hold's truth starts.
        eh = e ** 1.6
        hip = back_a + r_s * (1 - eh) * u_s + r_w * eh * u_w
        hip = back_a + (hip - back_a) / np.linalg.norm(hip - back_a) * (r_s + (r_w - r_s) * eh)
        lift = 0.05 * b.height * np.sin(np.pi * e) ** 2  # the stepping foot clears the floor
        fa = np.array([x0 + 0.06 * b.thigh + (front_w[0] - x0 - 0.06 * b.thigh) * e, ankle_y - lift])
        ankles = {back: np.array([x0, ankle_y]), leg: fa}
        knees = {k: ik_knee(hip, a, b.thigh, b.shin, unit(0)) for k, a in ankles.items()}
        arm = -95 + 175 * e  # arms sweep forward and up overhead
        arms = {"left": (arm, arm + 3), "right": (arm, arm + 3)}
        return assemble(b, hip, 90.0, knees, ankles, {leg: 0.0, back: -20.0 * e}, arms, 0.0)

    holds = [_hold(leg, t_in, t_out)]
    return Script("warrior_1", s.t, pose, [], holds, floor_y=floor_y, scale=b.height)


def _warrior_from_stance(width: int, height: int, hold_s: float, leg: str, stance_s: float) -> Script:
    """warrior_1 with a straight-legged wide stance held before the pose: e goes 0 standing, 1 stance, 2 pose."""
    floor_y, b = _frame(height)
    ankle_y = floor_y - 0.035 * b.height
    back = "left" if leg == "right" else "right"
    x0 = 0.22 * width  # the stance is as wide as the pose: start further left to keep it in frame
    legl = b.thigh + b.shin
    hip_w = np.array([x0 + np.sqrt((0.995 * legl) ** 2 - (0.98 * b.shin) ** 2), ankle_y - 0.98 * b.shin])
    front_x = hip_w[0] + 0.97 * b.thigh
    hip_s = np.array([x0 + 0.03 * b.thigh, ankle_y - 0.99 * legl])
    half = (front_x - x0) / 2  # the stance: hips midway between the feet, both legs nearly straight
    hip_st = np.array([x0 + half, ankle_y - np.sqrt((0.99 * legl) ** 2 - half**2)])
    back_a = np.array([x0, ankle_y])
    step_s, sink_s = 1.6, 1.4
    e = Track(0.0).hold(SETUP_S).to(1.0, step_s)
    t_st = e.t
    e.hold(stance_s).to(2.0, sink_s)
    t_in = e.t
    e.hold(hold_s)
    t_out = e.t
    e.to(1.0, sink_s).to(0.0, step_s).hold(1.0)

    def arc(a: np.ndarray, c: np.ndarray, f: float) -> np.ndarray:
        """From hip a to hip c about the back ankle, so the back leg stays straight on the way."""
        ra, rc = np.linalg.norm(a - back_a), np.linalg.norm(c - back_a)
        u = (a - back_a) / ra * (1 - f) + (c - back_a) / rc * f
        return back_a + u / np.linalg.norm(u) * (ra + (rc - ra) * f)

    def pose(t: float):
        v = e.at(t)
        step, sink = min(v, 1.0), max(v - 1.0, 0.0)
        hip = arc(hip_s, hip_st, step) if v <= 1.0 else arc(hip_st, hip_w, sink)
        lift = 0.05 * b.height * np.sin(np.pi * step) ** 2  # the stepping foot clears the floor
        fa = np.array([x0 + 0.06 * b.thigh + (front_x - x0 - 0.06 * b.thigh) * step, ankle_y - lift])
        ankles = {back: back_a.copy(), leg: fa}
        knees = {k: ik_knee(hip, a, b.thigh, b.shin, unit(0)) for k, a in ankles.items()}
        arm = -95 + 175 * sink  # arms sweep forward and up overhead as the front knee bends
        arms = {"left": (arm, arm + 3), "right": (arm, arm + 3)}
        return assemble(b, hip, 90.0, knees, ankles, {leg: 0.0, back: -20.0 * sink}, arms, 0.0)

    holds = [_hold(leg, t_in, t_out)]
    phases = [_phase("start_position", leg, t_st - step_s / 2, t_in - sink_s)]
    return Script("warrior_1", e.t, pose, [], holds, floor_y=floor_y, scale=b.height, phases=phases)


# --- kneeling --------------------------------------------------------------------------------------


def kneeling_hip_flexor_stretch(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right",
                                push_deg: float = 15.0, bounce: bool = False, lean: float = 0.0,
                                upright_s: float = 0.0) -> Script:
    """Half-kneeling 90/90, hips pushed forward, held. `leg` is the kneeling (stretched) leg.

    `bounce` pulses the hips +-8 deg at 1.3 Hz through the hold (a fault: "bouncing"). `upright_s` first
    kneels upright for that long (the start position: back thigh vertical, hips not pushed forward, a
    "start_position" phase in the truth), then pushes the hips forward: only the pushed span is the hold.
    """
    if upright_s > 0:
        sc = _half_kneel_upright(width, height, hold_s, leg, push_deg, bounce, lean, upright_s)
    else:
        sc = _half_kneel(width, height, hold_s, leg, push_deg, bounce, lean, push_with_kneel=False)
    sc.name = "kneeling_hip_flexor_stretch"
    sc.expected_faults = ["bouncing"] if bounce else []
    return sc


def low_lunge(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right",
              push_deg: float = 35.0, upright_s: float = 0.0) -> Script:
    """From standing, step into a low lunge (back knee down and slid back, hips sunk forward), hold.

    `leg` is the front leg (the exercise's side). `upright_s` first kneels upright for that long (hips not
    sunk forward: a "start_position" phase) before sinking into the lunge: only the sunk span is the hold.
    """
    back = "left" if leg == "right" else "right"
    if upright_s > 0:
        sc = _half_kneel_upright(width, height, hold_s, back, push_deg, False, 0.0, upright_s, push_s=2.0)
    else:
        sc = _half_kneel(width, height, hold_s, back, push_deg, False, 0.0, push_with_kneel=True)
    sc.name = "low_lunge"
    for h in sc.holds + sc.phases:
        h["side"] = leg
    return sc


def _half_kneel_body(width: int, height: int, leg: str, push_deg: float,
                     lean: float) -> tuple[float, Body, Callable[[float, float], Joints]]:
    """(floor_y, body, pose(k, p)): k from standing (0) to kneeling on the `leg` knee (1), hips pushed p deg."""
    floor_y, b = _frame(height)
    ankle_y = floor_y - 0.035 * b.height
    knee_floor = np.array([0.34 * width, floor_y - 0.03 * b.height])
    front = "left" if leg == "right" else "right"
    # The front foot sits about a thigh ahead of the fully pushed hips: front knee ~90 at full push.
    front_ankle = np.array([(knee_floor + unit(90 - push_deg) * b.thigh)[0] + 0.97 * b.thigh, ankle_y])
    stand_hip = np.array([knee_floor[0] + 0.6 * b.thigh, ankle_y - 0.99 * (b.thigh + b.shin)])

    def body(k: float, p: float) -> Joints:
        hip_kneel = knee_floor + unit(90 - p) * b.thigh
        hip = stand_hip + (hip_kneel - stand_hip) * k
        # The back leg goes from straight under the hip to knee-on-floor with the shin back along it;
        # positions blend, then segment lengths are restored so the truth stays a real skeleton.
        stand_ankle = np.array([stand_hip[0] - 0.05 * b.thigh, ankle_y])
        knee = (stand_hip + (stand_ankle - stand_hip) * 0.5) * (1 - k) + knee_floor * k
        knee = hip + (knee - hip) / (np.linalg.norm(knee - hip) or 1.0) * b.thigh
        kneel_ankle = knee_floor + unit(185) * b.shin
        ankle = stand_ankle * (1 - k) + kneel_ankle * k
        ankle = knee + (ankle - knee) / (np.linalg.norm(ankle - knee) or 1.0) * b.shin
        fa = np.array([front_ankle[0] * k + (stand_hip[0] + 0.05 * b.thigh) * (1 - k), ankle_y])
        knees = {leg: knee, front: ik_knee(hip, fa, b.thigh, b.shin, unit(0))}
        ankles = {leg: ankle, front: fa}
        trunk = 90 - lean * k
        return assemble(b, hip, trunk, knees, ankles, {leg: 200.0 * k, front: 0.0}, HANG, trunk - 90)

    return floor_y, b, body


def _half_kneel(width: int, height: int, hold_s: float, leg: str, push_deg: float, bounce: bool, lean: float,
                push_with_kneel: bool) -> Script:
    """Half-kneeling with the `leg` knee on the floor, the hips pushed forward by push_deg, held."""
    floor_y, b, body = _half_kneel_body(width, height, leg, push_deg, lean)
    go_s = 2.0
    kneel = Track(0.0).hold(SETUP_S).to(1.0, go_s)
    t_in = kneel.t
    kneel.hold(hold_s)
    t_out = kneel.t
    kneel.to(0.0, go_s).hold(1.0)
    push_s = 0.0  # kneeling down with the hips already forward: the hold starts on arrival
    if push_with_kneel:
        push = Track(0.0).hold(SETUP_S).to(push_deg, go_s).hold(hold_s).to(0.0, go_s)
    else:  # kneel, then push the hips forward: the stretch is held from the end of the push
        push_s = 1.2
        push = Track(0.0).hold(t_in).to(push_deg, push_s).hold(hold_s - push_s).to(0.0, 0.01)

    def pose(t: float):
        p = push.at(t)
        if bounce and t_in + 1.5 < t < t_out - 0.5:
            p += 8.0 * np.sin(2 * np.pi * 1.3 * (t - t_in))
        return body(kneel.at(t), p)

    # The hold is the stretch, settled: pushing the hips forward is getting into it (as in the upright start).
    holds = [_hold(leg, t_in + push_s, t_out)]
    return Script("half_kneel", kneel.t, pose, [], holds, floor_y=floor_y, scale=b.height)


def _half_kneel_upright(width: int, height: int, hold_s: float, leg: str, push_deg: float, bounce: bool,
                        lean: float, upright_s: float, push_s: float = 1.2) -> Script:
    """Kneel upright (hips over the knee) for upright_s, push the hips forward (over push_s), hold hold_s, come
    back, stand. (The low lunge sinks 35 deg: it eases in over 2 s, as its own default does.)

    The hold's truth runs from half-way through the push to half-way back; the upright kneel before and
    after are "start_position" / "end_position" phases.
    """
    floor_y, b, body = _half_kneel_body(width, height, leg, push_deg, lean)
    go_s = 2.0
    kneel = Track(0.0).hold(SETUP_S).to(1.0, go_s)
    t_k = kneel.t
    push = Track(0.0).hold(t_k + upright_s).to(push_deg, push_s)
    t_in = push.t
    push.hold(hold_s)
    t_out = push.t
    push.to(0.0, push_s)
    kneel.hold(push.t - t_k).to(0.0, go_s).hold(1.0)

    def pose(t: float):
        p = push.at(t)
        if bounce and t_in + 0.5 < t < t_out - 0.5:
            p += 8.0 * np.sin(2 * np.pi * 1.3 * (t - t_in))
        return body(kneel.at(t), p)

    holds = [_hold(leg, t_in, t_out)]
    phases = [_phase("start_position", leg, t_k - go_s / 2, t_in - push_s),
              _phase("end_position", leg, t_out + push_s, push.t + go_s / 2)]
    return Script("half_kneel", kneel.t, pose, [], holds, floor_y=floor_y, scale=b.height, phases=phases)


def _phase(name: str, side: str, start: float, end: float) -> dict:
    return {"name": name, "side": side, "start_s": round(start, 3), "end_s": round(end, 3)}


def _hold(side: str, start: float, end: float) -> dict:
    return {"side": side, "start_s": round(start, 3), "end_s": round(end, 3), "duration_s": round(end - start, 3)}


# --- lying on the back (canonical: head at image-left) ------------------------------------------------


def _lying_base(width: int, height: int) -> tuple[float, Body, np.ndarray]:
    floor_y, b = _frame(height)
    shoulder = np.array([0.20 * width, floor_y - 0.075 * b.height])
    return floor_y, b, shoulder


ARMS_ALONG = {"left": (-2.0, 0.0), "right": (-2.0, 0.0)}


def glute_bridge(width: int = 640, height: int = 480, reps: int = 2, hold_s: float = 5.0, lift: float = 1.0,
                 feet_far: float = 1.0, depths: Sequence[float] | None = None, rest_offset: float = 0.0) -> Script:
    """Lying, knees bent, lift the hips until shoulder-hip-knee is straight, hold, lower.

    `depths` lifts each rep that fraction of `lift` (and sets the rep count); a rep that reaches the target
    is held for hold_s (a hold in the truth). `rest_offset` rests with the hips that many degrees of hip
    angle up from the floor (a cushion, a pelvis that never quite settles).
    """
    floor_y, b, shoulder = _lying_base(width, height)
    phi_max = 21.0
    hip_top = shoulder + unit(phi_max) * b.trunk
    knee_top = hip_top + unit(phi_max) * b.thigh
    ankle = knee_top + unit(-90 + phi_max * feet_far) * b.shin

    def body(x: float) -> Joints:
        phi = phi_max * x
        hip = shoulder + unit(phi) * b.trunk
        knees, ankles = {}, {}
        for side, dx in (("right", 2.0), ("left", -2.0)):
            ankles[side] = ankle + (dx, 0)
            knees[side] = ik_knee(hip, ankles[side], b.thigh, b.shin, unit(90))
        return assemble(b, hip, 180 + phi, knees, ankles, {"left": 0.0, "right": 0.0},
                        {"left": (-2.0 + phi * 0.3, 0.0), "right": (-2.0 + phi * 0.3, 0.0)}, 90.0)

    x0 = _rest_x(body, "glute_bridge", "both", rest_offset)
    lift_t = Track(x0).hold(SETUP_S)
    truth: list[dict] = []
    holds: list[dict] = []
    for f in _depth_list(reps, depths):
        top = lift * f
        _rep_track(lift_t, truth, "both", top, x0, 1.2, hold_s, 1.2, 1.0, full=top > 0.8, depth=top)
        r = truth[-1]
        if _counts(body(x0), body(top), "glute_bridge", "both"):
            holds.append(_hold("both", r["start_s"] + 1.2, r["peak_s"]))
    lift_t.hold(0.6)

    def pose(t: float):
        return body(lift_t.at(t))

    # Hips lifted part of the way: past half of it each rep counts, flagged shallow; under half, an attempt.
    faults = ([] if lift > 0.8 else ["shallow"] if lift >= 0.5 else ["partial_rep"])
    return Script("glute_bridge", lift_t.t, pose, truth, holds, floor_y=floor_y, scale=b.height,
                  expected_faults=faults)


def single_leg_raise(width: int = 640, height: int = 480, reps: int = 2, hold_s: float = 5.0, leg: str = "right",
                     bent_knee_deg: float = 0.0, partial: bool = False, support_deg: float = 45.0,
                     support: str = "bent", depths: Sequence[float] | None = None, rest_offset: float = 0.0) -> Script:
    """Lying, one knee bent (foot flat); the straight `leg` rises to the bent knee's height, holds, lowers.

    `bent_knee_deg` bends the raised knee (a fault); `partial` makes the last rep stop half-way.
    `support="straight"`: the other leg lies straight on the floor (the clinical straight-leg raise) and the
    raised leg still lifts to support_deg of thigh elevation; the coach must cue the other knee
    ("support_knee"). `depths` lifts each rep that fraction of the way (and sets the rep count); a rep that
    reaches the target is held for hold_s. `rest_offset`: the raised leg rests hovering that many degrees of
    drive above the floor.
    """
    if support not in ("bent", "straight"):
        raise ValueError("support must be 'bent' or 'straight'")
    floor_y, b, shoulder = _lying_base(width, height)
    hip = shoulder + unit(0) * b.trunk
    other = "left" if leg == "right" else "right"
    foot_y = floor_y - 0.035 * b.height
    if support == "bent":
        s_knee = hip + unit(support_deg) * b.thigh
        dy = foot_y - s_knee[1]
        s_ankle = s_knee + np.array([np.sqrt(max(b.shin**2 - dy**2, 1.0)), dy])
    else:  # long on the floor beside the raised leg (a hair apart, like the roll-up's legs)
        s_knee = hip + unit(0) * b.thigh + (-2.0, 0)
        s_ankle = s_knee + unit(0) * b.shin
    s_toe = 0.0 if support == "bent" else 80.0

    def body(th: float) -> Joints:
        bend = bent_knee_deg * min(1.0, th / 10.0)  # the fault shows once the leg is off the floor
        w_knee = hip + unit(th) * b.thigh
        w_ankle = w_knee + unit(th - bend) * b.shin
        knees = {leg: w_knee, other: s_knee}
        ankles = {leg: w_ankle, other: s_ankle}
        toes = {leg: th - bend + 80, other: s_toe}
        return assemble(b, hip, 180.0, knees, ankles, toes, ARMS_ALONG, 90.0)

    th0 = support_deg * _rest_x(lambda x: body(support_deg * x), "single_leg_raise", leg, rest_offset)
    theta = Track(th0).hold(SETUP_S)
    truth: list[dict] = []
    holds: list[dict] = []
    fracs = _depth_list(reps, depths)
    for i, f in enumerate(fracs):
        short = partial and i == len(fracs) - 1
        top = support_deg * (0.45 if short else 1.0) * f
        reached = _reaches(body(top), "single_leg_raise", leg)
        _rep_track(theta, truth, leg, top, th0, 1.5, hold_s if reached else 0.6, 1.5, 1.0, full=not short,
                   depth=top / support_deg)
        if reached:
            r = truth[-1]
            holds.append(_hold(leg, r["start_s"] + 1.5, r["peak_s"]))
    theta.hold(0.5)

    def pose(t: float):
        return body(theta.at(t))

    faults = ((["knee_bent"] if bent_knee_deg >= 25 else []) + (["partial_rep"] if partial else [])
              + (["support_knee"] if support == "straight" else []))
    return Script("single_leg_raise", theta.t, pose, truth, holds, floor_y=floor_y, scale=b.height,
                  expected_faults=faults)


HOVER = (20.0, 25.0)  # knee_to_chest hover=True: thigh elevation and knee bend of a leg held off the floor


def knee_to_chest(width: int = 640, height: int = 480, reps: int = 4, leg: str = "right",
                  depths: Sequence[float] | None = None, rest_offset: float = 0.0, rep_s: float | None = None,
                  hover: bool = False) -> Script:
    """Lying, legs long: pull one knee to the chest and return, alternating legs.

    `rep_s`: quick reps of rep_s seconds each, back to back (the next leg leaves as this one lands).
    `hover`: the legs rest off the floor (thigh 20 deg up, knee bent 25 deg) instead of long on it, the way
    fast knee hugs are done. `depths` pulls each rep that fraction of the way (and sets the rep count);
    `rest_offset` rests with the hip that many degrees flexed.
    """
    floor_y, b, shoulder = _lying_base(width, height)
    hip = shoulder + unit(0) * b.trunk
    th_rest, bend_rest = HOVER if hover else (0.0, 0.0)

    def leg_at(x: float) -> tuple[float, float]:
        """(thigh elevation, knee bend): x=0 at rest, x=1 the knee at the chest (past vertical)."""
        return th_rest + (125.0 - th_rest) * x, bend_rest + (110.0 - bend_rest) * x

    def body(xs: dict[str, float]) -> Joints:
        knees, ankles, toes = {}, {}, {}
        for s, x in xs.items():
            th, bend = leg_at(x)
            knees[s] = hip + unit(th) * b.thigh
            ankles[s] = knees[s] + unit(th - bend) * b.shin
            toes[s] = th - bend + 80
        return assemble(b, hip, 180.0, knees, ankles, toes, ARMS_ALONG, 90.0)

    x0 = _rest_x(lambda x: body({"left": x, "right": x}), "knee_to_chest", leg, rest_offset)
    tracks = {"left": Track(x0).hold(SETUP_S), "right": Track(x0).hold(SETUP_S)}
    go, top, ret, pause = _timing(rep_s, 1.2, 1.0, 1.2, 0.6)
    truth: list[dict] = []
    side = leg
    for f in _depth_list(reps, depths):
        other = "left" if side == "right" else "right"
        _rep_track(tracks[side], truth, side, f, x0, go, top, ret, pause, depth=f)
        tracks[other].hold(go + top + ret + pause)
        side = other
    for tr in tracks.values():
        tr.hold(0.5)

    def pose(t: float):
        return body({s: tr.at(t) for s, tr in tracks.items()})

    return Script("knee_to_chest", max(t.t for t in tracks.values()), pose, truth, [], floor_y=floor_y,
                  scale=b.height)


def psoas_march(width: int = 640, height: int = 480, reps: int = 4, leg: str = "right",
                depths: Sequence[float] | None = None, rest_offset: float = 0.0, rep_s: float | None = None) -> Script:
    """Lying at 90/90 (thighs vertical, knees 90): lower one leg toward the floor and back, alternating.

    `rep_s`: quick reps of rep_s seconds each, back to back. `depths` lowers each rep that fraction of the
    way to 20 deg (and sets the rep count); `rest_offset` rests with the thighs that many degrees off vertical.
    """
    floor_y, b, shoulder = _lying_base(width, height)
    hip = shoulder + unit(0) * b.trunk

    def thigh(x: float) -> float:
        return 90.0 - 70.0 * x  # 90/90 at x=0, 20 deg above the floor at x=1

    def body(ths: dict[str, float]) -> Joints:
        knees, ankles, toes = {}, {}, {}
        for s, th in ths.items():
            knees[s] = hip + unit(th) * b.thigh + ((3.0, 0) if s == "right" else (-3.0, 0))
            ankles[s] = knees[s] + unit(th - 90) * b.shin
            toes[s] = th
        return assemble(b, hip, 180.0, knees, ankles, toes, ARMS_ALONG, 90.0)

    th0 = thigh(_rest_x(lambda x: body({"left": thigh(x), "right": thigh(x)}), "psoas_march", leg, rest_offset))
    tracks = {"left": Track(th0).hold(SETUP_S), "right": Track(th0).hold(SETUP_S)}
    go, top, ret, pause = _timing(rep_s, 1.3, 0.4, 1.3, 0.6)
    truth: list[dict] = []
    side = leg
    for f in _depth_list(reps, depths):
        other = "left" if side == "right" else "right"
        _rep_track(tracks[side], truth, side, thigh(f), th0, go, top, ret, pause, depth=f)
        tracks[other].hold(go + top + ret + pause)
        side = other
    for tr in tracks.values():
        tr.hold(0.5)

    def pose(t: float):
        return body({s: tr.at(t) for s, tr in tracks.items()})

    return Script("psoas_march", max(t.t for t in tracks.values()), pose, truth, [], floor_y=floor_y,
                  scale=b.height)


def lying_psoas_stretch(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right",
                        level_s: float = 0.0) -> Script:
    """Lying on the edge of a bench hugging both knees; `leg` is lowered off the edge to hang, held, raised.

    The bench is not drawn (the figure lies in the air at bench height). `leg` is the hanging leg. It swings
    down to about level, then sinks slowly below the hip line (gravity doing the work): the position is
    reached half-way through that sinking, which is where the hold's truth starts (and ends, mirrored).
    `level_s` first rests that long with the thigh level on the bench, the shin hanging off its edge (the
    start position, a "start_position" phase), before letting the thigh drop below the hip line.
    """
    floor_y, b = _frame(height)
    other = "left" if leg == "right" else "right"
    hang_th, hang_shin = -25.0, -95.0
    hip = np.array([0.52 * width, floor_y - 0.035 * b.height - b.thigh * np.sin(np.radians(-hang_th)) - b.shin])
    hug_th, hug_knee = 115.0, 55.0  # thigh elevation and knee angle hugged to the chest
    # The hanging leg: 0 hugged, 1 level (knee bent ~100), 2 hanging.
    d = Track(0.0).hold(SETUP_S).to(1.0, 1.0)
    t_level = d.t
    if level_s > 0:
        d.hold(level_s)
    d.to(2.0, 1.0)
    t_in = d.t - 0.5
    d.hold(hold_s)
    t_out = d.t + 0.5
    d.to(1.0, 1.0).to(0.0, 1.0).hold(1.0)

    def leg_at(x: float) -> tuple[float, float]:
        """(thigh elevation, shin direction) of the hanging leg along its path."""
        if x <= 1.0:
            return hug_th + (5.0 - hug_th) * x, hug_th - (180 - hug_knee) + (-80.0 - hug_th + 180 - hug_knee) * x
        return 5.0 + (hang_th - 5.0) * (x - 1), -80.0 + (hang_shin + 80.0) * (x - 1)

    def pose(t: float):
        th, shin = leg_at(d.at(t))
        k_o = hip + unit(hug_th) * b.thigh
        a_o = k_o + unit(hug_th - (180 - hug_knee)) * b.shin
        k_h = hip + unit(th) * b.thigh
        a_h = k_h + unit(shin) * b.shin
        knees, ankles = {other: k_o, leg: k_h}, {other: a_o, leg: a_h}
        toes = {other: hug_th - (180 - hug_knee) + 80, leg: shin + 90}
        arms = {s: (55.0, 50.0) for s in ("left", "right")}  # hands reach to the hugged knee
        return assemble(b, hip, 180.0, knees, ankles, toes, arms, 90.0)

    holds = [_hold(leg, t_in, t_out)]
    phases = [_phase("start_position", leg, t_level - 0.5, t_in)] if level_s > 0 else []
    return Script("lying_psoas_stretch", d.t, pose, [], holds, floor_y=floor_y, scale=b.height, phases=phases)


def roll_up(width: int = 640, height: int = 480, reps: int = 2, top_deg: float = 60.0,
            depths: Sequence[float] | None = None, rest_offset: float = 0.0) -> Script:
    """Lying, arms overhead, legs long: roll up until the trunk reaches over the legs, roll back down.

    `top_deg` is the hip angle at the top (trunk direction); above the rule's target it is a partial rep.
    `depths` rolls each rep that fraction of the way from 180 to top_deg (and sets the rep count);
    `rest_offset` rests with the shoulders propped up (a pillow): the hip that many degrees below 180.
    """
    floor_y, b, shoulder = _lying_base(width, height)
    shoulder = shoulder + (0.08 * width, 0)
    hip = shoulder + unit(0) * b.trunk
    knee = hip + unit(0) * b.thigh
    ankle = knee + unit(0) * b.shin
    legs = {"left": knee + (-2.0, 0), "right": knee + (2.0, 0)}
    feet = {"left": ankle + (-2.0, 0), "right": ankle + (2.0, 0)}

    def trunk_at(x: float) -> float:
        return 180.0 - (180.0 - top_deg) * x

    def body(tr: float) -> Joints:
        arm = 175.0 - 165.0 * (180.0 - tr) / (180.0 - top_deg)  # overhead lying, reaching to the toes at the top
        arms = {s: (arm, arm) for s in ("left", "right")}
        return assemble(b, hip, tr, legs, feet, {"left": 80.0, "right": 80.0}, arms, tr - 90)

    tr0 = trunk_at(_rest_x(lambda x: body(trunk_at(x)), "roll_up", "both", rest_offset))
    trunk = Track(tr0).hold(SETUP_S)
    truth: list[dict] = []
    for f in _depth_list(reps, depths):
        _rep_track(trunk, truth, "both", trunk_at(f), tr0, 2.0, 0.3, 2.0, 1.0, full=top_deg <= 90, depth=f)
    trunk.hold(0.5)

    def pose(t: float):
        return body(trunk.at(t))

    faults = ["partial_rep"] if top_deg > 90 else []
    return Script("roll_up", trunk.t, pose, truth, [], floor_y=floor_y, scale=b.height, expected_faults=faults)


def leg_circles(width: int = 640, height: int = 480, circles: int = 2, leg: str = "right", period_s: float = 2.2,
                amp_deg: float = 12.0) -> Script:
    """Lying, `leg` raised straight to ~70 deg, draws `circles` loops one way, then as many the other way.

    Filmed side-on, a circle of the foot is an ellipse: the leg swings +-amp_deg in the image plane and
    looks shorter as the foot comes toward the camera. The raise continues into the first (counter-
    clockwise, as seen in the canonical image) loop; after reversing, the lowering ends the last loop.
    """
    floor_y, b, shoulder = _lying_base(width, height)
    hip = shoulder + unit(0) * b.trunk
    other = "left" if leg == "right" else "right"
    raise_t = Track(0.0).hold(SETUP_S).to(1.0, 1.5)
    t0 = raise_t.t
    phase = Track(0.0).hold(t0).to(circles, circles * period_s)
    t_rev = phase.t
    phase.hold(0.3).to(0.0, circles * period_s)
    raise_t.hold(phase.t - raise_t.t).to(0.0, 1.5).hold(0.8)
    truth = []
    for i in range(circles):
        truth.append({"side": leg, "start_s": round(t0 + i * period_s, 3), "end_s": round(t0 + (i + 1) * period_s, 3),
                      "direction": "ccw", "full": True})
    for i in range(circles):
        t1 = t_rev + 0.3 + i * period_s
        truth.append({"side": leg, "start_s": round(t1, 3), "end_s": round(t1 + period_s, 3), "direction": "cw",
                      "full": True})
    legl = b.thigh + b.shin

    def pose(t: float):
        r = raise_t.at(t)
        ph = 2 * np.pi * phase.at(t)
        # The loop starts at the top of its swing and runs counter-clockwise in the image as phase grows.
        th = 70.0 * r + amp_deg * np.sin(ph) * r
        shrink = 1.0 - 0.09 * (1 - np.cos(ph)) * r
        ankle = hip + unit(th) * legl * shrink
        knee = (hip + ankle) / 2  # straight leg, foreshortened as a whole
        knees = {leg: knee, other: hip + unit(0) * b.thigh + (-2.0, 0)}
        ankles = {leg: ankle, other: knees[other] + unit(0) * b.shin}
        return assemble(b, hip, 180.0, knees, ankles, {leg: th + 80, other: 80.0}, ARMS_ALONG, 90.0)

    return Script("leg_circles", raise_t.t, pose, truth, [], floor_y=floor_y, scale=b.height)


SCRIPTS: dict[str, Callable[..., Script]] = {
    "squat": squat,
    "lunge": lunge,
    "kneeling_hip_flexor_stretch": kneeling_hip_flexor_stretch,
    "glute_bridge": glute_bridge,
    "single_leg_raise": single_leg_raise,
    "knee_to_chest": knee_to_chest,
    "psoas_march": psoas_march,
    "lying_psoas_stretch": lying_psoas_stretch,
    "standing_pelvic_tilt": standing_pelvic_tilt,
    "low_lunge": low_lunge,
    "warrior_1": warrior_1,
    "roll_up": roll_up,
    "leg_circles": leg_circles,
}
