"""Random restarts: run from K random starts and keep the best end point.

If one run from a random start reaches the global minimum with probability p, and the runs are
independent, the best of K runs reaches it with probability

    P(K) = 1 - (1 - p)^K.

``restart_study`` measures P(K) directly: n_trials independent groups of K_max random starts, all
run in one vectorized call; a group "succeeds at K" when any of its first K runs ends within
``tolerance`` of the global minimum's loss. The measured curve is then compared with the formula,
using p estimated from all the runs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from analysis.basins import full_batch, summarize_endpoints
from landscapes.base import Landscape
from optimizers import run_trajectories
from optimizers.engine import RunSettings

MAX_K = 50
MAX_TRIALS = 400
MAX_RESTART_RUNS = 12_000  # n_trials * K_max is clamped to this


class RestartStudy(NamedTuple):
    ks: np.ndarray  # (K_max,) 1..K_max
    measured: np.ndarray  # (K_max,) share of trials whose best of K reached the global minimum
    predicted: np.ndarray  # (K_max,) 1 - (1 - p)^K
    single_success: float  # p: share of all runs that reached the global minimum
    final_loss: np.ndarray  # (n_trials, K_max)
    success: np.ndarray  # (n_trials, K_max) bool
    starts: np.ndarray  # (n_trials, K_max, 2)
    labels: np.ndarray  # (n_trials, K_max) minimum index / -1 unsettled / -2 diverged
    best_loss: np.ndarray  # (n_trials, K_max) best loss among the first K runs of each trial
    global_loss: float


def best_of_k_probability(p: float, ks) -> np.ndarray:
    """1 - (1 - p)^K."""
    return 1.0 - (1.0 - float(p)) ** np.asarray(ks, dtype=float)


def random_starts(domain, n: int, seed: int) -> np.ndarray:
    """n starts drawn uniformly over the plotting domain."""
    (x0, x1), (y0, y1) = domain
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=1)


def global_minimum_loss(landscape: Landscape) -> float:
    losses = [m.loss for m in landscape.minima() if m.loss is not None]
    if not losses:
        raise ValueError(f"{landscape.title}: no known minimum to compare with")
    return float(min(losses))


def restart_study(
    landscape: Landscape,
    optimizer_key: str,
    settings: RunSettings,
    k_max: int = 20,
    n_trials: int = 100,
    seed: int = 0,
    tolerance: float = 1e-3,
) -> RestartStudy:
    """Measure the chance that the best of K random restarts reaches the global minimum, K = 1..k_max."""
    k_max = int(np.clip(k_max, 1, MAX_K))
    n_trials = int(np.clip(n_trials, 1, min(MAX_TRIALS, MAX_RESTART_RUNS // k_max)))
    starts = random_starts(landscape.domain, n_trials * k_max, seed)
    trajectories = run_trajectories(full_batch(landscape), optimizer_key, starts, settings.replace(batch_size=None))
    labels, _, final_loss, _ = summarize_endpoints(landscape, trajectories)
    target = global_minimum_loss(landscape)
    scale = max(1.0, abs(target))
    success = (labels != -2) & (final_loss <= target + tolerance * scale)
    shape = (n_trials, k_max)
    success, final_loss, labels = success.reshape(shape), final_loss.reshape(shape), labels.reshape(shape)
    safe_loss = np.where(labels == -2, np.inf, final_loss)
    best_loss = np.minimum.accumulate(safe_loss, axis=1)
    measured = np.cumsum(success, axis=1).astype(bool).mean(axis=0)
    ks = np.arange(1, k_max + 1)
    p = float(success.mean())
    return RestartStudy(ks, measured, best_of_k_probability(p, ks), p, final_loss, success,
                        starts.reshape(shape + (2,)), labels, best_loss, target)


def restarts_needed(p: float, confidence: float = 0.95) -> float:
    """Smallest K with 1 - (1 - p)^K >= confidence (inf when p = 0)."""
    if p <= 0:
        return float("inf")
    if p >= 1:
        return 1.0
    return float(np.ceil(np.log(1 - confidence) / np.log(1 - p)))
