"""Presets and challenges of the Second-order methods page under AppTest: every preset loads its values
and shows what its explanation promises; every challenge is checked against the page's own runs.

Every test opens a fresh session (compiled programs and cached runs are shared across sessions in this
process, so that is cheap); one test loads two presets in a row, to see the second undo the first.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from analysis import second_order as so
from optimizers import OPTIMIZERS
from ui.curvature.second_order_presets import PRESETS
from tests.apptest_helpers import array, ok, widget, open_page as open_at


def open_page():
    return open_at("pages/curvature/second_order.py")


ITERATIONS = "iterations to |∇L| ≤ 1e-06"
NAMES = {k: OPTIMIZERS[k].name for k in so.METHODS if k in OPTIMIZERS} | {"conjugate_gradient": so.CG_NAME}

def table(at):
    return at.dataframe[0].value.set_index("method")


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def path_of(at, name: str) -> np.ndarray:
    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    trace = next(t for t in fig["data"] if t.get("name") == name and t.get("mode", "").startswith("lines"))
    return np.column_stack([array(trace["x"]), array(trace["y"])])


def verdicts(at) -> str:
    return " ".join(e.value for e in [*at.info, *at.success] if "Challenge" in e.value)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_load_their_view(name):
    app = open_page()
    app.button(key=f"preset_{name}").click().run()
    ok(app)
    values = PRESETS[name].values
    for key, value in values.items():
        assert widget(app, key).value == value, key
    rows = table(app)
    assert list(rows.index) == [NAMES[k] for k in widget(app, "newton_methods").value]  # one row per method
    iterations = rows[ITERATIONS]
    if name == "corridor":
        assert iterations["Newton"] == "1" and iterations["Nonlinear CG"] == "2"
        assert iterations["GD / SGD"] == "not in 200"
    if name == "newton_saddle":
        assert iterations["Newton"] == "1" and iterations["Damped Newton"] == "5"
        assert rows.loc["Newton", "curvature at the end"] == "saddle"
        assert rows.loc["Damped Newton", "curvature at the end"] == "saddle"
        assert rows.loc["Saddle-free Newton", "stopped early"] == "step 14"
    if name == "damped":
        assert float(metrics(app)["Newton step length |H⁻¹g|"]) > 250
        assert iterations["Newton"] == "not in 200" and iterations["Damped Newton"] == "22"
        damped = path_of(app, "Damped Newton")
        assert np.max(np.linalg.norm(np.diff(damped, axis=0), axis=1)) < 0.34
    if name == "nonconvex":
        shown = metrics(app)
        assert shown["Curvature type"] == "saddle"
        assert any("negative eigenvalue" in w.value for w in app.warning)
        landing = [float(v) for v in shown["It lands at"].strip("()").split(",")]
        assert landing[0] > 2.5  # the first step moves away from the well at x ≈ 1
        newton = path_of(app, "Newton")
        losses = [1 - np.exp(-((x - 1) ** 2 + (y - 0.5) ** 2) / 0.72) + 0.002 * (x * x + y * y) for x, y in newton[:2]]
        assert losses[1] > losses[0]  # uphill
        assert iterations["Newton"] == "not in 200" and iterations["Saddle-free Newton"] == "8"


def test_a_preset_returns_the_other_controls_to_their_defaults():
    app = open_page()
    app.button(key="preset_damped").click().run()
    assert widget(app, "newton_damping").value == 3.0
    app.slider(key="newton_steps").set_value(50).run()
    app.button(key="preset_nonconvex").click().run()
    ok(app)
    assert widget(app, "newton_damping").value == 0.1 and widget(app, "newton_steps").value == 200
    assert table(app)[ITERATIONS]["Saddle-free Newton"] == "8"  # what the preset promises, whatever came before
    assert "newton_damping" not in app.query_params and "newton_steps" not in app.query_params


def test_rim_challenge_needs_the_right_damping():
    app = open_page()
    app.selectbox(key="challenge").set_value("rim").run()
    app.button(key="challenge_setup").click().run()
    ok(app)
    text = verdicts(app)
    assert "Not yet" in text and "77 iterations" in text and "Brake harder" in text  # μ = 0.1: wild first steps
    app.select_slider(key="newton_damping").set_value(1.0).run()
    ok(app)
    assert any("Solved" in s.value and "10 iterations" in s.value for s in app.success)
    app.select_slider(key="newton_damping").set_value(10.0).run()
    text = verdicts(app)
    assert "Not yet" in text and "60 iterations" in text and "Damp less" in text  # μ = 10: crawls like GD


def test_saddle_challenge_needs_damping_above_the_negative_curvature():
    app = open_page()
    app.selectbox(key="challenge").set_value("saddle").run()
    app.button(key="challenge_setup").click().run()
    ok(app)
    text = verdicts(app)
    assert "Not yet" in text and "converged to the saddle" in text and "−1.9" in text
    app.select_slider(key="newton_damping").set_value(1.0).run()  # still below |λ| = 2: not enough
    text = verdicts(app)
    assert "Not yet" in text and "lowest loss was −0.36" in text
    app.select_slider(key="newton_damping").set_value(3.0).run()
    ok(app)
    assert any("Solved" in s.value and "all positive" in s.value for s in app.success)
    app.slider(key="newton_step_size").set_value(1.5).run()
    assert "Not yet" not in verdicts(app) and "step size at 1" in verdicts(app)
