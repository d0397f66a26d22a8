"""Angle maths, view detection and left/right by geometry, on hand-built landmark arrays."""

import numpy as np
import pytest
from poses import standing_side

from posecheck import pose as P
from posecheck.kinematics import (
    SIGNALS,
    SideTracker,
    angle_signals,
    blend_weight_3d,
    compute_kinematics,
    depth_share,
    detect_view,
    elevation_deg,
    incline_from_vertical_deg,
    joint_angle_deg,
    labels_swapped,
    swap_left_right,
    swap_legs,
)
from posecheck.pose import PoseFrame, landmarks_to_pixels


@pytest.mark.parametrize(
    ("a", "b", "c", "expected"),
    [
        ((1, 0), (0, 0), (0, 1), 90.0),
        ((1, 0), (0, 0), (-1, 0), 180.0),
        ((1, 0), (0, 0), (1, 0), 0.0),
        ((1, 0), (0, 0), (1, 1), 45.0),
        ((0, 0, 1), (0, 0, 0), (0, 1, 0), 90.0),
        ((2, 0, 0), (0, 0, 0), (1, np.sqrt(3), 0), 60.0),
    ],
)
def test_joint_angle(a, b, c, expected):
    assert joint_angle_deg(np.array(a, float), np.array(b, float), np.array(c, float)) == pytest.approx(expected)


def test_joint_angle_is_vectorised_and_nan_for_degenerate():
    a = np.array([[1, 0], [0, 0]], float)
    b = np.zeros((2, 2))
    c = np.array([[0, 1], [0, 1]], float)
    out = joint_angle_deg(a, b, c)
    assert out[0] == pytest.approx(90)
    assert np.isnan(out[1])  # zero-length segment has no angle


def test_incline_and_elevation_use_image_axes():
    up, right, down = np.array([0, -1.0]), np.array([1.0, 0]), np.array([0, 1.0])
    assert incline_from_vertical_deg(up) == pytest.approx(0)
    assert incline_from_vertical_deg(right) == pytest.approx(90)
    assert incline_from_vertical_deg(down) == pytest.approx(180)
    assert elevation_deg(down) == pytest.approx(-90)  # standing thigh
    assert elevation_deg(right) == pytest.approx(0)
    assert elevation_deg(np.array([1.0, -1.0])) == pytest.approx(45)  # knee above the hip


def test_non_square_frame_angles_need_pixel_scaling():
    # A true right angle in a 1280x720 frame, off the axes: shoulder up-left, knee up-right of the hip.
    w, h = 1280, 720
    px = np.array([[440, 160], [640, 360], [840, 160]], float)
    norm = px / [w, h]
    assert joint_angle_deg(*landmarks_to_pixels(norm, w, h)) == pytest.approx(90)
    # Using normalised coordinates directly would be wrong by a lot: that is the bug this guards.
    assert abs(joint_angle_deg(*norm) - 90) > 10


@pytest.mark.parametrize("facing", ["left", "right"])
def test_labels_swapped_by_geometry_standing(facing):
    # Facing image-right, the right side is nearer the camera, so "left" must be farther (+z).
    correct_left_far = facing == "right"
    ok = standing_side(facing, left_far=correct_left_far)
    bad = standing_side(facing, left_far=not correct_left_far)
    assert not labels_swapped(ok, ok)
    assert labels_swapped(bad, bad)


def test_labels_swapped_lying_on_back():
    # Supine, head at image-left, face up: the person's right side is nearer the camera.
    lm = np.zeros((33, 3))
    lm[P.NOSE] = (80, 280, 0)
    lm[P.LEFT_EAR] = lm[P.RIGHT_EAR] = (80, 300, 0)
    lm[[P.LEFT_SHOULDER, P.RIGHT_SHOULDER]] = (150, 300, 0)
    lm[[P.LEFT_HIP, P.RIGHT_HIP]] = (300, 300, 0)
    for i in range(11, 33, 2):
        lm[i, 2], lm[i + 1, 2] = 0.1, -0.1  # left far: correct
    assert not labels_swapped(lm, lm)
    assert labels_swapped(swap_left_right(lm), swap_left_right(lm))


def test_swap_left_right_swaps_every_pair():
    lm = np.arange(33 * 3, dtype=float).reshape(33, 3)
    sw = swap_left_right(lm)
    assert np.array_equal(sw[P.LEFT_KNEE], lm[P.RIGHT_KNEE])
    assert np.array_equal(sw[P.NOSE], lm[P.NOSE])
    assert np.array_equal(swap_left_right(sw), lm)


