"""Inverted dropout: a random sub-network at every training step, the whole network at evaluation.

The notes' formula, for the activations X of a layer (rows are examples) and a keep probability p:

    X_D = X * (D < p) / p,        D ~ U(0, 1) of the same shape as X

so every example of a batch drops its own units, and a unit is kept with probability p. Dividing by
p keeps the expected activation: E[(D < p) / p] = p / p = 1, so E[X_D] = X. Without the division the
expected activation shrinks to p X. At evaluation nothing is dropped and nothing is rescaled: the
division during training already did what the "weight-scaling rule" of the original dropout does at
test time (multiply the outgoing weights by p).

Where the masks go (``networks.model.network_pass`` with ``dropout=DropoutMasks(...)``): the inputs
x^(0) are dropped with ``keep_input`` (dropout as input noise), every hidden layer's output x^(l) with
``keep_hidden``; the output layer never. In training (``networks.training``) the key of a step's
chunk of examples is folded from the run's key, the epoch, the step and the chunk, so each example
and each step draws a new mask; snapshots, losses, maps and Hessians never drop.

``sampled_predictions`` draws masks at evaluation: the predictions of many sub-networks, whose mean
is the ensemble that the full (scaled) network approximates.

NumPy and JAX only. ``inverted_dropout`` takes its uniform draws D as an argument, so it reads the
same with NumPy arrays (the page's expectation check) and inside the compiled training step.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from programs import bounded_jit

#: Folded into a run's key before the epoch, step and chunk: dropout's keys never meet the epoch order's.
DROPOUT_STREAM = 0x44524F50
#: Sub-networks per call of ``sampled_predictions`` (static shapes: more masks = more calls).
MASK_BLOCK = 32


def inverted_dropout(x, draws, keep):
    """X_D = X * (D < p) / p: the units whose draw is below the keep probability, scaled by 1/p."""
    return x * (draws < keep) / keep


def plain_dropout(x, draws, keep):
    """X * (D < p): the same mask without the division (its mean shrinks to p X)."""
    return x * (draws < keep)


class DropoutMasks(NamedTuple):
    """What ``network_pass`` needs to drop units: a key (one draw per example and unit and layer)
    and the keep probabilities of the input layer and of every hidden layer (traced scalars)."""

    key: jax.Array
    keep_input: jax.Array
    keep_hidden: jax.Array

    def apply(self, layer: int, x):
        """Layer 0 = the inputs, l = hidden layer l's output."""
        keep = self.keep_input if layer == 0 else self.keep_hidden
        draws = jax.random.uniform(jax.random.fold_in(self.key, layer), x.shape, dtype=x.dtype)
        return inverted_dropout(x, draws, keep)


def step_key(run_key, epoch, step, chunk):
    """The key of one chunk of one training step: a new mask for each epoch, step and chunk."""
    key = jax.random.fold_in(run_key, DROPOUT_STREAM)
    return jax.random.fold_in(jax.random.fold_in(jax.random.fold_in(key, epoch), step), chunk)


def validate_keep(name: str, keep) -> None:
    keep = np.asarray(keep, dtype=float)
    if not np.all((keep > 0) & (keep <= 1)):
        raise ValueError(f"{name} is a keep probability, in (0, 1]; got {keep}")


# --------------------------------------------------------------- the expectation, over many masks


class MaskAverage(NamedTuple):
    """Means over K masks of the dropped activations, per entry of x, with their standard errors."""

    unmasked: np.ndarray  # x
    inverted_mean: np.ndarray  # mean_k x * (D_k < p) / p  (-> x)
    inverted_error: np.ndarray  # its standard error, x sqrt((1 - p) / p / K) in theory
    plain_mean: np.ndarray  # mean_k x * (D_k < p)  (-> p x)
    plain_error: np.ndarray
    n_masks: int
    keep: float

    @property
    def inverted_z(self) -> np.ndarray:
        """(mean - x) / its theoretical standard error |x| sqrt((1 - p) / (p K)): within a few units if
        the expectation is x (0 where x = 0 or p = 1, where every draw is x). The theory, not the
        measured error, so that a few masks that all keep a unit do not divide by zero."""
        return _ratio(self.inverted_mean - self.unmasked, theoretical_error(self.unmasked, self.keep, self.n_masks))

    @property
    def plain_z(self) -> np.ndarray:
        """(mean - x) / its theoretical standard error |x| sqrt(p (1 - p) / K) without the division:
        large, the mean is p x."""
        return _ratio(self.plain_mean - self.unmasked, self.keep * theoretical_error(self.unmasked, self.keep, self.n_masks))


