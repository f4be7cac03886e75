"""Minibatch gradients are unbiased and their noise shrinks with B as predicted, with and without
replacement. Tolerances come from the sampling distribution of the estimates (fixed seeds): a
mean of n draws is within 4.5 standard errors of its expectation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from analysis import gradient_noise as gn
from landscapes.regression import linear_regression, logistic_regression
from optimizers.engine import batch_weights

Z = 4.5  # standard errors allowed (fixed seeds, so the tests are deterministic)


@pytest.fixture(scope="module")
def linear():
    return linear_regression(n_samples=40, noise=0.5, seed=0)


@pytest.fixture(scope="module")
def logistic():
    return logistic_regression(n_samples=40, seed=0)


@pytest.mark.parametrize("sampling", ["shuffle", "replacement"])
def test_minibatch_gradients_are_unbiased(linear, sampling):
    theta = (0.2, 1.0)
    noise = gn.gradient_noise(linear, theta)
    B, draws = 5, 3000
    cloud = gn.minibatch_gradients(linear, theta, B, sampling, n_draws=draws, seed=11)
    cov = gn.minibatch_covariance(noise.covariance, noise.n_samples, B, replacement=sampling == "replacement")
    standard_error = np.sqrt(np.diag(cov) / draws)
    assert np.all(np.abs(cloud.mean(axis=0) - noise.full_gradient) < Z * standard_error)
    np.testing.assert_allclose(noise.full_gradient, np.asarray(linear.gradient(theta)), rtol=1e-12)


@pytest.mark.parametrize("sampling,replacement", [("shuffle", False), ("replacement", True)])
@pytest.mark.parametrize("which", ["linear", "logistic"])
def test_gradient_variance_scales_as_predicted_with_the_batch_size(request, which, sampling, replacement):
    land = request.getfixturevalue(which)
    theta = np.asarray(land.default_start)
    noise = gn.gradient_noise(land, theta)
    sizes = np.array([1, 2, 5, 10, 20, 39], dtype=np.int32)
    measured = gn.measured_standard_error(land, theta, sizes, sampling, n_draws=3000, seed=5)
    predicted = gn.predicted_standard_error(noise.total_variance, noise.n_samples, sizes, replacement) ** 2
    assert np.all(np.abs(measured.mean_squared_error - predicted) < Z * measured.mean_squared_error_se)


def test_finite_population_correction_at_the_ends(linear):
    theta = (0.0, 0.0)
    noise = gn.gradient_noise(linear, theta)
    N = noise.n_samples
    sizes = np.array([1, N], dtype=np.int32)
    without = gn.measured_standard_error(linear, theta, sizes, "shuffle", n_draws=200)
    assert without.standard_error[1] == pytest.approx(0.0, abs=1e-12)  # the full batch has no noise
    assert gn.predicted_standard_error(noise.total_variance, N, [N], replacement=False)[0] == 0.0
    with_replacement = gn.predicted_standard_error(noise.total_variance, N, [1, N], replacement=True)
    np.testing.assert_allclose(with_replacement, np.sqrt(noise.total_variance / np.array([1, N])))
    assert gn.finite_population_factor(N, 1) == 1.0


def test_fast_nested_batches_are_exactly_the_engines_batches(linear):
    """The standard-error curve reuses one permutation per draw for every B; each of its batches must be
    the one ``batch_weights`` picks for that draw."""
    grads = gn._per_sample_gradients(linear.sample_loss, jnp.asarray([0.3, 0.1]), linear.samples, linear.params)
    key = jax.random.PRNGKey(4)
    for draw in (0, 7):
        shuffled, replaced = gn._nested_batch_sums(grads, key, draw)
        for B in (1, 3, 40):
            for sampling, sums in ((0, shuffled), (1, replaced)):
                expected = gn._draw(grads, key, draw, jnp.int32(B), jnp.int32(sampling))
                np.testing.assert_allclose(np.asarray(sums[B] / B), np.asarray(expected), rtol=1e-12, atol=1e-14)


def test_sorted_batches_are_the_consecutive_chunks(linear):
    theta = (0.5, 0.5)
    grads = gn.gradient_noise(linear, theta).per_sample
    cloud = gn.minibatch_gradients(linear, theta, 8, "sorted", n_draws=5)
    expected = [grads[8 * k: 8 * (k + 1)].mean(axis=0) for k in range(5)]
    np.testing.assert_allclose(cloud, expected, rtol=1e-12)


@pytest.mark.parametrize("sampling", ["shuffle", "sorted"])
def test_every_sample_is_used_once_per_epoch(sampling):
    N, B, epochs = 10, 3, 4
    per_epoch = gn.steps_per_epoch(N, B)
    counts = gn.batch_membership(N, B, epochs * per_epoch, sampling, seed=2)
    per_epoch_counts = counts.reshape(epochs, per_epoch, N).sum(axis=1)
    assert np.all(per_epoch_counts == 1)
    np.testing.assert_array_equal(counts.sum(axis=1), gn.batch_sizes_per_step(N, B, epochs * per_epoch, sampling))


def test_with_replacement_draws_b_samples_and_can_repeat():
    counts = gn.batch_membership(10, 6, 40, "replacement", seed=0)
    assert np.all(counts.sum(axis=1) == 6)
    assert counts.max() >= 2
    assert gn.samples_processed(10, 3, 4, "shuffle").tolist() == [0, 3, 6, 9, 10]


def test_covariance_ellipse_is_the_two_sigma_contour():
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    points = gn.covariance_ellipse(np.array([1.0, -1.0]), cov, n_std=2.0)
    d = points - np.array([1.0, -1.0])
    np.testing.assert_allclose(np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d), 4.0, rtol=1e-10)


def test_moving_the_point_batch_size_sampling_or_seed_does_not_recompile(logistic):
    gn.minibatch_gradients(logistic, (0.0, 0.0), 4, "shuffle", n_draws=50)
    gn.measured_standard_error(logistic, (0.0, 0.0), gn.curve_batch_sizes(40), "shuffle", n_draws=50)
    cloud_before, curve_before = gn._cloud._cache_size(), gn._squared_errors._cache_size()
    for B, sampling, seed in ((9, "replacement", 1), (40, "sorted", 2), (1, "shuffle", 3)):
        gn.minibatch_gradients(logistic, (1.0, -2.0), B, sampling, n_draws=50, seed=seed)
        gn.measured_standard_error(logistic, (0.5, 0.5), gn.curve_batch_sizes(40), sampling, n_draws=50, seed=seed)
    assert gn._cloud._cache_size() == cloud_before
    assert gn._squared_errors._cache_size() == curve_before
