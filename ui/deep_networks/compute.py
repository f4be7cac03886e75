"""Cached bridges of the deep-network lab: plain, hashable arguments in, NumPy data out.

The Initialization page's signal and variance experiments are NumPy (nothing compiles); the symmetry
runs go through ``networks.train``, whose compiled programs live in the app's bounded table
(``programs.bounded_jit``). Every value a slider moves there is a traced argument, so moving it reruns
the one compiled program of the page's fixed architecture."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from networks import ACTIVATIONS, make_dataset, mlp, train, TrainSettings, flatten_params, init_params
from networks.experiments import (
    initialization_experiment,
    notes_experiment,
    tied_unit_difference,
    variance_by_depth,
)

# ---- Initialization: signals through a freshly initialized network ------------------------------------


def _signal_summary(signals, activation: str) -> dict:
    saturated = ACTIVATIONS[activation].saturated
    return {
        "x": [np.asarray(x) for x in signals.x],
        "delta": [np.asarray(d) for d in signals.delta],
        "x_std": np.array([np.std(x) for x in signals.x]),
        "z_var": np.array([np.var(z) for z in signals.z]),
        "delta_std": np.array([np.std(d) for d in signals.delta]),
        "saturated": np.array([np.mean(saturated(np.asarray(x))) for x in signals.x]),
    }


@st.cache_data(max_entries=16, show_spinner=False)
def notes_signals(seed: int) -> dict:
    """{label: summary} for the notes' three initializations (100 x 32 inputs, four tanh layers)."""
    return {label: _signal_summary(signals, "tanh") for label, signals in notes_experiment(seed).items()}


@st.cache_data(max_entries=32, show_spinner=False)
def explore_signals(scheme: str, scale: float | None, depth: int, width: int, activation: str, n_examples: int,
                    seed: int) -> dict:
    signals = initialization_experiment(scheme, scale, depth, width, n_examples, activation, seed)
    return _signal_summary(signals, activation)


@st.cache_data(max_entries=64, show_spinner=False)
def variance_law(n_var_beta: float, depth: int, width: int, activation: str, n_seeds: int = 10) -> dict:
    law = variance_by_depth(n_var_beta, depth, width, activation, n_examples=1000, seeds=range(n_seeds))
    return {"measured": law.measured, "notes_law": law.notes_law, "predicted": law.predicted}


# ---- Initialization: symmetry in a trained network -------------------------------------------------------

SYMMETRY_WIDTHS = (8, 8)
SYMMETRY_POINTS = 200
SYMMETRY_SNAPSHOTS = 30  # snapshot_every adapts to the epochs, so the compiled shape never changes
SYMMETRY_RUNS = ("constant", "random", "zeros")


def symmetry_architecture():
    return mlp(2, SYMMETRY_WIDTHS, "tanh")


@st.cache_data(max_entries=16, show_spinner=False)
def symmetry_runs(constant_value: float, lr: float, epochs: int, seed: int) -> dict:
    """Three networks trained on the same moons with plain SGD (batch 32): every weight = c, weights
    from Glorot normal (seed), and every weight 0. One compiled call runs the three together."""
    architecture = symmetry_architecture()
    data = make_dataset("moons", SYMMETRY_POINTS, 0.1, 0)
    every = max(1, math.ceil(epochs / SYMMETRY_SNAPSHOTS))
    settings = TrainSettings(optimizer="sgd", lr=float(lr), batch_size=32, epochs=int(epochs), snapshot_every=every)
    starts = [init_params(architecture, seed, "constant", constant_value),
              init_params(architecture, seed, "glorot_normal"),
              init_params(architecture, seed, "zeros")]
    thetas = np.stack([flatten_params(p) for p in starts])
    run = train(architecture, data, settings, seeds=[seed] * 3, initial_params=thetas)
    out = {"epochs": run.epochs, "loss": run.loss[:, :, 0], "test_accuracy": run.accuracy[:, :, 2],
           "grad_norm_start": run.grad_norm[:, 0], "messages": [run.message(r) for r in range(3)],
           "valid": [run.valid_snapshots(r) for r in range(3)]}
    pairs, differences = [], []
    for r in range(3):
        snapshots = [run.params(r, i) for i in range(len(run.epochs))]
        pairs.append(np.stack([np.asarray(p[0][0])[:, :2] for p in snapshots]))
        differences.append(np.array([tied_unit_difference(p, architecture.depth) for p in snapshots]))
    out["pairs"], out["differences"] = pairs, differences
    out["hidden_grad_norms"] = run.grad_norm[:, :, :architecture.depth]  # (3, n, L): each hidden layer's gradient norm
    return out



