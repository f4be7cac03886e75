"""Cached bridges of the page "0-1 loss vs log-likelihood": plain arguments in, NumPy data out.

The two-weight surfaces are NumPy on a grid (nothing compiles); gradient descent on both losses is
``networks.objectives``' one program; the margin study is one ``networks.train`` program (4 seeds,
one architecture, snapshot slots fixed by ``snapshot_every = ceil(E / 32)``), so the noise, learning
rate, epochs and seeds are traced values and never compile anything new."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from landscapes.regression import logistic_dataset, logistic_minimum
from networks import TrainSettings, make_dataset, mlp, train
from networks.datasets import TEST, TRAIN
from networks.objectives import descend_both, log_loss, margins, zero_one_loss

N_SAMPLES = 64  # the logistic_regression landscape's default number of points
DOMAIN = ((-3.0, 5.0), (-4.0, 4.0))  # the landscape's weight domain
GRID = 121

MARGIN_WIDTHS = (16, 16)
MARGIN_POINTS = 1000
MARGIN_FRACTIONS = (0.1, 0.1, 0.8)  # 100 training points, a large test set that resolves small changes
MARGIN_SEEDS = 4
MARGIN_SLOTS = 32


def clouds(spread: float, seed: int) -> np.ndarray:
    """(N, 3) rows (x1, x2, y) of the logistic_regression landscape's data."""
    return logistic_dataset(N_SAMPLES, float(spread), int(seed))


@st.cache_data(max_entries=16, show_spinner=False)  # 2 x 121 x 121 floats: 0.23 MB each
def surfaces(spread: float, seed: int) -> dict:
    """The 0-1 loss and the log-likelihood on a grid of weights (w1, w2), from the same data."""
    data = clouds(spread, seed)
    w1, w2 = np.linspace(*DOMAIN[0], GRID), np.linspace(*DOMAIN[1], GRID)
    grid = np.stack(np.meshgrid(w1, w2), axis=-1)  # (GRID, GRID, 2), w2 varying along rows
    return {"w1": w1, "w2": w2, "zero_one": zero_one_loss(grid, data[:, :2], data[:, 2]),
            "log_loss": log_loss(grid, data[:, :2], data[:, 2]), "points": data}


@st.cache_data(max_entries=32, show_spinner=False)
def descent(spread: float, seed: int, start: tuple, lr: float, n_steps: int) -> dict:
    """Gradient descent on both losses from ``start``."""
    data = clouds(spread, seed)
    result = descend_both(data[:, :2], data[:, 2], np.asarray(start, dtype=float), float(lr), int(n_steps))
    return result._asdict()


def margin_snapshot_every(epochs: int) -> int:
    return max(1, math.ceil(epochs / MARGIN_SLOTS))


def margin_architecture():
    return mlp(2, MARGIN_WIDTHS, "tanh")


@st.cache_data(max_entries=8, show_spinner=False)  # ~1.1 MB of margins per entry
def margin_study(noise: float, lr: float, epochs: int) -> dict:
    """MARGIN_SEEDS networks trained with Adam on the log-likelihood of the same moons; per snapshot the
    training and test 0-1 losses (from the run) and every training and test margin s_n f(x_n) (from the
    snapshot's parameters)."""
    data = make_dataset("moons", MARGIN_POINTS, float(noise), 0, fractions=MARGIN_FRACTIONS)
    architecture = margin_architecture()
    settings = TrainSettings(optimizer="adam", lr=float(lr), batch_size=32, epochs=int(epochs),
                             snapshot_every=margin_snapshot_every(epochs))
    run = train(architecture, data, settings, seeds=range(MARGIN_SEEDS))
    valid = min(run.valid_snapshots(r) for r in range(MARGIN_SEEDS))
    train_x, train_t = data.part(TRAIN)
    test_x, test_t = data.part(TEST)
    train_m = np.stack([[margins(architecture, run.params(r, i), train_x, train_t) for i in range(valid)]
                        for r in range(MARGIN_SEEDS)])
    test_m = np.stack([[margins(architecture, run.params(r, i), test_x, test_t) for i in range(valid)]
                       for r in range(MARGIN_SEEDS)])
    epochs_ = run.epochs[:valid]
    train01 = 1.0 - run.accuracy[:, :valid, TRAIN]
    test01 = 1.0 - run.accuracy[:, :valid, TEST]
    zero_at = [int(np.argmax(row == 0)) if np.any(row == 0) else None for row in train01]
    return {"epochs": epochs_, "train01": train01, "test01": test01, "train_loss": run.loss[:, :valid, TRAIN],
            "test_loss": run.loss[:, :valid, TEST], "train_margins": train_m, "test_margins": test_m,
            "zero_at": zero_at, "status": [int(s) for s in run.status], "messages": [run.message(r) for r in range(MARGIN_SEEDS)],
            "n_train": len(train_t), "n_test": len(test_t)}


def claim_numbers(study: dict) -> dict:
    """Per seed: the first snapshot epoch with training 0-1 loss 0, the test 0-1 loss then and at the
    end, and the smallest training margin then and at the end (None where the training loss never
    reached 0)."""
    rows = []
    for r, at in enumerate(study["zero_at"]):
        if at is None:
            rows.append(None)
            continue
        rows.append({"epoch": int(study["epochs"][at]), "test_then": float(study["test01"][r, at]),
                     "test_end": float(study["test01"][r, -1]), "test_best_after": float(study["test01"][r, at:].min()),
                     "min_margin_then": float(study["train_margins"][r, at].min()),
                     "min_margin_end": float(study["train_margins"][r, -1].min()),
                     "median_test_margin_then": float(np.median(study["test_margins"][r, at])),
                     "median_test_margin_end": float(np.median(study["test_margins"][r, -1]))})
    return {"per_seed": rows, "reached": sum(row is not None for row in rows)}


@st.cache_data(max_entries=16, show_spinner=False)
def log_likelihood_minimum(spread: float, seed: int) -> dict:
    """The minimizer of the log-likelihood (Newton's method, no penalty) and its 0-1 loss; None when the
    clouds are separable (then the log-likelihood has no finite minimizer: Newton's w grows without bound)."""
    data = clouds(spread, seed)
    with np.errstate(all="ignore"):
        w = logistic_minimum(data, 0.0)
    if not np.all(np.isfinite(w)) or np.linalg.norm(w) > 100 or zero_one_loss(w, data[:, :2], data[:, 2]) == 0:
        return {"w": None, "zero_one": 0.0}
    return {"w": w, "zero_one": float(zero_one_loss(w, data[:, :2], data[:, 2]))}
