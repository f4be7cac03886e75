"""Basins of attraction, zero initialization and plateaus on two-parameter losses.

A basin map runs the same optimizer from every point of an R x R grid of starts, all in one
vectorized jitted call of ``optimizers.engine.run_endpoints`` (the iterates of
``run_trajectories``, keeping only where each run ended), and labels where each run ended:

    label = i   the run settled within ``radius`` of known minimum i
    label = -1  it ran to the end without settling near any minimum (still on a plateau, say)
    label = -2  it diverged (non-finite values, or it left the bounded region)

Basins are a full-batch idea, so the map runs on ``full_batch(landscape)``: the same mean loss
written as a single "sample" that averages the whole dataset. The trajectories are identical to
full-batch runs on the original landscape (tests check this), but the engine skips drawing a
minibatch for every sample at every step, which is most of the cost for a 128 x 128 grid.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from landscapes.base import Landscape, mean_loss
from optimizers.engine import STEP_BUCKETS, RunSettings, Trajectories, run_endpoints

BASIN_RESOLUTION = 128  # default grid: 128 x 128 = 16,384 runs in one call
MAX_BASIN_RESOLUTION = 160
MIN_BASIN_RESOLUTION = 16
BASIN_STEPS = 200  # one of STEP_BUCKETS: ~1.5 s for 16,384 GD runs on the tanh network (2 cores)
MAX_BASIN_STEPS = 500
UNSETTLED = -1
DIVERGED = -2

assert BASIN_STEPS in STEP_BUCKETS


@lru_cache(maxsize=None)
def _full_batch_loss(sample_loss):
    """One wrapper per per-sample loss (a stable identity, so the engine compiles it once)."""

    def full_batch_sample_loss(theta, sample, params):
        return mean_loss(sample_loss, theta, params["data"], params["inner"])

    full_batch_sample_loss.__name__ = "full_batch_" + getattr(sample_loss, "__name__", "loss")
    return full_batch_sample_loss


def full_batch(landscape: Landscape) -> Landscape:
    """The same mean loss as a landscape with a single sample: L(theta) = (1/N) sum_n l_n(theta)."""
    if landscape.n_samples == 1:
        return landscape
    return replace(
        landscape,
        sample_loss=_full_batch_loss(landscape.sample_loss),
        samples=jnp.zeros((1, 1)),
        params={"data": landscape.samples, "inner": landscape.params},
        surface=None,  # the closed-form surface takes the original params; the wrapped loss is the whole mean
    )


def start_grid(domain, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, starts): starts[i * R + j] = (xs[j], ys[i]), matching a map Z[i, j]."""
    (x0, x1), (y0, y1) = domain
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    return xs, ys, starts


def settle_radius(domain) -> float:
    (x0, x1), (y0, y1) = domain
    return 0.03 * max(x1 - x0, y1 - y0)


def label_endpoints(points: np.ndarray, diverged: np.ndarray, minima: np.ndarray, radius: float) -> np.ndarray:
    """Index of the nearest minimum within ``radius`` of each end point; UNSETTLED or DIVERGED otherwise."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    minima = np.asarray(minima, dtype=float).reshape(-1, 2)
    if len(minima) == 0:
        labels = np.full(len(points), UNSETTLED)
    else:
        distance = np.linalg.norm(points[:, None, :] - minima[None, :, :], axis=-1)
        nearest = np.argmin(distance, axis=1)
        labels = np.where(distance[np.arange(len(points)), nearest] <= radius, nearest, UNSETTLED)
    return np.where(np.asarray(diverged).reshape(-1), DIVERGED, labels).astype(int)


class BasinMap(NamedTuple):
    xs: np.ndarray  # (R,)
    ys: np.ndarray  # (R,)
    label: np.ndarray  # (R, R) minimum index, UNSETTLED or DIVERGED
    final_loss: np.ndarray  # (R, R) loss at the last good iterate
    final_points: np.ndarray  # (R, R, 2)
    settle_step: np.ndarray  # (R, R) first step within the radius of the final minimum (-1 if never)
    minima: np.ndarray  # (M, 2) the minima used as labels
    minimum_losses: np.ndarray  # (M,)
    n_steps: int
    seconds: float  # wall-clock time of the one vectorized call

    def fractions(self) -> dict[int, float]:
        """Share of the starts per label (minimum index, UNSETTLED, DIVERGED)."""
        values, counts = np.unique(self.label, return_counts=True)
        return {int(v): float(c) / self.label.size for v, c in zip(values, counts)}


def summarize_endpoints(landscape: Landscape, trajectories: Trajectories) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(labels, final points, final losses, settle steps) for every trajectory of a run."""
    S, T1, _ = trajectories.params.shape
    last = np.clip(trajectories.diverged_at - 1, 0, T1 - 1)
    last = np.where(trajectories.status == 0, T1 - 1, last)
    final_points = trajectories.params[np.arange(S), last]
    final_loss = trajectories.loss[np.arange(S), last]
    diverged = trajectories.status != 0
    minima = np.array([m.point for m in landscape.minima()]).reshape(-1, 2)
    radius = settle_radius(landscape.domain)
    labels = label_endpoints(final_points, diverged, minima, radius)
    settle = np.full(S, -1)
    settled = labels >= 0
    if settled.any():
        target = minima[labels[settled]]
        near = np.linalg.norm(trajectories.params[settled] - target[:, None, :], axis=-1) <= radius
        # first index from which the run stays near its minimum until the end
        stays = np.flip(np.cumprod(np.flip(near, axis=1), axis=1), axis=1).astype(bool)
        settle[settled] = np.argmax(stays, axis=1)
    return labels, final_points, final_loss, settle


