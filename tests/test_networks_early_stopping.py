"""The patience rule of networks.early_stopping against a plain loop, and the hold-out comparison."""

from __future__ import annotations

import numpy as np
import pytest

from networks import make_dataset
from networks.datasets import TEST, TRAIN, VALIDATION
from networks.early_stopping import early_stop, early_stops, hold_out_cost, split_for_retraining


def reference(values, patience):
    """The rule written as a loop with a counter of epochs without a strict improvement."""
    best, best_value, wait = 0, values[0] if np.isfinite(values[0]) else np.inf, 0
    for e in range(1, len(values)):
        v = values[e] if np.isfinite(values[e]) else np.inf
        if v < best_value:
            best, best_value, wait = e, v, 0
        else:
            wait += 1
        if wait > patience:
            return e, best, True
    return len(values) - 1, best, False


@pytest.mark.parametrize("seed", range(40))
def test_rule_equals_the_loop_on_random_curves_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    values = rng.integers(0, 6, n).astype(float) if seed % 2 else rng.random(n).cumsum()[::-1] + rng.random(n)
    for patience in (0, 1, 2, 5, n - 1, n, n + 3):
        got = early_stop(values, patience)
        stop, best, triggered = reference(values, patience)
        assert (got.stop_epoch, got.best_epoch, got.triggered) == (stop, best, triggered), (values, patience)
        # the restored epoch is the first argmin of the losses actually run
        assert got.best_epoch == int(np.argmin(values[:got.stop_epoch + 1]))
        assert got.best_loss == values[got.best_epoch]


def test_patience_zero_stops_at_the_first_epoch_without_a_strict_improvement():
    values = [3.0, 2.0, 2.0, 1.0, 0.5]
    rule = early_stop(values, 0)
    assert (rule.stop_epoch, rule.best_epoch, rule.triggered) == (2, 1, True)  # the tie at epoch 2 is no improvement
    rule = early_stop(values, 1)
    assert (rule.stop_epoch, rule.best_epoch, rule.triggered) == (4, 4, False)  # waits through the tie, then improves


def test_patience_as_long_as_the_run_never_stops_and_restores_the_global_minimum():
    values = [5.0, 1.0, 2.0, 3.0, 4.0, 6.0]
    rule = early_stop(values, len(values))
    assert (rule.stop_epoch, rule.best_epoch, rule.triggered) == (5, 1, False)
    rule = early_stop(values, 3)
    assert (rule.stop_epoch, rule.best_epoch, rule.triggered) == (5, 1, True)  # 5 - 1 = 4 > 3


def test_non_finite_losses_are_no_improvement():
    rule = early_stop([2.0, np.nan, np.inf, 1.0], 1)
    assert (rule.stop_epoch, rule.best_epoch) == (2, 0)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        early_stop([], 3)
    with pytest.raises(ValueError):
        early_stop([1.0, 2.0], -1)


def test_retraining_split_moves_only_the_validation_points():
    data = make_dataset("curve", 100, 0.5, 3)
    moved = split_for_retraining(data)
    assert np.sum(moved.split == VALIDATION) == 0
    assert np.sum(moved.split == TRAIN) == np.sum(data.split == TRAIN) + np.sum(data.split == VALIDATION)
    assert np.array_equal(moved.split == TEST, data.split == TEST)
    assert np.array_equal(moved.inputs, data.inputs) and np.array_equal(moved.targets, data.targets)


def test_hold_out_cost_reads_both_runs_at_the_restored_epoch():
    rng = np.random.default_rng(0)
    first, second = rng.random((3, 30, 3)), rng.random((3, 30, 3))
    cost = hold_out_cost(first, second, 4)
    for r, rule in enumerate(early_stops(first[:, :, VALIDATION], 4)):
        assert cost.best_epochs[r] == rule.best_epoch and cost.stop_epochs[r] == rule.stop_epoch
        assert cost.early_stopped_test[r] == first[r, rule.best_epoch, TEST]
        assert cost.retrained_test[r] == second[r, rule.best_epoch, TEST]
        assert cost.end_of_run_test[r] == first[r, -1, TEST]


# ---- networks.regularization: Adam + L2 and AdamW with their optimizer state, against optax ----------------

def _adam_state(state):
    """The ScaleByAdamState inside an optax state (however deeply chained)."""
    import optax

    if isinstance(state, optax.ScaleByAdamState):
        return state
    if isinstance(state, (tuple, list)):
        for part in state:
            found = _adam_state(part)
            if found is not None:
                return found
    return None


