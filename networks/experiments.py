"""The Initialization and Activations pages' experiments, each a small measurement.

- ``notes_experiment``: the notes' three weight choices (uniform +-0.05, uniform +-0.5, normal / sqrt(32))
  on inputs N(0, 1) of shape 100 x 32 through four tanh layers of 32 units (no biases): every layer's
  pre-activations z, outputs x and back-propagated gradients dL/dz, for histograms.
  ``initialization_experiment`` is the same with any scheme, depth (up to 20), width and activation.
  The gradients start from a random top signal dL/dx^(L) ~ N(0, 1) (a stand-in for the loss gradient)
  and follow  delta^(l) = (delta^(l+1) W^(l+1)^T) * f'(z^(l)).  Pure NumPy: nothing compiles.
- ``variance_by_depth``: Var(z^(l)) against depth with the notes' law Var(z^(l)) = [n Var(beta)]^l Var(x)
  and its ReLU version (ReLU halves the second moment, so the factor is n Var(beta) / 2 after the first
  layer: He's n Var(beta) = 2 keeps it constant).
- ``symmetry_experiment``: constant initialization keeps the units of a layer exactly tied through
  training; ``zero_init_gradient_norms``: with every weight zero the hidden layers' gradient is exactly 0.
- ``update_sign_agreement``: the share of next-layer units whose incoming weights all get an update of
  the same sign (sigmoid inputs are positive, so dL/dW_ij = delta_j x_i has the sign of delta_j).
- ``dead_units_over_training`` / ``saturation_over_training``: the counts recorded in a run's snapshots.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks.activations import activate, activation_derivative
from networks.datasets import TRAIN, Dataset
from networks.initializers import draw_weights
from networks.model import Architecture, example_losses, forward, init_params, unravel_function
from programs import bounded_jit
from networks.training import PROGRAMS, TRACE_COUNTS, TrainSettings, TrainingRun, snapshot_of, train

#: The notes' three initializations: label -> (scheme, scale) for ``draw_weights``.
NOTES_WEIGHTS = {
    "uniform ±0.05": ("uniform", 0.05),
    "uniform ±0.5": ("uniform", 0.5),
    "normal / √32": ("normal", 1.0 / 32.0),
}


class LayerSignals(NamedTuple):
    """Per hidden layer l = 1..L, arrays (N, width): pre-activations, outputs, back-propagated dL/dz."""

    z: list
    x: list
    delta: list


def propagate_signals(weights, activation: str, inputs, top_gradient) -> LayerSignals:
    """Forward  z^(l) = x^(l-1) W^(l),  x^(l) = f(z^(l));  backward from dL/dx^(L) = top_gradient:
    delta^(L) = top_gradient * f'(z^(L)),  delta^(l) = (delta^(l+1) W^(l+1)^T) * f'(z^(l))."""
    zs, xs, x = [], [], np.asarray(inputs, dtype=float)
    for W in weights:
        z = x @ W
        x = activate(activation, z, 0.25)
        zs.append(z)
        xs.append(x)
    deltas = [np.asarray(top_gradient) * activation_derivative(activation, zs[-1], 0.25)]
    for W, z in zip(weights[:0:-1], zs[-2::-1]):
        deltas.insert(0, (deltas[0] @ W.T) * activation_derivative(activation, z, 0.25))
    return LayerSignals(zs, xs, deltas)


def initialization_experiment(scheme: str = "uniform", scale: float | None = 0.05, depth: int = 4, width: int = 32,
                              n_examples: int = 100, activation: str = "tanh", seed: int = 0) -> LayerSignals:
    """Inputs N(0, 1) (n_examples x width) through ``depth`` square layers initialized by ``scheme``."""
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((n_examples, width))
    weights = [draw_weights(rng, scheme, width, width, scale) for _ in range(depth)]
    top_gradient = rng.standard_normal((n_examples, width))
    return propagate_signals(weights, activation, inputs, top_gradient)


def notes_experiment(seed: int = 0) -> dict:
    """{label: LayerSignals} for the notes' three initializations, 100 x 32 inputs, four tanh layers."""
    return {label: initialization_experiment(scheme, scale, 4, 32, 100, "tanh", seed)
            for label, (scheme, scale) in NOTES_WEIGHTS.items()}


class VarianceLaw(NamedTuple):
    measured: np.ndarray  # (S, L): Var(z^(l)) over every (example, unit), one row per seed
    notes_law: np.ndarray  # (L,): [n Var(beta)]^l Var(x)
    predicted: np.ndarray  # (L,): the law for this activation (ReLU: the second moment halves)
    n_var_beta: float
    input_variance: float


def second_moment_gain(activation: str) -> float:
    """E[f(z)^2] / Var(z) for z ~ N(0, s^2) small enough for the linear regime: 1 for linear and tanh
    (tanh(z) ~ z near 0), 1/2 for ReLU, (1 + 0.01^2)/2 for leaky ReLU, (1 + 0.25^2)/2 for PReLU at init."""
    return {"relu": 0.5, "leaky_relu": (1 + 0.01**2) / 2, "prelu": (1 + 0.25**2) / 2}.get(activation, 1.0)


def predicted_variance(n_var_beta: float, depth: int, input_variance: float = 1.0, activation: str = "linear"):
    """Var(z^(1)) = n Var(beta) Var(x);  Var(z^(l)) = n Var(beta) * gain * Var(z^(l-1)) for l > 1."""
    layers = np.arange(1, depth + 1)
    return n_var_beta * input_variance * (second_moment_gain(activation) * n_var_beta) ** (layers - 1)


