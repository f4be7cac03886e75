"""Conditioning readouts against closed forms, and the measured runs against the predictions."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import conditioning as cond
from analysis import theory
from optimizers.engine import TRACE_COUNTS

START = (-2.5, 2.0)


def test_readouts_match_closed_forms():
    r = cond.readouts(cond.separable_eigenvalues([0.5, 10.0]), lr=0.05)  # lambda = (1, 20)
    np.testing.assert_allclose(r.eigenvalues, [1.0, 20.0])
    assert r.condition_number == pytest.approx(20.0)
    assert r.stable_lr_limit == pytest.approx(0.1)  # 2 / lambda_max = 1 / alpha_max
    assert r.notes_lr == pytest.approx(0.099)  # 0.99 / alpha_max
    assert r.optimal_lr == pytest.approx(2.0 / 21.0)
    np.testing.assert_allclose(r.contraction, [0.95, 0.0])  # |1 - 2 lr alpha_i|
    assert r.flattest_rate == pytest.approx(0.95)
    assert r.optimal_rate == pytest.approx(19.0 / 21.0)
    assert r.notes_flattest_rate == pytest.approx(1 - 2 * 0.99 * 0.5 / 10.0)
    assert r.momentum_optimal_rate == pytest.approx((np.sqrt(20) - 1) / (np.sqrt(20) + 1))
    assert r.momentum_lr == pytest.approx(4.0 / (1.0 + np.sqrt(20.0)) ** 2)
    assert r.momentum_beta == pytest.approx(((np.sqrt(20) - 1) / (np.sqrt(20) + 1)) ** 2)
    assert r.steps_to_shrink(1e-6) == np.ceil(np.log(1e-6) / np.log(0.95))
    assert cond.eigenvalues_from_condition(20.0, 50.0) == pytest.approx([0.4, 20.0])


def test_heavy_ball_rate_matches_theory_and_is_optimal_at_the_optimum():
    lam = (1.0, 20.0)
    for lr, beta in [(0.05, 0.0), (0.08, 0.5), (0.12, 0.9), (0.3, 0.2)]:
        assert cond.heavy_ball_rate(lr, beta, lam) == pytest.approx(theory.momentum_rate(lr, beta, lam))
    lr_opt, beta_opt = theory.momentum_optimal_settings(*lam)
    best = cond.heavy_ball_rate(lr_opt, beta_opt, lam)
    assert best == pytest.approx(theory.momentum_optimal_rate(20.0), rel=1e-6)
    LR, B = np.meshgrid(np.linspace(0.01, 0.2, 60), np.linspace(0, 0.95, 60))
    assert np.min(cond.heavy_ball_rate(LR, B, lam)) >= best - 1e-9
    # the stability boundary lr = 2 (1 + beta) / lambda_max is where the rate crosses 1
    for beta in (0.0, 0.5, 0.9):
        limit = cond.momentum_stability_limit(beta, 20.0)
        assert cond.heavy_ball_rate(0.99 * limit, beta, lam) < 1 < cond.heavy_ball_rate(1.01 * limit, beta, lam)


@pytest.mark.parametrize("angle", [0.0, 35.0])
def test_gd_error_along_eigenvectors_follows_the_prediction_exactly(angle):
    lam, lr, steps = (1.0, 20.0), 0.09, 60
    traj = cond.run_quadratic(lam, angle, "sgd", lr, steps, START)
    errors = cond.eigen_errors(traj.path(0), angle)
    predicted = cond.predicted_eigen_errors(lr, lam, errors[0], steps)
    np.testing.assert_allclose(errors, predicted, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(traj.losses(0), cond.predicted_loss(lr, lam, errors[0], steps), rtol=1e-9, atol=1e-14)
    rate = cond.measured_rates(np.linalg.norm(traj.params, axis=-1), [traj.valid_length(0)])[0]
    assert rate == pytest.approx(cond.readouts(lam, lr).rate, rel=1e-3)


def test_stable_range_edge_and_the_lecture_choice():
    lam = (1.0, 20.0)
    limit = cond.readouts(lam, 0.1).stable_lr_limit
    below = cond.run_quadratic(lam, 20.0, "sgd", 0.98 * limit, 400, START)
    above = cond.run_quadratic(lam, 20.0, "sgd", 1.02 * limit, 400, START)
    assert np.linalg.norm(below.path(0)[-1]) < np.linalg.norm(START)
    assert np.linalg.norm(above.params[0, -1]) > 10 * np.linalg.norm(START) or above.diverged(0)


def test_heavy_ball_run_matches_recurrence_and_optimal_rate():
    lam, angle = (1.0, 20.0), 30.0
    lr, beta = theory.momentum_optimal_settings(*lam)
    traj = cond.run_quadratic(lam, angle, "momentum", lr, 200, START, beta=beta)
    errors = cond.eigen_errors(traj.path(0), angle)
    np.testing.assert_allclose(errors, cond.heavy_ball_errors(lr, beta, lam, errors[0], 200), rtol=1e-7, atol=1e-40)
    rate = cond.measured_rates(np.linalg.norm(traj.params, axis=-1), [traj.valid_length(0)])[0]
    assert rate == pytest.approx(theory.momentum_optimal_rate(20.0), abs=0.01)


def test_rate_map_cells_equal_single_runs_and_respect_the_stability_boundary():
    lam, angle = (1.0, 20.0), 30.0
    lrs, betas = cond.rate_map_axes(20.0, 7, 6)
    rate_map = cond.rate_map(lam, angle, lrs, betas, START, n_steps=200)
    assert rate_map.measured.shape == (6, 7)
    for b, l in [(0, 1), (3, 2), (5, 4), (2, 6)]:
        single = cond.run_quadratic(lam, angle, "momentum", lrs[l], 200, START, beta=betas[b])
        rate = cond.measured_rates(np.linalg.norm(single.params, axis=-1), [single.valid_length(0)])[0]
        assert rate == pytest.approx(rate_map.measured[b, l], rel=1e-9) or (np.isinf(rate) and rate_map.diverged[b, l])
    LR, B = np.meshgrid(lrs, betas)
    limit = cond.momentum_stability_limit(B, 20.0)
    inside, outside = LR < 0.95 * limit, LR > 1.05 * limit
    assert np.all(rate_map.measured[inside] < 1.0)
    assert np.all(rate_map.diverged[outside] | (rate_map.measured[outside] > 1.0))
    ok = inside & ~rate_map.diverged
    np.testing.assert_allclose(rate_map.measured[ok], rate_map.predicted[ok], atol=0.03)


def test_moving_eigenvalues_and_angle_does_not_recompile():
    cond.run_quadratic((1.0, 20.0), 30.0, "sgd", 0.05, 100, START)
    before = dict(TRACE_COUNTS)
    cond.run_quadratic((0.3, 7.0), -15.0, "sgd", 0.2, 100, START)
    assert dict(TRACE_COUNTS) == before
