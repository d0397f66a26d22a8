"""settings.py: every POSECHECK_* variable read in one place, documented once, used by the app and the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from posecheck import settings
from posecheck.settings import VARIABLES, Settings

REPO = Path(__file__).resolve().parent.parent


def test_settings_read_from_a_given_environment():
    s = Settings.from_env({
        "POSECHECK_DB": "~/h.sqlite3", "POSECHECK_EXERCISES_DIR": "/defs", "POSECHECK_SAMPLES_DIR": "/clips",
        "POSECHECK_MODEL": "/m.task", "POSECHECK_MAX_UPLOAD_MB": " 50 ", "POSECHECK_ICE_SERVERS": "[]",
        "POSECHECK_VERBOSE": "1"})
    assert s == Settings(db=Path.home() / "h.sqlite3", exercises_dir=Path("/defs"), samples_dir=Path("/clips"),
                         model="/m.task", max_upload_mb="50", ice_servers="[]", verbose=True)
    assert Settings.from_env({}) == Settings()
    assert Settings.from_env({"POSECHECK_EXERCISES_DIR": "  ", "POSECHECK_VERBOSE": "0"}) == Settings()


def test_current_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from posecheck.exercises import DEFINITIONS_DIR, exercises_dir
    from posecheck.history import default_db_path
    from posecheck.pose import default_model_path

    monkeypatch.delenv("POSECHECK_EXERCISES_DIR", raising=False)
    assert exercises_dir() == DEFINITIONS_DIR
    monkeypatch.setenv("POSECHECK_EXERCISES_DIR", str(tmp_path))
    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "h.sqlite3"))
    monkeypatch.setenv("POSECHECK_MODEL", str(tmp_path / "m.task"))
    assert exercises_dir() == tmp_path and default_db_path() == tmp_path / "h.sqlite3"
    assert default_model_path() == str(tmp_path / "m.task") and settings.current().exercises_dir == tmp_path


def test_every_variable_is_a_setting_and_read_nowhere_else():
    """One place: no module but settings.py reads a POSECHECK_* variable from the environment."""
    fields = set(Settings.__dataclass_fields__)
    assert {v.field for v in VARIABLES} == fields
    used = set()
    for path in (REPO / "posecheck").rglob("*.py"):
        text = path.read_text()
        used |= set(re.findall(r"POSECHECK_[A-Z_]+", text))
        if path.name != "settings.py":
            assert not re.search(r"(environ|getenv)[^\n]*POSECHECK_", text), f"{path} reads POSECHECK_* itself"
    assert used <= {v.name for v in VARIABLES}, used - {v.name for v in VARIABLES}


def test_the_readme_documents_every_variable():
    readme = (REPO / "README.md").read_text()
    assert settings.markdown_table() in readme
