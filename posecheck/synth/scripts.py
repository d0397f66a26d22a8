"""Motion scripts: one function per exercise (and faulty variants through parameters).

Each returns a `Script` in the canonical orientation (see motion.py) for a frame of `width` x `height`,
with ground-truth reps (start when the body leaves rest, end when it is back) and hold spans. Working
sides are anatomical; in the canonical view the right side is the near one.

Hold spans (for `hold` exercises) run from the middle of the move into the position to the middle of the
move out: a performer is "in position" about half-way through getting there, and the motions are shaped
so that each exercise's position thresholds are crossed near those midpoints. `expected_faults` lists
the fault codes a faulty variant must raise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from posecheck.synth.motion import Body, Script, Track, assemble, ik_knee, unit

SETUP_S = 1.5


def _frame(width: int, height: int) -> tuple[float, Body]:
    floor_y = 0.9 * height
    return floor_y, Body(0.78 * height)


def _rep_track(track: Track, reps: list[dict], side: str, out: float, back: float, go_s: float, hold_s: float,
               ret_s: float, pause_s: float, full: bool = True) -> None:
    start = track.t
    track.to(out, go_s).hold(hold_s)
    peak = track.t
    track.to(back, ret_s)
    reps.append({"side": side, "start_s": round(start, 3), "end_s": round(track.t, 3), "peak_s": round(peak, 3),
                 "hold_s": hold_s, "full": full})
    track.hold(pause_s)


HANG = {"left": (-95.0, -85.0), "right": (-95.0, -85.0)}


# --- standing ------------------------------------------------------------------------------------


def _standing(b: Body, ankle0: np.ndarray, x: float, lean: float, arm: float) -> object:
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
          lean: float = 40.0, rest_s: float = 0.8, jitter_deg: float = 0.0) -> Script:
    """Bodyweight squat; `partial_depth` adds one shallow rep at the end.

    `jitter_deg` adds, after the reps, 3 s of hovering with the knees at the rule's rest line (155 deg)
    wobbling +-jitter_deg: not a rep. `rest_s` is the standing pause between reps.
    """
    floor_y, b = _frame(width, height)
    ankle0 = np.array([0.47 * width, floor_y - 0.035 * b.height])
    d = Track(0.0).hold(SETUP_S)
    truth: list[dict] = []
    for _ in range(reps):
        _rep_track(d, truth, "both", depth, 0.0, 1.1, 0.3, 1.1, rest_s)
    jitter_span = (0.0, 0.0)
    if jitter_deg > 0:
        d.to(0.25, 0.8)  # knee = 180 - 100 x: 155 deg, the rest line
        jitter_span = (d.t, d.t + 3.0)
        d.hold(3.0).to(0.0, 0.8).hold(0.8)
    if partial_depth is not None:
        _rep_track(d, truth, "both", partial_depth, 0.0, 0.8, 0.2, 0.8, 0.8, full=False)
    d.hold(0.8)

    def pose(t: float):  # noqa: ANN202
        x = d.at(t)
        if jitter_span[0] < t < jitter_span[1]:
            x += jitter_deg / 100 * np.sin(2 * np.pi * 1.5 * (t - jitter_span[0]))
        arm = -95 + 95 * x  # arms come forward for balance at the bottom
        return _standing(b, ankle0, x, lean * x, arm)

    faults = ["partial_rep"] if partial_depth is not None else []
    return Script("squat", d.t, pose, truth, [], floor_y=floor_y, scale=b.height, expected_faults=faults)


def lunge(width: int = 640, height: int = 480, reps: int = 2, leg: str = "right", alternate: bool = True,
          lean: float = 0.0) -> Script:
    """Forward lunge: step out, lower until the front thigh is level, push back. `leg` is the first front leg."""
    floor_y, b = _frame(width, height)
    ankle_y = floor_y - 0.035 * b.height
    x0 = 0.36 * width
    stride = 1.3 * b.thigh
    step = Track(0.0).hold(SETUP_S)
    drop = Track(0.0).hold(SETUP_S)
    fronts: list[tuple[float, float, str]] = []
    truth: list[dict] = []
    side = leg
    for _ in range(reps):
        start = step.t
        step.to(1.0, 0.7).hold(2.3).to(0.0, 0.7).hold(0.8)
        drop.hold(0.7).to(1.0, 1.0).hold(0.3).to(0.0, 1.0).hold(1.5)
        truth.append({"side": side, "start_s": round(start, 3), "end_s": round(start + 3.7, 3),
                      "peak_s": round(start + 1.7, 3), "hold_s": 0.3, "full": True})
        fronts.append((start, start + 4.5, side))
        if alternate:
            side = "left" if side == "right" else "right"
    step.hold(0.6)
    drop.t = step.t
    stand_hip_y = ankle_y - 0.99 * (b.thigh + b.shin)

    def pose(t: float):  # noqa: ANN202
        s, dd = step.at(t), drop.at(t)
        front = next((f for t0, t1, f in fronts if t0 <= t < t1), leg)
        back = "left" if front == "right" else "right"
        lift = 0.06 * b.height * np.sin(np.pi * min(s, 1.0)) * (dd < 0.05)  # the foot clears the floor
        ankles = {back: np.array([x0, ankle_y]), front: np.array([x0 + stride * s, ankle_y - lift])}
        bottom_hip = np.array([x0 + stride - 0.97 * b.thigh, ankle_y - 0.98 * b.shin])
        top_hip = np.array([x0 + stride * s * 0.5, stand_hip_y])
        hip = top_hip + (bottom_hip - top_hip) * dd if s > 0.99 else top_hip
        knees = {k: ik_knee(hip, a, b.thigh, b.shin, unit(0)) for k, a in ankles.items()}
        toes = {front: 0.0, back: -35.0 * dd}
        trunk = 90 - lean * dd
        return assemble(b, hip, trunk, knees, ankles, toes, HANG, trunk - 90)

    return Script("lunge", step.t, pose, truth, [], floor_y=floor_y, scale=b.height)


def standing_pelvic_tilt(width: int = 640, height: int = 480, hold_s: float = 8.0) -> Script:
    """From a rest with hands on the thighs (knees bent, trunk 30 deg forward), stand tall and hold."""
    floor_y, b = _frame(width, height)
    ankle0 = np.array([0.47 * width, floor_y - 0.035 * b.height])
    go_s = 1.5
    x = Track(0.4).hold(SETUP_S).to(0.03, go_s)  # knee = 180 - 100 x
    t_in = x.t
    x.hold(hold_s)
    t_out = x.t
    x.to(0.4, go_s).hold(1.0)
    lean = Track(30.0).hold(SETUP_S).to(0.0, go_s).hold(hold_s).to(30.0, go_s).hold(1.0)

    def pose(t: float):  # noqa: ANN202
        e = lean.at(t) / 30.0  # 1 resting on the thighs, 0 standing tall
        return _standing(b, ankle0, x.at(t), lean.at(t), -95 + 40 * e)

    holds = [_hold("both", t_in - go_s / 2, t_out + go_s / 2)]
    return Script("standing_pelvic_tilt", x.t, pose, [], holds, floor_y=floor_y, scale=b.height)


def warrior_1(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right") -> Script:
    """From standing, step `leg` forward into Warrior I (front knee ~90, back leg straight, arms up), hold."""
    floor_y, b = _frame(width, height)
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

    def pose(t: float):  # noqa: ANN202
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

    holds = [_hold(leg, t_in - go_s / 2, t_out + go_s / 2)]
    return Script("warrior_1", s.t, pose, [], holds, floor_y=floor_y, scale=b.height)


# --- kneeling --------------------------------------------------------------------------------------


def kneeling_hip_flexor_stretch(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right",
                                push_deg: float = 15.0, bounce: bool = False, lean: float = 0.0) -> Script:
    """Half-kneeling 90/90, hips pushed forward, held. `leg` is the kneeling (stretched) leg.

    `bounce` pulses the hips +-8 deg at 1.3 Hz through the hold (a fault: "bouncing").
    """
    sc = _half_kneel(width, height, hold_s, leg, push_deg, bounce, lean, push_with_kneel=False)
    sc.name = "kneeling_hip_flexor_stretch"
    sc.expected_faults = ["bouncing"] if bounce else []
    return sc


def low_lunge(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right",
              push_deg: float = 35.0) -> Script:
    """From standing, step into a low lunge (back knee down and slid back, hips sunk forward), hold.

    `leg` is the front leg (the exercise's side).
    """
    back = "left" if leg == "right" else "right"
    sc = _half_kneel(width, height, hold_s, back, push_deg, False, 0.0, push_with_kneel=True)
    sc.name = "low_lunge"
    for h in sc.holds:
        h["side"] = leg
    return sc


def _half_kneel(width: int, height: int, hold_s: float, leg: str, push_deg: float, bounce: bool, lean: float,
                push_with_kneel: bool) -> Script:
    """Half-kneeling with the `leg` knee on the floor, the hips pushed forward by push_deg, held."""
    floor_y, b = _frame(width, height)
    ankle_y = floor_y - 0.035 * b.height
    knee_floor = np.array([0.34 * width, floor_y - 0.03 * b.height])
    front = "left" if leg == "right" else "right"
    go_s = 2.0
    kneel = Track(0.0).hold(SETUP_S).to(1.0, go_s)
    t_in = kneel.t
    kneel.hold(hold_s)
    t_out = kneel.t
    kneel.to(0.0, go_s).hold(1.0)
    if push_with_kneel:
        push = Track(0.0).hold(SETUP_S).to(push_deg, go_s).hold(hold_s).to(0.0, go_s)
    else:
        push = Track(0.0).hold(t_in).to(push_deg, 1.2).hold(hold_s - 1.2).to(0.0, 0.01)
    # The front foot sits about a thigh ahead of the fully pushed hips: front knee ~90 at full push.
    front_ankle = np.array([(knee_floor + unit(90 - push_deg) * b.thigh)[0] + 0.97 * b.thigh, ankle_y])
    stand_hip = np.array([knee_floor[0] + 0.6 * b.thigh, ankle_y - 0.99 * (b.thigh + b.shin)])

    def pose(t: float):  # noqa: ANN202
        k = kneel.at(t)
        p = push.at(t)
        if bounce and t_in + 1.5 < t < t_out - 0.5:
            p += 8.0 * np.sin(2 * np.pi * 1.3 * (t - t_in))
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

    holds = [_hold(leg, t_in - go_s / 2, t_out + go_s / 2)]
    return Script("half_kneel", kneel.t, pose, [], holds, floor_y=floor_y, scale=b.height)


def _hold(side: str, start: float, end: float) -> dict:
    return {"side": side, "start_s": round(start, 3), "end_s": round(end, 3), "duration_s": round(end - start, 3)}


# --- lying on the back (canonical: head at image-left) ------------------------------------------------


def _lying_base(width: int, height: int) -> tuple[float, Body, np.ndarray]:
    floor_y, b = _frame(width, height)
    shoulder = np.array([0.20 * width, floor_y - 0.075 * b.height])
    return floor_y, b, shoulder


ARMS_ALONG = {"left": (-2.0, 0.0), "right": (-2.0, 0.0)}


def glute_bridge(width: int = 640, height: int = 480, reps: int = 2, hold_s: float = 5.0, lift: float = 1.0,
                 feet_far: float = 1.0) -> Script:
    """Lying, knees bent, lift the hips until shoulder-hip-knee is straight, hold, lower."""
    floor_y, b, shoulder = _lying_base(width, height)
    phi_max = 21.0
    hip_top = shoulder + unit(phi_max) * b.trunk
    knee_top = hip_top + unit(phi_max) * b.thigh
    ankle = knee_top + unit(-90 + phi_max * feet_far) * b.shin
    lift_t = Track(0.0).hold(SETUP_S)
    truth: list[dict] = []
    holds: list[dict] = []
    for _ in range(reps):
        _rep_track(lift_t, truth, "both", lift, 0.0, 1.2, hold_s, 1.2, 1.0, full=lift > 0.8)
        r = truth[-1]
        holds.append(_hold("both", r["start_s"] + 1.2, r["peak_s"]))
    lift_t.hold(0.6)

    def pose(t: float):  # noqa: ANN202
        phi = phi_max * lift_t.at(t)
        hip = shoulder + unit(phi) * b.trunk
        knees, ankles = {}, {}
        for side, dx in (("right", 2.0), ("left", -2.0)):
            ankles[side] = ankle + (dx, 0)
            knees[side] = ik_knee(hip, ankles[side], b.thigh, b.shin, unit(90))
        return assemble(b, hip, 180 + phi, knees, ankles, {"left": 0.0, "right": 0.0},
                        {"left": (-2.0 + phi * 0.3, 0.0), "right": (-2.0 + phi * 0.3, 0.0)}, 90.0)

    if lift <= 0.8:
        holds = []
    faults = ["partial_rep"] if lift <= 0.8 else []  # hips not lifted: every rep is a partial one
    return Script("glute_bridge", lift_t.t, pose, truth, holds, floor_y=floor_y, scale=b.height,
                  expected_faults=faults)


def single_leg_raise(width: int = 640, height: int = 480, reps: int = 2, hold_s: float = 5.0, leg: str = "right",
                     bent_knee_deg: float = 0.0, partial: bool = False, support_deg: float = 45.0) -> Script:
    """Lying, one knee bent (foot flat); the straight `leg` rises to the bent knee's height, holds, lowers.

    `bent_knee_deg` bends the raised knee (a fault); `partial` makes the last rep stop half-way.
    """
    floor_y, b, shoulder = _lying_base(width, height)
    hip = shoulder + unit(0) * b.trunk
    other = "left" if leg == "right" else "right"
    theta = Track(0.0).hold(SETUP_S)
    truth: list[dict] = []
    holds: list[dict] = []
    for i in range(reps):
        short = partial and i == reps - 1
        _rep_track(theta, truth, leg, support_deg * (0.45 if short else 1.0), 0.0, 1.5, 0.6 if short else hold_s,
                   1.5, 1.0, full=not short)
        if not short:
            r = truth[-1]
            holds.append(_hold(leg, r["start_s"] + 1.5, r["peak_s"]))
    theta.hold(0.5)
    s_knee = hip + unit(support_deg) * b.thigh
    foot_y = floor_y - 0.035 * b.height
    dy = foot_y - s_knee[1]
    s_ankle = s_knee + np.array([np.sqrt(max(b.shin**2 - dy**2, 1.0)), dy])

    def pose(t: float):  # noqa: ANN202
        th = theta.at(t)
        bend = bent_knee_deg * min(1.0, th / 10.0)  # the fault shows once the leg is off the floor
        w_knee = hip + unit(th) * b.thigh
        w_ankle = w_knee + unit(th - bend) * b.shin
        knees = {leg: w_knee, other: s_knee}
        ankles = {leg: w_ankle, other: s_ankle}
        toes = {leg: th - bend + 80, other: 0.0}
        return assemble(b, hip, 180.0, knees, ankles, toes, ARMS_ALONG, 90.0)

    faults = (["knee_bent"] if bent_knee_deg >= 25 else []) + (["partial_rep"] if partial else [])
    return Script("single_leg_raise", theta.t, pose, truth, holds, floor_y=floor_y, scale=b.height,
                  expected_faults=faults)


def knee_to_chest(width: int = 640, height: int = 480, reps: int = 4, leg: str = "right") -> Script:
    """Lying, legs long: pull one knee to the chest and return, alternating legs."""
    floor_y, b, shoulder = _lying_base(width, height)
    hip = shoulder + unit(0) * b.trunk
    tracks = {"left": Track(0.0).hold(SETUP_S), "right": Track(0.0).hold(SETUP_S)}
    truth: list[dict] = []
    side = leg
    for _ in range(reps):
        other = "left" if side == "right" else "right"
        _rep_track(tracks[side], truth, side, 1.0, 0.0, 1.2, 1.0, 1.2, 0.6)
        tracks[other].hold(4.0)
        side = other
    for tr in tracks.values():
        tr.hold(0.5)

    def pose(t: float):  # noqa: ANN202
        knees, ankles, toes = {}, {}, {}
        for s, tr in tracks.items():
            x = tr.at(t)
            th = 125.0 * x  # thigh elevation: 0 on the floor, past vertical toward the chest
            knees[s] = hip + unit(th) * b.thigh
            ankles[s] = knees[s] + unit(th - 110.0 * x) * b.shin
            toes[s] = th - 110 * x + 80
        return assemble(b, hip, 180.0, knees, ankles, toes, ARMS_ALONG, 90.0)

    return Script("knee_to_chest", max(t.t for t in tracks.values()), pose, truth, [], floor_y=floor_y,
                  scale=b.height)


def psoas_march(width: int = 640, height: int = 480, reps: int = 4, leg: str = "right") -> Script:
    """Lying at 90/90 (thighs vertical, knees 90): lower one leg toward the floor and back, alternating."""
    floor_y, b, shoulder = _lying_base(width, height)
    hip = shoulder + unit(0) * b.trunk
    tracks = {"left": Track(90.0).hold(SETUP_S), "right": Track(90.0).hold(SETUP_S)}
    truth: list[dict] = []
    side = leg
    for _ in range(reps):
        other = "left" if side == "right" else "right"
        _rep_track(tracks[side], truth, side, 20.0, 90.0, 1.3, 0.4, 1.3, 0.6)
        tracks[other].hold(3.6)
        side = other
    for tr in tracks.values():
        tr.hold(0.5)

    def pose(t: float):  # noqa: ANN202
        knees, ankles, toes = {}, {}, {}
        for s, tr in tracks.items():
            th = tr.at(t)
            knees[s] = hip + unit(th) * b.thigh + ((3.0, 0) if s == "right" else (-3.0, 0))
            ankles[s] = knees[s] + unit(th - 90) * b.shin
            toes[s] = th
        return assemble(b, hip, 180.0, knees, ankles, toes, ARMS_ALONG, 90.0)

    return Script("psoas_march", max(t.t for t in tracks.values()), pose, truth, [], floor_y=floor_y,
                  scale=b.height)


def lying_psoas_stretch(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right") -> Script:
    """Lying on the edge of a bench hugging both knees; `leg` is lowered off the edge to hang, held, raised.

    The bench is not drawn (the figure lies in the air at bench height). `leg` is the hanging leg. It swings
    down to about level, then sinks slowly below the hip line (gravity doing the work): the position is
    reached half-way through that sinking, which is where the hold's truth starts (and ends, mirrored).
    """
    floor_y, b = _frame(width, height)
    other = "left" if leg == "right" else "right"
    hang_th, hang_shin = -25.0, -95.0
    hip = np.array([0.52 * width, floor_y - 0.035 * b.height - b.thigh * np.sin(np.radians(-hang_th)) - b.shin])
    hug_th, hug_knee = 115.0, 55.0  # thigh elevation and knee angle hugged to the chest
    # The hanging leg: 0 hugged, 1 level (knee bent ~100), 2 hanging.
    d = Track(0.0).hold(SETUP_S).to(1.0, 1.0).to(2.0, 1.0)
    t_in = d.t - 0.5
    d.hold(hold_s)
    t_out = d.t + 0.5
    d.to(1.0, 1.0).to(0.0, 1.0).hold(1.0)

    def leg_at(x: float) -> tuple[float, float]:
        """(thigh elevation, shin direction) of the hanging leg along its path."""
        if x <= 1.0:
            return hug_th + (5.0 - hug_th) * x, hug_th - (180 - hug_knee) + (-80.0 - hug_th + 180 - hug_knee) * x
        return 5.0 + (hang_th - 5.0) * (x - 1), -80.0 + (hang_shin + 80.0) * (x - 1)

    def pose(t: float):  # noqa: ANN202
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
    return Script("lying_psoas_stretch", d.t, pose, [], holds, floor_y=floor_y, scale=b.height)


def roll_up(width: int = 640, height: int = 480, reps: int = 2, top_deg: float = 60.0) -> Script:
    """Lying, arms overhead, legs long: roll up until the trunk reaches over the legs, roll back down.

    `top_deg` is the hip angle at the top (trunk direction); above the rule's target it is a partial rep.
    """
    floor_y, b, shoulder = _lying_base(width, height)
    shoulder = shoulder + (0.08 * width, 0)
    hip = shoulder + unit(0) * b.trunk
    trunk = Track(180.0).hold(SETUP_S)
    truth: list[dict] = []
    for _ in range(reps):
        _rep_track(trunk, truth, "both", top_deg, 180.0, 2.0, 0.3, 2.0, 1.0, full=top_deg <= 90)
    trunk.hold(0.5)
    knee = hip + unit(0) * b.thigh
    ankle = knee + unit(0) * b.shin
    legs = {"left": knee + (-2.0, 0), "right": knee + (2.0, 0)}
    feet = {"left": ankle + (-2.0, 0), "right": ankle + (2.0, 0)}

    def pose(t: float):  # noqa: ANN202
        tr = trunk.at(t)
        arm = 175.0 - 165.0 * (180.0 - tr) / (180.0 - top_deg)  # overhead lying, reaching to the toes at the top
        arms = {s: (arm, arm) for s in ("left", "right")}
        return assemble(b, hip, tr, legs, feet, {"left": 80.0, "right": 80.0}, arms, tr - 90)

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

    def pose(t: float):  # noqa: ANN202
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
