"""The deep-network lab's core, timed: ``python -m bench.bench_networks``.

Rows (median of a few warm calls unless marked cold; wall time, time.perf_counter):

- the issue's target run: a 4 x 32 tanh network, 400 points (280 for training), 300 epochs at batch 32,
  momentum, a snapshot every 10 epochs (31 snapshots with every layer's statistics); one seed and 8 seeds;
- the decision-boundary maps: the output on a 100 x 100 grid at every snapshot;
- how a traced batch size is best handled, on the bare training loop (SGD, no snapshots, same network
  and data): a static gather of exactly B rows (B compiled in: one program per batch size), a mask over
  all training rows per step (one program, each step costs the whole data), and the chunked gather of
  ``networks.training`` (one program, ceil(B/32) chunks of 32 rows per step);
- compiled programs and memory mappings after a typical session, and traces after slider moves.

The machine is shared: the load average is printed with the table, and ratios within one run mean
more than absolute times.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from networks import TRACE_COUNTS, TrainSettings, compiled_program_count, feature_columns, grid_points, make_dataset
from networks import mlp, output_maps, train
from networks.model import example_losses, flatten_params, forward, init_params, unravel_function

TARGET = TrainSettings(optimizer="momentum", lr=0.05, batch_size=32, epochs=300, snapshot_every=10)


def timed(function, repeats: int = 3) -> tuple[float, float, float]:
    """(first call, median of ``repeats`` further calls, their median CPU time) in seconds. The CPU
    time (all threads of this process) is less disturbed than wall time when the box is shared."""
    start = time.perf_counter()
    function()
    first = time.perf_counter() - start
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return first, statistics.median(times), statistics.median(cpu)


def memory_mappings() -> int:
    try:
        return len(Path("/proc/self/maps").read_text().splitlines())
    except OSError:
        return -1


# ------------------------------------------------------------- three ways to take a minibatch of B


def _bare_loop(strategy: str, batch_static: int = 0, chunk: int = 32):
    """A jitted 'train E epochs of SGD' for one of the strategies (epochs and B traced unless static)."""
    net = mlp(2, [32] * 4, "tanh")
    unravel = unravel_function

    def run(theta, inputs, targets, epochs, batch, lr):
        unravel_ = unravel(net)
        n = inputs.shape[0]
        B = batch_static if strategy == "static" else batch
        steps = (n + B - 1) // B

        def loss_sum(theta, rows, weights):
            return weights @ example_losses("classification", forward(net, unravel_(theta), inputs[rows]), targets[rows])

        def epoch(e, theta):
            order = jax.random.permutation(jax.random.PRNGKey(e), n)
            padded = jnp.concatenate([order, jnp.zeros(2 * n + chunk, order.dtype)])
            place = jnp.argsort(order)  # where each row comes in this epoch's order

            def step(j, theta):
                count = jnp.minimum(B, n - j * B)
                if strategy == "static":
                    rows = jax.lax.dynamic_slice(padded, (j * B,), (batch_static,))
                    g = jax.grad(loss_sum)(theta, rows, (jnp.arange(batch_static) < count).astype(float))
                elif strategy == "mask":
                    weights = ((place >= j * B) & (place < j * B + count)).astype(float)
                    g = jax.grad(loss_sum)(theta, jnp.arange(n), weights)
                else:
                    def add(c, total):
                        rows = jax.lax.dynamic_slice(padded, (j * B + c * chunk,), (chunk,))
                        w = (c * chunk + jnp.arange(chunk) < count).astype(float)
                        return total + jax.grad(loss_sum)(theta, rows, w)
                    g = jax.lax.fori_loop(0, (B + chunk - 1) // chunk, add, jnp.zeros_like(theta))
                return theta - lr * g / count

            return jax.lax.fori_loop(0, steps, step, theta)

        return jax.lax.fori_loop(0, epochs, epoch, theta)

    return jax.jit(run), net


def bench_batch_strategies(epochs: int = 100) -> list[tuple[str, int, float]]:
    data = make_dataset("moons", 400, 0.1, 0)
    inputs, targets = data.train
    rows = []
    for strategy in ("static", "mask", "chunked"):
        shared = None if strategy == "static" else _bare_loop(strategy)
        for batch in (8, 32, 128):
            program, net = _bare_loop(strategy, batch) if strategy == "static" else shared
            theta = flatten_params(init_params(net, 0))
            args = (theta, inputs, targets, np.int32(epochs), np.int32(batch), np.float64(0.05))
            _, warm, _ = timed(lambda: program(*args).block_until_ready(), repeats=2)
            rows.append((strategy, batch, warm))
    return rows


# ------------------------------------------------------------------------------------ the rows


def bench() -> dict:
    data = make_dataset("moons", 400, 0.1, 0)
    net = mlp(data.n_inputs, [32] * 4, "tanh")
    grid, _ = grid_points(data.domain, 100)
    grid_inputs = feature_columns(grid, data.feature_names)
    results = {"load_before": os.getloadavg(), "mappings_before": memory_mappings()}
    results["one_seed"] = timed(lambda: train(net, data, TARGET))
    results["eight_seeds"] = timed(lambda: train(net, data, TARGET, seeds=range(8)))
    one = train(net, data, TARGET)
    eight = train(net, data, TARGET, seeds=range(8))
    results["maps_one"] = timed(lambda: output_maps(one, grid_inputs))
    results["maps_eight"] = timed(lambda: output_maps(eight, grid_inputs), repeats=1)
    results["programs"] = compiled_program_count()
    results["mappings_after"] = memory_mappings()
    traces = sum(TRACE_COUNTS.values())
    moves = [dict(lr=0.1), dict(momentum=0.5), dict(batch_size=8), dict(batch_size=100), dict(weight_scale=2.0),
             dict(bias_scheme="constant", bias_value=0.3), dict(seed=3), dict(epochs=250)]
    slider_times = []
    for move in moves:
        start = time.perf_counter()
        output_maps(train(net, make_dataset("moons", 400, 0.2, 1), TARGET.replace(**move)), grid_inputs)
        slider_times.append(time.perf_counter() - start)
    results["slider_retraces"] = sum(TRACE_COUNTS.values()) - traces
    results["slider_median"] = statistics.median(slider_times)
    results["programs_after_sliders"] = compiled_program_count()
    results["batch_strategies"] = bench_batch_strategies()
    results["load_after"] = os.getloadavg()
    return results


def table(results: dict) -> str:
    load = lambda values: ", ".join(f"{v:.1f}" for v in values)  # noqa: E731
    rows = [
        "| what | first call (compiles) | warm (wall) | warm (CPU) | target |",
        "|---|---|---|---|---|",
        f"| 4x32 tanh, 400 points, 300 epochs, batch 32, 31 snapshots, 1 seed | {results['one_seed'][0]:.1f} s "
        f"| {results['one_seed'][1]:.3f} s | {results['one_seed'][2]:.3f} s | <= 0.5 s |",
        f"| the same, 8 seeds in one call | {results['eight_seeds'][0]:.1f} s | {results['eight_seeds'][1]:.3f} s "
        f"| {results['eight_seeds'][2]:.3f} s | <= 2 s |",
        f"| decision maps, 100x100 grid x 31 snapshots, 1 seed | {results['maps_one'][0]:.2f} s "
        f"| {results['maps_one'][1]:.3f} s | {results['maps_one'][2]:.3f} s | |",
        f"| decision maps, 8 seeds x 31 snapshots | {results['maps_eight'][0]:.2f} s | {results['maps_eight'][1]:.3f} s "
        f"| {results['maps_eight'][2]:.3f} s | |",
        "",
        f"Compiled programs of `networks` after these calls: {results['programs']} "
        f"(memory mappings {results['mappings_before']} -> {results['mappings_after']}). "
        f"8 slider moves (lr, momentum, batch 8 and 100, init scale, bias, seed, epochs) with a new noisy "
        f"dataset each: {results['slider_retraces']} retraces, programs now {results['programs_after_sliders']}, "
        f"median {results['slider_median']:.2f} s per move (train + maps).",
        "",
        "Taking a minibatch of a traced size B (bare SGD loop, 4x32 tanh, 280 points, 100 epochs, warm):",
        "",
        "| strategy | programs | B = 8 | B = 32 | B = 128 |",
        "|---|---|---|---|---|",
    ]
    by_strategy: dict[str, dict[int, float]] = {}
    for strategy, batch, seconds in results["batch_strategies"]:
        by_strategy.setdefault(strategy, {})[batch] = seconds
    labels = {"static": ("static gather of B rows", "one per B"), "mask": ("mask over all rows", "1"),
              "chunked": ("chunked gather, 32-row chunks (used)", "1")}
    for strategy, times in by_strategy.items():
        label, programs = labels[strategy]
        rows.append(f"| {label} | {programs} | " + " | ".join(f"{times[b]:.3f} s" for b in (8, 32, 128)) + " |")
    rows += ["", f"Load average before {load(results['load_before'])}, after {load(results['load_after'])} "
             f"({os.cpu_count()} cores)."]
    return "\n".join(rows)


def main() -> int:
    print(table(bench()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