def basin_map(
    landscape: Landscape,
    optimizer_key: str,
    settings: RunSettings,
    resolution: int = BASIN_RESOLUTION,
) -> BasinMap:
    """Run ``optimizer_key`` from every point of a resolution x resolution grid (one jitted call) and
    label each run by the minimum it reached. ``settings`` are used full batch."""
    resolution = int(np.clip(resolution, MIN_BASIN_RESOLUTION, MAX_BASIN_RESOLUTION))
    xs, ys, starts = start_grid(landscape.domain, resolution)
    settings = settings.replace(batch_size=None, n_steps=int(np.clip(settings.n_steps, 1, MAX_BASIN_STEPS)))
    minima = np.array([m.point for m in landscape.minima()]).reshape(-1, 2)
    radius = settle_radius(landscape.domain)
    began = time.perf_counter()
    ends = run_endpoints(landscape, optimizer_key, starts, settings, minima, radius)
    seconds = time.perf_counter() - began
    labels = label_endpoints(ends.final, ends.status != 0, minima, radius)
    settle = np.full(len(starts), -1)
    settled = labels >= 0
    settle[settled] = ends.last_far[settled, labels[settled]] + 1  # near its minimum from there to the end
    final_points, final_loss = ends.final, ends.final_loss
    minima = landscape.minima()
    shape = (resolution, resolution)
    return BasinMap(
        xs, ys, labels.reshape(shape), final_loss.reshape(shape), final_points.reshape(shape + (2,)),
        settle.reshape(shape), np.array([m.point for m in minima]).reshape(-1, 2),
        np.array([m.loss for m in minima], dtype=float), settings.n_steps, seconds,
    )


# ---- zero initialization and symmetry ---------------------------------------------------------

def mirror_losses(landscape: Landscape, points) -> tuple[np.ndarray, np.ndarray]:
    """L(w, v) and L(-w, -v): equal for odd activations (the sign-flip symmetry of a hidden unit)."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    return np.asarray(landscape.loss(points)), np.asarray(landscape.loss(-points))


def product_curve(product: float, domain, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Points (w, v) with v * w = product inside the domain (both branches, NaN-separated), for drawing."""
    (x0, x1), (y0, y1) = domain
    w = np.concatenate([np.linspace(x0, -1e-3, n), [np.nan], np.linspace(1e-3, x1, n)])
    v = product / w
    inside = (v >= y0) & (v <= y1)
    return np.where(inside | np.isnan(w), w, np.nan), np.where(inside, v, np.nan)


# ---- plateaus ---------------------------------------------------------------------------------

def gradient_norm_grid(landscape: Landscape, resolution: int = 120) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """|grad L| on the plotting grid: (xs, ys, G) with G[i, j] at (xs[j], ys[i])."""
    xs, ys, starts = start_grid(landscape.domain, resolution)
    G = np.linalg.norm(np.asarray(landscape.gradient(starts)), axis=-1).reshape(resolution, resolution)
    return xs, ys, G


def plateau_mask(losses: np.ndarray, grad_norms: np.ndarray, best_loss: float, grad_tolerance: float,
                 loss_gap: float) -> np.ndarray:
    """True where a run is on a plateau: the gradient is tiny although the loss is still well above the best."""
    return (np.asarray(grad_norms) < grad_tolerance) & (np.asarray(losses) > best_loss + loss_gap)


def plateau_steps(trajectories: Trajectories, best_loss: float, grad_tolerance: float = 0.05,
                  loss_gap: float = 0.05) -> np.ndarray:
    """Steps each trajectory spends on a plateau (counted over its good iterates)."""
    counts = []
    for i in range(trajectories.params.shape[0]):
        mask = plateau_mask(trajectories.losses(i), trajectories.grad_norms(i), best_loss, grad_tolerance, loss_gap)
        counts.append(int(mask.sum()))
    return np.array(counts)
