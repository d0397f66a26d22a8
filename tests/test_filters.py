"""One Euro filter: smoothing, timestamp awareness, gaps and NaN handling."""

import numpy as np
import pytest

from posecheck.filters import GlitchGate, GlitchParams, OneEuroFilter, OneEuroParams, one_euro


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


def test_held_channel_passes_through_without_touching_the_state():
    t = np.arange(40) / 20
    x = np.stack([90 + 20 * np.sin(t), 40 + 10 * t], axis=1)
    clean = OneEuroFilter(2)
    want = np.stack([clean(float(ti), row) for ti, row in zip(t, x, strict=True)])
    glitched = x.copy()
    glitched[20, 0] = 170.0  # a one-frame glitch, marked unreliable
    f = OneEuroFilter(2)
    got = np.stack([f(float(t[i]), glitched[i], np.array([i == 20, False])) for i in range(len(t))])
    assert got[20, 0] == 170.0  # shown as measured ...
    assert np.allclose(np.delete(got, 20, axis=0), np.delete(want, 20, axis=0), atol=1.5)  # ... but never smeared
    unheld = OneEuroFilter(2)
    smeared = np.stack([unheld(float(ti), row) for ti, row in zip(t, glitched, strict=True)])
    assert abs(smeared[21, 0] - want[21, 0]) > 10  # without the hold the glitch leaks into the next frame
    assert np.allclose(got[:, 1], want[:, 1])  # the other channel is untouched


def test_channel_held_longer_than_max_gap_restarts_fresh():
    f = OneEuroFilter(1, OneEuroParams(max_gap_s=0.5))
    for i in range(10):
        f(i / 20, np.array([10.0]))
    for i in range(10, 30):  # held for 1 s
        f(i / 20, np.array([500.0]), np.array([True]))
    assert f(30 / 20, np.array([90.0]))[0] == pytest.approx(90.0)  # not blended with the value from 1 s ago


# --- glitch gate ------------------------------------------------------------------------------------


def _gate_run(values: list[float], fps: float = 30.0, params: GlitchParams | None = None) -> list[bool]:
    gate = GlitchGate(1, params)
    return [bool(gate(i / fps, np.array([v]))[0]) for i, v in enumerate(values)]


def test_glitch_gate_flags_a_few_frame_jump_and_recovers():
    flags = _gate_run([178, 178, 130, 128, 177, 178])
    assert flags == [False, False, True, True, False, False]


def test_glitch_gate_lets_real_motion_through():
    squat = list(np.linspace(178, 80, 30)) + list(np.linspace(80, 178, 30))  # 98 deg in 1 s: ~100 deg/s
    assert not any(_gate_run(squat))


def test_glitch_gate_accepts_a_jump_that_persists():
    flags = _gate_run([178] * 3 + [100] * 15, params=GlitchParams(max_glitch_s=0.2))
    assert flags[3] and flags[4]  # flagged at first...
    assert not any(flags[10:])  # ...then taken as the new value


def test_glitch_gate_scales_with_the_frame_interval():
    # 40 deg in 0.2 s (5 fps, a loaded live stream) is 200 deg/s: motion, not a glitch.
    assert _gate_run([178, 138], fps=5.0) == [False, False]
    assert _gate_run([178, 138], fps=30.0) == [False, True]


def test_glitch_gate_ignores_nan_and_skipped_channels():
    gate = GlitchGate(2)
    gate(0.0, np.array([170.0, 170.0]))
    assert not gate(0.033, np.array([np.nan, 90.0]), skip=np.array([False, True])).any()
    assert gate(0.066, np.array([90.0, 170.0])).tolist() == [True, False]
