"""Cached bridges for the Curvature lab pages: plain, hashable arguments in, NumPy data out."""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis import conditioning as cond
from analysis import normalization as norm
from analysis import second_order as so
from analysis import second_order_cost as cost
from optimizers import RunSettings, run_trajectories
from optimizers.engine import Trajectories


# ---- conditioning ---------------------------------------------------------------------------------

def quadratic_settings(eigenvalues: tuple, angle: float) -> tuple:
    """The settings items of ``cond.quadratic_landscape`` (for ``ui.compute.loss_grid``)."""
    return tuple(sorted({"eigenvalues": tuple(float(v) for v in eigenvalues), "angle": float(angle),
                         "noise": 0.0, "n_samples": 1}.items()))


@st.cache_data(max_entries=128, show_spinner=False)
def quadratic_run(eigenvalues: tuple, angle: float, optimizer: str, lr: float, n_steps: int, start: tuple,
                  beta: float = 0.0) -> Trajectories:
    return cond.run_quadratic(eigenvalues, angle, optimizer, lr, n_steps, start, beta)


@st.cache_data(max_entries=32, show_spinner=False)
def rate_map(eigenvalues: tuple, angle: float, side: int, n_steps: int, start: tuple) -> cond.RateMap:
    lrs, betas = cond.rate_map_axes(max(eigenvalues), side, side)
    return cond.rate_map(eigenvalues, angle, lrs, betas, start, n_steps)


# ---- data normalization -----------------------------------------------------------------------------

@st.cache_data(max_entries=32, show_spinner=False)
def normalization_study(n_samples: int, mean: tuple, scales: tuple, correlation: float, l2: float,
                        lr_factor: float, n_steps: int, seed: int = 0) -> dict:
    """For each preprocessing: the data, the Hessian report, the landscape's pieces and a GD run with
    lr = lr_factor / lambda_max (the same rule for every problem)."""
    X, t = norm.make_dataset(n_samples, mean, scales, correlation, seed=seed)
    out = {}
    for kind in norm.TRANSFORMS:
        Z = norm.transform(X, kind)
        report = norm.hessian_report(X, t, l2, kind)
        landscape = norm.regression_landscape(Z, t, l2, norm.TRANSFORM_TITLES[kind])
        lr = lr_factor / report.eigenvalues[-1]
        traj = run_trajectories(landscape, "sgd", [(0.0, 0.0)], RunSettings(lr=float(lr), n_steps=int(n_steps)))
        out[kind] = {"inputs": Z, "report": report, "lr": float(lr), "trajectory": traj,
                     "minimum_loss": landscape.minima()[0].loss, "grid": landscape.grid(90),
                     "landscape": landscape}
    return out


@st.cache_data(max_entries=32, show_spinner=False)
def unit_hessians(activation: str, n_hidden: int, offset: float, n_networks: int) -> norm.UnitHessians:
    return norm.hidden_unit_hessians(activation, n_hidden, offset, n_networks)


# ---- second order -------------------------------------------------------------------------------------

@st.cache_data(max_entries=64, show_spinner=False)
def scene_runs(scene: str, start: tuple, methods: tuple, settings: RunSettings) -> dict:
    landscape = so.scene_landscape(scene)
    return {m: so.run_method(landscape, m, start, settings) for m in methods}


@st.cache_data(max_entries=8, show_spinner=False)
def hessian_cost(sizes: tuple) -> list:
    return cost.measure_cost(sizes)


def finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]
