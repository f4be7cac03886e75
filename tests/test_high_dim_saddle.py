"""The d-dimensional saddle: Newton is drawn to it, saddle-free Newton and first-order methods leave it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from analysis import high_dim_saddle as hd


def test_gradient_and_hessian_match_autodiff():
    lam, mask = hd.saddle_spectrum(5, 2, 0.3)
    x = jnp.asarray(np.random.default_rng(0).standard_normal(hd.D_MAX))
    np.testing.assert_allclose(hd.saddle_gradient(x, lam, mask), jax.grad(hd.saddle_loss)(x, lam, mask), rtol=1e-12)
    H = jax.hessian(hd.saddle_loss)(x, lam, mask)
    np.testing.assert_allclose(np.diag(H)[:5], hd.saddle_hessian_diagonal(x, lam, mask)[:5], rtol=1e-12)
    assert np.count_nonzero(np.asarray(H) - np.diag(np.diag(H))) == 0
    assert float(np.sum(np.asarray(lam) < 0)) == 2 and float(mask.sum()) == 5


def test_newton_is_drawn_to_the_saddle_and_saddle_free_newton_escapes():
    newton = hd.run_saddle("newton", 10, 3, 0.5, {"newton_lr": 1.0})
    assert np.all(newton.distance[:, -1] < 1e-12)
    free = hd.run_saddle("saddle_free_newton", 10, 3, 0.5, {"newton_lr": 1.0, "damping": 1e-3})
    np.testing.assert_allclose(free.loss[:, -1], hd.minimum_loss(3, 0.5), rtol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_first_order_methods_leave_a_saddle_from_a_small_random_start(optimizer):
    runs = hd.run_saddle(optimizer, 8, 2, 1.0, {"lr": 0.1})
    assert np.all(runs.escape_steps(0.5 * hd.minimum_loss(2, 1.0)) > 0)


def test_gd_from_exactly_the_saddle_stays_there():
    lam, mask = hd.saddle_spectrum(6, 2, 0.5)
    losses, distances, alive = hd._run_batch("sgd", 50, jnp.zeros((1, hd.D_MAX)), lam, mask,
                                             {k: jnp.asarray(v) for k, v in dict(lr=0.1, momentum=0.9, beta1=0.9, beta2=0.999,
                                                                                  eps=1e-8, newton_lr=1.0, damping=1e-3).items()})
    assert np.all(np.asarray(distances) == 0.0)


def test_moving_the_dimension_does_not_recompile():
    hd.run_saddle("sgd", 4, 1, 0.2, {"lr": 0.1})
    before = hd._run_batch._cache_size()
    for d, k, mu in [(7, 2, 0.1), (20, 5, 0.9), (64, 64, 0.3)]:
        hd.run_saddle("sgd", d, k, mu, {"lr": 0.05})
        hd.downhill_direction_share(d, k, mu, n_directions=1000)
    assert hd._run_batch._cache_size() == before


def test_share_of_downhill_directions():
    assert hd.downhill_direction_share(2, 1, 0.5) == pytest.approx(hd.downhill_share_2d(0.5), abs=0.01)
    assert hd.downhill_direction_share(6, 0, 0.5, n_directions=500) == 0.0
    assert hd.downhill_direction_share(6, 6, 0.5, n_directions=500) == 1.0
    assert hd.downhill_direction_share(10, 5, 1.0) == pytest.approx(0.5, abs=0.02)


def test_random_critical_points_are_rarely_minima_in_high_dimensions():
    d, minimum, negative = hd.random_hessian_minimum_share(max_d=6, n_matrices=20_000)
    assert minimum[0] == pytest.approx(0.5, abs=0.02)
    assert np.all(np.diff(minimum) <= 0) and minimum[-1] < 0.01
    np.testing.assert_allclose(negative, 0.5, atol=0.02)
