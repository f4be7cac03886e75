"""The data Hessian of linear regression against jax.hessian, condition numbers per preprocessing,
and the measured Hessian block of a hidden unit for sigmoid and tanh."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import normalization as norm
from optimizers import RunSettings, run_trajectories


@pytest.fixture(scope="module")
def data():
    return norm.make_dataset(n_samples=300, mean=(3.0, -1.0), scales=(2.0, 0.5), correlation=0.6, seed=1)


def test_data_hessian_equals_jax_hessian_for_every_preprocessing(data):
    X, t = data
    for kind in norm.TRANSFORMS:
        report = norm.hessian_report(X, t, 0.05, kind)
        np.testing.assert_allclose(report.autodiff_hessian, report.hessian, rtol=1e-10, atol=1e-12)
        Z = norm.transform(X, kind)
        expected = 2 * np.mean(Z[:, :, None] * Z[:, None, :], axis=0) + 2 * 0.05 * np.eye(2)
        np.testing.assert_allclose(report.hessian, expected, rtol=1e-12, atol=1e-12)


def test_hessian_decomposes_into_covariance_plus_mean_outer_product(data):
    X, _ = data
    mu = X.mean(axis=0)
    cov = (X - mu).T @ (X - mu) / len(X)
    np.testing.assert_allclose(norm.data_hessian(X, 0.1), 2 * (cov + np.outer(mu, mu)) + 0.2 * np.eye(2), rtol=1e-12)


def test_normalizing_lowers_the_condition_number_to_one(data):
    round_cloud = norm.make_dataset(n_samples=300, mean=(5.0, 5.0), scales=(1.0, 1.0), correlation=0.0, seed=1)
    kappa_round = {k: norm.hessian_report(*round_cloud, 0.0, k).condition_number for k in ("raw", "centered")}
    assert kappa_round["raw"] > 20 * kappa_round["centered"]  # the mean alone adds one very steep direction
    X, t = data
    kappa = {k: norm.hessian_report(X, t, 0.0, k).condition_number for k in norm.TRANSFORMS}
    assert kappa["centered"] > kappa["standardized"] > kappa["whitened"]
    assert kappa["whitened"] == pytest.approx(1.0, abs=1e-9)
    # standardized: 2 x correlation matrix, condition number (1 + |rho|) / (1 - |rho|) with the sample rho
    rho = np.corrcoef(X.T)[0, 1]
    assert kappa["standardized"] == pytest.approx((1 + abs(rho)) / (1 - abs(rho)), rel=1e-9)


def test_gd_with_the_same_rule_converges_faster_on_normalized_data(data):
    X, t = data
    gaps = {}
    for kind in ("raw", "whitened"):
        landscape = norm.regression_landscape(norm.transform(X, kind), t, 0.01)
        lam_max = np.linalg.eigvalsh(norm.data_hessian(norm.transform(X, kind), 0.01))[-1]
        traj = run_trajectories(landscape, "sgd", [(0.0, 0.0)], RunSettings(lr=1.0 / lam_max, n_steps=50))
        gaps[kind] = traj.losses(0)[-1] - landscape.minima()[0].loss
    assert gaps["whitened"] < 1e-10 < gaps["raw"]


def test_sigmoid_units_are_worse_conditioned_than_tanh_units():
    sigmoid = norm.hidden_unit_hessians("sigmoid", n_hidden=16, n_networks=12)
    tanh = norm.hidden_unit_hessians("tanh", n_hidden=16, n_networks=12)
    assert abs(np.mean(sigmoid.mean_activation) - 0.5) < 0.1 and abs(np.mean(tanh.mean_activation)) < 0.1
    assert np.median(sigmoid.condition_numbers) > 3 * np.median(tanh.condition_numbers)
    assert np.median(sigmoid.gauss_newton_condition_numbers) > 3 * np.median(tanh.gauss_newton_condition_numbers)
    # pushing tanh's inputs off-centre makes its outputs non-centered, and the block worse conditioned
    shifted = norm.hidden_unit_hessians("tanh", n_hidden=16, offset=1.0, n_networks=12)
    assert np.median(shifted.condition_numbers) > np.median(tanh.condition_numbers)
    np.testing.assert_allclose(sigmoid.hessians, np.swapaxes(sigmoid.hessians, 1, 2), atol=1e-12)
