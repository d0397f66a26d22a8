"""Every POSECHECK_* environment variable, read in one place; the app and the CLI both use it.

`current()` reads the environment each time it is called (cheap), so a test or a restarted page sees a
changed variable. An empty value means unset. Values that need more context to judge (the upload limit
against the server's ceiling, the ICE server JSON) are kept as text here and explained where they are used.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Variable:
    name: str
    field: str
    doc: str


VARIABLES = (
    Variable("POSECHECK_DB", "db", "The history file (SQLite). Default: `posecheck/history.sqlite3` in the "
             "per-user data folder (`~/.local/share` on Linux, `~/Library/Application Support` on macOS, "
             "`%APPDATA%` on Windows)."),
    Variable("POSECHECK_EXERCISES_DIR", "exercises_dir", "A folder of exercise definitions (`*.toml`, routines in "
             "its `routines/` subfolder) read instead of the shipped ones, by the app and the CLI (the CLI's "
             "`--exercises-dir` wins over it)."),
    Variable("POSECHECK_SAMPLES_DIR", "samples_dir", "The Review page's folder of sample clips. Default: "
             "`samples/` in the source checkout."),
    Variable("POSECHECK_MODEL", "model", "Your own MediaPipe PoseLandmarker `.task` file (the CLI's `--model` wins "
             "over it). Default: the full model bundled with mediapipe."),
    Variable("POSECHECK_MAX_UPLOAD_MB", "max_upload_mb", "The Review page's upload limit in MB: a positive whole "
             "number, at most `server.maxUploadSize` in `.streamlit/config.toml`. Default: 200."),
    Variable("POSECHECK_ICE_SERVERS", "ice_servers", "STUN/TURN servers for the live video, as JSON, e.g. "
             "`[{\"urls\": \"stun:stun.example.org:3478\"}, {\"urls\": \"turn:turn.example.org:3478\", "
             "\"username\": \"u\", \"credential\": \"p\"}]`. Default: none (browser and server on one machine or "
             "a LAN; nothing is fetched from the internet)."),
    Variable("POSECHECK_JOBS", "jobs", "Processes running the pose model over a clip's time chunks, on the Review "
             "page and in the CLI (`--jobs` wins over it): a positive whole number; any value of 2 or more gives the "
             "same results, a little apart from one process's. Default: 1."),
    Variable("POSECHECK_POSE_THREADS", "pose_threads", "Threads for the pose model's inference in each stream "
             "(a positive whole number, at most 4): the poses are the same whatever it is, only the speed changes. "
             "Default: the usable cores, shared out between the streams running at once."),
    Variable("POSECHECK_VERBOSE", "verbose", "`1` keeps MediaPipe's own log lines on stderr (hidden by default)."),
)


@dataclass(frozen=True)
class Settings:
    db: Path | None = None
    exercises_dir: Path | None = None
    samples_dir: Path | None = None
    model: str | None = None
    max_upload_mb: str = ""  # raw text: ui/analysis.upload_limit_mb judges it against the server's ceiling
    ice_servers: str = ""  # raw JSON: live.ice_servers_from_env parses it and says what is wrong
    jobs: str = ""  # raw text: parallel.default_jobs reads a positive whole number, anything else is every core
    pose_threads: str = ""  # raw text: pose.default_pose_threads reads a positive whole number, else the cores
    verbose: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def text(name: str) -> str:
            return (env.get(name) or "").strip()

        def path(name: str) -> Path | None:
            return Path(text(name)).expanduser() if text(name) else None

        return cls(
            db=path("POSECHECK_DB"),
            exercises_dir=path("POSECHECK_EXERCISES_DIR"),
            samples_dir=path("POSECHECK_SAMPLES_DIR"),
            model=text("POSECHECK_MODEL") or None,
            max_upload_mb=text("POSECHECK_MAX_UPLOAD_MB"),
            ice_servers=text("POSECHECK_ICE_SERVERS"),
            jobs=text("POSECHECK_JOBS"),
            pose_threads=text("POSECHECK_POSE_THREADS"),
            verbose=text("POSECHECK_VERBOSE").lower() not in ("", "0", "false", "no", "off"),
        )


def current() -> Settings:
    """The settings as the environment says now."""
    return Settings.from_env()


def markdown_table() -> str:
    """The variables as a Markdown table (the README's copy is checked against it in tests)."""
    rows = ["| Variable | Meaning |", "| --- | --- |"]
    rows += [f"| `{v.name}` | {v.doc} |" for v in VARIABLES]
    return "\n".join(rows)
