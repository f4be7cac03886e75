"""The Stochastic lab pages (Minibatches, Learning-rate schedules) under Streamlit's AppTest: defaults,
then each control moved in turn. One AppTest session for the module; the controls that only move traced
values are also checked not to recompile anything."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analysis import gradient_noise, schedules_study
from optimizers.engine import TRACE_COUNTS
from tests.apptest_helpers import fresh_caches

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    ok(at)
    return at


def ok(at):
    assert not at.exception, [e.value for e in at.exception]


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def names(fig: dict) -> set:
    return {t.get("name") for t in fig["data"]}


def length(array) -> int:
    """Number of values in a figure array (Plotly 7 sends NumPy arrays as base64 'bdata')."""
    if isinstance(array, dict) and "bdata" in array:
        return len(base64.b64decode(array["bdata"])) // np.dtype(array["dtype"]).itemsize
    return len(array)


def change(at, kind: str, key: str, value) -> None:
    getattr(at, kind)(key=key).set_value(value).run()
    ok(at)


def compiled() -> tuple:
    return (sum(TRACE_COUNTS.values()), gradient_noise._cloud._cache_size(), gradient_noise._squared_errors._cache_size(),
            schedules_study._growing_batch._cache_size())


def test_minibatches_page(app):
    fresh_caches()
    app.switch_page("pages/stochastic/minibatches.py").run()
    ok(app)
    figs = figures(app)
    assert len(figs) == 10
    cloud, se = figs[1], figs[2]
    assert {"full gradient ∇L", "2σ ellipse (predicted)"} <= names(cloud)
    assert any(n.startswith("minibatches, B = 8") for n in names(cloud))
    assert length(next(t for t in cloud["data"] if t["name"].startswith("minibatches"))["x"]) == 300
    assert {"σ/√B (with replacement)", "measured · shuffled epochs", "measured · sorted order"} <= names(se)
    assert se["layout"]["xaxis"]["type"] == "log" and se["layout"]["yaxis"]["type"] == "log"
    assert {"B = 1 (64 steps/epoch)", "B = 64 (1 steps/epoch)"} <= names(figs[4])  # loss per sample processed
    assert len(figs[7]["data"]) >= 3  # the three membership rasters
    assert not app.warning and not app.error
    assert [m.value for m in app.metric][:3] == ["64", "8", "8"]

    before = compiled()
    change(app, "slider", "mb_batch", 20)
    assert any(n.startswith("minibatches, B = 20") for n in names(figures(app)[1]))
    change(app, "slider", "mb_x", 0.5)
    change(app, "radio", "mb_cloud_sampling", "replacement")
    change(app, "select_slider", "mb_lr", 0.05)
    change(app, "select_slider", "mb_k", 8)
    change(app, "slider", "mb_beta", 0.8)
    change(app, "slider", "mb_noise", 2.0)
    change(app, "number_input", "mb_seed", 3)
    assert compiled() == before, "moving a traced control recompiled something"


def test_minibatches_page_divergence_other_data_and_clamps(app):
    app.switch_page("pages/stochastic/minibatches.py").run()
    change(app, "select_slider", "mb_lr", 10.0)  # far too large: a readable error, no traceback
    assert any("diverged" in e.value for e in app.error)
    change(app, "slider", "mb_batch", 64)
    # A new landscape and a smaller dataset in one rerun (one set of compiles).
    app.select_slider(key="mb_n").set_value(32)
    app.selectbox(key="mb_landscape").set_value("logistic_regression").run()
    ok(app)
    assert app.select_slider(key="mb_lr").value == 1.0  # the landscape's own default learning rate
    assert app.slider(key="mb_batch").value == 32  # clamped to the new dataset
    assert [m.value for m in app.metric][:2] == ["32", "32"]
    assert not app.error
    assert len(figures(app)) == 10


def test_schedules_page(app):
    fresh_caches()
    app.switch_page("pages/stochastic/schedules.py").run()
    ok(app)
    figs = figures(app)
    assert len(figs) == 4
    curves, band, jitter_map, boxes = figs
    assert {"constant", "step decay", "cosine", "growing batch: B₀/B(t)"} <= names(curves)
    assert {"constant", "cyclical", "warm-up + cosine", "growing batch"} <= names(band)
    assert any(t.get("fill") == "toself" for t in band["data"])
    assert len([t for t in boxes["data"] if t["type"] == "box"]) == 7
    table = app.dataframe[0].value
    assert list(table["schedule"])[-1] == "growing batch"
    spread = dict(zip(table["schedule"], table["spread of last iterates (median)"]))
    assert spread["cosine"] < spread["constant"] and spread["growing batch"] < spread["constant"]

    before = compiled()
    change(app, "multiselect", "sched_choices", ["constant", "growing batch"])
    assert len(figures(app)[3]["data"]) == 2
    change(app, "slider", "sched_seeds", 4)
    change(app, "slider", "sched_gamma", 0.3)
    change(app, "slider", "sched_growth", 3.0)
    change(app, "slider", "sched_cycle", 3)
    change(app, "slider", "sched_min_ratio", 0.1)
    change(app, "slider", "sched_warmup_epochs", 0.5)
    change(app, "select_slider", "sched_lr", 0.1)
    assert compiled() == before, "moving a traced control recompiled something"
    change(app, "slider", "sched_every", 2)
    change(app, "multiselect", "sched_choices", [])
    assert app.info


def test_schedules_page_clamps_a_run_that_is_too_long(app):
    app.switch_page("pages/stochastic/schedules.py").run()
    change(app, "multiselect", "sched_choices", ["constant", "step decay"])
    change(app, "select_slider", "sched_n", 512)
    change(app, "slider", "sched_batch", 1)
    change(app, "slider", "sched_epochs", 20)
    assert any("runs are limited to 523 steps" in w.value for w in app.warning)
    assert figures(app)
