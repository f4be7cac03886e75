"""A saddle in d dimensions, and how optimizers leave it (or do not).

The loss is separable with a saddle at the origin:

    L(x) = sum_{i < d} ( lambda_i x_i^2 / 2 + x_i^4 / 4 ),   Hessian at 0: diag(lambda_i)

with k directions of negative curvature lambda_i = -mu (i < k) and d - k directions of positive
curvature lambda_i = +1. The quartic term gives the negative directions a floor: minima at
x_i = +-sqrt(mu) for i < k, with L = -k mu^2 / 4. The Hessian away from 0 is diag(lambda_i + 3 x_i^2).

Every array has the fixed length D_MAX and a mask for the first d coordinates, so moving the
dimension slider (d, k, mu are traced) never recompiles. The optimizers are written here for a
diagonal Hessian, as the engine is built for two-parameter landscapes:

- GD:                 x <- x - eta g
- Momentum:           v <- beta v + g;  x <- x - eta v
- Adam:               the usual bias-corrected moments, elementwise
- Newton:             x <- x - eta_N g / h            (h = the Hessian's diagonal)
- Saddle-free Newton: x <- x - eta_N g / (|h| + damping)

Near the saddle Newton's step is x - eta_N x: it jumps *to* the critical point whatever its type.
Saddle-free Newton divides by |h|, so along a negative direction it moves x -> (1 + eta_N) x: away.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from programs import bounded_jit

jax.config.update("jax_enable_x64", True)

D_MAX = 64
HD_STEPS = 400
HD_OPTIMIZERS = ("sgd", "momentum", "adam", "newton", "saddle_free_newton")
MAX_SEEDS = 64
DIVERGENCE_BOUND = 1e6
PADDING_CURVATURE = 1e6  # eigenvalue given to the unused coordinates of a padded random Hessian


def saddle_spectrum(d, n_negative, negative_curvature, positive_curvature=1.0):
    """(lambda, mask), each (D_MAX,): -mu on the first k coordinates, +positive on the rest of the first d."""
    index = jnp.arange(D_MAX)
    mask = (index < d).astype(jnp.float64)
    lam = jnp.where(index < n_negative, -negative_curvature, positive_curvature)
    return lam * mask, mask


def saddle_loss(x, lam, mask):
    return jnp.sum(mask * (0.5 * lam * x**2 + 0.25 * x**4))


def saddle_gradient(x, lam, mask):
    return mask * (lam * x + x**3)


def saddle_hessian_diagonal(x, lam, mask):
    """The Hessian is diagonal; unused coordinates get 1 so that dividing by it is harmless."""
    return jnp.where(mask > 0, lam + 3 * x**2, 1.0)


def minimum_loss(n_negative: int, negative_curvature: float) -> float:
    """-k mu^2 / 4: the loss at the minima x_i = +-sqrt(mu) on the negative directions."""
    return -n_negative * negative_curvature**2 / 4.0


class SaddleState(NamedTuple):
    velocity: jax.Array
    first_moment: jax.Array
    second_moment: jax.Array
    count: jax.Array


def _update(optimizer_key: str, x, g, h, state: SaddleState, hyper):
    """One step of ``optimizer_key``; every rule is elementwise because the Hessian is diagonal."""
    if optimizer_key == "sgd":
        return x - hyper["lr"] * g, state
    if optimizer_key == "momentum":
        v = hyper["momentum"] * state.velocity + g
        return x - hyper["lr"] * v, state._replace(velocity=v)
    if optimizer_key == "adam":
        b1, b2 = hyper["beta1"], hyper["beta2"]
        t = state.count + 1
        m = b1 * state.first_moment + (1 - b1) * g
        s = b2 * state.second_moment + (1 - b2) * g**2
        step = (m / (1 - b1**t)) / (jnp.sqrt(s / (1 - b2**t)) + hyper["eps"])
        return x - hyper["lr"] * step, state._replace(first_moment=m, second_moment=s, count=t)
    if optimizer_key == "newton":
        return x - hyper["newton_lr"] * g / h, state
    if optimizer_key == "saddle_free_newton":
        return x - hyper["newton_lr"] * g / (jnp.abs(h) + hyper["damping"]), state
    raise KeyError(optimizer_key)


def _run_one(optimizer_key, n_steps, start, lam, mask, hyper):
    zeros = jnp.zeros_like(start)
    state = SaddleState(zeros, zeros, zeros, jnp.asarray(0, jnp.int32))

    def step(carry, _):
        x, state, alive = carry
        g = saddle_gradient(x, lam, mask)
        h = saddle_hessian_diagonal(x, lam, mask)
        new_x, new_state = _update(optimizer_key, x, g, h, state, hyper)
        ok = alive & jnp.all(jnp.isfinite(new_x)) & jnp.all(jnp.abs(new_x) < DIVERGENCE_BOUND)
        record = (saddle_loss(x, lam, mask), jnp.linalg.norm(x * mask), alive)
        x = jnp.where(ok, new_x, x)
        state = jax.tree.map(lambda a, b: jnp.where(ok, a, b), new_state, state)
        return (x, state, ok), record

    _, (losses, distances, alive) = jax.lax.scan(step, (start * mask, state, jnp.asarray(True)), None, length=n_steps + 1)
    return losses, distances, alive


@bounded_jit(static_argnums=(0, 1))
def _run_batch(optimizer_key, n_steps, starts, lam, mask, hyper):
    return jax.vmap(partial(_run_one, optimizer_key, n_steps), in_axes=(0, None, None, None))(starts, lam, mask, hyper)


@bounded_jit(static_argnums=(0,))
def saddle_starts(n_seeds: int, d, scale, seed):
    """n_seeds starts scale * N(0, I) on the first d coordinates (a small random initialization)."""
    mask = (jnp.arange(D_MAX) < d).astype(jnp.float64)
    return scale * jax.random.normal(jax.random.PRNGKey(seed), (n_seeds, D_MAX)) * mask


class SaddleRuns(NamedTuple):
    loss: np.ndarray  # (S, T+1)
    distance: np.ndarray  # (S, T+1) |x|: distance from the saddle
    alive: np.ndarray  # (S, T+1) False after a run diverged (its later entries repeat the last good one)

    def escape_steps(self, threshold: float) -> np.ndarray:
        """First step at which each run's loss is below ``threshold`` (-1 if never)."""
        below = self.loss <= threshold
        return np.where(below.any(axis=1), np.argmax(below, axis=1), -1)


