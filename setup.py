"""Package layout, and a clear stop on a Python that cannot work; everything else is in pyproject.toml.

The exercise and routine definitions stay in the top-level exercises/ folder users see and edit; the wheel
ships them as the package posecheck.definitions (posecheck/definitions/ once installed), so a non-editable
install has them too. That mapping is why the packages are listed here: every posecheck package found,
plus the definitions. tests/test_packaging.py builds the wheel and checks both.

pip does not check requires-python for the project being installed: on 3.13 it failed with "No matching
distribution found for mediapipe==0.10.21". So this says which Pythons work, in words.
"""

import sys

from setuptools import find_packages, setup

if not (3, 11) <= sys.version_info[:2] <= (3, 12):
    sys.exit(f"\nposecheck needs Python 3.11 or 3.12 (mediapipe 0.10.21, which bundles its pose model, has no "
             f"wheels for others); this is Python {sys.version.split()[0]}. Make the venv with python3.11 or "
             f"python3.12, e.g.: python3.12 -m venv .venv\n")

setup(
    packages=[*find_packages(include=["posecheck", "posecheck.*"]), "posecheck.definitions"],
    package_dir={"posecheck.definitions": "exercises"},
    package_data={"posecheck.definitions": ["*.toml", "routines/*.toml"],
                  "posecheck.ui": ["voice_component/*.html", "assets/*.png"]},
)
