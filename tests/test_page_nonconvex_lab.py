"""The non-convex lab's three pages under Streamlit's AppTest: defaults, every control moved, clamps warned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(path).run()
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def figures(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def titled(at: AppTest, text: str) -> dict:
    for fig in figures(at):
        title = fig.get("layout", {}).get("title") or {}
        if text in (title.get("text") or ""):
            return fig
    raise AssertionError(f"no figure titled {text!r}")


def warnings_text(at: AppTest) -> str:
    return " ".join(w.proto.body for w in at.warning)


# ---- two-layer networks ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def networks():
    return open_page("pages/nonconvex/two_layer_networks.py")


def test_networks_defaults_draw_every_figure(networks):
    assert len(figures(networks)) == 11
    surface = titled(networks, "Error surface")
    kinds = {t.get("name") for t in surface["data"]}
    assert {"minimum", "saddle"} <= kinds
    basin = titled(networks, "Basins")
    heat = [t for t in basin["data"] if t["type"] == "heatmap"][0]
    assert heat["z"]["shape"].replace(" ", "") == "128,128"  # Plotly encodes large arrays as typed binary
    metrics = {m.label: m.value for m in networks.metric}
    assert metrics["Moved from zero in 300 GD steps"] == "0"
    assert titled(networks, "Chance that the best of K")
    assert titled(networks, "Gradient norm")
    assert titled(networks, "Where one run from a random start ends")
    assert titled(networks, "Steps spent on the plateau")


@pytest.mark.parametrize("kind, key, value", [
    ("radio", "net_model", "two_layer_tanh"),
    ("slider", "net_n", 12),
    ("selectbox", "net_target", "sine"),
    ("select_slider", "net_init_scale", 0.1),
    ("select_slider", "net_init_lr", 0.2),
    ("selectbox", "net_basin_opt", "momentum"),
    ("select_slider", "net_basin_lr", 0.05),
    ("select_slider", "net_basin_grid", 32),
    ("radio", "net_basin_color", "loss"),
    ("radio", "net_basin_color", "divergence"),
    ("radio", "net_rs_loss", "network"),
    ("number_input", "net_rs_k", 12),
    ("multiselect", "net_pl_opts", ["sgd", "adam"]),
    ("select_slider", "net_pl_lr", 0.1),
    ("select_slider", "net_pl_tol", 0.01),
])
def test_networks_every_control_reruns_cleanly(networks, kind, key, value):
    getattr(networks, kind)(key=key).set_value(value).run()
    ok(networks)
    assert len(figures(networks)) >= 10


def test_networks_clamps_steps_and_k_with_a_warning(networks):
    networks.number_input(key="net_basin_steps").set_value(100_000).run()
    networks.number_input(key="net_rs_k").set_value(5000).run()
    ok(networks)
    text = warnings_text(networks)
    assert "basin maps run at most" in text and "K = 30 is shown" in text


def test_networks_huge_learning_rate_reports_divergence(networks):
    networks.select_slider(key="net_basin_lr").set_value(10.0).run()
    ok(networks)
    assert any("diverged" in e.proto.body for e in networks.error)


# ---- saddles and cliffs ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saddles():
    return open_page("pages/nonconvex/saddles_and_cliffs.py")


def test_saddles_defaults(saddles):
    assert len(figures(saddles)) == 9
    names = {t.get("name") for t in titled(saddles, "Paths near the saddle")["data"]}
    assert {"Newton", "Saddle-free Newton", "GD / SGD", "Momentum", "Adam"} <= names
    metrics = {m.label: m.value for m in saddles.metric}
    assert float(metrics["clip by norm: largest jump"]) <= 0.05 + 1e-9
    assert float(metrics["no clipping: largest jump"]) > 1.0


@pytest.mark.parametrize("kind, key, value", [
    ("select_slider", "sc_lr", 0.1),
    ("select_slider", "sc_offset", 0.1),
    ("slider", "sc_newton_lr", 0.5),
    ("number_input", "sc_d", 30),
    ("slider", "sc_k", 5),
    ("select_slider", "sc_mu", 0.5),
    ("slider", "sc_k", 0),
    ("select_slider", "sc_cliff_lr", 0.1),
    ("slider", "sc_cliff_gap", 0.02),
    ("select_slider", "sc_clip_norm", 0.5),
    ("select_slider", "sc_clip_value", 2.0),
    ("slider", "sc_lam1", 0.9),
    ("slider", "sc_lam2", -1.2),
    ("slider", "sc_angle1", 45),
    ("slider", "sc_angle2", 46),
    ("number_input", "sc_n", 80),
])
def test_saddles_every_control_reruns_cleanly(saddles, kind, key, value):
    getattr(saddles, kind)(key=key).set_value(value).run()
    ok(saddles)
    assert len(figures(saddles)) == 9


def test_saddles_clamps_dimension_and_power(saddles):
    saddles.number_input(key="sc_d").set_value(10_000).run()
    saddles.number_input(key="sc_n").set_value(50_000).run()
    ok(saddles)
    text = warnings_text(saddles)
    assert "at most d = 64" in text and "n = 100 is shown" in text


# ---- continuation ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def continuation():
    return open_page("pages/nonconvex/continuation.py")


def test_continuation_defaults_show_continuation_winning(continuation):
    assert len(figures(continuation)) == 6
    success = titled(continuation, "Success rate")["data"][0]["y"]
    assert success[1] > success[0] + 0.5


@pytest.mark.parametrize("kind, key, value", [
    ("slider", "cont_sigma", 0.6),
    ("slider", "cont_sigma0", 0.7),
    ("number_input", "cont_stages", 3),
    ("select_slider", "cont_lr", 0.01),
    ("number_input", "cont_seed", 7),
    ("radio", "cont_landscape", "six_hump_camel"),
])
def test_continuation_every_control_reruns_cleanly(continuation, kind, key, value):
    getattr(continuation, kind)(key=key).set_value(value).run()
    ok(continuation)
    assert len(figures(continuation)) == 6


def test_continuation_clamps_stages(continuation):
    continuation.number_input(key="cont_stages").set_value(500).run()
    ok(continuation)
    assert "at most 12 are used" in warnings_text(continuation)