def test_detect_view():
    side = standing_side()
    assert detect_view(side) == "side"
    front = side.copy()
    front[[P.LEFT_SHOULDER, P.LEFT_HIP], 0] = 160
    front[[P.RIGHT_SHOULDER, P.RIGHT_HIP], 0] = 40
    assert detect_view(front) == "front"


def test_angle_signals_on_a_known_pose():
    lm = standing_side()[:, :2]
    # Bend the right leg: thigh horizontal forward, shin straight down (hip 90, knee 90).
    lm[P.RIGHT_KNEE] = lm[P.RIGHT_HIP] + (150, 0)
    lm[P.RIGHT_ANKLE] = lm[P.RIGHT_KNEE] + (0, 150)
    sig = angle_signals(lm)
    assert set(sig) == set(SIGNALS)
    assert sig["right_hip"] == pytest.approx(90, abs=3)  # shoulder is 5 px off the hip line
    assert sig["right_knee"] == pytest.approx(90)
    assert sig["right_thigh_incline"] == pytest.approx(0)
    assert sig["left_knee"] == pytest.approx(180, abs=3)
    assert sig["left_thigh_incline"] == pytest.approx(-90, abs=3)
    assert sig["trunk_incline"] == pytest.approx(0)


def test_compute_kinematics_reliability_and_no_person():
    lm = standing_side()
    vis = np.ones(33)
    frame = PoseFrame(0.0, 640, 600, lm, lm / 1000, vis)
    kin = compute_kinematics(frame)
    assert kin.detected and kin.view == "side" and kin.facing == "right"
    assert all(kin.reliable.values())
    low = vis.copy()
    low[P.LEFT_ANKLE] = 0.1
    out = lm.copy()
    out[P.RIGHT_ANKLE, 1] = 700  # below a 600 px frame
    kin = compute_kinematics(PoseFrame(0.0, 640, 600, out, lm / 1000, low))
    assert not kin.reliable["left_knee"] and not kin.reliable["right_knee"]
    assert kin.reliable["left_hip"] and kin.reliable["right_hip"]
    none = compute_kinematics(PoseFrame(1.0, 640, 600))
    assert not none.detected and all(np.isnan(v) for v in none.angles.values())
    assert not any(none.reliable.values())


def test_compute_kinematics_fixes_swapped_labels():
    good = standing_side("right", left_far=True)
    good[P.RIGHT_KNEE, 0] += 150  # the right (near) leg raised forward
    good[P.RIGHT_KNEE, 1] -= 150
    mislabeled = swap_left_right(good)
    frame = PoseFrame(0.0, 640, 600, mislabeled, mislabeled / 1000, np.ones(33))
    kin = compute_kinematics(frame)
    fixed = compute_kinematics(frame, fix_sides=False)
    assert kin.swapped
    assert kin.value("left_thigh_incline") == pytest.approx(fixed.value("right_thigh_incline"))


