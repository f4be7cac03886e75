"""Exact error surfaces of tiny two-layer networks with one weight per layer, theta = (w, v).

The samples are data points (x_n, t_n), so a minibatch is a real subset of the data. The weight
penalty lambda (v^2 + w^2) sits inside every sample's loss, so the mean keeps it exactly once.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

from landscapes.base import CriticalPoint, Landscape


def two_layer_linear_sample_loss(theta, sample, params):
    """l_n(w, v) = (v * w * x_n - t_n)^2 + lambda (v^2 + w^2)."""
    w, v = theta
    x, t = sample
    return (v * w * x - t) ** 2 + params["l2"] * (v**2 + w**2)


def two_layer_tanh_sample_loss(theta, sample, params):
    """l_n(w, v) = (v * tanh(w * x_n) - t_n)^2 + lambda (v^2 + w^2)."""
    w, v = theta
    x, t = sample
    return (v * jnp.tanh(w * x) - t) ** 2 + params["l2"] * (v**2 + w**2)


def two_layer_linear(x=1.0, t=1.0, l2=0.1) -> Landscape:
    """The notes' example: one data point (x, t) = (1, 1), lambda = 0.1.

    Critical points: the origin is a saddle (Hessian eigenvalues 2*lambda +- 2*x*t), and for
    x*t > lambda the minima lie at w = v = +-sqrt((x t - lambda) / x^2).
    """
    points = [CriticalPoint(0.0, 0.0, "saddle", float(t**2), "saddle at zero")]
    if x * t > l2:
        r = math.sqrt((x * t - l2) / x**2)
        loss = (r * r * x - t) ** 2 + 2 * l2 * r * r
        sign = 1.0 if t > 0 else -1.0
        points += [
            CriticalPoint(r, sign * r, "minimum", loss, "minimum"),
            CriticalPoint(-r, -sign * r, "minimum", loss, "minimum (sign flip)"),
        ]
    return Landscape(
        key="two_layer_linear",
        title="Two-layer linear network",
        description=(
            "Error of y = v·w·x on one example (x = 1, t = 1) with weight decay 0.1. Only the product v·w matters, "
            "so good solutions lie along a hyperbola, the sign flip (w, v) → (−w, −v) gives a twin minimum, "
            "and zero is a saddle."
        ),
        sample_loss=two_layer_linear_sample_loss,
        samples=jnp.asarray([[float(x), float(t)]]),
        params={"l2": jnp.asarray(float(l2))},
        domain=((-2.0, 2.0), (-2.0, 2.0)),
        default_start=(-1.5, 0.2),
        critical_points=tuple(points),
        axis_labels=("w (first layer)", "v (second layer)"),
        log_contours=False,
        settings={"x": x, "t": t, "l2": l2},
    )


TANH_TARGETS = {
    "tanh": lambda x: np.tanh(1.5 * x),
    "sine": lambda x: np.sin(1.5 * x),
    "step": lambda x: np.sign(x),
    "linear": lambda x: 0.5 * x,
}


def tanh_dataset(n_samples=24, noise=0.1, target="tanh", seed=0):
    """Inputs evenly spread on [-2, 2], targets from ``target`` plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-2.0, 2.0, n_samples)
    t = TANH_TARGETS[target](x) + noise * rng.standard_normal(n_samples)
    return np.stack([x, t], axis=1)


def two_layer_tanh(n_samples=24, noise=0.1, target="tanh", l2=0.01, seed=0) -> Landscape:
    """Error of y = v tanh(w x) over a small dataset. Critical points are found numerically."""
    data = tanh_dataset(n_samples, noise, target, seed)
    return Landscape(
        key="two_layer_tanh",
        title="Two-layer tanh network",
        description=(
            f"Mean error of y = v·tanh(w·x) over {n_samples} noisy samples of a {target} target, with weight decay "
            f"{l2:g}. The tanh saturates, so the surface has plateaus, a saddle at zero and mirror-image minima."
        ),
        sample_loss=two_layer_tanh_sample_loss,
        samples=jnp.asarray(data),
        params={"l2": jnp.asarray(float(l2))},
        domain=((-4.0, 4.0), (-3.0, 3.0)),
        default_start=(-3.5, -0.3),
        critical_points=(),
        axis_labels=("w (first layer)", "v (second layer)"),
        log_contours=False,
        settings={"n_samples": n_samples, "noise": noise, "target": target, "l2": l2, "seed": seed},
    )
