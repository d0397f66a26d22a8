"""Hand-built MediaPipe-style landmark arrays the unit tests share."""

from __future__ import annotations

import numpy as np

from posecheck import pose as P


def standing_side(facing: str = "right", left_far: bool = True) -> np.ndarray:
    """33 landmarks (x, y, z) of a person standing side-on; z = MediaPipe depth (+ away)."""
    s = 1 if facing == "right" else -1
    lm = np.zeros((33, 3))
    lm[P.NOSE] = (100 + 25 * s, 50, 0)
    lm[P.LEFT_EAR] = lm[P.RIGHT_EAR] = (100, 50, 0)
    lm[[P.LEFT_SHOULDER, P.RIGHT_SHOULDER]] = (100, 100, 0)
    lm[[P.LEFT_HIP, P.RIGHT_HIP]] = (100, 250, 0)
    lm[[P.LEFT_KNEE, P.RIGHT_KNEE]] = (100, 400, 0)
    lm[[P.LEFT_ANKLE, P.RIGHT_ANKLE]] = (100, 550, 0)
    lm[[P.LEFT_SHOULDER, P.LEFT_HIP], 0] -= 5
    lm[[P.RIGHT_SHOULDER, P.RIGHT_HIP], 0] += 5
    dz = 0.1 if left_far else -0.1
    for i in range(11, 33, 2):  # odd = left side in MediaPipe's numbering
        lm[i, 2] = dz
        lm[i + 1, 2] = -dz
    return lm
