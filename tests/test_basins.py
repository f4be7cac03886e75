"""Two-layer networks: critical points, zero initialization, symmetry and basin maps against single runs."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.basins import (
    DIVERGED, UNSETTLED, basin_map, full_batch, gradient_norm_grid, label_endpoints, mirror_losses,
    plateau_mask, settle_radius, start_grid, summarize_endpoints,
)
from landscapes import get_landscape
from landscapes.critical_points import classify_eigenvalues
from optimizers import run_trajectories
from optimizers.engine import STEP_BUCKETS, RunSettings
from analysis.basins import BASIN_STEPS

NETWORKS = [
    ("two_layer_linear", {}),
    ("two_layer_tanh", {}),
    ("two_layer_tanh", {"target": "sine", "n_samples": 12, "noise": 0.3}),
    ("two_layer_tanh", {"target": "step", "n_samples": 40, "noise": 0.0}),
]


@pytest.mark.parametrize("key, settings", NETWORKS)
def test_critical_points_are_true_critical_points_with_the_stated_hessian_type(key, settings):
    landscape = get_landscape(key, **settings)
    points = np.array([p.point for p in landscape.critical_points])
    assert {p.kind for p in landscape.critical_points} >= {"minimum", "saddle"}
    gradients = np.asarray(landscape.gradient(points))
    assert np.all(np.linalg.norm(gradients, axis=1) < 1e-8)
    for p, H in zip(landscape.critical_points, np.asarray(landscape.hessian(points))):
        assert classify_eigenvalues(np.linalg.eigvalsh(H)) == p.kind


def test_two_layer_linear_critical_points_match_the_closed_form():
    landscape = get_landscape("two_layer_linear")  # N = 1, x = 1, t = 1, lambda = 0.1
    r = np.sqrt(1.0 - 0.1)
    minima = sorted((round(p.x, 9), round(p.y, 9)) for p in landscape.minima())
    np.testing.assert_allclose(minima, [(-r, -r), (r, r)], atol=1e-9)
    H0 = np.asarray(landscape.hessian(np.zeros(2)))
    np.testing.assert_allclose(np.linalg.eigvalsh(H0), [2 * 0.1 - 2, 2 * 0.1 + 2], atol=1e-12)


@pytest.mark.parametrize("key, settings", NETWORKS[:2])
def test_zero_initialization_stays_exactly_at_the_saddle_under_gd(key, settings):
    landscape = get_landscape(key, **settings)
    traj = run_trajectories(landscape, "sgd", [(0.0, 0.0)], RunSettings(lr=0.1, n_steps=200))
    assert not traj.diverged(0)
    assert np.all(traj.path(0) == 0.0)
    assert np.all(traj.grad_norms(0) == 0.0)


def test_small_random_starts_escape_the_saddle_to_a_minimum():
    landscape = get_landscape("two_layer_linear")
    starts = 0.01 * np.random.default_rng(0).standard_normal((16, 2))
    traj = run_trajectories(landscape, "sgd", starts, RunSettings(lr=0.1, n_steps=500))
    labels, *_ = summarize_endpoints(landscape, traj)
    assert np.all(labels >= 0)


@pytest.mark.parametrize("key", ["two_layer_linear", "two_layer_tanh"])
def test_sign_flip_symmetry_gives_equal_losses(key):
    landscape = get_landscape(key)
    points = np.random.default_rng(1).uniform(-2, 2, (20, 2))
    a, b = mirror_losses(landscape, points)
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_without_weight_decay_the_linear_loss_depends_only_on_the_product():
    landscape = get_landscape("two_layer_linear", l2=0.0)
    w = np.array([0.3, 0.7, 1.5, -2.0])
    points = np.stack([w, 0.6 / w], axis=1)
    np.testing.assert_allclose(np.asarray(landscape.loss(points)), (0.6 - 1.0) ** 2, rtol=1e-12)


def test_full_batch_view_gives_the_same_trajectories():
    landscape = get_landscape("two_layer_tanh")
    starts = np.random.default_rng(2).uniform(-3, 3, (6, 2))
    run = RunSettings(lr=0.2, n_steps=100)
    a = run_trajectories(landscape, "momentum", starts, run)
    b = run_trajectories(full_batch(landscape), "momentum", starts, run)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10, atol=1e-12)


def test_full_batch_view_of_an_analytic_surface_gives_the_same_trajectories():
    """An analytic landscape carries a closed-form surface for its mean; the single-sample view must not
    hand that surface the wrapped parameters (it raised a KeyError in the engine)."""
    landscape = get_landscape("rosenbrock")
    starts = np.random.default_rng(3).uniform(-1, 1, (4, 2))
    run = RunSettings(lr=1e-3, n_steps=80)
    a = run_trajectories(landscape, "adam", starts, run)
    b = run_trajectories(full_batch(landscape), "adam", starts, run)
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10, atol=1e-12)


def test_label_endpoints():
    minima = np.array([[1.0, 1.0], [-1.0, -1.0]])
    points = np.array([[1.01, 0.99], [-1.0, -1.02], [0.0, 0.0], [1.0, 1.0]])
    labels = label_endpoints(points, np.array([False, False, False, True]), minima, 0.05)
    assert labels.tolist() == [0, 1, UNSETTLED, DIVERGED]


def _agreement(landscape, optimizer, run, resolution, n_checks, seed=0):
    result = basin_map(landscape, optimizer, run, resolution)
    assert result.label.shape == (resolution, resolution)
    xs, ys, starts = start_grid(landscape.domain, resolution)
    picks = np.random.default_rng(seed).choice(len(starts), n_checks, replace=False)
    for index in picks:
        single = run_trajectories(landscape, optimizer, [starts[index]], run)  # original landscape, one start
        label, point, loss, _ = summarize_endpoints(landscape, single)
        i, j = divmod(int(index), resolution)
        assert result.label[i, j] == label[0]
        np.testing.assert_allclose(result.final_points[i, j], point[0], rtol=1e-9, atol=1e-9)
    return result


def test_basin_map_agrees_with_single_runs_tanh_momentum():
    landscape = get_landscape("two_layer_tanh")
    _agreement(landscape, "momentum", RunSettings(lr=0.3, momentum=0.8, n_steps=BASIN_STEPS), 24, 8)


def test_full_size_basin_map_agrees_with_single_runs_and_labels_both_minima():
    assert BASIN_STEPS in STEP_BUCKETS
    landscape = get_landscape("two_layer_linear")
    result = _agreement(landscape, "sgd", RunSettings(lr=0.1, n_steps=BASIN_STEPS), 128, 6)
    shares = result.fractions()
    assert shares[0] > 0.4 and shares[1] > 0.4  # the two sign-flipped minima split the plane


def test_large_learning_rate_basin_map_marks_divergence():
    landscape = get_landscape("two_layer_linear")
    result = basin_map(landscape, "sgd", RunSettings(lr=1.5, n_steps=50), 16)
    assert (result.label == DIVERGED).any()


def test_gradient_norm_grid_and_plateau_mask():
    landscape = get_landscape("two_layer_tanh")
    xs, ys, G = gradient_norm_grid(landscape, 9)
    direct = np.linalg.norm(np.asarray(landscape.gradient(np.array([xs[3], ys[5]]))))
    assert G[5, 3] == pytest.approx(direct, rel=1e-12)
    mask = plateau_mask(np.array([1.0, 1.0, 0.0]), np.array([1e-3, 1.0, 1e-3]), 0.0, 0.01, 0.1)
    assert mask.tolist() == [True, False, False]


@pytest.mark.parametrize("key, optimizer, lr", [("rosenbrock", "momentum", 1e-3), ("himmelblau", "sgd", 0.05),
                                                ("himmelblau", "adam", 0.05), ("quadratic", "newton", 1.0),
                                                ("two_layer_tanh", "sgd", 0.5)])
def test_run_endpoints_ends_where_the_recorded_trajectories_end(key, optimizer, lr):
    """The end-points-only run (basin maps) follows run_trajectories' iterates exactly: end point, its loss,
    where and why a run diverged, and from which step it stays near each minimum."""
    from optimizers.engine import run_endpoints

    landscape = get_landscape(key)
    xs, ys, starts = start_grid(landscape.domain, 12)
    settings = RunSettings(lr=lr, n_steps=120)
    recorded = run_trajectories(landscape, optimizer, starts, settings)  # full batch: batch_size None
    minima = np.array([m.point for m in landscape.minima()]).reshape(-1, 2)
    radius = settle_radius(landscape.domain)
    ends = run_endpoints(landscape, optimizer, starts, settings, minima, radius)
    labels, points, losses, settle = summarize_endpoints(landscape, recorded)
    np.testing.assert_allclose(ends.final, points, rtol=1e-12, atol=1e-14)  # last-bit sums only
    np.testing.assert_allclose(ends.final_loss, losses, rtol=1e-12, atol=1e-14)
    assert (ends.diverged_at == recorded.diverged_at).all() and (ends.status == recorded.status).all()
    settled = labels >= 0
    assert (ends.last_far[settled, labels[settled]] + 1 == settle[settled]).all()
    if key == "rosenbrock":
        assert (recorded.status != 0).any() and settled.any()  # both cases really occur


def test_basin_map_settle_steps_equal_the_recorded_runs():
    landscape = get_landscape("himmelblau")
    run = RunSettings(lr=0.01, n_steps=200)
    result = basin_map(landscape, "sgd", run, 16)
    xs, ys, starts = start_grid(landscape.domain, 16)
    labels, _, _, settle = summarize_endpoints(landscape, run_trajectories(landscape, "sgd", starts, run))
    assert (result.label.reshape(-1) == labels).all()
    assert (result.settle_step.reshape(-1) == settle).all() and (settle > 0).any()
