"""Joint angles as the user sees them: labels on the video beside their joints, never on top of each other, and
the video's labels and the Review page's angle plot both as the rules read the joints."""

from __future__ import annotations

import itertools

import numpy as np

from posecheck import pose as P
from posecheck.kinematics import compute_kinematics
from posecheck.overlay import COLOURS, Hud, draw_overlay, joint_readings, place_angle_labels
from posecheck.pose import PoseFrame


def test_labels_of_joints_on_one_spot_stack_and_say_their_side():
    # A side-on single-leg raise at the top: both hips on one spot, both knees on another.
    joints = [("left_hip", (300, 300), 135.0), ("right_hip", (301, 302), 133.0),
              ("left_knee", (230, 150), 170.0), ("right_knee", (231, 151), 81.0)]
    labels = place_angle_labels(joints, 640, 360, 0.5)
    assert [lab.text for lab in labels] == ["L 135", "R 133", "L 170", "R 81"]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(labels, 2))


def test_labels_of_joints_apart_are_plain_numbers_beside_them():
    joints = [("left_hip", (300, 300), 135.0), ("left_knee", (100, 150), 170.0), ("right_knee", (500, 150), 81.0)]
    labels = place_angle_labels(joints, 640, 360, 0.5)
    assert [lab.text for lab in labels] == ["135", "170", "81"]
    assert labels[1].x < 100 < labels[2].x  # on the side away from the frame's centre
    assert all(abs(lab.y - xy[1]) < 10 for lab, (_, xy, _) in zip(labels, joints, strict=True))


def _raise_top_kinematics():
    lm = np.zeros((33, 3))
    lm[[P.LEFT_SHOULDER, P.RIGHT_SHOULDER]] = (150, 300, 0)
    lm[[P.LEFT_HIP, P.RIGHT_HIP]] = (300, 300, 0)
    lm[[P.LEFT_KNEE, P.RIGHT_KNEE]] = (370, 230, 0)
    lm[P.LEFT_ANKLE], lm[P.RIGHT_ANKLE] = (440, 160, 0), (440, 300, 0)  # straight raised leg, bent support leg
    lm[P.NOSE] = lm[P.LEFT_EAR] = lm[P.RIGHT_EAR] = (80, 290, 0)
    return compute_kinematics(PoseFrame(0.0, 640, 400, lm, lm / 1000, np.ones(33)), fix_sides=False)


def test_overlay_draws_both_knee_labels_where_the_knees_coincide():
    kin = _raise_top_kinematics()
    blank = np.zeros((400, 640, 3), np.uint8)
    out = draw_overlay(blank, kin, Hud("Single-leg raise"))
    knee_area = out[150:260, 360:560]  # right of the knees (they are right of the frame's centre)
    panel_rows = np.flatnonzero((knee_area == (20, 24, 30)).all(axis=-1).any(axis=1))
    assert panel_rows.max() - panel_rows.min() > 25  # two label panels, one below the other


def test_a_reading_the_rules_took_from_the_other_leg_is_written_as_they_read_it():
    kin = _raise_top_kinematics()
    plain = {name: round(v) for name, _, v in joint_readings(kin)}
    assert plain["left_knee"] == 180 and plain["right_knee"] < 120  # as MediaPipe named them
    swapped = {name: round(v) for name, _, v in joint_readings(kin, frozenset({"left_knee", "right_knee"}))}
    assert swapped["left_knee"] == plain["right_knee"] and swapped["right_knee"] == plain["left_knee"]
    assert swapped["left_hip"] == plain["left_hip"]


def test_the_angle_plot_reads_the_joints_as_the_video_labels_do():
    from dataclasses import replace

    from posecheck.records import TrackerState
    from posecheck.report import AngleSeries

    kin = _raise_top_kinematics()
    series = AngleSeries()
    state = TrackerState.blank(0.0, "side", None)
    series.add(kin, state)
    series.add(kin, replace(state, exchanged=frozenset({"left_knee", "right_knee"})))
    assert series.values["left_knee"] == [round(kin.value("left_knee"), 2), round(kin.value("right_knee"), 2)]
    assert series.values["right_knee"][1] == round(kin.value("left_knee"), 2)
    assert series.values["left_hip"][0] == series.values["left_hip"][1]


def test_no_joint_dot_is_drawn_over_another_joints_label():
    # A side-on squat: the far hip's vertex lies just left of the near one's, where the near hip's label goes.
    lm = np.zeros((33, 3))
    lm[P.LEFT_SHOULDER], lm[P.RIGHT_SHOULDER] = (300, 100, 0), (292, 100, 0)
    lm[P.LEFT_HIP], lm[P.RIGHT_HIP] = (260, 250, 0), (236, 246, 0)
    lm[P.LEFT_KNEE], lm[P.RIGHT_KNEE] = (380, 250, 0), (360, 256, 0)
    lm[P.LEFT_ANKLE], lm[P.RIGHT_ANKLE] = (360, 380, 0), (345, 382, 0)
    lm[P.NOSE] = lm[P.LEFT_EAR] = lm[P.RIGHT_EAR] = (320, 60, 0)
    kin = compute_kinematics(PoseFrame(0.0, 640, 400, lm, lm / 1000, np.ones(33)), fix_sides=False)
    joints = joint_readings(kin)
    assert {"left_hip", "right_hip"} <= {name for name, _, _ in joints}
    scale = max(0.45, 400 / 720)  # as draw_overlay scales a 640x400 frame
    labels = {lab.name: lab for lab in place_angle_labels(joints, 640, 400, scale)}
    x0, y0, x1, y1 = labels["left_hip"].box()
    assert x0 <= 236 <= x1 and y0 <= 246 <= y1  # the far hip's dot falls inside the near hip's label

    out = draw_overlay(np.zeros((400, 640, 3), np.uint8), kin,
                       Hud("Squat", joint_status={"left_hip": "ok", "right_hip": "bad"}))
    box = out[y0:y1, x0:x1]
    assert not (box == COLOURS["bad"]).all(axis=-1).any()  # the far hip's red dot is under the label, not on it
    assert (box == COLOURS["ok"]).all(axis=-1).any()  # and the label's own number is there