def variance_by_depth(n_var_beta: float = 1.0, depth: int = 10, width: int = 32, activation: str = "linear",
                      n_examples: int = 1000, seeds=range(10), input_variance: float = 1.0) -> VarianceLaw:
    """Measure Var(z^(l)) for W ~ N(0, Var(beta)) with Var(beta) = n_var_beta / width, x ~ N(0, Var(x))."""
    measured = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        x = np.sqrt(input_variance) * rng.standard_normal((n_examples, width))
        row = []
        for _ in range(depth):
            z = x @ draw_weights(rng, "normal", width, width, n_var_beta / width)
            x = activate(activation, z, 0.25)
            row.append(np.var(z))
        measured.append(row)
    notes = n_var_beta ** np.arange(1, depth + 1) * input_variance
    return VarianceLaw(np.array(measured), notes, predicted_variance(n_var_beta, depth, input_variance, activation),
                       float(n_var_beta), float(input_variance))


class SymmetryResult(NamedTuple):
    run: TrainingRun
    first_two_units: np.ndarray  # (n, n_in, 2): incoming weights of units 0 and 1 of hidden layer 1
    max_difference: np.ndarray  # (n,): max over hidden layers and units of |unit j - unit 0| (in, out, bias)


def tied_unit_difference(params, depth: int) -> float:
    """max over hidden layers l and units j of the difference between unit j and unit 0: incoming
    weights, bias, and outgoing weights."""
    worst = 0.0
    for l in range(depth):
        W, b = np.asarray(params[l][0]), np.asarray(params[l][1])
        W_next = np.asarray(params[l + 1][0])
        worst = max(worst, np.max(np.abs(W - W[:, :1])), np.max(np.abs(b - b[0])),
                    np.max(np.abs(W_next - W_next[:1, :])))
    return float(worst)


def symmetry_experiment(architecture: Architecture, dataset: Dataset, settings: TrainSettings) -> SymmetryResult:
    """Train with ``settings`` (use weight_scheme="constant" for the tied case) and measure how far the
    units of each hidden layer are from unit 0 at every snapshot."""
    run = train(architecture, dataset, settings)
    snapshots = [run.params(0, i) for i in range(len(run.epochs))]
    pair = np.stack([np.asarray(p[0][0])[:, :2] for p in snapshots])
    return SymmetryResult(run, pair, np.array([tied_unit_difference(p, architecture.depth) for p in snapshots]))


def zero_init_gradient_norms(architecture: Architecture, dataset: Dataset) -> np.ndarray:
    """Per-layer norm (L + 1, output last) of the training-loss gradient with every weight and bias 0."""
    from networks.model import flatten_params
    theta = flatten_params(init_params(architecture, 0, "zeros", bias_scheme="zero"))
    return snapshot_of(architecture, theta[None], dataset).grad_norm[0]


@bounded_jit(static_argnums=(0, 1))
def _sign_agreement_program(architecture: Architecture, layer: int, thetas, inputs, targets, batches):
    TRACE_COUNTS[("sign agreement", architecture, layer)] += 1
    unravel = unravel_function(architecture)

    def agreement(theta, rows):
        def loss(params):
            s = forward(architecture, params, inputs[rows])
            return jnp.mean(example_losses(architecture.task, s, targets[rows]))
        g = jax.grad(loss)(unravel(theta))[layer][0]  # dL/dW of the layer, (n_in, n_out)
        same_sign = jnp.all(g > 0, axis=0) | jnp.all(g < 0, axis=0)
        return jnp.mean(same_sign.astype(jnp.float64))

    return jax.vmap(lambda theta: jnp.mean(jax.vmap(lambda rows: agreement(theta, rows))(batches)))(thetas)


PROGRAMS.append(_sign_agreement_program)


def update_sign_agreement(architecture: Architecture, thetas: np.ndarray, dataset: Dataset, layer: int = 1,
                          batch_size: int = 1, n_batches: int = 64, seed: int = 0) -> np.ndarray:
    """For each parameter vector (M, P): the share of units of layer ``layer`` (1 = the second hidden
    layer, whose inputs are the first layer's outputs) whose incoming weights' minibatch gradients
    all have one sign, averaged over ``n_batches`` random minibatches of the training points."""
    if not 1 <= layer <= architecture.depth:
        raise ValueError(f"layer must be between 1 and {architecture.depth} (its inputs are hidden units)")
    inputs, targets = dataset.part(TRAIN)
    rng = np.random.default_rng(seed)
    batches = np.stack([rng.choice(len(targets), size=batch_size, replace=False) for _ in range(n_batches)])
    return np.asarray(_sign_agreement_program(architecture, layer, np.atleast_2d(thetas), inputs, targets,
                                              batches.astype(np.int32)))


def dead_units_over_training(run: TrainingRun) -> np.ndarray:
    """(R, n, L): dead ReLU units of every hidden layer at every snapshot."""
    return np.stack([layer.dead_units for layer in run.layers], axis=-1)


def saturation_over_training(run: TrainingRun) -> np.ndarray:
    """(R, n, L): share of saturated (example, unit) pairs of every hidden layer at every snapshot."""
    return np.stack([layer.saturated_fraction for layer in run.layers], axis=-1)
