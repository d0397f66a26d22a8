"""One Euro filter: smoothing, timestamp awareness, gaps and NaN handling."""

import numpy as np
import pytest

from posecheck.filters import OneEuroFilter, OneEuroParams, one_euro


def test_reduces_jitter_on_a_still_signal():
    rng = np.random.default_rng(0)
    t = np.arange(300) / 30
    x = 90 + rng.normal(0, 2, t.size)
    y = one_euro(t, x)
    assert np.std(y[30:]) < 0.5 * np.std(x[30:])
    assert abs(np.mean(y[30:]) - 90) < 0.5


def test_follows_fast_motion_with_little_lag():
    t = np.arange(120) / 30
    x = 90 + 60 * np.sin(2 * np.pi * 0.5 * t)  # a 2 s rep, 120 deg range
    y = one_euro(t, x)
    assert np.max(np.abs(y[15:] - x[15:])) < 12


def test_timestamp_aware_dropped_frames_do_not_change_the_result_much():
    t = np.arange(90) / 30
    x = np.where(t < 1.5, 90.0, 150.0)
    full = one_euro(t, x)
    keep = np.ones(t.size, bool)
    keep[::3] = False  # drop every third frame
    dropped = one_euro(t[keep], x[keep])
    assert np.max(np.abs(full[keep] - dropped)) < 8
    # the filter settles to the new value in both cases
    assert full[-1] == pytest.approx(150, abs=1) and dropped[-1] == pytest.approx(150, abs=1)


def test_gap_restarts_instead_of_blending_an_old_value():
    f = OneEuroFilter(1, OneEuroParams(max_gap_s=0.5))
    for i in range(30):
        f(i / 30, np.array([90.0]))
    out = f(2.0, np.array([170.0]))  # 1 s later: a gap
    assert out[0] == pytest.approx(170)


def test_nan_passes_through_and_resets_channel():
    f = OneEuroFilter(2)
    f(0.0, np.array([10.0, 20.0]))
    out = f(1 / 30, np.array([np.nan, 21.0]))
    assert np.isnan(out[0]) and 20 <= out[1] <= 21
    out = f(2 / 30, np.array([50.0, 21.0]))
    assert out[0] == pytest.approx(50)  # came back fresh, not blended with 10


def test_repeated_timestamp_is_ignored():
    f = OneEuroFilter(1)
    f(0.0, np.array([10.0]))
    f(0.1, np.array([12.0]))
    same = f(0.1, np.array([99.0]))
    assert same[0] < 13
