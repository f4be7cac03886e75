"""analysis.normalization_study against references: networks.hessian's exact eigenvalues, separate training
runs (brute force), closed forms on a quadratic, the model's own forward pass, and networks.train."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from analysis import normalization_study as ns
from networks import TrainSettings, flatten_params, init_params, make_dataset, mlp, train
from networks import hessian as nh
from networks.datasets import TRAIN
from networks.model import forward, mean_loss, unflatten_params
from networks.normalization import Running


@pytest.fixture(scope="module")
def moons():
    return make_dataset("moons", 300, 0.2, 0)


def perturbed(architecture, seed=0, scale=0.3):
    """Initial parameters moved at random (gamma and beta away from 1 and 0 too)."""
    theta = flatten_params(init_params(architecture, seed))
    return theta + scale * np.random.default_rng(seed + 1).standard_normal(theta.shape)


# ---- curvature -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, {"normalization": "batch"}, {"skip": True}, {"normalization": "layer"}])
def test_spectra_equal_networks_hessian_eigenvalues(moons, options):
    net = mlp(2, (8, 8, 8), "tanh", **options)
    thetas = np.stack([flatten_params(init_params(net, 0)), perturbed(net)])
    inputs, targets = moons.part(TRAIN)
    ours = ns.spectra(net, thetas, inputs, targets)
    for theta, ev in zip(thetas, ours):
        reference = nh.eigenvalues(net, theta, moons)
        assert np.allclose(ev, reference, atol=1e-9 * np.abs(reference).max())
        a, b = ns.curvature_summary(ev), ns.curvature_summary(reference)
        assert a.lambda_max == pytest.approx(b.lambda_max, rel=1e-9)
        assert a.n_negative == b.n_negative and a.n_zero == b.n_zero
        assert a.kappa_positive == pytest.approx(b.kappa_positive, rel=1e-5)


def test_curvature_summary_on_a_known_spectrum():
    s = ns.curvature_summary([0.5, -2.0, 4.0, 0.0, 1e-20, -1.0, 2e-15])  # 2e-15 is below 7 eps 4 = 6.2e-15
    assert s.lambda_max == 4.0 and s.lambda_min == -2.0
    assert s.tolerance == pytest.approx(7 * np.finfo(float).eps * 4.0, rel=1e-12, abs=0)
    assert s.n_negative == 2 and s.n_zero == 3
    assert s.smallest_positive == 0.5 and s.kappa_positive == pytest.approx(8.0)


def test_batch_norm_leaves_the_biases_before_it_flat(moons):
    """Batch norm before the activation subtracts the batch mean, so b of every normalized layer has no effect:
    at least one exact zero eigenvalue per such unit (24 for 3 x 8)."""
    net = mlp(2, (8, 8, 8), "tanh", normalization="batch")
    inputs, targets = moons.part(TRAIN)
    ev = ns.spectra(net, perturbed(net)[None], inputs, targets)[0]
    assert ns.curvature_summary(ev).n_zero >= 24
    plain = mlp(2, (8, 8, 8), "tanh")
    assert ns.curvature_summary(ns.spectra(plain, perturbed(plain)[None], inputs, targets)[0]).n_zero == 0


# ---- the largest stable learning rate --------------------------------------------------------------------

def test_diverged_and_largest_stable_lr_rules():
    losses = np.array([[1.0, 0.9, 0.8], [1.0, 1.2, 0.5], [1.0, 0.9, np.nan], [1.0, 1.0, 0.9]])
    assert list(ns.diverged([0, 0, 0, 0], losses)) == [False, True, True, False]
    assert list(ns.diverged([0, 0, 0, 3], losses)) == [False, True, True, True]
    assert ns.largest_stable_lr([0.1, 0.2, 0.4, 0.8], [False, False, True, False]) == (0.2, 0.4)
    stable, first = ns.largest_stable_lr([0.1, 0.2], [True, True])
    assert np.isnan(stable) and first == 0.1
    stable, first = ns.largest_stable_lr([0.1, 0.2], [False, False])
    assert stable == 0.2 and np.isnan(first)


@pytest.mark.parametrize("options", [{}, {"normalization": "batch"}])
def test_largest_stable_lr_is_the_first_diverging_grid_value_by_separate_runs(moons, options):
    net = mlp(2, (8, 8, 8), "tanh", **options)
    theta0 = flatten_params(init_params(net, 0))
    grid = np.array([0.1, 0.6, 1.0, 2.5])
    steps = 16
    sweep = ns.stability_sweep(net, moons, theta0, grid, steps)
    inputs, targets = moons.part(TRAIN)
    brute = []
    for lr in grid:  # one run per learning rate, its losses by the model's own mean_loss (training mode)
        run = train(net, moons, TrainSettings(optimizer="sgd", lr=float(lr), batch_size=len(targets), epochs=steps,
                                              snapshot_every=1), initial_params=theta0[None])
        losses = np.array([float(mean_loss(net, run.params(0, i), inputs, targets)) for i in range(run.valid_snapshots(0))])
        bad = run.status[0] in (1, 2, 3) or np.any(~(losses[1:] <= losses[0]))
        brute.append(bad)
        assert np.allclose(sweep.losses[list(grid).index(lr), :len(losses)], losses, rtol=1e-9, atol=1e-12)
    assert list(sweep.diverging) == brute
    assert any(brute) and not all(brute), "the grid must hold a stable and an unstable rate"
    first = int(np.argmax(brute))
    assert sweep.first_diverging == grid[first]
    assert first > 0 and sweep.largest_stable == grid[first - 1]


def test_gradient_descent_on_a_quadratic_is_stable_below_two_over_lambda_max():
    """The rule the page compares with: x <- x - eta A x shrinks every component iff eta < 2 / lambda_max."""
    A = np.diag([4.0, 1.0, 0.25])
    for eta, stable in ((0.49, True), (0.51, False)):
        x = np.ones(3)
        for _ in range(200):
            x = x - eta * A @ x
        assert (np.linalg.norm(x) < 1.0) == stable


# ---- smoothness ------------------------------------------------------------------------------------------

def test_step_profile_on_a_quadratic_equals_the_closed_forms():
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    A = Q @ np.diag([5.0, 2.0, 0.5, 0.1]) @ Q.T
    b = rng.standard_normal(4)
    theta = rng.standard_normal(4)
    loss = lambda t: 0.5 * t @ jnp.asarray(A) @ t - jnp.asarray(b) @ t  # noqa: E731
    etas = np.array([0.01, 0.1, 0.3, 1.0])
    profile = ns.gradient_step_profile(loss, jnp.asarray(theta), jnp.asarray(etas))
    g = A @ theta - b
    L0 = 0.5 * theta @ A @ theta - b @ theta
    closed = L0 - etas * (g @ g) + 0.5 * etas**2 * (g @ A @ g)
    assert float(profile.loss) == pytest.approx(L0, rel=1e-12)
    assert float(profile.grad_norm) == pytest.approx(np.linalg.norm(g), rel=1e-12)
    assert np.allclose(profile.step_losses, closed, rtol=1e-12)
    assert np.allclose(profile.grad_changes, etas * np.linalg.norm(A @ g), rtol=1e-12)
    bands = ns.smoothness(ns.StepProfile(*(np.asarray(a)[None] for a in profile)), etas)
    assert bands.loss_spread[0] == pytest.approx(closed.max() - closed.min(), rel=1e-12)
    assert bands.loss_low[0] == pytest.approx(closed.min()) and bands.loss_high[0] == pytest.approx(closed.max())
    # effective beta: |A g| / |g|, a Rayleigh-type quotient between lambda_min and lambda_max
    assert bands.beta[0] == pytest.approx(np.linalg.norm(A @ g) / np.linalg.norm(g), rel=1e-12)
    assert 0.1 <= bands.beta[0] <= 5.0


def test_step_profiles_of_a_network_equal_direct_evaluation(moons):
    net = mlp(2, (8, 8, 8), "tanh", normalization="batch")
    inputs, targets = moons.part(TRAIN)
    theta = perturbed(net)
    etas = np.array([0.05, 0.5])
    profile = ns.step_profiles(net, theta[None], etas, inputs, targets)
    g = nh.gradient(net, theta, moons)
    for k, eta in enumerate(etas):
        moved = theta - eta * g
        assert profile.step_losses[0, k] == pytest.approx(float(mean_loss(net, unflatten_params(net, moved), inputs, targets)),
                                                          rel=1e-10)
        assert profile.grad_changes[0, k] == pytest.approx(np.linalg.norm(nh.gradient(net, moved, moons) - g), rel=1e-8)


# ---- training against evaluation mode ------------------------------------------------------------------

def bn_state(seed=0):
    net = mlp(2, (8, 8, 8), "tanh", normalization="batch")
    params = unflatten_params(net, perturbed(net, seed))
    rng = np.random.default_rng(seed)
    running = [Running(rng.normal(0, 0.3, 8), rng.uniform(0.5, 2.0, 8)) for _ in range(3)]
    return net, params, running


def test_single_sample_training_mode_output_does_not_depend_on_the_input(moons):
    net, params, running = bn_state()
    inputs = moons.inputs[:40]
    singles = np.array([float(forward(net, params, x[None])[0]) for x in inputs])
    assert np.ptp(singles) == 0.0  # exactly one value: every normalized unit outputs its beta
    evaluation = np.asarray(forward(net, params, inputs, running))
    assert np.ptp(evaluation) > 0.1
    theta = flatten_params(params)[None]
    stacked = [Running(r.mean[None], r.var[None]) for r in running]
    e, t = ns.mode_outputs(net, theta, stacked, inputs, 1, 64)
    assert np.ptp(t[0]) == 0.0 and t[0, 0] == pytest.approx(singles[0], rel=1e-12)
    assert np.allclose(e[0], evaluation, rtol=1e-12)


def test_mode_outputs_use_each_points_own_minibatch(moons):
    net, params, running = bn_state(1)
    inputs = moons.inputs[:37]
    batch = 8
    batches, weights, index = ns.batches_of(inputs, batch, 64, seed=0)
    theta = flatten_params(params)[None]
    stacked = [Running(r.mean[None], r.var[None]) for r in running]
    _, t = ns.mode_outputs(net, theta, stacked, inputs, batch, 64, seed=0)
    order = np.random.default_rng(0).permutation(len(inputs))
    for start in range(0, len(inputs), batch):
        rows = order[start:start + batch]
        assert np.allclose(t[0, rows], np.asarray(forward(net, params, inputs[rows])), rtol=1e-10)
    assert sorted(index[index >= 0]) == list(range(len(inputs)))


# ---- depth -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("skip", [False, True])
def test_depth_study_equals_networks_train_by_full_batch_sgd(moons, skip):
    stack = ns.stack_from_params(init_params(mlp(2, [8] * ns.MAX_STUDY_DEPTH, "tanh"), 3))
    inputs, targets = moons.part(TRAIN)
    depths, steps, lr = [1, 3, 5], 12, 0.5
    losses = ns.depth_study([stack] * len(depths), depths, [float(skip)] * len(depths), [lr] * len(depths), inputs,
                            targets, steps)
    for d, row in zip(depths, losses):
        net = mlp(2, [8] * d, "tanh", skip=skip)
        run = train(net, moons, TrainSettings(optimizer="sgd", lr=lr, batch_size=len(targets), epochs=steps, snapshot_every=1),
                    initial_params=[ns.params_of_depth(stack, d)])
        assert np.allclose(row, run.loss[0, :, 0], rtol=1e-10), d
