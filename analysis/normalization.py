"""Why normalizing data (and activations) helps: the Hessian of a linear model is built from the
data's second moments, so the data's mean, scales and correlation set its condition number.

Linear regression with weight decay on inputs x in R^2 and targets t:

    E(w) = (1/N) sum_n (w . x_n - t_n)^2 + lambda |w|^2
    H    = 2 E[x x^T] + 2 lambda I = 2 (Sigma + mu mu^T) + 2 lambda I

(Sigma the covariance, mu the mean of the inputs): a mean far from zero adds the rank-one term
mu mu^T, one very steep direction; unequal scales and correlation spread Sigma's eigenvalues.
Centering removes mu mu^T, standardizing equalizes the scales, whitening (Sigma^{-1/2}) makes the
data's covariance the identity, so H = 2 (1 + lambda) I and the condition number is exactly 1.

Inside a network the inputs of a unit are the previous layer's activations a_j, and the block of
the Hessian for that unit's incoming weights is, to first order, 2 E[a a^T delta^2]: the same
structure, so activations with a non-zero mean (the logistic sigmoid, always positive) inflate its
condition number the way un-centered data does. ``hidden_unit_hessians`` measures that block
exactly with ``jax.hessian`` (both terms, not only the first-order one).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from programs import bounded_jit
from landscapes.base import CriticalPoint, Landscape

TRANSFORMS = ("raw", "centered", "standardized", "whitened")
TRANSFORM_TITLES = {
    "raw": "raw inputs",
    "centered": "centered (x − μ)",
    "standardized": "standardized ((x − μ) / σ)",
    "whitened": "whitened (Σ^−½ (x − μ))",
}
ACTIVATIONS = ("sigmoid", "tanh")
MAX_SAMPLES = 5000


# ---- the dataset ---------------------------------------------------------------------------------

def make_dataset(n_samples: int = 200, mean=(3.0, 1.0), scales=(1.0, 0.3), correlation: float = 0.5,
                 noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Inputs X (N, 2) with the given mean, per-feature standard deviations and correlation, and
    targets t = w_true . (x - mean) + 0.5 + noise, with w_true = (1, -1)."""
    rng = np.random.default_rng(seed)
    correlation = float(np.clip(correlation, -0.999, 0.999))
    C = np.array([[1.0, correlation], [correlation, 1.0]])
    z = rng.standard_normal((n_samples, 2)) @ np.linalg.cholesky(C).T
    X = np.asarray(mean, dtype=float) + z * np.asarray(scales, dtype=float)
    t = (X - np.asarray(mean)) @ np.array([1.0, -1.0]) + 0.5 + noise * rng.standard_normal(n_samples)
    return X, t


def transform(X: np.ndarray, kind: str) -> np.ndarray:
    """The inputs after the preprocessing ``kind`` (statistics from the data itself)."""
    if kind == "raw":
        return X.copy()
    centered = X - X.mean(axis=0)
    if kind == "centered":
        return centered
    if kind == "standardized":
        return centered / centered.std(axis=0)
    if kind == "whitened":
        cov = centered.T @ centered / len(X)
        values, vectors = np.linalg.eigh(cov)
        return centered @ vectors @ np.diag(values**-0.5) @ vectors.T  # ZCA: Sigma^{-1/2} (x - mu)
    raise ValueError(f"unknown transform {kind!r}; choose one of {TRANSFORMS}")


# ---- the Hessian -----------------------------------------------------------------------------------

def data_hessian(X: np.ndarray, l2: float) -> np.ndarray:
    """H = 2 E[x x^T] + 2 lambda I, from the data."""
    X = np.asarray(X, dtype=float)
    return 2.0 * X.T @ X / len(X) + 2.0 * l2 * np.eye(X.shape[1])


def condition_number(H: np.ndarray) -> float:
    lam = np.linalg.eigvalsh(H)
    return float(lam[-1] / lam[0]) if lam[0] > 0 else np.inf


class HessianReport(NamedTuple):
    kind: str
    hessian: np.ndarray  # from the formula
    autodiff_hessian: np.ndarray  # from jax.hessian of the loss
    eigenvalues: np.ndarray
    condition_number: float
    mean: np.ndarray
    std: np.ndarray


def linear_regression_sample_loss(theta, sample, params):
    """l_n(w) = (w . x_n - t_n)^2 + lambda |w|^2, with sample = (x_1, x_2, t)."""
    x, t = sample[:2], sample[2]
    return (theta @ x - t) ** 2 + params["l2"] * (theta @ theta)