def run_saddle(optimizer_key: str, d: int, n_negative: int, negative_curvature: float, hyper: dict,
               n_seeds: int = 32, init_scale: float = 1e-3, seed: int = 0) -> SaddleRuns:
    """``n_seeds`` runs of HD_STEPS steps from small random starts around the saddle."""
    d = int(np.clip(d, 1, D_MAX))
    n_negative = int(np.clip(n_negative, 0, d))
    lam, mask = saddle_spectrum(d, n_negative, float(negative_curvature))
    starts = saddle_starts(int(np.clip(n_seeds, 1, MAX_SEEDS)), d, float(init_scale), int(seed))
    defaults = {"lr": 0.1, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "newton_lr": 1.0, "damping": 1e-3}
    traced = {k: jnp.asarray(float(hyper.get(k, v)), jnp.float64) for k, v in defaults.items()}
    losses, distances, alive = _run_batch(optimizer_key, HD_STEPS, starts, lam, mask, traced)
    return SaddleRuns(np.asarray(losses), np.asarray(distances), np.asarray(alive))


# ---- which way is down? -----------------------------------------------------------------------

@bounded_jit(static_argnums=(0,))
def _downhill_share(n_directions: int, lam, mask, seed):
    u = jax.random.normal(jax.random.PRNGKey(seed), (n_directions, D_MAX)) * mask
    return jnp.mean((u**2) @ lam < 0)


def downhill_direction_share(d: int, n_negative: int, negative_curvature: float, n_directions: int = 20_000,
                             seed: int = 0) -> float:
    """Share of random directions u (uniform on the sphere) with u^T H u < 0 at the saddle:
    the directions along which the loss first curves down."""
    lam, mask = saddle_spectrum(int(d), int(n_negative), float(negative_curvature))
    return float(_downhill_share(n_directions, lam, mask, seed))


def downhill_share_2d(negative_curvature: float) -> float:
    """Closed form for d = 2, k = 1: P(mu u1^2 > u2^2) = (2 / pi) arctan(sqrt(mu))."""
    return 2.0 / np.pi * np.arctan(np.sqrt(negative_curvature))


@bounded_jit(static_argnums=(0, 1))
def _random_hessian_minimum_share(max_d: int, n_matrices: int, seed):
    """For d = 1..max_d: share of random symmetric d x d matrices (GOE) with all eigenvalues > 0."""
    A = jax.random.normal(jax.random.PRNGKey(seed), (n_matrices, max_d, max_d))
    H = (A + jnp.swapaxes(A, 1, 2)) / jnp.sqrt(2.0)

    def share(d):
        mask = (jnp.arange(max_d) < d).astype(jnp.float64)
        padded = H * mask[:, None] * mask[None, :] + jnp.diag((1 - mask) * PADDING_CURVATURE)
        lam = jnp.linalg.eigvalsh(padded)
        return jnp.mean(jnp.all(lam > 0, axis=-1)), jnp.mean(jnp.sum((lam < 0), axis=-1) / d)

    return jax.vmap(share)(jnp.arange(1, max_d + 1))


def random_hessian_minimum_share(max_d: int = 8, n_matrices: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(d, share of critical points that are minima, mean share of negative eigenvalues) when the
    Hessian at a critical point is a random symmetric matrix. Compare with the coin-flip guess 2^-d."""
    minimum, negative = _random_hessian_minimum_share(max_d, n_matrices, seed)
    return np.arange(1, max_d + 1), np.asarray(minimum), np.asarray(negative)
