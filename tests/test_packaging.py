"""A non-editable install has every definition: the wheel carries exercises/ as posecheck/definitions/.

Builds the wheel from a copy of the sources (pip, no build isolation: nothing is downloaded), checks it holds
every definition file and every module, then installs it into a folder of its own and lists the exercises
from there, away from the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("setuptools", minversion="70.1")  # builds wheels by itself (no `wheel` package)
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("posecheck", "exercises"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(REPO / name, src / name)
    out = tmp / "dist"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                           "--no-index", "-q", "-w", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (whl,) = out.glob("posecheck-*.whl")
    return whl


def test_the_wheel_holds_every_definition_and_module(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    definitions = sorted(p.relative_to(REPO / "exercises").as_posix() for p in (REPO / "exercises").rglob("*.toml"))
    assert len(definitions) >= 14  # 13 exercises and the guide's routine
    missing = [d for d in definitions if f"posecheck/definitions/{d}" not in names]
    assert not missing, f"not in the wheel: {missing}"
    modules = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "posecheck").rglob("*.py")
                     if "__pycache__" not in p.parts)
    missing = [m for m in modules if m not in names]
    assert not missing, f"modules not in the wheel (see setup.py): {missing}"


def test_the_installed_wheel_lists_every_exercise(wheel: Path, tmp_path: Path):
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                           str(site), str(wheel)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSECHECK_")}
    env["PYTHONPATH"] = str(site)  # before site-packages, so this copy, not the editable checkout, is imported
    where = tmp_path / "elsewhere"
    where.mkdir()
    code = ("import posecheck, posecheck.exercises as e, sys; from posecheck.cli import main; "
            "print(posecheck.__file__); print(e.DEFINITIONS_DIR); sys.exit(main(['exercises']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=where, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    module, folder, *rows = proc.stdout.splitlines()
    assert Path(module).is_relative_to(site) and Path(folder) == site / "posecheck" / "definitions"
    assert len(rows) == 13 and "squat" in {r.split()[0] for r in rows}, proc.stdout
    assert proc.stderr == ""
