"""The trajectory engine: exact GD and Newton on quadratics, divergence handling, no recompilation
when any slider moves, and minibatches that are real, complete and unbiased.

Runs use n_steps <= 50 (one compiled step bucket) and the quadratic corridor, so the compiled
programs are shared between tests.
"""

from __future__ import annotations

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from landscapes import analytic
from optimizers import RunSettings, engine, run_trajectories
from optimizers.engine import SAMPLING, TRACE_COUNTS, batch_weights

N_STEPS = 50
EIGENVALUES = (1.0, 20.0)


def rotation_matrix(angle_degrees):
    a = np.deg2rad(angle_degrees)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def quadratic(eigenvalues=EIGENVALUES, angle=30.0, center=(0.0, 0.0), noise=1.0, seed=0):
    return analytic.quadratic_corridor(eigenvalues=eigenvalues, angle=angle, center=center, noise=noise, seed=seed)


@partial(jax.jit, static_argnums=0)
def per_sample_gradients(sample_loss, theta, samples, params):
    """(N, 2): each sample's gradient at theta, by plain autodiff."""
    return jax.vmap(jax.grad(sample_loss), in_axes=(None, 0, None))(theta, samples, params)


# ---- exact behaviour on quadratics ----------------------------------------------------------

@pytest.mark.parametrize("angle", [0.0, 30.0, 115.0])
def test_gd_on_quadratic_matches_closed_form_rate_along_eigenvectors(angle):
    center = np.array([0.3, -0.2])
    landscape = quadratic(angle=angle, center=tuple(center))
    lr = 0.09  # lr * lambda_max = 1.8: oscillating but stable along the steep direction
    result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], RunSettings(lr=lr, n_steps=N_STEPS))
    assert not result.diverged(0)
    errors = result.params[0] - center  # (T + 1, 2)
    components = errors @ rotation_matrix(angle)  # coordinates along the eigenvectors
    t = np.arange(N_STEPS + 1)[:, None]
    expected = (1.0 - lr * np.asarray(EIGENVALUES))[None, :] ** t * components[0][None, :]
    np.testing.assert_allclose(components, expected, rtol=0, atol=1e-10)
    # The engine's own readouts agree with the landscape at every iterate.
    np.testing.assert_allclose(result.loss[0], landscape.loss(result.params[0]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.grad_norm[0], np.linalg.norm(landscape.gradient(result.params[0]), axis=-1),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.lr[0], lr)


@pytest.mark.parametrize(
    "eigenvalues,angle,center", [((1.0, 20.0), 30.0, (0.0, 0.0)), ((0.5, 80.0), 70.0, (0.7, -1.2)), ((3.0, 3.0), 0.0, (-2.0, 1.0))]
)
def test_newton_reaches_quadratic_minimum_in_one_step_from_anywhere(eigenvalues, angle, center):
    landscape = quadratic(eigenvalues, angle, center)
    settings = RunSettings(newton_lr=1.0, lr=123.0, n_steps=3)  # lr is for first-order methods only
    for start in [(-2.9, 2.9), (2.5, 0.1), (0.0, -3.0), (1e-3, 1e-3), (40.0, -25.0)]:
        result = run_trajectories(landscape, "newton", [start], settings)
        np.testing.assert_allclose(result.params[0, 1:], np.broadcast_to(center, (3, 2)), rtol=0, atol=1e-10)


def test_half_newton_step_halves_the_error():
    landscape = quadratic((0.5, 80.0), 70.0, (0.7, -1.2))
    result = run_trajectories(landscape, "newton", [(-2.0, 2.0)], RunSettings(newton_lr=0.5, n_steps=4))
    errors = result.params[0] - np.array([0.7, -1.2])
    np.testing.assert_allclose(errors, errors[0] * 0.5 ** np.arange(5)[:, None], rtol=0, atol=1e-12)


# ---- divergence -----------------------------------------------------------------------------

@pytest.mark.parametrize("ratio", [1.1, 1.5])
def test_gd_divergence_above_two_over_lambda_max_is_caught(ratio):
    landscape = quadratic()
    lr = ratio * 2.0 / max(EIGENVALUES)
    result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], RunSettings(lr=lr, n_steps=N_STEPS))
    assert result.diverged(0)
    assert result.status[0] != 0
    at = int(result.diverged_at[0])
    assert 1 <= at <= N_STEPS
    assert result.valid_length(0) == at
    for array in (result.params, result.loss, result.grad_norm, result.batch_grad_norm, result.lr):
        assert np.all(np.isfinite(array))
    # It stopped because it left the box, after growing like |1 - lr lambda_max|^t.
    bound = 1000.0 * 6.0
    assert result.status[0] == 3
    path = result.path(0)
    assert len(path) == at
    assert np.abs(path).max() <= bound
    assert np.linalg.norm(path[-1]) > 0.1 * bound / (abs(1 - lr * max(EIGENVALUES)) + 1)
    assert result.losses(0)[-1] > 1e3 * result.losses(0)[0]
    # Every kept iterate is a GD step from the one before, and the next step is the first to leave the box.
    gradients = np.asarray(landscape.gradient(path))
    np.testing.assert_allclose(path[1:], path[:-1] - lr * gradients[:-1], rtol=1e-12, atol=1e-12)
    assert np.abs(path[-1] - lr * gradients[-1]).max() > bound
    # After the divergence the arrays repeat the last good iterate.
    np.testing.assert_array_equal(result.params[0, at:], np.broadcast_to(path[-1], result.params[0, at:].shape))