def _ratio(difference, error):
    return np.where(error > 0, difference / np.where(error > 0, error, 1.0), 0.0)


def mask_average(x, keep: float, n_masks: int, seed: int = 0) -> MaskAverage:
    """Draw K masks for the activations x (any shape) and average the dropped activations."""
    validate_keep("keep", keep)
    x = np.asarray(x, dtype=float)
    draws = np.random.default_rng(seed).uniform(size=(int(n_masks), *x.shape))
    inverted = inverted_dropout(x, draws, keep)
    plain = plain_dropout(x, draws, keep)
    root = np.sqrt(n_masks)
    return MaskAverage(x, inverted.mean(0), inverted.std(0, ddof=1) / root, plain.mean(0),
                       plain.std(0, ddof=1) / root, int(n_masks), float(keep))


def theoretical_error(x, keep: float, n_masks: int):
    """The standard error of the mean of K inverted-dropout draws: |x| sqrt((1 - p) / (p K))."""
    return np.abs(np.asarray(x, dtype=float)) * np.sqrt((1 - keep) / (keep * n_masks))


# ------------------------------------------------------------- sub-networks at evaluation (ensemble)


@bounded_jit(static_argnums=(0,))
def _sampled_program(architecture, theta, inputs, seed, first, keep_input, keep_hidden):
    from networks.model import network_pass, unravel_function
    params = unravel_function(architecture)(theta)
    base = jax.random.PRNGKey(seed)
    keys = jax.vmap(lambda m: jax.random.fold_in(base, m))(first + jnp.arange(MASK_BLOCK))

    def one(key):
        s = network_pass(architecture, params, inputs, dropout=DropoutMasks(key, keep_input, keep_hidden)).output
        return jax.nn.sigmoid(s) if architecture.task == "classification" else s

    return jax.lax.map(one, keys)


