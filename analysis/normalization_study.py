"""What batch normalization, layer normalization and skip connections change in training, measured.

NumPy and JAX only (no Streamlit, no Plotly), usable from a notebook. The training loss is the one
``networks.hessian.training_loss`` defines: the mean loss over the training points, a batch-normalized
network in training mode with the whole training set as its batch (its statistics depend on theta).

- Curvature: ``curvature_summary(eigenvalues)``: lambda_max, the condition number of the positive part
  kappa_+ = lambda_max / (smallest eigenvalue above the tolerance), how many eigenvalues are negative and
  how many are zero to rounding. The tolerance is NumPy's rank rule, tol = P * eps * max |lambda|.
  ``hessians(architecture, thetas, inputs, targets)`` gives exact P x P Hessians of several parameter
  vectors in one compiled call.
- The largest stable learning rate: full-batch gradient descent from one start for every learning rate
  of a grid, one vmapped ``networks.train`` call (``hyper_overrides={"lr": grid}``); a run *diverges*
  when it stops on a non-finite or exploding step, or when its final training loss is above its initial
  one. ``largest_stable_lr`` is the grid value before the first diverging one; on a quadratic,
  gradient descent is stable exactly for lr < 2 / lambda_max.
- Smoothness along the gradient (Santurkar et al. 2018, "How does batch normalization help
  optimization?"): from a point theta with gradient g, step to theta - eta g for several step sizes eta
  and record L(theta - eta g) and |grad L(theta - eta g) - g|. The spread of the first over the step
  sizes (max - min) says how much the loss changes along the step; the second how well the gradient
  here predicts the gradient there; max over eta of |delta grad| / (eta |g|) is an effective
  Lipschitz constant of the gradient ("beta-smoothness") along the step. ``gradient_step_profile`` is
  the rule for any loss (a quadratic has closed forms: tested).
- Train against evaluation mode (batch norm): the same points through the network standardized by the
  statistics of their minibatch (training mode) or by the running averages (evaluation mode).
  In training mode a minibatch of one sample standardizes every unit to 0 (v - mean(v) = 0 exactly),
  so the output is the same constant whatever the input.
- Depth: ``depth_study`` trains square tanh stacks of 1 to MAX_STUDY_DEPTH hidden layers with and without
  skip connections by full-batch gradient descent in one compiled program: depth and skip are traced
  (layers past the depth pass their input on unchanged), so every depth, skip setting and seed is one
  vmapped call. A depth-d run is exactly ``networks.mlp(n_in, [w] * d, skip=...)`` trained by SGD with
  the full batch (tested).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks.hessian import training_loss
from networks.model import Architecture, example_losses, unravel_function
from programs import bounded_jit

jax.config.update("jax_enable_x64", True)

MAX_STUDY_DEPTH = 16


# ---------------------------------------------------------------------------------------- curvature


class CurvatureSummary(NamedTuple):
    lambda_max: float
    lambda_min: float
    kappa_positive: float  # lambda_max / smallest eigenvalue above the tolerance (inf if none)
    smallest_positive: float
    n_negative: int  # eigenvalues below -tolerance
    n_zero: int  # |eigenvalue| <= tolerance: flat directions to rounding
    tolerance: float
    n_params: int


def eigenvalue_tolerance(eigenvalues) -> float:
    """NumPy's rank rule: P * machine epsilon * the largest |eigenvalue|."""
    ev = np.asarray(eigenvalues, dtype=float)
    return float(ev.size * np.finfo(float).eps * np.max(np.abs(ev))) if ev.size else 0.0


def curvature_summary(eigenvalues) -> CurvatureSummary:
    ev = np.sort(np.asarray(eigenvalues, dtype=float))
    tol = eigenvalue_tolerance(ev)
    positive = ev[ev > tol]
    smallest = float(positive[0]) if positive.size else float("nan")
    kappa = float(ev[-1] / smallest) if positive.size else float("inf")
    return CurvatureSummary(float(ev[-1]), float(ev[0]), kappa, smallest, int(np.sum(ev < -tol)),
                            int(np.sum(np.abs(ev) <= tol)), tol, int(ev.size))


def _loss(architecture: Architecture, theta, inputs, targets):
    return training_loss(architecture, theta, inputs, targets, jnp.ones(inputs.shape[0]))