def test_decay_runs_equal_optax_adam_with_added_decay_and_adamw_and_their_second_moments():
    import jax
    import optax

    from networks import flatten_params, init_params, mlp
    from networks.model import mean_loss, unflatten_params
    from networks.regularization import decay_runs

    architecture = mlp(1, [8, 8], "tanh", task="regression")
    data = make_dataset("curve", 40, 0.5, 1)
    theta0 = flatten_params(init_params(architecture, 2))
    lr, l2, wd, steps = 0.02, 0.05, 0.5, 30
    hyper = {"lr": lr, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "l2": [0.0, l2, 0.0], "weight_decay": [0.0, 0.0, wd]}
    runs = decay_runs(architecture, data, np.stack([theta0] * 3), hyper, steps, n_records=steps + 1)
    assert runs.finite.all() and np.all(runs.count == steps)

    inputs, targets = data.train

    def loss(theta):
        return mean_loss(architecture, unflatten_params(architecture, theta), inputs, targets)

    gradient = jax.grad(loss)
    oracles = [optax.adam(lr, 0.9, 0.99, 1e-8), optax.chain(optax.add_decayed_weights(l2), optax.adam(lr, 0.9, 0.99, 1e-8)),
               optax.adamw(lr, 0.9, 0.99, 1e-8, weight_decay=wd)]
    for r, oracle in enumerate(oracles):
        theta = np.asarray(theta0)
        state = oracle.init(theta)
        for _ in range(steps):
            updates, state = oracle.update(gradient(theta), state, theta)
            theta = optax.apply_updates(theta, updates)
        np.testing.assert_allclose(runs.theta[r], theta, rtol=1e-9, atol=1e-12)
        nu = np.asarray(_adam_state(state).nu)
        np.testing.assert_allclose(runs.second_moment[r], nu, rtol=1e-9, atol=1e-20)
        # the effective decay per step read from the state: lr l2 / (sqrt(v^) + eps) + lr wd
        v_hat = nu / (1 - 0.99**steps)
        expected = lr * hyper["l2"][r] / (np.sqrt(v_hat) + 1e-8) + lr * hyper["weight_decay"][r]
        np.testing.assert_allclose(runs.effective_decay()[r], expected, rtol=1e-9)
    assert np.all(runs.effective_decay()[0] == 0) and np.allclose(runs.effective_decay()[2], lr * wd)
    # the records are the losses of every split (without the penalty) at steps 0, 1, ...
    assert np.array_equal(runs.steps, np.arange(steps + 1))
    for k in range(3):
        x, t = data.part(k)
        np.testing.assert_allclose(runs.loss[:, 0, k], mean_loss(architecture, unflatten_params(architecture, theta0), x, t),
                                   rtol=1e-10)


def test_the_penalty_share_of_an_adam_step_is_lr_l2_theta_over_root_v_hat():
    """One Adam step with the penalty minus the same step without it, from a state whose moments already
    hold the penalized gradients: their difference is the decay part, lr m^_penalty / (sqrt(v^) + eps), and
    m^_penalty ~ l2 theta (exactly when beta1 = 0)."""
    from optimizers.first_order import AdamState, adam_update

    rng = np.random.default_rng(0)
    theta, g = rng.standard_normal(50), rng.standard_normal(50) * np.geomspace(1e-3, 1e1, 50)
    l2, lr, eps = 0.01, 0.001, 1e-8
    hyper = {"lr": lr, "beta1": 0.0, "beta2": 0.999, "eps": eps}
    state = AdamState(np.int32(100), np.zeros(50), (g + l2 * theta) ** 2)
    with_penalty, new_state = adam_update(g + l2 * theta, state, theta, hyper)
    v_hat = np.asarray(new_state.second_moment) / (1 - 0.999**101)
    without = theta - lr * g / (np.sqrt(v_hat) + eps)  # the loss's part of the same step (same v^)
    np.testing.assert_allclose(without - np.asarray(with_penalty), lr * l2 * theta / (np.sqrt(v_hat) + eps), rtol=1e-9)


def test_decay_runs_equal_the_house_training_with_its_l2_penalty_at_full_batch():
    """networks.train with TrainSettings.l2 / weight_decay and the whole training set as one batch takes the
    same steps as the page's decay runs (one step per epoch)."""
    from networks import TrainSettings, flatten_params, init_params, mlp, train
    from networks.datasets import TRAIN as TRAINING
    from networks.regularization import decay_runs

    architecture = mlp(1, [8, 8], "tanh", task="regression")
    data = make_dataset("curve", 40, 0.5, 1)
    n_train = int(np.sum(data.split == TRAINING))
    theta0 = flatten_params(init_params(architecture, 2))
    lr, l2, wd, steps = 0.02, 0.05, 0.5, 20
    settings = TrainSettings(optimizer="adamw", lr=lr, beta2=0.99, batch_size=n_train, epochs=steps, snapshot_every=steps)
    house = train(architecture, data, settings, seeds=[0, 0, 0], initial_params=np.stack([theta0] * 3),
                  hyper_overrides={"l2": [0.0, l2, 0.0], "weight_decay": [0.0, 0.0, wd]})
    ours = decay_runs(architecture, data, np.stack([theta0] * 3),
                      {"lr": lr, "beta1": 0.9, "beta2": 0.99, "eps": 1e-8, "l2": [0.0, l2, 0.0], "weight_decay": [0.0, 0.0, wd]},
                      steps, n_records=steps + 1)
    np.testing.assert_allclose(ours.theta, house.final_theta, rtol=1e-8, atol=1e-11)
    np.testing.assert_allclose(ours.loss[:, -1], house.loss[:, -1], rtol=1e-8)


def test_a_decay_run_thrown_too_far_stops_at_its_last_good_step():
    from networks import flatten_params, init_params, mlp
    from networks.regularization import decay_runs
    from networks.training import DIVERGENCE_BOUND

    architecture = mlp(1, [8, 8], "tanh", task="regression")
    data = make_dataset("curve", 40, 0.5, 1)
    theta0 = flatten_params(init_params(architecture, 2))
    runs = decay_runs(architecture, data, np.stack([theta0] * 3),
                      {"lr": 10.0, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "l2": 0.0, "weight_decay": [0.0, 0.0, 10.0]}, 200)
    assert runs.finite[0] and not runs.finite[2]  # wd * lr = 100: each step multiplies theta by about -99
    assert np.all(np.isfinite(runs.theta)) and np.all(np.abs(runs.theta) < DIVERGENCE_BOUND)
    assert np.all(np.isfinite(runs.loss))
