"""The MLP: shapes, the flat vector of ravel_pytree, and gradients against finite differences."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.flatten_util import ravel_pytree

from networks.datasets import make_dataset
from networks.model import (Layer, flatten_params, forward, forward_layers, init_params, mean_loss, mlp, n_params,
                            param_layer_index, unflatten_params)


def loss_of_flat(net, theta, inputs, targets):
    return mean_loss(net, unflatten_params(net, theta), inputs, targets)


@pytest.mark.parametrize("task,activations", [
    ("classification", ("tanh", "sigmoid")),
    ("classification", ("prelu", "leaky_relu")),
    ("regression", ("relu", "linear")),
])
def test_gradient_matches_central_finite_differences(task, activations):
    data = make_dataset("moons" if task == "classification" else "curve", 40, 0.2, 1)
    net = mlp(data.n_inputs, [5, 4], activations, task)
    theta = flatten_params(init_params(net, 2, "glorot_normal", bias_scheme="constant", bias_value=0.1))
    inputs, targets = data.train
    analytic = np.asarray(jax.grad(lambda th: loss_of_flat(net, th, inputs, targets))(jnp.asarray(theta)))
    h = 1e-6
    numeric = np.array([(loss_of_flat(net, theta + h * e, inputs, targets) - loss_of_flat(net, theta - h * e, inputs, targets))
                        / (2 * h) for e in np.eye(len(theta))])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_flat_vector_is_ravel_pytree_and_unflatten_inverts_it():
    net = mlp(3, [4, 6, 2], ("tanh", "prelu", "relu"))
    params = init_params(net, 0, "he_normal")
    flat, unravel = ravel_pytree(params)
    np.testing.assert_array_equal(flatten_params(params), np.asarray(flat))
    back = unflatten_params(net, flatten_params(params))
    for got, want, rebuilt in zip(jax.tree.leaves(back), jax.tree.leaves(params), jax.tree.leaves(unravel(flat))):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(rebuilt, want)
    assert n_params(net) == len(flat) == 3 * 4 + 4 + 4 * 6 + 6 + 6 + 6 * 2 + 2 + 2 * 1 + 1
    assert np.bincount(param_layer_index(net)).tolist() == [16, 36, 14, 3]


def test_shapes_of_layers_and_plain_tutorial_tuples_work():
    net = mlp(2, [3, 5], "tanh")
    params = init_params(net, 1)
    assert all(isinstance(layer, Layer) for layer in params) and params[0].slope is None
    assert [p.W.shape for p in params] == [(2, 3), (3, 5), (5, 1)]
    x = np.random.default_rng(0).standard_normal((7, 2))
    s, zs, xs = forward_layers(net, params, x)
    assert s.shape == (7,) and [z.shape for z in zs] == [(7, 3), (7, 5)]
    np.testing.assert_allclose(xs[1], np.tanh(zs[1]), rtol=1e-14)
    plain = [(p.W, p.b) for p in params]
    np.testing.assert_array_equal(forward(net, plain, x), s)
    # by hand, as in the notes' loop
    h = x
    for W, b in plain[:-1]:
        h = np.tanh(h @ W + b)
    np.testing.assert_allclose(s, (h @ plain[-1][0] + plain[-1][1])[:, 0], rtol=1e-13)


def test_losses_are_the_log_likelihood_and_the_squared_error():
    net_c, net_r = mlp(1, [2], "tanh"), mlp(1, [2], "tanh", "regression")
    params = init_params(net_c, 0)
    x, t = np.array([[0.3], [-1.0]]), np.array([1.0, 0.0])
    s = np.asarray(forward(net_c, params, x))
    p = 1 / (1 + np.exp(-s))
    assert float(mean_loss(net_c, params, x, t)) == pytest.approx(np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p))), rel=1e-12)
    assert float(mean_loss(net_r, params, x, t)) == pytest.approx(np.mean((s - t) ** 2), rel=1e-12)


def test_architecture_limits():
    assert mlp(2, [64] * 20, "relu").depth == 20
    for widths in ([], [65], [0], [8] * 21):
        with pytest.raises(ValueError):
            mlp(2, widths)
    with pytest.raises(ValueError):
        mlp(2, [4, 4], ("tanh",))
