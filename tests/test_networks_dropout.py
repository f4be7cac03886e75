"""Inverted dropout in the network core: the expectation is kept (exactly over a stratified set of
draws, within sampling error over random masks), training steps use a new mask per example and per
step (replayed by hand), evaluation never drops, p = 1 gives the numbers of the program without
masks bit for bit, and moving p, lr or the seed compiles nothing."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import monitoring

from networks import dropout as nd
from networks.datasets import TRAIN, make_dataset
from networks.model import example_losses, flatten_params, init_params, mean_loss, mlp, network_pass, predict
from networks.training import TRACE_COUNTS, TrainSettings, compiled_program_count, padded_data, train

DATA = make_dataset("moons", 40, 0.2, 1)  # 28 training points
NET = mlp(2, [6, 5], ("tanh", "relu"))


def test_inverted_dropout_is_exact_in_expectation_over_stratified_draws():
    """D on the grid (k + 1/2)/M is the uniform distribution's expectation for p a multiple of 1/M:
    the mean of X (D < p) / p over the grid is X to rounding; without the division it is p X."""
    x = np.array([[1.5, -2.0, 0.25], [0.0, 3.0, -0.7]])
    M = 40
    draws = ((np.arange(M) + 0.5) / M)[:, None, None] * np.ones((1, *x.shape))
    for keep in (0.1, 0.5, 0.75, 1.0):
        np.testing.assert_allclose(nd.inverted_dropout(x, draws, keep).mean(0), x, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(nd.plain_dropout(x, draws, keep).mean(0), keep * x, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9])
def test_mask_average_is_within_sampling_error_and_the_undivided_mean_shrinks_by_p(keep):
    x = np.linspace(-2.0, 3.0, 24)
    x = x[x != 0]
    result = nd.mask_average(x, keep, n_masks=4000, seed=3)
    assert np.max(np.abs(result.inverted_z)) < 4.5
    np.testing.assert_allclose(result.inverted_error, nd.theoretical_error(x, keep, 4000), rtol=0.1)
    plain_z_about_px = (result.plain_mean - keep * x) / result.plain_error
    assert np.max(np.abs(plain_z_about_px)) < 4.5
    assert np.min(np.abs(result.plain_z)) > 10  # the undivided mean is far from x


def test_bad_keep_probabilities_are_refused():
    for bad in (0.0, -0.1, 1.5, np.nan):
        with pytest.raises(ValueError):
            nd.mask_average([1.0], bad, 10)
        with pytest.raises(ValueError):
            train(NET, DATA, TrainSettings(keep_hidden=bad, epochs=1, snapshot_every=1))


def _replay(settings, step_keys_of):
    """SGD by hand on the chunked minibatches, with masks from ``step_keys_of(epoch, step)``.
    Returns the parameter path and the epochs' mean losses as trained."""
    data = padded_data(DATA)
    split = data["split"]
    params = init_params(NET, settings.seed, settings.weight_scheme)
    key = jax.random.PRNGKey(settings.seed)
    B, n, path, epoch_losses = settings.batch_size, 28, [flatten_params(params)], []
    for epoch in range(settings.epochs):
        u = np.asarray(jax.random.uniform(jax.random.fold_in(key, epoch), (len(split),)))
        order = np.argsort(np.where(split == TRAIN, u, 2.0))[:n]
        order = np.r_[order, np.zeros(64, int)]
        total = 0.0
        for j, start in enumerate(range(0, n, B)):
            rows = order[start:start + 32]  # one chunk of 32 gathered rows, the batch first
            count = min(B, n - start)
            weights = (np.arange(32) < count).astype(float)
            masks = nd.DropoutMasks(step_keys_of(key, epoch, j), settings.keep_input, settings.keep_hidden)

            def loss(p):
                s = network_pass(NET, p, jnp.asarray(data["inputs"][rows]), dropout=masks).output
                return weights @ example_losses(NET.task, s, data["targets"][rows])

            value, grads = jax.value_and_grad(loss)(params)
            total += float(value)
            params = jax.tree.map(lambda p, g: p - settings.lr * g / count, params, grads)
        path.append(flatten_params(params))
        epoch_losses.append(total / n)
    return np.array(path), np.array(epoch_losses)


SETTINGS = TrainSettings(optimizer="sgd", lr=0.3, batch_size=8, epochs=2, snapshot_every=1, seed=5,
                         keep_input=0.8, keep_hidden=0.6)


