"""The deep-network lab's pages under Streamlit's AppTest: defaults, every widget moved, presets (and the
numbers their explanations quote), challenges, bad input, and no new compiled program for sliders that
keep the shapes.

One AppTest session for the module (the app starts once); each test switches to its page."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

import programs
from tests.apptest_helpers import (
    array,
    fresh_caches,
    challenge_verdict,
    load_preset,
    ok,
    open_page,
    set_up_challenge,
    titled,
    widget,
)
from ui.deep_networks.initialization_presets import CHALLENGES as INIT_CHALLENGES
from ui.deep_networks.initialization_presets import PRESETS as INIT_PRESETS

INIT = "pages/deep_networks/initialization.py"


@pytest.fixture(scope="module")
def init_page():
    return open_page(INIT)


def figure_titles(at) -> list[str]:
    out = []
    for chart in at.get("plotly_chart"):
        title = json.loads(chart.proto.spec).get("layout", {}).get("title") or {}
        out.append(title.get("text", "") if isinstance(title, dict) else str(title))
    return out


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def control(at, key: str):
    """A widget by key, text inputs included (apptest_helpers.widget covers the other kinds)."""
    try:
        return widget(at, key)
    except KeyError:
        return at.text_input(key=key)


def data_of(at, title: str) -> str:
    return json.dumps(titled(at, title)["data"])


# ---- Initialization ----------------------------------------------------------------------------------

def test_initialization_defaults_show_the_notes_experiment(init_page):
    at = init_page
    at.switch_page(INIT).run()
    ok(at)
    titles = figure_titles(at)
    assert len(titles) == 13, titles
    outputs = titled(at, "Unit outputs x⁽ˡ⁾ of each layer")
    assert len(outputs["data"]) == 3 * 4  # three initializations x four layers
    assert {t["xaxis"] for t in outputs["data"]} == {"x", "x2", "x3"}
    assert [a["text"] for a in outputs["layout"]["annotations"]] == ["<b>uniform ±0.05</b>", "<b>uniform ±0.5</b>",
                                                                     "<b>normal / √32</b>"]
    assert len(titled(at, "Back-propagated gradients")["data"]) == 12
    assert titled(at, "Var(z⁽ˡ⁾) by layer")["layout"]["yaxis"]["type"] == "log"
    m = metrics(at)
    assert m["Constant start: largest unit difference, whole run"] == "0"
    assert m["Zero start: largest hidden gradient, whole run"] == "0"
    assert float(m["Random start: largest unit difference at the end"]) > 1.0
    bars = titled(at, "Gradient per layer at the start")["data"]
    zeros = next(t for t in bars if t["name"] == "zeros")
    assert zeros["text"][:2] == ["exactly 0", "exactly 0"]
    assert not at.warning


MOVES = [  # (key, value, title of a figure that must change)
    ("init_notes_seed", 3, "Unit outputs x⁽ˡ⁾ of each layer"),
    ("init_scale_uniform", 0.2, "Outputs x⁽ˡ⁾ by layer"),
    ("init_depth", 15, "Gradients ∂L/∂z⁽ˡ⁾ by layer"),
    ("init_width", 16, "Standard deviation per layer"),
    ("init_activation", "relu", "Outputs x⁽ˡ⁾ by layer"),
    ("init_examples", 300, "Standard deviation per layer"),
    ("init_seed", 4, "Outputs x⁽ˡ⁾ by layer"),
    ("init_scheme", "he_normal", "Outputs x⁽ˡ⁾ by layer"),
    ("init_scale_he_normal", 2.0, "Standard deviation per layer"),
    ("init_law_nvar", 2.0, "Var(z⁽ˡ⁾) by layer"),
    ("init_law_activation", "relu", "Var(z⁽ˡ⁾) by layer"),
    ("init_law_depth", 12, "Var(z⁽ˡ⁾) by layer"),
    ("init_law_width", 16, "Var(z⁽ˡ⁾) by layer"),
    ("init_sym_c", 0.3, "Incoming weights of units 1 and 2"),
    ("init_sym_lr", 0.2, "Training loss"),
    ("init_sym_epochs", 100, "Training loss"),
    ("init_sym_seed", 2, "Incoming weights of units 1 and 2"),
]


def test_initialization_every_widget_moves_its_chart_and_compiles_nothing_new(init_page):
    at = init_page
    fresh_caches()
    at.switch_page(INIT).run()
    ok(at)
    compiled = programs.program_stats()["compiled"]  # the symmetry runs' one program exists after the first run
    for key, value, title in MOVES:
        before = data_of(at, title)
        widget(at, key).set_value(value).run()
        ok(at)
        assert data_of(at, title) != before, f"moving {key} did not change {title!r}"
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"
    for scheme in ("zeros", "constant", "normal", "lecun_normal", "glorot_uniform", "glorot_normal"):
        widget(at, "init_scheme").set_value(scheme).run()
        ok(at)
    assert metrics(at)["Gradient spread, layer 1"]  # still drawn
    for activation in ("sigmoid", "leaky_relu", "prelu", "linear", "tanh"):
        widget(at, "init_activation").set_value(activation).run()
        ok(at)
    for activation in ("linear", "tanh", "leaky_relu", "sigmoid"):
        widget(at, "init_law_activation").set_value(activation).run()
        ok(at)
    assert len(figure_titles(at)) == 13


def test_initialization_clamps_the_number_of_examples_with_a_warning(init_page):
    at = init_page
    widget(at, "init_examples").set_value(50_000).run()
    ok(at)
    assert any("2,000" in w.value for w in at.warning)
    widget(at, "init_examples").set_value(100).run()
    ok(at)
    assert not at.warning


def test_initialization_presets_show_what_they_say(init_page):
    at = init_page
    at.switch_page(INIT).run()
    load_preset(at, INIT_PRESETS, "vanish")
    m = metrics(at)
    assert f"{float(m['Output spread, layer 10']):.2g}" == "1.1e-08"
    assert f"{float(m['Gradient spread, layer 1']):.2g}" == "7.3e-08"
    load_preset(at, INIT_PRESETS, "saturate")
    assert 0.30 <= float(m_saturated(at)) <= 0.41
    load_preset(at, INIT_PRESETS, "lecun_relu")
    assert f"{float(metrics(at)['Measured Var(z⁽20⁾)']):.2g}" == "2.1e-06"
    load_preset(at, INIT_PRESETS, "he_relu")
    assert f"{float(metrics(at)['Measured Var(z⁽20⁾)']):.2g}" == "2.2"
    load_preset(at, INIT_PRESETS, "tied")
    m = metrics(at)
    assert m["Constant start: largest unit difference, whole run"] == "0"
    assert f"{float(m['Random start: largest unit difference at the end']):.2g}" == "6.2"


def m_saturated(at) -> float:
    return float(metrics(at)["Most saturated layer"].rstrip("%")) / 100


def test_initialization_challenges_are_checked_against_the_page(init_page):
    at = init_page
    at.switch_page(INIT).run()
    set_up_challenge(at, "deep_tanh", INIT_CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "n·Var(β)" in message
    widget(at, "init_scale_uniform").set_value(1.0).run()  # too large: saturates
    solved, message = challenge_verdict(at)
    assert not solved and "saturated" in message
    widget(at, "init_scheme").set_value("lecun_normal").run()
    solved, message = challenge_verdict(at)
    assert solved, message

    set_up_challenge(at, "relu_twenty", INIT_CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "shrinks" in message
    widget(at, "init_law_nvar").set_value(2.0).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)


# ---- Training a network ------------------------------------------------------------------------------

from ui.deep_networks.training_presets import CHALLENGES as TRAIN_CHALLENGES  # noqa: E402
from ui.deep_networks.training_presets import PRESETS as TRAIN_PRESETS  # noqa: E402

TRAIN = "pages/deep_networks/training.py"
SCRUBBER = "Decision boundary and learning curves"


def test_training_defaults_draw_the_run_with_a_browser_scrubber(init_page):
    at = init_page
    at.switch_page(TRAIN).run()
    ok(at)
    assert len(figure_titles(at)) == 5, figure_titles(at)
    fig = titled(at, SCRUBBER)
    assert fig["data"][0]["type"] == "heatmap"
    assert len(fig["frames"]) == 31  # epochs 0, 10, ..., 300
    steps = fig["layout"]["sliders"][0]["steps"]
    assert [s["label"] for s in steps] == [f["name"] for f in fig["frames"]]
    assert all(s["method"] == "animate" for s in steps)
    assert [b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    confusion = array(titled(at, "confusion matrix")["data"][0]["z"])
    assert confusion.sum() == 60  # 15% of 400 points
    m = metrics(at)
    assert m["Final accuracy: train / test"] == "100% / 100%"
    assert not at.error and not at.warning


TRAIN_TRACED = [  # moves that keep every shape: no new program, and the run changes
    ("train_lr", 0.02), ("train_momentum", 0.5), ("train_noise", 0.2), ("train_points", 450), ("train_batch", 16),
    ("train_epochs", 200), ("train_seed", 3),
]
TRAIN_UNUSED = [("train_beta1", 0.8), ("train_beta2", 0.99), ("train_eps", 1e-6), ("train_wd", 0.01)]  # not momentum's
TRAIN_SHAPES = [
    ("train_dataset", "circles"), ("train_features_2d", ["x", "y", "x²"]), ("train_depth", 3), ("train_width", 4),
    ("train_widths", "4, 3"), ("train_activation", "relu"), ("train_scheme", "he_normal"), ("train_optimizer", "adam"),
]


def test_training_every_widget_and_no_new_program_for_traced_sliders(init_page):
    at = init_page
    fresh_caches()
    at.switch_page(TRAIN).run()
    ok(at)
    compiled = programs.program_stats()["compiled"]
    for key, value in TRAIN_TRACED:
        before = data_of(at, SCRUBBER)
        control(at, key).set_value(value).run()
        ok(at)
        assert data_of(at, SCRUBBER) != before, f"moving {key} did not change the run"
    for key, value in TRAIN_UNUSED:
        control(at, key).set_value(value).run()
        ok(at)
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"
    control(at, "train_stop").set_value(0.3).run()
    ok(at)
    assert any("stop condition" in i.value for i in at.info)
    for key, value in TRAIN_SHAPES:
        before = data_of(at, SCRUBBER)
        control(at, key).set_value(value).run()
        ok(at)
        assert data_of(at, SCRUBBER) != before, f"moving {key} did not change the run"
    assert len(figure_titles(at)) == 5
    assert "Dead ReLU units per layer" in figure_titles(at)


DIAGRAM = "The network at epoch"


def test_training_network_diagram_draws_every_unit_from_the_run():
    """The diagram's thumbnails are the units' real outputs: the output tile equals the decision map the
    scrubber shows (same parameters, coarser grid), a hidden tile equals tanh(x W + b) of that unit, every
    drawn unit has its tile and its hover label, and the epoch slider shows an earlier snapshot."""
    import numpy as np

    from networks.datasets import feature_columns, grid_points
    from ui.deep_networks.compute import DIAGRAM_RESOLUTION, diagram_tiles, training_run

    at = open_page(TRAIN)  # a fresh session: the defaults
    fig = titled(at, DIAGRAM)
    assert "epoch 300" in fig["layout"]["title"]["text"]
    mosaic = array(fig["data"][0]["z"])
    r = DIAGRAM_RESOLUTION
    assert fig["data"][0]["type"] == "heatmap" and np.isfinite(mosaic).sum() == (2 + 8 + 8 + 1) * r * r
    labels = next(t for t in fig["data"] if t.get("name") == "unit")["text"]
    assert labels[:2] == ["x", "y"] and "h2.8" in labels and labels[-1] == "p(class 1)"
    assert {t["name"] for t in fig["data"] if t.get("showlegend")} == {"positive weight", "negative weight"}

    result = training_run("moons", 400, 0.1, 0, ("x", "y"), (8, 8), "tanh", "glorot_normal", "momentum",
                          tuple(sorted({"lr": 0.05, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                                        "weight_decay": 0.0}.items())), 32, 300, -np.inf, 0)
    tiles = diagram_tiles(result, len(result["epochs"]) - 1)
    grid, _ = grid_points(result["domain"], r)
    inputs = feature_columns(grid, result["feature_names"])
    W, b = (np.asarray(a) for a in result["params"][-1][0][:2])
    np.testing.assert_allclose(tiles["tiles"][1][0].ravel(), np.tanh(inputs @ W[:, 0] + b[0]), atol=1e-12)
    from ui.deep_networks.compute import numpy_outputs
    from networks import mlp
    p = numpy_outputs(mlp(2, (8, 8), "tanh"), result["params"][-1], inputs)
    np.testing.assert_allclose(tiles["tiles"][-1][0].ravel(), p, atol=1e-12)

    at.select_slider(key="train_diagram_epoch").set_value(0).run()
    ok(at)
    assert "epoch 0" in titled(at, DIAGRAM)["layout"]["title"]["text"]
    assert array(titled(at, DIAGRAM)["data"][0]["z"]).tolist() != mosaic.tolist()


def test_training_bad_input_is_clamped_with_warnings(init_page):
    at = init_page
    at.switch_page(TRAIN).run()
    control(at, "train_widths").set_value("a, b").run()
    ok(at)
    assert any("not whole numbers" in w.value for w in at.warning)
    control(at, "train_epochs").set_value(50_000).run()
    ok(at)
    assert any("2,000" in w.value for w in at.warning)
    assert len(titled(at, SCRUBBER)["frames"]) <= 33
    control(at, "train_widths").set_value("").run()
    control(at, "train_epochs").set_value(300).run()
    ok(at)


def test_training_presets_show_what_they_say(init_page):
    at = init_page
    at.switch_page(TRAIN).run()
    load_preset(at, TRAIN_PRESETS, "moons")
    assert f"{float(metrics(at)['Final loss: train / test'].split(' / ')[1]):.1g}" == "0.0007"
    load_preset(at, TRAIN_PRESETS, "xor_feature")
    assert metrics(at)["Final accuracy: train / test"] == "99% / 100%"
    load_preset(at, TRAIN_PRESETS, "spiral_deep")
    assert metrics(at)["Final accuracy: train / test"].endswith("/ 100%")
    load_preset(at, TRAIN_PRESETS, "diverge")
    message = " ".join(e.value for e in at.error)
    assert "epoch 2" in message and "the output layer grew most" in message and "1.78e+06 -> 2.69e+07" in message
    titles = figure_titles(at)
    assert len(titles) == 4 and not any("confusion" in t for t in titles), titles  # regression: no confusion matrix
    assert any(t.startswith(DIAGRAM) for t in titles)  # the diagram draws the 1-D curves of the last good snapshot


def test_training_challenges_are_checked_against_the_run(init_page):
    at = init_page
    at.switch_page(TRAIN).run()
    set_up_challenge(at, "xor", TRAIN_CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "feature" in message
    control(at, "train_features_2d").set_value(["xy"]).run()
    solved, message = challenge_verdict(at)
    assert solved, message

    set_up_challenge(at, "spiral", TRAIN_CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved, message
    for key, value in [("train_depth", 3), ("train_width", 16), ("train_activation", "relu"), ("train_optimizer", "adam"),
                       ("train_lr", 0.01), ("train_epochs", 500)]:
        control(at, key).set_value(value).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)


# ---- Activations ---------------------------------------------------------------------------------------------

from ui.deep_networks.activations_presets import CHALLENGES as ACT_CHALLENGES  # noqa: E402
from ui.deep_networks.activations_presets import PRESETS as ACT_PRESETS  # noqa: E402
from ui.deep_networks.compute import dying_relu, saturation_and_signs  # noqa: E402

ACT = "pages/deep_networks/activations.py"


def test_activations_defaults(init_page):
    at = init_page
    at.switch_page(ACT).run()
    ok(at)
    assert len(figure_titles(at)) == 6, figure_titles(at)
    m = metrics(at)
    assert m["Sigmoid: layer-2 units whose updates share one sign"] == "100%"
    assert m["Sigmoid: steps where both weights moved the same way"] == "100%"
    assert m["tanh: the same"] != "100%"
    path = titled(at, "Two incoming weights")
    sigmoid = next(t for t in path["data"] if t.get("name") == "Sigmoid")
    x, y = array(sigmoid["x"]), array(sigmoid["y"])
    moved = (x[-1] - x[0], y[-1] - y[0])
    assert moved[0] > 0 > moved[1], moved  # the drawn pair: one weight up, the other down, reached by same-sign steps
    assert len(titled(at, "Activation functions")["data"]) == 8  # four functions, two panels
    assert not at.error


ACT_MOVES = [("act_gain", 2.0, "Saturated outputs per layer"), ("act_lr", 0.05, "Two incoming weights"),
             ("act_epochs", 100, "Saturated outputs per layer"), ("act_seed", 1, "Saturated outputs per layer"),
             ("act_large_lr", 3.0, "Dead units over training"), ("act_bias", 1.0, "Dead units per layer at the start"),
             ("act_deep_lr", 0.05, "Training loss, six layers"), ("act_shown", ["sigmoid", "prelu", "linear"], "Activation functions")]


def test_activations_every_widget_and_no_new_program(init_page):
    at = init_page
    fresh_caches()
    at.switch_page(ACT).run()
    ok(at)
    compiled = programs.program_stats()["compiled"]
    for key, value, title in ACT_MOVES:
        before = data_of(at, title)
        control(at, key).set_value(value).run()
        ok(at)
        assert data_of(at, title) != before, f"moving {key} did not change {title!r}"
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"
    control(at, "act_shown").set_value([]).run()
    ok(at)
    assert any("No activation chosen" in w.value for w in at.warning)


def test_activations_presets_and_challenge(init_page):
    at = init_page
    at.switch_page(ACT).run()
    load_preset(at, ACT_PRESETS, "saturate")
    runs = saturation_and_signs(4.0, 0.1, 200, 0)
    assert runs["tanh"]["saturated"][0] == pytest.approx([0.11, 0.42, 0.50], abs=0.01)
    assert runs["sigmoid"]["saturated"][0] == pytest.approx([0.02, 0.04, 0.08], abs=0.01)
    load_preset(at, ACT_PRESETS, "negative_bias")
    dead = dying_relu(1.0, 1.0, 200, 0)["cases"]
    assert dead["bias −1, η = 0.05"]["dead"][0].tolist() == [3, 10, 12]
    assert dead["leaky ReLU, η = 1"]["dead"].sum() == 0
    load_preset(at, ACT_PRESETS, "large_step")
    dead = dying_relu(2.0, 0.3, 200, 0)["cases"]
    assert [int(dead[k]["dead"][-1].sum()) for k in ("η = 0.05", "η = 2", "leaky ReLU, η = 2")] == [3, 19, 0]
    assert dead["leaky ReLU, η = 2"]["accuracy"] == 1.0
    assert dead["bias +0.3, η = 0.05"]["dead"][-1].sum() <= dead["η = 0.05"]["dead"][-1].sum()  # a positive bias: no more dead
    set_up_challenge(at, "saturate", ACT_CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "goal" in message
    control(at, "act_gain").set_value(3.0).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)


# ---- your own data on the Training page ------------------------------------------------------------------

def test_training_on_your_own_csv_stays_in_the_session():
    """A pasted CSV of (x1, x2, label) is what the network learns: the page's numbers equal a run of
    networks.train on dataset_from_rows of the same rows; another session is refused those rows."""
    from landscapes.user_data import parse_csv, sample_csv
    from networks import TrainSettings, mlp, train
    from networks.datasets import TEST, dataset_from_rows

    rows = sample_csv("classification", n_rows=120, seed=2)
    at = open_page(TRAIN)
    control(at, "train_dataset").set_value("own").run()
    ok(at)
    assert any("Upload or paste" in i.value for i in at.info)
    at.text_area(key="train_own_paste").input(rows).run()
    ok(at)
    assert any("120 rows" in s.value for s in at.success)
    confusion = array(titled(at, "confusion matrix")["data"][0]["z"])
    assert confusion.sum() == 18  # 15 % of 120 rows are test points

    data = dataset_from_rows(parse_csv(rows, "classification").values, "classification", ("x", "y"), seed=0)
    run = train(mlp(2, (8, 8), "tanh"), data, TrainSettings(optimizer="momentum", lr=0.05, momentum=0.9, batch_size=32,
                                                             epochs=300, snapshot_every=10, seed=0))
    test_inputs, _ = data.part(TEST)
    assert len(test_inputs) == 18
    shown = metrics(at)["Final loss: train / test"]
    assert shown == f"{run.loss[0, -1, 0]:.3g} / {run.loss[0, -1, 2]:.3g}", shown

    fingerprint = parse_csv(rows, "classification").fingerprint

    def probe():
        import streamlit as st

        from ui.deep_networks.compute import own_training_run

        try:
            own_training_run(st.session_state["fingerprint"], ("x", "y"), (8, 8), "tanh", "glorot_normal", "momentum",
                             (("lr", 0.05),), 32, 300, -float("inf"), 0)
            st.write("reached")
        except LookupError:
            st.write("refused")

    other = AppTest.from_function(probe, default_timeout=120)
    other.session_state["fingerprint"] = fingerprint
    other.run()
    assert [m.value for m in other.markdown] == ["refused"]
