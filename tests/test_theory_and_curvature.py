"""Closed-form theory (analysis.theory), curvature readouts (analysis.curvature) and the divergence
explanation (analysis.summary), against hand formulas and measured runs of the engine."""

from __future__ import annotations

import re

import numpy as np
import pytest

from analysis import theory
from analysis.curvature import CURVATURE_TYPES, curvature_at, hessian_of_quadratic
from analysis.summary import divergence_explanation
from landscapes import analytic
from optimizers import RunSettings, run_trajectories

N_STEPS = 50


def rotation_matrix(angle_degrees):
    a = np.deg2rad(angle_degrees)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


# ---- closed forms ---------------------------------------------------------------------------

def test_stable_lr_limit_is_two_over_lambda_max():
    for lam in (0.5, 1.0, 20.0, 1e3):
        assert theory.stable_lr_limit(lam) == pytest.approx(2.0 / lam, rel=1e-15)
    assert theory.stable_lr_limit(0.0) == np.inf
    assert theory.stable_lr_limit(-3.0) == np.inf


def test_gd_rate_is_max_contraction_and_crosses_one_at_the_stable_limit():
    eigenvalues = [1.0, 4.0, 20.0]
    for lr in (0.01, 0.05, 0.09, 0.12):
        expected = [abs(1 - lr * lam) for lam in eigenvalues]
        np.testing.assert_allclose(theory.contraction_factors(lr, eigenvalues), expected, rtol=1e-15)
        assert theory.gd_rate(lr, eigenvalues) == pytest.approx(max(expected), rel=1e-15)
    limit = theory.stable_lr_limit(max(eigenvalues))
    assert theory.gd_rate(0.999 * limit, eigenvalues) < 1.0 < theory.gd_rate(1.001 * limit, eigenvalues)


@pytest.mark.parametrize("lambda_min,lambda_max", [(1.0, 20.0), (0.1, 10.0), (2.0, 3.0)])
def test_optimal_gd_lr_minimises_the_rate_and_gives_kappa_minus_one_over_kappa_plus_one(lambda_min, lambda_max):
    kappa = lambda_max / lambda_min
    lr_star = theory.optimal_gd_lr(lambda_min, lambda_max)
    assert lr_star == pytest.approx(2.0 / (lambda_min + lambda_max), rel=1e-15)
    assert theory.gd_optimal_rate(kappa) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-15)
    assert theory.gd_rate(lr_star, [lambda_min, lambda_max]) == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-12)
    lrs = np.linspace(1e-4, 2.0 / lambda_max, 20001)
    rates = [theory.gd_rate(lr, [lambda_min, lambda_max]) for lr in lrs]
    assert min(rates) >= theory.gd_optimal_rate(kappa) - 1e-12
    assert lrs[int(np.argmin(rates))] == pytest.approx(lr_star, abs=2 * (lrs[1] - lrs[0]))


def test_gd_error_along_eigenvectors_is_one_minus_lr_lambda_to_the_t():
    predicted = theory.gd_error_along_eigenvectors(0.09, [1.0, 20.0], [2.0, -1.5], 6)
    t = np.arange(7)
    np.testing.assert_allclose(predicted[:, 0], 2.0 * 0.91**t, rtol=1e-14)
    np.testing.assert_allclose(predicted[:, 1], -1.5 * (-0.8) ** t, rtol=1e-14)


@pytest.mark.parametrize("lambda_min,lambda_max", [(1.0, 10.0), (1.0, 100.0), (0.5, 2.0)])
def test_momentum_optimal_settings_give_root_kappa_rate(lambda_min, lambda_max):
    kappa = lambda_max / lambda_min
    root = np.sqrt(kappa)
    lr, beta = theory.momentum_optimal_settings(lambda_min, lambda_max)
    assert lr == pytest.approx(4.0 / (np.sqrt(lambda_max) + np.sqrt(lambda_min)) ** 2, rel=1e-14)
    assert beta == pytest.approx(((root - 1) / (root + 1)) ** 2, rel=1e-14)
    optimal_rate = (root - 1) / (root + 1)
    assert theory.momentum_optimal_rate(kappa) == pytest.approx(optimal_rate, rel=1e-14)
    # The iteration matrix has a double eigenvalue there, so numerical eigvals carry ~sqrt(eps) error.
    assert theory.momentum_rate(lr, beta, [lambda_min, lambda_max]) == pytest.approx(optimal_rate, rel=1e-6)
    # It is the best heavy-ball setting: moving lr or beta either way makes it slower ...
    for d_lr, d_beta in ((1.03, 1.0), (0.97, 1.0), (1.0, 1.1), (1.0, 0.9)):
        assert theory.momentum_rate(lr * d_lr, beta * d_beta, [lambda_min, lambda_max]) > optimal_rate + 1e-6
    # ... and better than the best plain GD.
    if kappa > 1:
        assert optimal_rate < theory.gd_optimal_rate(kappa)


