"""Gradient descent on least squares against ridge (analysis.ridge_path): closed forms and the stated bound."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import ridge_path as rp


def problems():
    for seed, correlation in enumerate((0.0, 0.5, 0.9, 0.98, -0.7)):
        yield rp.correlated_problem(80, correlation, 0.5, seed=seed)


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.5, 1.0])
@pytest.mark.parametrize("start", [(0.0, 0.0), (-1.0, 2.0)])
def test_gd_closed_form_equals_iterating_gradient_descent(lr, start):
    for problem in problems():
        steps = 60
        iterated = rp.gd_iterates(problem, lr, steps, start)
        closed = rp.gd_closed_form(problem, lr, np.arange(steps + 1), start)
        np.testing.assert_allclose(closed, iterated, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("start", [(0.0, 0.0), (-1.0, 2.0)])
def test_ridge_from_the_eigenbasis_equals_the_linear_solve_and_minimizes_the_penalized_loss(start):
    for problem in problems():
        for lam in (1e-3, 0.1, 1.0, 30.0):
            w = rp.ridge_solution(problem, [lam], start)[0]
            np.testing.assert_allclose(w, rp.ridge_direct(problem, lam, start), rtol=1e-10, atol=1e-12)
            penalized = lambda v: rp.loss(problem, v) + 0.5 * lam * np.sum((np.asarray(v) - start) ** 2)  # noqa: E731
            for direction in ((1e-4, 0), (0, 1e-4), (-1e-4, 1e-4)):
                assert penalized(w + np.array(direction)) > penalized(w)
        ends = rp.ridge_solution(problem, [np.inf, 0.0], start)
        np.testing.assert_allclose(ends[0], start)
        np.testing.assert_allclose(ends[1], problem.solution, rtol=1e-10)


def test_matched_weights_stay_within_the_stated_bound_and_gd_is_always_further_along():
    for problem in problems():
        for lr in np.geomspace(1e-3, 0.5 / problem.eigenvalues[-1], 7):
            c = rp.gd_vs_ridge(problem, float(lr), 3000)
            assert c.bound_holds
            assert np.all(c.distance <= c.bound + 1e-12)
            assert np.all(c.gd_factors >= c.ridge_factors - 1e-15)
            assert np.all(c.gd_factors - c.ridge_factors <= rp.filter_gap_bound(problem.eigenvalues, lr, c.steps) + 1e-15)


def test_the_bound_is_tight_for_small_steps_and_the_agreement_is_good_at_both_ends():
    x = np.linspace(0, 30, 300_001)
    gap = 1 / (1 + x) - np.exp(-x)
    assert abs(gap.max() - rp.CONTINUOUS_GAP) < 1e-4
    problem = rp.correlated_problem(100, 0.9, 0.5)
    lr = 1e-3
    c = rp.gd_vs_ridge(problem, lr, 200_000)
    x_flat = lr * problem.eigenvalues[0] * c.steps
    x_steep = lr * problem.eigenvalues[-1] * c.steps
    worst = c.gd_factors[:, 0] - c.ridge_factors[:, 0]
    assert abs(worst.max() - rp.CONTINUOUS_GAP) < 2e-3  # the flat direction passes x ~ 2.5
    early = x_steep < 0.05  # both directions barely moved: the shares agree to second order in x
    assert np.all((c.gd_factors - c.ridge_factors)[early] <= x_steep[early, None] ** 2)
    late = x_flat > 200  # both converged
    assert np.all(c.distance[late] < 0.01)


def test_large_steps_break_the_correspondence():
    problem = rp.correlated_problem(100, 0.9, 0.5)
    lr = 1.0 / problem.eigenvalues[-1]  # one step lands on w* along the steep direction
    c = rp.gd_vs_ridge(problem, lr, 10)
    assert not c.bound_holds and c.converges
    np.testing.assert_allclose(c.gd_factors[1, 1], 1.0)
    np.testing.assert_allclose(c.ridge_factors[1, 1], 0.5)
    assert not rp.gd_vs_ridge(problem, 2.01 / problem.eigenvalues[-1], 10).converges
