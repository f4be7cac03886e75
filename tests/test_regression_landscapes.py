"""The regression landscapes: losses, gradients, Hessians and minima against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes.regression import (
    linear_regression,
    linear_regression_sample_loss,
    logistic_regression,
    logistic_regression_sample_loss,
)
from optimizers.engine import RunSettings, run_trajectories


def test_linear_regression_loss_gradient_and_hessian_match_closed_forms():
    land = linear_regression(n_samples=40, noise=0.5, seed=3)
    x, t = np.asarray(land.samples).T
    theta = np.array([0.7, -1.2])
    residual = theta[0] * x + theta[1] - t
    assert float(land.loss(theta)) == pytest.approx(0.5 * np.mean(residual**2), rel=1e-12)
    expected_gradient = np.array([np.mean(residual * x), np.mean(residual)])
    np.testing.assert_allclose(np.asarray(land.gradient(theta)), expected_gradient, rtol=1e-12)
    expected_hessian = np.array([[np.mean(x**2), np.mean(x)], [np.mean(x), 1.0]])
    np.testing.assert_allclose(np.asarray(land.hessian(theta)), expected_hessian, rtol=1e-12)


def test_linear_regression_lists_the_least_squares_minimum():
    land = linear_regression(n_samples=64)
    (minimum,) = land.minima()
    np.testing.assert_allclose(np.asarray(land.gradient(minimum.point)), 0.0, atol=1e-12)
    assert minimum.loss == pytest.approx(float(land.loss(minimum.point)), rel=1e-12)


def test_logistic_regression_gradient_matches_closed_form_and_minimum_is_stationary():
    land = logistic_regression(n_samples=50, noise=1.0, l2=0.05, seed=1)
    data = np.asarray(land.samples)
    x, s = data[:, :2], 2 * data[:, 2] - 1
    w = np.array([0.4, -0.3])
    sigma = 1 / (1 + np.exp(s * (x @ w)))
    expected = -(x * (s * sigma)[:, None]).mean(axis=0) + 0.05 * w
    np.testing.assert_allclose(np.asarray(land.gradient(w)), expected, rtol=1e-10)
    (minimum,) = land.minima()
    np.testing.assert_allclose(np.asarray(land.gradient(minimum.point)), 0.0, atol=1e-10)
    assert np.all(np.linalg.eigvalsh(np.asarray(land.hessian(minimum.point))) > 0)


def test_datasets_are_stored_sorted_so_the_sorted_sampling_sees_correlated_batches():
    lin = np.asarray(linear_regression(n_samples=30).samples)
    assert np.all(np.diff(lin[:, 0]) >= 0)
    log = np.asarray(logistic_regression(n_samples=30).samples)
    assert np.all(np.diff(log[:, 2]) >= 0) and log[0, 2] == 0 and log[-1, 2] == 1


def test_sample_losses_are_module_level_functions_with_stable_identity():
    assert linear_regression(n_samples=8).sample_loss is linear_regression_sample_loss
    assert logistic_regression(n_samples=8).sample_loss is logistic_regression_sample_loss
    assert linear_regression_sample_loss.__module__ == "landscapes.regression"


def test_full_batch_gradient_descent_reaches_the_least_squares_fit():
    land = linear_regression(n_samples=32)
    traj = run_trajectories(land, "sgd", [land.default_start], RunSettings(lr=0.5, n_steps=500))
    np.testing.assert_allclose(traj.path(0)[-1], land.minima()[0].point, atol=1e-6)


def test_factories_follow_the_registry_conventions():
    """``get_landscape`` completes critical points numerically and the shared picker passes ``noise``."""
    from landscapes.critical_points import complete_critical_points

    for factory in (linear_regression, logistic_regression):
        land = factory(n_samples=16, noise=0.3)
        assert land.settings["noise"] == 0.3
        completed = complete_critical_points(land)
        minima = completed.minima()
        assert len(minima) == 1 and len(completed.critical_points) == 1
        np.testing.assert_allclose(minima[0].point, land.minima()[0].point, atol=1e-8)