# ---- Training a network ---------------------------------------------------------------------------------

TRAINING_SLOTS = 32  # snapshot intervals: snapshot_every = ceil(E / 32) keeps every run in one snapshot bucket
MAP_RESOLUTION = 50


def training_snapshot_every(epochs: int) -> int:
    """k with ceil(E / k) in [17, 32] for every E >= 17: the snapshot count, and so the compiled shape,
    stays in one bucket (SNAPSHOT_BUCKETS' 33) whatever the epochs slider says."""
    return max(1, math.ceil(epochs / TRAINING_SLOTS))


def _sigmoid(s):
    return 0.5 * (1.0 + np.tanh(0.5 * s))


def numpy_outputs(architecture, params, inputs) -> np.ndarray:
    """The network's output on inputs in NumPy (the model's functions take NumPy arrays): probabilities
    of class 1, or predictions. No XLA program is compiled for the maps or the confusion matrix."""
    from networks.model import forward

    s = np.asarray(forward(architecture, params, np.asarray(inputs, dtype=float)))
    return _sigmoid(s) if architecture.task == "classification" else s


@st.cache_data(max_entries=16, max_size="48MB", show_spinner=False)  # 0.67 MB at the defaults, 8 MB for 8 x 64 on 2,000 points
def training_run(dataset: str, n_points: int, noise: float, data_seed: int, features: tuple, widths: tuple,
                 activation: str, weight_scheme: str, optimizer: str, hyper: tuple, batch_size: int, epochs: int,
                 stop_test_loss: float, seed: int) -> dict:
    """One network trained by ``networks.train`` on a built-in dataset (``trained`` says what comes back)."""
    return trained(make_dataset(dataset, n_points, noise, data_seed, features), widths, activation, weight_scheme,
                   optimizer, hyper, batch_size, epochs, stop_test_loss, seed)


OWN_DATA = "own"  # the Training page's dataset key for the user's own CSV


def own_training_run(fingerprint: str, features: tuple, widths: tuple, activation: str, weight_scheme: str,
                     optimizer: str, hyper: tuple, batch_size: int, epochs: int, stop_test_loss: float, seed: int) -> dict:
    """The same run on the user's own rows, which only this session holds (``ui.compute.check_owned``
    refuses any other session before a cache is consulted); cached in the session only."""
    from ui.compute import check_owned

    check_owned((("user_data", fingerprint),))
    return _own_training_run(fingerprint, features, widths, activation, weight_scheme, optimizer, hyper, batch_size,
                             epochs, stop_test_loss, seed)


@st.cache_data(scope="session", max_entries=4, show_spinner=False)
def _own_training_run(fingerprint, features, widths, activation, weight_scheme, optimizer, hyper, batch_size, epochs,
                      stop_test_loss, seed) -> dict:
    from networks.datasets import dataset_from_rows
    from ui.compute import USER_DATA

    rows = st.session_state[USER_DATA][fingerprint]
    data = dataset_from_rows(rows.values, rows.kind, features, seed=0)
    return trained(data, widths, activation, weight_scheme, optimizer, hyper, batch_size, epochs, stop_test_loss, seed)


