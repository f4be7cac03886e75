"""Schedules against gradient noise: seed bands, the jitter of the last iterates, and a growing batch.

With a constant learning rate, SGD does not settle at the minimum: near it the gradient is mostly
noise, so the iterates keep jittering in a cloud whose size grows with lr and shrinks with B (for a
quadratic with Hessian H and small lr, the stationary covariance solves H C + C H ~ lr Cov[g_B]).
Two ways to shrink the cloud late in training:

- decay the learning rate (step, exponential, cosine, ... in ``optimizers.schedules``), or
- grow the batch: the noise in a step is ~ lr * sqrt(tr Sigma / B), so multiplying B by k shrinks
  it as much as dividing lr by sqrt(k) would, and it also makes each step cost k times more.

Growing batch. The trajectory engine takes one batch size per trajectory, so it cannot change B
mid-run. ``run_growing_batch`` is a small jitted scan of its own that changes B at epoch boundaries
only: within epoch e it walks the epoch's permutation in chunks of B_e. It asks
``optimizers.engine.batch_weights`` for each batch with a step index built so that, for a constant
batch size, the batches (and so the whole trajectory) are exactly the engine's (tested). The whole
plan (epoch, step within the epoch, B of each step) is a traced array, so changing the growth factor
or interval never recompiles; the scan length is the engine's step bucket.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from programs import bounded_jit
from analysis.gradient_noise import samples_processed
from landscapes.base import Landscape
from optimizers import OPTIMIZERS
from optimizers.engine import MAX_STEPS, SAMPLING, RunSettings, Trajectories, batch_weights, run_trajectories, step_bucket
from optimizers.schedules import SCHEDULES, schedule_factor, schedule_settings

#: The schedules the page offers: label -> (kind in optimizers.schedules, uses warm-up).
SCHEDULE_CHOICES = {
    "constant": ("constant", False),
    "step decay": ("step", False),
    "exponential decay": ("exponential", False),
    "cyclical": ("cyclical", False),
    "cosine": ("cosine", False),
    "warm-up + cosine": ("cosine", True),
}
GROWING_BATCH = "growing batch"


class Band(NamedTuple):
    """Median and a spread (quantiles ``low``/``high``) across seeds, per step."""

    median: np.ndarray
    low: np.ndarray
    high: np.ndarray


def seed_band(values: np.ndarray, low: float = 0.1, high: float = 0.9) -> Band:
    """values (S, T): median and the [low, high] quantiles over the S runs at each step."""
    values = np.asarray(values, dtype=float)
    return Band(np.median(values, axis=0), np.quantile(values, low, axis=0), np.quantile(values, high, axis=0))


def last_iterate_jitter(params: np.ndarray, last: int) -> np.ndarray:
    """params (S, T+1, 2): for each run, the RMS distance of its last ``last`` iterates from their mean,
    sqrt(tr Cov) of the cloud the iterates wander in at the end."""
    tail = np.asarray(params, dtype=float)[:, -max(int(last), 2):, :]
    centred = tail - tail.mean(axis=1, keepdims=True)
    return np.sqrt(np.mean(np.sum(centred**2, axis=-1), axis=1))


def schedule_settings_for(label: str, gamma: float, step_size: int, period: int, min_ratio: float, n_steps: int,
                          warmup_steps: int) -> dict:
    kind, warm = SCHEDULE_CHOICES[label]
    return schedule_settings(kind, gamma, step_size, period, min_ratio, n_steps, warmup_steps if warm else 0)


def schedule_curve(label: str, n_steps: int, gamma: float, step_size: int, period: int, min_ratio: float,
                   warmup_steps: int) -> np.ndarray:
    """lr(t) / lr_0 for t = 0..n_steps-1."""
    settings = schedule_settings_for(label, gamma, step_size, period, min_ratio, n_steps, warmup_steps)
    return np.asarray(schedule_factor(np.arange(n_steps), settings))


def schedule_band_runs(landscape: Landscape, labels, settings: RunSettings, start, seeds,
                       optimizer_key: str = "sgd") -> dict[str, Trajectories]:
    """Every schedule in ``labels`` from ``start`` with every seed, in ONE vectorized engine call
    (the schedule's kind and warm-up are traced per trajectory). Returns {label: Trajectories (S = seeds)}."""
    labels = list(labels)
    seeds = np.asarray(seeds, dtype=np.uint32)
    S = len(seeds)
    kinds = np.repeat([SCHEDULES.index(SCHEDULE_CHOICES[l][0]) for l in labels], S)
    warmups = np.repeat([settings.warmup_steps if SCHEDULE_CHOICES[l][1] else 0 for l in labels], S)
    starts = np.tile(np.asarray(start, dtype=float), (len(labels) * S, 1))
    traj = run_trajectories(landscape, optimizer_key, starts, settings, seeds=np.tile(seeds, len(labels)),
                            overrides={"kind": kinds, "warmup_steps": warmups.astype(float)})
    return {label: Trajectories(*(np.asarray(field)[i * S:(i + 1) * S] for field in traj)) for i, label in enumerate(labels)}


# ---- growing batch -------------------------------------------------------------------------

class BatchPlan(NamedTuple):
    """Per step: its epoch, its index within the epoch, the epoch's batch size B_e and the number of
    samples the step really uses (B_e, or fewer for the last batch of an epoch); ``n_steps`` steps."""

    epoch: np.ndarray
    step_in_epoch: np.ndarray
    batch_size: np.ndarray
    samples_per_step: np.ndarray
    n_steps: int

    def samples_processed(self) -> np.ndarray:
        """(n_steps + 1,) per-sample gradients evaluated before each iterate."""
        return np.concatenate([[0], np.cumsum(self.samples_per_step[: self.n_steps])])


def growing_batch_sizes(n_samples: int, batch_size: int, growth: float, every_epochs: int, n_epochs: int) -> np.ndarray:
    """B_e = min(N, round(B_0 * growth ** floor(e / every))) for e = 0..n_epochs-1."""
    e = np.arange(n_epochs)
    sizes = np.round(batch_size * float(growth) ** (e // max(int(every_epochs), 1)))
    return np.clip(sizes, 1, n_samples).astype(int)


def growing_batch_plan(n_samples: int, batch_size: int, growth: float, every_epochs: int, n_epochs: int,
                       sampling: str = "shuffle", max_steps: int = MAX_STEPS) -> BatchPlan:
    """Walk ``n_epochs`` epochs whose batch size grows by ``growth`` every ``every_epochs`` epochs; each
    epoch is cut into ceil(N / B_e) batches (the last one shorter). With replacement an "epoch" is
    ceil(N / B_e) draws of B_e. At most ``max_steps`` steps."""
    epochs, within, nominal, used = [], [], [], []
    for e, B in enumerate(growing_batch_sizes(n_samples, batch_size, growth, every_epochs, n_epochs)):
        k = np.arange(-(-n_samples // B))
        epochs.append(np.full(k.size, e))
        within.append(k)
        nominal.append(np.full(k.size, B))
        used.append(np.full(k.size, B) if sampling == "replacement" else np.minimum(B, n_samples - k * B))
    epoch, step_in_epoch, size, samples = (np.concatenate(a)[:max_steps] for a in (epochs, within, nominal, used))
    return BatchPlan(epoch, step_in_epoch, size, samples, int(epoch.size))


def _plan_weights(t, epoch, step_in_epoch, batch_size, key, n_samples, sampling):
    """The batch of step t of a plan, from ``batch_weights``. The step index handed to it,
    epoch * ceil(N / B) + step_in_epoch, lands in that epoch's permutation at that chunk, so with a
    constant B it is just t and the batches are the engine's. With replacement the true step t is
    used, so every step draws afresh."""
    steps_per_epoch = (n_samples + batch_size - 1) // batch_size
    t_virtual = jnp.where(sampling == 1, t, epoch * steps_per_epoch + step_in_epoch)
    return batch_weights(t_virtual, key, n_samples, batch_size, sampling)


@bounded_jit(static_argnums=0)
def _plan_membership(n_samples, seed, sampling, epoch, within, batch):
    key = jax.random.PRNGKey(seed)
    steps = jnp.arange(epoch.shape[0], dtype=jnp.int32)
    return jax.vmap(lambda t, e, k, B: _plan_weights(t, e, k, B, key, n_samples, sampling))(steps, epoch, within, batch)


def plan_membership(plan: "BatchPlan", n_samples: int, seed: int = 0, sampling: str = "shuffle") -> np.ndarray:
    """(n_steps, N) how many times each sample enters each step's batch under ``plan``."""
    weights = np.asarray(_plan_membership(int(n_samples), jnp.uint32(seed), jnp.int32(SAMPLING.index(sampling)),
                                          *(jnp.asarray(a, jnp.int32) for a in plan[:3])))
    return np.rint(weights * plan.samples_per_step[:, None]).astype(int)


def _growing_one(sample_loss, optimizer_key, start, seed, samples, params, lr, bound, sampling, epoch, within, batch,
                 n_real):
    optimizer = OPTIMIZERS[optimizer_key]
    n = samples.shape[0]
    key = jax.random.PRNGKey(seed)
    per_sample = jax.vmap(jax.value_and_grad(sample_loss), in_axes=(None, 0, None))
    hyper_base = {"lr": lr, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}

    def step(carry, inputs):
        theta, state, alive = carry
        t, e, k, B = inputs
        losses, grads = per_sample(theta, samples, params)
        # The step index handed to batch_weights: e * ceil(N / B) + k lands in epoch e, chunk k, so
        # with a constant B it is just t and the batches are the engine's. Draws with replacement
        # use the true step t (fresh draws every step).
        weights = _plan_weights(t, e, k, B, key, n, sampling)
        new_theta, new_state = optimizer.update(weights @ grads, state, theta, hyper_base)
        ok = alive & (t < n_real) & jnp.all(jnp.isfinite(new_theta)) & jnp.all(jnp.abs(new_theta) < bound)
        theta_next = jnp.where(ok, new_theta, theta)
        state_next = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new_state, state)
        alive_next = alive & (ok | (t >= n_real))
        return (theta_next, state_next, alive_next), (theta, jnp.mean(losses))

    steps = jnp.arange(epoch.shape[0], dtype=jnp.int32)
    (theta, _, alive), (thetas, losses) = jax.lax.scan(step, (start, optimizer.init(start), jnp.asarray(True)),
                                                       (steps, epoch, within, batch))
    final_loss = jnp.mean(per_sample(theta, samples, params)[0])
    return jnp.concatenate([thetas, theta[None]]), jnp.concatenate([losses, final_loss[None]]), alive


@bounded_jit(static_argnums=(0, 1))
def _growing_batch(sample_loss, optimizer_key, starts, seeds, samples, params, lr, bound, sampling, epoch, within,
                   batch, n_real):
    one = partial(_growing_one, sample_loss, optimizer_key)
    return jax.vmap(one, in_axes=(0, 0, None, None, None, None, None, None, None, None, None))(
        starts, seeds, samples, params, lr, bound, sampling, epoch, within, batch, n_real)


class GrowingBatchRuns(NamedTuple):
    params: np.ndarray  # (S, T+1, 2)
    loss: np.ndarray  # (S, T+1) full-data loss at each iterate
    alive: np.ndarray  # (S,) False if the run left the finite, bounded region (it then stays put)
    plan: BatchPlan


def run_growing_batch(landscape: Landscape, starts, seeds, plan: BatchPlan, lr: float, sampling: str = "shuffle",
                      optimizer_key: str = "sgd", bound: float | None = None, min_length: int = 1) -> GrowingBatchRuns:
    """One vectorized call: S runs (one per start/seed) of a first-order optimizer whose batch size
    follows ``plan``. The scan is padded to the engine's step bucket of max(plan steps, ``min_length``);
    padded steps do nothing. Passing the constant-batch run's length as ``min_length`` keeps the
    compiled length fixed while the growth settings move."""
    if OPTIMIZERS[optimizer_key].needs_hessian:
        raise ValueError("the growing-batch runner supports first-order optimizers only")
    starts = jnp.asarray(np.atleast_2d(np.asarray(starts, dtype=float)))
    S = starts.shape[0]
    seeds = jnp.asarray(np.asarray(seeds, dtype=np.uint32).reshape(S))
    n = int(plan.n_steps)
    length = step_bucket(max(n, int(min_length), 1))
    pad = length - n

    def padded(a):
        return jnp.asarray(np.concatenate([np.asarray(a[:n], dtype=np.int32), np.ones(pad, np.int32)]))

    (x0, x1), (y0, y1) = landscape.domain
    bound = bound if bound is not None else 1000.0 * max(x1 - x0, y1 - y0)
    params, loss, alive = _growing_batch(
        landscape.sample_loss, optimizer_key, starts, seeds, landscape.samples, landscape.params,
        jnp.asarray(float(lr)), jnp.asarray(float(bound)), jnp.int32(SAMPLING.index(sampling)),
        padded(plan.epoch), padded(plan.step_in_epoch), padded(plan.batch_size), jnp.int32(n))
    return GrowingBatchRuns(np.asarray(params)[:, : n + 1], np.asarray(loss)[:, : n + 1], np.asarray(alive), plan)


def epochs_axis(n_samples: int, batch_size: int, n_steps: int, sampling: str) -> np.ndarray:
    """(n_steps + 1,) epochs of data processed before each iterate of a constant-batch run."""
    return samples_processed(n_samples, batch_size, n_steps, sampling) / n_samples
