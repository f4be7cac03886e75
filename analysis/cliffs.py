"""Cliffs and gradient clipping: how far does one step jump?

A gradient step moves theta by lr * |g|. On a cliff's wall |g| is hundreds of times larger than
anywhere else, so one step flings the parameters far from where the minimum is. Clipping caps the
step without looking at the landscape:

- by norm:  g <- g * min(1, c / |g|)   keeps the direction, so a GD step is at most lr * c long;
- by value: g_i <- clip(g_i, -c, c)     caps each coordinate, so a GD step is at most lr * c * sqrt(2)
                                        long in 2-D, but the direction can turn.

``clipping_runs`` runs the three variants from the same start in one vectorized call.
"""

from __future__ import annotations

import math

import numpy as np

from landscapes.base import Landscape
from optimizers import run_trajectories
from optimizers.engine import RunSettings, Trajectories

CLIPPING_VARIANTS = ("no clipping", "clip by norm", "clip by value")


def wall_edge(y: float) -> float:
    """x position of the cliff landscape's wall at height y (landscapes.analytic.cliff_surface)."""
    return -0.5 + 0.2 * y


def step_lengths(path: np.ndarray) -> np.ndarray:
    """|theta_{t+1} - theta_t| for every step of a path (T+1, 2) -> (T,)."""
    path = np.asarray(path, dtype=float)
    return np.linalg.norm(np.diff(path, axis=0), axis=-1)


def clipping_runs(landscape: Landscape, optimizer_key: str, start, settings: RunSettings, clip_norm: float,
                  clip_value: float) -> dict[str, Trajectories]:
    """{variant: Trajectories (S = 1)} for no clipping, norm clipping at ``clip_norm`` and value clipping
    at ``clip_value``, all from ``start`` in one call (the thresholds are traced, nothing recompiles)."""
    starts = np.repeat(np.asarray(start, dtype=float).reshape(1, 2), 3, axis=0)
    overrides = {"clip_norm": [math.inf, float(clip_norm), math.inf], "clip_value": [math.inf, math.inf, float(clip_value)]}
    both = run_trajectories(landscape, optimizer_key, starts, settings.replace(clip_norm=math.inf, clip_value=math.inf),
                            overrides=overrides)
    return {name: Trajectories(*(np.asarray(field)[i:i + 1] for field in both)) for i, name in enumerate(CLIPPING_VARIANTS)}


def gd_step_bound(lr: float, clip_norm: float = math.inf, clip_value: float = math.inf, dimension: int = 2) -> float:
    """The longest plain GD step clipping allows: lr * min(c_norm, c_value * sqrt(d))."""
    return lr * min(clip_norm, clip_value * math.sqrt(dimension))
