"""A multilayer perceptron as plain as JAX's own tutorial network: a list of layers (W, b).

Convention (rows are examples, as in the notes' ``X[l] = tanh(X[l-1] @ B[l])``):

    z^(l) = x^(l-1) W^(l) + b^(l),    x^(l) = f_l(z^(l)),    x^(0) = the inputs,   l = 1..L
    output s = x^(L) W^(L+1) + b^(L+1)   (one unit)

Classification: s is the logit of p(t = 1 | x) = sigmoid(s), and the loss is the negative
log-likelihood  l = log(1 + e^s) - t s  (logistic output + log-likelihood).
Regression: the output is linear and the loss is the squared error  l = (s - t)^2.
The training loss is the mean over examples.

Parameters are a pytree: a list of ``Layer(W, b, slope)`` named tuples, ``slope`` being PReLU's
learned a (one per unit, initialized at 0.25) and ``None`` for other activations. The optimizers
train the flat vector ``theta`` of ``jax.flatten_util.ravel_pytree`` (leaves in order W, b[, slope]
per layer); ``flatten_params`` and ``unflatten_params`` do the same in NumPy, compiling nothing.
Part 2 (batch norm) can add fields to ``Layer`` with a ``None`` default without touching this.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from networks.activations import ACTIVATIONS, PRELU_INITIAL_SLOPE, activate
from networks.initializers import draw_biases, draw_weights

jax.config.update("jax_enable_x64", True)

MAX_DEPTH = 20  # hidden layers (the Initialization page goes to 20; training pages to 8)
MAX_WIDTH = 64
TASKS = ("classification", "regression")


class Architecture(NamedTuple):
    """What fixes the shapes of a network (hashable: it is a static argument of compiled programs)."""

    n_inputs: int
    hidden_widths: tuple
    activations: tuple  # one key of ACTIVATIONS per hidden layer
    task: str = "classification"

    @property
    def depth(self) -> int:
        return len(self.hidden_widths)

    @property
    def layer_sizes(self) -> tuple:
        """(n_inputs, widths..., 1): layer l maps layer_sizes[l] units to layer_sizes[l + 1]."""
        return (self.n_inputs, *self.hidden_widths, 1)


class Layer(NamedTuple):
    W: object  # (n_in, n_out)
    b: object  # (n_out,)
    slope: object = None  # (n_out,) PReLU's a, else None


def mlp(n_inputs: int, hidden_widths, activation="tanh", task: str = "classification") -> Architecture:
    """An Architecture; ``activation`` is one key for every hidden layer or one per layer."""
    widths = tuple(int(w) for w in hidden_widths)
    activations = (activation,) * len(widths) if isinstance(activation, str) else tuple(activation)
    if not 1 <= len(widths) <= MAX_DEPTH:
        raise ValueError(f"depth must be between 1 and {MAX_DEPTH} hidden layers, got {len(widths)}")
    if any(not 1 <= w <= MAX_WIDTH for w in widths):
        raise ValueError(f"widths must be between 1 and {MAX_WIDTH}, got {widths}")
    if len(activations) != len(widths) or any(a not in ACTIVATIONS for a in activations):
        raise ValueError(f"need one activation of {sorted(ACTIVATIONS)} per hidden layer, got {activations}")
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    if n_inputs < 1:
        raise ValueError(f"n_inputs must be at least 1, got {n_inputs}")
    return Architecture(int(n_inputs), widths, activations, task)


def init_params(architecture: Architecture, seed: int = 0, weight_scheme: str = "glorot_normal",
                weight_scale: float | None = None, bias_scheme: str = "zero", bias_value: float = 0.1,
                rng=None) -> list:
    """Fresh NumPy parameters: every W from ``weight_scheme``, hidden biases from ``bias_scheme``,
    the output bias zero, PReLU slopes 0.25. The same seed gives the same parameters."""
    rng = np.random.default_rng(seed) if rng is None else rng
    sizes = architecture.layer_sizes
    layers = []
    for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        hidden = l < architecture.depth
        W = draw_weights(rng, weight_scheme, n_in, n_out, weight_scale)
        b = draw_biases(bias_scheme, n_out, bias_value) if hidden else np.zeros(n_out)
        prelu = hidden and ACTIVATIONS[architecture.activations[l]].has_parameter
        layers.append(Layer(W, b, np.full(n_out, PRELU_INITIAL_SLOPE) if prelu else None))
    return layers


def zero_params(architecture: Architecture, xp=jnp) -> list:
    """Parameters of the right shapes, all zero (a template for ``ravel_pytree``)."""
    sizes = architecture.layer_sizes
    return [Layer(xp.zeros((i, o)), xp.zeros(o),
                  xp.zeros(o) if l < architecture.depth and ACTIVATIONS[architecture.activations[l]].has_parameter
                  else None)
            for l, (i, o) in enumerate(zip(sizes[:-1], sizes[1:]))]


def flatten_params(params) -> np.ndarray:
    """theta: every leaf raveled and concatenated in pytree order (equals ``ravel_pytree(params)[0]``)."""
    return np.concatenate([np.ravel(np.asarray(leaf, dtype=float)) for leaf in jax.tree.leaves(params)])


def unflatten_params(architecture: Architecture, theta) -> list:
    """The pytree of the flat vector theta (NumPy or JAX), inverse of ``flatten_params``."""
    template = zero_params(architecture, np)
    leaves, treedef = jax.tree.flatten(template)
    pieces, offset = [], 0
    for leaf in leaves:
        pieces.append(theta[..., offset:offset + leaf.size].reshape(theta.shape[:-1] + leaf.shape))
        offset += leaf.size
    return jax.tree.unflatten(treedef, pieces)


def n_params(architecture: Architecture) -> int:
    return sum(leaf.size for leaf in jax.tree.leaves(zero_params(architecture, np)))


def param_layer_index(architecture: Architecture) -> np.ndarray:
    """For each entry of theta, the layer (0..L, L = output) it belongs to."""
    template = zero_params(architecture, np)
    return np.concatenate([np.full(sum(leaf.size for leaf in jax.tree.leaves(layer)), l)
                           for l, layer in enumerate(template)]).astype(np.int32)


def unravel_function(architecture: Architecture):
    """``ravel_pytree``'s inverse for this architecture (call it inside traced code)."""
    return ravel_pytree(zero_params(architecture))[1]


