"""Compilations over a scripted sequence of slider changes: after warm-up there should be none.

The script is what a student does on the race page: move one slider at a time (each change keeps the
earlier ones, as the widgets do) and the page reruns the race with the new settings, then reads the
curvature along every path (as ``ui.compute.race`` does). Counted per call:

- ``optimizers.engine.TRACE_COUNTS``: how often a trajectory program was traced;
- XLA backend compilations of any program (``jax.monitoring``'s backend-compile event), during the
  race and during the curvature readout separately.
"""

from __future__ import annotations

import statistics
import time

from jax import monitoring

from analysis.curvature import curvature_at
from landscapes import get_landscape
from optimizers import RunSettings, run_race
from optimizers.engine import TRACE_COUNTS

LANDSCAPE = "rosenbrock"
OPTIMIZER_KEYS = ("sgd", "momentum", "adam", "newton")
BASE = RunSettings(lr=1e-3, n_steps=500)
BACKEND_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"

#: (slider, change) pairs, applied cumulatively. "start" is the race's start point, not a setting.
SLIDER_SCRIPT: list[tuple[str, dict]] = [
    ("lr", {"lr": 3e-3}),
    ("lr", {"lr": 1e-2}),
    ("lr", {"lr": 3e-4}),
    ("momentum", {"momentum": 0.5}),
    ("momentum", {"momentum": 0.99}),
    ("beta1", {"beta1": 0.8}),
    ("beta2", {"beta2": 0.99}),
    ("beta2", {"beta2": 0.9999}),
    ("eps", {"eps": 1e-6}),
    ("newton_lr", {"newton_lr": 0.5}),
    ("batch size", {"batch_size": 32}),
    ("batch size", {"batch_size": 8}),
    ("batch size", {"batch_size": 1}),
    ("sampling", {"sampling": "replacement"}),
    ("sampling", {"sampling": "sorted"}),
    ("seed", {"seed": 1}),
    ("seed", {"seed": 7}),
    ("schedule", {"schedule": "step", "gamma": 0.5, "step_size": 100}),
    ("schedule gamma", {"gamma": 0.8}),
    ("schedule", {"schedule": "exponential"}),
    ("schedule", {"schedule": "cyclical", "period": 50}),
    ("schedule", {"schedule": "cosine", "min_ratio": 0.05}),
    ("warm-up", {"warmup_steps": 20}),
    ("start point", {"start": (0.0, 0.0)}),
    ("start point", {"start": (1.5, -0.5)}),
    ("clip norm", {"clip_norm": 1.0}),
    ("clip value", {"clip_value": 0.5}),
    ("clipping off", {"clip_norm": float("inf"), "clip_value": float("inf")}),
    ("steps (same bucket)", {"n_steps": 450}),
    ("batch size", {"batch_size": None}),
    ("lr", {"lr": 1e-3}),
]


class _CompileCounter:
    def __init__(self):
        self.count = 0
        self.names: list[str] = []

    def __call__(self, event, duration, **kwargs):
        if event == BACKEND_COMPILE_EVENT:
            self.count += 1
            self.names.append(str(kwargs.get("fun_name", "?")))


def bench_compiles() -> dict:
    landscape = get_landscape(LANDSCAPE)
    counter = _CompileCounter()
    monitoring.register_event_duration_secs_listener(counter)
    try:
        traces_before = sum(TRACE_COUNTS.values())
        start = time.perf_counter()
        run_race(landscape, OPTIMIZER_KEYS, BASE)
        warmup = {
            "seconds": time.perf_counter() - start,
            "traces": sum(TRACE_COUNTS.values()) - traces_before,
            "xla_compiles": counter.count,
        }
        settings, start_point = BASE, None
        calls = []
        for slider, change in SLIDER_SCRIPT:
            change = dict(change)
            if "start" in change:
                start_point = change.pop("start")
            settings = settings.replace(**change) if change else settings
            traces, compiles, names = sum(TRACE_COUNTS.values()), counter.count, len(counter.names)
            t0 = time.perf_counter()
            race = run_race(landscape, OPTIMIZER_KEYS, settings, start=start_point)
            t1 = time.perf_counter()
            race_compiles, race_names = counter.count - compiles, len(counter.names)
            for trajectories in race.values():
                curvature_at(landscape, trajectories.path(0))
            t2 = time.perf_counter()
            calls.append({
                "slider": slider,
                "ms": 1e3 * (t1 - t0),
                "readout_ms": 1e3 * (t2 - t1),
                "traces": sum(TRACE_COUNTS.values()) - traces,
                "xla_compiles": race_compiles,
                "readout_compiles": counter.count - compiles - race_compiles,
                "compiled": counter.names[names:race_names],
                "path_lengths": sorted({len(t.path(0)) for t in race.values()}),
            })
    finally:
        monitoring.unregister_event_duration_listener(counter)
    return {"warmup": warmup, "calls": calls}


def compiles_table(result: dict) -> str:
    w, calls = result["warmup"], result["calls"]
    ms = [c["ms"] for c in calls]
    readout = [c["readout_ms"] for c in calls]
    lines = [
        "| phase | calls | engine traces | XLA compiles (race) | race ms per call (median / max) "
        "| XLA compiles (curvature along paths) | curvature ms per call (median / max) |",
        "|---|---|---|---|---|---|---|",
        f"| warm-up (first race) | 1 | {w['traces']} | {w['xla_compiles']} | {1e3 * w['seconds']:.0f} | | |",
        f"| {len(calls)} slider changes | {len(calls)} | {sum(c['traces'] for c in calls)} | "
        f"{sum(c['xla_compiles'] for c in calls)} | {statistics.median(ms):.1f} / {max(ms):.1f} | "
        f"{sum(c['readout_compiles'] for c in calls)} | {statistics.median(readout):.1f} / {max(readout):.1f} |",
    ]
    recompiled = [c for c in calls if c["traces"] or c["xla_compiles"]]
    if recompiled:
        lines.append("")
        lines.append("The race recompiled on: "
                     + "; ".join(f"{c['slider']} ({', '.join(c['compiled'])})" for c in recompiled))
    readout = [c for c in calls if c["readout_compiles"]]
    if readout:
        lines.append("")
        lines.append("The curvature readout along the paths compiled on: "
                     + "; ".join(f"{c['slider']} (path lengths {', '.join(map(str, c['path_lengths']))})"
                                 for c in readout)
                     + ". `curvature_at` pads its points to one of a few lengths (1 + each step bucket), so "
                       "each padded length compiles once, the first time a path of that size appears.")
    return "\n".join(lines)


def per_call_table(result: dict) -> str:
    lines = ["| # | slider | race ms | engine traces | XLA compiles (race) | path lengths "
             "| curvature ms | XLA compiles (curvature) |", "|---|---|---|---|---|---|---|---|"]
    for i, c in enumerate(result["calls"], 1):
        lengths = ", ".join(map(str, c["path_lengths"]))
        lines.append(f"| {i} | {c['slider']} | {c['ms']:.1f} | {c['traces']} | {c['xla_compiles']} | {lengths} "
                     f"| {c['readout_ms']:.1f} | {c['readout_compiles']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    result = bench_compiles()
    print(compiles_table(result))
    print()
    print(per_call_table(result))