def regression_landscape(X: np.ndarray, t: np.ndarray, l2: float, title: str = "Linear regression") -> Landscape:
    """The regression loss over the two weights as a Landscape (one sample per data point), with its
    minimum w* = (E[x x^T] + lambda I)^-1 E[x t] and a plotting box holding both w = 0 and w*."""
    X, t = np.asarray(X, dtype=float), np.asarray(t, dtype=float)
    A = X.T @ X / len(X) + l2 * np.eye(2)
    w_star = np.linalg.solve(A, X.T @ t / len(X))
    loss_star = float(np.mean((X @ w_star - t) ** 2) + l2 * w_star @ w_star)
    center = w_star / 2.0
    half = 0.6 * float(np.max(np.abs(w_star))) + 0.6
    return Landscape(
        key="linear_regression",
        title=title,
        description="Mean squared error of a linear model w · x with weight decay.",
        sample_loss=linear_regression_sample_loss,
        samples=jnp.asarray(np.column_stack([X, t])),
        params={"l2": jnp.asarray(float(l2))},
        domain=((center[0] - half, center[0] + half), (center[1] - half, center[1] + half)),
        default_start=(0.0, 0.0),
        critical_points=(CriticalPoint(float(w_star[0]), float(w_star[1]), "minimum", loss_star, "w*"),),
        axis_labels=("w₁", "w₂"),
        log_contours=True,
    )


def hessian_report(X: np.ndarray, t: np.ndarray, l2: float, kind: str) -> HessianReport:
    Z = transform(X, kind)
    landscape = regression_landscape(Z, t, l2)
    H = data_hessian(Z, l2)
    H_auto = np.asarray(landscape.hessian(np.zeros(2)))
    lam = np.linalg.eigvalsh(H)
    return HessianReport(kind, H, H_auto, lam, condition_number(H), Z.mean(axis=0), Z.std(axis=0))


# ---- inside a network: the Hessian block of one hidden unit ------------------------------------------

def _activation(name: str):
    return {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh}[name]


def network_data(n_samples: int = 512, n_inputs: int = 32, seed: int = 0):
    """Standardized Gaussian inputs (already normalized, so only the activations can be off-centre)
    and a smooth target t = sin(x . a)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_samples, n_inputs))
    a = rng.standard_normal(n_inputs) / np.sqrt(n_inputs)
    return X, np.sin(1.5 * X @ a)


@bounded_jit(static_argnums=(0, 1))
def _hidden_unit_hessians(activation: str, n_hidden: int, X, t, offset, seeds):
    """For each seed: a random network x -> a = f(W1 x + offset) -> h = f(W2 a) -> y = u . h, and the
    Hessian of E = mean (y - t)^2 with respect to the incoming weights w = W2[0] of hidden unit 0."""
    f = _activation(activation)
    d = X.shape[1]

    def one(seed):
        k1, k2, k3 = jax.random.split(jax.random.PRNGKey(seed), 3)
        W1 = jax.random.normal(k1, (n_hidden, d)) / jnp.sqrt(d)
        W2 = jax.random.normal(k2, (n_hidden, n_hidden)) / jnp.sqrt(n_hidden)
        u = jax.random.normal(k3, (n_hidden,)) / jnp.sqrt(n_hidden)
        a = f(X @ W1.T + offset)

        def loss(w):
            h = f(a @ W2.at[0].set(w).T)
            return jnp.mean((h @ u - t) ** 2)

        w = W2[0]
        H = jax.hessian(loss)(w)
        # the first-order ("Gauss-Newton") part 2 E[a a^T delta^2], delta = d y / d z_0 = u_0 f'(z_0)
        delta = u[0] * jax.vmap(jax.grad(f))(a @ w)
        gauss_newton = 2.0 * (a * delta[:, None] ** 2).T @ a / a.shape[0]
        return H, jnp.linalg.eigvalsh(H), jnp.linalg.eigvalsh(gauss_newton), jnp.mean(a)

    return jax.vmap(one)(seeds)


class UnitHessians(NamedTuple):
    activation: str
    hessians: np.ndarray  # (n_networks, n_hidden, n_hidden)
    eigenvalues: np.ndarray  # (n_networks, n_hidden) ascending
    condition_numbers: np.ndarray  # (n_networks,) max |lambda| / min |lambda|
    gauss_newton_condition_numbers: np.ndarray  # (n_networks,) of 2 E[a a^T delta^2] alone
    mean_activation: np.ndarray  # (n_networks,) mean of the unit's inputs a_j


def hidden_unit_hessians(activation: str, n_hidden: int = 16, offset: float = 0.0, n_networks: int = 12,
                         seed: int = 0) -> UnitHessians:
    """Measure the condition number of one hidden unit's Hessian block in ``n_networks`` random networks."""
    X, t = network_data(seed=seed)
    seeds = jnp.arange(seed, seed + n_networks, dtype=jnp.uint32)
    H, lam, lam_gn, mean_a = _hidden_unit_hessians(activation, int(n_hidden), jnp.asarray(X), jnp.asarray(t),
                                           jnp.asarray(float(offset)), seeds)
    lam = np.asarray(lam)
    return UnitHessians(activation, np.asarray(H), lam, abs_condition_numbers(lam),
                        abs_condition_numbers(np.asarray(lam_gn)), np.asarray(mean_a))


def abs_condition_numbers(eigenvalues: np.ndarray) -> np.ndarray:
    """max |lambda| / min |lambda| per row (the block can have a few small negative eigenvalues at a
    random point, from the term weighted by the residual y - t)."""
    magnitudes = np.abs(np.asarray(eigenvalues, dtype=float))
    return magnitudes.max(axis=-1) / np.maximum(magnitudes.min(axis=-1), 1e-300)
