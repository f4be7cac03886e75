"""The trajectory engine: one jitted ``lax.scan`` per (landscape, optimizer, step bucket), ``vmap``ped
over trajectories.

Everything a student can move, the learning rate, momentum, betas, epsilon, weight decay,
damping, the schedule and its parameters, the clipping thresholds, the start point, the seed, the
batch size and the sampling scheme, enters the compiled program as a traced array, so moving a
slider reruns compiled code and never recompiles. Only the landscape's per-sample loss function,
the optimizer, the number of samples, the number of trajectories and the step bucket are static.

Minibatches are real: at step t the batch is a set of sample indices and the gradient is the mean
of those samples' gradients. With "shuffle" sampling (the default) each epoch is a fresh
permutation of the N samples cut into consecutive batches of B, so every sample is used once per
epoch (the last batch of an epoch is smaller when B does not divide N).

Divergence: the first iterate whose parameters are non-finite or leave the box |theta_i| < bound,
or whose loss or gradient is non-finite, ends the trajectory; ``diverged_at`` records its index
and ``status`` why. Later entries repeat the last good iterate, so the arrays stay finite.
"""

from __future__ import annotations

import collections
import math
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from landscapes.base import Landscape, weighted_loss
from optimizers import OPTIMIZERS
from optimizers.clipping import clip_by_norm, clip_by_value
from optimizers.schedules import learning_rate, schedule_settings

MAX_STEPS = 5000
STEP_BUCKETS = (50, 100, 200, 500, 1000, 2000, 5000)
SAMPLING = ("shuffle", "replacement", "sorted")
STATUS = {
    0: "ran to the end",
    1: "the loss became non-finite",
    2: "the parameters became non-finite",
    3: "the parameters left the bounded region",
    4: "the gradient became non-finite",
}

#: How many times each compiled trajectory program was traced (tests assert it does not grow).
TRACE_COUNTS: collections.Counter = collections.Counter()


@dataclass(frozen=True)
class RunSettings:
    """Everything that shapes a run, as plain Python values (hashable, so caches can key on it)."""

    lr: float = 0.01
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    damping: float = 0.1
    newton_lr: float = 1.0
    schedule: str = "constant"
    gamma: float = 0.5
    step_size: int = 100
    period: int = 100
    min_ratio: float = 0.01
    warmup_steps: int = 0
    clip_norm: float = math.inf
    clip_value: float = math.inf
    batch_size: int | None = None  # None means the full batch
    sampling: str = "shuffle"
    seed: int = 0
    n_steps: int = 200
    bound: float | None = None  # None: 1000 x the landscape's domain size
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def replace(self, **changes) -> "RunSettings":
        values = {k: v for k, v in asdict(self).items()}
        values.update(changes)
        return RunSettings(**values)


class Trajectories(NamedTuple):
    """S trajectories of T steps. Index i of ``params`` is the iterate after i updates."""

    params: np.ndarray  # (S, T+1, 2)
    loss: np.ndarray  # (S, T+1) full-data loss at each iterate
    grad_norm: np.ndarray  # (S, T+1) full-data gradient norm at each iterate
    batch_grad_norm: np.ndarray  # (S, T+1) norm of the (clipped) minibatch gradient used for the step
    lr: np.ndarray  # (S, T+1) learning rate used for the step from each iterate
    diverged_at: np.ndarray  # (S,) index of the first bad iterate; T+1 if none
    status: np.ndarray  # (S,) key into STATUS

    @property
    def n_steps(self) -> int:
        return self.params.shape[1] - 1

    def valid_length(self, i: int = 0) -> int:
        """Number of good iterates of trajectory i (what charts may draw)."""
        return int(min(self.diverged_at[i], self.params.shape[1]))

    def diverged(self, i: int = 0) -> bool:
        return bool(self.status[i] != 0)

    def path(self, i: int = 0) -> np.ndarray:
        return self.params[i, : self.valid_length(i)]

    def losses(self, i: int = 0) -> np.ndarray:
        return self.loss[i, : self.valid_length(i)]

    def grad_norms(self, i: int = 0) -> np.ndarray:
        return self.grad_norm[i, : self.valid_length(i)]

    def learning_rates(self, i: int = 0) -> np.ndarray:
        return self.lr[i, : self.valid_length(i)]


def step_bucket(n_steps: int) -> int:
    """The compiled length that holds n_steps (runs are compiled for a few fixed lengths only)."""
    for bucket in STEP_BUCKETS:
        if n_steps <= bucket:
            return bucket
    return STEP_BUCKETS[-1]


def shuffle_keys(key, epoch, n: int):
    """Uniform keys u_n of epoch ``epoch``: sample n's place in that epoch's order is its rank."""
    return jax.random.uniform(jax.random.fold_in(key, epoch), (n,))


def shuffle_order(key, epoch, n: int):
    """The order in which epoch ``epoch`` visits the samples (a permutation of 0..n-1)."""
    return jnp.argsort(shuffle_keys(key, epoch, n))


