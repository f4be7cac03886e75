"""The Dropout page under Streamlit's AppTest: defaults (figures, traces, and every metric against a
recomputation), every widget moved (its chart changes, no new compiled program), the presets by name
(the numbers their explanations quote), the challenges checked, and the keep-1 notice.

One AppTest session for the module (the app starts once); each test switches to the page."""

from __future__ import annotations

import json

import numpy as np
import pytest

import programs
from networks import dropout as nd
from networks.datasets import TEST
from networks.model import mean_loss
from tests.apptest_helpers import (challenge_verdict, fresh_caches, load_preset, ok, open_page, set_up_challenge,
                                   titled, widget)
from ui.deep_networks import dropout_compute as comp
from ui.deep_networks.dropout_presets import CHALLENGES, PRESETS

PAGE = "pages/deep_networks/dropout.py"
DEFAULT = (80, 0.5, 1.0, 0.5, 0.01, 0)


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def data_of(at, title: str) -> str:
    return json.dumps(titled(at, title)["data"])


def test_defaults_draw_every_figure_and_show_measured_numbers(page):
    at = page
    at.switch_page(PAGE).run()
    ok(at)
    titles = [(json.loads(c.proto.spec)["layout"].get("title") or {}).get("text", "") for c in at.get("plotly_chart")]
    assert len(titles) == 7, titles
    assert len(titled(at, "One layer's outputs")["data"]) == 4
    assert len(titled(at, "Training and test loss")["data"]) == 4
    assert len(titled(at, "The loss the optimizer saw")["data"]) == 2
    assert len(titled(at, "Weights after training")["data"]) == 2
    maps = titled(at, "Where each network puts class 1")
    assert [t["type"] for t in maps["data"]].count("heatmap") == 2
    m = metrics(at)
    # the expectation check: the ratio is 1 within sampling error, the undivided one is p
    e = comp.expectation(0.5, 1000, 0)
    ratio_error = np.sqrt(np.sum(e["theory_error"] ** 2)) / np.sum(e["unmasked"])
    assert abs(float(m["Σ mean of x·(D<p)/p  ÷  Σ x"]) - 1) < 4 * ratio_error + 1e-3
    assert abs(float(m["Σ mean of x·(D<p)  ÷  Σ x (no division)"]) - 0.5) < 0.05
    assert float(m["Largest |mean − x| in standard errors"]) < 4.5
    # the gap: equal to the losses of the final parameters, recomputed by mean_loss
    r = comp.comparison(*DEFAULT)
    data = comp.dataset(80, 0.5, 0)
    net = comp.architecture()
    for i, name in enumerate(("without dropout", "with dropout")):
        params = nd.unflatten(net, r["final_theta"][i])
        train_loss = float(mean_loss(net, params, *data.train))
        test_loss = float(mean_loss(net, params, *data.test))
        assert float(m[f"Gap (test − train loss), {name}"]) == pytest.approx(test_loss - train_loss, abs=6e-4)
        weights = nd.weight_entries(net, r["final_theta"][i])
        assert float(m[f"Largest |w|, {name}"]) == pytest.approx(np.max(np.abs(weights)), abs=6e-3)
        assert float(m[f"Roughness, {name}"]) == pytest.approx(np.mean(np.abs(np.diff(r["step_loss"][i, 1:]))),
                                                               abs=6e-5)
    # the ensemble: recomputed from fresh sub-network samples with the same seed
    test = data.split == TEST
    samples = nd.sampled_predictions(net, r["final_theta"][1], data.inputs[test], 1.0, 0.5, 64, seed=1)
    ensemble = samples.mean(0)
    assert m["Test accuracy, mean of 64 sub-networks"] == f"{np.mean((ensemble > 0.5) == (data.targets[test] > 0.5)):.1%}"
    full = comp.numpy_outputs(net, nd.unflatten(net, r["final_theta"][1]), data.inputs[test])
    assert float(m["Mean |difference| of the probabilities"]) == pytest.approx(np.mean(np.abs(ensemble - full)), abs=6e-4)
    assert m["Test accuracy, full network"] == f"{r['accuracy'][1, -1, 2]:.1%}"


MOVES = [
    ("drop_exp_keep", 0.8, "One layer's outputs"),
    ("drop_exp_masks", 100, "One layer's outputs"),
    ("drop_keep", 0.7, "Training and test loss"),
    ("drop_keep_input", 0.9, "Training and test loss"),
    ("drop_points", 90, "Training and test loss"),
    ("drop_noise", 0.4, "Training and test loss"),
    ("drop_lr", 0.003, "Training and test loss"),
    ("drop_seed", 1, "Training and test loss"),
    ("drop_masks", 32, "Sub-networks' average"),
    ("drop_keep", 1.0, "Training and test loss"),  # p = 1: the same program
]


