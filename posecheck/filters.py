"""Timestamp-aware smoothing of angle signals: the One Euro filter (Casiez et al., CHI 2012).

It smooths hard when a signal is still (jitter) and little when it moves fast (no lag on real motion),
and it works from real time steps, so dropped or irregular frames do not distort it. A gap longer
than `max_gap_s`, or a missing value, restarts the filter instead of dragging an old value along.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroParams:
    min_cutoff_hz: float = 1.5  # lower = smoother at rest
    beta: float = 0.02  # higher = less lag when moving (units: 1/deg for angles)
    d_cutoff_hz: float = 1.0
    max_gap_s: float = 0.5


def _alpha(dt_s: float, cutoff_hz: np.ndarray | float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


class OneEuroFilter:
    """Filters a fixed-length vector of signals, one sample (timestamp, values) at a time.

    NaN in a channel passes through as NaN and resets that channel, so the next valid value starts
    fresh rather than being blended with a stale one. A channel in `hold` (e.g. marked unreliable this
    frame) passes its raw value through without touching its state, so a glitch never smears into the
    frames after it; held for longer than `max_gap_s`, the channel restarts fresh.
    """

    def __init__(self, size: int, params: OneEuroParams | None = None) -> None:
        self.params = params or OneEuroParams()
        self._x = np.full(size, np.nan)
        self._dx = np.zeros(size)
        self._t: float | None = None
        self._t_ch = np.full(size, -np.inf)  # last time each channel took a sample

    def reset(self) -> None:
        self._x[:] = np.nan
        self._dx[:] = 0.0
        self._t = None
        self._t_ch[:] = -np.inf

    def __call__(self, t_s: float, values: np.ndarray, hold: np.ndarray | None = None) -> np.ndarray:
        x = np.asarray(values, dtype=np.float64)
        if hold is not None and np.any(hold):
            hold = np.asarray(hold, dtype=bool)
            keep_x, keep_dx, keep_t = self._x.copy(), self._dx.copy(), self._t_ch.copy()
            out = self(t_s, np.where(hold, np.nan, x))
            stale = t_s - keep_t > self.params.max_gap_s
            self._x = np.where(hold, np.where(stale, np.nan, keep_x), self._x)
            self._dx = np.where(hold, np.where(stale, 0.0, keep_dx), self._dx)
            self._t_ch = np.where(hold, keep_t, self._t_ch)
            return np.where(hold, x, out)
        p = self.params
        if self._t is None or t_s - self._t > p.max_gap_s or t_s <= self._t:
            if self._t is not None and t_s <= self._t:
                return self._x.copy()  # a repeated/out-of-order timestamp adds no information
            self._x = x.copy()
            self._dx[:] = 0.0
            self._t = t_s
            self._t_ch = np.where(np.isnan(x), self._t_ch, t_s)
            return self._x.copy()
        dt = t_s - self._t
        self._t = t_s
        fresh = np.isnan(self._x) & ~np.isnan(x)  # channel coming back after a gap
        missing = np.isnan(x)
        dx = np.where(fresh | missing, 0.0, (x - self._x) / dt)
        a_d = _alpha(dt, p.d_cutoff_hz)
        self._dx = np.where(fresh | missing, 0.0, a_d * dx + (1 - a_d) * self._dx)
        cutoff = p.min_cutoff_hz + p.beta * np.abs(self._dx)
        a = _alpha(dt, cutoff)
        smoothed = a * x + (1 - a) * self._x
        self._x = np.where(missing, np.nan, np.where(fresh, x, smoothed))
        self._t_ch = np.where(missing, self._t_ch, t_s)
        return self._x.copy()


@dataclass(frozen=True)
class GlitchParams:
    # Joints in these exercises move well below this (a brisk squat peaks near 200 deg/s); MediaPipe's glitches
    # (a leg drawn onto the other one for a few frames) jump 30-60 deg between two frames.
    max_speed_deg_s: float = 450.0
    min_jump_deg: float = 20.0  # never flag a step smaller than this, however short the frame interval
    max_glitch_s: float = 0.3  # a jump that persists this long is real motion (or a new pose): accept it


class GlitchGate:
    """Flags per-channel jumps faster than a body moves: a few frames of MediaPipe mistracking, not motion.

    Each channel keeps the last value it accepted. A new value that differs from it by more than
    max(min_jump_deg, max_speed_deg_s * dt) is a glitch; the channel stays flagged until a value comes back
    within reach of the accepted one, or for at most `max_glitch_s`, after which the new value is accepted
    (a fast real move is late by that much, never lost). NaN and channels the caller already distrusts
    (`skip`) neither flag nor update.
    """

    def __init__(self, size: int, params: GlitchParams | None = None) -> None:
        self.params = params or GlitchParams()
        self._size = size
        self.reset()

    def reset(self) -> None:
        self._x = np.full(self._size, np.nan)  # last accepted value
        self._t = np.full(self._size, -np.inf)  # when it was accepted
        self._since = np.full(self._size, np.nan)  # start of the current glitch, NaN when none

    def __call__(self, t_s: float, values: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
        """Boolean mask of the channels that glitch in this sample."""
        p = self.params
        x = np.asarray(values, dtype=np.float64)
        usable = ~np.isnan(x) if skip is None else ~np.isnan(x) & ~np.asarray(skip, dtype=bool)
        dt = np.maximum(t_s - self._t, 1e-3)
        reach = np.maximum(p.min_jump_deg, p.max_speed_deg_s * dt)
        known = ~np.isnan(self._x)
        jump = usable & known & (np.abs(x - np.where(known, self._x, 0.0)) > reach)
        started = np.where(np.isnan(self._since), t_s, self._since)
        expired = jump & (t_s - started >= p.max_glitch_s)
        glitch = jump & ~expired
        self._since = np.where(glitch, started, np.nan)
        accept = usable & ~glitch
        self._x = np.where(accept, x, self._x)
        self._t = np.where(accept, t_s, self._t)
        return glitch


def one_euro(t_s: np.ndarray, x: np.ndarray, params: OneEuroParams | None = None) -> np.ndarray:
    """Offline helper: filter a (N,) or (N, K) signal sampled at times t_s (N,)."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.reshape(len(x), -1)
    filt = OneEuroFilter(flat.shape[1], params)
    out = np.stack([filt(float(t), row) for t, row in zip(t_s, flat, strict=True)]) if len(x) else flat
    return out.reshape(x.shape)
