"""Why sigmoid hidden units make the next layer zigzag.

A unit k of layer l + 1 receives z_k = sum_i w_ik x_i + b_k from the outputs x_i of layer l. On one
example its weights get the gradient dL/dw_ik = delta_k * x_i, with delta_k = dL/dz_k. When every x_i is
positive (sigmoid outputs are in (0, 1)), every one of unit k's incoming weights moves with the sign of
delta_k on that example: all up or all down. To reach weights where one must rise and another fall,
single-example SGD can only alternate (up-right, down-left, up-right, ...): a zigzag. With tanh, the x_i
have both signs and the steps point anywhere.

``single_example_path`` runs plain SGD one example at a time and keeps every iterate;
``opposing_pair`` picks, in the path, the unit and the two incoming weights whose net motion is most
clearly one up and one down: the case where the sign rule forces a zigzag.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from networks.model import Architecture, mean_loss, unflatten_params, unravel_function
from programs import bounded_jit


@bounded_jit(static_argnums=(0,))
def _single_example_sgd(architecture: Architecture, theta0, inputs, targets, order, lr):
    unravel = unravel_function(architecture)

    def loss(theta, n):
        return mean_loss(architecture, unravel(theta), inputs[n][None], targets[n][None])

    def step(theta, n):
        theta = theta - lr * jax.grad(loss)(theta, n)
        return theta, theta

    _, thetas = jax.lax.scan(step, theta0, order)
    return jnp.concatenate([theta0[None], thetas])


def single_example_path(architecture: Architecture, theta0, inputs, targets, n_steps: int, lr: float,
                        seed: int = 0) -> np.ndarray:
    """theta_0 .. theta_T of SGD with one example per step (examples in a random order, without
    replacement, repeated as needed): shape (n_steps + 1, n_params)."""
    rng = np.random.default_rng(seed)
    n = len(targets)
    order = np.concatenate([rng.permutation(n) for _ in range(-(-int(n_steps) // n))])[:int(n_steps)]
    path = _single_example_sgd(architecture, jnp.asarray(theta0, dtype=float), jnp.asarray(inputs, dtype=float),
                               jnp.asarray(targets, dtype=float), jnp.asarray(order, dtype=jnp.int32), float(lr))
    return np.asarray(path)


def incoming_weights(architecture: Architecture, path: np.ndarray, layer: int) -> np.ndarray:
    """The weight matrix into hidden layer ``layer`` (0-based; 1 = the second hidden layer) at every
    iterate of the path: (T + 1, n_in, n_out)."""
    return np.asarray(unflatten_params(architecture, np.asarray(path))[layer][0])


def opposing_pair(weights: np.ndarray) -> tuple[int, int, int]:
    """(i, j, k): the unit k and two of its incoming weights w_ik (net motion up) and w_jk (net motion
    down) whose smaller net displacement is the largest over all units, for weights (T + 1, n_in, n_out)."""
    moved = weights[-1] - weights[0]  # (n_in, n_out)
    up, down = moved.argmax(axis=0), moved.argmin(axis=0)
    columns = np.arange(moved.shape[1])
    score = np.minimum(moved[up, columns], -moved[down, columns])
    k = int(np.argmax(score))
    return int(up[k]), int(down[k]), k


def same_direction_share(pair_path: np.ndarray) -> float:
    """The share of steps in which both weights of a (T + 1, 2) path moved the same way (both up or both
    down); steps where either did not move are left out."""
    steps = np.diff(np.asarray(pair_path), axis=0)
    moving = np.all(steps != 0, axis=1)
    if not moving.any():
        return float("nan")
    return float(np.mean(np.sign(steps[moving, 0]) == np.sign(steps[moving, 1])))
