"""Cached bridges for the Curvature lab pages: plain, hashable arguments in, NumPy data and figures out.

Two layers, as in ``ui.compute``:

- **results** (``st.cache_data``): the runs and measurements, keyed by the settings that make them;
- **views** (``st.cache_resource``): everything a page section draws from those results that does not
  depend on anything else (its dict figures with their arrays already encoded, readouts, table rows), keyed
  by the same settings plus presentation mode (which sets type sizes). A rerun with nothing new to compute
  is then a few dictionary look-ups. ``st.cache_resource`` hands back the same objects to every session
  (no copy): callers treat them as read-only and build new top-level figure dicts around them.

Bounds (issue 11): each cache's ``max_entries`` keeps a full cache under ~50 MB; the weights in the comments
are pickle lengths of one entry at the pages' defaults and at the largest settings the widgets allow
(measured 2026-12-01; table in bench/results/reruns_curvature.md).
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import streamlit as st

from analysis import conditioning as cond
from analysis import normalization as norm
from analysis import second_order as so
from analysis import second_order_cost as cost
from analysis import theory
from analysis.curvature import curvature_at
from analysis.summary import steps_to_tolerance
from optimizers import OPTIMIZERS, RunSettings, run_trajectories
from optimizers.engine import Trajectories
from ui import charts
from ui.compute import loss_grid
from ui.curvature import charts as cc


def _encoded(fig: dict) -> dict:
    return charts.encode_arrays(fig)


def _contour_float32(fig: dict) -> dict:
    """The map's contour grid as float32 (half the bytes to hash and send; colours need no more)."""
    first = fig["data"][0]
    first = {**first, "z": np.asarray(first["z"], dtype=np.float32)}
    return {**fig, "data": [first, *fig["data"][1:]]}


def _with_paths(base: dict, paths: dict, names: dict) -> dict:
    """A new figure: a cached map's traces, then a line and a head marker per path (``ui.charts.add_paths``)."""
    data = list(base["data"])
    for key, path in paths.items():
        data.extend(charts.path_traces(key, names.get(key, key), path))
    return _encoded({"data": data, "layout": base["layout"]})


# ---- conditioning ---------------------------------------------------------------------------------

def quadratic_settings(eigenvalues: tuple, angle: float) -> tuple:
    """The settings items of ``cond.quadratic_landscape`` (for ``ui.compute.loss_grid``)."""
    return tuple(sorted({"eigenvalues": tuple(float(v) for v in eigenvalues), "angle": float(angle),
                         "noise": 0.0, "n_samples": 1}.items()))


# 7.7 kB at 150 steps, 48.5 kB at 1000 (a Trajectories with S = 1): full, <= 6.2 MB.
@st.cache_data(max_entries=128, show_spinner=False)
def quadratic_run(eigenvalues: tuple, angle: float, optimizer: str, lr: float, n_steps: int, start: tuple,
                  beta: float = 0.0) -> Trajectories:
    return cond.run_quadratic(eigenvalues, angle, optimizer, lr, n_steps, start, beta)


# 17.2 kB at 31 cells per side, 29.6 kB at 41 (a RateMap: five small arrays): full, <= 1 MB.
@st.cache_data(max_entries=32, show_spinner=False)
def rate_map(eigenvalues: tuple, angle: float, side: int, n_steps: int, start: tuple) -> cond.RateMap:
    lrs, betas = cond.rate_map_axes(max(eigenvalues), side, side)
    return cond.rate_map(eigenvalues, angle, lrs, betas, start, n_steps)


# 85.8 kB (the 120 x 120 contour as float32 in base64, the critical point): full, 5.5 MB.
@st.cache_resource(max_entries=64, show_spinner=False)
def bowl_map(eigenvalues: tuple, angle: float, title: str, height: int, present: bool) -> dict:
    """The bowl's contour map without paths (axes titled θ₁, θ₂, as the page always had them)."""
    fig = charts.contour_map(cond.quadratic_landscape(eigenvalues, angle), loss_grid("quadratic", quadratic_settings(eigenvalues, angle)),
                             title, height=height, as_dict=True)
    layout = {**fig["layout"], "xaxis": {**fig["layout"]["xaxis"], "title": {"text": "θ₁"}},
              "yaxis": {**fig["layout"]["yaxis"], "title": {"text": "θ₂"}}}
    return _encoded(_contour_float32({"data": fig["data"], "layout": layout}))


