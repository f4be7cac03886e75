"""Cached bridges of the page "Order of the data": plain arguments in, NumPy data out.

Both studies run through ``networks.data_order.run_plans``: one compiled program per study (fixed
architecture, steps, batch, number of runs and examples); the label noise, pacing, learning rate,
drift and buffer size only change the plans' values and the labels, so they compile nothing."""

from __future__ import annotations

import numpy as np
import streamlit as st

from networks import flatten_params, init_params, make_dataset, mlp
from networks import data_order as do
from networks.datasets import TEST, TRAIN

WIDTHS = (16, 16)
CHECKPOINTS = 32

# ---- curriculum ---------------------------------------------------------------------------------------
CURRICULUM_DATA = ("xor", 1000, 0.1)  # dataset, points, noise: 700 training and 150 test points
CURRICULUM_STEPS, CURRICULUM_BATCH = 512, 16
CURRICULUM_SEEDS = 6
LABEL_SEED = 99


def architecture():
    return mlp(2, WIDTHS, "tanh")


def xor_boundary_margin(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Signed distance of each point to XOR's generating boundary (the two axes), positive on its
    label's side: s · sign(x y) · min(|x|, |y|), s = 2 t - 1."""
    s = 2.0 * np.asarray(labels) - 1.0
    x, y = points[:, 0], points[:, 1]
    return s * np.sign(x * y) * np.minimum(np.abs(x), np.abs(y))


def curriculum_data(flip: float) -> dict:
    """XOR with a share ``flip`` of the training labels flipped (the test labels stay clean); the
    difficulty of each point is minus its signed distance to the true boundary (a flipped point is on
    the wrong side, so it is among the hardest)."""
    name, n, noise = CURRICULUM_DATA
    data = make_dataset(name, n, noise, 0)
    train_rows = np.where(data.split == TRAIN)[0]
    test_rows = np.where(data.split == TEST)[0]
    u = np.random.default_rng(LABEL_SEED).random(len(train_rows))  # the same draw for every flip share
    flipped = train_rows[u < flip]
    targets = data.targets.copy()
    targets[flipped] = 1.0 - targets[flipped]
    return {"points": data.points, "inputs": data.inputs, "targets": targets, "clean_targets": data.targets,
            "train_rows": train_rows, "test_rows": test_rows, "flipped": flipped,
            "difficulty": -xor_boundary_margin(data.points, targets)}


@st.cache_data(max_entries=16, show_spinner=False)  # ~0.3 MB each
def curriculum_study(flip: float, start_share: float, ramp: float, lr: float) -> dict:
    """CURRICULUM_SEEDS networks in random order and CURRICULUM_SEEDS with the easy-first curriculum,
    each pair from the same initial parameters; the test accuracy at every checkpoint."""
    d = curriculum_data(float(flip))
    seeds = range(CURRICULUM_SEEDS)
    net = architecture()
    plans = ([do.random_plan(d["train_rows"], CURRICULUM_STEPS, CURRICULUM_BATCH, s) for s in seeds]
             + [do.curriculum_plan(d["train_rows"], d["difficulty"], CURRICULUM_STEPS, CURRICULUM_BATCH, s,
                                   float(start_share), float(ramp)) for s in seeds])
    thetas = np.stack([flatten_params(init_params(net, s)) for s in seeds] * 2)
    run = do.run_plans(net, thetas, plans, d["inputs"], d["targets"], optimizer="sgd", checkpoints=CHECKPOINTS, lr=float(lr))
    test = run.correct[:, :, d["test_rows"]].mean(axis=-1)
    n = CURRICULUM_SEEDS
    return {"steps": run.steps, "random": test[:n], "curriculum": test[n:], "finite": run.finite,
            "share": do.curriculum_share(CURRICULUM_STEPS, float(start_share), float(ramp)),
            "points": d["points"][d["train_rows"]], "targets": d["targets"][d["train_rows"]],
            "rank": np.argsort(np.argsort(d["difficulty"][d["train_rows"]], kind="stable"), kind="stable"),
            "flipped": np.isin(d["train_rows"], d["flipped"])}


# ---- online learning ----------------------------------------------------------------------------------
STREAM_DATA = ("moons", 1024, 0.1)
STREAM_STEPS, STREAM_NEW, STREAM_BATCH = 512, 2, 16
STREAM_SEEDS = 4
DRIFTS = {"x": "from left to right (sorted by x)", "class": "one class, then the other", "none": "shuffled (no drift)"}
BUFFER_SIZES = [8, 16, 32, 64, 128, 256, 512, 1024]


def stream(drift: str) -> dict:
    """The moons in the order a learner meets them."""
    name, n, noise = STREAM_DATA
    data = make_dataset(name, n, noise, 0)
    if drift == "x":
        order = np.argsort(data.points[:, 0], kind="stable")
    elif drift == "class":
        order = np.lexsort((np.arange(n), data.targets))
    elif drift == "none":
        order = np.arange(n)  # make_dataset already shuffled the points
    else:
        raise KeyError(f"unknown drift {drift!r}; choose one of {list(DRIFTS)}")
    return {"points": data.points[order], "inputs": data.inputs[order], "targets": data.targets[order]}


@st.cache_data(max_entries=24, show_spinner=False)  # ~2.3 MB each (per-example flags at 33 checkpoints)
def stream_study(drift: str, buffer_size: int, lr: float) -> dict:
    """STREAM_SEEDS learners that train on the latest STREAM_BATCH examples of the stream, and
    STREAM_SEEDS that train on the STREAM_NEW newest plus a replay sample of a reservoir buffer (the
    same initial parameters pairwise); the accuracy on every example seen so far, and on the first
    quarter of the stream, at each checkpoint."""
    s = stream(drift)
    n = len(s["targets"])
    seeds = range(STREAM_SEEDS)
    net = architecture()
    plans = ([do.window_plan(n, STREAM_STEPS, STREAM_NEW, STREAM_BATCH) for _ in seeds]
             + [do.replay_plan(n, STREAM_STEPS, STREAM_NEW, STREAM_BATCH, int(buffer_size), 1000 + k) for k in seeds])
    thetas = np.stack([flatten_params(init_params(net, k)) for k in seeds] * 2)
    run = do.run_plans(net, thetas, plans, s["inputs"], s["targets"], optimizer="sgd", checkpoints=CHECKPOINTS, lr=float(lr))
    seen = do.seen_so_far_accuracy(run, STREAM_NEW, n)
    first = run.correct[:, :, : n // 4].mean(axis=-1)
    first[:, run.steps * STREAM_NEW < n // 4] = np.nan  # before the first quarter has arrived
    k = STREAM_SEEDS
    return {"steps": run.steps, "seen_window": seen[:k], "seen_replay": seen[k:], "first_window": first[:k],
            "first_replay": first[k:], "finite": run.finite, "points": s["points"], "targets": s["targets"]}
