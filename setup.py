"""Only here to stop an install on a Python that cannot work, with words (pip does not check requires-python
for the project being installed: on 3.13 it failed with "No matching distribution found for mediapipe==0.10.21").
Everything else is in pyproject.toml."""

import sys

from setuptools import setup

if not (3, 11) <= sys.version_info[:2] <= (3, 12):
    sys.exit(f"\nposecheck needs Python 3.11 or 3.12 (mediapipe 0.10.21, which bundles its pose model, has no "
             f"wheels for others); this is Python {sys.version.split()[0]}. Make the venv with python3.11 or "
             f"python3.12, e.g.: python3.12 -m venv .venv\n")

setup()
