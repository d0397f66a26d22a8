"""Test-wide settings: no test may write into the user's real history file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """POSECHECK_DB points into a tmp folder for the whole run (tests that need their own set it again)."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    old = os.environ.get("POSECHECK_DB")
    os.environ["POSECHECK_DB"] = str(path)
    yield path
    if old is None:
        os.environ.pop("POSECHECK_DB", None)
    else:
        os.environ["POSECHECK_DB"] = old
