"""The Conditioning page's presets and challenges under Streamlit's AppTest.

Every preset loads, puts its values in the widgets and shows what its explanation promises (read from
the page's metrics, table and figures); every challenge starts "Not yet" with a hint, a real solution
solves it and a wrong setting does not. One AppTest session for the module: presets return every
control to its default first, so the order of the tests does not matter.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from ui.curvature.conditioning_presets import PRESETS
from tests.apptest_helpers import challenge_boxes as verdicts, array, ok, open_page, widget



@pytest.fixture(scope="module")
def app():
    at = open_page("pages/curvature/conditioning.py")
    return at


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def trace(fig: dict, starts: str) -> np.ndarray:
    found = [t for t in fig["data"] if (t.get("name") or "").startswith(starts)]
    assert found, f"no trace named {starts!r} in {[t.get('name') for t in fig['data']]}"
    return array(found[0]["y"])


def widget_value(at, key: str):
    return widget(at, key).value


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_loads_its_values_and_shows_what_it_promises(app, name):
    app.button(key=f"preset_{name}").click().run()
    ok(app)
    for key, value in PRESETS[name].values.items():
        shown = widget_value(app, key)
        assert shown == value and type(shown) is type(value), (key, shown, value)
    m, figs = metrics(app), figures(app)
    table = app.dataframe[0].value
    if name == "corridor":  # GD crawls at 0.98 per step even at its best eta; momentum is near sqrt-kappa's 0.82
        assert m["Condition number κ"] == "100"
        assert 650 <= int(m["Predicted steps to shrink the error 10⁶×"]) <= 720
        assert float(m["GD: measured rate"]) > 0.97
        assert float(m["Momentum: measured rate"]) < 0.83
        momentum = trace(figs[3], "Momentum")
        gd = trace(figs[3], "GD")
        assert np.nanargmax(momentum <= 1e-6 * momentum[0]) < 100 and np.nanmin(momentum / momentum[0]) <= 1e-6
        assert np.nanmin(gd / gd[0]) > 1e-6  # GD does not get there within the 400 steps shown
    elif name == "too_large":  # the steep error doubles every step until the run leaves the bowl
        assert any("stability limit" in e.value for e in app.error)
        assert list(table["behaviour"]) == ["shrinks monotonically", "diverges"]
        steep = trace(figs[1], "measured along u₂")
        finite = steep[np.isfinite(steep)]
        assert np.allclose(finite[1:] / finite[:-1], 4.0)  # e² grows 4x: |1 - eta lambda| = 2
        assert len(finite) == 19
    elif name == "notes_lr":  # the steep direction zig-zags and is the slow one
        assert table["behaviour"].iloc[1] == "oscillates (flips sign)"
        flat, steep = table["contraction |1 − ηλᵢ|"]
        assert steep == pytest.approx(0.98) and flat == pytest.approx(0.901) and steep > flat
        assert 650 <= int(m["Predicted steps to shrink the error 10⁶×"]) <= 720
        assert not app.error
    elif name == "round":  # one step lands on the minimum
        assert m["Condition number κ"] == "1"
        assert m["Predicted steps to shrink the error 10⁶×"] == "1"
        loss = trace(figs[2], "measured loss")
        assert loss[0] > 1 and not (loss[1] > 1e-20)  # exactly 0 (drawn as a gap on the log axis)


def test_a_preset_returns_the_other_controls_to_their_defaults(app):
    app.button(key="preset_too_large").click().run()
    app.button(key="preset_round").click().run()
    ok(app)
    assert app.select_slider(key="cond_lr").value == 0.07
    assert app.slider(key="cond_steps").value == 150


def test_gd_challenge_needs_a_learning_rate_between_the_two_limits(app):
    app.selectbox(key="challenge").set_value("gd_50").run()
    app.button(key="challenge_setup").click().run()
    ok(app)
    not_yet, solved = verdicts(app)
    assert not solved and len(not_yet) == 1
    assert "Not yet" in not_yet[0] and "2.55e-03" in not_yet[0] and "flat direction is the slow one" in not_yet[0]
    app.select_slider(key="cond_lr").set_value(0.15).run()
    ok(app)
    not_yet, solved = verdicts(app)
    assert not not_yet and "Solved" in solved[0] and "step 47" in solved[0]
    app.select_slider(key="cond_lr").set_value(0.2).run()  # = 2 / lambda_max: the steep error never shrinks
    not_yet, solved = verdicts(app)
    assert not solved and "never shrinks" in not_yet[0]
    assert any("exactly on the stability limit" in e.value for e in app.error)  # not "above" it
    app.select_slider(key="cond_lr").set_value(0.1).run()  # stable but too slow (needs 71 steps)
    not_yet, solved = verdicts(app)
    assert not solved and "Not yet" in not_yet[0]
    app.selectbox(key="cond_lr_rule").set_value("optimal").run()  # the rule would solve it, but not by hand
    not_yet, solved = verdicts(app)
    assert not solved and "set by hand" in not_yet[0]


def test_momentum_challenge_is_checked_against_the_momentum_run(app):
    app.selectbox(key="challenge").set_value("momentum").run()
    app.button(key="challenge_setup").click().run()
    ok(app)
    assert app.toggle(key="cond_mom_optimal").value is False
    not_yet, solved = verdicts(app)
    assert not solved and "Not yet" in not_yet[0] and "5.33e-03" in not_yet[0] and "0.818" in not_yet[0]
    app.number_input(key="cond_mom_lr").set_value(0.15).run()
    app.number_input(key="cond_mom_beta").set_value(0.7).run()
    ok(app)
    not_yet, solved = verdicts(app)
    assert not not_yet and "Solved" in solved[0] and "step 78" in solved[0]
    app.number_input(key="cond_mom_beta").set_value(0.9).run()  # too much momentum: slow spirals
    not_yet, solved = verdicts(app)
    assert not solved and "Not yet" in not_yet[0]
    app.number_input(key="cond_mom_lr").set_value(0.5).run()  # eta lambda_max = 10 > 2(1 + beta): diverges
    not_yet, solved = verdicts(app)
    assert not solved and "diverged" in not_yet[0]
    app.selectbox(key="challenge").set_value("none").run()
    assert verdicts(app) == ([], [])
