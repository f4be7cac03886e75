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
Part 2 adds, all off by default so part 1's networks and parameter layouts are unchanged:

- normalization (``Architecture.normalization`` "batch" or "layer", ``norm_position`` "before" or
  "after" the activation): every hidden layer gets a learned scale gamma and shift beta per unit
  (``Layer.gamma``, ``Layer.beta``, after slope in theta), see ``networks.normalization``;
  batch normalization also keeps running averages (a list of ``Running``, one per hidden layer,
  the ``running`` argument below): given, the network is in evaluation mode (standardizes with
  them); omitted, it is in training mode (standardizes with the statistics of the rows passed,
  weighted by ``weights``);
- skip connections (``Architecture.skip``): a hidden layer whose input and output widths are equal
  is a residual block, x^(l) = x^(l-1) + (what the layer computes).

Part 3 adds inverted dropout (``network_pass(..., dropout=...)``, training steps only; see
``networks.dropout``): x^(0) and every x^(l) are multiplied by a fresh mask (D < p) / p before the
next layer reads them. Without it (the default) nothing changes.

One hidden layer in full (N = the normalization, when on):

    z = x^(l-1) W + b                            always the linear pre-activation (probes add here)
    before:  h = f(N(z))      after:  h = N(f(z))      none:  h = f(z)
    x^(l) = x^(l-1) + h  (skip, equal widths)   else  x^(l) = h
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from networks.activations import ACTIVATIONS, PRELU_INITIAL_SLOPE, activate
from networks.initializers import draw_biases, draw_weights
from networks.normalization import NORMALIZATIONS, POSITIONS, Running, batch_norm, batch_norm_evaluation, layer_norm

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
    normalization: str = "none"  # "none", "batch" or "layer" on every hidden layer
    norm_position: str = "before"  # normalize z before the activation, or the activation's output
    skip: bool = False  # residual blocks over hidden layers whose input and output widths are equal

    @property
    def depth(self) -> int:
        return len(self.hidden_widths)

    @property
    def layer_sizes(self) -> tuple:
        """(n_inputs, widths..., 1): layer l maps layer_sizes[l] units to layer_sizes[l + 1]."""
        return (self.n_inputs, *self.hidden_widths, 1)

    @property
    def batch_norm(self) -> bool:
        return self.normalization == "batch"

    @property
    def residual(self) -> tuple:
        """For each hidden layer, whether it is a residual block (skip on and equal widths)."""
        sizes = self.layer_sizes
        return tuple(bool(self.skip) and sizes[l] == sizes[l + 1] for l in range(self.depth))


class Layer(NamedTuple):
    W: object  # (n_in, n_out)
    b: object  # (n_out,)
    slope: object = None  # (n_out,) PReLU's a, else None
    gamma: object = None  # (n_out,) normalization's scale (hidden layers of a normalized network), else None
    beta: object = None  # (n_out,) normalization's shift


def mlp(n_inputs: int, hidden_widths, activation="tanh", task: str = "classification",
        normalization: str = "none", norm_position: str = "before", skip: bool = False) -> Architecture:
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
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    if norm_position not in POSITIONS:
        raise ValueError(f"norm_position must be one of {POSITIONS}, got {norm_position!r}")
    return Architecture(int(n_inputs), widths, activations, task, normalization, norm_position, bool(skip))


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
        normalized = hidden and architecture.normalization != "none"
        layers.append(Layer(W, b, np.full(n_out, PRELU_INITIAL_SLOPE) if prelu else None,
                            np.ones(n_out) if normalized else None, np.zeros(n_out) if normalized else None))
    return layers


def zero_params(architecture: Architecture, xp=jnp) -> list:
    """Parameters of the right shapes, all zero (a template for ``ravel_pytree``)."""
    sizes = architecture.layer_sizes
    normalized = architecture.normalization != "none"
    return [Layer(xp.zeros((i, o)), xp.zeros(o),
                  xp.zeros(o) if l < architecture.depth and ACTIVATIONS[architecture.activations[l]].has_parameter
                  else None,
                  xp.zeros(o) if l < architecture.depth and normalized else None,
                  xp.zeros(o) if l < architecture.depth and normalized else None)
            for l, (i, o) in enumerate(zip(sizes[:-1], sizes[1:]))]


