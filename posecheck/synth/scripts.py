"""Motion scripts: one function per exercise (and faulty variants through parameters).

Each returns a `Script` in the canonical orientation (see motion.py) for a frame of `width` x `height`,
with ground-truth reps (start when the body leaves rest, end when it is back) and hold spans. Working
sides are anatomical; in the canonical view the right side is the near one.
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


def squat(width: int = 640, height: int = 480, reps: int = 3, depth: float = 1.0, partial_depth: float | None = None,
          lean: float = 40.0) -> Script:
    """Bodyweight squat; `partial_depth` adds one shallow rep at the end."""
    floor_y, b = _frame(width, height)
    ankle0 = np.array([0.47 * width, floor_y - 0.035 * b.height])
    d = Track(0.0).hold(SETUP_S)
    truth: list[dict] = []
    for _ in range(reps):
        _rep_track(d, truth, "both", depth, 0.0, 1.1, 0.3, 1.1, 0.8)
    if partial_depth is not None:
        _rep_track(d, truth, "both", partial_depth, 0.0, 0.8, 0.2, 0.8, 0.8, full=False)
    d.hold(0.8)

    def pose(t: float):  # noqa: ANN202
        x = d.at(t)
        shin_deg, thigh_deg = 90 - 25 * x, 90 + 75 * x  # ankle->knee, knee->hip
        knees, ankles = {}, {}
        for side, dx in (("right", 3.0), ("left", -3.0)):
            ankles[side] = ankle0 + (dx, 0)
            knees[side] = ankles[side] + unit(shin_deg) * b.shin
        hip = knees["right"] + unit(thigh_deg) * b.thigh - (3.0, 0)
        arm = -95 + 95 * x  # arms come forward for balance at the bottom
        trunk = 90 - lean * x
        return assemble(b, hip, trunk, knees, ankles, {"left": 0.0, "right": 0.0},
                        {"left": (arm, arm + 5), "right": (arm, arm + 5)}, trunk - 90)

    return Script("squat", d.t, pose, truth, [], floor_y=floor_y, scale=b.height)


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


# --- kneeling --------------------------------------------------------------------------------------


def kneeling_hip_flexor_stretch(width: int = 640, height: int = 480, hold_s: float = 6.0, leg: str = "right",
                                push_deg: float = 15.0, bounce: bool = False, lean: float = 0.0) -> Script:
    """Half-kneeling 90/90, hips pushed forward, held. `leg` is the kneeling (stretched) leg."""
    floor_y, b = _frame(width, height)
    ankle_y = floor_y - 0.035 * b.height
    knee_floor = np.array([0.36 * width, floor_y - 0.03 * b.height])
    front = "left" if leg == "right" else "right"
    kneel = Track(0.0).hold(SETUP_S).to(1.0, 2.0)
    t_in = kneel.t
    kneel.hold(hold_s)
    t_out = kneel.t
    kneel.to(0.0, 2.0).hold(1.0)
    push = Track(0.0).hold(t_in).to(push_deg, 1.2).hold(hold_s - 1.2).to(0.0, 0.01)
    hip_k0 = knee_floor + unit(90) * b.thigh
    front_ankle = np.array([hip_k0[0] + b.thigh, ankle_y])
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

    holds = [{"side": leg, "start_s": round(t_in, 3), "end_s": round(t_out, 3)}]
    return Script("kneeling_hip_flexor_stretch", kneel.t, pose, [], holds, floor_y=floor_y, scale=b.height)


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
        holds.append({"side": "both", "start_s": round(r["start_s"] + 1.2, 3), "end_s": round(r["peak_s"], 3)})
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
    return Script("glute_bridge", lift_t.t, pose, truth, holds, floor_y=floor_y, scale=b.height)


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
            holds.append({"side": leg, "start_s": round(r["start_s"] + 1.5, 3), "end_s": round(r["peak_s"], 3)})
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

    return Script("single_leg_raise", theta.t, pose, truth, holds, floor_y=floor_y, scale=b.height)


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


SCRIPTS: dict[str, Callable[..., Script]] = {
    "squat": squat,
    "lunge": lunge,
    "kneeling_hip_flexor_stretch": kneeling_hip_flexor_stretch,
    "glute_bridge": glute_bridge,
    "single_leg_raise": single_leg_raise,
    "knee_to_chest": knee_to_chest,
    "psoas_march": psoas_march,
}