# 111 kB at 150 steps, 238 kB at 1000 (the run, the map with its path, two line charts): full, <= 11.4 MB.
@st.cache_resource(max_entries=48, show_spinner=False)
def gd_views(eigenvalues: tuple, angle: float, lr: float, steps: int, start: tuple, present: bool) -> dict:
    """The gradient-descent run and its three charts: the path on the bowl, the error along each
    eigen-direction against its formula, the loss against its formula."""
    lam = np.asarray(eigenvalues, dtype=float)
    gd = quadratic_run(eigenvalues, angle, "sgd", lr, steps, start)
    path = gd.path(0)
    errors = cond.eigen_errors(path, angle)
    predicted = cond.predicted_eigen_errors(lr, lam, errors[0], len(path) - 1)
    contraction = theory.contraction_factors(lr, lam)
    return {
        "gd": gd,
        "map": _with_paths(bowl_map(eigenvalues, angle, "The bowl and the gradient-descent path", 480, present),
                           {"sgd": path}, {"sgd": f"GD, η = {lr:.3g}"}),
        "eigen_errors": _encoded(cc.eigen_error_figure(errors, predicted, lam, contraction, height=480)),
        "loss": _encoded(cc.loss_prediction_figure(gd.losses(0), cond.predicted_loss(lr, lam, errors[0], len(path) - 1),
                                                   height=360)),
    }


# 118 kB at 150 steps, 166 kB at 400, the most it runs (two runs, the distance chart, the map): full, <= 8 MB.
@st.cache_resource(max_entries=48, show_spinner=False)
def momentum_views(eigenvalues: tuple, angle: float, mom_lr: float, mom_beta: float, steps: int, start: tuple,
                   use_optimal: bool, present: bool) -> dict:
    """GD at its optimal rate and heavy-ball momentum at (mom_lr, mom_beta): the runs, their predicted and
    measured rates, the distance chart and the map with both paths."""
    lam = np.asarray(eigenvalues, dtype=float)
    r = cond.readouts(lam, 1.0)  # the optimal settings do not depend on the lr
    runs = {"sgd": quadratic_run(eigenvalues, angle, "sgd", r.optimal_lr, steps, start),
            "momentum": quadratic_run(eigenvalues, angle, "momentum", mom_lr, steps, start, mom_beta)}
    predicted = {"sgd": r.optimal_rate, "momentum": float(cond.heavy_ball_rate(mom_lr, mom_beta, lam))}
    measured = {k: cond.measured_rates(np.linalg.norm(t.params, axis=-1), [t.valid_length(0)])[0] for k, t in runs.items()}
    names = {"sgd": f"GD (η* = {r.optimal_lr:.3g})", "momentum": f"Momentum (η = {mom_lr:.3g}, β = {mom_beta:.3f})"}
    title = ("Momentum vs gradient descent at their best settings" if use_optimal
             else "GD at its best η vs momentum at the chosen (η, β)")
    distances = {k: np.linalg.norm(t.path(0), axis=-1) for k, t in runs.items()}
    return {
        "runs": runs, "predicted": predicted, "measured": measured, "names": names,
        "distances": _encoded(cc.momentum_figure(distances, predicted, names, height=460, title=title)),
        "map": _with_paths(bowl_map(eigenvalues, angle, "Paths", 460, present), {k: t.path(0) for k, t in runs.items()}, names),
    }