def test_gd_below_two_over_lambda_max_is_not_flagged():
    landscape = quadratic()
    result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], RunSettings(lr=0.99 * 2.0 / max(EIGENVALUES), n_steps=N_STEPS))
    assert not result.diverged(0)
    assert result.status[0] == 0
    assert result.diverged_at[0] == N_STEPS + 1
    assert result.valid_length(0) == N_STEPS + 1
    assert result.loss[0, -1] < result.loss[0, 0]


def test_overflow_without_a_bound_is_caught_and_arrays_stay_finite():
    landscape = quadratic()
    result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], RunSettings(lr=1e6, n_steps=N_STEPS, bound=math.inf))
    assert result.status[0] in (1, 2, 4)
    assert 1 <= result.diverged_at[0] <= N_STEPS
    for array in (result.params, result.loss, result.grad_norm, result.batch_grad_norm, result.lr):
        assert np.all(np.isfinite(array))


# ---- no recompilation -----------------------------------------------------------------------

NO_RECOMPILE_OPTIMIZERS = ["sgd", "momentum", "adamw", "newton", "damped_newton"]
FIRST_ORDER = {"sgd", "momentum", "adamw"}
ALL = set(NO_RECOMPILE_OPTIMIZERS)

# (change, the optimizers whose trajectory it must change; the others must not move)
SETTING_CHANGES = [
    (dict(lr=0.03), FIRST_ORDER),
    (dict(momentum=0.5), {"momentum"}),
    (dict(beta1=0.7), {"adamw"}),
    (dict(beta2=0.9), {"adamw"}),
    (dict(eps=0.1), {"adamw"}),
    (dict(weight_decay=0.2), {"adamw"}),
    (dict(damping=2.0), {"damped_newton"}),
    (dict(newton_lr=0.4), {"newton", "damped_newton"}),
    (dict(schedule="step", gamma=0.3, step_size=7), ALL),
    (dict(schedule="exponential", gamma=0.8, step_size=3), ALL),
    (dict(schedule="cyclical", period=12, min_ratio=0.2), ALL),
    (dict(schedule="cosine", min_ratio=0.3), ALL),
    (dict(warmup_steps=5), ALL),
    (dict(clip_norm=1.0), ALL),
    (dict(clip_value=0.5), ALL),
    (dict(batch_size=5), ALL),
    (dict(batch_size=8, seed=7), ALL),
    (dict(batch_size=7, sampling="replacement"), ALL),
    (dict(batch_size=16, sampling="sorted"), ALL),
    (dict(n_steps=37), ALL),
    (dict(bound=1.5), FIRST_ORDER),  # their first step stays outside |theta_i| < 1.5; Newton jumps to the centre
]


