"""Cached bridges of the Normalization and skip connections page: plain, hashable arguments in, NumPy data out.

One small network throughout (3 hidden layers of 8 tanh units on the two moons, 300 points with noise 0.2):
177 parameters plain, 225 with batch or layer normalization, so its exact Hessian is cheap. Every value a
slider moves (learning rate, epochs, batch size up to 32, seed) is a traced argument of the compiled programs
(``networks.train``, ``analysis.normalization_study``): moving it compiles nothing new."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from analysis import normalization_study as ns
from networks import TrainSettings, flatten_params, init_params, make_dataset, mlp, train
from networks.datasets import TEST, TRAIN, VALIDATION

WIDTHS = (8, 8, 8)
ACTIVATION = "tanh"
N_POINTS, NOISE = 300, 0.2
SLOTS = 32  # snapshot_every = ceil(E / 32): one snapshot bucket (33) for every epoch count
VARIANTS = {
    "batch": ("batch norm", {"normalization": "batch"}),
    "skip": ("skip connections", {"skip": True}),
    "batch_skip": ("batch norm + skips", {"normalization": "batch", "skip": True}),
    "layer": ("layer norm", {"normalization": "layer"}),
}
PLAIN = "plain"
CURVATURE_POINTS = 6  # snapshots whose exact Hessian is computed (a fixed count: one compiled shape)
SWEEP_GRID = np.array([0.01, 0.015, 0.025, 0.04, 0.06, 0.1, 0.15, 0.25, 0.4, 0.6, 1.0, 1.5, 2.5, 4.0, 6.0, 10.0])  # 16 runs, one call
SWEEP_STEPS = 32
SMOOTH_FACTORS = 2.0 ** np.linspace(-2, 2, 9)  # step sizes eta = lr x these
MODE_BATCHES = (1, 2, 4, 8, 16, 32)
MODE_ROWS = 32
MODE_SNAPSHOTS = 4  # the start, the second snapshot, a quarter of the run, the end
DEPTHS = (1, 2, 4, 8, 12, 16)
DEPTH_SEEDS = (0, 1, 2)
DEPTH_WIDTH = 8
DEPTH_STEPS = 150


def variant_name(key: str) -> str:
    return "plain" if key == PLAIN else VARIANTS[key][0]


def data():
    return make_dataset("moons", N_POINTS, NOISE, 0)


def architecture(key: str):
    options = {} if key == PLAIN else VARIANTS[key][1]
    return mlp(2, WIDTHS, ACTIVATION, **options)


def snapshot_every(epochs: int) -> int:
    return max(1, math.ceil(epochs / SLOTS))


def initial_theta(key: str, seed: int) -> np.ndarray:
    """Glorot-normal W and zero b from the seed: the same numbers for every variant (gamma = 1, beta = 0 added)."""
    return flatten_params(init_params(architecture(key), int(seed)))


@st.cache_data(max_entries=24, show_spinner=False)  # ~0.3 MB an entry
def one_run(key: str, lr: float, epochs: int, batch: int, seed: int) -> dict:
    """One network trained by SGD with minibatches of ``batch``; snapshot statistics as arrays."""
    net, dataset = architecture(key), data()
    settings = TrainSettings(optimizer="sgd", lr=float(lr), batch_size=int(batch), epochs=int(epochs),
                             snapshot_every=snapshot_every(epochs), seed=int(seed))
    run = train(net, dataset, settings)
    valid = run.valid_snapshots(0)
    cut = lambda a: np.asarray(a)[0, :valid]  # noqa: E731
    out = {
        "key": key, "epochs": run.epochs[:valid], "theta": cut(run.theta), "loss": cut(run.loss), "accuracy": cut(run.accuracy),
        "grad_norm": cut(run.grad_norm), "status": int(run.status[0]), "message": run.message(0),
        "x_mean": np.stack([cut(layer.x_mean).mean(axis=-1) for layer in run.layers], axis=-1),  # (n, L)
        "x_var": np.stack([(cut(layer.x_std) ** 2).mean(axis=-1) for layer in run.layers], axis=-1),
        "n_params": int(run.theta.shape[-1]),
        "running": None if run.running is None else [(cut(r.mean), cut(r.var)) for r in run.running],
    }
    return out


def comparison(variant: str, lr: float, epochs: int, batch: int, seed: int) -> dict:
    """The plain network and the variant from the same seed (the same W and b), trained alike."""
    return {PLAIN: one_run(PLAIN, lr, epochs, batch, seed), variant: one_run(variant, lr, epochs, batch, seed)}


def curvature_indices(n_snapshots: int) -> np.ndarray:
    return np.unique(np.linspace(0, n_snapshots - 1, CURVATURE_POINTS).round().astype(int))


@st.cache_data(max_entries=24, show_spinner=False)  # (6, P) eigenvalues: ~10 kB an entry
def curvature(key: str, lr: float, epochs: int, batch: int, seed: int) -> dict:
    """Exact Hessian eigenvalues of the training loss at CURVATURE_POINTS snapshots of ``one_run``."""
    run = one_run(key, lr, epochs, batch, seed)
    index = curvature_indices(len(run["epochs"]))
    picked = np.r_[index, np.full(CURVATURE_POINTS - len(index), index[-1])]  # a fixed count of Hessians
    inputs, targets = data().part(TRAIN)
    eigenvalues = ns.spectra(architecture(key), run["theta"][picked], inputs, targets)[:len(index)]
    summaries = [ns.curvature_summary(e) for e in eigenvalues]
    return {"epochs": run["epochs"][index], "index": index, "eigenvalues": eigenvalues,
            "lambda_max": np.array([s.lambda_max for s in summaries]),
            "kappa": np.array([s.kappa_positive for s in summaries]),
            "negative": np.array([s.n_negative for s in summaries]), "zero": np.array([s.n_zero for s in summaries]),
            "n_params": eigenvalues.shape[1]}


@st.cache_data(max_entries=24, show_spinner=False)  # 16 x 33 losses: ~5 kB
def stability(key: str, seed: int) -> dict:
    """Full-batch gradient descent from the seed's start at every learning rate of SWEEP_GRID (one vmapped
    call), against 2 / lambda_max of the Hessian at that start."""
    net, dataset = architecture(key), data()
    theta0 = initial_theta(key, seed)
    sweep = ns.stability_sweep(net, dataset, theta0, SWEEP_GRID, SWEEP_STEPS)
    inputs, targets = dataset.part(TRAIN)
    lambda_max = float(ns.spectra(net, np.repeat(theta0[None], CURVATURE_POINTS, axis=0), inputs, targets)[0, -1])
    return {"grid": sweep.grid, "losses": sweep.losses, "diverging": sweep.diverging, "status": sweep.status,
            "largest_stable": sweep.largest_stable, "first_diverging": sweep.first_diverging,
            "lambda_max": lambda_max, "theory": 2.0 / lambda_max}


@st.cache_data(max_entries=24, show_spinner=False)  # a few (n,) arrays
def smoothness(key: str, lr: float, epochs: int, batch: int, seed: int) -> dict:
    """Santurkar et al.'s measurements at every snapshot of ``one_run``: eta = lr x SMOOTH_FACTORS."""
    run = one_run(key, lr, epochs, batch, seed)
    n = len(run["epochs"])
    thetas = np.concatenate([run["theta"], np.repeat(run["theta"][-1:], SLOTS + 1 - n, axis=0)])  # one shape
    steps = float(lr) * SMOOTH_FACTORS
    inputs, targets = data().part(TRAIN)
    profile = ns.step_profiles(architecture(key), thetas, steps, inputs, targets)
    bands = ns.smoothness(profile, steps)
    return {"epochs": run["epochs"], "steps": steps, **{name: np.asarray(value)[:n] for name, value in bands._asdict().items()},
            "loss": profile.loss[:n]}


