"""The Review page's logic without widgets: where clips come from, the result cache, the analysis call.

Kept free of Streamlit calls (except the one `st.cache_resource` that makes the cache outlive reruns)
so tests can drive it directly and the page module stays about layout.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import streamlit as st

from posecheck import parallel, settings
from posecheck.engine import SideChoice
from posecheck.errors import PosecheckError
from posecheck.exercises import Exercise
from posecheck.exercises import exercises_dir as _exercises_dir
from posecheck.kinematics import AngleSource
from posecheck.pipeline import DEFAULT_SOURCE, MAX_SIDE_PX
from posecheck.pose import default_model_path
from posecheck.posetrack import PoseTrack, ReplayEstimator
from posecheck.recognize import Recognition, recognize_clip
from posecheck.report import Report
from posecheck.sources import VideoInfo, open_video

log = logging.getLogger(__name__)

VIDEO_TYPES = ("mp4", "mov", "avi", "webm", "mkv")
REPO_DIR = Path(__file__).resolve().parents[2]
DEFAULT_SAMPLES_DIR = REPO_DIR / "samples"
DEFAULT_UPLOAD_MB = 200
CACHE_ENTRIES = 12  # each entry holds a report (a few floats a frame) and one annotated MP4 on disk


# --- where clips and definitions come from ----------------------------------------------------


def samples_dir() -> Path:
    """The sample folder; POSECHECK_SAMPLES_DIR points the page elsewhere (tests, a shared clip folder)."""
    return settings.current().samples_dir or DEFAULT_SAMPLES_DIR


def exercises_dir() -> Path:
    """POSECHECK_EXERCISES_DIR, else the shipped definitions (the CLI reads the same setting)."""
    return _exercises_dir()


def list_samples(folder: Path) -> list[str]:
    """Names of the video files directly inside `folder` that really live there (no links out)."""
    if not folder.is_dir():
        return []
    names = []
    for p in sorted(folder.iterdir()):
        if p.suffix.lower().lstrip(".") in VIDEO_TYPES and p.is_file():
            try:
                names.append(resolve_sample(p.name, folder).name)
            except PosecheckError:
                continue  # e.g. a symlink pointing outside the folder: never offered
    return names


def resolve_sample(name: str, folder: Path) -> Path:
    """The sample file called `name`, guaranteed to lie inside `folder`.

    The name comes from the browser, so it is treated as hostile: only a bare file name is accepted,
    and the resolved path (symlinks followed) must still be inside the resolved folder.
    """
    root = folder.resolve()
    if not name or name != Path(name).name or name in (".", "..") or "\\" in name or "\x00" in name:
        raise PosecheckError(f"{name!r} is not a sample name")
    path = (root / name).resolve()
    if not path.is_relative_to(root) or path.parent != root:
        raise PosecheckError(f"{name!r} is not in the samples folder")
    if not path.is_file():
        raise PosecheckError(f"Sample {name!r} was not found in {folder}")
    if path.suffix.lower().lstrip(".") not in VIDEO_TYPES:
        raise PosecheckError(f"{name!r} is not a video file ({', '.join(VIDEO_TYPES)})")
    return path


def sample_exercise(folder: Path, name: str, exercises: Mapping[str, Exercise]) -> str | None:
    """The exercise a sample shows: its truth file's `exercise`, else the longest id its name starts with."""
    truth = folder / f"{Path(name).stem}.truth.json"
    try:
        ex_id = json.loads(truth.read_text(encoding="utf-8")).get("exercise")
        if ex_id in exercises:
            return str(ex_id)
    except (OSError, ValueError, AttributeError):
        pass  # no or unreadable truth file: fall back to the name
    stem = Path(name).stem.lower()
    found = [i for i in exercises if stem.startswith(i)]
    return max(found, key=len) if found else None


