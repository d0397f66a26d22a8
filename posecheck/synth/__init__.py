"""Synthetic exercise clips with exactly known joint angles, rep boundaries and hold spans.

    generate_clip("single_leg_raise", "slr.mp4", facing="left", bent_knee_deg=35)

writes `slr.mp4` (H.264) and `slr.truth.json` beside it. See motion.py for the orientation and side
conventions, scripts.py for the motion scripts and their parameters.
"""

from posecheck.synth.generate import SAMPLES, generate_clip, generate_samples, settings_problem, truth_angles
from posecheck.synth.scripts import SCRIPTS

__all__ = ["SAMPLES", "SCRIPTS", "generate_clip", "generate_samples", "settings_problem", "truth_angles"]
