"""Training: the lab's optimizers on the flat vector equal optax on the pytree, minibatches are the
stated permutations, snapshots equal brute-force counts, divergence stops a run, and moving any
setting that keeps the shapes compiles nothing."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax import monitoring

from networks.datasets import TRAIN, make_dataset
from networks.model import flatten_params, forward_layers, init_params, mean_loss, mlp, predict, unflatten_params
from networks.training import (TRACE_COUNTS, TrainSettings, compiled_program_count, output_maps, padded_data,
                               snapshot_of, train)

DATA = make_dataset("moons", 40, 0.2, 1)  # 28 training points
NET = mlp(2, [5, 4], ("tanh", "sigmoid"))
REGRESSION_NET = mlp(1, [16], "tanh", "regression")
FULL_BATCH = TrainSettings(batch_size=1000, epochs=3, snapshot_every=1, lr=0.1, momentum=0.8, beta1=0.85,
                           beta2=0.99, eps=1e-7, weight_decay=0.05)

OPTAX = {
    "sgd": lambda s: optax.sgd(s.lr),
    "momentum": lambda s: optax.sgd(s.lr, momentum=s.momentum),
    "nesterov": lambda s: optax.sgd(s.lr, momentum=s.momentum, nesterov=True),
    "adagrad": lambda s: optax.adagrad(s.lr, initial_accumulator_value=0.0, eps=s.eps),
    "rmsprop": lambda s: optax.rmsprop(s.lr, decay=s.beta2, eps=s.eps, eps_in_sqrt=False),
    "adam": lambda s: optax.adam(s.lr, s.beta1, s.beta2, s.eps),
    "adamw": lambda s: optax.adamw(s.lr, s.beta1, s.beta2, s.eps, weight_decay=s.weight_decay),
}


@pytest.mark.parametrize("optimizer", sorted(OPTAX))
def test_full_batch_steps_on_the_flat_vector_equal_optax_on_the_pytree(optimizer):
    settings = FULL_BATCH.replace(optimizer=optimizer)
    run = train(NET, DATA, settings)
    params = init_params(NET, settings.seed, settings.weight_scheme)
    inputs, targets = DATA.train
    transform = OPTAX[optimizer](settings)
    state = transform.init(params)
    for epoch in range(settings.epochs):
        np.testing.assert_allclose(run.theta[0, epoch], flatten_params(params), rtol=1e-11, atol=1e-14)
        grads = jax.grad(lambda p: mean_loss(NET, p, inputs, targets))(params)
        updates, state = transform.update(grads, state, params)
        params = optax.apply_updates(params, updates)
    np.testing.assert_allclose(run.final_theta[0], flatten_params(params), rtol=1e-11, atol=1e-14)


def test_minibatches_are_a_fresh_permutation_per_epoch_cut_in_batches():
    """SGD with B = 8 on 28 points: batches 8, 8, 8, 4 of the epoch's permutation, replayed by hand."""
    settings = TrainSettings(optimizer="sgd", lr=0.3, batch_size=8, epochs=2, snapshot_every=1, seed=5)
    run = train(NET, DATA, settings)
    split = padded_data(DATA)["split"]
    data = padded_data(DATA)
    params = init_params(NET, 5, settings.weight_scheme)
    key = jax.random.PRNGKey(5)
    for epoch in range(2):
        u = np.asarray(jax.random.uniform(jax.random.fold_in(key, epoch), (len(split),)))
        order = np.argsort(np.where(split == TRAIN, u, 2.0))[:28]
        assert sorted(order) == sorted(np.flatnonzero(split == TRAIN))
        for start in range(0, 28, 8):
            rows = order[start:start + 8]
            grads = jax.grad(lambda p: mean_loss(NET, p, data["inputs"][rows], data["targets"][rows]))(params)
            params = jax.tree.map(lambda p, g: p - 0.3 * g, params, grads)
        np.testing.assert_allclose(run.theta[0, epoch + 1], flatten_params(params), rtol=1e-10, atol=1e-13)