def initial_running(architecture: Architecture, xp=np):
    """Running averages at the start of training (mean 0, variance 1 per unit), or None without batch norm."""
    if not architecture.batch_norm:
        return None
    return [Running(xp.zeros(w), xp.ones(w)) for w in architecture.hidden_widths]


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


class NetworkPass(NamedTuple):
    """Everything one forward pass computes (lists over the hidden layers)."""

    output: object  # s (N,)
    zs: list  # z^(l) = x^(l-1) W + b, the linear pre-activations
    xs: list  # x^(l), each layer's output (what the next layer reads)
    activation_inputs: list  # what f reads: z, or N(z) with normalization before it
    activation_outputs: list  # f(...)
    batch_statistics: list  # per batch-normalized layer (mu, sigma2) of this pass in training mode, else []


def network_pass(architecture: Architecture, params, inputs, probes=None, running=None, weights=None,
                 dropout=None) -> NetworkPass:
    """The forward pass for inputs (N, n_inputs), layer by layer as in the module docstring.

    ``probes`` (optional, one array like each z) are added to the pre-activations z: the gradient of
    a loss with respect to them is the back-propagated dL/dz of every layer. ``running`` (batch norm
    only) selects evaluation mode; without it batch norm uses the statistics of the rows passed,
    weighted by ``weights`` (0/1 per row; None = every row). ``dropout`` (a
    ``networks.dropout.DropoutMasks``, training steps only) drops units of the inputs and of every
    hidden layer's output x^(l) by inverted dropout (what the next layer reads); None drops nothing."""
    normalization, before = architecture.normalization, architecture.norm_position == "before"
    x = inputs if dropout is None else dropout.apply(0, inputs)
    zs, xs, ins, outs, stats = [], [], [], [], []
    for l, key in enumerate(architecture.activations):
        layer = params[l]
        W, b, slope = _layer_parts(layer)
        z = x @ W + b
        if probes is not None:
            z = z + probes[l]

        def normalize(v):
            if normalization == "layer":
                return layer_norm(v, layer.gamma, layer.beta)
            if running is not None:
                return batch_norm_evaluation(v, layer.gamma, layer.beta, running[l])
            y, moments = batch_norm(v, layer.gamma, layer.beta, weights)
            stats.append(moments)
            return y

        if normalization != "none" and before:
            a = normalize(z)
            h = activate(key, a, slope)
            out = h
        else:
            a = z
            h = activate(key, z, slope)
            out = normalize(h) if normalization != "none" else h
        if architecture.residual[l]:
            out = x + out
        x = out if dropout is None else dropout.apply(l + 1, out)
        zs.append(z)
        xs.append(x)
        ins.append(a)
        outs.append(h)
    W, b, _ = _layer_parts(params[-1])
    return NetworkPass((x @ W + b)[:, 0], zs, xs, ins, outs, stats)


def forward_layers(architecture: Architecture, params, inputs, probes=None, running=None, weights=None):
    """(output s, [z^(1)..z^(L)], [x^(1)..x^(L)]) for inputs (N, n_inputs); see ``network_pass``."""
    result = network_pass(architecture, params, inputs, probes, running, weights)
    return result.output, result.zs, result.xs


def forward(architecture: Architecture, params, inputs, running=None, weights=None):
    """The output s (N,): a logit for classification, the prediction for regression."""
    return forward_layers(architecture, params, inputs, None, running, weights)[0]


def predict(architecture: Architecture, params, inputs, running=None):
    """p(t = 1 | x) = sigmoid(s) for classification, s for regression (batch norm: evaluation mode
    with ``running``, else the statistics of ``inputs``)."""
    s = forward(architecture, params, inputs, running)
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


def mean_loss(architecture: Architecture, params, inputs, targets, weights=None, running=None):
    """sum_n w_n l_n / sum_n w_n (the plain mean when ``weights`` is None). Batch norm: the weighted
    rows are the minibatch (training mode), or evaluation mode with ``running``."""
    losses = example_losses(architecture.task, forward(architecture, params, inputs, running, weights), targets)
    if weights is None:
        return jnp.mean(losses)
    return jnp.sum(weights * losses) / jnp.sum(weights)
