"""The order in which a network sees its data: curriculum learning, a drifting stream (online
learning) and a replay buffer.

All three are the same loop with a different *plan*: for every step t the rows of the minibatch
(indices into one fixed table of examples) and their weights (0 for padding). The plan is made in
NumPy from a seed; the training itself is one compiled program,

    theta <- update(theta, g_t),   g_t = sum_b w_tb grad l(row_tb) / sum_b w_tb,

with the optimizers' own ``init``/``update`` (``optimizers.OPTIMIZERS``) on the flat parameter
vector and the network's loss from ``networks.model`` (log(1 + e^s) - t s). Every C-th step (a
*checkpoint*) the program records, for every example of the table, whether the network classifies
it right and its loss, so any accuracy (on the test rows, on the stream seen so far, on its first
part) is read off afterwards exactly. Plans have fixed shapes (steps, rows per step), so the seed,
learning rate, label noise, pacing and buffer size change only values: nothing recompiles.

Plans:

- ``random_plan``: each epoch a fresh permutation of the training rows, cut into batches.
- ``curriculum_plan``: rows ranked by a stated difficulty (easy first); at step t the batch is drawn
  uniformly from the easiest share p(t) = p0 + (1 - p0) min(1, t / (ramp T)) of the rows (a pacing
  function; p(t) = 1 after the ramp is ordinary random order).
- ``window_plan``: a stream arrives in order, ``new`` examples per step; the batch is the latest
  ``batch`` examples (a sliding window: what a robot that learns from what it just saw does).
- ``replay_plan``: the same stream; the batch is the ``new`` newest examples plus ``batch - new``
  drawn uniformly from a replay buffer of every past example (``buffer`` slots, filled by reservoir
  sampling, Vitter's algorithm R: after i examples, each one is in the buffer with probability
  buffer / i, so a bounded buffer is still a uniform sample of all past experience).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from networks.model import Architecture, example_correct, example_losses, forward, unravel_function
from optimizers import OPTIMIZERS
from programs import bounded_jit

jax.config.update("jax_enable_x64", True)


class Plan(NamedTuple):
    """rows (T, B) int indices into the example table, weights (T, B) in {0, 1}."""

    rows: np.ndarray
    weights: np.ndarray


class OrderRun(NamedTuple):
    """R runs of T steps; C checkpoints (after steps k, 2k, ..., T; the start is checkpoint 0)."""

    steps: np.ndarray  # (C + 1,) step of each checkpoint
    correct: np.ndarray  # (R, C + 1, N) 1 where example n is classified right
    loss: np.ndarray  # (R, C + 1, N) its loss
    theta: np.ndarray  # (R, P) final parameters
    finite: np.ndarray  # (R,) False if a run's parameters became non-finite


# ------------------------------------------------------------------------------------------ plans

def random_plan(train_rows: np.ndarray, n_steps: int, batch: int, seed: int) -> Plan:
    """Minibatches of ``batch`` rows, each epoch a new permutation of ``train_rows``."""
    rng = np.random.default_rng(seed)
    need = n_steps * batch
    order = np.concatenate([rng.permutation(train_rows) for _ in range(-(-need // len(train_rows)))])[:need]
    return Plan(order.reshape(n_steps, batch).astype(np.int32), np.ones((n_steps, batch)))


def curriculum_share(n_steps: int, start_share: float, ramp: float) -> np.ndarray:
    """p(t) for t = 0..T-1: the share of the rows, easiest first, that step t draws from."""
    t = np.arange(n_steps)
    ramp_steps = max(ramp * n_steps, 1e-12)
    return start_share + (1.0 - start_share) * np.minimum(1.0, t / ramp_steps)


def easy_first(train_rows: np.ndarray, difficulty: np.ndarray) -> np.ndarray:
    """The training rows sorted by difficulty, easiest first (ties by row index)."""
    train_rows = np.asarray(train_rows)
    return train_rows[np.lexsort((train_rows, np.asarray(difficulty)[train_rows]))]


def curriculum_plan(train_rows: np.ndarray, difficulty: np.ndarray, n_steps: int, batch: int, seed: int,
                    start_share: float = 0.2, ramp: float = 0.5) -> Plan:
    """Step t draws ``batch`` rows without replacement, uniformly from the easiest p(t) share of the rows
    (``difficulty`` is indexed by row: smaller is easier)."""
    rng = np.random.default_rng(seed)
    ranked = easy_first(train_rows, difficulty)
    shares = curriculum_share(n_steps, start_share, ramp)
    rows = np.empty((n_steps, batch), np.int32)
    for t, p in enumerate(shares):
        available = max(batch, int(np.ceil(p * len(ranked))))
        rows[t] = ranked[rng.choice(min(available, len(ranked)), batch, replace=False)]
    return Plan(rows, np.ones((n_steps, batch)))


def window_plan(n_stream: int, n_steps: int, new: int, batch: int) -> Plan:
    """Step t sees examples 0 .. (t + 1) new - 1 of the stream; its batch is the latest ``batch`` of them."""
    rows = np.zeros((n_steps, batch), np.int32)
    weights = np.zeros((n_steps, batch))
    for t in range(n_steps):
        seen = min((t + 1) * new, n_stream)
        latest = np.arange(max(0, seen - batch), seen)
        rows[t, :len(latest)] = latest
        weights[t, :len(latest)] = 1.0
    return Plan(rows, weights)


def reservoir_update(buffer: np.ndarray, filled: int, item: int, seen: int, rng) -> int:
    """Algorithm R: ``item`` is the ``seen``-th example (1-based) of the stream. The first len(buffer)
    fill the buffer; later ones replace a uniformly chosen slot with probability len(buffer) / seen.
    Returns how many slots are filled."""
    size = len(buffer)
    if filled < size:
        buffer[filled] = item
        return filled + 1
    j = rng.integers(0, seen)  # 0 .. seen - 1
    if j < size:
        buffer[j] = item
    return filled


def replay_plan(n_stream: int, n_steps: int, new: int, batch: int, buffer_size: int, seed: int) -> Plan:
    """Step t: the ``new`` newest examples, and ``batch - new`` drawn uniformly (with replacement) from a
    reservoir buffer of ``buffer_size`` slots holding a uniform sample of every earlier example."""
    rng = np.random.default_rng(seed)
    buffer = np.zeros(max(1, buffer_size), np.int64)
    filled, seen = 0, 0
    rows = np.zeros((n_steps, batch), np.int32)
    weights = np.zeros((n_steps, batch))
    replayed = batch - new
    for t in range(n_steps):
        newest = np.arange(seen, min(seen + new, n_stream))
        rows[t, :len(newest)] = newest
        weights[t, :len(newest)] = 1.0
        if filled > 0 and replayed > 0:
            rows[t, new:] = buffer[rng.integers(0, filled, replayed)]
            weights[t, new:] = 1.0
        for item in newest:  # the new examples join the buffer after the step
            seen += 1
            filled = reservoir_update(buffer, filled, int(item), seen, rng)
    return Plan(rows, weights)


# ------------------------------------------------------------------------------------------ training

def _run_one(architecture: Architecture, optimizer_key: str, checkpoints: int, theta0, rows, weights, hyper, inputs,
             targets):
    optimizer = OPTIMIZERS[optimizer_key]
    unravel = unravel_function(architecture)
    n_steps = rows.shape[0]
    per = n_steps // checkpoints

    def batch_loss(theta, r, w):
        out = forward(architecture, unravel(theta), inputs[r])
        return w @ example_losses(architecture.task, out, targets[r]) / jnp.maximum(jnp.sum(w), 1.0)

    gradient = jax.grad(batch_loss)

    def measure(theta):
        out = forward(architecture, unravel(theta), inputs)
        return example_correct(architecture.task, out, targets), example_losses(architecture.task, out, targets)

    def step(carry, rw):
        theta, state = carry
        g = gradient(theta, rw[0], rw[1])
        new_theta, new_state = optimizer.update(g, state, theta, hyper, None)
        ok = jnp.all(jnp.isfinite(new_theta))
        theta = jnp.where(ok, new_theta, theta)
        state = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new_state, state)
        return (theta, state), ok

    def segment(carry, rw):
        carry, ok = jax.lax.scan(step, carry, rw)
        return carry, (measure(carry[0]), jnp.all(ok))

    segments = (rows.reshape(checkpoints, per, -1), weights.reshape(checkpoints, per, -1))
    start = (theta0, optimizer.init(theta0))
    (theta, _), ((correct, loss), ok) = jax.lax.scan(segment, start, segments)
    correct0, loss0 = measure(theta0)
    return (jnp.concatenate([correct0[None], correct]), jnp.concatenate([loss0[None], loss]), theta, jnp.all(ok))


@bounded_jit(static_argnums=(0, 1, 2))
def _order_program(architecture, optimizer_key, checkpoints, thetas, rows, weights, hyper, inputs, targets):
    one = partial(_run_one, architecture, optimizer_key, checkpoints)
    return jax.vmap(one, in_axes=(0, 0, 0, 0, None, None))(thetas, rows, weights, hyper, inputs, targets)


HYPER = ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay")
DEFAULT_HYPER = {"lr": 0.1, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}


def run_plans(architecture: Architecture, thetas: np.ndarray, plans: list, inputs: np.ndarray, targets: np.ndarray,
              optimizer: str = "sgd", checkpoints: int = 32, **hyper) -> OrderRun:
    """Train one network per plan (thetas (R, P), R plans of equal shape) in one compiled, vmapped call.
    ``hyper`` values are scalars or R values (lr, momentum, ...)."""
    rows = np.stack([p.rows for p in plans]).astype(np.int32)
    weights = np.stack([p.weights for p in plans]).astype(float)
    R, T, _ = rows.shape
    if T % checkpoints:
        raise ValueError(f"the number of steps ({T}) must be a multiple of the checkpoints ({checkpoints})")
    if len(thetas) != R:
        raise ValueError(f"{len(thetas)} initial parameter vectors for {R} plans")
    values = {k: np.broadcast_to(np.asarray(hyper.get(k, DEFAULT_HYPER[k]), float), (R,)).copy() for k in HYPER}
    unknown = set(hyper) - set(HYPER)
    if unknown:
        raise KeyError(f"unknown hyperparameters {sorted(unknown)}")
    correct, loss, theta, ok = _order_program(architecture, optimizer, int(checkpoints), np.asarray(thetas, float), rows,
                                              weights, values, np.asarray(inputs, float), np.asarray(targets, float))
    steps = np.arange(checkpoints + 1) * (T // checkpoints)
    return OrderRun(steps, np.asarray(correct), np.asarray(loss), np.asarray(theta), np.asarray(ok))


def seen_so_far_accuracy(run: OrderRun, new: int, n_stream: int) -> np.ndarray:
    """(R, C + 1): at each checkpoint, the accuracy on every stream example that has arrived by then
    (examples 0 .. min(step * new, n_stream) - 1; at step 0 none: NaN)."""
    out = np.full(run.correct.shape[:2], np.nan)
    for c, step in enumerate(run.steps):
        seen = min(int(step) * new, n_stream)
        if seen:
            out[:, c] = run.correct[:, c, :seen].mean(axis=-1)
    return out


def parameter_count(architecture: Architecture) -> int:
    from networks.model import init_params

    return ravel_pytree(init_params(architecture, 0))[0].size


__all__ = ["OrderRun", "Plan", "curriculum_plan", "curriculum_share", "easy_first", "random_plan", "replay_plan",
           "reservoir_update", "run_plans", "seen_so_far_accuracy", "window_plan"]
