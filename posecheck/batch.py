"""`posecheck batch`: many clips, one row each, on a Dask distributed cluster (local by default).

Parallelism is across clips: each clip runs the sequential path (jobs=1) in one Dask worker process (one
thread each: one MediaPipe graph per core). The client hashes each clip and writes every result itself, so
workers only need to read the clips: on several machines they must see the same paths (a shared folder).

Per clip, DIR/<clip>.json holds the report `analyze --json` prints plus a "batch" block (the content+settings
key and the table row); a rerun with the same key and no error there skips the clip. DIR/results.csv and
DIR/results.parquet hold one row per clip. A clip that fails becomes an error row and never stops the batch.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from posecheck.errors import PosecheckError

VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".webm", ".mkv", ".m4v")
COLUMNS = ("clip", "path", "exercise", "reps", "reps_left", "reps_right", "partial", "holds", "hold_s", "faults",
           "frames", "frames_with_pose", "duration_s", "seconds", "error", "key")
WORKER_FAILED = "worker failed"
KEY_VERSION = 1  # bump when a change to the analysis should make every rerun analyse again


@dataclass(frozen=True)
class BatchSettings:
    """What decides a clip's result besides its bytes: part of the rerun key."""

    exercise: str = "auto"  # an exercise id, or auto (recognise each clip)
    side: str = "auto"
    source: str | None = None
    model: str | None = None
    strict_depth: bool | None = None
    exercises_dir: str | None = None


@dataclass
class BatchOutcome:
    rows: list[dict[str, Any]] = field(default_factory=list)
    analysed: int = 0
    skipped: int = 0
    errors: int = 0
    seconds: float = 0.0


# --- which clips, and their keys ----------------------------------------------------------------


def find_clips(paths: Iterable[str]) -> list[Path]:
    """Folders (their video files, not recursive), globs and files, in order, each clip once."""
    found: list[Path] = []
    for p in paths:
        if any(c in p for c in "*?["):
            matches = [Path(m) for m in sorted(glob.glob(p, recursive=True))]
        elif Path(p).is_dir():
            matches = sorted(x for x in Path(p).iterdir() if x.suffix.lower() in VIDEO_SUFFIXES)
        elif Path(p).exists():
            matches = [Path(p)]
        else:
            raise PosecheckError(f"{p}: no such file, folder or matching clips")
        found += [m for m in matches if m.is_file()]
    unique: dict[Path, Path] = {}
    for clip in found:  # a clip named twice (a folder and a glob) is analysed once
        unique.setdefault(clip.resolve(), clip)
    return list(unique.values())


