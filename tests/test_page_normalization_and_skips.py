"""The Normalization and skip connections page under AppTest: defaults (the numbers on screen equal the
references computed here), every widget moved, no new compiled program for sliders that keep the shapes,
each preset and the numbers its explanation quotes, the challenge, and a diverging learning rate."""

from __future__ import annotations

import json

import numpy as np
import pytest

import programs
from analysis import normalization_study as ns
from networks import hessian as nh
from networks.datasets import TRAIN
from tests.apptest_helpers import array, challenge_verdict, fresh_caches, load_preset, ok, open_page, set_up_challenge, titled
from ui.deep_networks import normalization_and_skips_compute as nk
from ui.deep_networks.normalization_and_skips_presets import CHALLENGES, PRESETS

PAGE = "pages/deep_networks/normalization_and_skips.py"
TITLES = ["Training loss", "Gradient norm per layer", "Mean of each layer's outputs", "Variance of each layer's outputs",
          "Hessian spectrum at epoch 0", "Largest Hessian eigenvalue along training",
          "Which steps are stable: measured against 2/λ_max", "Loss after a step along −g", "Gradient change over the step",
          "Training mode against evaluation mode, by batch size", "One sample in training mode: the output ignores the input"]
DEFAULT = ("batch", 0.1, 200, 16, 0)  # variant, lr, epochs, batch, seed


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def titles(at) -> list[str]:
    return [(json.loads(c.proto.spec)["layout"].get("title") or {}).get("text", "") for c in at.get("plotly_chart")]


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def reset(at) -> None:
    """Back to the defaults (a preset-free page)."""
    for key, value in (("nsk_variant", "batch"), ("nsk_lr", 0.1), ("nsk_epochs", 200), ("nsk_batch", 16), ("nsk_seed", 0),
                       ("nsk_depth", False)):
        at.session_state[key] = value
    at.run()
    ok(at)


def test_defaults_draw_every_chart_and_the_curvature_equals_networks_hessian(page):
    at = page
    reset(at)
    assert titles(at) == TITLES
    loss = titled(at, "Training loss")
    assert [t["name"] for t in loss["data"]] == ["plain", "with batch norm"]
    assert len(titled(at, "Gradient norm per layer")["data"]) == 2 * 4  # three hidden layers and the output, twice
    assert len(titled(at, "Mean of each layer's outputs")["data"]) == 2 * 3
    table = at.dataframe[0].value
    data = nk.data()
    for key, name in ((nk.PLAIN, "plain"), ("batch", "with batch norm")):
        run = nk.one_run(key, *DEFAULT[1:])
        rows = table[table["network"] == name]
        assert len(rows) == nk.CURVATURE_POINTS
        for (_, row), i in zip(rows.iterrows(), nk.curvature_indices(len(run["epochs"]))):
            reference = nh.eigenvalues(nk.architecture(key), run["theta"][i], data)
            summary = ns.curvature_summary(reference)
            assert row["epoch"] == run["epochs"][i]
            assert row["λ_max"] == pytest.approx(summary.lambda_max, rel=1e-8)
            assert row["negative eigenvalues"] == summary.n_negative
            assert row["flat (≈ 0)"] == summary.n_zero
            assert row["κ₊"] == pytest.approx(summary.kappa_positive, rel=1e-4)
    assert "225 parameters" in " ".join(m.value for m in at.markdown)


def test_defaults_stable_rate_smoothness_and_modes_are_the_measured_ones(page):
    at = page
    reset(at)
    m = metrics(at)
    data = nk.data()
    inputs, targets = data.part(TRAIN)
    for key, name in ((nk.PLAIN, "Plain"), ("batch", "With batch norm")):
        net, theta0 = nk.architecture(key), nk.initial_theta(key, 0)
        sweep = ns.stability_sweep(net, data, theta0, nk.SWEEP_GRID, nk.SWEEP_STEPS)
        assert m[f"{name}: largest stable η, measured"] == f"{sweep.largest_stable:g}"
        lambda_max = nh.eigenvalues(net, theta0, data)[-1]
        assert m[f"{name}: 2/λ_max at the start"] == f"{2 / lambda_max:.3g}"
        run = nk.one_run(key, *DEFAULT[1:])
        steps = 0.1 * nk.SMOOTH_FACTORS
        bands = ns.smoothness(ns.step_profiles(net, run["theta"], steps, inputs, targets), steps)
        assert m[f"{name}: mean loss spread"] == f"{np.mean(bands.loss_spread):.3g}"
    # batch norm's loss band is narrower than the plain network's at the defaults (measured)
    assert float(m["With batch norm: mean loss spread"]) < float(m["Plain: mean loss spread"])
    assert m["Spread of the one-sample outputs"] == "0"
    single = titled(at, "One sample in training mode")["data"][1]
    assert single["name"] == "training mode, one sample at a time"
    assert np.ptp(array(single["y"])) == 0