def sampled_predictions(architecture, theta, inputs, keep_input: float, keep_hidden: float, n_masks: int,
                        seed: int = 0) -> np.ndarray:
    """(K, N): the prediction (probability of class 1, or the regression output) of K sub-networks,
    each with its own mask per example, drawn at evaluation. Masks come in blocks of MASK_BLOCK (one
    compiled program per architecture and data size)."""
    if architecture.batch_norm:
        raise ValueError("sampled sub-networks are for networks without batch norm")
    validate_keep("keep_input", keep_input)
    validate_keep("keep_hidden", keep_hidden)
    n_masks = int(n_masks)
    blocks = -(-n_masks // MASK_BLOCK)
    theta, inputs = np.asarray(theta, dtype=float), np.asarray(inputs, dtype=float)
    seed = np.uint32(int(seed) % 2**32)
    out = [np.asarray(_sampled_program(architecture, theta, inputs, seed, np.int32(b * MASK_BLOCK),
                                       np.float64(keep_input), np.float64(keep_hidden)))
           for b in range(blocks)]
    return np.concatenate(out)[:n_masks]


PROGRAMS = [_sampled_program]


# --------------------------------------------------------------------------- what the page measures


def roughness(losses) -> float:
    """How jagged a loss curve is: the mean |L_k - L_(k-1)| over its recorded points (NaNs skipped)."""
    losses = np.asarray(losses, dtype=float)
    losses = losses[np.isfinite(losses)]
    return float(np.mean(np.abs(np.diff(losses)))) if len(losses) > 1 else float("nan")


class Agreement(NamedTuple):
    """Sub-networks sampled at evaluation against the full network (classification, on N points)."""

    ensemble_probability: np.ndarray  # (N,) mean over the K sub-networks of p(t = 1 | x)
    full_probability: np.ndarray  # (N,) the full network (inverted dropout: already scaled)
    ensemble_accuracy: float
    full_accuracy: float
    member_accuracy: float  # mean accuracy of one sub-network
    mean_difference: float  # mean |ensemble - full| of the probabilities
    same_decision: float  # share of points where both put the point in the same class
    member_spread: float  # mean over points of the sub-networks' standard deviation


def ensemble_agreement(samples, full, targets) -> Agreement:
    """Compare the mean prediction of K sub-networks (samples: (K, N) probabilities) with the full
    network's (N,) on points with labels targets (0/1)."""
    samples, full, targets = (np.asarray(a, dtype=float) for a in (samples, full, targets))
    ensemble = samples.mean(0)
    label = targets > 0.5
    return Agreement(ensemble, full, float(np.mean((ensemble > 0.5) == label)), float(np.mean((full > 0.5) == label)),
                     float(np.mean((samples > 0.5) == label)), float(np.mean(np.abs(ensemble - full))),
                     float(np.mean((ensemble > 0.5) == (full > 0.5))), float(np.mean(samples.std(0))))


# ------------------------------------------------------------- the page's experiment: with and without


class Comparison(NamedTuple):
    """One network trained twice from the same start and minibatch order: run 0 without dropout, run 1
    with it (``run`` is the TrainingRun of both, trained in one dropout program)."""

    run: object
    dataset: object
    weights: list  # per run: every weight of the hidden and output layers (biases excluded), flat
    largest_weight: np.ndarray  # (2,) max |w|
    weight_spread: np.ndarray  # (2,) standard deviation of the weights
    gap: np.ndarray  # (2,) final test loss - final training loss
    roughness: np.ndarray  # (2,) of the loss as trained (``run.step_loss``), see ``roughness``


def weight_entries(architecture, theta) -> np.ndarray:
    """Every entry of the weight matrices W of theta (biases, slopes, gammas, betas left out)."""
    from networks.model import unflatten_params
    return np.concatenate([np.ravel(layer.W) for layer in unflatten_params(architecture, np.asarray(theta))])


def compare(architecture, dataset, settings, keep_input: float, keep_hidden: float) -> Comparison:
    """Train without dropout and with (keep_input, keep_hidden), same seed: one vmapped call."""
    from networks.training import train
    run = train(architecture, dataset, settings, seeds=[settings.seed] * 2, dropout=True,
                hyper_overrides={"keep_input": [1.0, keep_input], "keep_hidden": [1.0, keep_hidden]})
    weights = [weight_entries(architecture, run.final_theta[r]) for r in range(2)]
    final = run.loss[:, -1]
    return Comparison(run, dataset, weights, np.array([np.max(np.abs(w)) for w in weights]),
                      np.array([np.std(w) for w in weights]), final[:, 2] - final[:, 0],
                      np.array([roughness(run.step_loss[r]) for r in range(2)]))


def unflatten(architecture, theta) -> list:
    from networks.model import unflatten_params
    return unflatten_params(architecture, np.asarray(theta, dtype=float))


def initial_theta(architecture, seed: int, scheme: str = "he_normal") -> np.ndarray:
    from networks.model import flatten_params, init_params
    return flatten_params(init_params(architecture, int(seed), scheme))


def hidden_outputs(architecture, params, inputs) -> list:
    """x^(1) .. x^(L) of a plain network (no normalization, no skips) in NumPy (nothing compiles)."""
    from networks.activations import activate
    if architecture.normalization != "none" or any(architecture.residual):
        raise ValueError("hidden_outputs is for plain networks")
    x, outputs = np.asarray(inputs, dtype=float), []
    for l, key in enumerate(architecture.activations):
        W, b, slope = params[l][0], params[l][1], params[l][2]
        x = np.asarray(activate(key, x @ W + b, slope))
        outputs.append(x)
    return outputs