def _compiled_state():
    cache_size = engine._run_batch._cache_size() if hasattr(engine._run_batch, "_cache_size") else None
    return dict(TRACE_COUNTS), cache_size


def test_changing_any_setting_start_or_landscape_parameter_does_not_recompile():
    base_landscape = quadratic()
    base = RunSettings(lr=0.02, n_steps=40)
    start = [(-2.5, 2.0)]
    baseline = {key: run_trajectories(base_landscape, key, start, base) for key in NO_RECOMPILE_OPTIMIZERS}
    before = _compiled_state()

    def changed(result, key):
        # The iterates, and the learning rates the run used: pure Newton lands exactly on the
        # quadratic's minimum in one step and stays there whatever a schedule does later, so only
        # the recorded learning rate shows that a schedule reached its compiled program.
        reference = baseline[key]
        return result.params.shape != reference.params.shape or not np.array_equal(result.params, reference.params) \
            or not np.array_equal(result.lr, reference.lr)

    for change, affected in SETTING_CHANGES:
        for key in NO_RECOMPILE_OPTIMIZERS:
            result = run_trajectories(base_landscape, key, start, base.replace(**change))
            assert changed(result, key) == (key in affected), (change, key)
    for landscape in (quadratic(eigenvalues=(2.0, 50.0), angle=70.0), quadratic(center=(0.5, 0.5))):
        results = {key: run_trajectories(landscape, key, start, base) for key in NO_RECOMPILE_OPTIMIZERS}
        assert all(changed(r, key) for key, r in results.items())
    # New samples of the same shape (the full-batch mean is unchanged, so compare minibatch runs).
    minibatch = base.replace(batch_size=8)
    for key in NO_RECOMPILE_OPTIMIZERS:
        old = run_trajectories(base_landscape, key, start, minibatch)
        new = run_trajectories(quadratic(noise=0.3, seed=3), key, start, minibatch)
        assert np.abs(old.params - new.params).max() > 1e-6
    results = {key: run_trajectories(base_landscape, key, [(1.0, -1.5)], base) for key in NO_RECOMPILE_OPTIMIZERS}
    assert all(changed(r, key) for key, r in results.items())

    after = _compiled_state()
    assert after == before, f"recompiled: {before} -> {after}"


def test_hyperparameter_grid_via_overrides_matches_separate_runs_and_does_not_recompile():
    landscape = quadratic()
    base = RunSettings(lr=0.02, momentum=0.9, n_steps=30)
    starts = [(-2.5, 2.0)] * 3
    lrs = [0.01, 0.03, 0.05]
    grid = run_trajectories(landscape, "momentum", starts, base, overrides={"lr": lrs})
    for i, lr in enumerate(lrs):
        single = run_trajectories(landscape, "momentum", starts[:1], base.replace(lr=lr))
        np.testing.assert_allclose(grid.params[i], single.params[0], rtol=1e-14, atol=1e-14)
    before = _compiled_state()
    run_trajectories(landscape, "momentum", starts, base)
    run_trajectories(landscape, "momentum", starts, base, overrides={"momentum": [0.1, 0.5, 0.9]})
    run_trajectories(landscape, "momentum", starts, base.replace(schedule="step"), overrides={"gamma": [0.1, 0.5, 0.9]})
    run_trajectories(landscape, "momentum", starts, base, overrides={"batch_size": [1, 8, 64], "lr": lrs})
    run_trajectories(landscape, "momentum", starts, base, seeds=[1, 2, 3])
    assert _compiled_state() == before


# ---- minibatches ----------------------------------------------------------------------------

N_SAMPLES = 64
TABLE_STEPS = 3 * N_SAMPLES  # three epochs even for B = 1; one fixed length, so one compiled program


@partial(jax.jit, static_argnums=1)
def _weights_table(key, n_samples, batch_size, sampling):
    steps = jnp.arange(TABLE_STEPS, dtype=jnp.int32)
    return jax.vmap(lambda t: batch_weights(t, key, n_samples, batch_size, sampling))(steps)