def clip_key(path: Path, settings: BatchSettings) -> str:
    """Content hash + settings + the things that change poses (MediaPipe version, model file's content)."""
    from posecheck.posetrack import file_digest, mediapipe_version

    model = settings.model
    named = asdict(settings) | {"exercises_dir": None}  # the folder's definitions count by content, below
    parts = [file_digest(path), mediapipe_version(), f"v{KEY_VERSION}", json.dumps(named, sort_keys=True),
             file_digest(model) if model and Path(model).is_file() else "", definitions_digest(settings)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def definitions_digest(settings: BatchSettings) -> str:
    """The exercise definitions in effect, by content: an edited rule file makes every clip count again."""
    from posecheck.exercises import exercises_dir

    folder = Path(settings.exercises_dir) if settings.exercises_dir else exercises_dir()
    h = hashlib.sha256()
    for f in sorted(folder.glob("*.toml")):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def json_names(clips: Sequence[Path]) -> list[str]:
    """DIR/<clip>.json names: the clip's stem, with its folder's hash when two clips share a stem."""
    stems = [c.stem for c in clips]
    return [f"{s}.json" if stems.count(s) == 1 else
            f"{s}-{hashlib.sha1(str(c.resolve().parent).encode()).hexdigest()[:8]}.json"
            for s, c in zip(stems, clips, strict=True)]


def done_row(json_path: Path, key: str) -> dict[str, Any] | None:
    """The stored row when this clip was analysed before with the same key. An error row counts as done too
    (the same bytes fail the same way), unless the worker itself died: that may not happen again."""
    try:
        batch = json.loads(json_path.read_text()).get("batch", {})
    except (OSError, ValueError, AttributeError):
        return None
    row = batch.get("row")
    if batch.get("key") != key or not isinstance(row, dict):
        return None
    return None if str(row.get("error") or "").startswith(WORKER_FAILED) else row


# --- one clip (runs in a Dask worker) ------------------------------------------------------------


def analyse_one(path: str, settings: BatchSettings, key: str,
                streams_by_host: dict[str, int] | None = None) -> dict[str, Any]:
    """{"row": table row, "report": analyze --json's object or None}; every failure becomes an error row.

    `streams_by_host`: how many clips each machine analyses at once (its workers' threads), so this one's pose
    model takes its share of the machine's cores (POSECHECK_POSE_THREADS, if the worker has it, wins)."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    if streams_by_host and (streams := streams_by_host.get(_worker_host() or "")):
        from posecheck.pose import share_cores

        share_cores(streams)
    t0 = time.perf_counter()
    row: dict[str, Any] = {c: None for c in COLUMNS} | {"clip": Path(path).name, "path": path, "key": key}
    try:
        from posecheck.cli import analyse, report_json
        from posecheck.exercises import exercises_dir

        folder = Path(settings.exercises_dir) if settings.exercises_dir else exercises_dir()
        report, recognition = analyse(path, settings.exercise, folder, side=settings.side, source=settings.source,
                                      model=settings.model, strict_depth=settings.strict_depth, jobs=1)
        data = report_json(report, recognition)
    except Exception as exc:  # this clip's problem, in words; the batch goes on
        row["error"] = str(exc) if isinstance(exc, PosecheckError) else f"{type(exc).__name__}: {exc}"
        row["seconds"] = round(time.perf_counter() - t0, 2)
        return {"row": row, "report": None}
    row.update(row_from_report(data))
    row["seconds"] = round(time.perf_counter() - t0, 2)
    return {"row": row, "report": data}


def _worker_host() -> str | None:
    """The host of the Dask worker running this task (None outside one)."""
    try:
        from distributed import get_worker

        return _host(get_worker().address)
    except (ImportError, ValueError):
        return None


def _host(address: str) -> str:
    return address.split("://", 1)[-1].rsplit(":", 1)[0]


def streams_per_host(workers: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Clips each host runs at once: the threads of its Dask workers (`scheduler_info()["workers"]`), summed."""
    out: dict[str, int] = {}
    for address, info in workers.items():
        host = _host(address)
        out[host] = out.get(host, 0) + max(1, int(info.get("nthreads") or 1))
    return out


def row_from_report(data: dict[str, Any]) -> dict[str, Any]:
    reps = data["reps"]
    return {"exercise": data["exercise"], "reps": reps["total"], "reps_left": reps["left"],
            "reps_right": reps["right"], "partial": reps["partial"], "holds": len(data["holds"]),
            "hold_s": round(sum(h["duration_s"] for h in data["holds"]), 2), "faults": len(data["faults"]),
            "frames": data["frames"], "frames_with_pose": data["frames_with_pose"], "duration_s": data["duration_s"],
            "error": ""}


# --- the run -------------------------------------------------------------------------------------


def local_cluster(workers: int | None = None):
    """Every core by default: one process per worker, one thread each (MediaPipe, then the GIL-bound engine)."""
    from distributed import LocalCluster

    from posecheck.parallel import main_not_reimported

    with main_not_reimported():  # its nannies spawn the workers, which would re-run a page script's __main__
        return LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=40)  # no dashboard: it would serve a web page


