"""The exercise engine: one `Tracker` per exercise (and set) turns per-frame kinematics into reps, holds,
faults and cues. Split by concern: `tracker` (the facade), `reps`, `holds`, `circles`, `checks` (form
checks), `primitives` (the debounce every timer uses), `signals` (reading values for rules); the records
it produces live in `posecheck.records`.
"""

from posecheck.engine.tracker import JUMP_WARNING, STEP_INTO_VIEW, SideChoice, Tracker

__all__ = ["JUMP_WARNING", "STEP_INTO_VIEW", "SideChoice", "Tracker"]