def weights_over_steps(n_steps, seed, batch_size, sampling, n_samples=N_SAMPLES):
    """(n_steps, N): the batch weights of steps 0 .. n_steps - 1 for the engine's key PRNGKey(seed)."""
    assert n_steps <= TABLE_STEPS
    key = jax.random.PRNGKey(jnp.uint32(seed))
    return np.asarray(_weights_table(key, n_samples, batch_size, SAMPLING.index(sampling)))[:n_steps]


@partial(jax.jit, static_argnums=2)
def weights_over_seeds(t, seeds, n_samples, batch_size, sampling):
    """(S, N): the batch weights at step t for each seed (the engine's key is PRNGKey(seed))."""
    return jax.vmap(lambda s: batch_weights(t, jax.random.PRNGKey(s), n_samples, batch_size, sampling))(seeds)


@pytest.mark.parametrize("batch_size", [1, 7, 8, 10, 63, 64])
def test_shuffle_uses_every_sample_exactly_once_per_epoch(batch_size):
    n, B = N_SAMPLES, batch_size
    steps_per_epoch = -(-n // B)
    epochs = 3
    weights = weights_over_steps(epochs * steps_per_epoch, 5, B, "shuffle")
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-14)
    used = weights > 0
    sizes = used.sum(axis=1).reshape(epochs, steps_per_epoch)
    expected_sizes = [B] * (steps_per_epoch - 1) + [n - (steps_per_epoch - 1) * B]
    assert (sizes == np.array(expected_sizes)[None, :]).all()
    # Every weight in a batch is 1 / (batch size): a plain minibatch mean.
    np.testing.assert_allclose(weights[used], np.repeat(1.0 / used.sum(axis=1), used.sum(axis=1)), rtol=1e-14)
    per_epoch = used.reshape(epochs, steps_per_epoch, n).sum(axis=1)
    assert (per_epoch == 1).all(), "each sample exactly once per epoch"
    if 1 < steps_per_epoch:
        first, second = used[:steps_per_epoch], used[steps_per_epoch : 2 * steps_per_epoch]
        assert not np.array_equal(first, second), "each epoch reshuffles"
        assert not np.array_equal(first[0], np.arange(n) < B), "batches are shuffled, not in stored order"


def test_sorted_sampling_takes_consecutive_blocks_in_stored_order():
    n, B = N_SAMPLES, 10
    weights = weights_over_steps(14, 0, B, "sorted")
    for t, w in enumerate(weights):
        k = t % 7
        expected = np.zeros(n)
        block = np.arange(k * B, min((k + 1) * B, n))
        expected[block] = 1.0 / len(block)
        np.testing.assert_allclose(w, expected, rtol=1e-14)


def test_replacement_sampling_draws_batch_size_samples():
    weights = weights_over_steps(20, 3, 10, "replacement")
    counts = weights * 10
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-12)
    assert (np.round(counts).sum(axis=1) == 10).all()


