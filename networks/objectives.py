"""What we optimize: the 0-1 loss a classifier is judged by, and the log-likelihood it is trained on.

For a linear classifier through the origin (the ``logistic_regression`` landscape's model,
theta = w = (w1, w2), inputs x_n, labels y_n in {0, 1}, signs s_n = 2 y_n - 1):

    0-1 loss        L01(w)  = (1/N) #{n : s_n w.x_n <= 0}            (a point on the line counts as wrong)
    log-likelihood  NLL(w)  = (1/N) sum_n log(1 + exp(-s_n w.x_n))   (the negative mean log-likelihood)

L01 takes only the values k/N: it is constant between the lines w.x_n = 0 (one line per data point
in the weight plane) and depends only on the direction of w, never its length. Its gradient is zero
wherever it is defined (almost everywhere), by automatic differentiation and by finite differences,
so gradient descent on it never leaves its start. NLL is smooth and convex; its gradient points
towards larger margins, and on separable data it keeps growing |w| after every point is right.

For a network with logit f(x) (``networks.model.forward``), the margin of an example is
m_n = s_n f(x_n): positive when it is classified right, and large when confidently right. The 0-1
loss counts m_n <= 0; the log-loss, log(1 + e^{-m_n}), still pushes every margin up after all are
positive: the notes' reason why the test 0-1 loss keeps falling after the training 0-1 loss is zero.

NumPy and JAX only; the gradient-descent program is one ``programs.bounded_jit`` program for a fixed
number of samples and steps (everything a slider moves is traced).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks.model import Architecture, forward
from programs import bounded_jit

jax.config.update("jax_enable_x64", True)

GD_STEPS = 200  # every gradient-descent run has this many slots; fewer steps are masked (one compiled shape)
FD_STEP = 1e-6


def signs(labels) -> np.ndarray:
    """s_n = 2 y_n - 1: +1 for class 1, -1 for class 0."""
    return 2.0 * np.asarray(labels, dtype=float) - 1.0


def zero_one_loss(weights, inputs, labels) -> np.ndarray:
    """L01 at one weight vector (2,) or many (..., 2): the share of points with s_n w.x_n <= 0."""
    w = np.asarray(weights, dtype=float)
    scores = w @ np.asarray(inputs, dtype=float).T  # (..., N)
    return np.mean(signs(labels) * scores <= 0, axis=-1)


def log_loss(weights, inputs, labels) -> np.ndarray:
    """NLL at one weight vector (2,) or many (..., 2): the mean of log(1 + exp(-s_n w.x_n))."""
    w = np.asarray(weights, dtype=float)
    scores = w @ np.asarray(inputs, dtype=float).T
    return np.mean(np.logaddexp(0.0, -signs(labels) * scores), axis=-1)


def _zero_one_jax(w, inputs, s):
    return jnp.mean(jnp.where(s * (inputs @ w) > 0, 0.0, 1.0))


def _log_loss_jax(w, inputs, s):
    return jnp.mean(jnp.logaddexp(0.0, -s * (inputs @ w)))


def finite_difference_gradient(loss, w, h: float = FD_STEP) -> np.ndarray:
    """Central differences (L(w + h e_i) - L(w - h e_i)) / 2h of a NumPy loss of w (2,)."""
    w = np.asarray(w, dtype=float)
    out = np.zeros_like(w)
    for i in range(w.size):
        e = np.zeros_like(w)
        e[i] = h
        out[i] = (loss(w + e) - loss(w - e)) / (2 * h)
    return out


class DescentOnBoth(NamedTuple):
    """Gradient descent from one start on each loss (n_steps + 1 points each)."""

    log_path: np.ndarray  # (n + 1, 2) on the log-likelihood
    log_losses: np.ndarray  # (n + 1,) NLL along it
    log_zero_one: np.ndarray  # (n + 1,) the 0-1 loss along the same path
    log_gradient_norm: np.ndarray  # (n + 1,)
    zero_one_path: np.ndarray  # (n + 1, 2) on the 0-1 loss (autodiff gradient)
    zero_one_losses: np.ndarray  # (n + 1,)
    zero_one_gradient_norm: np.ndarray  # (n + 1,) |autodiff gradient| of L01 at each point
    finite_difference_norm: float  # |central-difference gradient| of L01 at the start


@bounded_jit
def _descent_program(inputs, s, start, lr, n_steps):
    """GD_STEPS slots of w <- w - lr grad L on the NLL and on L01 from the same start (steps past
    n_steps leave w where it is)."""
    log_grad = jax.grad(_log_loss_jax)
    zero_one_grad = jax.grad(_zero_one_jax)

    def step(carry, k):
        w_log, w01 = carry
        g_log, g01 = log_grad(w_log, inputs, s), zero_one_grad(w01, inputs, s)
        record = (w_log, _log_loss_jax(w_log, inputs, s), _zero_one_jax(w_log, inputs, s), jnp.linalg.norm(g_log),
                  w01, _zero_one_jax(w01, inputs, s), jnp.linalg.norm(g01))
        active = k < n_steps
        return (jnp.where(active, w_log - lr * g_log, w_log), jnp.where(active, w01 - lr * g01, w01)), record

    _, records = jax.lax.scan(step, (start, start), jnp.arange(GD_STEPS + 1))
    return records


def descend_both(inputs, labels, start, lr: float, n_steps: int) -> DescentOnBoth:
    """Run gradient descent on the log-likelihood and on the 0-1 loss from ``start``."""
    if not 1 <= n_steps <= GD_STEPS:
        raise ValueError(f"n_steps must be between 1 and {GD_STEPS}, got {n_steps}")
    inputs = np.asarray(inputs, dtype=float)
    s = signs(labels)
    start = np.asarray(start, dtype=float)
    records = [np.asarray(r)[:n_steps + 1] for r in _descent_program(inputs, s, start, np.float64(lr), np.int32(n_steps))]
    fd = finite_difference_gradient(lambda w: float(zero_one_loss(w, inputs, labels)), start)
    return DescentOnBoth(*records, float(np.linalg.norm(fd)))


def margins(architecture: Architecture, params, inputs, targets) -> np.ndarray:
    """m_n = s_n f(x_n), the signed logit of each example (positive: classified right)."""
    s = np.asarray(forward(architecture, params, np.asarray(inputs, dtype=float)))
    return signs(targets) * s


def zero_one_from_margins(m) -> float:
    """The 0-1 loss counted from margins: the share with m_n <= 0."""
    return float(np.mean(np.asarray(m) <= 0))


__all__ = ["GD_STEPS", "DescentOnBoth", "descend_both", "finite_difference_gradient", "log_loss", "margins", "signs",
           "zero_one_from_margins", "zero_one_loss"]