def test_every_widget_moves_its_chart_and_compiles_nothing_new(page):
    at = page
    fresh_caches()
    at.switch_page(PAGE).run()
    ok(at)
    compiled = programs.program_stats()["compiled"]
    for key, value, title in MOVES:
        before = data_of(at, title)
        widget(at, key).set_value(value).run()
        ok(at)
        assert data_of(at, title) != before, f"moving {key} did not change {title!r}"
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"
    widget(at, "drop_keep_input").set_value(1.0).run()
    assert any("drops nothing" in i.value for i in at.info)


def measured(at, n_train=80, noise=0.5, keep_input=1.0, keep_hidden=0.5) -> dict:
    """The page's own computation at the preset's settings (what its explanation quotes)."""
    return comp.comparison(n_train, noise, keep_input, keep_hidden, 0.01, 0)


def test_preset_half_closes_the_gap_at_the_same_accuracy(page):
    at = page
    at.switch_page(PAGE).run()
    load_preset(at, PRESETS, "half")
    r = measured(at)
    assert r["gap"] == pytest.approx([0.688, 0.070], abs=5e-4)
    assert r["loss"][:, -1, 2] == pytest.approx([0.731, 0.276], abs=5e-4)
    assert r["accuracy"][:, -1, 2] == pytest.approx([0.867, 0.867], abs=5e-4)
    assert r["largest_weight"] == pytest.approx([2.75, 1.88], abs=5e-3)
    assert r["roughness"] == pytest.approx([0.016, 0.053], abs=5e-4)
    assert metrics(at)["Gap (test − train loss), with dropout"] == "0.070"


def test_preset_light_dropout_helps_only_a_little(page):
    at = page
    at.switch_page(PAGE).run()
    load_preset(at, PRESETS, "light")
    r = measured(at, keep_hidden=0.8)
    assert r["gap"] == pytest.approx([0.688, 0.513], abs=5e-4)
    assert r["loss"][1, -1, 2] == pytest.approx(0.644, abs=5e-4)
    assert r["accuracy"][1, -1, 2] == pytest.approx(0.860, abs=5e-4)
    assert metrics(at)["Gap (test − train loss), with dropout"] == "0.513"


def test_preset_heavy_dropout_underfits(page):
    at = page
    at.switch_page(PAGE).run()
    load_preset(at, PRESETS, "heavy")
    r = measured(at, keep_hidden=0.2)
    assert r["loss"][1, -1, [0, 2]] == pytest.approx([0.401, 0.373], abs=5e-4)
    assert r["loss"][1, -1, 0] > r["loss"][1, -1, 2]
    assert r["accuracy"][:, -1, 2] == pytest.approx([0.867, 0.813], abs=5e-4)
    assert r["roughness"][1] == pytest.approx(0.20, abs=5e-3)


def test_preset_input_dropout_acts_as_noise_and_closes_the_gap(page):
    at = page
    at.switch_page(PAGE).run()
    load_preset(at, PRESETS, "inputs")
    r = measured(at, keep_input=0.6, keep_hidden=1.0)
    assert r["gap"] == pytest.approx([0.688, 0.046], abs=5e-4)
    assert r["loss"][1, -1, 2] == pytest.approx(0.345, abs=5e-4)
    assert r["accuracy"][1, -1, 2] == pytest.approx(0.853, abs=5e-4)
    assert metrics(at)["Gap (test − train loss), with dropout"] == "0.046"


def test_challenge_close_the_gap_is_checked(page):
    at = page
    at.switch_page(PAGE).run()
    set_up_challenge(at, "gap", CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "nothing is dropped" in message
    widget(at, "drop_keep").set_value(0.8).run()
    solved, message = challenge_verdict(at)
    assert not solved and "goal" in message
    widget(at, "drop_keep").set_value(0.5).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)


def test_challenge_one_pass_for_the_ensemble_is_checked(page):
    at = page
    at.switch_page(PAGE).run()
    set_up_challenge(at, "agree", CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "goal" in message  # 8 sub-networks at p = 0.5
    widget(at, "drop_masks").set_value(64).run()
    solved, message = challenge_verdict(at)
    assert not solved, message  # p = 0.5: 0.041 apart
    widget(at, "drop_keep").set_value(0.8).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    e = comp.ensemble(80, 0.5, 1.0, 0.8, 0.01, 0, 64)
    assert e["mean_difference"] < 0.03 and e["ensemble_accuracy"] >= e["member_accuracy"]
    widget(at, "drop_keep").set_value(1.0).run()
    solved, message = challenge_verdict(at)
    assert not solved and "every sub-network is the full network" in message
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)
