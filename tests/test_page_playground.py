"""The Playground page under Streamlit's AppTest: defaults, then every control changed in turn."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from landscapes import LANDSCAPES
from optimizers import OPTIMIZERS
from optimizers.engine import MAX_STEPS
from tests.apptest_helpers import array

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def app():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at) -> dict:
    return {chart.proto.id.split("-")[-1] if False else i: json.loads(chart.proto.spec) for i, chart in enumerate(at.get("plotly_chart"))}


def figure_titles(at) -> list[str]:
    out = []
    for fig in figures(at).values():
        title = fig.get("layout", {}).get("title", {})
        out.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return out


def ok(at):
    assert not at.exception, [e.value for e in at.exception]


def test_defaults_draw_every_view_with_each_optimizer_path(app):
    ok(app)
    # The animated race is built only when asked for (its toggle); ask for it, then check every view.
    app.toggle(key="show_animation").set_value(True).run()
    ok(app)
    figs = list(figures(app).values())
    assert len(figs) >= 6  # contour, surface, loss, grad norm, stability, animation
    contour = figs[0]
    types = [t["type"] for t in contour["data"]]
    assert types[0] == "contour"
    names = {t.get("name") for t in contour["data"]}
    for key in ("sgd", "momentum", "adam", "newton"):
        assert OPTIMIZERS[key].name in names
    assert any(t["type"] == "surface" for t in figs[1]["data"])
    titles = figure_titles(app)
    assert any("Loss" in t for t in titles) and any("Gradient norm" in t for t in titles)
    assert any("λ_max" in t for t in titles)
    animation = [f for f in figs if f.get("frames")]
    assert animation and len(animation[0]["frames"]) > 10
    # frames update only the path traces, never the contour
    n_paths = len(animation[0]["frames"][0]["data"])
    assert n_paths == 4 and 0 not in animation[0]["frames"][0]["traces"]
    assert app.dataframe[0].value.shape[0] == 4
    assert app.get("download_button")
    app.toggle(key="show_animation").set_value(False).run()


def test_the_animation_is_built_only_when_asked_for(monkeypatch):
    """A plain rerun builds no animation (it cost ~0.5 s per rerun inside a closed expander); its toggle does."""
    from ui import charts, compute

    calls = []
    original = charts.animation_figure
    monkeypatch.setattr(charts, "animation_figure", lambda *a, **k: calls.append(1) or original(*a, **k))
    compute.race_animation.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.run()
    at.select_slider(key="lr").set_value(0.05).run()
    ok(at)
    assert not calls and not any(f.get("frames") for f in figures(at).values())
    at.toggle(key="show_animation").set_value(True).run()
    ok(at)
    assert len(calls) == 1 and any(f.get("frames") for f in figures(at).values())


def test_the_link_step_draws_every_view_at_that_step():
    """The scrubber runs in the browser; the server draws the step of the link (?step=), and hands it to the
    scrubber, whose data holds every position of the run."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.query_params["step"] = "10"
    at.run()
    ok(at)
    contour = figures(at)[0]
    paths = [t for t in contour["data"] if t.get("mode") == "lines+markers"]
    assert paths and all(len(array(t["x"])) == 11 for t in paths)
    for i in (2, 3, 4):  # the line charts' dotted step line
        assert figures(at)[i]["layout"]["shapes"][0]["x0"] == 10
    scrubber = json.loads(next(e for e in at.get("bidi_component")).proto.json)
    assert scrubber["step"] == 10 and scrubber["longest"] == 200 and scrubber["steps"] == list(range(201))
    assert not at.warning  # the link's step was taken


def test_every_landscape_runs(app):
    app.multiselect(key="optimizers").set_value(["sgd", "adam"]).run()
    ok(app)
    for key in LANDSCAPES:
        app.selectbox(key="landscape").set_value(key).run()
        ok(app)
        assert figures(app)[0]["data"][0]["type"] == "contour", key
    app.selectbox(key="landscape").set_value("quadratic").run()


def test_every_optimizer_runs(app):
    app.multiselect(key="optimizers").set_value(list(OPTIMIZERS)).run()
    ok(app)
    names = {t.get("name") for t in figures(app)[0]["data"]}
    assert {o.name for o in OPTIMIZERS.values()} <= names
    assert app.dataframe[0].value.shape[0] == len(OPTIMIZERS)
    app.multiselect(key="optimizers").set_value(["sgd", "momentum", "adam", "newton"]).run()


@pytest.mark.parametrize(
    "kind,key,value",
    [
        ("select_slider", "lr", 0.01),
        ("slider", "momentum", 0.5),
        ("slider", "beta1", 0.8),
        ("select_slider", "beta2", 0.99),
        ("select_slider", "eps", 1e-6),
        ("slider", "wd", 0.1),
        ("slider", "newton_lr", 0.5),
        ("select_slider", "damping", 1.0),
        ("selectbox", "schedule", "cosine"),
        ("selectbox", "schedule", "step"),
        ("selectbox", "schedule", "exponential"),
        ("selectbox", "schedule", "cyclical"),
        ("slider", "gamma", 0.3),
        ("slider", "step_size", 20),
        ("slider", "period", 30),
        ("slider", "min_ratio", 0.1),
        ("slider", "warmup", 10),
        ("toggle", "clip", True),
        ("select_slider", "clip_norm", 0.5),
        ("slider", "batch", 8),
        ("selectbox", "sampling", "replacement"),
        ("number_input", "seed", 7),
        ("selectbox", "sampling", "sorted"),
        ("number_input", "steps", 500),
        ("number_input", "start_x_quadratic", 1.0),
        ("number_input", "start_y_quadratic", -1.0),
        ("select_slider", "landscape_lam2", 100.0),
        ("slider", "landscape_angle", -45),
        ("session_state", "step", 10),  # the scrubber is in the browser: the server's step is the link's
    ],
)
def test_changing_a_control_reruns_cleanly_and_changes_the_figures(app, kind, key, value):
    before = json.dumps(figures(app)[0]["data"][1:])
    if kind == "session_state":
        app.session_state[key] = value
        app.run()
    else:
        getattr(app, kind)(key=key).set_value(value).run()
    ok(app)
    after = json.dumps(figures(app)[0]["data"][1:])
    # Decay factor and interval do not act on the cyclical schedule; AdamW and damped Newton are not racing.
    if key not in ("gamma", "step_size", "wd", "damping"):
        assert before != after, f"changing {key} did not change the map"


