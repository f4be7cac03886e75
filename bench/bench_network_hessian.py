"""The Hessian of a network, timed: exact (jax.hessian + eigvalsh) against Lanczos on HVPs.

``python -m bench.bench_network_hessian`` prints a table (and writes it to
bench/results/network_hessian.md with ``--write``). For tanh networks of growing width on 280
training points of the moons data: the parameter count P, the exact Hessian's compile and warm
time, its memory (P^2 doubles) and eigvalsh's time; Lanczos's warm time for k HVP steps (top
eigenvalues) and its memory (the m x P basis). Warm times are medians of 3 calls; the box is shared,
so CPU time (``time.process_time``, all threads) is given next to wall time and the load average is
printed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from networks import make_dataset, mlp
from networks.hessian import EXACT_LIMIT, hessian, lanczos_top, n_parameters, training_data
from networks.model import flatten_params, init_params

WIDTHS = (4, 8, 16, 24, 32, 48, 64)
STEPS = (16, 32, 64)


def timed(function, repeats: int = 3):
    start = time.perf_counter()
    function()
    first = time.perf_counter() - start
    wall, cpu = [], []
    for _ in range(repeats):
        a, b = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - a)
        cpu.append(time.process_time() - b)
    return first, statistics.median(wall), statistics.median(cpu)


def bench(widths=WIDTHS, steps=STEPS) -> dict:
    data = make_dataset("moons", 400, 0.1, 0)
    prepared = training_data(data)
    rows = []
    load_before = os.getloadavg()
    for width in widths:
        net = mlp(2, [width, width], "tanh")
        P = n_parameters(net)
        theta = flatten_params(init_params(net, 0))
        row = {"width": width, "P": P}
        if P <= EXACT_LIMIT:
            row["exact"] = timed(lambda: hessian(net, theta, prepared))
            H = hessian(net, theta, prepared)
            row["eigvalsh"] = timed(lambda: np.linalg.eigvalsh(H))
            row["exact_top"] = np.linalg.eigvalsh(H)[::-1][:3]
        for m in steps:
            row[f"lanczos_{m}"] = timed(lambda: lanczos_top(net, theta, prepared, k=3, steps=m))
            row[f"lanczos_top_{m}"] = lanczos_top(net, theta, prepared, k=3, steps=m)
        rows.append(row)
    return {"rows": rows, "steps": steps, "load_before": load_before, "load_after": os.getloadavg()}


def table(results: dict) -> str:
    steps = results["steps"]
    lines = ["| net (2 hidden tanh) | P | exact H: first call | warm wall / CPU | H memory (P^2 x 8 B) | eigvalsh wall / CPU | "
             + " | ".join(f"Lanczos {m} HVPs: warm wall / CPU (basis {m} x P)" for m in steps)
             + " | top-3 error of Lanczos " + "/".join(str(m) for m in steps) + " |",
             "|---|---|---|---|---|---|" + "---|" * len(steps) + "---|"]
    for row in results["rows"]:
        P = row["P"]
        if "exact" in row:
            first, wall, cpu = row["exact"]
            exact = f"{first:.2f} s | {wall:.3f} / {cpu:.3f} s | {P * P * 8 / 1e6:.2f} MB | {row['eigvalsh'][1]:.3f} / {row['eigvalsh'][2]:.3f} s"
            errors = "/".join(f"{np.max(np.abs(row[f'lanczos_top_{m}'] - row['exact_top'])):.1e}" for m in steps)
        else:
            exact, errors = f"(over {EXACT_LIMIT}) | | {P * P * 8 / 1e6:.0f} MB | ", "n/a"
        lanczos = " | ".join(f"{row[f'lanczos_{m}'][1]:.3f} / {row[f'lanczos_{m}'][2]:.3f} s "
                             f"({m * P * 8 / 1e6:.2f} MB)" for m in steps)
        lines.append(f"| 2 x {row['width']} | {P} | {exact} | {lanczos} | {errors} |")
    load = lambda v: ", ".join(f"{x:.1f}" for x in v)  # noqa: E731
    lines += ["", f"Load average before {load(results['load_before'])}, after {load(results['load_after'])} "
              f"({os.cpu_count()} cores). 280 training points (moons, 400 points), glorot-normal initialization."]
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = table(bench())
    print(text)
    if "--write" in argv:
        path = Path(__file__).parent / "results" / "network_hessian.md"
        header = ("# The Hessian of a network: exact against Lanczos\n\n"
                  "`python -m bench.bench_network_hessian --write`. The exact Hessian costs P^2 memory and\n"
                  "its eigendecomposition O(P^3) time; Lanczos costs m HVPs (each a few gradients' work) and\n"
                  "an m x P basis.\n\n")
        path.write_text(header + text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
