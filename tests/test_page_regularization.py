"""The Early stopping and weight decay page under AppTest: defaults (every number against an independent
recomputation), every widget moved with no new compiled program, each preset's quoted numbers, the
challenges, bad input. One AppTest session for the module."""

from __future__ import annotations

import json

import numpy as np
import pytest

import programs
from analysis import ridge_path as rp
from networks.datasets import TEST
from networks.early_stopping import early_stop
from networks.model import forward, unflatten_params
from tests.apptest_helpers import challenge_verdict, fresh_caches, load_preset, ok, open_page, set_up_challenge, titled, widget
from ui.deep_networks import regularization_compute as comp
from ui.deep_networks.regularization_presets import CHALLENGES, PRESETS

PAGE = "pages/deep_networks/regularization.py"
DEFAULTS = {"reg_points": 128, "reg_noise": 0.5, "reg_lr": 0.03, "reg_seed": 0, "reg_patience": 10}


@pytest.fixture(scope="module")
def page():
    return open_page(PAGE)


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def data_of(at, title: str) -> str:
    return json.dumps(titled(at, title))  # data and layout (the patience moves only the stop line)



def mse_on_test(theta, n_points=128, noise=0.5, seed=0) -> float:
    """The test loss of parameters recomputed from scratch: the network's output on the test points."""
    data = comp.early_dataset(n_points, noise, seed)
    architecture = comp.early_architecture()
    x, t = data.part(TEST)
    return float(np.mean((np.asarray(forward(architecture, unflatten_params(architecture, theta), x)) - t) ** 2))


def test_defaults_draw_every_figure_and_every_number_is_recomputed(page):
    at = page
    at.switch_page(PAGE).run()
    ok(at)
    titles = {"Loss per epoch": 4, "The fit": 5, "What the held-out": 3, "Weight space": 5, "Per eigen-direction": 6,
              "Effective decay per parameter": 3, "The weights after training": 3, "Loss over training": 6}
    for title, traces in titles.items():
        assert len(titled(at, title)["data"]) == traces, title
    m = metrics(at)
    # early stopping: the rule on the first seed's validation curve; the test loss of the restored parameters
    runs = comp.early_stopping_runs(128, 0.5, 0.03, 0)
    rule = early_stop(runs["loss"][0, :, 1], 10)
    assert m["Training stops at epoch"] == str(rule.stop_epoch) and m["Restored epoch"] == str(rule.best_epoch)
    assert float(m["Test loss, restored"]) == pytest.approx(mse_on_test(runs["theta"][rule.best_epoch]), abs=5e-5)
    assert float(m["Test loss, trained to the end"]) == pytest.approx(mse_on_test(runs["theta"][-1]), abs=5e-5)
    assert (rule.stop_epoch, rule.best_epoch) == (32, 21)
    # gradient descent against ridge: the closed forms of analysis.ridge_path
    problem = rp.correlated_problem(100, 0.9, 0.5, seed=0)
    c = rp.gd_vs_ridge(problem, 0.1, 200)
    assert m["Eigenvalues s₁, s₂"] == f"{problem.eigenvalues[0]:.3g}, {problem.eigenvalues[1]:.3g}"
    assert float(m["Largest relative distance"]) == pytest.approx(c.distance.max(), abs=5e-4)
    iterated = rp.gd_iterates(problem, 0.1, 200)
    ridge = np.stack([rp.ridge_direct(problem, 1 / (0.1 * t)) for t in range(1, 201)])
    measured = np.linalg.norm(iterated[1:] - ridge, axis=1) / np.linalg.norm(problem.solution)
    assert float(m["Largest relative distance"]) == pytest.approx(measured.max(), abs=5e-4)
    # the decay runs: the end-of-run test losses from their final parameters
    decay = comp.decay_comparison(128, 0.5, 0.01, 3e-3, 1.0, 0)
    for r, name in enumerate(comp.DECAY_RUNS):
        assert float(m[f"{name}: test loss at the end"]) == pytest.approx(mse_on_test(decay["theta"][r]), abs=5e-5)
    assert not at.error and not at.warning


MOVES = [  # (key, new value, figure that must change)
    ("reg_patience", 3, "Loss per epoch"),
    ("reg_lr", 0.02, "Loss per epoch"),
    ("reg_seed", 1, "The fit"),
    ("reg_points", 100, "The fit"),
    ("reg_noise", 0.7, "Loss per epoch"),
    ("reg_corr", 0.5, "Weight space"),
    ("reg_ridge_lr", 0.2, "Per eigen-direction"),
    ("reg_steps", 500, "Per eigen-direction"),
    ("reg_start", "away", "Weight space"),
    ("reg_decay_lr", 0.02, "Loss over training"),
    ("reg_l2", 1e-3, "Effective decay per parameter"),
    ("reg_wd", 0.3, "The weights after training"),
]