def replacement_draws(key, t, n: int):
    """The sample indices drawn with replacement at step t; the batch of size B is the first B."""
    return jax.random.randint(jax.random.fold_in(jax.random.fold_in(key, 1_000_003), t), (n,), 0, n)


def batch_weights(t, key, n_samples: int, batch_size, sampling):
    """Weights w_n (summing to 1) that select the minibatch used at step t.

    shuffle: epoch e = t // steps_per_epoch visits the samples in ``shuffle_order(key, e)``; step t
             takes places [k B, (k+1) B) of that order, k = t mod steps_per_epoch.
    replacement: the first B of ``replacement_draws(key, t)`` (a sample can count twice).
    sorted: the data in stored order, no shuffling (correlated batches).

    Places and counts come from N x N comparisons instead of sorts and scatters: for the small N of
    these landscapes that is about twice as fast inside a scan (and compiles faster).
    """
    n = n_samples
    index = jnp.arange(n, dtype=jnp.int32)
    B = jnp.clip(batch_size, 1, n)
    steps_per_epoch = (n + B - 1) // B
    epoch, k = t // steps_per_epoch, t % steps_per_epoch
    u = shuffle_keys(key, epoch, n)
    ahead = (u[None, :] < u[:, None]) | ((u[None, :] == u[:, None]) & (index[None, :] < index[:, None]))
    place = jnp.where(sampling == 2, index, jnp.sum(ahead, axis=1, dtype=jnp.int32))
    in_batch = ((place >= k * B) & (place < (k + 1) * B)).astype(jnp.float64)
    draws = replacement_draws(key, t, n)
    counts = jnp.sum((draws[None, :] == index[:, None]) & (index[None, :] < B), axis=1).astype(jnp.float64)
    chosen = jnp.where(sampling == 1, counts, in_batch)
    return chosen / jnp.sum(chosen)


def _run_one(sample_loss, optimizer_key, n_steps, start, seed, samples, params, run, all_full_batch):
    optimizer = OPTIMIZERS[optimizer_key]
    n = samples.shape[0]
    key = jax.random.PRNGKey(seed)
    per_sample = jax.vmap(jax.value_and_grad(sample_loss), in_axes=(None, 0, None))
    batch_hessian = jax.hessian(weighted_loss, argnums=1)
    base_lr = run["newton_lr"] if optimizer.family == "second-order" else run["lr"]

    def step(carry, t):
        theta, state, status, diverged_at, last = carry
        alive = status == 0
        losses, grads = per_sample(theta, samples, params)
        loss, grad = jnp.mean(losses), jnp.mean(grads, axis=0)
        # Full batch needs no sampling. ``all_full_batch`` is shared by every trajectory of the call
        # (not vmapped), so this is a real branch that skips the sampling work.
        weights = jax.lax.cond(all_full_batch, lambda: jnp.full((n,), 1.0 / n),
                               lambda: batch_weights(t, key, n, run["batch_size"], run["sampling"]))
        g = weights @ grads
        g = clip_by_value(clip_by_norm(g, run["clip_norm"]), run["clip_value"])
        H = batch_hessian(sample_loss, theta, samples, params, weights) if optimizer.needs_hessian else None
        lr = learning_rate(t, base_lr, run["schedule"])
        hyper = {**run, "lr": lr}
        new_theta, new_state = optimizer.update(g, state, theta, hyper, H)

        bad_here = jnp.where(~jnp.isfinite(loss), 1, jnp.where(~jnp.all(jnp.isfinite(grad)), 4, 0))
        bad_next = jnp.where(
            ~jnp.all(jnp.isfinite(new_theta)), 2, jnp.where(jnp.any(jnp.abs(new_theta) > run["bound"]), 3, 0)
        )
        status_now = jnp.where(alive, bad_here, status)
        ok_here = status_now == 0
        status_next = jnp.where(ok_here, bad_next, status_now).astype(jnp.int32)
        diverged_at = jnp.where(alive & (bad_here != 0), t, jnp.where(ok_here & (bad_next != 0), t + 1, diverged_at)).astype(jnp.int32)

        record = (
            jnp.where(ok_here, theta, last[0]),
            jnp.where(ok_here, loss, last[1]),
            jnp.where(ok_here, jnp.linalg.norm(grad), last[2]),
            jnp.where(ok_here, jnp.linalg.norm(g), 0.0),
            lr,
        )
        keep = status_next == 0
        theta_next = jnp.where(keep, new_theta, theta)
        state_next = jax.tree.map(lambda a, b: jnp.where(keep, a, b), new_state, state)
        last = (record[0], record[1], record[2])
        return (theta_next, state_next, status_next, diverged_at, last), record

    init = (
        start,
        optimizer.init(start),
        jnp.asarray(0, jnp.int32),
        jnp.asarray(n_steps + 1, jnp.int32),
        (start, jnp.asarray(0.0), jnp.asarray(0.0)),
    )
    # n_steps + 1 iterations: the last one only evaluates the final iterate (its update is unused).
    (_, _, status, diverged_at, _), records = jax.lax.scan(step, init, jnp.arange(n_steps + 1, dtype=jnp.int32))
    return records, diverged_at, status


