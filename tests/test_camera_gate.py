"""The live camera check (CameraGate) on hand-built frames: when counting may start, and what resets it."""

from __future__ import annotations

import numpy as np
from poses import standing_side

from posecheck.exercises import load_all
from posecheck.kinematics import Kinematics, compute_kinematics
from posecheck.live import CHECK_GRACE_S, CameraGate
from posecheck.pose import PoseFrame

FPS = 30.0


def _standing(t: float) -> Kinematics:
    """A person standing side-on, head to feet inside a 480x640 portrait frame."""
    lm = standing_side()
    return compute_kinematics(PoseFrame(t, 480, 640, lm, lm / 500, np.ones(33)))


def _nobody(t: float) -> Kinematics:
    return compute_kinematics(PoseFrame(t, 480, 640))


def _run(gate: CameraGate, frames: list[str]) -> list[bool]:
    """'p' = person in view, '-' = nobody; returns `ready` per frame."""
    out = []
    for i, c in enumerate(frames):
        t = i / FPS
        out.append(gate.update(_standing(t) if c == "p" else _nobody(t)).ready)
    return out


def _gate() -> CameraGate:
    return CameraGate(load_all().exercises["squat"], need_frames=8, need_s=0.5)


def test_opens_after_enough_good_frames_and_time():
    ready = _run(_gate(), ["p"] * 30)
    assert not any(ready[:15]) and ready[16] and all(ready[16:])  # 0.5 s at 30 fps = frame 15


def test_a_one_frame_dropout_pauses_the_check_instead_of_restarting_it():
    frames = ["p"] * 10 + ["-"] + ["p"] * 20
    ready = _run(_gate(), frames)
    assert ready.index(True) <= 17


def test_a_longer_dropout_restarts_the_check():
    n_bad = int(CHECK_GRACE_S * FPS) + 3
    frames = ["p"] * 10 + ["-"] * n_bad + ["p"] * 30
    ready = _run(_gate(), frames)
    back = 10 + n_bad
    assert ready.index(True) >= back + 15  # a full 0.5 s again after the body came back


def test_stays_open_once_ready():
    gate = _gate()
    _run(gate, ["p"] * 20)
    assert gate.update(_nobody(5.0)).ready
