"""Cached bridges of the Dropout page: plain, hashable arguments in, NumPy data out.

One fixed over-parameterized network (3 x 64 ReLU, He-normal, Adam, batch 16, 200 epochs, a snapshot
every 2 epochs) on a few noisy two-moons points and a fixed test set, trained twice from the same
start in one compiled call (``networks.dropout.compare``): without dropout and with it. The program is
the dropout one for both runs (``train(..., dropout=True)``), so every slider (keep probabilities, 1
included, points, noise, learning rate, seed) is a traced value of that one program. The sub-networks
sampled at evaluation run one more small program (``networks.dropout.sampled_predictions``) whose
shapes are fixed (the test set's size, blocks of 32 masks). The expectation check is NumPy.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from networks import TrainSettings, feature_columns, grid_points, make_dataset, mlp
from networks import dropout as nd
from networks.datasets import TEST, TRAIN
from ui.deep_networks.compute import numpy_outputs

WIDTHS = (64, 64, 64)
ACTIVATION = "relu"
DATASET = "moons"
TEST_POINTS = 300  # training points + 300 stay in one data bucket (512) for 40..160 training points
EPOCHS = 200
SNAPSHOT_EVERY = 2  # 101 snapshots: one bucket (129)
BATCH = 16
MAP_RESOLUTION = 50
EXPECTATION_LAYER = 1  # the hidden layer whose outputs the expectation check masks


def architecture():
    return mlp(2, WIDTHS, ACTIVATION)


def settings(lr: float, seed: int) -> TrainSettings:
    return TrainSettings(optimizer="adam", lr=float(lr), batch_size=BATCH, epochs=EPOCHS, snapshot_every=SNAPSHOT_EVERY,
                         weight_scheme="he_normal", seed=int(seed))


def dataset(n_train: int, noise: float, seed: int):
    n = int(n_train) + TEST_POINTS
    return make_dataset(DATASET, n, float(noise), int(seed), fractions=(n_train / n, 0.0, TEST_POINTS / n))


@st.cache_data(max_entries=16, max_size="32MB", show_spinner=False)  # ~0.4 MB an entry (final parameters and weights of 2 runs, 2 maps of 50 x 50)
def comparison(n_train: int, noise: float, keep_input: float, keep_hidden: float, lr: float, seed: int) -> dict:
    """Both runs' curves, weights, measurements and decision maps (NumPy)."""
    net, data = architecture(), dataset(n_train, noise, seed)
    c = nd.compare(net, data, settings(lr, seed), float(keep_input), float(keep_hidden))
    run = c.run
    grid, axes = grid_points(data.domain, MAP_RESOLUTION)
    features = feature_columns(grid, data.feature_names)
    maps = [numpy_outputs(net, run.params(r, -1), features).reshape(MAP_RESOLUTION, MAP_RESOLUTION) for r in range(2)]
    return {
        "epochs": run.epochs, "loss": run.loss, "accuracy": run.accuracy, "step_loss": run.step_loss,
        "final_theta": run.final_theta, "weights": c.weights, "largest_weight": c.largest_weight,
        "weight_spread": c.weight_spread, "gap": c.gap, "roughness": c.roughness,
        "status": run.status, "messages": [run.message(r) for r in range(2)],
        "maps": maps, "axes": axes, "points": data.points, "targets": data.targets, "split": data.split,
        "keep_input": float(keep_input), "keep_hidden": float(keep_hidden),
    }


@st.cache_data(max_entries=16, show_spinner=False)
def ensemble(n_train: int, noise: float, keep_input: float, keep_hidden: float, lr: float, seed: int,
             n_masks: int) -> dict:
    """The dropout-trained network's sub-networks (K masks drawn at evaluation) on the test points,
    against the full network (the weight-scaling rule, already in the inverted division)."""
    result = comparison(n_train, noise, keep_input, keep_hidden, lr, seed)
    net, data = architecture(), dataset(n_train, noise, seed)
    test = data.split == TEST
    inputs, targets = data.inputs[test], data.targets[test]
    theta = result["final_theta"][1]
    samples = nd.sampled_predictions(net, theta, inputs, keep_input, keep_hidden, n_masks, seed=seed + 1)
    full = numpy_outputs(net, nd.unflatten(net, theta), inputs)
    a = nd.ensemble_agreement(samples, full, targets)
    return {**a._asdict(), "samples": samples[:, :30], "n_masks": int(n_masks)}


@st.cache_data(max_entries=32, show_spinner=False)
def expectation(keep: float, n_masks: int, seed: int) -> dict:
    """A hidden layer's 64 outputs on one training point (the fresh network of ``seed``) masked K times."""
    net, data = architecture(), dataset(80, 0.5, seed)
    params = nd.unflatten(net, nd.initial_theta(net, seed, "he_normal"))
    x = data.inputs[data.split == TRAIN][:1]
    activations = nd.hidden_outputs(net, params, x)[EXPECTATION_LAYER - 1][0]
    m = nd.mask_average(activations, float(keep), int(n_masks), seed)
    active = activations != 0
    return {"unmasked": m.unmasked, "inverted_mean": m.inverted_mean, "inverted_error": m.inverted_error,
            "plain_mean": m.plain_mean, "plain_error": m.plain_error,
            "theory_error": nd.theoretical_error(activations, keep, n_masks),
            "max_z": float(np.max(np.abs(m.inverted_z))),
            "inverted_ratio": float(m.inverted_mean.sum() / m.unmasked.sum()),
            "plain_ratio": float(m.plain_mean.sum() / m.unmasked.sum()), "active": int(active.sum())}
