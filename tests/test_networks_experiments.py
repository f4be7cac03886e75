"""The Initialization and Activations experiments: the notes' figures, the variance law, symmetry,
the zero-initialization saddle, sign agreement of updates."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from networks.datasets import make_dataset
from networks.experiments import (NOTES_WEIGHTS, dead_units_over_training, initialization_experiment,
                                  notes_experiment, predicted_variance, propagate_signals, saturation_over_training,
                                  symmetry_experiment, update_sign_agreement, variance_by_depth,
                                  zero_init_gradient_norms)
from networks.model import mlp
from networks.training import TrainSettings, train

DATA = make_dataset("moons", 120, 0.1, 0)


def test_notes_experiment_has_the_notes_shapes_and_behaviour():
    signals = notes_experiment(seed=0)
    assert list(signals) == list(NOTES_WEIGHTS)
    for layers in signals.values():
        assert len(layers.x) == 4 and all(x.shape == (100, 32) for x in layers.x)
    small, large, scaled = (signals[k].x for k in NOTES_WEIGHTS)
    assert np.std(small[3]) < 0.01 * np.std(small[0])  # outputs collapse towards 0 layer after layer
    assert all(np.mean(np.abs(x) > 0.9) > 0.15 for x in large)  # many units in tanh's flat tails
    assert all(np.mean(np.abs(big) > 0.99) > np.mean(np.abs(ok) > 0.99) for big, ok in zip(large, scaled))
    assert all(0.2 < np.std(x) < 0.8 for x in scaled)  # normal / sqrt(32): neither collapses nor saturates
    small_delta = signals["uniform ±0.05"].delta
    assert np.std(small_delta[0]) < 0.01 * np.std(small_delta[3])  # the gradient vanishes going down


def test_propagated_gradients_equal_autodiff():
    rng = np.random.default_rng(1)
    weights = [rng.normal(0, 0.3, (6, 6)) for _ in range(3)]
    inputs, top = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))
    for activation in ("tanh", "sigmoid", "relu", "prelu"):
        signals = propagate_signals(weights, activation, inputs, top)

        def top_loss(probes):
            x = jnp.asarray(inputs)
            for W, p in zip(weights, probes):
                from networks.activations import activate
                x = activate(activation, x @ W + p, 0.25)
            return jnp.sum(x * top)

        autodiff = jax.grad(top_loss)([jnp.zeros((5, 6))] * 3)
        for mine, theirs in zip(signals.delta, autodiff):
            np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("n_var_beta", [0.5, 1.0, 2.0])
def test_variance_law_for_linear_units_within_statistical_tolerance(n_var_beta):
    law = variance_by_depth(n_var_beta, depth=8, width=32, activation="linear", n_examples=500, seeds=range(40))
    np.testing.assert_allclose(law.predicted, n_var_beta ** np.arange(1, 9), rtol=1e-12)
    np.testing.assert_array_equal(law.predicted, law.notes_law)
    mean, spread = law.measured.mean(axis=0), law.measured.std(axis=0) / np.sqrt(40)
    assert np.all(np.abs(np.log(mean / law.predicted)) < 4 * spread / mean + 0.02)


def test_relu_needs_he_factor_two():
    he = variance_by_depth(2.0, depth=8, width=64, activation="relu", n_examples=500, seeds=range(30))
    lecun = variance_by_depth(1.0, depth=8, width=64, activation="relu", n_examples=500, seeds=range(30))
    np.testing.assert_allclose(he.predicted, 2.0, rtol=1e-12)  # He: constant variance
    np.testing.assert_allclose(lecun.predicted, 0.5 ** np.arange(8), rtol=1e-12)  # LeCun halves it per layer
    for law in (he, lecun):
        mean, standard_error = law.measured.mean(axis=0), law.measured.std(axis=0) / np.sqrt(30)
        assert np.all(np.abs(mean - law.predicted) < 4 * standard_error + 0.02 * law.predicted)
    assert lecun.measured.mean(axis=0)[-1] < 0.05 * lecun.measured.mean(axis=0)[0]
    assert predicted_variance(2.0, 3, 1.0, "tanh").tolist() == [2.0, 4.0, 8.0]


def test_constant_initialization_keeps_units_exactly_tied_random_breaks_it():
    net = mlp(2, [6, 6], "tanh")
    settings = TrainSettings(optimizer="momentum", lr=0.1, weight_scheme="constant", weight_scale=0.3,
                             batch_size=16, epochs=20, snapshot_every=5)
    tied = symmetry_experiment(net, DATA, settings)
    assert tied.run.loss[0, -1, 0] < tied.run.loss[0, 0, 0]  # it trains...
    assert np.all(tied.max_difference <= 1e-15)  # ...but every unit of a layer stays equal to unit 0
    assert np.all(tied.first_two_units[..., 0] == tied.first_two_units[..., 1])
    free = symmetry_experiment(net, DATA, settings.replace(weight_scheme="glorot_normal", weight_scale=None))
    assert free.max_difference[-1] > 0.01


def test_zero_initialization_gives_exactly_zero_hidden_gradients():
    for activation in ("tanh", "relu", "sigmoid"):
        norms = zero_init_gradient_norms(mlp(2, [5, 4, 3], activation), DATA)
        assert np.all(norms[:-1] == 0.0)
        assert norms[-1] > 0  # the output bias still learns the class balance


def test_sigmoid_inputs_make_every_incoming_update_share_one_sign():
    sigmoid_net, tanh_net = mlp(2, [8, 8], "sigmoid"), mlp(2, [8, 8], "tanh")
    settings = TrainSettings(epochs=6, snapshot_every=3)
    sigmoid_run, tanh_run = train(sigmoid_net, DATA, settings), train(tanh_net, DATA, settings)
    one = update_sign_agreement(sigmoid_net, sigmoid_run.theta[0], DATA, layer=1, batch_size=1)
    np.testing.assert_array_equal(one, 1.0)  # one example: dL/dW_ij = delta_j x_i with every x_i > 0
    tanh_one = update_sign_agreement(tanh_net, tanh_run.theta[0], DATA, layer=1, batch_size=1)
    assert np.all(tanh_one < 0.8)
    batch = update_sign_agreement(sigmoid_net, sigmoid_run.theta[0], DATA, layer=1, batch_size=16)
    assert batch.shape == (3,) and np.all((0 <= batch) & (batch <= 1))


def test_dead_units_and_saturation_over_training_come_from_the_snapshots():
    net = mlp(2, [8, 8], "tanh")
    run = train(net, DATA, TrainSettings(epochs=6, snapshot_every=3, weight_scheme="normal", weight_scale=25.0))
    saturation = saturation_over_training(run)
    assert saturation.shape == (1, 3, 2) and saturation[0, 0, 0] > 0.3
    assert np.all(dead_units_over_training(run) == 0)  # tanh units do not die


def test_initialization_experiment_goes_to_depth_twenty():
    he = initialization_experiment("he_normal", 1.0, depth=20, width=64, activation="relu")
    lecun = initialization_experiment("lecun_normal", 1.0, depth=20, width=64, activation="relu")
    assert len(he.z) == 20 and all(z.shape == (100, 64) for z in he.z)
    assert np.var(lecun.z[-1]) / np.var(lecun.z[0]) < 1e-3 < np.var(he.z[-1]) / np.var(he.z[0])
