"""networks.zigzag: single-example SGD on a real network, and the sign rule behind the zigzag."""

from __future__ import annotations

import jax
import numpy as np

from networks import flatten_params, init_params, make_dataset, mlp
from networks.model import mean_loss, unflatten_params
from networks.zigzag import incoming_weights, opposing_pair, same_direction_share, single_example_path


def _setup(activation: str):
    data = make_dataset("moons", 120, 0.1, 0)
    inputs, targets = data.part(0)
    architecture = mlp(2, (6, 5), activation)
    theta0 = flatten_params(init_params(architecture, 0, "glorot_normal"))
    return architecture, theta0, inputs, targets


def test_the_path_is_plain_sgd_one_example_at_a_time():
    architecture, theta0, inputs, targets = _setup("tanh")
    path = single_example_path(architecture, theta0, inputs, targets, 30, 0.3, seed=4)
    order = np.random.default_rng(4).permutation(len(targets))[:30]
    grad = jax.grad(lambda th, n: mean_loss(architecture, unflatten_params(architecture, th), inputs[n:n + 1], targets[n:n + 1]))
    theta = theta0.copy()
    np.testing.assert_array_equal(path[0], theta0)
    for t, n in enumerate(order):
        theta = theta - 0.3 * np.asarray(grad(theta, int(n)))
        np.testing.assert_allclose(path[t + 1], theta, rtol=0, atol=1e-12)


def test_with_sigmoid_inputs_every_unit_moves_all_its_incoming_weights_one_way():
    for activation, expect_rule in (("sigmoid", True), ("tanh", False)):
        architecture, theta0, inputs, targets = _setup(activation)
        W = incoming_weights(architecture, single_example_path(architecture, theta0, inputs, targets, 60, 0.5), 1)
        steps = np.sign(np.diff(W, axis=0))  # (T, n_in, n_out)
        one_way = np.all(steps == steps[:, :1, :], axis=1)  # per step and unit: every incoming weight the same sign
        assert one_way.all() == expect_rule, activation


def test_the_opposing_pair_is_the_clearest_one_up_one_down():
    W = np.zeros((3, 3, 2))
    W[-1] = [[0.5, 0.1], [-0.2, -0.9], [0.0, 0.3]]  # unit 0: +0.5 / -0.2 -> 0.2; unit 1: +0.3 / -0.9 -> 0.3
    assert opposing_pair(W) == (2, 1, 1)
    assert same_direction_share(np.array([[0, 0], [1, 1], [0, 0], [1, -1], [1, -1], [2, -2]])) == 0.5  # (0, 0) left out
