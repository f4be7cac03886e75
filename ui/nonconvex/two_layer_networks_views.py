"""What the Two-layer networks page draws, one cached builder per section, keyed by that section's settings
(and ``present``, presentation mode, which sets type sizes): a rerun that changes nothing in a section costs a
dictionary look-up there, and a control rebuilds only its own section's figures.

The builders return plain dict figures with their arrays already encoded (``ui.charts.encode_arrays``), held
by ``st.cache_resource`` (no copy on a hit): treat them as read-only. The results they are built from stay in
``ui.nonconvex.compute``'s caches for the challenges, which read them only while they are shown.

Entry weights (pickle length of one return value, measured with the defaults) bound ``max_entries`` so that a
full cache stays under 50 MB: written next to each builder.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis.basins import DIVERGED, UNSETTLED, plateau_steps, product_curve
from analysis.curvature import curvature_at
from optimizers import OPTIMIZERS
from optimizers.engine import RunSettings
from ui import charts
from ui.compute import landscape_from, loss_grid
from ui.nonconvex import charts as nc
from ui.nonconvex import compute
from ui.theme import SEQUENCE, optimizer_color

PLATEAU_GAP = 0.01  # a plateau step: error still this far above the best minimum
PLATEAU_STEPS = 500
INIT_STEPS = 300


# 0.34 MB per entry (measured: the 120² grid twice, contour and surface): 64 entries ≤ 22 MB
@st.cache_resource(max_entries=64, show_spinner=False)
def surface(model: str, settings: tuple, present: bool) -> dict:
    """Section 1: the error as contours and as a surface, the critical points' table, the mirror symmetry."""
    landscape = landscape_from(model, settings)
    grid = loss_grid(model, settings)
    fig = nc.contour_figure(landscape, grid, "Error surface with its critical points", height=520)
    minima = landscape.minima()
    if model == "two_layer_linear" and minima:
        w_curve, v_curve = product_curve(minima[0].x * minima[0].y, landscape.domain)
        fig["data"].append({"type": "scatter", "x": np.asarray(w_curve), "y": np.asarray(v_curve), "mode": "lines",
                            "name": "v·w = product at the minima", "line": {"color": "white", "dash": "dash", "width": 2.5}})
    points = np.array([p.point for p in landscape.critical_points]).reshape(-1, 2)
    curv = curvature_at(landscape, points)
    gnorm = np.linalg.norm(np.asarray(landscape.gradient(points)), axis=-1)
    table = {
        "type": [p.kind for p in landscape.critical_points],
        "w": points[:, 0].round(4), "v": points[:, 1].round(4),
        "E": [round(p.loss, 5) for p in landscape.critical_points],
        "Hessian eigenvalues": [f"{a:.3g}, {b:.3g}" for a, b in curv.eigenvalues],
        "|∇E|": [f"{g:.1e}" for g in gnorm],
    }
    mirror = None
    if minima:
        m = minima[0]
        mirror = {"x": float(m.x), "y": float(m.y), "loss": float(m.loss), "mirror": float(landscape.loss(-m.point))}
    return {"map": charts.encode_arrays(fig), "surface": charts.encode_arrays(nc.surface_figure(landscape, grid, height=520)),
            "table": table, "mirror": mirror}


def init_run(lr: float) -> RunSettings:
    return RunSettings(lr=lr, n_steps=INIT_STEPS)


def init_starts(init_scale: float) -> tuple:
    """The start at zero and six small random starts (always the same directions, scaled)."""
    small = init_scale * np.random.default_rng(0).standard_normal((6, 2))
    return tuple(map(tuple, np.vstack([[0.0, 0.0], small])))


def init_trajectories(model: str, settings: tuple, init_scale: float, lr: float):
    return compute.runs_from(model, settings, "sgd", init_run(lr), init_starts(init_scale))


# 0.24 MB per entry (measured: the 120² grid, 7 paths of 301 steps): 128 entries ≤ 31 MB
@st.cache_resource(max_entries=128, show_spinner=False)
def zero_init(model: str, settings: tuple, init_scale: float, lr: float, present: bool) -> dict:
    """Section 2: GD from zero and from small random starts, on the map and as error curves."""
    landscape = landscape_from(model, settings)
    traj = init_trajectories(model, settings, init_scale, lr)
    n_starts = len(init_starts(init_scale))
    fig = nc.contour_figure(landscape, loss_grid(model, settings), "GD from zero and from small random starts", height=500)
    paths = {f"random start {i}": traj.path(i) for i in range(1, n_starts)}
    nc.add_named_paths(fig, paths, {k: SEQUENCE[(i + 1) % len(SEQUENCE)] for i, k in enumerate(paths)}, markers=False)
    zero = traj.path(0)
    fig["data"].append({"type": "scatter", "x": zero[:, 0], "y": zero[:, 1], "mode": "markers", "name": "start at zero: every iterate",
                        "marker": {"symbol": "circle-open", "size": 26, "color": "#D55E00", "line": {"width": 4}}})
    curves = {"start at zero": traj.losses(0), **{name: traj.losses(i + 1) for i, name in enumerate(paths)}}
    colors = {"start at zero": "#D55E00", **{k: SEQUENCE[(i + 1) % len(SEQUENCE)] for i, k in enumerate(paths)}}
    losses = nc.curves_figure(curves, colors, "Error during training", "E", widths={"start at zero": 5}, height=380)
    escaped = [float(np.linalg.norm(traj.path(i)[-1])) for i in range(1, n_starts)]
    return {"map": charts.encode_arrays(fig), "losses": charts.encode_arrays(losses),
            "moved": float(np.max(np.abs(zero))), "grad_at_zero": float(traj.grad_norms(0)[0]),
            "escaped": sum(e > 0.1 for e in escaped), "random_starts": len(escaped)}


