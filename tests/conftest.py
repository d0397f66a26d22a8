"""Test-wide settings: a private history file, both cores, and the shared cache of synthetic clips and poses."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from synthcache import DigestReplay, Recording, SynthStore

# --- both cores -----------------------------------------------------------------------------------

UNITS = pytest.StashKey[bool]()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """`pytest` alone runs on every core (pytest-xdist); `-n 0`, `-n N`, `-p no:xdist` and `--pdb` still choose."""
    if not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput"):
        return
    if config.option.numprocesses is None and not config.option.usepdb and config.option.dist == "no":
        config.option.numprocesses = "logical"
        config.option.dist = "loadscope"
        config.option.loadscopereorder = False  # keep pytest_collection_modifyitems' order
        config.stash[UNITS] = True


def pytest_configure(config: pytest.Config) -> None:
    """Each xdist worker's pose models take their share of the cores (as `posecheck batch` workers do), so
    workers running MediaPipe at once do not spin threads against each other. Inherited by the app servers
    and CLIs the tests start; the poses are the same whatever the share."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers > 1:
        from posecheck.pose import default_pose_threads

        os.environ.setdefault("POSECHECK_POSE_THREADS", str(default_pose_threads(streams=workers)))


# Tests that share recorded poses run on one worker, so one records while the other works on something else:
# a module is one unit of work, except these, split by the clip their parameters name. (xdist's own
# `xdist_group` marks never reach its scheduler under pytest 9.2, which no longer reads `item._nodeid`.)
SPLIT = {"test_e2e_exercises.py": re.compile(r"\[([\w]+)"),  # the case id
         "test_e2e_angles.py": re.compile(r"\[(\w+-(?:left|right))")}  # script-facing
BROWSER = "test_browser_"  # one unit: each starts the app with real MediaPipe and Chromium


def work_unit(nodeid: str) -> str:
    module, _, rest = nodeid.partition("::")
    name = module.rsplit("/", 1)[-1]
    if name.startswith(BROWSER):
        return "browser"
    split = SPLIT.get(name)
    m = split.search(rest) if split else None
    return f"{module}::{m[1]}" if m else module


@pytest.hookimpl(optionalhook=True)  # an unknown hook without xdist (-p no:xdist)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    if not config.stash.get(UNITS, False):
        return None  # the user chose a --dist mode
    from xdist.scheduler import LoadScopeScheduling

    class SharedPoses(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return SharedPoses(config, log)


# Heaviest first, so the long ones start at once and quick unit tests fill the gaps at the end.
ORDER = ("test_browser_", "test_e2e_exercises", "test_e2e_angles", "test_e2e_front", "test_live", "test_app_",
         "test_e2e_cuts", "test_cli")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return next((i for i, prefix in enumerate(ORDER) if name.startswith(prefix)), len(ORDER))

    items.sort(key=rank)  # stable: each module keeps its own order


# --- no test writes into the user's history -------------------------------------------------------


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


# --- synthetic clips and their poses, made once --------------------------------------------------


@pytest.fixture(scope="session")
def synth(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SynthStore:
    """The run's store of rendered clips and recorded poses (see synthcache).

    Kept under .pytest_cache between runs; `--cache-clear` or `-p no:cacheprovider` makes a cold run,
    whose store lives in the run's tmp folder, shared by its xdist workers.
    """
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return SynthStore(cache.mkdir("posecheck-synth"))
    base = tmp_path_factory.getbasetemp()
    return SynthStore((base.parent if hasattr(request.config, "workerinput") else base) / "posecheck-synth")


@pytest.fixture
def replay_poses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., list[DigestReplay]]]:
    """Swap MediaPipe for recorded poses wherever the app builds its estimator (`posecheck.pose.make_estimator`).

    `replay_poses(rec, lambda: rec2, ...)` registers recordings (a callable is recorded only if the app asks
    for a pose: a page that shows a cached result never does); it returns the replays the app made. A frame
    without a recorded pose fails the test, even where the app would turn the error into a message.
    """
    from posecheck import pose

    sources: list[Recording | Callable[[], Recording]] = []
    made: list[DigestReplay] = []

    def factory(_model_path: object = None) -> DigestReplay:
        made.append(DigestReplay(sources))
        return made[-1]

    monkeypatch.setattr(pose, "make_estimator", factory)

    def register(*recordings: Recording | Callable[[], Recording]) -> list[DigestReplay]:
        sources.extend(recordings)
        return made

    yield register
    assert not sum(r.misses for r in made), "the app asked for the pose of a frame nobody recorded"
