"""What the exact Hessian costs as the number of parameters d grows, measured with JAX.

The problem: L2-regularised logistic regression on N random examples in d dimensions,
L(w) = mean_n log(1 + exp(-y_n x_n . w)) + 1/2 lambda |w|^2. For it we time, after compiling:

- the gradient (reverse mode: a small multiple of one pass over the data, O(N d));
- the full Hessian with ``jax.hessian`` (d Hessian-vector products, O(N d^2)), which stores d^2 numbers;
- solving H p = -g for the Newton step (an LU factorisation, O(d^3)).

The memory is exact (d^2 float64 = 8 d^2 bytes); the times are wall-clock minima over repeats and
so depend on the machine, but their growth with d follows the exponents.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from programs import bounded_jit

N_EXAMPLES = 256
DEFAULT_SIZES = (16, 32, 64, 128, 256, 512)
MAX_DIMENSION = 2048


def logistic_loss(w, X, y, l2):
    margins = y * (X @ w)
    return jnp.mean(jnp.logaddexp(0.0, -margins)) + 0.5 * l2 * (w @ w)


_gradient = bounded_jit(jax.grad(logistic_loss))
_hessian = bounded_jit(jax.hessian(logistic_loss))


@bounded_jit
def _newton_direction(H, g):
    return -jnp.linalg.solve(H, g)


def random_problem(d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_EXAMPLES, d)) / np.sqrt(d)
    y = np.sign(X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(N_EXAMPLES))
    w = 0.1 * rng.standard_normal(d)
    return jnp.asarray(w), jnp.asarray(X), jnp.asarray(y), jnp.asarray(1e-2)


def _best_time(fn, *args, repeats: int) -> float:
    jax.block_until_ready(fn(*args))  # compile and warm up: not timed
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - t0)
    return best


class CostRow(NamedTuple):
    d: int
    hessian_bytes: int
    gradient_seconds: float
    hessian_seconds: float
    solve_seconds: float


def measure_cost(sizes=DEFAULT_SIZES, repeats: int = 5, seed: int = 0) -> list[CostRow]:
    rows = []
    for d in sizes:
        d = int(d)
        w, X, y, l2 = random_problem(d, seed)
        g_time = _best_time(_gradient, w, X, y, l2, repeats=repeats)
        h_time = _best_time(_hessian, w, X, y, l2, repeats=repeats)
        H = _hessian(w, X, y, l2)
        g = _gradient(w, X, y, l2)
        s_time = _best_time(_newton_direction, H, g, repeats=repeats)
        rows.append(CostRow(d, int(H.nbytes), g_time, h_time, s_time))
    return rows


def growth_exponent(sizes, values, largest: int = 3) -> float:
    """Slope of log(value) against log(d) over the ``largest`` sizes (small sizes are dominated by
    fixed overheads)."""
    d = np.log(np.asarray(sizes, dtype=float)[-largest:])
    v = np.log(np.maximum(np.asarray(values, dtype=float)[-largest:], 1e-12))
    return float(np.polyfit(d, v, 1)[0])
