"""The Gauss–Hermite rules behind the Continuation page follow the exact blur of the rippled bowl over
the whole range its sliders offer (the exact blur is closed-form: ripples damped by exp(-2π²σ²))."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import continuation as c


def peaks_and_troughs() -> np.ndarray:
    """Points where both ripples are at a peak or a trough (where a wrong blur errs most), in [-2, 2]²."""
    offsets = np.arange(-8, 9) / 2.0
    xs = c.RIPPLE_CENTER[0] + offsets
    ys = c.RIPPLE_CENTER[1] + offsets
    X, Y = np.meshgrid(xs[np.abs(xs) <= 2], ys[np.abs(ys) <= 2])
    return np.stack([X.ravel(), Y.ravel()], axis=1)


def worst_error(order: int, sigmas) -> float:
    land = c.rippled_bowl()
    worst = 0.0
    for sigma in sigmas:
        for theta in peaks_and_troughs()[::3]:
            value = float(c.smoothed_value(land.sample_loss, theta, float(sigma), land.samples, land.params, order))
            worst = max(worst, abs(value - float(c.rippled_bowl_smoothed(theta, float(sigma)))))
    return worst


@pytest.mark.parametrize("order, sigma_max, tolerance", [
    (c.QUADRATURE_ORDER, c.SIGMA_MAX_MAP, 1e-4),
    (c.RUN_ORDER, c.SIGMA_MAX_RUN, 1e-3),
])
def test_the_quadrature_matches_the_exact_blur_up_to_the_sliders_end(order, sigma_max, tolerance):
    rng = np.random.default_rng(0)
    land = c.rippled_bowl()
    worst = 0.0
    for sigma in np.linspace(0.05, sigma_max, 8):
        for theta in rng.uniform(-2, 2, (4, 2)):
            value = float(c.smoothed_value(land.sample_loss, theta, float(sigma), land.samples, land.params, order))
            worst = max(worst, abs(value - float(c.rippled_bowl_smoothed(theta, float(sigma)))))
    worst = max(worst, worst_error(order, [sigma_max * 0.75, sigma_max]))
    assert worst < tolerance, f"order {order}: error {worst:.2e} up to σ = {sigma_max}"


def test_twenty_nodes_were_not_enough_for_the_maps_at_the_peaks():
    """The peak grid catches what random points missed: 20 nodes err by over 1e-4 at σ = 0.8."""
    assert worst_error(20, [c.SIGMA_MAX_MAP]) > 1e-4


def test_ten_nodes_were_not_enough_for_the_runs():
    """The guard above can fail: with the old 10-node rule the blur at σ = 0.7 is far off."""
    land = c.rippled_bowl()
    theta = np.array([0.37, -0.21])
    value = float(c.smoothed_value(land.sample_loss, theta, 0.7, land.samples, land.params, 10))
    assert abs(value - float(c.rippled_bowl_smoothed(theta, 0.7))) > 1e-2
