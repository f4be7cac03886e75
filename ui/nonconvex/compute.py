"""Cached bridges for the non-convex lab: plain hashable arguments in, NumPy results out."""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis import basins, cliffs, continuation, high_dim_saddle, matrix_powers, restarts
from landscapes import get_landscape
from landscapes.base import Landscape
from optimizers import run_trajectories
from optimizers.engine import RunSettings, Trajectories
from ui.compute import landscape_from

CONTINUATION_LANDSCAPES = {
    "rippled_bowl": "Rippled bowl (many local minima)",
    "six_hump_camel": "Six-hump camel (four worse local minima)",
}


# Entry weights below: pickle length of one return value, measured with the pages' defaults (issue 11: a full
# cache stays under ~50 MB per function).

# 0.66 MB per entry at 128², 1.03 MB at 160²: 32 entries ≤ 33 MB
@st.cache_data(max_entries=32, show_spinner=False)
def basin_map(key: str, settings: tuple, optimizer: str, run: RunSettings, resolution: int) -> basins.BasinMap:
    return basins.basin_map(landscape_from(key, settings), optimizer, run, resolution)


# 0.12 MB per entry (120²): 128 entries ≤ 15 MB
@st.cache_data(max_entries=128, show_spinner=False)
def gradient_norm_grid(key: str, settings: tuple, resolution: int = 120):
    return basins.gradient_norm_grid(landscape_from(key, settings), resolution)


# 0.10 MB per entry (7 starts × 301 steps), 0.03 MB (1 start × 501 steps): 256 entries ≤ 26 MB
@st.cache_data(max_entries=256, show_spinner=False)
def runs_from(key: str, settings: tuple, optimizer: str, run: RunSettings, starts: tuple) -> Trajectories:
    """Full-batch runs of one optimizer from a few starts (one vectorized call)."""
    landscape = landscape_from(key, settings)
    return run_trajectories(basins.full_batch(landscape), optimizer, np.asarray(starts, dtype=float), run.replace(batch_size=None))


# 0.25 MB per entry (200 trials × 30 runs): 128 entries ≤ 32 MB
@st.cache_data(max_entries=128, show_spinner=False)
def restart_study(key: str, settings: tuple, optimizer: str, run: RunSettings, k_max: int, n_trials: int,
                  seed: int) -> restarts.RestartStudy:
    return restarts.restart_study(landscape_from(key, settings), optimizer, run, k_max, n_trials, seed)


# 1.09 MB per entry (5 optimizers × 32 runs × 201 steps): 40 entries ≤ 44 MB
@st.cache_data(max_entries=40, show_spinner=False)
def saddle_runs(optimizers: tuple, d: int, n_negative: int, negative_curvature: float, hyper: tuple,
                init_scale: float, n_seeds: int, seed: int) -> dict:
    return {opt: high_dim_saddle.run_saddle(opt, d, n_negative, negative_curvature, dict(hyper), n_seeds, init_scale, seed)
            for opt in optimizers}


# a float (< 1 kB): 1024 entries
@st.cache_data(max_entries=1024, show_spinner=False)
def downhill_share(d: int, n_negative: int, negative_curvature: float) -> float:
    return high_dim_saddle.downhill_direction_share(d, n_negative, negative_curvature)


# < 1 kB (three arrays of 8)
@st.cache_data(max_entries=4, show_spinner=False)
def random_hessian_share(max_d: int = 8):
    return high_dim_saddle.random_hessian_minimum_share(max_d)


# 16 kB per entry (three runs of 101 steps): 1024 entries ≤ 16 MB
@st.cache_data(max_entries=1024, show_spinner=False)
def cliff_runs(optimizer: str, start: tuple, run: RunSettings, clip_norm: float, clip_value: float) -> dict:
    return cliffs.clipping_runs(get_landscape("cliff"), optimizer, start, run, clip_norm, clip_value)


# 0.21 MB per entry (160²): 128 entries ≤ 27 MB
@st.cache_data(max_entries=128, show_spinner=False)
def loss_window(key: str, settings: tuple, x_range: tuple, y_range: tuple, resolution: int = 160):
    """The loss on a grid over an arbitrary window (xs, ys, Z)."""
    landscape = landscape_from(key, settings)
    xs, ys = np.linspace(*x_range, resolution), np.linspace(*y_range, resolution)
    Z = np.asarray(landscape.loss(np.stack(np.meshgrid(xs, ys), axis=-1)))
    return xs, ys, Z


# 8 kB per entry (powers up to n = 100): 1024 entries ≤ 8 MB
@st.cache_data(max_entries=1024, show_spinner=False)
def matrix_powers_data(eigenvalues: tuple, angle1: float, angle2: float, h0: tuple):
    W, V = matrix_powers.matrix_from_eigen(np.asarray(eigenvalues), angle1, angle2)
    by_eigen = np.asarray(matrix_powers.powers_by_eigen(np.asarray(eigenvalues), angle1, angle2))
    by_products = np.asarray(matrix_powers.powers_by_products(W))
    states = np.asarray(matrix_powers.hidden_states(W, np.asarray(h0)))
    return np.asarray(W), np.asarray(V), by_eigen, by_products, states


def continuation_landscape(name: str) -> Landscape:
    if name == "rippled_bowl":
        return continuation.rippled_bowl()
    return get_landscape("six_hump_camel", n_samples=1)


# 82 kB per entry (100²): 256 entries ≤ 21 MB
@st.cache_data(max_entries=256, show_spinner=False)
def smoothed_grid(name: str, sigma: float, resolution: int = 100):
    return continuation.smoothed_grid(continuation_landscape(name), sigma, resolution)


# 4.9 MB per entry (256 starts × both methods' full paths): 8 entries ≤ 40 MB. The page reads it through
# ui.nonconvex.continuation_views (only on a miss there) and for the challenges.
@st.cache_data(max_entries=8, show_spinner=False)
def continuation_compare(name: str, sigma_start: float, n_stages: int, lr: float, seed: int,
                         n_starts: int = 256) -> continuation.ContinuationResult:
    landscape = continuation_landscape(name)
    starts = restarts.random_starts(landscape.domain, n_starts, seed)
    return continuation.compare(landscape, starts, continuation.sigma_schedule(sigma_start, n_stages), lr)
