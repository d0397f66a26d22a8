"""Package layout only; everything else is in pyproject.toml.

The exercise and routine definitions stay in the top-level exercises/ folder users see and edit; the wheel
ships them as the package posecheck.definitions (posecheck/definitions/ once installed), so a non-editable
install has them too. That mapping is why the packages are listed here: every posecheck package found,
plus the definitions. tests/test_packaging.py builds the wheel and checks both.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["posecheck", "posecheck.*"]), "posecheck.definitions"],
    package_dir={"posecheck.definitions": "exercises"},
    package_data={"posecheck.definitions": ["*.toml", "routines/*.toml"]},
)
