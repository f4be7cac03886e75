"""The issue's engine benchmark: the full-batch race of the seven first-order optimizers, 500 steps on
Rosenbrock, with every readout the app shows, against optax and a NumPy loop, in one run.

    python -m bench.bench_race

- engine: ``run_race`` (one compiled call: every optimizer of the race, plus the loss, gradient norm
  and Hessian at every iterate, divergence bookkeeping), outputs copied to NumPy.
- optax: the same seven update rules from optax (Nesterov, AdaGrad, RMSProp mapped as in
  tests/test_optimizers_vs_optax.py), all advanced in one jitted ``lax.scan`` over the analytic
  Rosenbrock surface, recording the loss and |grad L| (what the issue measured).
- numpy: a plain Python loop per optimizer.
The iterates are compared, so the three do the same computation. Engine and optax are timed twice:
end to end (settings in, NumPy arrays out) and the compiled call alone (device arrays out), and the
engine's Python around its call (settings checked and turned into arrays, records split per
optimizer) is timed apart.

    python -m bench.bench_race --basins

adds the basin map the issue asks for: GD from every start of a 256 x 256 grid, 500 steps, on the
two-layer tanh network (what ``analysis.basins.basin_map`` does, at a resolution above the page's
limit), warm, including the labels.
"""

from __future__ import annotations

import statistics
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from landscapes import get_landscape
from landscapes.analytic import rosenbrock_surface
from optimizers import RunSettings, engine, run_race
from programs import compiled_call

FIRST_ORDER = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
SETTINGS = RunSettings(lr=1e-3, n_steps=500, weight_decay=0.01)


def _optax(key: str, s: RunSettings):
    return {
        "sgd": optax.sgd(s.lr),
        "momentum": optax.sgd(s.lr, momentum=s.momentum),
        "nesterov": optax.sgd(s.lr, momentum=s.momentum, nesterov=True),
        "adagrad": optax.adagrad(s.lr, initial_accumulator_value=0.0, eps=s.eps),
        "rmsprop": optax.rmsprop(s.lr, decay=s.beta2, eps=s.eps, eps_in_sqrt=False),
        "adam": optax.adam(s.lr, s.beta1, s.beta2, s.eps),
        "adamw": optax.adamw(s.lr, s.beta1, s.beta2, s.eps, weight_decay=s.weight_decay),
    }[key]


def _loss(theta):
    return rosenbrock_surface(theta, {})


def optax_race(start, n_steps: int, settings: RunSettings = SETTINGS):
    transforms = [_optax(k, settings) for k in FIRST_ORDER]
    value_and_grad = jax.value_and_grad(_loss)

    @jax.jit
    def run(theta0):
        thetas = tuple(theta0 for _ in transforms)
        states = tuple(tx.init(theta0) for tx in transforms)

        def step(carry, _):
            thetas, states = carry
            new_thetas, new_states, records = [], [], []
            for tx, theta, state in zip(transforms, thetas, states):
                loss, g = value_and_grad(theta)
                updates, state = tx.update(g, state, theta)
                new_thetas.append(optax.apply_updates(theta, updates))
                new_states.append(state)
                records.append((theta, loss, jnp.linalg.norm(g)))
            return (tuple(new_thetas), tuple(new_states)), tuple(records)

        _, records = jax.lax.scan(step, (thetas, states), None, length=n_steps + 1)
        return records

    return run


def numpy_race(start, n_steps: int, s: RunSettings = SETTINGS) -> dict:
    out = {}
    for key in FIRST_ORDER:
        theta = np.array(start, dtype=float)
        v = np.zeros(2); m = np.zeros(2); r = np.zeros(2)
        path = np.empty((n_steps + 1, 2))
        for t in range(n_steps + 1):
            x, y = theta
            g = np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])
            path[t] = theta
            if key == "sgd":
                theta = theta - s.lr * g
            elif key == "momentum":
                v = s.momentum * v + g; theta = theta - s.lr * v
            elif key == "nesterov":
                v = s.momentum * v + g; theta = theta - s.lr * (g + s.momentum * v)
            elif key == "adagrad":
                r = r + g * g; theta = theta - s.lr * g / np.sqrt(r + s.eps)
            elif key == "rmsprop":
                r = s.beta2 * r + (1 - s.beta2) * g * g; theta = theta - s.lr * g / (np.sqrt(r) + s.eps)
            else:
                m = s.beta1 * m + (1 - s.beta1) * g; r = s.beta2 * r + (1 - s.beta2) * g * g
                m_hat = m / (1 - s.beta1 ** (t + 1)); r_hat = r / (1 - s.beta2 ** (t + 1))
                step = m_hat / (np.sqrt(r_hat) + s.eps)
                theta = theta - s.lr * (step + (s.weight_decay * theta if key == "adamw" else 0.0))
        out[key] = path
    return out


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def engine_call(landscape, settings: RunSettings = SETTINGS):
    """The compiled call inside ``run_race`` with its arguments prepared once (device arrays out)."""
    run = engine._run_arrays(settings, landscape, 1, None)
    static = (engine.loss_model(landscape), engine.step_bucket(settings.n_steps))
    args = (engine._full_batch(run, landscape.n_samples), np.asarray([landscape.default_start], dtype=float),
            np.full(1, settings.seed, dtype=np.uint32), landscape.samples, landscape.params, run)
    return lambda: jax.block_until_ready(compiled_call(engine._race_batch, static, args))