@pytest.mark.parametrize("batch_size", [8, 10])
def test_minibatch_gradients_over_one_epoch_average_to_the_full_gradient(batch_size):
    landscape = quadratic()
    theta = jnp.array([1.2, -0.7])
    grads = np.asarray(per_sample_gradients(landscape.sample_loss, theta, landscape.samples, landscape.params))
    full = np.asarray(landscape.gradient(theta))
    n, B = landscape.n_samples, batch_size
    steps_per_epoch = -(-n // B)
    weights = weights_over_steps(2 * steps_per_epoch, 11, B, "shuffle")[steps_per_epoch:]  # the second epoch
    batch_gradients, sizes = [], []
    for w in weights:
        members = np.flatnonzero(w > 0)
        batch_gradients.append(grads[members].mean(axis=0))  # the minibatch mean, from the indices
        sizes.append(len(members))
        np.testing.assert_allclose(w @ grads, batch_gradients[-1], rtol=1e-12, atol=1e-14)
    batch_gradients, sizes = np.array(batch_gradients), np.array(sizes)
    assert np.abs(batch_gradients - full).max() > 0.05, "minibatch gradients must be noisy here"
    # Batches weighted by their share of the data (all equal when B divides N) recover the full gradient.
    np.testing.assert_allclose((sizes / n) @ batch_gradients, full, rtol=1e-12, atol=1e-13)
    if n % B == 0:
        np.testing.assert_allclose(batch_gradients.mean(axis=0), full, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("sampling,t", [("shuffle", 0), ("shuffle", 13), ("replacement", 4)])
def test_minibatch_gradient_is_unbiased_over_seeds(sampling, t):
    landscape = quadratic()
    theta = jnp.array([1.2, -0.7])
    grads = np.asarray(per_sample_gradients(landscape.sample_loss, theta, landscape.samples, landscape.params))
    full = np.asarray(landscape.gradient(theta))
    n, B, S = landscape.n_samples, 8, 4000
    weights = np.asarray(weights_over_seeds(jnp.asarray(t), jnp.arange(S, dtype=jnp.uint32), n, B, SAMPLING.index(sampling)))
    estimates = weights @ grads  # (S, 2)
    population_variance = grads.var(axis=0)
    if sampling == "shuffle":  # B distinct samples: variance of the mean without replacement
        variance = population_variance / B * (n - B) / (n - 1)
    else:
        variance = population_variance / B
    standard_error = np.sqrt(variance / S)
    assert np.all(np.abs(estimates.mean(axis=0) - full) < 4.5 * standard_error), (estimates.mean(axis=0), full, standard_error)
    # The spread matches the sampling scheme's variance (rel. s.e. of a variance ~ sqrt(2 / S) = 2 %).
    np.testing.assert_allclose(estimates.var(axis=0), variance, rtol=0.12)


def test_engine_minibatch_sgd_follows_the_batch_weights():
    landscape = quadratic()
    lr, B, seed, steps = 0.04, 10, 5, 20
    for sampling in SAMPLING:
        settings = RunSettings(lr=lr, batch_size=B, sampling=sampling, seed=seed, n_steps=steps)
        result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], settings)
        weights = weights_over_steps(steps, seed, B, sampling)
        theta = np.array([-2.5, 2.0])
        for t in range(steps):
            np.testing.assert_allclose(result.params[0, t], theta, rtol=1e-12, atol=1e-13)
            g = weights[t] @ np.asarray(per_sample_gradients(landscape.sample_loss, jnp.asarray(theta), landscape.samples,
                                                             landscape.params))
            np.testing.assert_allclose(result.batch_grad_norm[0, t], np.linalg.norm(g), rtol=1e-12)
            theta = theta - lr * g
        np.testing.assert_allclose(result.params[0, steps], theta, rtol=1e-12, atol=1e-13)


def test_minibatch_paths_depend_on_the_seed_and_are_reproducible():
    landscape = quadratic()
    settings = RunSettings(lr=0.04, batch_size=4, n_steps=N_STEPS)
    a = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], settings.replace(seed=1))
    b = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], settings.replace(seed=1))
    c = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], settings.replace(seed=2))
    full = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], settings.replace(batch_size=None))
    np.testing.assert_array_equal(a.params, b.params)
    assert np.abs(a.params - c.params).max() > 1e-3
    assert np.abs(a.params - full.params).max() > 1e-3


def test_batch_of_all_samples_is_exactly_full_batch_gd():
    landscape = quadratic()
    settings = RunSettings(lr=0.04, n_steps=N_STEPS)
    full = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], settings.replace(batch_size=None))
    for change in (dict(batch_size=64), dict(batch_size=64, sampling="sorted", seed=9), dict(batch_size=10_000)):
        result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], settings.replace(**change))
        np.testing.assert_array_equal(result.params, full.params)
    # and full-batch GD is plain GD on the mean loss
    theta = np.array([-2.5, 2.0])
    for t in range(N_STEPS):
        theta = theta - 0.04 * np.asarray(landscape.gradient(theta))
    np.testing.assert_allclose(full.params[0, -1], theta, rtol=1e-12, atol=1e-14)


