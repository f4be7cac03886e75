"""Presets and challenges of the Saddles and cliffs page under AppTest: every preset loads its values and
shows what its explanation promises; every challenge is checked against the page's own runs.

Every test opens a fresh session (compiled programs and cached runs are shared across sessions in this
process, so that is cheap); one test loads two presets in a row, to see the second undo the first.
"""

from __future__ import annotations


import numpy as np
import pytest

from ui.nonconvex.saddles_and_cliffs_presets import PRESETS
from tests.apptest_helpers import load_preset, array, ok, titled, widget, open_page as open_at


def open_page():
    return open_at("pages/nonconvex/saddles_and_cliffs.py")


def curve(fig: dict, name: str) -> np.ndarray:
    return array(next(t for t in fig["data"] if t.get("name") == name)["y"])


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def verdicts(at) -> str:
    return " ".join(e.value for e in [*at.info, *at.success] if "Challenge" in e.value)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_load_their_view(name):
    app = open_page()
    load_preset(app, PRESETS, name)
    shown = metrics(app)
    if name == "newton_saddle":
        distance = titled(app, "Distance from the saddle")
        newton = curve(distance, "Newton")
        assert np.all(np.nan_to_num(newton[1:]) < 1e-15)  # on the saddle from step 1 on (NaN: exactly 0 on a log axis)
        assert 0.01 < curve(distance, "GD / SGD")[-1] < 0.05 and len(curve(distance, "GD / SGD")) == 61
        assert len(curve(distance, "Saddle-free Newton")) <= 27
        assert any("Saddle-free Newton" in c.value for c in app.caption)
    if name == "many_down":
        assert shown["Random directions that curve down at the saddle"] == "49.5 %"
        table = app.dataframe[0].value.set_index("optimizer")
        assert table.loc["Newton", "escaped (of 32)"] == 0
        for optimizer in ("GD / SGD", "Momentum", "Adam", "Saddle-free Newton"):
            assert table.loc[optimizer, "escaped (of 32)"] == 32, optimizer
    if name == "cliff":
        assert 20 < float(shown["no clipping: largest jump"]) < 26
        assert float(shown["clip by norm: largest jump"]) <= 0.1 + 1e-9
        paths = titled(app, "GD from the cliff's edge")["data"]
        unclipped = next(t for t in paths if t.get("name") == "no clipping")
        clipped = next(t for t in paths if t.get("name") == "clip by norm")
        assert array(unclipped["x"]).max() > 20  # thrown far past the minimum at x = 1.5
        end = np.array([array(clipped["x"])[-1], array(clipped["y"])[-1]])
        assert 0.005 < np.linalg.norm(end - [1.5, 0.0]) < 0.02
    if name == "vanishing":
        assert float(shown["‖Wⁿ‖ at n = 50"]) == pytest.approx(0.9**50, rel=0.01)
        state = next(t for t in titled(app, "Hidden state")["data"] if t.get("name") == "hₙ = Wⁿ h₀")
        h = np.column_stack([array(state["x"]), array(state["y"])])
        assert np.linalg.norm(h[50]) < 0.006 * np.linalg.norm(h[0])
        angles = np.deg2rad([60, 150])
        along = np.linalg.solve(np.array([np.cos(angles), np.sin(angles)]), h.T)[1]  # part along eigenvector 2
        assert np.all(np.sign(along[1:8]) == -np.sign(along[:7]))  # changes side at every step
        assert np.allclose(along[1:8] / along[:7], -0.5)


def test_a_preset_returns_the_other_controls_to_their_defaults():
    app = open_page()
    app.button(key="preset_cliff").click().run()
    app.slider(key="sc_k").set_value(5).run()
    app.button(key="preset_vanishing").click().run()
    ok(app)
    assert widget(app, "sc_cliff_lr").value == 0.05 and widget(app, "sc_k").value == 1
    assert float(metrics(app)["clip by norm: largest jump"]) == pytest.approx(0.05)
    assert "sc_cliff_lr" not in app.query_params and "sc_k" not in app.query_params


def test_escape_challenge_has_a_window_of_learning_rates():
    app = open_page()
    app.selectbox(key="challenge").set_value("escape").run()
    app.button(key="challenge_setup").click().run()
    ok(app)
    text = verdicts(app)
    assert "Not yet" in text and "only 0 of 32 runs escaped" in text and "1 + ημ = 1.01" in text
    app.select_slider(key="sc_hd_lr").set_value(1.0).run()
    text = verdicts(app)
    assert "Not yet" in text and "median of 57 steps" in text
    app.select_slider(key="sc_hd_lr").set_value(3.0).run()
    text = verdicts(app)
    assert "Not yet" in text and "32 of 32 runs diverged" in text
    app.select_slider(key="sc_hd_lr").set_value(1.5).run()
    ok(app)
    assert any("Solved" in s.value and "median of 39 steps" in s.value for s in app.success)


def test_cliff_challenge_needs_short_steps_and_a_fast_finish():
    app = open_page()
    app.selectbox(key="challenge").set_value("cliff").run()
    app.button(key="challenge_setup").click().run()
    ok(app)
    text = verdicts(app)
    assert "Not yet" in text and "0.15 from the minimum" in text and "longest step" not in text  # short but slow
    app.select_slider(key="sc_cliff_lr").set_value(0.2).run()  # η c = 0.2: too long a step
    text = verdicts(app)
    assert "Not yet" in text and "the longest step was 0.2" in text
    app.select_slider(key="sc_clip_norm").set_value(0.5).run()
    ok(app)
    assert any("Solved" in s.value for s in app.success)
    app.select_slider(key="sc_clip_norm").set_value(0.01).run()  # steps of 0.002 cannot cover the way
    text = verdicts(app)
    assert "Not yet" in text and "cover at most 0.2," in text
