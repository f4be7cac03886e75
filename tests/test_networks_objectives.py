"""networks.objectives: the 0-1 loss (a brute-force count, zero gradient almost everywhere), the
log-likelihood (its gradient and gradient descent against NumPy references), and margins recomputed
by hand from a network's parameters."""

from __future__ import annotations

import numpy as np
import pytest

import programs
from landscapes.regression import logistic_dataset
from networks import TrainSettings, make_dataset, mlp, train
from networks.datasets import TRAIN
from networks import objectives as ob


@pytest.fixture(scope="module")
def clouds():
    data = logistic_dataset(64, 1.0, 0)
    return data[:, :2], data[:, 2]


def test_zero_one_loss_equals_a_brute_force_count(clouds):
    x, y = clouds
    rng = np.random.default_rng(1)
    for w in rng.uniform(-4, 4, (50, 2)):
        wrong = 0
        for xn, yn in zip(x, y):
            score = w[0] * xn[0] + w[1] * xn[1]
            if (yn == 1 and score <= 0) or (yn == 0 and score > 0) or score == 0:
                wrong += 1
        assert ob.zero_one_loss(w, x, y) == wrong / len(y)
    grid = rng.uniform(-4, 4, (7, 9, 2))  # many weights at once: the same counts
    assert ob.zero_one_loss(grid, x, y).shape == (7, 9)
    assert ob.zero_one_loss(grid, x, y)[3, 4] == ob.zero_one_loss(grid[3, 4], x, y)


def test_zero_one_loss_is_scale_invariant_and_takes_only_values_k_over_n(clouds):
    x, y = clouds
    w = np.array([1.3, -0.4])
    assert ob.zero_one_loss(w, x, y) == ob.zero_one_loss(7.5 * w, x, y)
    values = ob.zero_one_loss(np.random.default_rng(2).uniform(-4, 4, (500, 2)), x, y) * len(y)
    assert np.allclose(values, np.round(values))


def test_zero_one_gradient_is_zero_almost_everywhere_by_finite_differences_and_autodiff(clouds):
    x, y = clouds
    rng = np.random.default_rng(3)
    points = rng.uniform(-4, 4, (300, 2))
    fd = np.array([ob.finite_difference_gradient(lambda w: float(ob.zero_one_loss(w, x, y)), p) for p in points])
    zero = np.all(fd == 0, axis=1)
    assert zero.mean() >= 0.99, f"{(~zero).sum()} of 300 random points have a non-zero difference quotient"
    # the log-likelihood's difference quotients at the same points are not zero
    fd_log = np.array([ob.finite_difference_gradient(lambda w: float(ob.log_loss(w, x, y)), p) for p in points])
    assert np.all(np.linalg.norm(fd_log, axis=1) > 1e-6)
    for start in points[:5]:
        gd = ob.descend_both(x, y, start, 0.5, 50)
        assert np.all(gd.zero_one_gradient_norm == 0)
        assert np.all(gd.zero_one_path == start), "gradient descent on the 0-1 loss moved"
        assert np.all(gd.zero_one_losses == ob.zero_one_loss(start, x, y))


def test_gradient_descent_on_the_log_likelihood_matches_a_numpy_loop(clouds):
    x, y = clouds
    s = ob.signs(y)
    start, lr, n = np.array([-2.5, 3.0]), 0.5, 60
    gd = ob.descend_both(x, y, start, lr, n)
    w = start.copy()
    for k in range(n + 1):
        assert gd.log_path[k] == pytest.approx(w, abs=1e-12)
        assert gd.log_losses[k] == pytest.approx(ob.log_loss(w, x, y), abs=1e-12)
        assert gd.log_zero_one[k] == ob.zero_one_loss(w, x, y)
        sigma = 1.0 / (1.0 + np.exp(s * (x @ w)))  # d/dm log(1 + e^-m) = -sigma(-m)
        g = -(x * (s * sigma)[:, None]).mean(axis=0)
        assert gd.log_gradient_norm[k] == pytest.approx(np.linalg.norm(g), rel=1e-10)
        fd = ob.finite_difference_gradient(lambda v: float(ob.log_loss(v, x, y)), w, 1e-5)
        assert fd == pytest.approx(g, abs=1e-8)
        w = w - lr * g
    assert gd.log_losses[-1] < 0.2 * gd.log_losses[0]


def test_gradient_descent_program_compiles_once_for_every_start_rate_step_count_and_data():
    program = ob._descent_program.unbounded
    data = logistic_dataset(64, 1.0, 0)
    ob.descend_both(data[:, :2], data[:, 2], [1.0, 1.0], 0.1, 10)
    live = programs.programs_for(program)
    compiled = programs.program_stats()["compiled"]
    other = logistic_dataset(64, 0.5, 3)
    for start, lr, n in (([-2.0, 0.5], 3.0, 200), ([0.1, -3.0], 0.01, 37)):
        ob.descend_both(other[:, :2], other[:, 2], start, lr, n)
    assert programs.programs_for(program) == live
    assert programs.program_stats()["compiled"] == compiled
    with pytest.raises(ValueError):
        ob.descend_both(data[:, :2], data[:, 2], [1.0, 1.0], 0.1, ob.GD_STEPS + 1)


def _numpy_logits(params, inputs):
    """The MLP by hand: tanh hidden layers, a linear output unit."""
    h = np.asarray(inputs, dtype=float)
    for layer in params[:-1]:
        h = np.tanh(h @ np.asarray(layer.W) + np.asarray(layer.b))
    return (h @ np.asarray(params[-1].W) + np.asarray(params[-1].b))[:, 0]


def test_margins_equal_the_signed_logit_recomputed_and_count_the_runs_errors():
    data = make_dataset("moons", 300, 0.2, 0)
    net = mlp(2, (8, 8), "tanh")
    run = train(net, data, TrainSettings(optimizer="adam", lr=0.01, epochs=40, snapshot_every=10), seeds=[0, 1])
    x, t = data.part(TRAIN)
    for r in range(2):
        for i in range(len(run.epochs)):
            params = run.params(r, i)
            m = ob.margins(net, params, x, t)
            expected = np.where(t > 0.5, 1.0, -1.0) * _numpy_logits(params, x)
            assert m == pytest.approx(expected, abs=1e-10)
            assert ob.zero_one_from_margins(m) == pytest.approx(1 - run.accuracy[r, i, TRAIN], abs=1e-12)