def test_recorded_learning_rates_follow_the_schedule():
    landscape = quadratic()
    settings = RunSettings(lr=0.05, n_steps=N_STEPS, schedule="step", gamma=0.5, step_size=10, warmup_steps=4)
    result = run_trajectories(landscape, "sgd", [(-2.5, 2.0)], settings)
    t = np.arange(N_STEPS + 1)
    np.testing.assert_allclose(result.lr[0], 0.05 * 0.5 ** (t // 10) * np.minimum(1.0, (t + 1) / 4), rtol=1e-14)
    # and the steps taken used those rates: theta_{t+1} = theta_t - lr_t g_t
    steps = result.params[0, 1:] - result.params[0, :-1]
    gradients = np.asarray(landscape.gradient(result.params[0, :-1]))
    np.testing.assert_allclose(steps, -result.lr[0, :-1, None] * gradients, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("n", [200, 512])
def test_large_datasets_draw_the_same_batches_by_sorting_as_by_comparisons(n, monkeypatch):
    """Beyond SMALL_N samples the batch is found with a stable double argsort and a scatter-add
    (O(N log N)) instead of N x N comparisons: the weights must be identical."""
    key = jax.random.PRNGKey(3)
    for t, sampling, batch in [(0, 0, 1), (5, 0, 7), (13, 1, 64), (2, 2, 33), (40, 1, 1)]:
        by_sorting = np.asarray(batch_weights(t, key, n, batch, sampling))
        monkeypatch.setattr(engine, "SMALL_N", 10**6)
        by_comparisons = np.asarray(batch_weights(t, key, n, batch, sampling))
        monkeypatch.setattr(engine, "SMALL_N", 128)
        np.testing.assert_array_equal(by_sorting, by_comparisons)


# ---- the race's readouts and the closed-form 2 x 2 algebra -----------------------------------

def test_race_hessians_are_the_landscape_hessians_at_the_recorded_iterates():
    from optimizers import run_race

    landscape = analytic.rosenbrock()
    race = run_race(landscape, ["sgd", "adam", "newton"], RunSettings(lr=2e-3, n_steps=N_STEPS, batch_size=8))
    for trajectory in race.values():
        np.testing.assert_allclose(trajectory.hessian[0], landscape.hessian(trajectory.params[0]), rtol=1e-12, atol=1e-9)
    # after a divergence the records hold the last good iterate, and its Hessian
    diverged = run_race(landscape, ["sgd"], RunSettings(lr=0.05, n_steps=N_STEPS))["sgd"]
    assert diverged.diverged(0)
    last = diverged.valid_length(0) - 1
    np.testing.assert_allclose(diverged.hessian[0, last:], np.broadcast_to(landscape.hessian(diverged.params[0, last]),
                                                                           diverged.hessian[0, last:].shape), rtol=1e-12)


def test_closed_form_2x2_solve_and_eigh_match_the_general_routines():
    from optimizers.second_order import solve, symmetric_eigh

    rng = np.random.default_rng(0)
    for _ in range(20):
        A, b = rng.standard_normal((2, 2)) * 10.0 ** rng.integers(-3, 4), rng.standard_normal(2)
        np.testing.assert_allclose(solve(jnp.asarray(A), jnp.asarray(b)), np.linalg.solve(A, b), rtol=1e-9)
        H = A + A.T
        lam, V = symmetric_eigh(jnp.asarray(H))
        np.testing.assert_allclose(lam, np.linalg.eigvalsh(H), rtol=1e-12, atol=1e-12 * np.abs(H).max())
        np.testing.assert_allclose(np.asarray(V) @ np.diag(lam) @ np.asarray(V).T, H, atol=1e-12 * np.abs(H).max())
        np.testing.assert_allclose(np.asarray(V).T @ np.asarray(V), np.eye(2), atol=1e-14)
    lam, V = symmetric_eigh(jnp.eye(2) * 3.0)  # a repeated eigenvalue
    np.testing.assert_allclose(lam, [3.0, 3.0])
    np.testing.assert_allclose(np.asarray(V).T @ np.asarray(V), np.eye(2), atol=1e-15)
