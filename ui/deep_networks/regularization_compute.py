"""Cached bridges of the Early stopping and weight decay page: plain, hashable arguments in, NumPy out.

Early stopping: one fixed network (2 x 64 tanh, Adam, batch 16, 128 epochs, a snapshot after every
epoch) on the 1-D regression curve, trained for EARLY_SEEDS seeds in one compiled call, once on the
training points only and once on train + validation (the same program: only the split differs).
Every slider (points, noise, learning rate, seed) is a traced value of that one program; the
patience is applied to the cached curves in NumPy, so moving it computes nothing.

GD against ridge: NumPy closed forms on a two-weight least-squares problem (nothing compiles).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis.ridge_path import correlated_problem, gd_vs_ridge, loss
from networks import TrainSettings, make_dataset, mlp, train
from networks.early_stopping import split_for_retraining

EARLY_WIDTHS = (64, 64)
EARLY_EPOCHS = 128  # with a snapshot every epoch: 129 slots, one bucket (training.SNAPSHOT_BUCKETS)
EARLY_BATCH = 16
EARLY_SEEDS = 4
EARLY_DATASET = "curve"
FIT_RESOLUTION = 200


def early_architecture():
    return mlp(1, EARLY_WIDTHS, "tanh", task="regression")


def early_settings(lr: float) -> TrainSettings:
    return TrainSettings(optimizer="adam", lr=float(lr), batch_size=EARLY_BATCH, epochs=EARLY_EPOCHS, snapshot_every=1)


def early_dataset(n_points: int, noise: float, seed: int):
    return make_dataset(EARLY_DATASET, int(n_points), float(noise), int(seed))


@st.cache_data(max_entries=8, max_size="40MB", show_spinner=False)  # 4.5 MB an entry (129 parameter vectors of 4,353)
def early_stopping_runs(n_points: int, noise: float, lr: float, seed: int) -> dict:
    """Seeds seed .. seed + 3 (network initialization and minibatch order; the data from ``seed``),
    trained on the training points, and the same on train + validation. Losses (R, n, 3) per epoch and
    the parameters after every epoch of the first seed (to restore its best epoch)."""
    architecture = early_architecture()
    data = early_dataset(n_points, noise, seed)
    settings = early_settings(lr)
    seeds = np.arange(seed, seed + EARLY_SEEDS)
    run = train(architecture, data, settings, seeds=seeds)
    retrained = train(architecture, split_for_retraining(data), settings, seeds=seeds)
    counts = np.bincount(data.split, minlength=3)
    return {
        "epochs": run.epochs, "loss": run.loss, "retrained_loss": retrained.loss, "theta": run.theta[0],
        "status": run.status, "messages": [run.message(r) for r in range(EARLY_SEEDS)],
        "valid": np.array([run.valid_snapshots(r) for r in range(EARLY_SEEDS)]),
        "retrained_valid": np.array([retrained.valid_snapshots(r) for r in range(EARLY_SEEDS)]),
        "points": data.points[:, 0], "targets": data.targets, "split": data.split, "counts": counts,
        "seeds": seeds,
    }


@st.cache_data(max_entries=64, show_spinner=False)
def early_stopping_summary(n_points: int, noise: float, lr: float, seed: int) -> dict:
    """What the page reads on every rerun: the runs without their parameters (a small entry, fast to load)."""
    runs = early_stopping_runs(n_points, noise, lr, seed)
    return {k: v for k, v in runs.items() if k not in ("theta",)}


def fitted_curves(theta_rows: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The first seed's network output on xs for each given parameter vector (NumPy, no program)."""
    from networks.model import forward, unflatten_params

    architecture = early_architecture()
    return np.stack([np.asarray(forward(architecture, unflatten_params(architecture, t), xs[:, None])) for t in theta_rows])


