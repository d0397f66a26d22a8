"""The leg-circle counter on drawn ankle paths: loops per direction, reversals, jitter and pauses."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecheck.engine.circles import CircleCounter
from posecheck.exercises import get_exercise

LEG = 200.0  # px
FPS = 30.0


def _path(turns: list[float], radius: float = 40.0, start_deg: float = 0.0, s_per_turn: float = 3.0) -> np.ndarray:
    """Ankle positions (pixels) drawing the given turns in sequence (+ = clockwise in image coordinates)."""
    pts, phase = [], math.radians(start_deg)
    for turn in turns:
        n = int(abs(turn) * s_per_turn * FPS)
        step = math.copysign(2 * math.pi, turn) * abs(turn) / n
        for _ in range(n):
            phase += step
            pts.append((radius * math.cos(phase), LEG + radius * math.sin(phase)))
    return np.asarray(pts)


def _count(path: np.ndarray, noise_px: float = 0.0, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    counter = CircleCounter(get_exercise("leg_circles").circles)
    got = []
    for i, p in enumerate(path):
        done = counter.add(i / FPS, "right", LEG, p + rng.normal(0, noise_px, 2))
        if done is not None:
            got.append(done[1])
    return got


@pytest.mark.parametrize("start_deg", [0.0, 90.0, 200.0])
def test_reversal_counts_every_loop_of_the_new_direction(start_deg: float) -> None:
    # Two clockwise loops and a bit, then straight back: two counter-clockwise loops. The leftover part-loop
    # before the reversal must not eat the first reversed loop.
    got = _count(_path([2.3, -2.05], start_deg=start_deg))
    assert got == ["cw", "cw", "ccw", "ccw"]


def test_small_back_and_forth_is_not_a_loop() -> None:
    # Swinging along an arc of 300 deg back and forth never closes a loop.
    assert _count(_path([0.83, -0.83, 0.83, -0.83])) == []


def test_jitter_at_rest_counts_nothing() -> None:
    still = np.tile([[0.0, LEG]], (300, 1))
    assert _count(still, noise_px=1.5) == []


def test_noisy_loops_still_count() -> None:
    assert _count(_path([3.05]), noise_px=1.0) == ["cw", "cw", "cw"]