@bounded_jit(static_argnums=(0,))
def _hessians_program(architecture: Architecture, thetas, inputs, targets):
    return jax.vmap(jax.hessian(lambda t: _loss(architecture, t, inputs, targets)))(thetas)


def hessians(architecture: Architecture, thetas, inputs, targets) -> np.ndarray:
    """(M, P, P) exact Hessians of the training loss (``inputs``, ``targets``: the training points)."""
    H = np.asarray(_hessians_program(architecture, np.atleast_2d(np.asarray(thetas, float)),
                                     np.asarray(inputs, float), np.asarray(targets, float)))
    return (H + np.swapaxes(H, 1, 2)) / 2


def spectra(architecture: Architecture, thetas, inputs, targets) -> np.ndarray:
    """(M, P) eigenvalues of each Hessian, ascending."""
    return np.linalg.eigvalsh(hessians(architecture, thetas, inputs, targets))


# ------------------------------------------------------------------------------ stable learning rate


@bounded_jit(static_argnums=(0,))
def _losses_program(architecture: Architecture, thetas, inputs, targets):
    return jax.vmap(lambda t: _loss(architecture, t, inputs, targets))(thetas)


def training_losses(architecture: Architecture, thetas, inputs, targets) -> np.ndarray:
    """The training loss (batch norm: training mode, the whole training set as the batch) of each row (M, P)."""
    return np.asarray(_losses_program(architecture, np.atleast_2d(np.asarray(thetas, float)), np.asarray(inputs, float),
                                      np.asarray(targets, float)))


def diverged(status, losses) -> np.ndarray:
    """Per run: it stopped on a bad step (status 1-3), or its training loss rose above its starting value
    at some recorded step (``losses``: (R, n), column 0 the start; non-finite counts as above)."""
    losses = np.asarray(losses, float)
    above = ~(losses[:, 1:] <= losses[:, :1])
    return np.isin(np.asarray(status), (1, 2, 3)) | above.any(axis=1)


class StabilitySweep(NamedTuple):
    grid: np.ndarray  # (R,) learning rates, ascending
    losses: np.ndarray  # (R, steps + 1) full-batch training loss after each step (training mode)
    status: np.ndarray  # (R,) networks.training.STATUS keys
    diverging: np.ndarray  # (R,) bool
    largest_stable: float  # the grid value before the first diverging one
    first_diverging: float


def stability_sweep(architecture: Architecture, dataset, theta0, grid, steps: int = 32) -> StabilitySweep:
    """Full-batch gradient descent from ``theta0`` for ``steps`` steps at every learning rate of ``grid``:
    one vmapped ``networks.train`` call (one run per learning rate), every step recorded."""
    from networks.datasets import TRAIN
    from networks.training import TrainSettings, train

    grid = np.asarray(grid, float)
    inputs, targets = dataset.part(TRAIN)
    settings = TrainSettings(optimizer="sgd", batch_size=len(targets), epochs=int(steps), snapshot_every=1)
    run = train(architecture, dataset, settings, seeds=[0] * len(grid),
                initial_params=np.repeat(np.asarray(theta0, float)[None], len(grid), axis=0),
                hyper_overrides={"lr": grid})
    R, n, P = run.theta.shape
    losses = training_losses(architecture, run.theta.reshape(R * n, P), inputs, targets).reshape(R, n).copy()
    for r in range(R):  # snapshots after a stop repeat the last good parameters; the bad step makes them unknown
        if run.status[r] in (1, 2, 3):
            losses[r, run.valid_snapshots(r):] = np.nan
    diverging = diverged(run.status, losses)
    stable, first = largest_stable_lr(grid, diverging)
    return StabilitySweep(grid, losses, run.status, diverging, stable, first)


def largest_stable_lr(grid, diverging) -> tuple[float, float]:
    """(the last grid value before the first diverging one, the first diverging one); nan where none."""
    grid, diverging = np.asarray(grid, float), np.asarray(diverging, bool)
    first = int(np.argmax(diverging)) if diverging.any() else len(grid)
    stable = float(grid[first - 1]) if first > 0 else float("nan")
    return stable, float(grid[first]) if first < len(grid) else float("nan")


# ------------------------------------------------------------------------------------- smoothness


class StepProfile(NamedTuple):
    loss: object  # L(theta)
    grad_norm: object  # |g|
    step_losses: object  # (K,) L(theta - eta_k g)
    grad_changes: object  # (K,) |grad L(theta - eta_k g) - g|


