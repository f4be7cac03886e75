"""Batch and layer normalization, running averages, evaluation mode, and skip connections."""

import jax
import jax.numpy as jnp
import numpy as np

from networks import TrainSettings, make_dataset, mlp, train
from networks.model import flatten_params, init_params, mean_loss, network_pass, predict, unflatten_params
from networks.normalization import (
    EPS,
    MOMENTUM,
    Running,
    batch_norm,
    batch_statistics,
    layer_norm,
    standardize,
    update_running,
)
from networks.training import TRAIN, padded_data


def test_batch_norm_output_has_mean_zero_and_variance_one_per_unit():
    rng = np.random.default_rng(0)
    z = 3.0 + 5.0 * rng.standard_normal((32, 7)) * rng.uniform(0.1, 4.0, 7)
    mean, var = batch_statistics(z)
    np.testing.assert_allclose(mean, z.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(var, z.var(axis=0), rtol=1e-13)
    v = np.asarray(standardize(z, mean, var, eps=0.0))
    np.testing.assert_allclose(v.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(v.var(axis=0), 1.0, atol=1e-12)
    # with eps the variance is sigma^2 / (sigma^2 + eps); gamma and beta then scale and shift
    gamma, beta = rng.uniform(0.5, 2.0, 7), rng.standard_normal(7)
    y, _ = batch_norm(z, gamma, beta)
    y = np.asarray(y)
    np.testing.assert_allclose(((y - beta) / gamma).var(axis=0), var / (var + EPS), atol=1e-12)
    np.testing.assert_allclose(y.mean(axis=0), beta, atol=1e-12)
    # a minibatch given by 0/1 weights: the statistics of its rows only
    w = (rng.uniform(size=32) < 0.5).astype(float)
    m_w, v_w = batch_statistics(z, w)
    np.testing.assert_allclose(m_w, z[w == 1].mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(v_w, z[w == 1].var(axis=0), rtol=1e-12)


def test_batch_norm_inside_the_network_standardizes_each_unit_over_the_batch():
    data = make_dataset("moons", 100, 0.1, 0)
    for position in ("before", "after"):
        net = mlp(2, [8, 8], "tanh", normalization="batch", norm_position=position)
        params = init_params(net, 0, weight_scale=3.0)
        result = network_pass(net, params, data.inputs)
        for l in range(net.depth):
            normalized = result.activation_inputs[l] if position == "before" else result.xs[l]
            raw = result.zs[l] if position == "before" else result.activation_outputs[l]
            var = raw.var(axis=0)
            np.testing.assert_allclose(np.mean(normalized, axis=0), 0.0, atol=1e-12)
            np.testing.assert_allclose(np.var(normalized, axis=0), var / (var + EPS), atol=1e-12)
            np.testing.assert_allclose(result.batch_statistics[l][0], raw.mean(axis=0), rtol=1e-12, atol=1e-14)


def test_layer_norm_standardizes_each_example_over_its_units():
    rng = np.random.default_rng(1)
    z = 2.0 + 4.0 * rng.standard_normal((10, 16))
    y = np.asarray(layer_norm(z, np.ones(16), np.zeros(16)))
    var = z.var(axis=1)
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), var / (var + EPS), atol=1e-12)


def test_running_averages_follow_the_ewma_and_training_matches_a_replay():
    """Full-batch SGD on a batch-normalized network: every step's batch is the training set, so the
    run is replayed by hand: gradient of the train-mode loss, and the EWMA of the batch statistics."""
    data = make_dataset("moons", 60, 0.2, 3)
    net = mlp(2, [5, 5], "tanh", normalization="batch")
    settings = TrainSettings(optimizer="sgd", lr=0.2, batch_size=1000, epochs=3, snapshot_every=1, seed=4)
    run = train(net, data, settings)
    padded = padded_data(data)
    weights = (padded["split"] == TRAIN).astype(float)
    params = init_params(net, 4)
    running = [Running(np.zeros(5), np.ones(5)) for _ in range(2)]
    for epoch in range(3):
        result = network_pass(net, params, padded["inputs"], weights=weights)
        expected = [Running(MOMENTUM * r.mean + (1 - MOMENTUM) * m, MOMENTUM * r.var + (1 - MOMENTUM) * v)
                    for r, (m, v) in zip(running, result.batch_statistics)]
        np.testing.assert_allclose(np.asarray(update_running(running[0], *result.batch_statistics[0]).var),
                                   expected[0].var, rtol=1e-15)
        running = expected
        grads = jax.grad(lambda p: mean_loss(net, p, padded["inputs"], padded["targets"], weights))(params)
        params = jax.tree.map(lambda p, g: p - 0.2 * g, params, grads)
        np.testing.assert_allclose(run.theta[0, epoch + 1], flatten_params(params), rtol=1e-10, atol=1e-13)
        for got, want in zip(run.running_at(0, epoch + 1), running):
            np.testing.assert_allclose(got.mean, want.mean, rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(got.var, want.var, rtol=1e-10, atol=1e-13)
    for got in run.running_at(0, 0):
        np.testing.assert_array_equal(got.mean, 0.0)
        np.testing.assert_array_equal(got.var, 1.0)


def test_evaluation_mode_uses_the_running_averages():
    data = make_dataset("moons", 60, 0.2, 3)
    net = mlp(2, [5, 5], "tanh", normalization="batch")
    run = train(net, data, TrainSettings(optimizer="momentum", lr=0.05, batch_size=8, epochs=4, snapshot_every=2))
    params, running = run.params(0, -1), run.running_at(0, -1)
    x = data.inputs[:1]  # one example: its own batch statistics would make every unit zero
    by_hand = x
    for l in range(net.depth):
        z = by_hand @ params[l].W + params[l].b
        by_hand = np.tanh(params[l].gamma * (z - running[l].mean) / np.sqrt(running[l].var + EPS) + params[l].beta)
    by_hand = 1 / (1 + np.exp(-(by_hand @ params[-1].W + params[-1].b)[:, 0]))
    np.testing.assert_allclose(np.asarray(predict(net, params, x, running)), by_hand, rtol=1e-12)
    train_mode = np.asarray(predict(net, params, x))  # a batch of one: z - mu = 0 in every unit
    np.testing.assert_allclose(train_mode, np.asarray(predict(net, params, np.zeros((1, 2)))), rtol=1e-12)
    assert abs(train_mode[0] - by_hand[0]) > 1e-6
    # the snapshots' losses are in evaluation mode
    padded = padded_data(data)
    train_rows = padded["split"] == TRAIN
    loss = mean_loss(net, params, padded["inputs"][train_rows], padded["targets"][train_rows], running=running)
    np.testing.assert_allclose(run.loss[0, -1, 0], float(loss), rtol=1e-10)


def test_skip_blocks_are_the_identity_when_their_weights_are_zero():
    data = make_dataset("moons", 40, 0.1, 0)
    for activation in ("tanh", "relu"):
        net = mlp(2, [6, 6, 6], activation, skip=True)
        assert net.residual == (False, True, True)
        params = init_params(net, 0)
        for l in (1, 2):
            params[l] = params[l]._replace(W=np.zeros_like(params[l].W), b=np.zeros_like(params[l].b))
        s, zs, xs = network_pass(net, params, data.inputs)[:3]
        np.testing.assert_array_equal(np.asarray(xs[2]), np.asarray(xs[0]))
        plain = mlp(2, [6], activation)
        np.testing.assert_allclose(np.asarray(s), np.asarray(network_pass(plain, [params[0], params[3]],
                                                                           data.inputs).output), rtol=1e-14)
        # non-zero weights: the block adds f(z) to its input
        params = init_params(net, 1)
        result = network_pass(net, params, data.inputs)
        np.testing.assert_allclose(np.asarray(result.xs[1]), np.asarray(result.xs[0] + result.activation_outputs[1]),
                                   rtol=1e-14)


def test_part_one_layouts_are_unchanged_and_normalized_layers_append_gamma_beta():
    plain = mlp(2, [4, 3], "tanh")
    normed = mlp(2, [4, 3], "tanh", normalization="layer")
    p, q = init_params(plain, 0), init_params(normed, 0)
    n_plain = sum(np.size(leaf) for leaf in jax.tree.leaves(p))
    assert n_plain == (2 * 4 + 4) + (4 * 3 + 3) + (3 + 1)
    assert len(flatten_params(q)) == n_plain + 2 * (4 + 3)
    np.testing.assert_array_equal(flatten_params(q)[:2 * 4 + 4], flatten_params(p)[:2 * 4 + 4])
    back = unflatten_params(normed, jnp.asarray(flatten_params(q)))
    np.testing.assert_array_equal(np.asarray(back[0].gamma), 1.0)
    np.testing.assert_array_equal(np.asarray(back[1].beta), 0.0)
