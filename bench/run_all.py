"""Run every benchmark once and write the markdown table: ``python -m bench.run_all`` (``make bench``).

Prints the table and writes it to bench/results/latest.md (git-ignored). The compile count runs
before the race timing, so its warm-up row shows the real first compilation of the race.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import jax
import numpy as np
import optax

from bench.machine import cpu_name
from bench.bench_compiles import bench_compiles, compiles_table, per_call_table
from bench.bench_trajectories import bench_curvature, bench_race, curvature_table, race_table

RESULTS = Path(__file__).resolve().parent / "results" / "latest.md"


def machine_note() -> str:
    cpu = cpu_name()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores; "
        f"Python {platform.python_version()}, jax {jax.__version__} ({jax.default_backend()}), "
        f"optax {optax.__version__}, numpy {np.__version__}; load average at start {load}"
    )


def report() -> str:
    started = time.perf_counter()
    header = [
        "# Benchmarks",
        "",
        f"Run {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} on {machine_note()}.",
        "",
    ]
    curvature = bench_curvature()  # compiles only the readout, so its first calls are cold
    compiles = bench_compiles()  # before bench_race, so its warm-up is the first trajectory compile
    race = bench_race()
    r = race["repeats"]
    body = [
        "## Default race, warm (rosenbrock, sgd/momentum/adam/newton, 500 steps, lr 1e-3, full batch)",
        "",
        f"Median of {r['engine']} (engine), {r['optax']} (optax) and {r['numpy']} (NumPy) repeats, "
        "time.perf_counter, outputs copied to NumPy. `x engine` < 1 is faster than the engine. "
        "The last column checks that all three computed the same iterates.",
        "",
        race_table(race),
        "",
        f"First (compiling) call of the race: engine {compiles['warmup']['seconds']:.2f} s "
        f"({compiles['warmup']['xla_compiles']} XLA compilations, no persistent cache), "
        f"the four optax scans {race['cold_optax_s']:.2f} s.",
        "",
        "## Compilations over scripted slider changes (run_race after each change)",
        "",
        compiles_table(compiles),
        "",
        "<details><summary>Per call</summary>",
        "",
        per_call_table(compiles),
        "",
        "</details>",
        "",
        "## Hessian readout (analysis.curvature.curvature_at, rosenbrock)",
        "",
        curvature_table(curvature),
        "",
        f"Total benchmark time {time.perf_counter() - started:.0f} s.",
        "",
    ]
    return "\n".join(header + body)


def main() -> int:
    text = report()
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(f"Wrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