def trained(data, widths: tuple, activation: str, weight_scheme: str, optimizer: str, hyper: tuple, batch_size: int,
            epochs: int, stop_test_loss: float, seed: int) -> dict:
    """One network trained by ``networks.train`` on ``data``; snapshots, the output over the input plane at
    each snapshot (NumPy), the final test confusion matrix and per-layer summaries, as plain arrays."""
    from networks.datasets import TEST, feature_columns, grid_points

    architecture = mlp(data.n_inputs, widths, activation, data.task)
    settings = TrainSettings(optimizer=optimizer, batch_size=int(batch_size), epochs=int(epochs),
                             snapshot_every=training_snapshot_every(epochs), weight_scheme=weight_scheme,
                             stop_test_loss=float(stop_test_loss), seed=int(seed), **dict(hyper))
    run = train(architecture, data, settings)
    valid = run.valid_snapshots(0)
    grid, axes = grid_points(data.domain, MAP_RESOLUTION if data.points.shape[1] == 2 else 200)
    grid_inputs = feature_columns(grid, data.feature_names)
    maps = np.stack([numpy_outputs(architecture, run.params(0, i), grid_inputs) for i in range(valid)])
    test_inputs, test_targets = data.part(TEST)
    final = run.params(0, valid - 1)
    confusion = None
    if data.task == "classification":
        predicted = numpy_outputs(architecture, final, test_inputs) > 0.5
        truth = test_targets > 0.5
        confusion = np.array([[np.sum(~truth & ~predicted), np.sum(~truth & predicted)],
                              [np.sum(truth & ~predicted), np.sum(truth & predicted)]])
    layers = run.layers
    return {
        "task": data.task, "points": data.points, "targets": data.targets, "split": data.split, "axes": axes,
        "epochs": run.epochs[:valid], "loss": run.loss[0, :valid], "accuracy": run.accuracy[0, :valid],
        "grad_norm": run.grad_norm[0, :valid], "maps": maps, "confusion": confusion,
        "x_std": np.stack([layer.x_std[0, :valid].mean(axis=-1) for layer in layers], axis=-1),  # (n, L)
        "saturated": np.stack([layer.saturated_fraction[0, :valid] for layer in layers], axis=-1),
        "dead": np.stack([layer.dead_units[0, :valid] for layer in layers], axis=-1),
        "status": int(run.status[0]), "message": run.message(0), "valid": valid, "widths": widths,
        "activation": activation, "n_params": int(run.theta.shape[-1]),
        "params": [run.params(0, i) for i in range(valid)], "feature_names": data.feature_names,
        "domain": data.domain, "n_inputs": data.n_inputs,
    }


# ---- the network diagram --------------------------------------------------------------------------------

DIAGRAM_RESOLUTION = 21  # each unit's thumbnail: its output over a 21 x 21 grid of the input plane (2-D data)
DIAGRAM_CURVE_POINTS = 60  # or over 60 points of the line (1-D data)
DIAGRAM_MAX_UNITS = 12  # units drawn per layer; a wider layer shows its first 12 and says how many more