def run_batch(clips: Sequence[Path], settings: BatchSettings, out_dir: Path, *, scheduler: str | None = None,
              workers: int | None = None, progress: Callable[[int, int, float], None] | None = None) -> BatchOutcome:
    """Analyse `clips` (skipping those done before), write DIR/<clip>.json per clip and the results tables."""
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    outcome = BatchOutcome()
    names = json_names(clips)
    rows: dict[int, dict[str, Any]] = {}
    todo: list[tuple[int, str]] = []
    for i, (clip, name) in enumerate(zip(clips, names, strict=True)):
        try:
            key = clip_key(clip, settings)
        except OSError as exc:  # unreadable here: an error row, the rest goes on
            rows[i] = {c: None for c in COLUMNS} | {"clip": clip.name, "path": str(clip), "error": str(exc)}
            continue
        if (row := done_row(out_dir / name, key)) is not None:
            rows[i] = row
            outcome.skipped += 1
        else:
            todo.append((i, key))
    if todo:
        _run_on_cluster(clips, names, todo, settings, out_dir, rows, scheduler, workers, progress, outcome)
    outcome.rows = [rows[i] for i in sorted(rows)]
    outcome.errors = sum(bool(r.get("error")) for r in outcome.rows)
    write_tables(outcome.rows, out_dir)
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _run_on_cluster(clips: Sequence[Path], names: Sequence[str], todo: Sequence[tuple[int, str]],
                    settings: BatchSettings, out_dir: Path, rows: dict[int, dict[str, Any]], scheduler: str | None,
                    workers: int | None, progress: Callable[[int, int, float], None] | None,
                    outcome: BatchOutcome) -> None:
    from distributed import Client, as_completed

    cluster = None if scheduler else local_cluster(workers)
    t0 = time.perf_counter()
    keys = dict(todo)
    try:
        with Client(scheduler or cluster, timeout="30s") as client:
            streams = streams_per_host(client.scheduler_info()["workers"])
            futures = {client.submit(analyse_one, str(clips[i].resolve()), settings, key, streams, pure=False,
                                     key=f"posecheck-{key}-{i}"): i for i, key in todo}
            for done, fut in enumerate(as_completed(futures), 1):
                i = futures[fut]
                try:
                    result = fut.result()
                except Exception as exc:  # the worker itself died (a crash in native code): still just a row
                    result = {"row": {c: None for c in COLUMNS} | {"clip": clips[i].name, "path": str(clips[i]),
                                                                  "error": f"{WORKER_FAILED}: {exc}"}, "report": None}
                rows[i] = result["row"]
                _write_clip_json(out_dir / names[i], result, keys[i])
                outcome.analysed += 1
                if progress is not None:
                    progress(done, len(todo), time.perf_counter() - t0)
    finally:
        if cluster is not None:
            cluster.close()


def _write_clip_json(path: Path, result: dict[str, Any], key: str | None) -> None:
    data = dict(result["report"] or {})
    data["batch"] = {"key": key, "row": result["row"]}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)  # whole or not at all: an interrupted batch never leaves half a file


def write_tables(rows: Sequence[dict[str, Any]], out_dir: Path) -> None:
    import pandas as pd

    df = pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    for c in ("reps", "reps_left", "reps_right", "partial", "holds", "faults", "frames", "frames_with_pose"):
        df[c] = df[c].astype("Int64")  # an error row has no counts: missing, not 0
    for c in ("hold_s", "duration_s", "seconds"):
        df[c] = df[c].astype("Float64")
    for c in ("clip", "path", "exercise", "error", "key"):
        df[c] = df[c].fillna("").astype(str)
    df.to_csv(out_dir / "results.csv", index=False)
    df.to_parquet(out_dir / "results.parquet", index=False)


def progress_line(done: int, total: int, elapsed_s: float) -> None:
    left = elapsed_s / done * (total - done) if done else math.nan
    eta = f", about {left:.0f} s left" if done < total and math.isfinite(left) else ""
    end = "\n" if done >= total else ""
    print(f"\rposecheck batch: {done}/{total} clips done ({elapsed_s:.0f} s{eta})".ljust(70), end=end,
          file=sys.stderr, flush=True)