def gradient_step_profile(loss_fn, theta, step_sizes) -> StepProfile:
    """Loss and gradient change along -g for each step size (traceable; ``loss_fn`` maps theta to a scalar)."""
    value_and_grad = jax.value_and_grad(loss_fn)
    loss, g = value_and_grad(theta)
    losses, grads = jax.vmap(lambda eta: value_and_grad(theta - eta * g))(step_sizes)
    return StepProfile(loss, jnp.linalg.norm(g), losses, jnp.linalg.norm(grads - g, axis=1))


@bounded_jit(static_argnums=(0,))
def _profile_program(architecture: Architecture, thetas, step_sizes, inputs, targets):
    loss_fn = lambda t: _loss(architecture, t, inputs, targets)  # noqa: E731
    return jax.vmap(lambda theta: gradient_step_profile(loss_fn, theta, step_sizes))(thetas)


def step_profiles(architecture: Architecture, thetas, step_sizes, inputs, targets) -> StepProfile:
    """``gradient_step_profile`` of the training loss at every row of thetas (M, P), NumPy arrays."""
    out = _profile_program(architecture, np.atleast_2d(np.asarray(thetas, float)), np.asarray(step_sizes, float),
                           np.asarray(inputs, float), np.asarray(targets, float))
    return StepProfile(*(np.asarray(a) for a in out))


class Smoothness(NamedTuple):
    loss_low: np.ndarray  # (M,) min over step sizes of L(theta - eta g)
    loss_high: np.ndarray  # (M,) max
    loss_spread: np.ndarray  # (M,) max - min
    change_low: np.ndarray  # (M,) min over step sizes of |delta grad|
    change_high: np.ndarray  # (M,)
    beta: np.ndarray  # (M,) max over step sizes of |delta grad| / (eta |g|)


def smoothness(profile: StepProfile, step_sizes) -> Smoothness:
    """The bands of a (M, K) profile over its step sizes."""
    losses, changes = np.asarray(profile.step_losses), np.asarray(profile.grad_changes)
    moved = np.asarray(step_sizes, float)[None, :] * np.asarray(profile.grad_norm)[:, None]
    ratio = np.where(moved > 0, changes / np.where(moved > 0, moved, 1.0), 0.0)
    low, high = losses.min(axis=1), losses.max(axis=1)
    return Smoothness(low, high, high - low, changes.min(axis=1), changes.max(axis=1), ratio.max(axis=1))


# ----------------------------------------------------------------------- training vs evaluation mode


@bounded_jit(static_argnums=(0,))
def _mode_program(architecture: Architecture, thetas, running, batches, weights):
    """Outputs s of the rows of each batch (n_b, R, n_in): evaluation mode (running averages of each
    theta) and training mode (each batch standardized by the statistics of its rows weighted 1)."""
    from networks.model import forward

    unravel = unravel_function(architecture)

    def one(theta, run):
        params = unravel(theta)
        evaluation = jax.vmap(lambda rows: forward(architecture, params, rows, run))(batches)
        training = jax.vmap(lambda rows, w: forward(architecture, params, rows, None, w))(batches, weights)
        return evaluation, training

    return jax.vmap(one)(thetas, running)


