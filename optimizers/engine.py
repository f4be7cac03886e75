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
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from landscapes.base import Landscape, mean_loss, weighted_loss
from programs import compiled_call
from optimizers import OPTIMIZERS
from optimizers.clipping import clip_by_norm, clip_by_value
from optimizers.schedules import learning_rate, schedule_settings

MAX_STEPS = 5000
STEP_BUCKETS = (50, 100, 200, 500, 1000, 2000, 5000)
SAMPLING = ("shuffle", "replacement", "sorted")
SMALL_N = 128  # batch_weights: comparisons up to this many samples, sorting beyond
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
    #: (S, T+1, 2, 2) full-data Hessian at each iterate, recorded by races; (S, 0, 2, 2) otherwise
    hessian: np.ndarray = np.zeros((0, 0, 2, 2))

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

    Up to SMALL_N samples, places and counts come from N x N comparisons instead of sorts and
    scatters: about twice as fast inside a scan for small N (and faster to compile); beyond it the
    comparisons' N^2 work dominates, so a double argsort and a scatter-add give the same numbers.
    """
    n = n_samples
    index = jnp.arange(n, dtype=jnp.int32)
    B = jnp.clip(batch_size, 1, n)
    steps_per_epoch = (n + B - 1) // B
    epoch, k = t // steps_per_epoch, t % steps_per_epoch
    u = shuffle_keys(key, epoch, n)
    draws = replacement_draws(key, t, n)
    if n <= SMALL_N:
        ahead = (u[None, :] < u[:, None]) | ((u[None, :] == u[:, None]) & (index[None, :] < index[:, None]))
        rank = jnp.sum(ahead, axis=1, dtype=jnp.int32)
        counts = jnp.sum((draws[None, :] == index[:, None]) & (index[None, :] < B), axis=1).astype(jnp.float64)
    else:  # the same ranks and counts in O(N log N): a stable sort breaks ties by index, as above
        rank = jnp.argsort(jnp.argsort(u, stable=True), stable=True).astype(jnp.int32)
        counts = jnp.zeros(n).at[draws].add((index < B).astype(jnp.float64))
    place = jnp.where(sampling == 2, index, rank)
    in_batch = ((place >= k * B) & (place < (k + 1) * B)).astype(jnp.float64)
    chosen = jnp.where(sampling == 1, counts, in_batch)
    return chosen / jnp.sum(chosen)


# ---- how a step sees the landscape ------------------------------------------------------------

class SampleMean(NamedTuple):
    """L(theta) = mean_n l(theta, sample_n): every sample's loss and gradient are evaluated each step
    (networks and regressions, whose samples are data points)."""

    sample_loss: Callable


class TiltedSurface(NamedTuple):
    """l_n(theta) = surface(theta) + a_n . theta (the analytic landscapes).

    Then L = surface + mean(a) . theta in closed form, a minibatch gradient is grad surface + the
    batch's mean tilt, and every Hessian, of any batch, is the surface's: one evaluation per step
    instead of N.
    """

    surface: Callable


def loss_model(landscape: Landscape):
    """The cheapest exact way to evaluate ``landscape`` inside a step."""
    return TiltedSurface(landscape.surface) if landscape.surface is not None else SampleMean(landscape.sample_loss)


def _model_name(model) -> str:
    fn = model[0]
    return getattr(fn, "__name__", str(fn))


class Evaluator(NamedTuple):
    """How a step sees the landscape (built by ``_evaluator``).

    evaluate(theta) -> (full loss, full gradient, what a minibatch gradient is built from);
    batch(weights) -> what a step needs to know of its minibatch (the weights themselves, or for a
        tilted surface only the batch's mean tilt weights @ a);
    minibatch_gradient(batch, extra) -> the gradient of that batch;
    hessian(theta) -> the full-data Hessian; batch_hessian(theta, batch) -> the batch's Hessian;
    drawn_ahead: whether every step's ``batch`` is small enough to draw for all steps before the scan.
    """

    evaluate: Callable
    batch: Callable
    minibatch_gradient: Callable
    hessian: Callable
    batch_hessian: Callable
    drawn_ahead: bool


def _forward_value_and_grad(surface):
    """(value, gradient) of surface(theta, params) by forward mode, one tangent per parameter.

    With two parameters forward mode costs what reverse mode does, and a surface picked by
    ``lax.switch`` (every analytic one) stays one branch per evaluation, where reverse mode runs a
    forward and a backward switch. The same holds for ``jacfwd(jacfwd(surface))``, the Hessian.
    """

    def value_and_grad(theta, params):
        def along(tangent):
            return jax.jvp(lambda point: surface(point, params), (theta,), (tangent,))

        return jax.vmap(along, out_axes=(None, 0))(jnp.eye(theta.shape[0], dtype=theta.dtype))

    return value_and_grad


def _evaluator(model, samples, params) -> Evaluator:
    if isinstance(model, TiltedSurface):
        surface_grad = _forward_value_and_grad(model.surface)
        surface_hessian = jax.jacfwd(jax.jacfwd(model.surface))
        mean_tilt = jnp.mean(samples, axis=0)

        def evaluate(theta):
            value, grad = surface_grad(theta, params)
            return value + mean_tilt @ theta, grad + mean_tilt, grad

        def minibatch_gradient(batch_tilt, surface_gradient):
            return surface_gradient + batch_tilt

        def hessian(theta):  # the tilts are linear: every batch has the surface's Hessian
            return surface_hessian(theta, params)

        return Evaluator(evaluate, lambda weights: weights @ samples, minibatch_gradient, hessian,
                         lambda theta, batch_tilt: hessian(theta), drawn_ahead=True)

    per_sample = jax.vmap(jax.value_and_grad(model.sample_loss), in_axes=(None, 0, None))
    weighted_hessian = jax.hessian(weighted_loss, argnums=1)
    full_hessian = jax.hessian(mean_loss, argnums=1)

    def evaluate(theta):
        losses, grads = per_sample(theta, samples, params)
        return jnp.mean(losses), jnp.mean(grads, axis=0), grads

    def minibatch_gradient(weights, grads):
        return weights @ grads

    def hessian(theta):
        return full_hessian(model.sample_loss, theta, samples, params)

    def batch_hessian(theta, weights):
        return weighted_hessian(model.sample_loss, theta, samples, params, weights)

    return Evaluator(evaluate, lambda weights: weights, minibatch_gradient, hessian, batch_hessian, drawn_ahead=False)


def _finish(start, thetas, losses, grads, batch_grads, lrs, run, n_steps):
    """Divergence bookkeeping over whole recorded arrays, after the scan (cheaper than per step).

    Iterate i is bad when its parameters are non-finite (status 2) or leave |theta| < bound (3),
    else when its loss (1) or gradient (4) is non-finite. The first bad index is ``diverged_at``
    (n_steps + 1 when none); from there on every record repeats the last good one (the start's
    with zero loss and gradient when the start itself is bad), so all arrays stay finite.
    """
    length = n_steps + 1
    index = jnp.arange(length)
    theta_bad = jnp.where(~jnp.all(jnp.isfinite(thetas), axis=-1), 2,
                          jnp.where(jnp.any(jnp.abs(thetas) > run["bound"], axis=-1) & (index > 0), 3, 0))
    value_bad = jnp.where(~jnp.isfinite(losses), 1, jnp.where(~jnp.all(jnp.isfinite(grads), axis=-1), 4, 0))
    why = jnp.where(theta_bad != 0, theta_bad, value_bad)
    bad = why != 0
    diverged_at = jnp.where(jnp.any(bad), jnp.argmax(bad), length).astype(jnp.int32)
    status = jnp.where(jnp.any(bad), why[jnp.minimum(diverged_at, length - 1)], 0).astype(jnp.int32)
    good = index < diverged_at
    last = jnp.maximum(diverged_at - 1, 0)
    started_bad = diverged_at == 0

    def held(values, at_start):
        fill = jnp.where(started_bad, at_start, values[last])
        return jnp.where(good.reshape((-1,) + (1,) * (values.ndim - 1)), values, fill)

    records = (
        held(thetas, start),
        held(losses, 0.0),
        held(jnp.linalg.norm(grads, axis=-1), 0.0),
        jnp.where(good, jnp.linalg.norm(batch_grads, axis=-1), 0.0),
        lrs,
    )
    return records, diverged_at, status


def _weights(t, key, n, run, full_batch):
    """The weights of step t's minibatch; 1/N each when every trajectory of the call is full batch.

    ``full_batch`` is one traced flag for the whole call (not vmapped), so this is a real branch:
    full-batch runs skip the sampling work, and moving the batch size never recompiles.
    """
    return jax.lax.cond(full_batch, lambda: jnp.full((n,), 1.0 / n),
                        lambda: batch_weights(t, key, n, run["batch_size"], run["sampling"]))


def _minibatches(ev: Evaluator, steps, key, n, run, full_batch):
    """(xs, batch_of): what the scan receives per step for its minibatch, and how step t reads its batch.

    When a batch is small (a tilted surface's is its mean tilt, two numbers) every step's batch is
    drawn before the optimizers' scan, in a loop of its own behind one branch for the whole run: the
    optimizers' steps then do no per-sample work at all, and a full-batch run draws nothing.
    (A loop, not one vmap over the steps: that would hold steps x N^2 comparisons at once, and
    compiles several times slower.) Otherwise each step draws its weights (``_weights``).
    """
    if ev.drawn_ahead:
        def drawn(t):
            return ev.batch(batch_weights(t, key, n, run["batch_size"], run["sampling"]))

        full = ev.batch(jnp.full((n,), 1.0 / n))
        batches = jax.lax.cond(full_batch, lambda: jnp.broadcast_to(full, steps.shape + full.shape),
                               lambda: jax.lax.map(drawn, steps))
        return batches, lambda t, batch: batch
    return steps, lambda t, _: ev.batch(_weights(t, key, n, run, full_batch))


def _schedule(n_steps, base_lr, run):
    return learning_rate(jnp.arange(n_steps + 1), base_lr, run["schedule"])


def _update(optimizer, theta, state, g, hessian, lr, run):
    g = clip_by_value(clip_by_norm(g, run["clip_norm"]), run["clip_value"])
    new_theta, new_state = optimizer.update(g, state, theta, {**run, "lr": lr}, hessian if optimizer.needs_hessian else None)
    return new_theta, new_state, g


def _run_one(model, optimizer_key, n_steps, full_batch, start, seed, samples, params, run):
    optimizer = OPTIMIZERS[optimizer_key]
    ev = _evaluator(model, samples, params)
    key = jax.random.PRNGKey(seed)
    lrs = _schedule(n_steps, run["newton_lr"] if optimizer.family == "second-order" else run["lr"], run)
    steps = jnp.arange(n_steps + 1, dtype=jnp.int32)
    batches, batch_of = _minibatches(ev, steps, key, samples.shape[0], run, full_batch)

    def step(carry, xs):
        theta, state = carry
        t, lr, batch = xs
        batch = batch_of(t, batch)
        loss, grad, extra = ev.evaluate(theta)
        g = ev.minibatch_gradient(batch, extra)
        H = ev.batch_hessian(theta, batch) if optimizer.needs_hessian else None
        new_theta, new_state, g = _update(optimizer, theta, state, g, H, lr, run)
        return (new_theta, new_state), (theta, loss, grad, g)

    _, (thetas, losses, grads, batch_grads) = jax.lax.scan(step, (start, optimizer.init(start)), (steps, lrs, batches))
    return _finish(start, thetas, losses, grads, batch_grads, lrs, run, n_steps)


def _race_one(model, n_steps, full_batch, start, seed, samples, params, run):
    """Every optimizer of RACE_ORDER from one start, advanced together in one scan.

    Each step evaluates the landscape once for all K iterates (vmapped), uses one minibatch for all
    of them (the same seed gives every optimizer the same batches), then applies each update rule;
    only the updates that use a Hessian get one. The full-data Hessian at every recorded iterate,
    for the curvature readouts, is computed after the scan in one vectorized call over all of them.
    Returns the records stacked over the optimizers: (K, T+1, ...) each.
    """
    optimizers = [OPTIMIZERS[key] for key in RACE_ORDER]
    uses_hessian = [k for k, opt in enumerate(optimizers) if opt.needs_hessian]
    ev = _evaluator(model, samples, params)
    key = jax.random.PRNGKey(seed)
    lrs = {family: _schedule(n_steps, run["newton_lr" if family == "second-order" else "lr"], run)
           for family in ("first-order", "second-order")}
    steps = jnp.arange(n_steps + 1, dtype=jnp.int32)
    batches, batch_of = _minibatches(ev, steps, key, samples.shape[0], run, full_batch)

    def step(carry, xs):
        thetas, states = carry
        t, lr, batch = xs
        batch = batch_of(t, batch)
        loss, grad, extra = jax.vmap(ev.evaluate)(thetas)
        g = jax.vmap(ev.minibatch_gradient, in_axes=(None, 0))(batch, extra)
        H = jax.vmap(ev.batch_hessian, in_axes=(0, None))(jnp.stack([thetas[k] for k in uses_hessian]), batch)
        hessians = dict(zip(uses_hessian, H))
        moved = [_update(opt, thetas[k], states[k], g[k], hessians.get(k), lr[opt.family], run)
                 for k, opt in enumerate(optimizers)]
        new_thetas = jnp.stack([m[0] for m in moved])
        clipped = jnp.stack([m[2] for m in moved])
        return (new_thetas, tuple(m[1] for m in moved)), (thetas, loss, grad, clipped)

    K = len(optimizers)
    init = (jnp.broadcast_to(start, (K, 2)), tuple(opt.init(start) for opt in optimizers))
    _, (thetas, losses, grads, batch_grads) = jax.lax.scan(step, init, (steps, lrs, batches))
    lr_of = jnp.stack([lrs[opt.family] for opt in optimizers])
    finish = jax.vmap(_finish, in_axes=(None, 1, 1, 1, 1, 0, None, None))
    records, diverged_at, status = finish(start, thetas, losses, grads, batch_grads, lr_of, run, n_steps)
    # The recorded iterates (held after a divergence) are finite: their Hessians are the readouts'.
    hessians = jax.vmap(jax.vmap(ev.hessian))(records[0])
    hessians = jnp.where((diverged_at == 0)[:, None, None, None], 0.0, hessians)
    return records + (hessians,), diverged_at, status


def _run_batch_traced(model, optimizer_key, n_steps, full_batch, starts, seeds, samples, params, run):
    TRACE_COUNTS[(_model_name(model), optimizer_key, n_steps)] += 1
    one = partial(_run_one, model, optimizer_key, n_steps)
    return jax.vmap(one, in_axes=(None, 0, 0, None, None, 0))(full_batch, starts, seeds, samples, params, run)


def _race_batch_traced(model, n_steps, full_batch, starts, seeds, samples, params, run):
    TRACE_COUNTS[(_model_name(model), "race", n_steps)] += 1
    one = partial(_race_one, model, n_steps)
    return jax.vmap(one, in_axes=(None, 0, 0, None, None, 0))(full_batch, starts, seeds, samples, params, run)


class Endpoints(NamedTuple):
    """Where each of S runs ended, without its path (``run_endpoints``)."""

    final: np.ndarray  # (S, 2) the last good iterate (the start when the start itself is bad)
    final_loss: np.ndarray  # (S,) its loss (0 when the start is bad, as Trajectories hold it)
    diverged_at: np.ndarray  # (S,) first bad iterate, n_steps + 1 when none (as Trajectories)
    status: np.ndarray  # (S,) 0 or the reason (STATUS)
    last_far: np.ndarray  # (S, M) last good iterate farther than ``radius`` from target m (-1: never)


def _endpoints_one(model, optimizer_key, n_steps, start, samples, params, run, targets, radius):
    """One full-batch run that keeps only what its end needs: the scan of ``_run_one`` and the
    bookkeeping of ``_finish`` done on the fly, in a loop whose trip count (n_steps + 1 iterates) is
    traced. Iterate t is classified exactly as ``_finish`` does; nothing is recorded per step."""
    optimizer = OPTIMIZERS[optimizer_key]
    ev = _evaluator(model, samples, params)
    n = samples.shape[0]
    batch = ev.batch(jnp.full((n,), 1.0 / n))
    base_lr = run["newton_lr"] if optimizer.family == "second-order" else run["lr"]
    M = targets.shape[0]

    def body(t, carry):
        theta, state, good_theta, good_loss, diverged_at, status, last_far = carry
        loss, grad, extra = ev.evaluate(theta)
        theta_bad = jnp.where(~jnp.all(jnp.isfinite(theta)), 2, jnp.where(jnp.any(jnp.abs(theta) > run["bound"]) & (t > 0), 3, 0))
        value_bad = jnp.where(~jnp.isfinite(loss), 1, jnp.where(~jnp.all(jnp.isfinite(grad)), 4, 0))
        why = jnp.where(theta_bad != 0, theta_bad, value_bad)
        alive = diverged_at > n_steps
        good = alive & (why == 0)
        first_bad = alive & (why != 0)
        far = jnp.sum((theta[None, :] - targets) ** 2, axis=-1) > radius ** 2
        carry = (good_theta, good_loss, jnp.where(first_bad, t, diverged_at), jnp.where(first_bad, why, status),
                 jnp.where(good & far, t, last_far))
        good_theta, good_loss = jnp.where(good, theta, good_theta), jnp.where(good, loss, good_loss)
        g = ev.minibatch_gradient(batch, extra)
        H = ev.batch_hessian(theta, batch) if optimizer.needs_hessian else None
        new_theta, new_state, _ = _update(optimizer, theta, state, g, H, learning_rate(t, base_lr, run["schedule"]), run)
        return (new_theta, new_state, good_theta, good_loss) + carry[2:]

    init = (start, optimizer.init(start), start, jnp.zeros((), start.dtype), jnp.asarray(n_steps + 1, jnp.int32),
            jnp.zeros((), jnp.int32), jnp.full((M,), -1, jnp.int32))
    _, _, good_theta, good_loss, diverged_at, status, last_far = jax.lax.fori_loop(0, n_steps + 1, body, init)
    started_bad = diverged_at == 0
    return (jnp.where(started_bad, start, good_theta), jnp.where(started_bad, 0.0, good_loss), diverged_at, status,
            last_far)


def _endpoints_batch(model, optimizer_key, n_steps, starts, samples, params, run, targets, radius):
    TRACE_COUNTS[(_model_name(model), optimizer_key, "endpoints")] += 1
    one = partial(_endpoints_one, model, optimizer_key)
    return jax.vmap(one, in_axes=(None, 0, None, None, None, None, None))(n_steps, starts, samples, params, run, targets, radius)


def run_endpoints(landscape: Landscape, optimizer_key: str, starts, settings: RunSettings, targets=None,
                  radius: float = 0.0) -> Endpoints:
    """Full-batch runs of ``optimizer_key`` from each start (S, 2) that return only where they ended.

    The same iterates as ``run_trajectories`` with full batches (tests compare them), without
    holding S x (n_steps + 1) records: a 256 x 256 grid of 500 steps would record 1.6 GB. For basin
    maps, ``targets`` (M, 2) and ``radius`` give each run's last iterate farther than ``radius`` from
    each target (the run settled near target m from ``last_far[:, m] + 1`` on). One compiled program
    per (landscape model, optimizer, number of starts, number of targets): the step count is traced.
    """
    if optimizer_key not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer {optimizer_key!r}; choose one of {sorted(OPTIMIZERS)}")
    settings = settings.replace(batch_size=None, sampling="shuffle")
    n_steps = check_settings(settings)
    starts = _checked_starts(starts)
    targets = np.zeros((0, 2)) if targets is None else np.asarray(targets, dtype=float).reshape(-1, 2)
    # One setting for every start: scalars, not (S,) arrays, so the schedule and the update's
    # coefficients are computed once per step rather than once per start and step.
    run = jax.tree.map(lambda values: np.asarray(values)[0], _run_arrays(settings, landscape, 1, None))
    final, final_loss, diverged_at, status, last_far = compiled_call(
        _endpoints_batch, (loss_model(landscape), optimizer_key),
        (np.asarray(n_steps, np.int32), starts, landscape.samples, landscape.params, run, targets,
         np.asarray(radius, np.float64)))
    diverged_at = np.minimum(np.asarray(diverged_at), n_steps + 1)
    status = np.where(diverged_at <= n_steps, np.asarray(status), 0)
    return Endpoints(np.asarray(final), np.asarray(final_loss), diverged_at, status, np.asarray(last_far))


#: The compiled programs: one per (landscape model, optimizer or "race", step bucket), held in the
#: bounded table of programs.py. All analytic landscapes share one model.
_run_batch = _run_batch_traced
_race_batch = _race_batch_traced

#: The race runs every optimizer at once: one program whatever subset is chosen.
RACE_ORDER = tuple(OPTIMIZERS)


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
    # NumPy arrays with explicit dtypes everywhere (no weakly typed arrays, and no device dispatch
    # per setting), so that a run with ``overrides`` has the same signature as one without and
    # reuses its compiled program.
    run = {k: np.full((S,), float(v), np.float64) for k, v in scalars.items()}
    run["batch_size"] = np.full((S,), batch, np.int32)
    run["sampling"] = np.full((S,), SAMPLING.index(settings.sampling), np.int32)
    schedule = schedule_settings(
        settings.schedule, settings.gamma, settings.step_size, settings.period, settings.min_ratio,
        settings.n_steps, settings.warmup_steps,
    )
    run["schedule"] = {k: np.broadcast_to(v, (S,)) for k, v in schedule.items()}
    for name, values in (overrides or {}).items():
        target = run["schedule"] if name in schedule and name not in run else run
        dtype = np.int32 if name in ("batch_size", "sampling", "kind") else np.float64
        target[name] = np.broadcast_to(np.asarray(values, dtype), (S,))
    return run


#: Settings that must be finite numbers, and those that must also be positive.
_FINITE = ("lr", "momentum", "beta1", "beta2", "eps", "weight_decay", "damping", "newton_lr", "gamma", "min_ratio")
_POSITIVE_SCHEDULE = {"step_size": 1, "period": 2, "total_steps": 1}


def check_settings(settings: RunSettings, overrides: dict | None = None) -> int:
    """Reject settings that cannot make a meaningful run, with a message naming them; returns n_steps.

    A notebook gets the same clear words as the app: ``n_steps`` must be a whole number of steps,
    every hyperparameter a finite number, decay factors positive, schedule lengths at least 1.
    """
    steps = settings.n_steps
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer, float, np.floating)) or not np.isfinite(steps) \
            or float(steps) != int(steps):
        raise ValueError(f"n_steps must be a whole number of steps between 1 and {MAX_STEPS}, got {steps!r}")
    n_steps = int(steps)
    if not 1 <= n_steps <= MAX_STEPS:
        raise ValueError(f"n_steps must be between 1 and {MAX_STEPS}, got {n_steps}")
    values = {name: getattr(settings, name) for name in _FINITE}
    values.update({name: getattr(settings, name, n_steps) for name in _POSITIVE_SCHEDULE})
    values["warmup_steps"] = settings.warmup_steps
    for name, given in (overrides or {}).items():
        values[name] = given
    for name, value in values.items():
        array = np.asarray(value, dtype=float)
        if name in ("clip_norm", "clip_value", "bound", "batch_size", "sampling"):
            if np.any(np.isnan(array)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            continue
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    gamma = np.asarray(values["gamma"], dtype=float)
    if settings.schedule in ("step", "exponential") or "gamma" in (overrides or {}):
        if np.any(gamma <= 0):
            raise ValueError(f"gamma (the decay factor per step_size steps) must be > 0, got {values['gamma']!r}")
    for name, smallest in _POSITIVE_SCHEDULE.items():
        if name in (overrides or {}) and np.any(np.asarray(values[name], dtype=float) < smallest):
            raise ValueError(f"{name} must be at least {smallest}, got {values[name]!r}")
    if np.any(np.asarray(values["warmup_steps"], dtype=float) < 0):
        raise ValueError(f"warmup_steps must be >= 0, got {values['warmup_steps']!r}")
    if settings.sampling not in SAMPLING:
        raise ValueError(f"sampling must be one of {SAMPLING}, got {settings.sampling!r}")
    return n_steps


def _checked_starts(starts) -> np.ndarray:
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    if starts.ndim != 2 or starts.shape[1] != 2:
        raise ValueError(f"starts must be points (x, y), an array of shape (S, 2); got shape {starts.shape}")
    if not np.all(np.isfinite(starts)):
        raise ValueError("every start must be a finite point (x, y); got non-finite coordinates")
    return starts


def _full_batch(run: dict, n: int) -> np.ndarray:
    """Whether every trajectory of the call uses all N samples, each once (then no batches are drawn)."""
    return np.asarray(bool(np.all((run["batch_size"] >= n) & (run["sampling"] != 1))))


def _trajectories(records, diverged_at, status, n_steps: int) -> Trajectories:
    arrays = [np.asarray(r)[:, : n_steps + 1] for r in records]
    diverged_at = np.minimum(np.asarray(diverged_at), n_steps + 1)
    status = np.where(diverged_at <= n_steps, np.asarray(status), 0)
    hessian = arrays[5] if len(arrays) > 5 else np.zeros((arrays[0].shape[0], 0, 2, 2))
    return Trajectories(*arrays[:5], diverged_at, status, hessian)


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
    grid of hyperparameters runs in the same single vectorized call. Invalid settings raise
    ``ValueError`` naming them (see ``check_settings``).
    """
    if optimizer_key not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer {optimizer_key!r}; choose one of {sorted(OPTIMIZERS)}")
    n_steps = check_settings(settings, overrides)
    starts = _checked_starts(starts)
    S = starts.shape[0]
    if seeds is None:
        seeds = np.full(S, settings.seed)
    seeds = np.asarray(seeds, dtype=np.uint32).reshape(S)
    run = _run_arrays(settings, landscape, S, overrides)
    static = (loss_model(landscape), optimizer_key, step_bucket(n_steps))
    full_batch = _full_batch(run, landscape.n_samples)
    records, diverged_at, status = compiled_call(
        _run_batch, static, (full_batch, starts, seeds, landscape.samples, landscape.params, run))
    return _trajectories(records, diverged_at, status, n_steps)


def run_race(landscape: Landscape, optimizer_keys, settings: RunSettings, start=None) -> dict[str, Trajectories]:
    """Every optimizer from the same start with the same settings: {key: Trajectories with S = 1}.

    One compiled program runs every optimizer of RACE_ORDER together (whichever are asked for),
    and records the full-data Hessian at every iterate (``Trajectories.hessian``) for the readouts.
    """
    unknown = [k for k in optimizer_keys if k not in OPTIMIZERS]
    if unknown:
        raise KeyError(f"unknown optimizer {unknown[0]!r}; choose one of {sorted(OPTIMIZERS)}")
    n_steps = check_settings(settings)
    start = _checked_starts(landscape.default_start if start is None else start)
    run = _run_arrays(settings, landscape, 1, None)
    static = (loss_model(landscape), step_bucket(n_steps))
    full_batch = _full_batch(run, landscape.n_samples)
    seeds = np.full(1, settings.seed, dtype=np.uint32)
    records, diverged_at, status = compiled_call(
        _race_batch, static, (full_batch, start, seeds, landscape.samples, landscape.params, run))
    # One copy to the host per record (stacked over the optimizers: (1, K, T+1, ...)), then views.
    records = [np.asarray(r)[0] for r in records]
    diverged_at, status = np.asarray(diverged_at)[0], np.asarray(status)[0]
    out = {}
    for key in optimizer_keys:
        k = RACE_ORDER.index(key)
        out[key] = _trajectories([r[k:k + 1] for r in records], diverged_at[k:k + 1], status[k:k + 1], n_steps)
    return out