def test_momentum_rate_without_momentum_is_the_gd_rate():
    for lr in (0.01, 0.05, 0.095):
        assert theory.momentum_rate(lr, 0.0, [1.0, 20.0]) == pytest.approx(theory.gd_rate(lr, [1.0, 20.0]), rel=1e-12)


# ---- theory against measured runs ---------------------------------------------------------

def errors_along_eigenvectors(result, angle):
    """(T + 1, 2) error components along the corridor's eigenvectors (minimum at 0)."""
    return result.params[0] @ rotation_matrix(angle)


def test_gd_at_optimal_lr_converges_at_the_predicted_rate():
    angle, eigenvalues = 25.0, (1.0, 10.0)
    landscape = analytic.quadratic_corridor(eigenvalues=eigenvalues, angle=angle, noise=0.0)
    lr = theory.optimal_gd_lr(*eigenvalues)
    # Momentum with beta = 0 is GD (this reuses the heavy-ball program below).
    result = run_trajectories(landscape, "momentum", [(-2.5, 2.0)], RunSettings(lr=lr, momentum=0.0, n_steps=N_STEPS))
    errors = np.abs(errors_along_eigenvectors(result, angle))
    measured = (errors[N_STEPS] / errors[0]) ** (1.0 / N_STEPS)
    np.testing.assert_allclose(measured, theory.gd_optimal_rate(10.0), rtol=1e-9)


def test_heavy_ball_at_optimal_settings_converges_at_root_kappa_rate():
    angle, eigenvalues = 25.0, (1.0, 10.0)
    kappa = eigenvalues[1] / eigenvalues[0]
    landscape = analytic.quadratic_corridor(eigenvalues=eigenvalues, angle=angle, noise=0.0)
    lr, beta = theory.momentum_optimal_settings(*eigenvalues)
    rate = theory.momentum_optimal_rate(kappa)
    result = run_trajectories(landscape, "momentum", [(-2.5, 2.0)], RunSettings(lr=lr, momentum=beta, n_steps=N_STEPS))
    errors = errors_along_eigenvectors(result, angle)
    # Along eigenvector i the error obeys e_{t+1} = (1 + beta - lr lambda_i) e_t - beta e_{t-1} with a double
    # root rho_i = +rate (lambda_min) or -rate (lambda_max); from v_0 = 0 the solution is
    # e_t = e_0 (1 + (1 - rho_i) t) rho_i^t.
    t = np.arange(N_STEPS + 1)
    for i, rho in enumerate((rate, -rate)):
        expected = errors[0, i] * (1 + (1 - rho) * t) * rho**t
        np.testing.assert_allclose(errors[:, i], expected, rtol=1e-6, atol=1e-300)
    # The measured per-step rate of the error norm is the predicted rate, up to the (1 + c t) factor.
    norms = np.linalg.norm(errors, axis=1)
    t1, t2 = 25, 50
    measured = (norms[t2] / norms[t1]) ** (1.0 / (t2 - t1))
    polynomial = ((1 + (1 + rate) * t2) / (1 + (1 + rate) * t1)) ** (1.0 / (t2 - t1))
    assert rate * (1 - 1e-6) <= measured <= rate * polynomial * (1 + 1e-6)
    assert measured < 0.7 * theory.gd_optimal_rate(kappa)


def test_measured_gd_divergence_threshold_matches_two_over_lambda_max():
    landscape = analytic.quadratic_corridor(eigenvalues=(1.0, 20.0), angle=30.0)
    limit = theory.stable_lr_limit(20.0)
    below = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], RunSettings(lr=0.97 * limit, n_steps=N_STEPS))
    above = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], RunSettings(lr=1.15 * limit, n_steps=N_STEPS))
    assert not below.diverged(0) and above.diverged(0)


# ---- curvature readouts ---------------------------------------------------------------------