def batches_of(inputs, batch_size: int, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points in a random order cut into minibatches of ``batch_size`` (the last may be smaller), each
    padded to ``rows`` rows with weight 0: (batches (n, rows, n_in), weights (n, rows), index (n, rows),
    the point of each row or -1). Every batch has at least one row of weight 1."""
    inputs = np.asarray(inputs, float)
    N = len(inputs)
    if not 1 <= batch_size <= rows:
        raise ValueError(f"batch_size must be between 1 and {rows}, got {batch_size}")
    order = np.random.default_rng(seed).permutation(N)
    n = -(-N // batch_size)
    index = np.full((N, rows), -1)  # at most N batches (batch size 1)
    for b in range(n):
        part = order[b * batch_size:(b + 1) * batch_size]
        index[b, :len(part)] = part
    weights = (index >= 0).astype(float)
    weights[n:, 0] = 1.0  # unused batches hold one real row, so no batch has zero weight (discarded below)
    index[n:, 0] = 0
    return inputs[np.maximum(index, 0)], weights, np.where(np.arange(N)[:, None] < n, index, -1)


def mode_outputs(architecture: Architecture, thetas, running, inputs, batch_size: int, rows: int, seed: int = 0):
    """(evaluation outputs (M, N), training-mode outputs (M, N)) of every point, in minibatches of
    ``batch_size``: each point's training-mode output uses its own minibatch's statistics."""
    batches, weights, index = batches_of(inputs, batch_size, rows, seed)
    evaluation, training = (np.asarray(a) for a in _mode_program(architecture, np.atleast_2d(thetas), running,
                                                                 batches, weights))
    N = len(inputs)
    out_e, out_t = np.empty((len(evaluation), N)), np.empty((len(evaluation), N))
    used = index >= 0
    out_e[:, index[used]] = evaluation[:, used]
    out_t[:, index[used]] = training[:, used]
    return out_e, out_t


# --------------------------------------------------------------------------------------------- depth


class DepthStack(NamedTuple):
    """Parameters of a square stack: an input layer (n_in -> w), MAX_STUDY_DEPTH - 1 square layers (w -> w)
    and the output layer (w -> 1); leading axis = runs."""

    W_in: object  # (R, n_in, w)
    b_in: object  # (R, w)
    W: object  # (R, D - 1, w, w)
    b: object  # (R, D - 1, w)
    W_out: object  # (R, w, 1)
    b_out: object  # (R, 1)


def stack_from_params(params: list) -> tuple:
    """The stack of one run from ``networks.init_params(mlp(n_in, [w] * MAX_STUDY_DEPTH, "tanh"))``."""
    return (np.asarray(params[0].W), np.asarray(params[0].b), np.stack([np.asarray(p.W) for p in params[1:-1]]),
            np.stack([np.asarray(p.b) for p in params[1:-1]]), np.asarray(params[-1].W), np.asarray(params[-1].b))


def params_of_depth(stack: tuple, depth: int) -> list:
    """The ``networks.model`` parameters of the depth-``depth`` network a stack run trains."""
    from networks.model import Layer

    W_in, b_in, W, b, W_out, b_out = stack
    return ([Layer(W_in, b_in)] + [Layer(W[l], b[l]) for l in range(depth - 1)] + [Layer(W_out, b_out)])


def stack_output(params: DepthStack, depth, skip, inputs):
    """s for one run (params without the run axis): tanh layers; square layer l (l = 2..D) is residual when
    skip is 1, and passes x on unchanged when l > depth."""
    x = jnp.tanh(inputs @ params.W_in + params.b_in)

    def layer(x, p):
        W, b, l = p
        new = jnp.tanh(x @ W + b) + skip * x
        return jnp.where(l + 2 <= depth, new, x), None

    x, _ = jax.lax.scan(layer, x, (params.W, params.b, jnp.arange(params.W.shape[0])))
    return (x @ params.W_out + params.b_out)[:, 0]


@bounded_jit(static_argnums=(0,))
def _depth_program(steps: int, stacks: DepthStack, depths, skips, lrs, inputs, targets):
    def one(params, depth, skip, lr):
        def loss(p):
            return jnp.mean(example_losses("classification", stack_output(p, depth, skip, inputs), targets))

        def step(p, _):
            value, g = jax.value_and_grad(loss)(p)
            return jax.tree.map(lambda a, da: a - lr * da, p, g), value

        final, losses = jax.lax.scan(step, params, None, length=steps)
        return jnp.concatenate([losses, loss(final)[None]])

    return jax.vmap(one)(stacks, depths, skips, lrs)


def depth_study(stacks: list, depths, skips, lrs, inputs, targets, steps: int) -> np.ndarray:
    """(R, steps + 1) full-batch training losses (mean log-loss, classification) of R runs: run r is the
    stack ``stacks[r]`` cut to ``depths[r]`` hidden layers, residual when ``skips[r]``, trained by
    gradient descent at ``lrs[r]``. Entry t is the loss after t steps."""
    stacked = DepthStack(*(np.stack([np.asarray(s[i], float) for s in stacks]) for i in range(6)))
    return np.asarray(_depth_program(int(steps), stacked, np.asarray(depths, np.int32), np.asarray(skips, float),
                                     np.asarray(lrs, float), np.asarray(inputs, float), np.asarray(targets, float)))


#: Every jitted program of this module.
PROGRAMS = [_hessians_program, _profile_program, _mode_program, _depth_program]
