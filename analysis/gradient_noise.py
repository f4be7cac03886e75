"""How noisy is a minibatch gradient? Exact statistics from the per-sample gradients at one point.

At theta the N per-sample gradients g_n = grad l_n(theta) have mean g (the full gradient) and
population covariance  Sigma = 1/N sum_n (g_n - g)(g_n - g)^T.  A minibatch of B samples gives
g_B = 1/B sum_{n in batch} g_n, with  E[g_B] = g  (unbiased) and

    Cov[g_B] = Sigma / B                          B draws with replacement (independent draws)
    Cov[g_B] = Sigma / B * (N - B) / (N - 1)      B distinct samples (without replacement)

The factor (N - B)/(N - 1) is the finite-population correction: it is 1 at B = 1 and 0 at B = N (the
full batch has no noise). The standard error of the gradient, sqrt(E|g_B - g|^2) = sqrt(tr Cov[g_B]),
falls only like 1/sqrt(B): four times the samples per step buy half the noise.

Minibatches are drawn by ``optimizers.engine.batch_weights``, the same function the trajectories use.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from programs import bounded_jit
from landscapes.base import Landscape
from optimizers.engine import SAMPLING, batch_weights, replacement_draws, shuffle_order

#: Batch sizes on the standard-error curve: this many log-spaced sizes from 1 to N (a fixed shape).
CURVE_POINTS = 16


class GradientNoise(NamedTuple):
    """Statistics of the per-sample gradients at one point."""

    full_gradient: np.ndarray  # (2,) mean of the per-sample gradients
    per_sample: np.ndarray  # (N, 2)
    covariance: np.ndarray  # (2, 2) population covariance Sigma (divides by N)

    @property
    def n_samples(self) -> int:
        return int(self.per_sample.shape[0])

    @property
    def total_variance(self) -> float:
        """tr Sigma: the mean squared distance of a single sample's gradient from the full gradient."""
        return float(np.trace(self.covariance))


def finite_population_factor(n_samples: int, batch_size) -> np.ndarray:
    """(N - B) / (N - 1): how much sampling without replacement shrinks the variance (1 when N = 1)."""
    B = np.asarray(batch_size, dtype=float)
    if n_samples <= 1:
        return np.zeros_like(B)
    return np.clip((n_samples - B) / (n_samples - 1), 0.0, 1.0)


def minibatch_covariance(covariance, n_samples: int, batch_size, replacement: bool) -> np.ndarray:
    """Cov[g_B] = Sigma / B, times (N - B)/(N - 1) without replacement."""
    factor = 1.0 if replacement else finite_population_factor(n_samples, batch_size)
    return np.asarray(covariance) / float(batch_size) * factor


def predicted_standard_error(total_variance: float, n_samples: int, batch_sizes, replacement: bool) -> np.ndarray:
    """sqrt(tr Sigma / B), times sqrt((N - B)/(N - 1)) without replacement."""
    B = np.asarray(batch_sizes, dtype=float)
    factor = 1.0 if replacement else finite_population_factor(n_samples, B)
    return np.sqrt(total_variance / B * factor)


def curve_batch_sizes(n_samples: int, points: int = CURVE_POINTS) -> np.ndarray:
    """``points`` integer batch sizes spread on a log scale from 1 to N (repeats allowed for small N)."""
    return np.unique(np.round(np.geomspace(1, n_samples, points)).astype(int)).astype(np.int32)