def test_training_steps_use_the_masks_of_the_run_key_epoch_step_and_chunk():
    run = train(NET, DATA, SETTINGS)
    path, losses = _replay(SETTINGS, lambda key, e, j: nd.step_key(key, e, j, 0))
    np.testing.assert_allclose(run.theta[0], path, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(run.step_loss[0, 1:], losses, rtol=1e-10)
    assert np.isnan(run.step_loss[0, 0])
    # the same masks at every step (or no masks) would give another path
    same, _ = _replay(SETTINGS, lambda key, e, j: nd.step_key(key, 0, 0, 0))
    assert np.max(np.abs(same[-1] - path[-1])) > 1e-3


def test_a_new_mask_per_example_and_per_step():
    key = jax.random.PRNGKey(5)
    x = jnp.ones((32, 6))

    def mask(e, j, layer=1):
        return np.asarray(nd.DropoutMasks(nd.step_key(key, e, j, 0), 0.5, 0.5).apply(layer, x)) > 0

    m = mask(0, 0)
    assert len({row.tobytes() for row in m}) > 20  # the examples of a batch drop different units
    assert 0.35 < m.mean() < 0.65
    assert not np.array_equal(m, mask(0, 1))  # the next step
    assert not np.array_equal(m, mask(1, 0))  # the same step of the next epoch
    assert not np.array_equal(m, mask(0, 0, layer=2))  # the next layer
    assert not np.array_equal(m, np.asarray(nd.DropoutMasks(nd.step_key(key, 0, 0, 1), .5, .5).apply(1, x)) > 0)


def test_evaluation_never_drops_snapshot_losses_equal_mean_loss_of_their_parameters():
    run = train(NET, DATA, SETTINGS.replace(epochs=4, keep_hidden=0.3, keep_input=0.5), seeds=[0, 1])
    assert run.step_loss is not None
    for r in range(2):
        for k in range(run.theta.shape[1]):
            params = run.params(r, k)
            np.testing.assert_allclose(run.loss[r, k, 0], mean_loss(NET, params, *DATA.train), rtol=1e-12)
            np.testing.assert_allclose(run.loss[r, k, 2], mean_loss(NET, params, *DATA.test), rtol=1e-12)


@pytest.mark.parametrize("net", [NET, mlp(2, [8, 8], "relu", normalization="batch", skip=True)],
                         ids=["plain", "batch_norm"])
def test_keep_one_in_the_dropout_program_is_bit_identical_to_the_program_without_masks(net):
    settings = TrainSettings(optimizer="adam", lr=0.02, batch_size=10, epochs=6, snapshot_every=2)
    plain = train(net, DATA, settings, seeds=[0, 3])
    masked = train(net, DATA, settings, seeds=[0, 3], dropout=True)
    assert plain.step_loss is None and masked.step_loss is not None
    for name in ("theta", "loss", "accuracy", "grad_norm", "final_theta", "status"):
        if net.batch_norm:  # XLA fuses the batch statistics differently in the two programs: rounding only
            # (the first layer's biases before batch norm have a zero gradient: Adam scales its rounding up)
            np.testing.assert_allclose(getattr(masked, name), getattr(plain, name), rtol=1e-9, atol=1e-8)
        else:
            assert np.array_equal(getattr(plain, name), getattr(masked, name)), name
    dropped = train(net, DATA, settings.replace(keep_hidden=0.7), seeds=[0, 3])
    assert not np.allclose(dropped.final_theta, plain.final_theta)


def test_sampled_subnetworks_of_a_linear_network_average_to_the_full_network():
    """With linear units the output is linear in every mask, so its mean over masks is the full
    network's output (the weight-scaling rule is exact there), within sampling error."""
    net = mlp(2, [16, 16], "linear", task="regression")
    theta = flatten_params(init_params(net, 2))
    inputs = np.random.default_rng(0).normal(size=(20, 2))
    samples = nd.sampled_predictions(net, theta, inputs, 0.8, 0.5, n_masks=3000, seed=1)
    assert samples.shape == (3000, 20)
    full = np.asarray(predict(net, init_params(net, 2), inputs))
    error = samples.std(0, ddof=1) / np.sqrt(3000)
    assert np.max(np.abs(samples.mean(0) - full) / error) < 4.5
    assert np.min(samples.std(0)) > 0  # the sub-networks do differ


class CompileCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, event, duration, **kwargs):
        if event == "/jax/core/compile/backend_compile_duration":
            self.count += 1


