"""Regression losses over a generated dataset, two weights each: the samples are real data points,
so a minibatch is a real subset of the data and its gradient a real estimate of the full one.

- Linear regression, theta = (w, b) slope and intercept, one input x per sample:
      l_n(w, b) = 1/2 (w x_n + b - t_n)^2
  The mean loss is a quadratic whose Hessian is [[mean x^2, mean x], [mean x, 1]] everywhere, and the
  minimum solves the normal equations. The inputs are not centred, so the bowl is tilted and elongated.
- Logistic regression, theta = (w1, w2), two inputs per sample and a label y_n in {0, 1}:
      l_n(w) = log(1 + exp(-s_n w . x_n)) + lambda/2 |w|^2,   s_n = 2 y_n - 1
  The small weight penalty keeps the minimum finite even when the classes happen to separate.

Both datasets are stored *sorted* (by x, by label): shuffled sampling ignores the order, while the
"sorted" sampling of the engine walks through the data in this order, which is the bad case of
correlated minibatches.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from landscapes.base import CriticalPoint, Landscape

TRUE_LINE = (1.5, -0.5)  # slope and intercept that generate the linear-regression targets
CLASS_MEAN = (1.0, 0.6)  # class 1 is centred at +CLASS_MEAN, class 0 at -CLASS_MEAN


def linear_regression_sample_loss(theta, sample, params):
    """l_n(w, b) = 1/2 (w x_n + b - t_n)^2."""
    w, b = theta
    x, t = sample
    return 0.5 * (w * x + b - t) ** 2


def logistic_regression_sample_loss(theta, sample, params):
    """l_n(w) = log(1 + exp(-s_n w . x_n)) + lambda/2 |w|^2 with s_n = 2 y_n - 1 (a stable softplus)."""
    x = sample[:2]
    s = 2.0 * sample[2] - 1.0
    return jnp.logaddexp(0.0, -s * jnp.dot(theta, x)) + 0.5 * params["l2"] * jnp.dot(theta, theta)


def linear_dataset(n_samples=64, noise=0.5, seed=0) -> np.ndarray:
    """(N, 2) rows (x_n, t_n), sorted by x: x ~ N(1, 1), t = 1.5 x - 0.5 + noise * eps."""
    rng = np.random.default_rng(seed)
    x = 1.0 + rng.standard_normal(n_samples)
    t = TRUE_LINE[0] * x + TRUE_LINE[1] + noise * rng.standard_normal(n_samples)
    order = np.argsort(x)
    return np.stack([x[order], t[order]], axis=1)


def logistic_dataset(n_samples=64, spread=1.0, seed=0) -> np.ndarray:
    """(N, 3) rows (x1, x2, y): half the points around +CLASS_MEAN (y = 1), half around -CLASS_MEAN
    (y = 0), isotropic Gaussian spread; stored sorted by label (all y = 0 first)."""
    rng = np.random.default_rng(seed)
    y = (np.arange(n_samples) >= n_samples // 2).astype(float)
    centre = np.where(y[:, None] > 0, 1.0, -1.0) * np.asarray(CLASS_MEAN)
    x = centre + spread * rng.standard_normal((n_samples, 2))
    return np.concatenate([x, y[:, None]], axis=1)


def logistic_minimum(data: np.ndarray, l2: float, iterations: int = 30) -> np.ndarray:
    """The minimizer of the (strictly convex) regularised log-loss, by Newton's method from zero."""
    x, s = data[:, :2], 2.0 * data[:, 2] - 1.0
    w = np.zeros(2)
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(s * (x @ w)))  # sigma(-s w.x)
        gradient = -(x * (s * p)[:, None]).mean(axis=0) + l2 * w
        hessian = (x.T * (p * (1 - p))) @ x / len(x) + l2 * np.eye(2)
        w = w - np.linalg.solve(hessian, gradient)
    return w


def linear_regression(n_samples=64, noise=0.5, seed=0) -> Landscape:
    """Least squares line fit; the minimum (normal equations) is listed exactly."""
    data = linear_dataset(n_samples, noise, seed)
    x, t = data[:, 0], data[:, 1]
    design = np.stack([x, np.ones_like(x)], axis=1)
    w, b = np.linalg.lstsq(design, t, rcond=None)[0]
    residual = design @ np.array([w, b]) - t
    minimum = CriticalPoint(float(w), float(b), "minimum", float(0.5 * np.mean(residual**2)), "least-squares fit")
    return Landscape(
        key="linear_regression",
        title="Linear regression",
        description=(
            f"Fit a line y = w·x + b to {n_samples} noisy points by mean squared error. The inputs are not centred, "
            "so slope and intercept trade off against each other: the bowl is a tilted ellipse."
        ),
        sample_loss=linear_regression_sample_loss,
        samples=jnp.asarray(data),
        params={},
        domain=((-1.5, 4.5), (-3.5, 2.5)),
        default_start=(-1.0, 2.0),
        critical_points=(minimum,),
        axis_labels=("w (slope)", "b (intercept)"),
        log_contours=True,
        settings={"n_samples": n_samples, "noise": noise, "seed": seed},
    )


def logistic_regression(n_samples=64, noise=1.0, l2=0.05, seed=0) -> Landscape:
    """Two-class logistic regression through the origin; its single minimum is found by Newton's method.
    ``noise`` is the spread of the points around their class centre (how much the classes overlap)."""
    data = logistic_dataset(n_samples, noise, seed)
    w = logistic_minimum(data, l2)
    z = -(2.0 * data[:, 2] - 1.0) * (data[:, :2] @ w)
    loss = float(np.mean(np.logaddexp(0.0, z)) + 0.5 * l2 * w @ w)
    return Landscape(
        key="logistic_regression",
        title="Logistic regression",
        description=(
            f"Separate two overlapping clouds of {n_samples} points with a line through the origin, by log-loss "
            f"plus a small weight penalty ({l2:g}). Convex, curved, and flatter far from the solution."
        ),
        sample_loss=logistic_regression_sample_loss,
        samples=jnp.asarray(data),
        params={"l2": jnp.asarray(float(l2))},
        domain=((-3.0, 5.0), (-4.0, 4.0)),
        default_start=(-2.5, 3.0),
        critical_points=(CriticalPoint(float(w[0]), float(w[1]), "minimum", loss, "minimum"),),
        axis_labels=("w₁", "w₂"),
        log_contours=True,
        settings={"n_samples": n_samples, "noise": noise, "l2": l2, "seed": seed},
    )


__all__ = [
    "linear_regression",
    "logistic_regression",
    "linear_regression_sample_loss",
    "logistic_regression_sample_loss",
    "linear_dataset",
    "logistic_dataset",
]
