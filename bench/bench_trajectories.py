"""The default race, timed warm three ways, and the Hessian readout.

The race: landscape "rosenbrock" (64 samples, full batch), optimizers sgd, momentum, adam and newton,
500 steps, lr 1e-3 (Newton uses ``newton_lr`` = 1.0, as the engine does), the landscape's default start.
Each implementation does the same work per step: the full-data loss and gradient at the iterate
(the mean over the 64 samples), recorded, then one update. Their final iterates are compared so the
timing is of the same computation, not of three different ones.

- engine: ``optimizers.run_race`` (what the app calls), outputs copied to NumPy.
- numpy:  a plain Python loop over steps, NumPy arithmetic, hand-written gradient and Hessian.
- optax:  ``optax.sgd`` / ``optax.sgd(momentum=)`` / ``optax.adam`` and a Newton step written as an
          ``optax.GradientTransformationExtraArgs``, each in one jitted ``lax.scan``.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from analysis.curvature import curvature_at
from landscapes import get_landscape
from landscapes.base import mean_loss
from optimizers import RunSettings, run_race, run_trajectories

LANDSCAPE = "rosenbrock"
OPTIMIZER_KEYS = ("sgd", "momentum", "adam", "newton")
SETTINGS = RunSettings(lr=1e-3, n_steps=500)


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``repeats`` calls of fn (time.perf_counter)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timed_once(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# ---- NumPy: the same updates in a plain Python loop ---------------------------------------------

def _rosenbrock_value_grad_hessian(theta, samples):
    """Mean over samples of (1-x)^2 + 100 (y-x^2)^2 + a_n . theta: value, gradient, Hessian."""
    x, y = theta
    surface = (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2
    surface_grad = np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])
    losses = surface + samples @ theta
    grads = surface_grad[None, :] + samples
    hessian = np.array([[2.0 - 400.0 * y + 1200.0 * x * x, -400.0 * x], [-400.0 * x, 200.0]])
    return losses.mean(), grads.mean(axis=0), hessian


def numpy_trajectory(key: str, start, samples, settings: RunSettings = SETTINGS):
    """(params (T+1, 2), loss (T+1,)) for one optimizer, one step at a time."""
    theta = np.array(start, dtype=float)
    v = np.zeros(2)
    m = np.zeros(2)
    s = np.zeros(2)
    lr, beta, b1, b2, eps = settings.lr, settings.momentum, settings.beta1, settings.beta2, settings.eps
    n = settings.n_steps
    params = np.empty((n + 1, 2))
    losses = np.empty(n + 1)
    grad_norms = np.empty(n + 1)
    for t in range(n + 1):
        loss, g, H = _rosenbrock_value_grad_hessian(theta, samples)
        params[t], losses[t], grad_norms[t] = theta, loss, np.sqrt(g @ g)
        if key == "sgd":
            theta = theta - lr * g
        elif key == "momentum":
            v = beta * v + g
            theta = theta - lr * v
        elif key == "adam":
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g * g
            m_hat = m / (1 - b1 ** (t + 1))
            s_hat = s / (1 - b2 ** (t + 1))
            theta = theta - lr * m_hat / (np.sqrt(s_hat) + eps)
        elif key == "newton":
            theta = theta - settings.newton_lr * np.linalg.solve(H, g)
        else:
            raise KeyError(key)
    return params, losses, grad_norms


# ---- optax: the same updates in one jitted lax.scan per optimizer ---------------------------------

def newton_transformation(lr: float) -> optax.GradientTransformationExtraArgs:
    """theta <- theta - lr H^-1 g as an optax transformation (optax has no Hessian-based step)."""

    def init(params):
        return optax.EmptyState()

    def update(updates, state, params=None, *, hessian):
        return -lr * jnp.linalg.solve(hessian, updates), state

    return optax.GradientTransformationExtraArgs(init, update)


def optax_transformation(key: str, settings: RunSettings = SETTINGS):
    if key == "sgd":
        return optax.sgd(settings.lr)
    if key == "momentum":
        return optax.sgd(settings.lr, momentum=settings.momentum)
    if key == "adam":
        return optax.adam(settings.lr, settings.beta1, settings.beta2, settings.eps)
    if key == "newton":
        return newton_transformation(settings.newton_lr)
    raise KeyError(key)


def make_optax_run(key: str, sample_loss, n_steps: int, settings: RunSettings = SETTINGS):
    """A jitted (start, samples, params) -> (thetas, losses, grad norms) for optimizer ``key``."""
    tx = optax_transformation(key, settings)
    needs_hessian = key == "newton"

    def loss(theta, samples, params):
        return mean_loss(sample_loss, theta, samples, params)

    @jax.jit
    def run(start, samples, params):
        def step(carry, _):
            theta, state = carry
            value, g = jax.value_and_grad(loss)(theta, samples, params)
            if needs_hessian:
                updates, state = tx.update(g, state, theta, hessian=jax.hessian(loss)(theta, samples, params))
            else:
                updates, state = tx.update(g, state, theta)
            return (optax.apply_updates(theta, updates), state), (theta, value, jnp.linalg.norm(g))

        _, records = jax.lax.scan(step, (start, tx.init(start)), None, length=n_steps + 1)
        return records

    return run


class RaceTiming(NamedTuple):
    implementation: str
    per_optimizer_ms: dict  # key -> median ms of that optimizer alone
    race_ms: float  # median ms of the whole race (all optimizers, one after the other)
    max_param_difference: float  # max |theta - theta_engine| over every step of every optimizer


def bench_race(engine_repeats: int = 30, optax_repeats: int = 30, numpy_repeats: int = 5) -> dict:
    """Warm timings of the default race; returns {'rows': [RaceTiming], 'cold_engine_s': ..., ...}."""
    landscape = get_landscape(LANDSCAPE)
    start = np.asarray(landscape.default_start, dtype=float)
    samples_np = np.asarray(landscape.samples)
    samples, params = landscape.samples, landscape.params

    # Engine: the first call compiles (reported), later calls are the warm timing.
    cold_engine_s, reference = timed_once(lambda: run_race(landscape, OPTIMIZER_KEYS, SETTINGS))

    # optax: compile each scan once, then time warm.
    runs = {key: make_optax_run(key, landscape.sample_loss, SETTINGS.n_steps) for key in OPTIMIZER_KEYS}
    start_j = jnp.asarray(start)

    def optax_one(key):
        return [np.asarray(r) for r in runs[key](start_j, samples, params)]

    cold_optax_s, optax_out = timed_once(lambda: {key: optax_one(key) for key in OPTIMIZER_KEYS})

    def numpy_one(key):
        return numpy_trajectory(key, start, samples_np)

    numpy_out = {key: numpy_one(key) for key in OPTIMIZER_KEYS}

    def difference(outputs):
        return max(float(np.max(np.abs(outputs[k][0] - reference[k].params[0]))) for k in OPTIMIZER_KEYS)

    rows = [
        RaceTiming(
            "engine (run_race)",
            {k: 1e3 * median_seconds(lambda k=k: run_trajectories(landscape, k, [start], SETTINGS), engine_repeats)
             for k in OPTIMIZER_KEYS},
            1e3 * median_seconds(lambda: run_race(landscape, OPTIMIZER_KEYS, SETTINGS), engine_repeats),
            0.0,
        ),
        RaceTiming(
            "optax in jitted lax.scan",
            {k: 1e3 * median_seconds(lambda k=k: optax_one(k), optax_repeats) for k in OPTIMIZER_KEYS},
            1e3 * median_seconds(lambda: [optax_one(k) for k in OPTIMIZER_KEYS], optax_repeats),
            difference(optax_out),
        ),
        RaceTiming(
            "plain NumPy loop",
            {k: 1e3 * median_seconds(lambda k=k: numpy_one(k), numpy_repeats) for k in OPTIMIZER_KEYS},
            1e3 * median_seconds(lambda: [numpy_one(k) for k in OPTIMIZER_KEYS], numpy_repeats),
            difference(numpy_out),
        ),
    ]
    statuses = {k: int(reference[k].status[0]) for k in OPTIMIZER_KEYS}
    final = {k: reference[k].params[0, -1].tolist() for k in OPTIMIZER_KEYS}
    return {
        "rows": rows,
        "cold_engine_s": cold_engine_s,
        "cold_optax_s": cold_optax_s,
        "statuses": statuses,
        "final": final,
        "repeats": {"engine": engine_repeats, "optax": optax_repeats, "numpy": numpy_repeats},
    }


def bench_curvature(repeats: int = 10, resolution: int = 120) -> list[dict]:
    """curvature_at on a resolution x resolution grid and along the 500-step Adam trajectory.

    The path comes from the NumPy loop (the same iterates as the engine's), so this benchmark
    compiles nothing but the readout and its first-call times are real compilations when it runs first."""
    landscape = get_landscape(LANDSCAPE)
    (x0, x1), (y0, y1) = landscape.domain
    X, Y = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.stack([X, Y], axis=-1)
    path = numpy_trajectory("adam", landscape.default_start, np.asarray(landscape.samples))[0]
    rows = []
    for label, points in ((f"{resolution}x{resolution} grid", grid), (f"{len(path)}-point trajectory", path)):
        cold, _ = timed_once(lambda p=points: curvature_at(landscape, p))
        warm = median_seconds(lambda p=points: curvature_at(landscape, p), repeats)
        n = int(np.prod(points.shape[:-1]))
        rows.append({"what": label, "points": n, "cold_ms": 1e3 * cold, "warm_ms": 1e3 * warm,
                     "us_per_point": 1e6 * warm / n})
    return rows


def race_table(result: dict) -> str:
    rows = result["rows"]
    engine = rows[0].race_ms
    header = ("| implementation | race (4 optimizers) ms | x engine | "
              + " | ".join(f"{k} ms" for k in OPTIMIZER_KEYS) + " | max abs(theta - engine) |")
    lines = [header, "|" + "---|" * (4 + len(OPTIMIZER_KEYS))]
    for r in rows:
        per = " | ".join(f"{r.per_optimizer_ms[k]:.2f}" for k in OPTIMIZER_KEYS)
        lines.append(f"| {r.implementation} | {r.race_ms:.2f} | {r.race_ms / engine:.2f} | {per} | "
                     f"{r.max_param_difference:.1e} |")
    return "\n".join(lines)


def curvature_table(rows: list[dict]) -> str:
    lines = ["| curvature_at on | points | first call ms | warm ms (median) | warm us/point |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['what']} | {r['points']} | {r['cold_ms']:.1f} | {r['warm_ms']:.2f} | {r['us_per_point']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = bench_race()
    print(race_table(result))
    print()
    print(curvature_table(bench_curvature()))
