"""`posecheck batch` on a real 2-worker Dask LocalCluster with real MediaPipe: rows, error rows, reruns, tables."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from posecheck import batch
from posecheck.cli import main
from posecheck.synth import generate_clip

pytestmark = pytest.mark.e2e

COLUMNS = ["clip", "exercise", "reps", "reps_left", "reps_right", "partial", "hold_s", "faults", "frames_with_pose",
           "error"]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short squat clips (small: this is about the batch, not the counting) and a corrupt one."""
    folder = tmp_path_factory.mktemp("clips")
    generate_clip("squat", folder / "squat_a.mp4", reps=1, width=320, height=240, fps=15)
    generate_clip("squat", folder / "squat_b.mp4", reps=2, width=320, height=240, fps=15, seed=1)
    (folder / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)  # garbage
    return folder


def test_batch_rows_errors_rerun_and_tables(clips: Path, tmp_path: Path, capsys: pytest.CaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # Run from a process whose __main__ is a page script (AppTest's, in CI): the Dask workers spawned for the
    # batch must not run it again (they died with a NameError and the batch never started).
    script = tmp_path / "page.py"
    script.write_text("raise SystemExit('a page script must never run in a batch worker')\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    out = tmp_path / "out"
    code = main(["batch", str(clips), "--exercise", "squat", "--out", str(out), "--workers", "2"])
    assert code == 0
    csv = pd.read_csv(out / "results.csv", keep_default_na=False)
    parquet = pd.read_parquet(out / "results.parquet")
    for table in (csv, parquet):
        assert set(COLUMNS) <= set(table.columns)
        assert sorted(table["clip"]) == ["broken.mp4", "squat_a.mp4", "squat_b.mp4"]
    rows = {r["clip"]: r for r in parquet.to_dict("records")}
    assert rows["broken.mp4"]["error"] and pd.isna(rows["broken.mp4"]["reps"])
    for name in ("squat_a.mp4", "squat_b.mp4"):
        assert rows[name]["error"] == "" and rows[name]["exercise"] == "squat"
        assert rows[name]["frames_with_pose"] > 0
        report = json.loads((out / f"{Path(name).stem}.json").read_text())
        assert report["reps"]["total"] == rows[name]["reps"]  # the same object analyze --json prints
        assert report["batch"]["key"] == rows[name]["key"]
    assert "broken.mp4" in capsys.readouterr().err

    # a rerun analyses nothing already done (the same bytes fail the same way, so the error row stands too)
    before = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")}
    outcome = batch.run_batch(batch.find_clips([str(clips)]), batch.BatchSettings("squat"), out, workers=2)
    assert outcome.skipped == 3 and outcome.analysed == 0 and outcome.errors == 1
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*.json")} == before
    assert len(pd.read_parquet(out / "results.parquet")) == 3


def test_rerun_key_follows_content_and_settings(clips: Path, tmp_path: Path) -> None:
    clip = tmp_path / "a.mp4"
    shutil.copy(clips / "squat_a.mp4", clip)
    key = batch.clip_key(clip, batch.BatchSettings("squat"))
    assert key == batch.clip_key(clip, batch.BatchSettings("squat"))
    assert key != batch.clip_key(clip, batch.BatchSettings("lunge"))
    assert key != batch.clip_key(clip, batch.BatchSettings("squat", side="left"))
    clip.write_bytes(clip.read_bytes() + b"\0")
    assert key != batch.clip_key(clip, batch.BatchSettings("squat"))


def test_find_clips_folders_globs_and_duplicates(clips: Path) -> None:
    found = batch.find_clips([str(clips), str(clips / "squat_*.mp4"), str(clips / "squat_a.mp4")])
    assert [c.name for c in found] == ["broken.mp4", "squat_a.mp4", "squat_b.mp4"]
    with pytest.raises(Exception, match="no such file"):
        batch.find_clips([str(clips / "missing.mp4")])
