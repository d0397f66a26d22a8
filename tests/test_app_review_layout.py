"""The Review page's charts and tables as laid out (issue 13), through AppTest on a sample with faults.

The single-leg raise sample with a bent knee (its recorded MediaPipe poses replayed, tests/replay.py):
the rep table names each fault in words, not as a code; the rep-signal chart's y axis is fitted to the data
(not stretched from 0) on every layer, and its "rest" and "target" labels sit on opposite sides of their
lines, so they cannot overlap however close the lines are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from replay import REPO, track_of
from streamlit.testing.v1 import AppTest

from posecheck import pose as pose_module
from posecheck.exercises import load_all
from posecheck.posetrack import ReplayEstimator

CLIP = "single_leg_raise_bent_knee.mp4"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def at(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppTest]:
    track = track_of(REPO / "samples" / CLIP)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pose_module, "make_estimator", lambda _model_path=None: ReplayEstimator(track))
        mp.setenv("POSECHECK_SAMPLES_DIR", str(REPO / "samples"))
        mp.setenv("POSECHECK_DB", str(tmp_path_factory.mktemp("layout") / "history.sqlite3"))
        app = AppTest.from_file(str(REPO / "app.py"), default_timeout=240)
        app.run()
        app.selectbox(key="review_sample").set_value(CLIP).run()
        next(b for b in app.button if b.label == "Analyse clip").click().run()
        assert not app.exception, app.exception
        yield app


def test_the_rep_table_names_faults_in_words(at: AppTest):
    ex = load_all().exercises["single_leg_raise"]
    [reps] = [d.value for d in at.dataframe if "Range of motion (deg)" in d.value.columns]
    faults = " ".join(reps["Faults"])
    knee = next(c.cue for c in ex.checks if c.code == "knee_bent")
    assert knee.split(":")[0] in faults and "Hold 5 s at the top" in faults, faults
    for code in ("knee_bent", "hold_short"):
        assert code not in faults


def _layers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for layer in spec.get("layer", []):
        yield layer
        yield from _layers(layer)


def _drive_chart(at: AppTest) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    def walk(node: object) -> Iterator[object]:
        for child in getattr(node, "children", {}).values():
            yield child
            yield from walk(child)

    for el in walk(at._tree):
        if getattr(el, "type", "") != "vega_lite_chart":
            continue
        spec = json.loads(el.proto.spec)
        if str(spec.get("title", "")).startswith("Rep signal"):
            data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in el.proto.datasets}
            return spec, data
    raise AssertionError("no rep-signal chart on the page")


def test_the_rep_signal_axis_is_fitted_and_its_labels_apart(at: AppTest):
    spec, data = _drive_chart(at)
    layers = list(_layers(spec))
    y_layers = [ly for ly in layers if "field" in ly.get("encoding", {}).get("y", {})]
    domains = [ly["encoding"]["y"].get("scale", {}).get("domain") for ly in y_layers]
    assert domains and all(d == domains[0] for d in domains), domains  # every layer on one fitted axis
    lo, hi = domains[0]
    signal = pd.concat([data[ly["data"]["name"]] for ly in y_layers if ly.get("mark", {}).get("type") == "line"])
    assert lo > 0 or signal["deg"].min() < 0  # not stretched down to 0
    assert lo <= signal["deg"].min() and signal["deg"].max() <= hi
    assert (hi - lo) < 1.6 * (signal["deg"].max() - signal["deg"].min()) + 30  # the curve fills the chart

    texts = [ly for ly in layers if ly.get("mark", {}).get("type") == "text"]
    labels = sorted((float(data[ly["data"]["name"]]["deg"].iloc[0]), ly["mark"]) for ly in texts)
    assert len(labels) == 2 and all(len(data[ly["data"]["name"]]) == 1 for ly in texts)
    (_, lower), (_, upper) = labels
    assert lower.get("baseline") == "top" and lower.get("dy", 0) >= 0  # below its line
    assert upper.get("baseline") == "bottom" and upper.get("dy", 0) <= 0  # above its line
