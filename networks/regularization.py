"""An L2 penalty under Adam against AdamW's decoupled weight decay, with the optimizer's state kept.

Two ways to pull the parameters toward zero with strength lam:

- Adam + L2: minimize L(theta) + (lam / 2) ||theta||^2, so Adam receives g + lam theta. The penalty's
  gradient is divided by sqrt(v^) + eps with everything else, so the part of a step that comes from
  it is about  lr lam theta_i / (sqrt(v^_i) + eps)  (m^ averages lam theta, which moves slowly): a
  parameter whose gradients are large (large second moment v^) is barely pulled toward zero.
- AdamW: Adam's step on g alone, then theta <- theta - lr lam theta: every parameter loses the same
  share lr lam of itself per step, whatever its gradients.

So per parameter the effective decay rate per step (the share of theta_i removed by the decay) is

    Adam + L2:  lr lam / (sqrt(v^_i) + eps),      AdamW:  lr lam,      v^ = v / (1 - beta2^t),

read off the final optimizer state of the runs below.

The runs: full-batch training (the gradient of the mean training loss, every step), with the lab's
AdamW update rule (``optimizers.first_order.adamw_update``; with weight_decay 0 it is Adam), fed
g + l2 theta. One compiled program per (architecture, number of record slots) trains several runs
at once (vmap), each with its own traced l2, weight_decay, lr, betas and eps, from its own start;
the number of steps between records is traced. The losses of every split are recorded at each
slot. A step whose gradient is non-finite or whose parameters leave |theta_i| < DIVERGENCE_BOUND is not
applied, and the run stays at its last good parameters (as in networks.training). The penalty covers the whole flat vector theta (weights and biases), as in networks.training.
"""

from __future__ import annotations

import collections
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from networks.datasets import TRAIN, Dataset
from networks.model import Architecture, example_losses, forward, unravel_function
from networks.training import DIVERGENCE_BOUND, padded_data
from optimizers.first_order import AdamwState, adamw_init, adamw_update
from programs import bounded_jit

DECAY_HYPERPARAMETERS = ("lr", "beta1", "beta2", "eps", "weight_decay", "l2")
MAX_STEPS = 20_000

#: How many times each compiled program of this module was traced (tests assert it does not grow).
TRACE_COUNTS: collections.Counter = collections.Counter()


class DecayRuns(NamedTuple):
    """R runs; records at steps 0, k, 2k, ... (n records). NumPy arrays throughout."""

    steps: np.ndarray  # (n,)
    loss: np.ndarray  # (R, n, 3) train, validation, test (without the penalty)
    theta: np.ndarray  # (R, P) after the last step
    first_moment: np.ndarray  # (R, P) Adam's m
    second_moment: np.ndarray  # (R, P) Adam's v
    count: np.ndarray  # (R,) steps taken (t of the bias correction)
    theta0: np.ndarray  # (R, P)
    hyper: dict  # name -> (R,)
    finite: np.ndarray  # (R,) every step was applied: no non-finite gradient, no parameter beyond DIVERGENCE_BOUND

    def second_moment_hat(self) -> np.ndarray:
        """v^ = v / (1 - beta2^t), (R, P)."""
        beta2 = self.hyper["beta2"][:, None]
        return self.second_moment / (1.0 - beta2 ** self.count[:, None])

    def effective_decay(self) -> np.ndarray:
        """The share of each parameter removed per step by the decay, (R, P): lr l2 / (sqrt(v^) + eps) for
        the penalty plus lr weight_decay for the decoupled decay (a run usually has one of the two)."""
        h = {k: v[:, None] for k, v in self.hyper.items()}
        return h["lr"] * h["l2"] / (np.sqrt(self.second_moment_hat()) + h["eps"]) + h["lr"] * h["weight_decay"]


def split_losses(architecture: Architecture, params, inputs, targets, split):
    losses = example_losses(architecture.task, forward(architecture, params, inputs), targets)
    in_split = jnp.stack([split == k for k in range(3)]).astype(jnp.float64)
    return in_split @ losses / jnp.maximum(jnp.sum(in_split, axis=1), 1.0)


def _decay_one(architecture: Architecture, n_slots: int, theta0, hyper, data, plan):
    unravel = unravel_function(architecture)
    inputs, targets, split = data["inputs"], data["targets"], data["split"]
    weights = (split == TRAIN).astype(jnp.float64)
    n_train = jnp.sum(weights)

    def training_loss(theta):
        losses = example_losses(architecture.task, forward(architecture, unravel(theta), inputs), targets)
        return weights @ losses / n_train

    gradient = jax.grad(training_loss)

    def step(_, carry):
        theta, state, finite = carry
        g = gradient(theta) + hyper["l2"] * theta  # the penalty's gradient joins the loss's
        new_theta, new_state = adamw_update(g, state, theta, hyper)
        ok = finite & jnp.all(jnp.isfinite(g)) & jnp.all(jnp.abs(new_theta) < DIVERGENCE_BOUND)  # as networks.training
        keep = lambda new, old: jnp.where(ok, new, old)  # noqa: E731
        return keep(new_theta, theta), jax.tree.map(keep, new_state, state), ok

    def slot(carry, s):
        theta, state, finite = carry
        recorded = split_losses(architecture, unravel(theta), inputs, targets, split)
        count = jnp.where(s < plan["n_records"] - 1, plan["steps_per_record"], 0)
        carry = jax.lax.fori_loop(0, count, step, carry)
        return carry, recorded

    init = (theta0, adamw_init(theta0), jnp.array(True))
    (theta, state, finite), losses = jax.lax.scan(slot, init, jnp.arange(n_slots))
    return losses, theta, state, finite


@bounded_jit(static_argnums=(0, 1))
def _decay_program(architecture: Architecture, n_slots: int, thetas, hyper, data, plan):
    TRACE_COUNTS[("decay", architecture, n_slots)] += 1
    return jax.vmap(partial(_decay_one, architecture, n_slots), in_axes=(0, 0, None, None))(thetas, hyper, data, plan)


def decay_runs(architecture: Architecture, dataset: Dataset, thetas0, hyper: dict, steps: int,
               n_records: int = 41) -> DecayRuns:
    """Full-batch runs from the starts ``thetas0`` (R, P), one per row; ``hyper`` maps each of
    DECAY_HYPERPARAMETERS to R values (or one value for all). ``steps`` is rounded up to a multiple of
    n_records - 1 (records at every (steps / (n_records - 1))-th step)."""
    thetas0 = np.atleast_2d(np.asarray(thetas0, dtype=float))
    R = thetas0.shape[0]
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}, got {steps}")
    missing = set(DECAY_HYPERPARAMETERS) - set(hyper)
    if missing:
        raise KeyError(f"missing hyperparameters {sorted(missing)}")
    values = {k: np.broadcast_to(np.asarray(hyper[k], dtype=float), (R,)).copy() for k in DECAY_HYPERPARAMETERS}
    for k, v in values.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{k} must be finite, got {v}")
    per_record = -(-int(steps) // (n_records - 1))
    plan = {"steps_per_record": np.int32(per_record), "n_records": np.int32(n_records)}
    losses, theta, state, finite = _decay_program(architecture, int(n_records), thetas0, values, padded_data(dataset), plan)
    state = AdamwState(*state)
    return DecayRuns(np.arange(n_records) * per_record, np.asarray(losses), np.asarray(theta), np.asarray(state.first_moment),
                     np.asarray(state.second_moment), np.asarray(state.count), thetas0, values, np.asarray(finite))


def compiled_program_count() -> int:
    return _decay_program._cache_size()