def test_runs_vmapped_over_seeds_equal_runs_one_at_a_time():
    settings = TrainSettings(optimizer="momentum", lr=0.1, batch_size=7, epochs=6, snapshot_every=3)
    together = train(NET, DATA, settings, seeds=[3, 4, 9])
    for i, seed in enumerate([3, 4, 9]):
        alone = train(NET, DATA, settings, seeds=[seed])
        np.testing.assert_allclose(together.theta[i], alone.theta[0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(together.loss[i], alone.loss[0], rtol=1e-12)
    assert not np.allclose(together.theta[0, -1], together.theta[1, -1])


def brute_force_layers(net, params, inputs, targets):
    """z, x per layer in NumPy, and delta_n = dl_n/dz_n per example by autodiff one example at a time."""
    _, zs, xs = forward_layers(net, params, inputs)

    def example_loss(probes, x, t):
        s, _, _ = forward_layers(net, params, x[None], [p[None] for p in probes])
        return mean_loss.__wrapped__(net, s, t) if hasattr(mean_loss, "__wrapped__") else (
            jnp.logaddexp(0.0, s[0]) - t * s[0] if net.task == "classification" else (s[0] - t) ** 2)

    zeros = [jnp.zeros(z.shape[1]) for z in zs]
    deltas = jax.vmap(jax.grad(example_loss), in_axes=(None, 0, 0))(zeros, jnp.asarray(inputs), jnp.asarray(targets))
    return [np.asarray(z) for z in zs], [np.asarray(x) for x in xs], [np.asarray(d) for d in deltas]


@pytest.mark.parametrize("activations,scheme,scale,bias", [
    (("relu", "relu"), "he_normal", 1.0, ("negative_constant", 0.8)),
    (("tanh", "sigmoid"), "normal", 9.0, ("zero", 0.0)),
])
def test_snapshot_statistics_equal_a_brute_force_count(activations, scheme, scale, bias):
    data = make_dataset("circles", 120, 0.1, 2)
    net = mlp(2, [6, 5], activations)
    settings = TrainSettings(optimizer="sgd", lr=0.5, batch_size=16, epochs=4, snapshot_every=2, weight_scheme=scheme,
                             weight_scale=scale, bias_scheme=bias[0], bias_value=bias[1])
    run = train(net, data, settings)
    inputs, targets = data.train
    for snapshot in range(len(run.epochs)):
        params = run.params(0, snapshot)
        zs, xs, deltas = brute_force_layers(net, params, inputs, targets)
        for l, (z, x, delta) in enumerate(zip(zs, xs, deltas)):
            layer = jax.tree.map(lambda a: a[0, snapshot], run.layers[l])
            never_active = int(np.sum(np.all(z <= 0, axis=0)))
            assert layer.never_active == never_active
            assert layer.dead_units == (never_active if activations[l] == "relu" else 0)
            if activations[l] == "tanh":
                saturated = np.mean(np.abs(x) > 0.99)
            elif activations[l] == "sigmoid":
                saturated = np.mean((x < 0.01) | (x > 0.99))
            else:
                saturated = 0.0
            assert layer.saturated_fraction == pytest.approx(saturated, abs=1e-12)
            np.testing.assert_allclose(layer.z_mean, z.mean(axis=0), rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(layer.x_std, x.std(axis=0), rtol=1e-8, atol=1e-12)
            np.testing.assert_allclose(layer.delta_mean, delta.mean(axis=0), rtol=1e-8, atol=1e-14)
            np.testing.assert_allclose(layer.delta_std, delta.std(axis=0), rtol=1e-6, atol=1e-14)
            assert layer.z_histogram.sum() == z.size and layer.z_range == pytest.approx(np.abs(z).max(), rel=1e-12)
            edges = np.linspace(-layer.x_range, layer.x_range, len(layer.x_histogram) + 1)
            clipped = np.clip(x, -layer.x_range, layer.x_range)  # NumPy and XLA may differ in the last bit
            np.testing.assert_array_equal(layer.x_histogram, np.histogram(clipped, edges)[0])
        grads = jax.grad(lambda p: mean_loss(net, p, inputs, targets))(params)
        norms = [np.sqrt(sum(np.sum(np.asarray(g) ** 2) for g in jax.tree.leaves(layer))) for layer in grads]
        np.testing.assert_allclose(run.grad_norm[0, snapshot], norms, rtol=1e-9, atol=1e-15)
        for k in range(3):
            part_inputs, part_targets = data.part(k)
            assert run.loss[0, snapshot, k] == pytest.approx(float(mean_loss(net, params, part_inputs, part_targets)), rel=1e-10)


def test_relu_units_with_a_negative_bias_are_dead_from_the_start():
    net = mlp(2, [16, 16], "relu")
    run = train(net, DATA, TrainSettings(weight_scheme="he_normal", bias_scheme="negative_constant", bias_value=3.0,
                                         epochs=4, snapshot_every=2))
    assert run.layers[0].dead_units[0, 0] >= 8


def test_divergence_stops_the_run_keeps_arrays_finite_and_says_what_grew():
    data = make_dataset("curve", 200, 0.1, 0)
    run = train(REGRESSION_NET, data, TrainSettings(optimizer="sgd", lr=3.0, epochs=60, snapshot_every=20))
    assert run.status[0] in (1, 2, 3)
    assert np.all(np.isfinite(run.theta)) and np.all(np.isfinite(run.final_theta))
    message = run.message(0)
    assert "epoch" in message and "grew" in message
    assert run.valid_snapshots(0) < len(run.epochs)
    assert run.failure_epoch[0] >= 0


def test_stop_condition_freezes_the_run_at_the_first_good_snapshot():
    data = make_dataset("gaussians", 200, 0.0, 3)
    run = train(NET, data, TrainSettings(optimizer="adam", lr=0.05, epochs=40, snapshot_every=2, stop_test_loss=0.3))
    assert run.status[0] == 4
    first = int(np.argmax(run.loss[0, :, 2] < 0.3))
    assert run.failure_epoch[0] == run.epochs[first]
    np.testing.assert_array_equal(run.theta[0, first:], np.broadcast_to(run.theta[0, first], run.theta[0, first:].shape))


def test_regression_trains_and_reports_no_accuracy():
    data = make_dataset("curve", 200, 0.1, 0)
    run = train(REGRESSION_NET, data, TrainSettings(optimizer="sgd", lr=0.05, epochs=60, snapshot_every=20))
    assert run.loss[0, -1, 0] < 0.5 * run.loss[0, 0, 0]
    assert np.all(np.isnan(run.accuracy))


def test_output_maps_are_the_predictions_at_every_snapshot():
    run = train(NET, DATA, TrainSettings(epochs=4, snapshot_every=2), seeds=[0, 1])
    grid = np.random.default_rng(0).uniform(-3, 3, (50, 2))
    maps = output_maps(run, grid)
    assert maps.shape == (2, 3, 50)
    np.testing.assert_allclose(maps[1, 2], np.asarray(predict(NET, run.params(1, 2), grid)), rtol=1e-12)


class CompileCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            self.count += 1


def test_no_recompilation_when_settings_that_keep_the_shapes_move():
    net = mlp(2, [8, 8], "tanh")
    base = TrainSettings(optimizer="momentum", epochs=24, snapshot_every=3, batch_size=16)
    data = make_dataset("moons", 200, 0.1, 0)
    grid = np.random.default_rng(0).uniform(-3, 3, (400, 2))
    output_maps(train(net, data, base, seeds=[0, 1]), grid)  # warm up
    traces, programs = sum(TRACE_COUNTS.values()), compiled_program_count()
    counter = CompileCounter()
    monitoring.register_event_duration_secs_listener(counter)
    moves = [
        dict(lr=0.3), dict(momentum=0.5), dict(weight_scale=3.0), dict(weight_scheme="he_normal"),
        dict(weight_scheme="uniform", weight_scale=0.5), dict(bias_scheme="constant", bias_value=0.4),
        dict(bias_scheme="negative_constant"), dict(seed=7), dict(batch_size=1), dict(batch_size=33),
        dict(batch_size=140), dict(batch_size=5000), dict(epochs=40, snapshot_every=5), dict(snapshot_every=3),
        dict(stop_test_loss=0.2), dict(weight_decay=0.01), dict(epochs=1, snapshot_every=1),
    ]
    try:
        settings = base
        for move in moves:
            settings = settings.replace(**move)
            output_maps(train(net, data, settings, seeds=[0, 1]), grid)
        for noise, n_points, seed in [(0.3, 200, 0), (0.1, 150, 4), (0.0, 250, 9)]:  # same size bucket
            output_maps(train(net, make_dataset("moons", n_points, noise, seed), base, seeds=[2, 3]), grid)
        train(net, make_dataset("xor", 200, 0.2, 0), base, seeds=[0, 1], hyper_overrides={"lr": [0.01, 1.0]})
    finally:
        monitoring.clear_event_listeners()
    assert sum(TRACE_COUNTS.values()) == traces
    assert compiled_program_count() == programs
    assert counter.count == 0
