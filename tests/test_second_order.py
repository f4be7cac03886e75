"""Newton's method in its good and bad moments, nonlinear CG, and the Hessian's cost."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import second_order as so
from analysis import second_order_cost as cost
from optimizers import RunSettings


def test_newton_step_lands_on_the_minimum_of_a_quadratic_from_anywhere():
    landscape = so.scene_landscape("quadratic")
    for start in [(-2.5, 2.0), (2.9, -0.3), (0.1, 2.7)]:
        step = so.newton_step_at(landscape, start)
        np.testing.assert_allclose(step.landing, [0.0, 0.0], atol=1e-12)
    traj = so.run_method(landscape, "newton", (-2.5, 2.0), RunSettings(n_steps=200))
    assert np.linalg.norm(traj.path(0)[1]) < 1e-12


def test_newton_walks_onto_the_saddle_and_saddle_free_newton_escapes():
    landscape = so.scene_landscape("saddle")
    start = so.SCENES["saddle"].start
    step = so.newton_step_at(landscape, start)
    assert step.kind.startswith("saddle")
    np.testing.assert_allclose(step.landing, [0.0, 0.0], atol=1e-12)
    settings = RunSettings(n_steps=200, damping=0.1)
    newton = so.run_method(landscape, "newton", start, settings)
    assert np.linalg.norm(newton.path(0)[-1]) < 1e-12  # converged: zero gradient, but a saddle
    free = so.run_method(landscape, "saddle_free_newton", start, settings)
    assert free.losses(0)[-1] < free.losses(0)[0] - 1.0  # went downhill, away from the saddle


def test_near_zero_eigenvalue_makes_the_newton_step_explode():
    landscape = so.scene_landscape("flat")
    step = so.newton_step_at(landscape, so.SCENES["flat"].start)
    assert abs(step.eigenvalues[0]) < 0.01 < step.eigenvalues[1]
    assert step.step_length > 50 * np.linalg.norm(step.gradient)
    # the step is g's component along the flat eigenvector divided by that eigenvalue
    H_inv_g = np.linalg.solve(step.hessian, step.gradient)
    np.testing.assert_allclose(-step.step, H_inv_g, rtol=1e-12)


def test_nonlinear_cg_solves_a_2d_quadratic_in_two_steps_and_reaches_rosenbrock_minimum():
    quadratic = so.run_conjugate_gradient(so.scene_landscape("quadratic"), (-2.5, 2.0), 200)
    assert np.linalg.norm(quadratic.path(0)[2]) < 1e-10
    rosen = so.run_conjugate_gradient(so.scene_landscape("rosenbrock"), (-1.2, 1.0), 200)
    np.testing.assert_allclose(rosen.path(0)[-1], [1.0, 1.0], atol=1e-6)
    assert so.iterations_to_tolerance(rosen, 1e-6) is not None


def test_second_order_methods_need_far_fewer_iterations_than_gd_on_rosenbrock():
    landscape = so.scene_landscape("rosenbrock")
    settings = RunSettings(lr=1e-3, n_steps=200)
    iters = {m: so.iterations_to_tolerance(so.run_method(landscape, m, (-1.2, 1.0), settings), 1e-6)
             for m in ("sgd", "newton", "bfgs")}
    assert iters["sgd"] is None  # GD does not get there in 200 steps
    assert iters["newton"] <= 10 and iters["bfgs"] <= 100


def test_hessian_memory_is_d_squared_and_cost_grows_with_d():
    rows = cost.measure_cost((8, 32, 128), repeats=2)
    assert [r.hessian_bytes for r in rows] == [8 * d * d for d in (8, 32, 128)]
    assert all(r.hessian_seconds > 0 and r.solve_seconds > 0 for r in rows)
    assert cost.growth_exponent([1, 2, 4, 8], [3, 12, 48, 192], largest=4) == pytest.approx(2.0)