def upload_limit_mb() -> tuple[int, str | None]:
    """The page's upload limit in MB and, when the setting was unusable, why it was ignored.

    POSECHECK_MAX_UPLOAD_MB sets it; the server's `server.maxUploadSize` (config.toml) is the ceiling,
    since the server refuses bigger bodies whatever the page says.
    """
    ceiling = int(st.get_option("server.maxUploadSize"))
    raw = settings.current().max_upload_mb
    if not raw:
        return min(DEFAULT_UPLOAD_MB, ceiling), None
    try:
        value = int(raw)
        if value <= 0:
            raise ValueError
    except ValueError:
        return min(DEFAULT_UPLOAD_MB, ceiling), f"POSECHECK_MAX_UPLOAD_MB={raw!r} is not a positive whole number"
    if value > ceiling:
        return ceiling, (f"POSECHECK_MAX_UPLOAD_MB={value} is above the server's limit (server.maxUploadSize = "
                         f"{ceiling} MB in .streamlit/config.toml)")
    return value, None


def safe_upload_name(name: str) -> str:
    """A file name safe to create in our temp folder, keeping what the user will recognise."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._ -]+", "_", base).strip(" .") or "clip"
    return base[:120]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- the result cache -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewKey:
    """What makes two analyses the same: the clip's bytes, the definition's bytes, the side, the depth rule."""

    clip_sha256: str
    exercise_id: str
    definition_sha256: str
    side: str
    source: str = DEFAULT_SOURCE
    strict_depth: bool | None = None  # None: the exercise's own setting


@dataclass(frozen=True)
class ReviewResult:
    report: Report
    clip_name: str  # what the user knows the clip as (upload name or sample name)
    video_path: Path | None  # annotated H.264 MP4, owned by the cache
    info: VideoInfo
    elapsed_s: float  # wall time of the analysis itself


def definition_sha256(exercise: Exercise, folder: Path) -> str:
    """Hash of the definition file, so editing a TOML invalidates its cached results."""
    path = folder / exercise.source
    try:
        return sha256_bytes(path.read_bytes())
    except OSError:
        return sha256_bytes(repr(exercise).encode())  # not from a file: the parsed content stands in


class ResultCache:
    """A small LRU of finished analyses shared by the reruns (and sessions) of one server process.

    Annotated MP4s live in one temp folder that is removed at exit; an evicted entry's MP4 goes too.
    """

    def __init__(self, max_entries: int = CACHE_ENTRIES) -> None:
        self.max_entries = max_entries
        self._tmp = tempfile.TemporaryDirectory(prefix="posecheck-review-")
        self.video_dir = Path(self._tmp.name)
        self._items: OrderedDict[ReviewKey, ReviewResult] = OrderedDict()
        self._lock = threading.Lock()
        self.analyses = 0  # how many real analyses ran (tests check that reruns do not add any)

    def get(self, key: ReviewKey) -> ReviewResult | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: ReviewKey, result: ReviewResult) -> None:
        with self._lock:
            self._items[key] = result
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                _, old = self._items.popitem(last=False)
                if old.video_path is not None:
                    old.video_path.unlink(missing_ok=True)

    def results(self) -> list[ReviewResult]:
        """Cached results, oldest first."""
        with self._lock:
            return list(self._items.values())

    def video_path_for(self, key: ReviewKey) -> Path:
        digest = sha256_bytes(repr(key).encode())[:24]
        return self.video_dir / f"annotated-{digest}.mp4"


@st.cache_resource(show_spinner=False)
def result_cache() -> ResultCache:
    return ResultCache()


# --- running an analysis ----------------------------------------------------------------------


class ProgressClock:
    """Turns progress(frames_done, frames_expected) calls into a fraction and a readable line.

    Calls are throttled (the page would otherwise send a message per frame to the browser).
    """

    def __init__(self, show: Callable[[float, str], object], min_interval_s: float = 0.25) -> None:
        self.show = show
        self.min_interval_s = min_interval_s
        self.t0 = time.perf_counter()
        self._last = -math.inf

    def __call__(self, done: int, expected: int) -> None:
        now = time.perf_counter()
        if now - self._last < self.min_interval_s and not (expected and done >= expected):
            return
        self._last = now
        self.show(*progress_text(done, expected, now - self.t0))


def progress_text(done: int, expected: int, elapsed_s: float) -> tuple[float, str]:
    if expected <= 0:
        return 0.0, f"Analysing: {done} frames so far ({elapsed_s:.0f} s)"
    frac = min(1.0, done / expected)
    if done and done < expected:
        left_s = elapsed_s / done * (expected - done)
        left = f"about {left_s:.0f} s left" if left_s >= 1.5 else "almost done"
    else:
        left = "finishing" if done >= expected else "starting"
    return frac, f"Analysing: frame {min(done, expected)} of {expected} — {left}"


def analyze_for_review(path: Path, clip_name: str, exercise: Exercise, side: SideChoice, key: ReviewKey,
                       cache: ResultCache, progress: Callable[[int, int], None] | None = None,
                       track: PoseTrack | None = None) -> ReviewResult:
    """Analyse a clip once per key; later calls with the same key return the cached result.

    Raises PosecheckError for input a user can fix (not a video, truncated, unreadable codec). `track`: the clip's
    poses, already recorded (automatic recognition did), replayed instead of running MediaPipe again.
    """
    hit = cache.get(key)
    if hit is not None:
        return hit
    info = open_video(path).info  # fails fast on bad input, before the pose model loads
    out = cache.video_path_for(key)
    t0 = time.perf_counter()
    try:
        # one process unless POSECHECK_JOBS asks for chunk workers (parallel.default_jobs says why)
        source = cast(AngleSource, key.source)  # the cache key keeps it as text; the page offers only these
        report = parallel.analyze(path, exercise, side, source=source, model_path=default_model_path(),
                                  out_video=out, max_side=MAX_SIDE_PX, progress=progress,
                                  estimator=ReplayEstimator(track) if track is not None else None,
                                  strict_depth=key.strict_depth)
    except BaseException:
        out.unlink(missing_ok=True)  # a half-written MP4 must never be served
        raise
    elapsed = time.perf_counter() - t0
    cache.analyses += 1
    video = out if out.is_file() and out.stat().st_size > 0 else None
    result = ReviewResult(report, clip_name, video, info, elapsed)
    cache.put(key, result)
    log.info("analysed %s (%s, side %s) in %.1f s", clip_name, exercise.id, side, elapsed)
    return result


# --- automatic recognition ---------------------------------------------------------------------


TRACK_ENTRIES = 6  # recorded poses kept per server process (a few MB each), so a pick after a question is fast


class TrackCache:
    """Recorded poses and the recognition of recently recognised clips, by clip content (LRU)."""

    def __init__(self, max_entries: int = TRACK_ENTRIES) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[str, tuple[PoseTrack, Recognition]] = OrderedDict()
        self._lock = threading.Lock()
        self.recorded = 0  # MediaPipe passes made (tests check a later pick needs none)

    def get(self, sha: str) -> tuple[PoseTrack, Recognition] | None:
        with self._lock:
            hit = self._items.get(sha)
            if hit is not None:
                self._items.move_to_end(sha)
            return hit

    def put(self, sha: str, track: PoseTrack, rec: Recognition) -> None:
        with self._lock:
            self._items[sha] = (track, rec)
            self._items.move_to_end(sha)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


@st.cache_resource(show_spinner=False)
def track_cache() -> TrackCache:
    return TrackCache()


def recognise_for_review(path: Path, sha: str, catalog: Mapping[str, Exercise], cache: TrackCache,
                         progress: Callable[[int, int], None] | None = None) -> Recognition:
    """Which exercise the clip shows: its poses are recorded once (kept for the analysis that follows)."""
    hit = cache.get(sha)
    if hit is not None:
        return hit[1]
    open_video(path)  # fails fast on bad input, before the pose model loads
    track = parallel.record_clip(path, model_path=default_model_path(), max_side=MAX_SIDE_PX, progress=progress)
    cache.recorded += 1
    rec = recognize_clip(track, catalog)
    cache.put(sha, track, rec)
    return rec


class UploadCopy:
    """An uploaded clip written to its own temp folder for the analysis, removed afterwards."""

    def __init__(self, name: str, data: bytes) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="posecheck-upload-"))
        self.path = self._dir / safe_upload_name(name)
        self.path.write_bytes(data)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)