@st.cache_data(max_entries=64, show_spinner=False)
def fits_at(n_points: int, noise: float, lr: float, seed: int, snapshots: tuple) -> dict:
    """The fit of the first seed at some snapshots, on a line over the data's domain."""
    runs = early_stopping_runs(n_points, noise, lr, seed)
    xs = np.linspace(-3.5, 3.5, FIT_RESOLUTION)
    return {"x": xs, "fits": fitted_curves(runs["theta"][list(snapshots)], xs)}


@st.cache_data(max_entries=64, show_spinner=False)
def ridge_correspondence(correlation: float, noise: float, lr: float, steps: int, start: tuple, seed: int) -> dict:
    """GD and ridge on one least-squares problem, and the loss over the plane for the contours."""
    problem = correlated_problem(100, float(correlation), float(noise), seed=int(seed))
    c = gd_vs_ridge(problem, float(lr), int(steps), start)
    points = np.vstack([c.gd_path, c.ridge_path, [start], [problem.solution]])
    finite = points[np.all(np.isfinite(points), axis=1) & (np.abs(points).max(axis=1) < 1e3)]
    low, high = finite.min(axis=0), finite.max(axis=0)
    margin = np.maximum(0.15 * (high - low), 0.3)
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], 60)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], 60)
    gx, gy = np.meshgrid(xs, ys)
    Z = loss(problem, np.stack([gx, gy], axis=-1))
    return {**c._asdict(), "eigenvalues": problem.eigenvalues, "eigenvectors": problem.eigenvectors,
            "solution": problem.solution, "grid": (xs, ys, Z), "start": np.asarray(start, dtype=float)}


# ---- L2 under Adam against AdamW -------------------------------------------------------------------------

DECAY_STEPS = 1000
DECAY_RUNS = ("no decay", "Adam + L2", "AdamW")


@st.cache_data(max_entries=16, max_size="8MB", show_spinner=False)  # 0.37 MB an entry (3 runs x 4,353 parameters x 5 arrays)
def decay_comparison(n_points: int, noise: float, lr: float, l2: float, weight_decay: float, seed: int) -> dict:
    """The early-stopping network and data, trained full-batch from one start three ways: Adam, Adam with
    the penalty (l2 / 2)||theta||^2, and AdamW with weight decay ``weight_decay``."""
    from networks import flatten_params, init_params
    from networks.model import param_layer_index
    from networks.regularization import decay_runs

    architecture = early_architecture()
    data = early_dataset(n_points, noise, seed)
    theta0 = flatten_params(init_params(architecture, int(seed)))
    hyper = {"lr": float(lr), "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
             "l2": [0.0, float(l2), 0.0], "weight_decay": [0.0, 0.0, float(weight_decay)]}
    runs = decay_runs(architecture, data, np.stack([theta0] * 3), hyper, DECAY_STEPS)
    return {"steps": runs.steps, "loss": runs.loss, "theta": runs.theta, "theta0": theta0,
            "sqrt_v_hat": np.sqrt(runs.second_moment_hat()), "decay": runs.effective_decay(), "finite": runs.finite,
            "layer": param_layer_index(architecture), "count": runs.count}


@st.cache_data(max_entries=64, show_spinner=False)
def decay_summary(n_points: int, noise: float, lr: float, l2: float, weight_decay: float, seed: int) -> dict:
    """The numbers the page shows of the three runs (a small entry)."""
    runs = decay_comparison(n_points, noise, lr, l2, weight_decay, seed)
    rates, sqrt_v = runs["decay"][1], runs["sqrt_v_hat"][1]
    return {"final": runs["loss"][:, -1], "norms": np.linalg.norm(runs["theta"], axis=1), "finite": runs["finite"],
            "rate_quantiles": np.quantile(rates, [0.1, 0.5, 0.9]), "sqrt_v_quantiles": np.quantile(sqrt_v, [0.1, 0.5, 0.9]),
            "weaker": float(np.mean(rates < lr * weight_decay)), "stronger": float(np.mean(rates > lr * weight_decay))}
