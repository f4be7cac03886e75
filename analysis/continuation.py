"""Continuation: minimize a blurred copy of the loss first, then sharpen it step by step.

The blurred loss is the average of L over Gaussian noise of width sigma:

    L_sigma(theta) = E_{z ~ N(0, I)} [ L(theta + sigma z) ]
                   ~ (1/pi) sum_{j,k} w_j w_k L(theta + sqrt(2) sigma (x_j, x_k))

with the Gauss-Hermite nodes x_j and weights w_j (exact for polynomials up to degree 2q - 1 in each
coordinate). At sigma = 0 it is L itself. Blurring removes bumps narrower than about sigma: a
ripple cos(2 pi u / p) is scaled by exp(-2 pi^2 sigma^2 / p^2), while a quadratic bowl only gains a
constant, |theta|^2 -> |theta|^2 + 2 sigma^2 (tests check both).

The continuation schedule runs gradient descent on L_sigma for a few steps at each of a decreasing
list of widths sigma_0 > sigma_1 > ... > 0, each stage starting where the last one stopped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from programs import bounded_jit
from landscapes.base import CriticalPoint, Landscape, mean_loss

jax.config.update("jax_enable_x64", True)

QUADRATURE_ORDER = 24  # nodes per axis for maps: 576 evaluations of L per smoothed value
RUN_ORDER = 16  # nodes per axis inside the descent loops (256 evaluations per step)
#: The widest blurs the quadratures follow on period-1 ripples (the rule's nodes must resolve the ripples
#: stretched by sigma), measured on the grid of ripple peaks and troughs: maps to 9e-7 at SIGMA_MAX_MAP
#: with 24 nodes (20 nodes: 1.4e-4, the blurred ripple inverted), runs to about 3e-6 at SIGMA_MAX_RUN
#: (tests/test_continuation_quadrature.py). With 10 nodes the runs' blur came back inverted beyond 0.55.
SIGMA_MAX_MAP = 0.8
SIGMA_MAX_RUN = 0.7
MAX_STAGES = 12
MAX_CONTINUATION_STARTS = 1024


@lru_cache(maxsize=8)
def hermite_rule(order: int = QUADRATURE_ORDER) -> tuple[np.ndarray, np.ndarray]:
    """2-D tensor Gauss-Hermite rule for E[f(z)], z ~ N(0, I_2): (offsets (q^2, 2), weights (q^2,))."""
    x, w = np.polynomial.hermite.hermgauss(order)
    X, Y = np.meshgrid(x, x)
    offsets = np.sqrt(2.0) * np.stack([X.ravel(), Y.ravel()], axis=1)
    weights = np.outer(w, w).ravel() / np.pi
    return offsets, weights


def smoothed_value(sample_loss, theta, sigma, samples, params, order: int = QUADRATURE_ORDER):
    """L_sigma(theta) by Gauss-Hermite quadrature (a plain function: jit it through its callers)."""
    offsets, weights = hermite_rule(order)
    points = theta[None, :] + sigma * jnp.asarray(offsets)
    values = jax.vmap(mean_loss, in_axes=(None, 0, None, None))(sample_loss, points, samples, params)
    return jnp.sum(jnp.asarray(weights) * values)


@bounded_jit(static_argnums=0)
def smoothed_loss(sample_loss, thetas, sigma, samples, params):
    """L_sigma at many points (S, 2)."""
    return jax.vmap(smoothed_value, in_axes=(None, 0, None, None, None))(sample_loss, thetas, sigma, samples, params)


@bounded_jit(static_argnums=0)
def smoothed_gradient(sample_loss, thetas, sigma, samples, params):
    grad = jax.grad(smoothed_value, argnums=1)
    return jax.vmap(grad, in_axes=(None, 0, None, None, None))(sample_loss, thetas, sigma, samples, params)


def smoothed_grid(landscape: Landscape, sigma: float, resolution: int = 100):
    """(xs, ys, Z) with Z[i, j] = L_sigma(xs[j], ys[i])."""
    (x0, x1), (y0, y1) = landscape.domain
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    Z = smoothed_loss(landscape.sample_loss, jnp.asarray(points), jnp.asarray(float(sigma)), landscape.samples, landscape.params)
    return xs, ys, np.asarray(Z).reshape(resolution, resolution)


CONTINUATION_STEPS = 600  # compiled length of every run; the schedule only changes traced values


@bounded_jit(static_argnums=0)
def _descend(sample_loss, starts, sigma_per_step, lr, samples, params):
    """Gradient descent on L_sigma with sigma = sigma_per_step[t] at step t, from each start.
    Returns the iterates (S, T + 1, 2)."""
    grad = jax.grad(smoothed_value, argnums=1)

    def run_one(theta0):
        def step(theta, sigma):
            new = theta - lr * grad(sample_loss, theta, sigma, samples, params, RUN_ORDER)
            new = jnp.where(jnp.all(jnp.isfinite(new)), new, theta)
            return new, new

        _, path = jax.lax.scan(step, theta0, sigma_per_step)
        return jnp.concatenate([theta0[None, :], path])

    return jax.vmap(run_one)(starts)


def sigma_schedule(sigma_start: float, n_stages: int) -> np.ndarray:
    """J stage widths: geometric from sigma_0 down to sigma_0 / 10, then a last stage at 0 (the true loss)."""
    n_stages = int(np.clip(n_stages, 1, MAX_STAGES))
    if n_stages == 1:
        return np.zeros(1)
    return np.concatenate([np.geomspace(sigma_start, sigma_start / 10.0, n_stages - 1), [0.0]])


def sigma_per_step(sigmas, total_steps: int = CONTINUATION_STEPS) -> np.ndarray:
    """The stage widths spread over ``total_steps`` steps in equal stages (T,)."""
    sigmas = np.asarray(sigmas, dtype=float)
    stage = np.minimum(np.arange(total_steps) * len(sigmas) // total_steps, len(sigmas) - 1)
    return sigmas[stage]


class ContinuationResult(NamedTuple):
    continuation_paths: np.ndarray  # (S, T + 1, 2)
    direct_paths: np.ndarray  # (S, T + 1, 2)
    continuation_loss: np.ndarray  # (S,) true loss at the end
    direct_loss: np.ndarray  # (S,)
    continuation_success: np.ndarray  # (S,) bool: ended at the global minimum
    direct_success: np.ndarray  # (S,)
    sigmas: np.ndarray  # (T,) the width in force at each step
    global_loss: float


def compare(landscape: Landscape, starts, sigmas, lr: float, total_steps: int = CONTINUATION_STEPS,
            tolerance: float = 1e-3) -> ContinuationResult:
    """Continuation (stage widths ``sigmas`` over ``total_steps`` steps) against plain GD on L for the same
    number of steps, from the same starts. Success: the true loss ends within ``tolerance`` of the global minimum's."""
    starts = jnp.asarray(np.asarray(starts, dtype=float).reshape(-1, 2))
    per_step = sigma_per_step(sigmas, total_steps)
    args = (jnp.asarray(float(lr)), landscape.samples, landscape.params)
    cont = np.asarray(_descend(landscape.sample_loss, starts, jnp.asarray(per_step), *args))
    direct = np.asarray(_descend(landscape.sample_loss, starts, jnp.zeros(total_steps), *args))
    cont_loss = np.asarray(landscape.loss(cont[:, -1]))
    direct_loss = np.asarray(landscape.loss(direct[:, -1]))
    target = float(min(m.loss for m in landscape.minima()))
    threshold = target + tolerance * max(1.0, abs(target))
    return ContinuationResult(cont, direct, cont_loss, direct_loss, cont_loss <= threshold, direct_loss <= threshold,
                              per_step, target)