def basin_run(lr: float, steps: int) -> RunSettings:
    return RunSettings(lr=lr, momentum=0.9, n_steps=int(steps))


def basin_map(model: str, settings: tuple, optimizer: str, lr: float, steps: int, resolution: int):
    return compute.basin_map(model, settings, optimizer, basin_run(lr, steps), int(resolution))


# Measured: 0.03-0.18 MB per entry at 128² (divergence / minimum / final loss), at most 0.28 MB at 160² (final
# loss, float64): 128 entries ≤ 36 MB
@st.cache_resource(max_entries=128, show_spinner=False)
def basins(model: str, settings: tuple, optimizer: str, lr: float, steps: int, resolution: int, color_by: str,
           present: bool) -> dict:
    """Section 3: the basin map and the shares of starts per minimum."""
    landscape = landscape_from(model, settings)
    basin = basin_map(model, settings, optimizer, lr, steps, resolution)
    fig = nc.basin_figure(basin, landscape, color_by, f"Basins: {OPTIMIZERS[optimizer].name}, η = {lr:g}, {basin.n_steps} steps")
    shares = basin.fractions()
    return {"map": charts.encode_arrays(fig), "minima": [(float(x), float(y)) for x, y in basin.minima],
            "shares": shares, "unsettled": shares.get(UNSETTLED, 0.0), "diverged": shares.get(DIVERGED, 0.0),
            "seconds": float(basin.seconds), "n_steps": int(basin.n_steps)}


def restart_run(lr: float) -> RunSettings:
    return RunSettings(lr=lr, n_steps=200)


# 8 kB per entry (measured: two small charts; the study's arrays stay in compute.restart_study): 256 entries ≤ 2 MB
@st.cache_resource(max_entries=256, show_spinner=False)
def restarts(key: str, settings: tuple, lr: float, k_max: int, n_trials: int, present: bool) -> dict:
    """Section 4: P(global minimum) against K, measured and predicted, and where single runs end."""
    study = compute.restart_study(key, settings, "sgd", restart_run(lr), k_max, n_trials, 0)
    minima = landscape_from(key, settings).minima()
    return {"p": charts.encode_arrays(nc.restart_figure(study.ks, study.measured, study.predicted, study.single_success)),
            "ends": charts.encode_arrays(nc.endpoint_figure(study.labels, np.array([m.point for m in minima]),
                                                            np.array([m.loss for m in minima]), study.global_loss)),
            "single_success": float(study.single_success), "measured": np.asarray(study.measured, dtype=float),
            "predicted": np.asarray(study.predicted, dtype=float)}


def plateau_run(lr: float) -> RunSettings:
    return RunSettings(lr=lr, momentum=0.9, n_steps=PLATEAU_STEPS)


# 0.39-0.43 MB per entry (measured, 4 and 6 optimizers: the error and gradient-norm grids, 120² each, the paths):
# 96 entries ≤ 41 MB
@st.cache_resource(max_entries=96, show_spinner=False)
def plateau(settings: tuple, optimizers: tuple, lr: float, grad_tol: float, present: bool) -> dict:
    """Section 5: the tanh network's error and gradient norm with the race across its plateau."""
    key = "two_layer_tanh"
    landscape = landscape_from(key, settings)
    start = tuple(landscape.default_start)
    names = {k: OPTIMIZERS[k].name for k in optimizers}
    xs, ys, G = compute.gradient_norm_grid(key, settings)
    traj = {k: compute.runs_from(key, settings, k, plateau_run(lr), (start,)) for k in optimizers}
    best = min((p.loss for p in landscape.minima()), default=0.0)
    loss_map = nc.contour_figure(landscape, loss_grid(key, settings), "Error E of the tanh network", height=480)
    grad_map = nc.gradient_norm_map(xs, ys, G, landscape, "Gradient norm |∇E| (dark = flat)", height=480)
    charts.add_paths(grad_map, {k: t.path(0) for k, t in traj.items()}, names)
    out = {"loss_map": charts.encode_arrays(loss_map), "grad_map": charts.encode_arrays(grad_map)}
    if traj:
        counts = {k: int(plateau_steps(t, best, grad_tol, PLATEAU_GAP)[0]) for k, t in traj.items()}
        out["losses"] = charts.encode_arrays(charts.series_figure(
            {k: t.losses(0) for k, t in traj.items()}, names, f"Error from ({start[0]:.2f}, {start[1]:.2f})", "E",
            log_y=False, height=360, as_dict=True))
        bar = charts.new_figure([{"type": "bar", "x": [names[k] for k in counts], "y": list(counts.values()),
                                  "marker": {"color": [optimizer_color(k) for k in counts]}, "text": [str(v) for v in counts.values()],
                                  "textposition": "outside"}])
        bar["layout"]["yaxis"] = {"title": {"text": "steps on the plateau"}, "range": [0, max(list(counts.values()) + [1]) * 1.2]}
        out["steps"] = charts.style(bar, f"Steps spent on the plateau (of {PLATEAU_STEPS})", 360, legend=False)
    return out
