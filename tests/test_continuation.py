"""Gaussian smoothing by Gauss-Hermite quadrature and the continuation schedule."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from analysis import continuation as co
from analysis.restarts import random_starts
from landscapes import get_landscape


def test_smoothing_the_rippled_bowl_matches_the_closed_form():
    bowl = co.rippled_bowl()
    points = np.random.default_rng(0).uniform(-3, 3, (12, 2))
    for sigma in (0.0, 0.1, 0.3, 0.6):
        got = np.asarray(co.smoothed_loss(bowl.sample_loss, jnp.asarray(points), sigma, bowl.samples, bowl.params))
        np.testing.assert_allclose(got, co.rippled_bowl_smoothed(points, sigma), rtol=1e-7, atol=1e-9)


def test_sigma_zero_is_the_loss_and_a_quadratic_gains_two_sigma_squared():
    quad = get_landscape("quadratic", eigenvalues=(2.0, 2.0), angle=0.0, n_samples=1)
    points = np.array([[0.3, -1.0], [2.0, 1.0]])
    raw = np.asarray(quad.loss(points))
    np.testing.assert_allclose(co.smoothed_loss(quad.sample_loss, jnp.asarray(points), 0.0, quad.samples, quad.params), raw)
    # L = |theta|^2 (eigenvalues 2): E|theta + sigma z|^2 = |theta|^2 + 2 sigma^2
    smooth = co.smoothed_loss(quad.sample_loss, jnp.asarray(points), 0.5, quad.samples, quad.params)
    np.testing.assert_allclose(smooth, raw + 2 * 0.25, rtol=1e-12)


def test_gauss_hermite_agrees_with_monte_carlo_on_the_six_hump_camel():
    camel = get_landscape("six_hump_camel", n_samples=1)
    theta, sigma = np.array([0.4, -0.3]), 0.3
    z = jax.random.normal(jax.random.PRNGKey(0), (400_000, 2))
    monte_carlo = float(jnp.mean(camel.loss(theta + sigma * z)))
    quadrature = float(co.smoothed_loss(camel.sample_loss, jnp.asarray([theta]), sigma, camel.samples, camel.params)[0])
    assert quadrature == pytest.approx(monte_carlo, abs=5e-3)


def test_smoothed_gradient_is_the_gradient_of_the_smoothed_loss():
    bowl = co.rippled_bowl()
    theta = jnp.asarray([[0.2, 1.1]])
    g = co.smoothed_gradient(bowl.sample_loss, theta, 0.2, bowl.samples, bowl.params)[0]
    h = 1e-6
    for i in range(2):
        e = np.zeros(2); e[i] = h
        up = co.smoothed_loss(bowl.sample_loss, theta + e, 0.2, bowl.samples, bowl.params)[0]
        down = co.smoothed_loss(bowl.sample_loss, theta - e, 0.2, bowl.samples, bowl.params)[0]
        assert float(g[i]) == pytest.approx(float(up - down) / (2 * h), rel=1e-6)


def test_sigma_schedule():
    s = co.sigma_schedule(0.5, 5)
    assert s[0] == 0.5 and s[-1] == 0.0 and np.all(np.diff(s) < 0) and len(s) == 5
    assert len(co.sigma_schedule(0.5, 100)) == co.MAX_STAGES
    assert co.sigma_schedule(0.5, 1).tolist() == [0.0]


def test_continuation_reaches_the_global_minimum_more_often_than_direct_descent():
    bowl = co.rippled_bowl()
    starts = random_starts(bowl.domain, 128, seed=1)
    result = co.compare(bowl, starts, co.sigma_schedule(0.5, 6), 0.03)
    assert result.continuation_paths.shape == (128, co.CONTINUATION_STEPS + 1, 2)
    assert result.continuation_success.mean() > 0.9
    assert result.direct_success.mean() < 0.2
    np.testing.assert_allclose(result.direct_paths[:, 0], starts)


def test_moving_sigma_or_the_schedule_does_not_recompile():
    bowl = co.rippled_bowl()
    starts = random_starts(bowl.domain, 8, seed=0)
    co.smoothed_grid(bowl, 0.1, 20)
    co.compare(bowl, starts, co.sigma_schedule(0.5, 6), 0.03)
    before = co.smoothed_loss._cache_size(), co._descend._cache_size()
    co.smoothed_grid(bowl, 0.45, 20)
    co.compare(bowl, starts, co.sigma_schedule(0.8, 3), 0.01)
    assert (co.smoothed_loss._cache_size(), co._descend._cache_size()) == before


def test_sigma_per_step_spreads_the_stages_evenly():
    per_step = co.sigma_per_step([0.4, 0.2, 0.0], 6)
    np.testing.assert_allclose(per_step, [0.4, 0.4, 0.2, 0.2, 0.0, 0.0])