# ---- a rippled bowl: many local minima, one global -------------------------------------------

RIPPLE_CENTER = (0.6, -0.4)


def rippled_bowl_sample_loss(theta, sample, params):
    """l(theta) = a/2 |theta - c|^2 + b sum_i (1 - cos(2 pi (theta_i - c_i) / p))."""
    d = theta - params["center"]
    bowl = 0.5 * params["bowl"] * jnp.sum(d**2)
    ripples = params["ripple"] * jnp.sum(1.0 - jnp.cos(2 * jnp.pi * d / params["period"]))
    return bowl + ripples


def rippled_bowl_smoothed(theta, sigma, bowl=1.0, ripple=1.0, period=1.0, center=RIPPLE_CENTER):
    """The exact Gaussian blur of the rippled bowl (for tests and the formula on the page)."""
    d = np.asarray(theta, dtype=float) - np.asarray(center)
    damping = np.exp(-2 * np.pi**2 * sigma**2 / period**2)
    return 0.5 * bowl * (np.sum(d**2, axis=-1) + 2 * sigma**2) + ripple * np.sum(1 - damping * np.cos(2 * np.pi * d / period), axis=-1)


def rippled_bowl(bowl: float = 1.0, ripple: float = 1.0, period: float = 1.0) -> Landscape:
    """A bowl with ripples on it: a grid of local minima around one global minimum at c."""
    return Landscape(
        key="rippled_bowl",
        title="Rippled bowl",
        description=(
            "A wide bowl covered in ripples one unit apart: dozens of local minima, and a single global "
            f"minimum at ({RIPPLE_CENTER[0]}, {RIPPLE_CENTER[1]})."
        ),
        sample_loss=rippled_bowl_sample_loss,
        samples=jnp.zeros((1, 1)),
        params={"center": jnp.asarray(RIPPLE_CENTER), "bowl": jnp.asarray(float(bowl)),
                "ripple": jnp.asarray(float(ripple)), "period": jnp.asarray(float(period))},
        domain=((-3.0, 3.0), (-3.0, 3.0)),
        default_start=(-2.3, 2.1),
        critical_points=(CriticalPoint(RIPPLE_CENTER[0], RIPPLE_CENTER[1], "minimum", 0.0, "global minimum"),),
        log_contours=False,
        settings={"bowl": bowl, "ripple": ripple, "period": period},
    )

