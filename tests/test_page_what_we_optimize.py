"""The page "0-1 loss vs log-likelihood" under AppTest: defaults (figures and the numbers they show
against direct computations), every widget moved without a new compiled program, each preset's quoted
numbers, both challenges checked."""

from __future__ import annotations

import json

import numpy as np
import pytest

import programs
from tests.apptest_helpers import array, challenge_verdict, fresh_caches, load_preset, ok, open_page, set_up_challenge, titled, widget
from ui.deep_networks.what_we_optimize_compute import claim_numbers, descent, log_likelihood_minimum, margin_study, surfaces
from ui.deep_networks.what_we_optimize_presets import CHALLENGES, PRESETS

PAGE = "pages/deep_networks/what_we_optimize.py"


@pytest.fixture(scope="module")
def page():
    fresh_caches()
    return open_page(PAGE)


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_defaults_draw_both_surfaces_the_paths_and_the_measured_claim(page):
    at = page
    surf = titled(at, "two losses over the weights")
    kinds = [t["type"] for t in surf["data"]]
    assert kinds[:2] == ["heatmap", "contour"] and kinds.count("scatter") == 8
    zero_one = array(surf["data"][0]["z"])
    assert set(np.unique(np.round(zero_one * 64, 6))) <= set(range(65)), "the 0-1 map holds values other than k/64"
    path01 = [t for t in surf["data"] if t.get("name") == "GD on the 0-1 loss"][0]
    assert np.ptp(array(path01["x"])) == 0 and np.ptp(array(path01["y"])) == 0
    m = metrics(at)
    assert m["GD on the 0-1 loss moved by"] == "0"
    assert m["|∇ 0-1 loss| by autodiff, largest on the path"] == "0"
    assert m["|∇ 0-1 loss| by finite differences at the start"] == "0"
    gd = descent(1.0, 0, (-2.5, 3.0), 0.5, 100)
    assert m["0-1 loss: start → end of GD on the log-likelihood"] == f"{gd['log_zero_one'][0]:.1%} → {gd['log_zero_one'][-1]:.1%}"
    study = margin_study(0.1, 0.01, 600)
    claim = claim_numbers(study)
    assert m["Seeds whose training 0-1 loss reached 0"] == f"{claim['reached']} of 4" == "4 of 4"
    rows = claim["per_seed"]
    # the notes' claim, measured: after the training 0-1 loss reaches 0, the test 0-1 loss keeps falling
    assert np.median([r["test_end"] for r in rows]) < 0.5 * np.median([r["test_then"] for r in rows])
    assert all(r["min_margin_end"] > r["min_margin_then"] + 1 for r in rows)
    assert all(r["median_test_margin_end"] > r["median_test_margin_then"] for r in rows)
    bands = titled(at, "0-1 loss while training")
    assert any("test 0-1 loss" in (t.get("name") or "") for t in bands["data"])
    hist = titled(at, "Margins of every point")
    assert len(hist["frames"]) == len(study["epochs"]) and [t["type"] for t in hist["data"][:2]] == ["bar", "bar"]
    # the histogram's share of test margins <= 0 at the end is the runs' test 0-1 loss
    centres, share = array(hist["data"][1]["x"]), array(hist["data"][1]["y"])
    width = centres[1] - centres[0]
    assert share[centres + width / 2 <= 0].sum() <= np.mean(study["test01"][:, -1]) + 1e-12


def test_every_widget_moves_its_chart_and_compiles_nothing_new(page):
    at = page
    fresh_caches()
    at.run()
    ok(at)
    compiled = programs.program_stats()["compiled"]
    moves = [("wwo_spread", 1.5, "two losses"), ("wwo_w1", 1.0, "two losses"), ("wwo_w2", -2.0, "two losses"),
             ("wwo_lr", 0.1, "Loss along each path"), ("wwo_steps", 50, "Loss along each path"),
             ("wwo_noise", 0.15, "0-1 loss while training"), ("wwo_train_lr", 0.02, "0-1 loss while training"),
             ("wwo_epochs", 400, "0-1 loss while training")]
    for key, value, title in moves:
        before = json.dumps(titled(at, title)["data"])
        widget(at, key).set_value(value).run()
        ok(at)
        assert json.dumps(titled(at, title)["data"]) != before, f"moving {key} did not change {title!r}"
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"
    widget(at, "wwo_w1").set_value(0.0).run()
    widget(at, "wwo_w2").set_value(0.0).run()
    ok(at)
    assert any("every point on the line" in w.value for w in at.warning)


def test_preset_separable_clouds_keep_growing_the_weights_after_no_mistake(page):
    at = page
    load_preset(at, PRESETS, "separable")
    gd = descent(0.5, 0, (-2.5, 3.0), 3.0, 200)
    assert gd["log_zero_one"][100] == 0 and gd["log_zero_one"][-1] == 0
    assert np.linalg.norm(gd["log_path"][100]) == pytest.approx(6.4, abs=0.05)
    assert np.linalg.norm(gd["log_path"][-1]) == pytest.approx(7.6, abs=0.05)
    assert gd["log_losses"][100] == pytest.approx(0.029, abs=5e-4) and gd["log_losses"][-1] == pytest.approx(0.022, abs=5e-4)
    assert np.all(gd["zero_one_path"] == gd["zero_one_path"][0])
    assert "separable" in metrics(at)["Smallest 0-1 loss on the grid / at the log-likelihood's minimum"]


def test_preset_surrogate_gap_passes_a_better_point_than_the_log_likelihood_minimum(page):
    at = page
    load_preset(at, PRESETS, "surrogate_gap")
    gd = descent(1.0, 0, (-2.5, 3.0), 1.0, 100)
    best = surfaces(1.0, 0)["zero_one"].min()
    assert best == pytest.approx(0.109, abs=5e-4) and gd["log_zero_one"].min() == best
    assert log_likelihood_minimum(1.0, 0)["zero_one"] == pytest.approx(0.141, abs=5e-4) == gd["log_zero_one"][-1]
    assert metrics(at)["Smallest 0-1 loss on the grid / at the log-likelihood's minimum"] == "10.9% / 14.1%"


def test_preset_noisy_moons_never_reach_zero_training_error(page):
    at = page
    load_preset(at, PRESETS, "noisy_moons")
    assert claim_numbers(margin_study(0.25, 0.01, 600))["reached"] == 0
    assert any("No seed classified every training point" in w.value for w in at.warning)
    clean = claim_numbers(margin_study(0.1, 0.01, 600))
    assert clean["reached"] == 4 and max(r["epoch"] for r in clean["per_seed"]) <= 95


def test_challenges_are_checked_against_the_page(page):
    at = page
    set_up_challenge(at, "beat_minimum", CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "Not yet" in message
    widget(at, "wwo_lr").set_value(1.0).run()
    widget(at, "wwo_steps").set_value(20).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    widget(at, "wwo_steps").set_value(40).run()
    assert not challenge_verdict(at)[0]
    set_up_challenge(at, "break_claim", CHALLENGES)
    assert not challenge_verdict(at)[0]
    widget(at, "wwo_noise").set_value(0.25).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)