def test_every_slider_reruns_and_compiles_nothing_new(page):
    at = page
    fresh_caches()
    reset(at)
    compiled = programs.program_stats()["compiled"]
    before = json.dumps(titled(at, "Training loss")["data"])
    for key, value in (("nsk_lr", 0.2), ("nsk_epochs", 120), ("nsk_batch", 8), ("nsk_seed", 3)):
        at.session_state[key] = value
        at.run()
        ok(at)
        after = json.dumps(titled(at, "Training loss")["data"])
        assert after != before, key
        before = after
    at.select_slider(key="nsk_spectrum_epoch").set_value(at.select_slider(key="nsk_spectrum_epoch").options[-1]).run()
    ok(at)
    assert titles(at)[4].startswith("Hessian spectrum at epoch ") and titles(at)[4] != "Hessian spectrum at epoch 0"
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"


def test_batch_norm_with_skips_is_compared(page):
    at = page
    reset(at)
    at.selectbox(key="nsk_variant").set_value("batch_skip").run()
    ok(at)
    assert [t["name"] for t in titled(at, "Training loss")["data"]] == ["plain", "with batch norm + skips"]
    assert "batch norm + skips network" in " ".join(m.value for m in at.markdown)


def test_a_diverging_step_says_so(page):
    at = page
    reset(at)
    at.session_state["nsk_lr"] = 10.0
    at.run()
    ok(at)
    said = [e.value for e in at.error] + [w.value for w in at.warning]
    assert any("diverged" in text or "too large" in text for text in said), said
    assert len(titles(at)) == len(TITLES)


def test_preset_large_step_batch_norm_trains_far_above_two_over_lambda(page):
    at = page
    reset(at)
    load_preset(at, PRESETS, "large_step")
    m = metrics(at)
    assert m["With batch norm: 2/λ_max at the start"] == "0.0472"
    assert m["With batch norm: test accuracy"] == "100%"
    table = at.dataframe[0].value
    bn = table[table["network"] == "with batch norm"]["λ_max"].to_numpy()
    assert bn[0] == pytest.approx(42.4, abs=0.05) and bn[1] == pytest.approx(1.03, abs=0.01)


def test_preset_small_batches_widens_the_gap_between_the_modes(page):
    at = page
    reset(at)
    load_preset(at, PRESETS, "small_batches")
    m = metrics(at)
    assert m["Test accuracy, evaluation mode"] == "92%" and m["Training mode, B = 4"] == "86%"
    assert m["Training mode, one sample at a time"] == "48%"
    result = nk.modes("batch", 0.1, 200, 4, 0)
    assert result["gap"][2, -1] == pytest.approx(0.122, abs=5e-4)  # B = 4
    assert nk.modes("batch", 0.1, 200, 16, 0)["gap"][4, -1] == pytest.approx(0.067, abs=5e-4)  # the default B = 16


def test_preset_layer_norm_raises_the_stable_rate(page):
    at = page
    reset(at)
    load_preset(at, PRESETS, "layer_norm")
    m = metrics(at)
    assert m["With layer norm: largest stable η, measured"] == "2.5"
    assert m["Plain: largest stable η, measured"] == "0.6"
    assert m["With layer norm: 2/λ_max at the start"] == "0.673"


def test_preset_deep_skips_train_sixteen_layers(page):
    at = page
    reset(at)
    load_preset(at, PRESETS, "deep")
    assert titled(at, "Deeper without and with skip connections")
    m = metrics(at)
    assert m["16 layers, no skips: median final loss"] == "0.34"
    assert m["16 layers, with skips: median final loss"] == "0.00741"


def test_challenge_mode_gap(page):
    at = page
    reset(at)
    set_up_challenge(at, "mode_gap", CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "Not yet" in message
    at.session_state["nsk_batch"] = 4
    at.run()
    ok(at)
    solved, message = challenge_verdict(at)
    assert solved, message
    at.selectbox(key="challenge").set_value("none").run()