@partial(jax.jit, static_argnums=(0, 1, 2))
def _run_batch(sample_loss, optimizer_key, n_steps, starts, seeds, samples, params, run, all_full_batch):
    TRACE_COUNTS[(getattr(sample_loss, "__name__", str(sample_loss)), optimizer_key, n_steps)] += 1
    one = partial(_run_one, sample_loss, optimizer_key, n_steps)
    return jax.vmap(one, in_axes=(0, 0, None, None, 0, None))(starts, seeds, samples, params, run, all_full_batch)


def _run_arrays(settings: RunSettings, landscape: Landscape, n_trajectories: int, overrides: dict | None):
    """The traced inputs: every setting as a float64/int array of shape (S,)."""
    (x0, x1), (y0, y1) = landscape.domain
    bound = settings.bound if settings.bound is not None else 1000.0 * max(x1 - x0, y1 - y0)
    n = landscape.n_samples
    batch = n if settings.batch_size is None else int(np.clip(settings.batch_size, 1, n))
    scalars = {
        "lr": settings.lr,
        "momentum": settings.momentum,
        "beta1": settings.beta1,
        "beta2": settings.beta2,
        "eps": settings.eps,
        "weight_decay": settings.weight_decay,
        "damping": settings.damping,
        "newton_lr": settings.newton_lr,
        "clip_norm": settings.clip_norm if settings.clip_norm and settings.clip_norm > 0 else math.inf,
        "clip_value": settings.clip_value if settings.clip_value and settings.clip_value > 0 else math.inf,
        "bound": bound,
    }
    S = n_trajectories
    # Explicit dtypes everywhere (no weakly typed arrays), so that a run with ``overrides`` has the
    # same signature as one without and reuses its compiled program.
    run = {k: jnp.full((S,), float(v), jnp.float64) for k, v in scalars.items()}
    run["batch_size"] = jnp.full((S,), batch, jnp.int32)
    run["sampling"] = jnp.full((S,), SAMPLING.index(settings.sampling), jnp.int32)
    schedule = schedule_settings(
        settings.schedule, settings.gamma, settings.step_size, settings.period, settings.min_ratio,
        settings.n_steps, settings.warmup_steps,
    )
    run["schedule"] = {k: jnp.broadcast_to(jnp.asarray(v, v.dtype), (S,)) for k, v in schedule.items()}
    for name, values in (overrides or {}).items():
        target = run["schedule"] if name in schedule and name not in run else run
        dtype = jnp.int32 if name in ("batch_size", "sampling", "kind") else jnp.float64
        target[name] = jnp.broadcast_to(jnp.asarray(values, dtype), (S,))
    return run


def run_trajectories(
    landscape: Landscape,
    optimizer_key: str,
    starts,
    settings: RunSettings,
    seeds=None,
    overrides: dict | None = None,
) -> Trajectories:
    """Run ``optimizer_key`` from each start (S, 2) on ``landscape``.

    ``seeds`` (S,) gives each trajectory its own minibatch stream (default: settings.seed for all).
    ``overrides`` maps a setting name (lr, momentum, batch_size, gamma, ...) to an (S,) array, so a
    grid of hyperparameters runs in the same single vectorized call.
    """
    if optimizer_key not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer {optimizer_key!r}; choose one of {sorted(OPTIMIZERS)}")
    n_steps = int(settings.n_steps)
    if not 1 <= n_steps <= MAX_STEPS:
        raise ValueError(f"n_steps must be between 1 and {MAX_STEPS}, got {n_steps}")
    starts = jnp.asarray(np.atleast_2d(np.asarray(starts, dtype=float)))
    S = starts.shape[0]
    if seeds is None:
        seeds = np.full(S, settings.seed)
    seeds = jnp.asarray(np.asarray(seeds, dtype=np.uint32).reshape(S))
    run = _run_arrays(settings, landscape, S, overrides)
    bucket = step_bucket(n_steps)
    n = landscape.n_samples
    all_full_batch = jnp.asarray(bool(np.all((np.asarray(run["batch_size"]) >= n) & (np.asarray(run["sampling"]) != 1))))
    records, diverged_at, status = _run_batch(
        landscape.sample_loss, optimizer_key, bucket, starts, seeds, landscape.samples, landscape.params, run, all_full_batch
    )
    thetas, losses, gnorms, batch_gnorms, lrs = (np.asarray(r)[:, : n_steps + 1] for r in records)
    diverged_at = np.minimum(np.asarray(diverged_at), n_steps + 1)
    status = np.where(np.asarray(diverged_at) <= n_steps, np.asarray(status), 0)
    return Trajectories(thetas, losses, gnorms, batch_gnorms, lrs, diverged_at, status)


def run_race(landscape: Landscape, optimizer_keys, settings: RunSettings, start=None) -> dict[str, Trajectories]:
    """Every optimizer from the same start with the same settings: {key: Trajectories with S = 1}."""
    start = landscape.default_start if start is None else start
    return {key: run_trajectories(landscape, key, [start], settings) for key in optimizer_keys}
