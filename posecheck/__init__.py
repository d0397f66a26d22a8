"""posecheck: a pose-checking exercise coach (see README.md)."""

import sys

# mediapipe 0.10.21 (the last release bundling the BlazePose full model) has wheels for 3.11 and 3.12 only;
# on another Python the failure would otherwise be an obscure import error deep in a dependency.
SUPPORTED_PYTHONS = ((3, 11), (3, 12))
if tuple(sys.version_info[:2]) not in SUPPORTED_PYTHONS:
    raise ImportError(f"posecheck needs Python 3.11 or 3.12; this is Python {sys.version.split()[0]}. "
                      "Make the venv with python3.11 or python3.12, e.g.: python3.12 -m venv .venv")