def _front_lunge(thigh_toward_camera_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """A person facing the camera, right thigh raised forward (toward the camera) by the given angle from
    vertical; image landmarks as a pinhole camera sees them and world landmarks in metres (z away)."""
    world = np.zeros((33, 3))
    for side, x in ((0, 0.1), (1, -0.1)):  # 0 = left landmarks (image right when facing the camera)
        world[P.LEFT_SHOULDER + side] = (x * 1.6, -0.5, 0)
        world[P.LEFT_HIP + side] = (x, 0, 0)
        world[P.LEFT_KNEE + side] = (x, 0.45, 0)
        world[P.LEFT_ANKLE + side] = (x, 0.9, 0)
    world[P.NOSE] = (0, -0.7, -0.1)
    world[P.LEFT_EAR], world[P.RIGHT_EAR] = (0.07, -0.7, 0), (-0.07, -0.7, 0)
    a = np.radians(thigh_toward_camera_deg)
    hip = world[P.RIGHT_HIP]
    world[P.RIGHT_KNEE] = hip + 0.45 * np.array([0, np.cos(a), -np.sin(a)])
    world[P.RIGHT_ANKLE] = world[P.RIGHT_KNEE] + (0, 0.45, 0)
    cam = world + (0, 0, 3.0)  # camera 3 m in front, at hip height
    px = np.column_stack([320 + 500 * cam[:, 0] / cam[:, 2], 240 + 500 * cam[:, 1] / cam[:, 2], cam[:, 2]])
    return px, world


def test_depth_share_and_blend_weight():
    assert depth_share(np.array([1.0, 0, 0])) == pytest.approx(0)
    assert depth_share(np.array([0, 0, -2.0])) == pytest.approx(1)
    assert depth_share(np.zeros(3)) == 0
    assert blend_weight_3d(0.1) == 0 and blend_weight_3d(0.9) == 1
    assert 0 < blend_weight_3d(0.5) < 1
    ws = [blend_weight_3d(x) for x in np.linspace(0, 1, 21)]
    assert ws == sorted(ws)  # monotonic: no jumps as a thigh turns toward the camera


def test_auto_source_reads_a_thigh_raised_toward_the_camera_from_the_front():
    px, world = _front_lunge(80.0)  # thigh nearly horizontal, pointing at the camera: true elevation -10
    frame = PoseFrame(0.0, 640, 480, px, world, np.ones(33))
    two_d = compute_kinematics(frame, "2d", fix_sides=False)
    auto = compute_kinematics(frame, "auto", fix_sides=False)
    assert auto.view == two_d.view == "front"
    assert two_d.value("right_thigh_incline") < -60  # the projection hides the raise
    assert auto.value("right_thigh_incline") == pytest.approx(-10, abs=1)
    assert auto.value("right_hip") == pytest.approx(100, abs=2)  # 3D joint angle: the plane faces sideways
    assert auto.ok("right_hip") and not two_d.ok("right_hip")  # 2D flags the foreshortened joint instead
    standing = compute_kinematics(PoseFrame(0.0, 640, 480, *_front_lunge(0.0), np.ones(33)), "auto", fix_sides=False)
    assert standing.value("right_thigh_incline") == pytest.approx(-90, abs=1)


def test_auto_source_keeps_2d_angles_in_a_side_view():
    lm = standing_side()
    lm[P.RIGHT_KNEE] = lm[P.RIGHT_HIP] + (150, 0, -0.1)
    world = lm / 300
    world[P.RIGHT_KNEE, 2] = -0.6  # noisy world depth: would turn the thigh "toward the camera"
    frame = PoseFrame(0.0, 640, 600, lm, world, np.ones(33))
    auto = compute_kinematics(frame, "auto", fix_sides=False)
    two_d = compute_kinematics(frame, "2d", fix_sides=False)
    assert auto.view == "side"
    assert auto.angles == two_d.angles


# --- left/right kept consistent over time (SideTracker) -----------------------------------------


def _lying_legs(raised_deg: float, rest_deg: float = 0.0) -> np.ndarray:
    """Supine, head at image-left, face up, labels correct (left side far, +z). The right (near) leg is
    raised `raised_deg` above the floor, the left one `rest_deg`; both straight, 200 px long."""
    lm = np.zeros((33, 3))
    lm[P.NOSE] = (80, 280, 0)
    lm[P.LEFT_EAR] = lm[P.RIGHT_EAR] = (80, 300, 0)
    lm[[P.LEFT_SHOULDER, P.RIGHT_SHOULDER]] = (150, 300, 0)
    lm[[P.LEFT_HIP, P.RIGHT_HIP]] = (300, 300, 0)
    for (knee, ankle), deg in (((P.RIGHT_KNEE, P.RIGHT_ANKLE), raised_deg), ((P.LEFT_KNEE, P.LEFT_ANKLE), rest_deg)):
        d = np.array([np.cos(np.radians(deg)), -np.sin(np.radians(deg)), 0.0])
        lm[knee], lm[ankle] = lm[P.LEFT_HIP] + 100 * d, lm[P.LEFT_HIP] + 200 * d
    for i in range(11, 33, 2):
        lm[i, 2], lm[i + 1, 2] = 0.1, -0.1
    return lm


def _frame(lm: np.ndarray, t: float = 0.0) -> PoseFrame:
    return PoseFrame(t, 640, 600, lm, lm / 1000, np.ones(33))


def _right_hip_series(frames: list[np.ndarray], tracker: SideTracker | None) -> np.ndarray:
    return np.array([compute_kinematics(_frame(lm, i / 20), sides=tracker).value("right_hip")
                     for i, lm in enumerate(frames)])


def test_side_tracker_undoes_a_one_frame_leg_label_flip():
    truth = [_lying_legs(a) for a in np.linspace(10, 80, 15)]
    seen = [swap_legs(lm) if i == 7 else lm for i, lm in enumerate(truth)]  # MediaPipe flips the legs once
    want = _right_hip_series(truth, None)
    assert _right_hip_series(seen, SideTracker()) == pytest.approx(want, abs=1e-6)
    assert abs(_right_hip_series(seen, None)[7] - want[7]) > 30  # per-frame geometry alone gets it wrong


def test_side_tracker_keeps_legs_through_a_crossing():
    # Scissor: the right leg rises while the left one lowers; they meet at 30 deg (frame 6). MediaPipe
    # keeps its labels while they overlap and swaps them three frames later, for good.
    angles = np.linspace(0, 60, 13)
    truth = [_lying_legs(a, 60 - a) for a in angles]
    seen = [swap_legs(lm) if i >= 9 else lm for i, lm in enumerate(truth)]
    tracker = SideTracker()
    kins = [compute_kinematics(_frame(lm, i / 20), sides=tracker) for i, lm in enumerate(seen)]
    want = _right_hip_series(truth, None)
    assert [k.value("right_hip") for k in kins] == pytest.approx(want, abs=1e-6)
    assert [k.swapped for k in kins] == [False] * 9 + [True] * 4
    assert np.abs(_right_hip_series(seen, None)[9:] - want[9:]).min() > 30


def test_side_tracker_gives_mediapipe_its_labels_back_after_a_long_disagreement():
    # The tracker overrules MediaPipe's leg labels for at most max_override_s in a row: a disagreement that
    # lasts longer more likely comes from the tracker having followed a MediaPipe mistake.
    truth = [_lying_legs(a, 60 - a) for a in np.linspace(0, 60, 13)]
    seen = [swap_legs(lm) if i >= 9 else lm for i, lm in enumerate(truth)] + [swap_legs(truth[-1])] * 8
    tracker = SideTracker(max_override_s=0.3)
    swapped = [compute_kinematics(_frame(lm, i / 20), sides=tracker).swapped for i, lm in enumerate(seen)]
    assert swapped[9:16] == [True] * 7  # 0.30 s of overruling ...
    assert not any(swapped[16:])  # ... then MediaPipe's labels stand, and the tracker follows them


def test_side_tracker_body_orientation_ignores_a_one_frame_vote():
    lm = _lying_legs(40)
    tracker = SideTracker(body_frames=3)
    votes = [False, False, True, False, False]
    assert [tracker.update(lm, v).body for v in votes] == [False] * 5
    votes = [True, True, True, True]
    assert [tracker.update(lm, v).body for v in votes] == [False, False, True, True]
    tracker.reset()
    assert tracker.update(lm, True).body  # the first frame of a stream takes the geometry as it is


def test_side_tracker_marks_a_leg_drawn_onto_the_other_as_lost():
    # The right leg rises; for frames 5-7 MediaPipe draws it twice and the resting left leg is lost.
    truth = [_lying_legs(a) for a in np.linspace(10, 80, 12)]
    seen = []
    for i, lm in enumerate(truth):
        lm = lm.copy()
        if 5 <= i <= 7:
            lm[[P.LEFT_KNEE, P.LEFT_ANKLE], :2] = lm[[P.RIGHT_KNEE, P.RIGHT_ANKLE], :2] + (4, -3)
        seen.append(lm)
    tracker = SideTracker()
    kins = [compute_kinematics(_frame(lm, i / 20), sides=tracker) for i, lm in enumerate(seen)]
    assert [k.ok("left_hip") for k in kins] == [True] * 5 + [False] * 3 + [True] * 4
    assert [k.ok("left_knee") for k in kins] == [True] * 5 + [False] * 3 + [True] * 4
    assert all(k.ok("right_hip") for k in kins)
    assert all(compute_kinematics(_frame(lm)).ok("left_hip") for lm in seen)  # one frame alone cannot tell


def test_side_tracker_flags_a_folded_leg_and_resets():
    lm = _lying_legs(40)
    lm[[P.LEFT_KNEE, P.LEFT_ANKLE], :2] = lm[P.LEFT_HIP, :2] + [(30, 0), (130, 0)]  # thigh drawn 30 px of 100
    tracker = SideTracker()
    assert tracker.update(lm, False).lost == (True, False)
    assert not tracker.update(lm, False, side_view=False).lost[0]  # only judged in side views
    none = compute_kinematics(PoseFrame(1.0, 640, 600), sides=tracker)
    assert not none.detected and tracker._trusted is None  # a lost person resets the tracker