# 65 kB at 31 cells per side, 106 kB at 41 (the rate map, its figure with a hover text per cell): full, <= 3.4 MB.
@st.cache_resource(max_entries=32, show_spinner=False)
def rate_map_views(eigenvalues: tuple, angle: float, side: int, n_steps: int, start: tuple, present: bool) -> dict:
    """The rate map, its figure (without the selected cell, which the page adds last) and its caption."""
    lam = np.asarray(eigenvalues, dtype=float)
    r = cond.readouts(lam, 1.0)
    grid_map = rate_map(eigenvalues, angle, side, n_steps, start)
    markers = {"optimal momentum (η, β)": (r.momentum_lr, r.momentum_beta), "optimal GD (β = 0)": (r.optimal_lr, 0.0)}
    ok = ~grid_map.diverged
    fastest = np.unravel_index(np.argmin(np.where(ok, grid_map.measured, np.inf)), grid_map.measured.shape)
    gap = np.max(np.abs(grid_map.measured[ok] - grid_map.predicted[ok])) if ok.any() else float("nan")
    caption = (
        f"{int(grid_map.diverged.sum())} of {grid_map.diverged.size} runs diverged. Fastest cell measured: rate "
        f"{grid_map.measured[fastest]:.4f} at η = {grid_map.lrs[fastest[1]]:.4g}, β = {grid_map.betas[fastest[0]]:.3f} "
        f"(theory's best asymptotic rate: {r.momentum_optimal_rate:.4f}). Largest gap between measured and predicted rate "
        f"over the stable cells: {gap:.3f}; "
        "a finite run can look a little faster than its asymptotic rate while a faster mode still dominates the distance."
    )
    return {"map": grid_map, "figure": _encoded(cc.rate_map_figure(grid_map, lam.max(), markers)), "caption": caption}


# ---- data normalization -----------------------------------------------------------------------------

# 321 kB at N = 200 and 100 steps, 622 kB at N = 1000 and 1000 steps (four problems: data, landscape,
# 90 x 90 grid, run): full, <= 20 MB.
@st.cache_data(max_entries=32, show_spinner=False)
def normalization_study(n_samples: int, mean: tuple, scales: tuple, correlation: float, l2: float,
                        lr_factor: float, n_steps: int, seed: int = 0) -> dict:
    """For each preprocessing: the data, the Hessian report, the landscape's pieces and a GD run with
    lr = lr_factor / lambda_max (the same rule for every problem)."""
    X, t = norm.make_dataset(n_samples, mean, scales, correlation, seed=seed)
    out = {}
    for kind in norm.TRANSFORMS:
        Z = norm.transform(X, kind)
        report = norm.hessian_report(X, t, l2, kind)
        landscape = norm.regression_landscape(Z, t, l2, norm.TRANSFORM_TITLES[kind])
        lr = lr_factor / report.eigenvalues[-1]
        traj = run_trajectories(landscape, "sgd", [(0.0, 0.0)], RunSettings(lr=float(lr), n_steps=int(n_steps)))
        out[kind] = {"inputs": Z, "report": report, "lr": float(lr), "trajectory": traj,
                     "minimum_loss": landscape.minima()[0].loss, "grid": landscape.grid(90),
                     "landscape": landscape}
    return out


# 549 kB at the defaults, 1.04 MB at N = 1000 and 1000 steps (its study and seven encoded figures): full, <= 25 MB.
@st.cache_resource(max_entries=24, show_spinner=False)
def normalization_views(n_samples: int, mean: tuple, scales: tuple, correlation: float, l2: float, lr_factor: float,
                        n_steps: int, tolerance: float, present: bool) -> dict:
    """The study and what the page draws from it: the data clouds, the condition numbers, the loss gaps,
    the table's rows, the two Hessians' largest difference, and a weight-space map per preprocessing."""
    study = normalization_study(n_samples, mean, scales, correlation, l2, lr_factor, n_steps)
    titles = norm.TRANSFORM_TITLES
    rows = []
    for kind, v in study.items():
        rep, traj = v["report"], v["trajectory"]
        reach = steps_to_tolerance(traj.losses(0) - v["minimum_loss"], tolerance)
        rows.append({"inputs": titles[kind], "λ_min": rep.eigenvalues[0], "λ_max": rep.eigenvalues[-1],
                     "condition number κ": rep.condition_number, "η = c / λ_max": v["lr"],
                     f"GD steps to loss − min ≤ {tolerance:g}": str(reach) if reach is not None else f"> {n_steps}"})
    maps = {}
    for kind, v in study.items():
        fig = charts.contour_map(v["landscape"], v["grid"], f"{titles[kind]}: κ = {v['report'].condition_number:.3g}",
                                 height=380, as_dict=True)
        maps[kind] = _with_paths(_contour_float32(fig), {"sgd": v["trajectory"].path(0)}, {"sgd": f"GD, η = {v['lr']:.3g}"})
    return {
        "study": study, "rows": rows, "maps": maps,
        "differences": {k: float(np.max(np.abs(v["report"].hessian - v["report"].autodiff_hessian))) for k, v in study.items()},
        "diverged": any(v["trajectory"].diverged(0) for v in study.values()),
        "clouds": _encoded(cc.data_clouds_figure({k: v["inputs"] for k, v in study.items()}, titles)),
        "kappa": _encoded(cc.condition_bar_figure({k: v["report"].condition_number for k, v in study.items()}, titles)),
        "gaps": _encoded(cc.loss_gap_figure({k: v["trajectory"].losses(0) - v["minimum_loss"] for k, v in study.items()},
                                            titles, height=340)),
    }


