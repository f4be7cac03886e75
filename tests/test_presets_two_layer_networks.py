"""Presets and challenges of the Two-layer networks page under AppTest: every preset loads its values and
shows what its explanation promises; every challenge is checked against the page's own runs.

Every test opens a fresh session: under AppTest a rerun carries the last run's query string, so a
widget that a preset leaves out would be seeded from it instead of returning to its default (in the
browser it does return). Compiled programs and cached runs are shared across sessions, so this is cheap.
"""

from __future__ import annotations


import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ui.nonconvex.two_layer_networks_presets import CHALLENGES, PRESETS
from tests.apptest_helpers import load_preset, array, ok, titled, widget, open_page as open_at


def open_page():
    return open_at("pages/nonconvex/two_layer_networks.py")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def percent(value: str) -> float:
    return float(value.split("%")[0])


def basin_shares(at: AppTest) -> tuple[list[float], float, float]:
    """(share per minimum, not settled, diverged) in % from the basin map's metrics."""
    m = metrics(at)
    minima = [percent(v) for k, v in m.items() if k.startswith("Minimum ")]
    return minima, percent(m["Not settled near a minimum"]), percent(m["Diverged"])


def verdicts(at: AppTest) -> tuple[str, str]:
    return " ".join(i.value for i in at.info), " ".join(s.value for s in at.success)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_load_their_view(name):
    at = open_page()
    load_preset(at, PRESETS, name)
    m = metrics(at)
    if name == "saddle":
        assert m["Moved from zero in 300 GD steps"] == "0"
        assert m["Random starts that escaped"] == "0 of 6"  # none gets past |θ| = 0.1 in 300 steps
    elif name == "mirror":
        minima, unsettled, diverged = basin_shares(at)
        assert minima == [50.0, 50.0] and unsettled == 0.0 and diverged == 0.0
        heat = [t for t in titled(at, "Basins")["data"] if t["type"] == "heatmap"][0]
        code = array(heat["z"])  # 0 diverged, 1 unsettled, 2 + i minimum i
        mirrored = code[::-1, ::-1]
        assert np.array_equal(code, np.where(mirrored >= 2, 5 - mirrored, mirrored))  # (w, v) -> (-w, -v) swaps them
    elif name == "too_large":
        minima, unsettled, diverged = basin_shares(at)
        assert max(minima) == 0.0 and diverged > 50.0 and unsettled > 40.0
        assert any("Most runs diverged" in e.value for e in at.error)
    elif name == "camel":
        p = float(m["p: one run reaches the global minimum"])
        best = float(m["Best of K = 4: measured"])
        assert 0.55 < p < 0.65 and best > 0.95
        assert best == pytest.approx(1 - (1 - p) ** 4, abs=0.03)
        assert m["Restarts for 95 % confidence"] == "4"


def test_escape_challenge_has_a_window_of_learning_rates():
    at = open_page()
    at.selectbox(key="challenge").set_value("escape").run()
    at.button(key="challenge_setup").click().run()
    ok(at)
    for key, value in CHALLENGES["escape"].setup.items():
        assert widget(at, key).value == value, key
    info, success = verdicts(at)
    assert "Not yet" in info and "0 of 6 random starts got past" in info and "1 + 1.8η" in info and not success
    at.select_slider(key="net_init_lr").set_value(0.7).run()  # escapes, then bounces: beyond 2/λ_max
    info, success = verdicts(at)
    assert "Not yet" in info and "2/λ_max" in info and not success
    at.select_slider(key="net_init_lr").set_value(0.02).run()  # all escape, but two of six have settled
    info, success = verdicts(at)
    assert "Not yet" in info and "6 of 6 random starts got past" in info and "flat direction" in info and not success
    at.select_slider(key="net_init_lr").set_value(0.1).run()
    ok(at)
    info, success = verdicts(at)
    assert "Solved" in success and "Not yet" not in info


def test_settle_challenge_is_checked_against_the_basin_map():
    at = open_page()
    at.selectbox(key="challenge").set_value("settle").run()
    at.button(key="challenge_setup").click().run()
    ok(at)
    assert widget(at, "net_model").value == "two_layer_tanh" and widget(at, "net_basin_lr").value == 0.05
    info, success = verdicts(at)
    assert "Not yet" in info and "saturates" in info and not success
    minima, unsettled, _ = basin_shares(at)
    assert f"{unsettled:.1f} % have not settled" in info  # the message quotes the page's own map
    at.select_slider(key="net_basin_lr").set_value(1.5).run()  # too large: most runs blow up
    info, success = verdicts(at)
    assert "Not yet" in info and "diverged" in info and "2/η" in info and not success
    at.select_slider(key="net_basin_lr").set_value(0.2).run()  # closer: 80 % settle
    info, success = verdicts(at)
    assert "Not yet" in info and "saturates" in info and not success
    at.select_slider(key="net_basin_lr").set_value(0.3).run()
    ok(at)
    info, success = verdicts(at)
    assert "Solved" in success and "Not yet" not in info
    assert sum(basin_shares(at)[0]) == pytest.approx(100.0, abs=0.1)