def mode_snapshots(n_snapshots: int) -> np.ndarray:
    """The snapshots the modes are compared at (MODE_SNAPSHOTS of them, repeats allowed for short runs)."""
    return np.array(sorted([0, min(2, n_snapshots - 1), n_snapshots // 4, n_snapshots - 1]))


@st.cache_data(max_entries=16, show_spinner=False)  # 6 x 4 gaps and 90 outputs per batch size: ~30 kB
def modes(key: str, lr: float, epochs: int, batch: int, seed: int) -> dict:
    """Training mode against evaluation mode of a batch-normalized ``one_run`` on the 90 held-out points at
    MODE_SNAPSHOTS snapshots: the mean |p_train - p_eval| and both accuracies, for every batch size of MODE_BATCHES."""
    run = one_run(key, lr, epochs, batch, seed)
    if run["running"] is None:
        raise ValueError(f"{key} has no batch normalization")
    dataset = data()
    held_out = (dataset.split == VALIDATION) | (dataset.split == TEST)
    inputs, targets = dataset.inputs[held_out], dataset.targets[held_out]
    picks = mode_snapshots(len(run["epochs"]))
    from networks.normalization import Running

    running = [Running(mean[picks], var[picks]) for mean, var in run["running"]]
    sigmoid = lambda s: 0.5 * (1 + np.tanh(0.5 * s))  # noqa: E731
    gap, acc_eval, acc_train, outputs = [], None, [], {}
    for b in MODE_BATCHES:
        s_eval, s_train = ns.mode_outputs(architecture(key), run["theta"][picks], running, inputs, b, MODE_ROWS, seed=0)
        p_eval, p_train = sigmoid(s_eval), sigmoid(s_train)
        gap.append(np.mean(np.abs(p_train - p_eval), axis=1))
        acc_eval = np.mean((p_eval > 0.5) == (targets > 0.5), axis=1)
        acc_train.append(np.mean((p_train > 0.5) == (targets > 0.5), axis=1))
        outputs[b] = (p_eval[-1], p_train[-1])
    return {"epochs": run["epochs"][picks], "batches": np.array(MODE_BATCHES), "gap": np.array(gap), "acc_eval": acc_eval,
            "acc_train": np.array(acc_train), "final_eval": outputs[1][0], "final_single": outputs[1][1],
            "final_batch": outputs, "targets": targets}


def depth_stacks(seeds=DEPTH_SEEDS) -> list:
    return [ns.stack_from_params(init_params(mlp(2, [DEPTH_WIDTH] * ns.MAX_STUDY_DEPTH, "tanh"), int(s))) for s in seeds]


@st.cache_data(max_entries=8, show_spinner=False)  # 36 x 151 losses: 45 kB
def depth_runs(lr: float) -> dict:
    """Every depth of DEPTHS, with and without skips, DEPTH_SEEDS seeds: full-batch GD, DEPTH_STEPS steps."""
    stacks, depths, skips = [], [], []
    for stack in depth_stacks():
        for skip in (0, 1):
            for d in DEPTHS:
                stacks.append(stack)
                depths.append(d)
                skips.append(skip)
    inputs, targets = data().part(TRAIN)
    losses = ns.depth_study(stacks, depths, skips, [float(lr)] * len(depths), inputs, targets, DEPTH_STEPS)
    shaped = losses.reshape(len(DEPTH_SEEDS), 2, len(DEPTHS), -1)
    return {"depths": np.array(DEPTHS), "plain": shaped[:, 0], "skip": shaped[:, 1]}  # (S, D, steps + 1)
