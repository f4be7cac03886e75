"""The three Curvature lab pages under Streamlit's AppTest: defaults, then controls changed in turn.

One AppTest session for the module (the app is started once); each test switches to its page.
Control changes are chosen to reuse compiled programs where the page allows it, to keep this fast.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from analysis import second_order_cost

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    ok(at)
    return at


def array(value) -> np.ndarray:
    """A Plotly data array from figure JSON (plain list, or base64 'bdata' with dtype and shape)."""
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return out.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else out
    return np.asarray(value)


def ok(at):
    assert not at.exception, [e.value for e in at.exception]


def figures(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def trace_names(fig: dict) -> set:
    return {t.get("name") for t in fig["data"]}


def titles(at) -> list[str]:
    out = []
    for fig in figures(at):
        title = fig.get("layout", {}).get("title", {})
        out.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return out


def change(at, kind: str, key: str, value) -> None:
    getattr(at, kind)(key=key).set_value(value).run()
    ok(at)


# ---- conditioning ----------------------------------------------------------------------------------

def test_conditioning_page(app):
    app.switch_page("pages/curvature/conditioning.py").run()
    ok(app)
    figs = figures(app)
    assert len(figs) == 6
    assert figs[0]["data"][0]["type"] == "contour"
    eigen = figs[1]
    assert sum("measured" in (t.get("name") or "") for t in eigen["data"]) == 2
    assert sum("predicted" in (t.get("name") or "") for t in eigen["data"]) == 2
    assert eigen["layout"]["yaxis"]["type"] == "log"
    assert any("rate" in (n or "") for n in trace_names(figs[3]))
    rate_map = figs[5]
    assert rate_map["data"][0]["type"] == "heatmap" and array(rate_map["data"][0]["z"]).shape == (31, 31)
    assert any("stability boundary" in (n or "") for n in trace_names(rate_map))
    assert any(t["type"] == "scatter" and t.get("name") == "cells" for t in rate_map["data"])  # the click layer
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Condition number κ"] == "20"
    assert metrics["Largest stable η = 2 / λ_max"] == "0.1"
    assert metrics["Lecture's η = 0.99 / α_max"] == "0.099"

    before = json.dumps(figures(app)[1]["data"])
    for kind, key, value in [
        ("radio", "cond_form", "rotated"),
        ("select_slider", "cond_kappa", 100.0),
        ("slider", "cond_angle", -45),
        ("select_slider", "cond_lam_max", 10.0),
        ("selectbox", "cond_lr_rule", "notes"),
        ("selectbox", "cond_lr_rule", "optimal"),
        ("slider", "cond_steps", 180),
    ]:
        change(app, kind, key, value)
        after = json.dumps(figures(app)[1]["data"])
        assert after != before, f"changing {key} did not change the eigen-direction chart"
        before = after
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Condition number κ"] == "100"

    change(app, "toggle", "cond_mom_optimal", False)
    change(app, "number_input", "cond_mom_lr", 0.2)
    change(app, "number_input", "cond_mom_beta", 0.3)
    assert any("shown above" == t.get("name") for t in figures(app)[5]["data"])
    # a learning rate above 2 / lambda_max: explained, and the charts stay finite
    change(app, "selectbox", "cond_lr_rule", "manual")
    change(app, "select_slider", "cond_lr", 0.5)
    assert any("stability limit" in e.value for e in app.error)


# ---- data normalization ------------------------------------------------------------------------------

def test_data_normalization_page(app):
    app.switch_page("pages/curvature/data_normalization.py").run()
    ok(app)
    figs = figures(app)
    assert len(figs) == 9
    assert figs[1]["data"][0]["type"] == "bar" and len(figs[1]["data"][0]["y"]) == 4
    assert figs[-2]["data"][0]["type"] == "box"
    kappa_whitened = array(figs[1]["data"][0]["y"])[3]
    assert kappa_whitened == pytest.approx(1.0, abs=1e-9)
    before = json.dumps(figs[1]["data"])
    for kind, key, value in [
        ("slider", "norm_mean1", -4.0),
        ("slider", "norm_corr", -0.8),
        ("select_slider", "norm_scale2", 3.0),
        ("select_slider", "norm_l2", 0.1),
    ]:
        change(app, kind, key, value)
        after = json.dumps(figures(app)[1]["data"])
        assert after != before, f"changing {key} did not change the condition numbers"
        before = after
    before = json.dumps(figures(app)[2]["data"])
    change(app, "slider", "norm_lr_factor", 0.5)
    assert json.dumps(figures(app)[2]["data"]) != before
    before = json.dumps(figures(app)[-2]["data"])
    change(app, "slider", "norm_offset", 1.0)
    assert json.dumps(figures(app)[-2]["data"]) != before


# ---- second order ------------------------------------------------------------------------------------

def test_second_order_page(app, monkeypatch):
    app.switch_page("pages/curvature/second_order.py").run()
    ok(app)
    figs = figures(app)
    assert len(figs) == 5
    names = trace_names(figs[0])
    for name in ("Newton", "BFGS", "Nonlinear CG", "GD / SGD", "Adam", "Saddle-free Newton", "Damped Newton"):
        assert name in names
    assert figs[0]["layout"]["annotations"], "the Newton-step arrow is missing"
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Growth of the memory"] == "d^2.00"
    table = app.dataframe[0].value
    newton_row = table[table["method"] == "Newton"].iloc[0]
    assert newton_row.iloc[1] == "1"  # one iteration on the quadratic

    change(app, "multiselect", "newton_methods", ["newton", "saddle_free_newton", "conjugate_gradient"])
    change(app, "selectbox", "newton_scene", "saddle")
    assert any("negative eigenvalue" in w.value for w in app.warning)
    table = app.dataframe[0].value
    assert table[table["method"] == "Newton"].iloc[0]["curvature at the end"] == "saddle"
    change(app, "selectbox", "newton_scene", "rosenbrock")
    table = app.dataframe[0].value
    assert int(table[table["method"] == "Newton"].iloc[0].iloc[1]) <= 10  # a few steps on a non-quadratic valley
    change(app, "selectbox", "newton_scene", "flat")
    assert any("Near-zero eigenvalue" in w.value for w in app.warning)
    change(app, "number_input", "newton_start_x_flat", 1.7)
    change(app, "select_slider", "newton_damping", 1.0)
    change(app, "slider", "newton_step_size", 0.5)

    monkeypatch.setattr(second_order_cost, "MAX_DIMENSION", 64)
    change(app, "number_input", "newton_max_d", 10**6)
    assert any("keep the server" in w.value for w in app.warning)
    cost = figures(app)[-2]
    assert array(cost["data"][0]["x"]).max() == 64


# ---- cached figures follow presentation mode ---------------------------------------------------------

def test_cached_figures_follow_presentation_mode():
    """The pages' figures are cached by their settings (ui/curvature/compute.py): presentation mode must
    still give each page its large type and thick lines, and leaving it the normal ones again."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    for page, chart in (("pages/curvature/conditioning.py", 1), ("pages/curvature/data_normalization.py", 2),
                        ("pages/curvature/second_order.py", 1)):
        at.switch_page(page).run()
        ok(at)
        normal = figures(at)[chart]
        at.toggle(key="present").set_value(True).run()
        ok(at)
        big = figures(at)[chart]
        assert big["layout"]["title"]["font"]["size"] > normal["layout"]["title"]["font"]["size"], page
        assert big["data"][0]["line"]["width"] > normal["data"][0]["line"]["width"], page
        assert [t.get("name") for t in big["data"]] == [t.get("name") for t in normal["data"]], page
        at.toggle(key="present").set_value(False).run()
        ok(at)
        assert figures(at)[chart] == normal, page