def basin_bench(resolution: int = 256, n_steps: int = 500, key: str = "two_layer_tanh") -> tuple[float, float, float]:
    """(cold, warm wall, warm CPU) seconds of a resolution^2-start, n_steps GD basin map: end points only
    (``optimizers.engine.run_endpoints``, what ``analysis.basins.basin_map`` runs), labels and settle steps."""
    from analysis.basins import settle_radius, start_grid
    from optimizers.engine import run_endpoints

    landscape = get_landscape(key)
    _, _, starts = start_grid(landscape.domain, resolution)
    minima = np.array([m.point for m in landscape.minima()]).reshape(-1, 2)
    settings = RunSettings(lr=0.3 if key == "two_layer_tanh" else 0.01, n_steps=n_steps)

    def basin():
        return run_endpoints(landscape, "sgd", starts, settings, minima, settle_radius(landscape.domain))

    began = time.perf_counter()
    basin()
    cold = time.perf_counter() - began
    cpu = time.process_time()
    warm = _median(basin, 3)
    return cold, warm, (time.process_time() - cpu) / 3


def main() -> None:
    landscape = get_landscape("rosenbrock")
    start = np.asarray(landscape.default_start)
    began = time.perf_counter()
    race = run_race(landscape, FIRST_ORDER, SETTINGS)
    cold = time.perf_counter() - began
    engine_s = _median(lambda: run_race(landscape, FIRST_ORDER, SETTINGS), 50)
    call = engine_call(landscape)
    call()
    engine_call_s = _median(call, 50)

    run = optax_race(start, SETTINGS.n_steps)
    records = jax.block_until_ready(run(jnp.asarray(start)))
    optax_s = _median(lambda: [np.asarray(a) for rec in jax.block_until_ready(run(jnp.asarray(start))) for a in rec], 50)
    optax_call_s = _median(lambda: jax.block_until_ready(run(jnp.asarray(start))), 50)
    numpy_paths = numpy_race(start, SETTINGS.n_steps)
    numpy_s = _median(lambda: numpy_race(start, SETTINGS.n_steps), 3)

    optax_gap = max(float(np.max(np.abs(np.asarray(records[i][0]) - race[k].params[0]))) for i, k in enumerate(FIRST_ORDER))
    numpy_gap = max(float(np.max(np.abs(numpy_paths[k] - race[k].params[0]))) for k in FIRST_ORDER)
    print("| what | median | optax / it (speed vs optax) |")
    print("|---|---|---|")
    print(f"| engine `run_race` end to end (all 11 optimizers + loss, gradient norm, Hessian per iterate, NumPy out) "
          f"| {engine_s * 1e3:.2f} ms | {optax_s / engine_s:.2f} |")
    print(f"| engine compiled call alone | {engine_call_s * 1e3:.2f} ms | {optax_call_s / engine_call_s:.2f} |")
    print(f"| engine Python around the call (end to end minus call) | {(engine_s - engine_call_s) * 1e3:.2f} ms | |")
    print(f"| optax, 7 first-order in one jitted scan (loss, gradient norm, NumPy out) | {optax_s * 1e3:.2f} ms | 1.00 |")
    print(f"| optax compiled call alone | {optax_call_s * 1e3:.2f} ms | 1.00 |")
    print(f"| NumPy loop, 7 first-order | {numpy_s * 1e3:.1f} ms | NumPy / engine: {numpy_s / engine_s:.1f} |")
    print(f"\nfirst race in this process (compile or persistent-cache load): {cold:.1f} s; "
          f"largest iterate difference vs optax {optax_gap:.1e}, vs NumPy {numpy_gap:.1e}")
    if "--basins" in sys.argv[1:]:
        for key in ("himmelblau", "two_layer_tanh"):
            basin_cold, basin_warm, basin_cpu = basin_bench(key=key)
            print(f"basin map 256^2 starts x 500 GD steps, {key}: first {basin_cold:.1f} s, warm {basin_warm:.2f} s "
                  f"(CPU {basin_cpu:.2f} s)")
    with open("/proc/loadavg") as load:
        print(f"load average: {load.read().split()[:3]}")


if __name__ == "__main__":
    main()