def diagram_tiles(result: dict, snapshot: int) -> dict:
    """What the network diagram draws at one snapshot: for every column (the input features, each hidden
    layer, the output) the output of each drawn unit over the input plane (or line), the weights between
    drawn units, and a one-line summary per layer. NumPy only: the model's forward pass on a small grid."""
    from networks.datasets import feature_columns, grid_points
    from networks.model import forward_layers

    resolution = DIAGRAM_RESOLUTION if len(result["domain"]) == 2 else DIAGRAM_CURVE_POINTS
    grid, axes = grid_points(result["domain"], resolution)
    inputs = feature_columns(grid, result["feature_names"])
    architecture = mlp(result["n_inputs"], result["widths"], result["activation"], result["task"])
    params = result["params"][snapshot]
    output, _, xs = forward_layers(architecture, params, np.asarray(inputs, dtype=float))
    output = np.asarray(output)
    if result["task"] == "classification":
        output = _sigmoid(output)
    columns = [np.asarray(inputs)] + [np.asarray(x) for x in xs] + [output[:, None]]
    shown = [min(c.shape[1], DIAGRAM_MAX_UNITS) for c in columns]
    weights = [np.asarray(params[l][0])[:shown[l], :shown[l + 1]] for l in range(len(columns) - 1)]
    L = len(result["widths"])
    n_features = len(result["feature_names"])
    summaries = ([f"{n_features} input" + ("s" if n_features > 1 else "")]
                 + [f"{result['widths'][l]} units · " + (f"{int(result['dead'][snapshot, l])} dead"
                                                           if ACTIVATIONS[result["activation"]].can_die
                                                           else f"{result['saturated'][snapshot, l]:.0%} saturated")
                    for l in range(L)] + ["output"])
    names = ([list(result["feature_names"])] + [[f"h{l + 1}.{j + 1}" for j in range(shown[l + 1])] for l in range(L)]
             + [["p(class 1)" if result["task"] == "classification" else "prediction"]])
    return {"tiles": [c[:, :k].T.reshape((k,) + ((resolution, resolution) if len(axes) == 2 else (resolution,)))
                      for c, k in zip(columns, shown)],
            "weights": weights, "summaries": summaries, "names": names,
            "hidden": [c.shape[1] - k for c, k in zip(columns, shown)], "epoch": int(result["epochs"][snapshot])}


# ---- Activations ------------------------------------------------------------------------------------------

ACTIVATION_WIDTHS = (16, 16, 16)
DEEP_WIDTHS = (16,) * 6
DEEP_SEEDS = 8
ZIGZAG_STEPS = 240  # single-example SGD steps drawn in the weight plane


def _moons():
    return make_dataset("moons", 400, 0.1, 0)