# 26.7 kB for 12 networks of 16 units, 102 kB with 32 (the blocks' eigenvalues and condition numbers): full, <= 3.3 MB.
@st.cache_data(max_entries=32, show_spinner=False)
def unit_hessians(activation: str, n_hidden: int, offset: float, n_networks: int) -> norm.UnitHessians:
    return norm.hidden_unit_hessians(activation, n_hidden, offset, n_networks)


# 61 kB with 16 units, 212 kB with 32 (both activations' results and two figures): full, <= 10 MB.
@st.cache_resource(max_entries=48, show_spinner=False)
def unit_views(n_hidden: int, offset: float, n_networks: int, present: bool) -> dict:
    """Both activations' hidden-unit Hessian blocks and the two charts drawn from them."""
    units = {a: unit_hessians(a, n_hidden, offset, n_networks) for a in norm.ACTIVATIONS}
    boxes = {}
    for a in norm.ACTIVATIONS:
        boxes[f"{a}: exact block"] = units[a].condition_numbers
        boxes[f"{a}: 2E[aaᵀδ²] only"] = units[a].gauss_newton_condition_numbers
    return {"units": units, "boxes": _encoded(cc.unit_condition_figure(boxes)),
            "spectrum": _encoded(cc.spectrum_figure({a: units[a].eigenvalues[0] for a in norm.ACTIVATIONS}))}


# ---- second order -------------------------------------------------------------------------------------

#: Every method's name on the page, its legends and its table.
METHOD_NAMES = {key: OPTIMIZERS[key].name for key in so.METHODS if key in OPTIMIZERS} | {"conjugate_gradient": so.CG_NAME}


# 69.8 kB for the seven methods at 200 iterations, 339 kB at 1000: full, <= 21.7 MB.
@st.cache_data(max_entries=64, show_spinner=False)
def scene_runs(scene: str, start: tuple, methods: tuple, settings: RunSettings) -> dict:
    landscape = so.scene_landscape(scene)
    return {m: so.run_method(landscape, m, start, settings) for m in methods}


# 0.5 kB (a few 2-vectors and a 2 x 2 Hessian).
@st.cache_data(max_entries=256, show_spinner=False)
def newton_step(scene: str, start: tuple) -> so.NewtonStep:
    return so.newton_step_at(so.scene_landscape(scene), start)


# 114 kB (the 120 x 120 contour as float32 in base64 and the 36 x 36 click grid): full, 0.9 MB.
@st.cache_resource(max_entries=8, show_spinner=False)
def scene_map(scene: str, present: bool) -> dict:
    """A scene's contour map with its click grid, without paths."""
    spec = so.SCENES[scene]
    fig = charts.contour_map(so.scene_landscape(scene), loss_grid(spec.landscape_key, spec.settings),
                             "Paths from the start (click to move it); arrow: the first Newton step",
                             click_grid=True, height=560, as_dict=True)
    return _encoded(_contour_float32(fig))