def _layer_parts(layer):
    """(W, b, slope) of a Layer or of a plain (W, b) pair as in JAX's tutorial."""
    return layer[0], layer[1], layer[2] if len(layer) > 2 else None


def forward_layers(architecture: Architecture, params, inputs, probes=None):
    """(output s, [z^(1)..z^(L)], [x^(1)..x^(L)]) for inputs (N, n_inputs).

    ``probes`` (optional, one array like each z) are added to the pre-activations: the gradient of a
    loss with respect to them is the back-propagated dL/dz of every layer."""
    x, zs, xs = inputs, [], []
    for l, key in enumerate(architecture.activations):
        W, b, slope = _layer_parts(params[l])
        z = x @ W + b
        if probes is not None:
            z = z + probes[l]
        x = activate(key, z, slope)
        zs.append(z)
        xs.append(x)
    W, b, _ = _layer_parts(params[-1])
    return (x @ W + b)[:, 0], zs, xs


def forward(architecture: Architecture, params, inputs):
    """The output s (N,): a logit for classification, the prediction for regression."""
    return forward_layers(architecture, params, inputs)[0]


def predict(architecture: Architecture, params, inputs):
    """p(t = 1 | x) = sigmoid(s) for classification, s for regression."""
    s = forward(architecture, params, inputs)
    return jax.nn.sigmoid(s) if architecture.task == "classification" else s


def example_losses(task: str, output, targets):
    """Per-example loss: log(1 + e^s) - t s (classification) or (s - t)^2 (regression)."""
    if task == "classification":
        return jnp.logaddexp(0.0, output) - targets * output
    return (output - targets) ** 2


def example_correct(task: str, output, targets):
    """1 where a classification is right (s > 0 means t = 1); NaN for regression."""
    if task == "classification":
        return ((output > 0) == (targets > 0.5)).astype(output.dtype)
    return jnp.full_like(output, jnp.nan)


def mean_loss(architecture: Architecture, params, inputs, targets, weights=None):
    """sum_n w_n l_n / sum_n w_n (the plain mean when ``weights`` is None)."""
    losses = example_losses(architecture.task, forward(architecture, params, inputs), targets)
    if weights is None:
        return jnp.mean(losses)
    return jnp.sum(weights * losses) / jnp.sum(weights)