def test_too_many_steps_are_limited_with_a_message(app):
    app.number_input(key="steps").set_value(10**6).run()
    ok(app)
    assert any(str(MAX_STEPS) in w.value.replace(",", "") for w in app.warning)
    app.number_input(key="steps").set_value(200).run()


def test_divergence_is_explained_and_charts_stay_finite():
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    app.run()
    app.select_slider(key="lr").set_value(0.2).run()
    ok(app)
    messages = " ".join(e.value for e in app.error)
    assert "lr × λ_max" in messages and "> 2" in messages
    for fig in figures(app).values():
        # No NaN / Infinity token in the JSON (the browser's JSON.parse rejects them). Base64 typed arrays
        # ("bdata") are opaque text that may spell "NaN" by chance: they are left out of the search.
        text = re.sub(r'"bdata":\s*"[^"]*"', '"bdata": ""', json.dumps(fig))
        assert "NaN" not in text and "Infinity" not in text


def test_presentation_mode_enlarges_type_and_lines():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    normal = json.loads(at.get("plotly_chart")[2].proto.spec)
    at.toggle(key="present").set_value(True).run()
    ok(at)
    big = json.loads(at.get("plotly_chart")[2].proto.spec)
    assert big["layout"]["font"]["size"] >= 18 > normal["layout"]["font"]["size"]
    assert big["data"][0]["line"]["width"] > normal["data"][0]["line"]["width"]


@pytest.mark.parametrize("name", ["corridor", "newton_saddle", "too_large", "cliff", "minibatch"])
def test_presets_load_their_view(name):
    from ui.race.playground_presets import PRESETS

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.button(key=f"preset_{name}").click().run()
    ok(at)
    preset = PRESETS[name].values
    assert at.selectbox(key="landscape").value == preset["landscape"]
    assert at.multiselect(key="optimizers").value == preset["optimizers"]
    if "lr" in preset:
        assert at.select_slider(key="lr").value == preset["lr"]
    contour = figures(at)[0]
    shown = {t.get("name") for t in contour["data"]}
    assert {OPTIMIZERS[k].name for k in preset["optimizers"]} <= shown
    if name == "newton_saddle":
        table = at.dataframe[0].value.set_index("optimizer")
        assert table.loc["Newton", "final loss"] == pytest.approx(0.0, abs=1e-12)  # sits on the saddle
    if name == "too_large":
        assert any("> 2" in e.value for e in at.error)


def test_momentum_challenge_is_checked_against_the_run():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.selectbox(key="challenge").set_value("momentum").run()
    at.button(key="challenge_setup").click().run()
    ok(at)
    assert any("Not yet" in i.value for i in at.info)
    at.select_slider(key="lr").set_value(0.1).run()
    at.slider(key="momentum").set_value(0.5).run()
    ok(at)
    assert any("Solved" in s.value for s in at.success)


def test_gd_challenge_has_a_narrow_window_of_learning_rates():
    """The issue's example challenge: loss < 1e-6 in under 50 steps. Only an η near 2/(λ_min + λ_max)
    solves it; too small crawls, 2/λ_max bounces."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.selectbox(key="challenge").set_value("gd_50").run()
    at.button(key="challenge_setup").click().run()
    ok(at)
    assert any("Not yet" in i.value and "slow direction" in i.value for i in at.info)
    at.select_slider(key="lr").set_value(0.2).run()
    assert any("Not yet" in i.value and "overshoot" in i.value for i in at.info)
    at.select_slider(key="lr").set_value(0.15).run()
    ok(at)
    assert any("Solved" in s.value for s in at.success)


def test_exports_parse():
    import io

    import pandas as pd

    from analysis.summary import trajectories_frame
    from landscapes import get_landscape
    from optimizers import RunSettings, run_race
    from ui.charts import animation_figure, animation_html

    landscape = get_landscape("quadratic")
    results = run_race(landscape, ["sgd", "adam"], RunSettings(n_steps=50))
    names = {"sgd": "GD / SGD", "adam": "Adam"}
    frame = pd.read_csv(io.StringIO(trajectories_frame(results, names, landscape).to_csv(index=False)))
    assert set(frame["optimizer"]) == {"GD / SGD", "Adam"}
    assert len(frame) == 2 * 51
    assert {"x", "y", "loss", "grad_norm", "lr", "lambda_min", "lambda_max", "condition_number"} <= set(frame.columns)
    assert frame.loc[frame.optimizer == "GD / SGD", "loss"].iloc[0] == pytest.approx(float(landscape.loss(landscape.default_start)))
    grid = landscape.grid(40)
    html = animation_html(animation_figure(landscape, grid, {k: r.path(0) for k, r in results.items()}, names)).decode()
    assert "<html>" in html[:200] and "Plotly.newPlot" in html and "addFrames" in html
    assert 'src="http' not in html and len(html) > 1_000_000  # self-contained: plotly.js is inlined
