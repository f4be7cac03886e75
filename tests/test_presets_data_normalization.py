"""The Data normalization page's presets and challenges under Streamlit's AppTest.

Every preset loads, puts its values in the widgets and shows what its explanation promises (read from
the condition-number chart, the table and the network metrics); every challenge starts "Not yet" with
a hint, a real solution solves it and a wrong setting does not. One AppTest session for the module:
presets return every control to its default first, so the order of the tests does not matter.
"""

from __future__ import annotations

import json

import pytest

from ui.curvature.data_normalization_presets import PRESETS
from tests.apptest_helpers import challenge_boxes as verdicts, array, ok, open_page, widget

STEPS_COLUMN = "GD steps to loss − min ≤ 1e-08"


@pytest.fixture(scope="module")
def app():
    at = open_page("pages/curvature/data_normalization.py")
    return at


def kappas(at) -> dict:
    """Condition numbers from the bar chart: raw, centered, standardized, whitened."""
    bars = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    assert bars["type"] == "bar"
    return dict(zip(("raw", "centered", "standardized", "whitened"), array(bars["y"])))


def gd_steps(at) -> dict:
    table = at.dataframe[0].value
    return dict(zip(("raw", "centered", "standardized", "whitened"), table[STEPS_COLUMN]))


def widget_value(at, key: str):
    return widget(at, key).value


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_loads_its_values_and_shows_what_it_promises(app, name):
    app.button(key=f"preset_{name}").click().run()
    ok(app)
    for key, value in PRESETS[name].values.items():
        shown = widget_value(app, key)
        assert shown == value and type(shown) is type(value), (key, shown, value)
    k, steps = kappas(app), gd_steps(app)
    assert k["whitened"] == pytest.approx(1.0) and steps["whitened"] == "1"
    if name == "mean":  # the mean alone makes the raw problem ill-conditioned; centering fixes it
        assert 45 < k["raw"] < 60 and k["centered"] < 1.2
        assert steps["raw"] == "> 100" and steps["centered"] == "5"
    elif name == "scales":  # centering does nothing for unequal scales; standardizing fixes them
        assert k["raw"] > 4000 and k["centered"] > 4000 and k["standardized"] < 1.2
        assert steps["centered"] == "> 100" and steps["standardized"] == "5"
    elif name == "correlated":  # only whitening removes a correlation
        assert all(25 < k[kind] < 40 for kind in ("raw", "centered", "standardized"))
        assert steps["standardized"] == "> 100"
    elif name == "shifted_units":  # tanh, now far off-centre, is worse conditioned than the sigmoid
        m = {x.label: x.value for x in app.metric}
        assert float(m["tanh: mean activation"]) == pytest.approx(-0.87, abs=0.01)
        assert float(m["sigmoid: mean activation"]) == pytest.approx(0.15, abs=0.01)
        assert float(m["tanh: median κ of the block"]) > 5 * float(m["sigmoid: median κ of the block"])
        assert app.slider(key="norm_mean1").value == 3.0  # the dataset is back at its default


def test_best_step_challenge_has_a_narrow_window_around_the_theory(app):
    app.selectbox(key="challenge").set_value("best_step").run()
    app.button(key="challenge_setup").click().run()
    ok(app)
    not_yet, solved = verdicts(app)
    assert not solved and "Not yet" in not_yet[0] and "in 23 steps" in not_yet[0]  # as the goal says for c = 1
    assert "flat direction is the slow one" in not_yet[0]
    app.slider(key="norm_lr_factor").set_value(1.5).run()  # near 2 kappa / (kappa + 1) = 1.52
    ok(app)
    not_yet, solved = verdicts(app)
    assert not not_yet and "Solved" in solved[0] and "14 steps" in solved[0]
    app.slider(key="norm_lr_factor").set_value(1.9).run()  # overshoots along the steep direction
    not_yet, solved = verdicts(app)
    assert not solved and "steep direction is the slow one" in not_yet[0]
    app.slider(key="norm_lr_factor").set_value(1.5).run()
    app.slider(key="norm_corr").set_value(0.0).run()  # a rounder dataset is not the point
    not_yet, solved = verdicts(app)
    assert not solved and "Keep the dataset" in not_yet[0] and "norm_corr" in not_yet[0]


def test_backfire_challenge_reads_the_condition_numbers(app):
    app.selectbox(key="challenge").set_value("backfire").run()
    app.button(key="challenge_setup").click().run()
    ok(app)
    not_yet, solved = verdicts(app)
    assert not solved and "centering improves κ" in not_yet[0] and "μμᵀ" in not_yet[0]
    # a large mean on the steep feature: centering helps, so still not solved
    app.slider(key="norm_mean1").set_value(5.0).run()
    app.select_slider(key="norm_scale1").set_value(10.0).run()
    not_yet, solved = verdicts(app)
    assert not solved and "Not yet" in not_yet[0]
    # the large mean on the feature with the small scale: centering removes what lifted the flat direction
    app.slider(key="norm_mean1").set_value(0.0).run()
    app.slider(key="norm_mean2").set_value(5.0).run()
    ok(app)
    not_yet, solved = verdicts(app)
    k = kappas(app)
    assert not not_yet and "Solved" in solved[0] and k["centered"] >= 10 * k["raw"]
