"""Synthetic exercise clips with exactly known joint angles, rep boundaries and hold spans.

    generate_clip("single_leg_raise", "slr.mp4", facing="left", bent_knee_deg=35)

writes `slr.mp4` (H.264) and `slr.truth.json` beside it. See motion.py for the orientation and side
conventions, scripts.py for the motion scripts and their parameters, clip.py for trimming a clip
(`start_s` / `end_s`, in seconds or a `RepCut` inside a rep) and the truth's cut flags, drive.py for the
per-rep `rest_drive` / `peak_drive` / `full` judged by the exercise files. Other cameras: front.py (a 3D
figure facing the camera), view3d.py (any side script seen from any angle: the feet end, oblique),
viewchange.py (front, crossfade, side). cases.py lists the clips for issue 12's failure classes.
"""

from posecheck.synth.clip import FIRST_REP_GOING_OUT, LAST_REP_COMING_BACK, RepCut
from posecheck.synth.generate import (
           SAMPLES,
           clip_truth,
           generate_clip,
           generate_samples,
           settings_problem,
           truth_angles,
)
from posecheck.synth.scripts import SCRIPTS

__all__ = ["FIRST_REP_GOING_OUT", "LAST_REP_COMING_BACK", "SAMPLES", "SCRIPTS", "RepCut", "clip_truth",
           "generate_clip", "generate_samples", "settings_problem", "truth_angles"]