@pytest.mark.parametrize("angle", [0.0, 30.0, 100.0])
def test_curvature_of_quadratic_is_its_eigenvalues_everywhere(angle):
    eigenvalues = np.array([0.8, 24.0])
    landscape = analytic.quadratic_corridor(eigenvalues=tuple(eigenvalues), angle=angle)
    points = np.stack(np.meshgrid(np.linspace(-2, 2, 3), np.linspace(-1, 1, 4)), axis=-1)  # (4, 3, 2)
    curvature = curvature_at(landscape, points)
    assert curvature.eigenvalues.shape == (4, 3, 2)
    np.testing.assert_allclose(curvature.eigenvalues, np.broadcast_to(eigenvalues, (4, 3, 2)), rtol=1e-12)
    np.testing.assert_allclose(curvature.condition_number, 30.0, rtol=1e-12)
    np.testing.assert_allclose(curvature.lambda_max, 24.0, rtol=1e-12)
    np.testing.assert_allclose(curvature.lambda_min, 0.8, rtol=1e-12)
    assert (curvature.n_negative == 0).all()
    assert (curvature.kind == 0).all() and set(curvature.kind_names().ravel()) == {CURVATURE_TYPES[0]}
    R = rotation_matrix(angle)
    # Eigenvectors are the rotated axes, up to sign.
    np.testing.assert_allclose(np.abs(np.einsum("...ij,ij->...j", curvature.eigenvectors, R)), 1.0, rtol=1e-12)
    np.testing.assert_allclose(hessian_of_quadratic(eigenvalues, angle), landscape.hessian([0.3, 0.4]), rtol=1e-12, atol=1e-12)


def test_curvature_of_saddle_has_one_negative_eigenvalue():
    curvature = curvature_at(analytic.saddle(), [[0.0, 0.0], [1.0, -0.5], [-1.7, 1.9]])
    np.testing.assert_allclose(curvature.eigenvalues, [[-2.0, 2.0]] * 3, rtol=1e-12)
    np.testing.assert_allclose(curvature.condition_number, 1.0, rtol=1e-12)
    assert (curvature.n_negative == 1).all()
    assert (curvature.kind == 1).all() and curvature.kind_names()[0] == CURVATURE_TYPES[1]


def test_curvature_of_a_dome_and_of_a_flat_point():
    dome = curvature_at(analytic.quadratic_corridor(eigenvalues=(-3.0, -1.0), angle=10.0), [0.5, 0.5])
    np.testing.assert_allclose(dome.eigenvalues, [-3.0, -1.0], rtol=1e-12)
    assert dome.n_negative == 2 and dome.kind == 2
    monkey = analytic.monkey_saddle()
    flat = curvature_at(monkey, [0.0, 0.0])
    assert flat.kind == 3 and flat.n_negative == 0 and np.isinf(flat.condition_number)
    off_centre = curvature_at(monkey, [0.5, 0.0])  # H = [[6x, 0], [0, -6x]]
    np.testing.assert_allclose(off_centre.eigenvalues, [-3.0, 3.0], rtol=1e-12)
    assert off_centre.kind == 1 and off_centre.n_negative == 1


def test_curvature_at_rosenbrock_minimum_matches_hand_hessian():
    curvature = curvature_at(analytic.rosenbrock(), [1.0, 1.0])
    expected = np.linalg.eigvalsh(np.array([[802.0, -400.0], [-400.0, 200.0]]))
    np.testing.assert_allclose(curvature.eigenvalues, expected, rtol=1e-12)
    np.testing.assert_allclose(curvature.condition_number, expected[1] / expected[0], rtol=1e-10)
    assert curvature.kind == 0


# ---- the divergence explanation -----------------------------------------------------------

def test_divergence_explanation_reports_lr_times_lambda_max_above_two():
    landscape = analytic.quadratic_corridor(eigenvalues=(1.0, 20.0), angle=30.0)
    lr = 0.15
    result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], RunSettings(lr=lr, n_steps=N_STEPS))
    assert result.diverged(0)
    text = divergence_explanation(landscape, result)
    assert text is not None and "lr × λ_max" in text
    match = re.search(r"lr × λ_max = ([-+0-9.e]+) × ([-+0-9.e]+) = ([-+0-9.e]+) > 2", text)
    assert match, text
    shown_lr, shown_lambda, product = (float(g) for g in match.groups())
    assert shown_lr == pytest.approx(lr, rel=1e-3)
    assert shown_lambda == pytest.approx(20.0, rel=1e-3)
    assert product == pytest.approx(lr * 20.0, rel=1e-3) and product > 2
    assert f"step {int(result.diverged_at[0])}" in text


def test_divergence_explanation_is_none_for_a_converging_run():
    landscape = analytic.quadratic_corridor(eigenvalues=(1.0, 20.0), angle=30.0)
    result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], RunSettings(lr=0.05, n_steps=N_STEPS))
    assert divergence_explanation(landscape, result) is None