def test_no_recompilation_when_keep_probabilities_lr_seed_or_l2_move():
    net = mlp(2, [8, 8], "relu")
    base = TrainSettings(optimizer="adam", epochs=6, snapshot_every=2, batch_size=16)
    data = make_dataset("moons", 100, 0.3, 0)
    train(net, data, base, seeds=[0, 1], dropout=True)  # warm up
    nd.sampled_predictions(net, flatten_params(init_params(net, 0)), data.inputs, 0.9, 0.5, 40)
    traces, programs = sum(TRACE_COUNTS.values()), compiled_program_count()
    counter = CompileCounter()
    monitoring.register_event_duration_secs_listener(counter)
    try:
        for move in [dict(keep_hidden=0.5), dict(keep_input=0.7), dict(keep_hidden=1.0, keep_input=1.0),
                     dict(lr=0.2), dict(seed=9), dict(l2=0.01), dict(keep_hidden=0.05)]:
            train(net, data, base.replace(**move), seeds=[0, 1], dropout=True)
        train(net, data, base, seeds=[4, 5], hyper_overrides={"keep_hidden": [1.0, 0.5]}, dropout=True)
        nd.sampled_predictions(net, flatten_params(init_params(net, 3)), data.inputs, 0.5, 0.8, 100, seed=4)
    finally:
        monitoring.clear_event_listeners()
    assert sum(TRACE_COUNTS.values()) == traces
    assert compiled_program_count() - programs == 0
    assert counter.count == 0


def test_page_measurements_equal_brute_force():
    losses = np.array([np.nan, 0.5, 0.4, 0.45, 0.2])
    assert nd.roughness(losses) == pytest.approx((0.1 + 0.05 + 0.25) / 3, rel=1e-12)
    rng = np.random.default_rng(0)
    samples, full = rng.uniform(size=(7, 30)), rng.uniform(size=30)
    targets = (rng.uniform(size=30) > 0.5).astype(float)
    a = nd.ensemble_agreement(samples, full, targets)
    mean = [sum(samples[k, n] for k in range(7)) / 7 for n in range(30)]
    right = lambda p, n: (p > 0.5) == (targets[n] == 1)  # noqa: E731
    assert a.ensemble_accuracy == pytest.approx(sum(right(mean[n], n) for n in range(30)) / 30)
    assert a.full_accuracy == pytest.approx(sum(right(full[n], n) for n in range(30)) / 30)
    assert a.member_accuracy == pytest.approx(sum(right(samples[k, n], n) for k in range(7) for n in range(30)) / 210)
    assert a.mean_difference == pytest.approx(sum(abs(mean[n] - full[n]) for n in range(30)) / 30)
    assert a.same_decision == pytest.approx(sum((mean[n] > 0.5) == (full[n] > 0.5) for n in range(30)) / 30)


def test_compare_trains_run_zero_as_the_plain_program_and_hidden_outputs_match_the_model():
    settings = TrainSettings(optimizer="adam", lr=0.02, batch_size=10, epochs=4, snapshot_every=2, seed=2)
    c = nd.compare(NET, DATA, settings, 0.9, 0.5)
    plain = train(NET, DATA, settings, seeds=[2, 2])  # two runs: the same vmapped shape as compare's
    assert np.array_equal(c.run.theta[0], plain.theta[0])
    assert not np.allclose(c.run.theta[1, -1], plain.theta[0, -1])
    for r in range(2):
        params = c.run.params(r, -1)
        w = np.concatenate([np.ravel(layer.W) for layer in params])
        assert c.largest_weight[r] == np.max(np.abs(w)) and np.array_equal(np.sort(c.weights[r]), np.sort(w))
        assert c.gap[r] == pytest.approx(float(mean_loss(NET, params, *DATA.test) - mean_loss(NET, params, *DATA.train)),
                                         rel=1e-10)
    params = c.run.params(1, -1)
    xs = network_pass(NET, params, jnp.asarray(DATA.inputs)).xs
    for mine, model in zip(nd.hidden_outputs(NET, params, DATA.inputs), xs):
        np.testing.assert_allclose(mine, np.asarray(model), rtol=1e-12, atol=1e-14)


def test_z_scores_use_the_theoretical_error_and_stay_finite_for_few_masks():
    x = np.array([1.0, 0.0, -2.0])
    m = nd.mask_average(x, 0.9, 10, seed=0)
    theory = np.abs(x) * np.sqrt(0.1 / 0.9 / 10)
    expected = np.where(theory > 0, (m.inverted_mean - x) / np.where(theory > 0, theory, 1), 0)
    np.testing.assert_allclose(m.inverted_z, expected, rtol=1e-12)
    assert np.all(np.isfinite(m.inverted_z)) and m.inverted_z[1] == 0
    assert np.all(nd.mask_average(x, 1.0, 10).inverted_z == 0)  # p = 1: every draw is x