# 259 kB for seven methods at 200 iterations, 797 kB at 1000 (the runs, the map with seven paths, two line
# charts): full, <= 38 MB.
@st.cache_resource(max_entries=48, show_spinner=False)
def scene_views(scene: str, start: tuple, methods: tuple, gd_lr: float, newton_lr: float, damping: float, steps: int,
                adam_lr: float, tolerance: float, present: bool) -> dict:
    """The methods' runs from ``start`` (Adam with its own learning rate), the map with their paths and the
    first Newton step's arrow, the loss and gradient charts, and the table's rows. (Plain numbers as keys:
    hashing them on every rerun costs less than hashing a RunSettings.)"""
    settings = RunSettings(lr=gd_lr, newton_lr=newton_lr, damping=damping, n_steps=steps)
    landscape = so.scene_landscape(scene)
    runs = dict(scene_runs(scene, start, methods, settings))
    if "adam" in methods:  # Adam has its own learning rate: run it separately with the same settings otherwise
        runs["adam"] = scene_runs(scene, start, ("adam",), settings.replace(lr=adam_lr))["adam"]
    step = newton_step(scene, start)
    (x0, x1), (y0, y1) = landscape.domain
    base = scene_map(scene, present)
    data = list(base["data"])
    for k in methods:
        data.extend(charts.path_traces(k, METHOD_NAMES.get(k, k), runs[k].path(0)))
    direction = step.step
    inside = (((x1 if direction[0] > 0 else x0) - start[0]) / direction[0] if abs(direction[0]) > 1e-300 else np.inf,
              ((y1 if direction[1] > 0 else y0) - start[1]) / direction[1] if abs(direction[1]) > 1e-300 else np.inf)
    reach = min(1.0, *inside) if np.all(np.isfinite(direction)) else 0.0
    layout = base["layout"]
    if reach > 0:
        arrow = cc.step_arrow(start, np.asarray(start) + reach * direction,
                              f"Newton step to ({step.landing[0]:.3g}, {step.landing[1]:.3g})")
        layout = {**layout, "annotations": [*layout.get("annotations", []), arrow]}

    minimum = min((p.loss for p in landscape.minima() if p.loss is not None), default=None)
    if minimum is not None:
        series = {k: runs[k].losses(0) - minimum for k in methods}
        title, y_title = "Loss above the minimum", "L − L* (log scale)"
    else:
        series = {k: np.abs(runs[k].losses(0)) for k in methods}
        title, y_title = "|Loss| (no minimum on this surface)", "|L| (log scale)"
    rows = []
    for k in methods:
        traj = runs[k]
        final = traj.path(0)[-1]
        iterations = so.iterations_to_tolerance(traj, tolerance)
        rows.append({
            "method": METHOD_NAMES[k],
            f"iterations to |∇L| ≤ {tolerance:g}": str(iterations) if iterations is not None else f"not in {settings.n_steps}",
            "ends at": f"({final[0]:.4g}, {final[1]:.4g})",
            "curvature at the end": (str(curvature_at(landscape, final).kind_names()).split(" (")[0]
                                     if iterations is not None else "no critical point reached"),
            "final loss": f"{float(traj.losses(0)[-1]):.4g}",
            "stopped early": f"step {int(traj.diverged_at[0])}" if traj.diverged(0) else "",
            "Hessian needed": "yes" if k in OPTIMIZERS and OPTIMIZERS[k].needs_hessian else "no",
        })
    return {
        "runs": runs, "reach": reach, "rows": rows,
        "map": _encoded({"data": data, "layout": layout}),
        "loss": _encoded(cc.iterations_figure(series, METHOD_NAMES, title, y_title, height=280, legend=False)),
        "grad": _encoded(cc.iterations_figure({k: runs[k].grad_norms(0) for k in methods}, METHOD_NAMES, "Gradient norm",
                                              "|∇L| (log scale)", height=280, legend=False)),
    }


# < 1 kB (a CostRow per size).
@st.cache_data(max_entries=8, show_spinner=False)
def hessian_cost(sizes: tuple) -> list:
    return cost.measure_cost(sizes)


# ~10 kB (the rows and two small figures).
@st.cache_resource(max_entries=16, show_spinner=False)
def cost_views(sizes: tuple, present: bool) -> dict:
    """The Hessian-cost measurement for ``sizes`` and its two charts."""
    rows = hessian_cost(sizes)
    return {"rows": rows, "time": _encoded(cc.cost_figure(rows)), "memory": _encoded(cc.memory_figure(rows))}


@functools.lru_cache(maxsize=None)
def method_source(key: str) -> str:
    """A method's source code for the page (``inspect`` reads files: once per process)."""
    if key == "conjugate_gradient":
        return inspect.getsource(so._conjugate_gradient)
    return OPTIMIZERS[key].source()


def finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]