@st.cache_data(max_entries=16, show_spinner=False)
def saturation_and_signs(gain: float, lr: float, epochs: int, seed: int) -> dict:
    """Sigmoid and tanh networks (3 x 16) trained on the moons from Glorot normal x ``gain``: the share of
    saturated outputs per layer over training, the share of layer-2 units whose incoming minibatch updates
    all share one sign (at the start and at the end), and, from the same start, single-example SGD's path
    of the two incoming weights of a layer-2 unit whose net motion is one up and one down
    (``networks.zigzag``)."""
    from networks.experiments import update_sign_agreement
    from networks.zigzag import incoming_weights, opposing_pair, same_direction_share, single_example_path

    data, out = _moons(), {}
    train_inputs, train_targets = data.part(0)
    for key in ("sigmoid", "tanh"):
        architecture = mlp(2, ACTIVATION_WIDTHS, key)
        settings = TrainSettings(optimizer="sgd", lr=float(lr), batch_size=32, epochs=int(epochs),
                                 snapshot_every=training_snapshot_every(epochs), weight_scheme="glorot_normal",
                                 weight_scale=float(gain), seed=int(seed))
        run = train(architecture, data, settings)
        agreement = update_sign_agreement(architecture, run.theta[0, [0, -1]], data, layer=1, batch_size=1, n_batches=64)
        path = single_example_path(architecture, run.theta[0, 0], train_inputs, train_targets, ZIGZAG_STEPS, float(lr),
                                   seed=int(seed))
        weights = incoming_weights(architecture, path, 1)
        i, j, k = opposing_pair(weights)
        pair = weights[:, [i, j], k]
        out[key] = {"epochs": run.epochs, "saturated": np.stack([l.saturated_fraction[0] for l in run.layers], axis=-1),
                    "loss": run.loss[0, :, 0], "agreement": agreement, "path": pair, "pair": (i, j, k),
                    "same_sign_steps": same_direction_share(pair),
                    "message": run.message(0), "status": int(run.status[0])}
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def dying_relu(large_lr: float, bias: float, epochs: int, seed: int) -> dict:
    """ReLU networks (3 x 16) on the moons: a modest step, a large step, a negative bias, a positive bias
    (the fix for units dead from the start), and leaky ReLU at the large step (the fix for units a step
    kills: a positive bias does not help there, measured: at eta = 2 it ends with more dead units).
    Dead units per layer at every snapshot."""
    data = _moons()
    every = training_snapshot_every(epochs)
    settings = TrainSettings(optimizer="sgd", batch_size=32, epochs=int(epochs), snapshot_every=every, seed=int(seed))
    relu = mlp(2, ACTIVATION_WIDTHS, "relu")
    cases = {"η = 0.05": ("zero", 0.05), f"η = {large_lr:g}": ("zero", large_lr),
             f"bias −{bias:g}, η = 0.05": ("negative_constant", 0.05), f"bias +{bias:g}, η = 0.05": ("constant", 0.05)}
    thetas = np.stack([flatten_params(init_params(relu, seed, "he_normal", bias_scheme=b, bias_value=bias))
                       for b, _ in cases.values()])
    run = train(relu, data, settings, seeds=[seed] * len(cases), initial_params=thetas,
                hyper_overrides={"lr": [lr for _, lr in cases.values()]})
    leaky = mlp(2, ACTIVATION_WIDTHS, "leaky_relu")
    leaky_run = train(leaky, data, settings.replace(lr=float(large_lr), weight_scheme="he_normal"))
    out = {"epochs": run.epochs, "cases": {}}
    for r, name in enumerate(cases):
        out["cases"][name] = {"dead": np.stack([l.dead_units[r] for l in run.layers], axis=-1), "loss": run.loss[r, :, 0],
                              "accuracy": run.accuracy[r, -1, 2], "message": run.message(r)}
    never = np.stack([l.never_active[0] for l in leaky_run.layers], axis=-1)
    out["cases"][f"leaky ReLU, η = {large_lr:g}"] = {"dead": np.zeros_like(never), "never_active": never,
                                                      "loss": leaky_run.loss[0, :, 0], "accuracy": leaky_run.accuracy[0, -1, 2],
                                                      "message": leaky_run.message(0)}
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def deep_relu_vs_sigmoid(lr: float, epochs: int) -> dict:
    """Six layers of 16, ReLU (He) against sigmoid (Glorot), the same SGD budget, eight seeds each."""
    data, out = _moons(), {}
    for key, scheme in (("relu", "he_normal"), ("sigmoid", "glorot_normal")):
        settings = TrainSettings(optimizer="sgd", lr=float(lr), batch_size=32, epochs=int(epochs),
                                 snapshot_every=training_snapshot_every(epochs), weight_scheme=scheme)
        run = train(mlp(2, DEEP_WIDTHS, key), data, settings, seeds=range(DEEP_SEEDS))
        out[key] = {"epochs": run.epochs, "loss": run.loss[:, :, 0], "accuracy": run.accuracy[:, -1, 2]}
    return out


def _network_diagram(run_key: tuple, snapshot: int, present: bool, _result: dict) -> dict:
    from ui.deep_networks.charts import network_diagram_figure

    return network_diagram_figure(diagram_tiles(_result, snapshot), _result["task"] == "classification")


_shared_diagram = st.cache_data(max_entries=32, show_spinner=False)(_network_diagram)  # ~40-120 kB per entry
_private_diagram = st.cache_data(max_entries=4, show_spinner=False, scope="session")(_network_diagram)


def network_diagram(run_key: tuple, snapshot: int, present: bool, result: dict, private: bool = False) -> dict:
    """The diagram's figure for one run (``run_key``: every setting of the run) at one snapshot, cached;
    ``private``: drawn from the user's own rows, so cached in this session only."""
    return (_private_diagram if private else _shared_diagram)(run_key, snapshot, present, result)