def test_every_widget_redraws_its_figure_and_compiles_nothing(page):
    at = page
    fresh_caches()
    at.switch_page(PAGE).run()
    ok(at)
    compiled = programs.program_stats()["compiled"]
    defaults = {key: widget(at, key).value for key, _, _ in MOVES}
    for key, value, title in MOVES:
        before = data_of(at, title)
        widget(at, key).set_value(value).run()
        ok(at)
        assert data_of(at, title) != before, f"moving {key} did not change {title!r}"
    assert programs.program_stats()["compiled"] == compiled, "a slider that keeps the shapes compiled a new program"
    for key, value in defaults.items():  # back to the defaults for the next tests
        widget(at, key).set_value(value)
    at.run()
    ok(at)


def _fresh(at):
    at.switch_page(PAGE).run()
    ok(at)


def test_preset_no_patience_stops_at_epoch_7_and_loses_test_loss(page):
    at = page
    _fresh(at)
    load_preset(at, PRESETS, "impatient")
    m = metrics(at)
    assert (m["Training stops at epoch"], m["Restored epoch"]) == ("7", "6")
    assert m["Test loss, restored"] == "0.5310" and m["Test loss, trained to the end"] == "0.5578"
    rule = early_stop(comp.early_stopping_runs(128, 0.5, 0.03, 0)["loss"][0, :, 1], 10)
    assert (rule.stop_epoch, rule.best_epoch) == (32, 21)
    assert comp.early_stopping_runs(128, 0.5, 0.03, 0)["loss"][0, 21, 2] == pytest.approx(0.472, abs=5e-4)


def test_preset_large_step_parts_the_gd_and_ridge_paths(page):
    at = page
    _fresh(at)
    load_preset(at, PRESETS, "large_step")
    m = metrics(at)
    assert m["ηs₂ (steep direction)"] == "1.51" and m["Largest relative distance"] == "0.451"
    assert not rp.gd_vs_ridge(rp.correlated_problem(100, 0.9, 0.5), 0.8, 200).bound_holds
    assert rp.gd_vs_ridge(rp.correlated_problem(100, 0.9, 0.5), 0.1, 200).distance.max() == pytest.approx(0.164, abs=5e-4)


def test_preset_away_keeps_the_match_within_its_bound(page):
    at = page
    _fresh(at)
    load_preset(at, PRESETS, "away")
    assert metrics(at)["Largest relative distance"] == "0.188"
    c = rp.gd_vs_ridge(rp.correlated_problem(100, 0.9, 0.5), 0.1, 200, (-1.0, 2.0))
    assert c.bound.max() == pytest.approx(0.240, abs=5e-4) and np.all(c.distance <= c.bound)


def test_preset_same_lambda_regularizes_under_l2_and_barely_under_adamw(page):
    at = page
    _fresh(at)
    load_preset(at, PRESETS, "same_lambda")
    m = metrics(at)
    assert m["Adam + L2: test loss at the end"] == "0.4180" and m["AdamW: test loss at the end"] == "0.7045"
    assert m["no decay: test loss at the end"] == "0.6995"
    summary = comp.decay_summary(128, 0.5, 0.01, 0.01, 0.01, 0)
    assert summary["weaker"] == 0.0  # every parameter decays faster under the penalty than under AdamW


def test_challenges_are_checked_against_the_page(page):
    at = page
    _fresh(at)
    set_up_challenge(at, "part", CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved and "0.164" in message
    widget(at, "reg_ridge_lr").set_value(0.8).run()
    solved, message = challenge_verdict(at)
    assert solved, message
    set_up_challenge(at, "match", CHALLENGES)
    solved, message = challenge_verdict(at)
    assert not solved, message
    widget(at, "reg_wd").set_value(1.0).run()
    solved, message = challenge_verdict(at)
    assert solved and "4.37" in message and "3.64" in message, message
    at.selectbox(key="challenge").set_value("none").run()
    ok(at)


def test_bad_input_divergence_and_absurd_decay_are_explained(page):
    at = page
    _fresh(at)
    widget(at, "reg_ridge_lr").set_value(1.2).run()
    ok(at)
    assert any("diverges along the steep direction" in e.value for e in at.error)
    widget(at, "reg_wd").set_value(10.0).run()
    widget(at, "reg_decay_lr").set_value(0.1).run()
    ok(at)
    assert any("removes all of every parameter" in w.value for w in at.warning)
    widget(at, "reg_decay_lr").set_value(10.0).run()
    ok(at)
    assert any("AdamW run diverged" in e.value for e in at.error)
    assert not any("nan" in m.value.lower() or "inf" in m.value.lower() for m in at.metric), metrics(at)
