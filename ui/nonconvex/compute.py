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


@st.cache_data(max_entries=32, show_spinner=False)
def basin_map(key: str, settings: tuple, optimizer: str, run: RunSettings, resolution: int) -> basins.BasinMap:
    return basins.basin_map(landscape_from(key, settings), optimizer, run, resolution)


@st.cache_data(max_entries=32, show_spinner=False)
def gradient_norm_grid(key: str, settings: tuple, resolution: int = 120):
    return basins.gradient_norm_grid(landscape_from(key, settings), resolution)


@st.cache_data(max_entries=64, show_spinner=False)
def runs_from(key: str, settings: tuple, optimizer: str, run: RunSettings, starts: tuple) -> Trajectories:
    """Full-batch runs of one optimizer from a few starts (one vectorized call)."""
    landscape = landscape_from(key, settings)
    return run_trajectories(basins.full_batch(landscape), optimizer, np.asarray(starts, dtype=float), run.replace(batch_size=None))


@st.cache_data(max_entries=32, show_spinner=False)
def restart_study(key: str, settings: tuple, optimizer: str, run: RunSettings, k_max: int, n_trials: int,
                  seed: int) -> restarts.RestartStudy:
    return restarts.restart_study(landscape_from(key, settings), optimizer, run, k_max, n_trials, seed)


@st.cache_data(max_entries=64, show_spinner=False)
def saddle_runs(optimizers: tuple, d: int, n_negative: int, negative_curvature: float, hyper: tuple,
                init_scale: float, n_seeds: int, seed: int) -> dict:
    return {opt: high_dim_saddle.run_saddle(opt, d, n_negative, negative_curvature, dict(hyper), n_seeds, init_scale, seed)
            for opt in optimizers}


@st.cache_data(max_entries=64, show_spinner=False)
def downhill_share(d: int, n_negative: int, negative_curvature: float) -> float:
    return high_dim_saddle.downhill_direction_share(d, n_negative, negative_curvature)


@st.cache_data(max_entries=4, show_spinner=False)
def random_hessian_share(max_d: int = 8):
    return high_dim_saddle.random_hessian_minimum_share(max_d)


@st.cache_data(max_entries=64, show_spinner=False)
def cliff_runs(optimizer: str, start: tuple, run: RunSettings, clip_norm: float, clip_value: float) -> dict:
    return cliffs.clipping_runs(get_landscape("cliff"), optimizer, start, run, clip_norm, clip_value)


@st.cache_data(max_entries=64, show_spinner=False)
def loss_window(key: str, settings: tuple, x_range: tuple, y_range: tuple, resolution: int = 160):
    """The loss on a grid over an arbitrary window (xs, ys, Z)."""
    landscape = landscape_from(key, settings)
    xs, ys = np.linspace(*x_range, resolution), np.linspace(*y_range, resolution)
    Z = np.asarray(landscape.loss(np.stack(np.meshgrid(xs, ys), axis=-1)))
    return xs, ys, Z


@st.cache_data(max_entries=64, show_spinner=False)
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


@st.cache_data(max_entries=64, show_spinner=False)
def smoothed_grid(name: str, sigma: float, resolution: int = 100):
    return continuation.smoothed_grid(continuation_landscape(name), sigma, resolution)


@st.cache_data(max_entries=32, show_spinner=False)
def continuation_compare(name: str, sigma_start: float, n_stages: int, lr: float, seed: int,
                         n_starts: int = 256) -> continuation.ContinuationResult:
    landscape = continuation_landscape(name)
    starts = restarts.random_starts(landscape.domain, n_starts, seed)
    return continuation.compare(landscape, starts, continuation.sigma_schedule(sigma_start, n_stages), lr)
