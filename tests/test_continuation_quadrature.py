"""The Gauss–Hermite rules behind the Continuation page follow the exact blur of the rippled bowl over
the whole range its sliders offer (the exact blur is closed-form: ripples damped by exp(-2π²σ²))."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import continuation as c


@pytest.mark.parametrize("order, sigma_max, tolerance", [
    (c.QUADRATURE_ORDER, c.SIGMA_MAX_MAP, 1e-4),
    (c.RUN_ORDER, c.SIGMA_MAX_RUN, 1e-3),
])
def test_the_quadrature_matches_the_exact_blur_up_to_the_sliders_end(order, sigma_max, tolerance):
    land = c.rippled_bowl()
    rng = np.random.default_rng(0)
    worst = 0.0
    for sigma in np.linspace(0.05, sigma_max, 8):
        for theta in rng.uniform(-2, 2, (4, 2)):
            value = float(c.smoothed_value(land.sample_loss, theta, float(sigma), land.samples, land.params, order))
            worst = max(worst, abs(value - float(c.rippled_bowl_smoothed(theta, float(sigma)))))
    assert worst < tolerance, f"order {order}: error {worst:.2e} up to σ = {sigma_max}"


def test_ten_nodes_were_not_enough_for_the_runs():
    """The guard above can fail: with the old 10-node rule the blur at σ = 0.7 is far off."""
    land = c.rippled_bowl()
    theta = np.array([0.37, -0.21])
    value = float(c.smoothed_value(land.sample_loss, theta, 0.7, land.samples, land.params, 10))
    assert abs(value - float(c.rippled_bowl_smoothed(theta, 0.7))) > 1e-2