def batch_sizes_per_step(n_samples: int, batch_size: int, n_steps: int, sampling: str) -> np.ndarray:
    """How many samples step t uses (t = 0..n_steps-1): B, except the short last batch of an epoch
    (N mod B samples) when shuffling or walking the data in order."""
    B = int(np.clip(batch_size, 1, n_samples))
    if sampling == "replacement":
        return np.full(n_steps, B)
    per_epoch = -(-n_samples // B)
    k = np.arange(n_steps) % per_epoch
    return np.minimum(B, n_samples - k * B)


def samples_processed(n_samples: int, batch_size: int, n_steps: int, sampling: str) -> np.ndarray:
    """(n_steps + 1,) the number of per-sample gradients evaluated before each iterate (0 at the start)."""
    return np.concatenate([[0], np.cumsum(batch_sizes_per_step(n_samples, batch_size, n_steps, sampling))])


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    return -(-n_samples // int(np.clip(batch_size, 1, n_samples)))


# ---- compiled pieces -------------------------------------------------------------------------

@bounded_jit(static_argnums=0)
def _per_sample_gradients(sample_loss, theta, samples, params):
    return jax.vmap(jax.grad(sample_loss), in_axes=(None, 0, None))(theta, samples, params)


def _draw(grads, key, draw, batch_size, sampling):
    """One minibatch gradient. Shuffle / replacement: a fresh key per draw, so draws are independent
    (the first batch of a fresh permutation is a uniform random subset); sorted: draw d takes the
    d-th consecutive chunk of the data in stored order."""
    t = jnp.where(sampling == 2, draw, 0)
    weights = batch_weights(t, jax.random.fold_in(key, draw), grads.shape[0], batch_size, sampling)
    return weights @ grads


@bounded_jit(static_argnums=(0, 5))
def _cloud(sample_loss, theta, samples, params, seed, n_draws, batch_size, sampling):
    grads = _per_sample_gradients(sample_loss, theta, samples, params)
    key = jax.random.PRNGKey(seed)
    return jax.vmap(lambda d: _draw(grads, key, d, batch_size, sampling))(jnp.arange(n_draws))


def _nested_batch_sums(grads, key, draw):
    """Prefix sums of the per-sample gradients in the order draw ``draw`` visits the data, so that
    rows B of the result, divided by B, are that draw's minibatch gradient for *every* B at once.

    The order is the engine's own at step 0 with the key of ``_draw`` (``shuffle_order`` of epoch 0,
    ``replacement_draws`` of step 0), so one ordering per draw serves all batch sizes (tests check the
    equality with ``_draw``, which calls ``batch_weights``)."""
    n = grads.shape[0]
    k = jax.random.fold_in(key, draw)
    permutation = shuffle_order(k, 0, n)
    with_replacement = replacement_draws(k, 0, n)
    zero = jnp.zeros((1, grads.shape[1]))
    shuffled = jnp.concatenate([zero, jnp.cumsum(grads[permutation], axis=0)])
    replaced = jnp.concatenate([zero, jnp.cumsum(grads[with_replacement], axis=0)])
    return shuffled, replaced


@bounded_jit(static_argnums=(0, 5))
def _squared_errors(sample_loss, theta, samples, params, seed, n_draws, batch_sizes, sampling):
    """(K, n_draws): |g_B - g|^2 for each batch size B and draw (nested batches within a draw)."""
    grads = _per_sample_gradients(sample_loss, theta, samples, params)
    n = grads.shape[0]
    full = jnp.mean(grads, axis=0)
    in_order = jnp.concatenate([jnp.zeros((1, grads.shape[1])), jnp.cumsum(grads, axis=0)])
    key = jax.random.PRNGKey(seed)
    B = jnp.clip(batch_sizes, 1, n)

    def one_draw(d):
        shuffled, replaced = _nested_batch_sums(grads, key, d)
        chunk = d % ((n + B - 1) // B)  # sorted: draw d walks the d-th consecutive chunk
        start, stop = chunk * B, jnp.minimum((chunk + 1) * B, n)
        sorted_mean = (in_order[stop] - in_order[start]) / (stop - start)[:, None]
        random_mean = jnp.where(sampling == 1, replaced[B].T, shuffled[B].T).T / B[:, None]
        g = jnp.where(sampling == 2, sorted_mean, random_mean)
        return jnp.sum((g - full) ** 2, axis=-1)

    return jax.vmap(one_draw, out_axes=1)(jnp.arange(n_draws))


@bounded_jit(static_argnums=(0, 1))
def _membership(n_samples, n_steps, seed, batch_size, sampling):
    key = jax.random.PRNGKey(seed)
    return jax.vmap(lambda t: batch_weights(t, key, n_samples, batch_size, sampling))(jnp.arange(n_steps))


# ---- public API (NumPy in, NumPy out) ------------------------------------------------------

def gradient_noise(landscape: Landscape, theta) -> GradientNoise:
    grads = np.asarray(_per_sample_gradients(landscape.sample_loss, jnp.asarray(theta, dtype=jnp.float64),
                                             landscape.samples, landscape.params))
    full = grads.mean(axis=0)
    centred = grads - full
    return GradientNoise(full, grads, centred.T @ centred / len(grads))


def minibatch_gradients(landscape: Landscape, theta, batch_size: int, sampling: str = "shuffle", n_draws: int = 400,
                        seed: int = 0) -> np.ndarray:
    """(n_draws, 2) minibatch gradients at theta, drawn as the engine draws batches."""
    return np.asarray(_cloud(landscape.sample_loss, jnp.asarray(theta, dtype=jnp.float64), landscape.samples,
                             landscape.params, jnp.uint32(seed), int(n_draws), jnp.int32(batch_size),
                             jnp.int32(SAMPLING.index(sampling))))


class MeasuredError(NamedTuple):
    batch_sizes: np.ndarray  # (K,)
    standard_error: np.ndarray  # (K,) sqrt(mean |g_B - g|^2) over the draws
    mean_squared_error: np.ndarray  # (K,) mean |g_B - g|^2
    mean_squared_error_se: np.ndarray  # (K,) its own standard error (std of the draws / sqrt(draws))


def measured_standard_error(landscape: Landscape, theta, batch_sizes, sampling: str = "shuffle", n_draws: int = 500,
                            seed: int = 0) -> MeasuredError:
    """The gradient noise measured by drawing ``n_draws`` minibatches at each batch size."""
    sizes = np.asarray(batch_sizes, dtype=np.int32)
    sq = np.asarray(_squared_errors(landscape.sample_loss, jnp.asarray(theta, dtype=jnp.float64), landscape.samples,
                                    landscape.params, jnp.uint32(seed), int(n_draws), jnp.asarray(sizes),
                                    jnp.int32(SAMPLING.index(sampling))))
    mse = sq.mean(axis=1)
    return MeasuredError(sizes, np.sqrt(mse), mse, sq.std(axis=1, ddof=1) / np.sqrt(sq.shape[1]))


def batch_membership(n_samples: int, batch_size: int, n_steps: int, sampling: str = "shuffle", seed: int = 0) -> np.ndarray:
    """(n_steps, N) how many times each sample enters the batch of step t (0, 1, or more with replacement)."""
    weights = np.asarray(_membership(int(n_samples), int(n_steps), jnp.uint32(seed), jnp.int32(batch_size),
                                     jnp.int32(SAMPLING.index(sampling))))
    sizes = batch_sizes_per_step(n_samples, batch_size, n_steps, sampling)
    return np.rint(weights * sizes[:, None]).astype(int)


def covariance_ellipse(centre, covariance, n_std: float = 2.0, points: int = 90) -> np.ndarray:
    """(points, 2) the curve {centre + n_std * L u : |u| = 1} with L L^T = covariance."""
    lam, vec = np.linalg.eigh(np.asarray(covariance, dtype=float))
    angle = np.linspace(0.0, 2.0 * np.pi, points)
    circle = np.stack([np.cos(angle), np.sin(angle)])
    return np.asarray(centre)[None, :] + (vec @ (n_std * np.sqrt(np.maximum(lam, 0.0))[:, None] * circle)).T
