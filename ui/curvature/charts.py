"""Figures for the Curvature lab: theory drawn over measurements. Arrays in, **plain dict figures** out
(``{"data": [...], "layout": {...}}``, as in ``ui.charts``): building ``go.Figure``s validated every property
and deep-copied the template on each update, which was most of these pages' server time. The JSON they
give Streamlit is the one the ``go.Figure``s gave (same traces, names, titles, axes and styling).

The pages draw them through ``ui.curvature.compute``, which caches them by their inputs; a cached figure is
shared, so **never mutate one in place** (build a new top-level dict around its parts).
"""

from __future__ import annotations

import functools
import json

import numpy as np

from ui.charts import new_figure
from ui.charts import style as base_style
from ui.theme import SEQUENCE, optimizer_color, optimizer_dash, sizes

THEORY_COLOR = "#222222"


def style(fig: dict, title: str | None = None, height: int = 420, legend: bool = True) -> dict:
    """``ui.charts.style``, with the legend pushed below the x-axis title (which it overlaps at
    presentation-mode font sizes)."""
    base_style(fig, title, height, legend)
    big = sizes()["font"] > 14
    top, bottom = (60 if title else 20), (100 if big else 80)
    plot_height = max(height - top - bottom, 80)
    below_axis_title = 88 if big else 64  # pixels from the plot's bottom edge past the tick labels and x title
    layout = fig["layout"]
    layout["legend"] = {**layout["legend"], "y": -below_axis_title / plot_height}
    layout["margin"] = {**layout["margin"], "b": bottom}
    return fig


def _positive(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(values > 0, values, np.nan)


def _line(colour: str, width: float, dash: str | None = None) -> dict:
    return {"color": colour, "width": width, **({"dash": dash} if dash else {})}


def _scatter(x, y, name: str, **props) -> dict:
    return {"type": "scatter", "x": x, "y": y, "name": name, **props}


def _log_axes(fig: dict, y_title: str, x_title: str = "step") -> None:
    layout = fig["layout"]
    layout["yaxis"] = {**layout.get("yaxis", {}), "type": "log", "title": {"text": y_title}, "exponentformat": "power"}
    layout["xaxis"] = {**layout.get("xaxis", {}), "title": {"text": x_title}}


# ---- conditioning -----------------------------------------------------------------------------------

def eigen_error_figure(measured: np.ndarray, predicted: np.ndarray, eigenvalues, contraction, height: int = 380) -> dict:
    """Squared error along each eigen-direction: measured (solid) and (1 - lr lambda_i)^(2t) e_i(0)^2 (dashed)."""
    s = sizes()
    fig = new_figure()
    steps = np.arange(len(measured))
    for i in range(measured.shape[1]):
        colour = SEQUENCE[i]
        label = f"u{'₁₂'[i]} (λ = {eigenvalues[i]:.3g}, |1 − ηλ| = {contraction[i]:.3g})"
        fig["data"].append(_scatter(steps, _positive(measured[:, i] ** 2), f"measured along {label}",
                                    line=_line(colour, s["line"] + 2), opacity=0.55, mode="lines"))
        fig["data"].append(_scatter(steps, _positive(predicted[:, i] ** 2), "predicted (1 − ηλ)²ᵗ e(0)²",
                                    line=_line(colour, s["line"], "dash"), mode="lines"))
    _log_axes(fig, "eᵢ(t)² (log scale)")
    finite = np.abs(np.concatenate([measured.ravel(), predicted.ravel()])) ** 2
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size:
        high = np.log10(finite.max())
        fig["layout"]["yaxis"]["range"] = [float(max(np.log10(finite.min()), high - 32) - 0.5), float(high + 1)]
    return style(fig, "Error along each eigen-direction: run (thick) vs formula (dashed)", height)


def loss_prediction_figure(measured: np.ndarray, predicted: np.ndarray, height: int = 380) -> dict:
    s = sizes()
    steps = np.arange(len(measured))
    fig = new_figure([
        _scatter(steps, _positive(measured), "measured loss", mode="lines",
                 line=_line(optimizer_color("sgd"), s["line"] + 2), opacity=0.6),
        _scatter(steps, _positive(predicted), "½ Σ λᵢ (1 − ηλᵢ)²ᵗ eᵢ(0)²", mode="lines",
                 line=_line(THEORY_COLOR, s["line"], "dash")),
    ])
    _log_axes(fig, "loss (log scale)")
    return style(fig, "Loss on a log scale: exponential decay is a straight line", height)


def momentum_figure(distances: dict, rates: dict, names: dict, height: int = 400,
                    title: str = "Momentum vs gradient descent at their best settings") -> dict:
    """Distance to the minimum for each run (solid) and the predicted rate line d_0 r^t (dotted)."""
    s = sizes()
    fig = new_figure()
    for key, d in distances.items():
        d = np.asarray(d, dtype=float)
        steps = np.arange(len(d))
        fig["data"].append(_scatter(steps, _positive(d), f"{names[key]}: measured", mode="lines",
                                    line=_line(optimizer_color(key), s["line"] + 1)))
        rate = rates[key]
        if np.isfinite(rate) and rate > 0:
            fig["data"].append(_scatter(steps, _positive(d[0] * rate ** steps), f"{names[key]}: predicted rate {rate:.4f}ᵗ",
                                        mode="lines", line=_line(optimizer_color(key), s["line"], "dot")))
    _log_axes(fig, "|θ − θ*| (log scale)")
    return style(fig, title, height)


def rate_colour_range(rate_map) -> tuple[float, float]:
    """(zmin, zmax): from just below the fastest stable cell to a little above 1, where the band for
    rates >= 1 and diverged runs sits, so the stable cells use the whole blue-to-yellow range."""
    stable = rate_map.measured[~rate_map.diverged & (rate_map.measured < 1.0)]
    low = float(np.floor((stable.min() if stable.size else 0.0) * 20.0) / 20.0)
    low = min(max(low - 0.05, 0.0), 0.9)
    return low, 1.0 + 0.12 * (1.0 - low)


def _marker_trace(x: float, y: float, name: str, marker: dict) -> dict:
    return _scatter([float(x)], [float(y)], name, mode="markers", marker=marker)


def selected_cell_trace(selected: tuple) -> dict:
    """The rate map's marker on the (lr, beta) the momentum charts show (the map's last trace)."""
    s = sizes()
    return _marker_trace(selected[0], selected[1], "shown above",
                         {"symbol": "square-open", "size": s["marker"] + 12, "color": "#D55E00", "line": {"width": 3}})


def rate_map_figure(rate_map, lambda_max: float, markers: dict, selected: tuple | None = None, height: int = 540) -> dict:
    """Measured rate per (lr, beta) cell, diverged cells at the top of the scale, the theoretical
    stability boundary lr = 2 (1 + beta) / lambda_max, named markers, an invisible marker per
    cell so a click selects it, and (last) the selected cell if any."""
    s = sizes()
    low, top = rate_colour_range(rate_map)
    one = (1.0 - low) / (top - low)
    colorscale = [[0.0, "#08306b"], [0.5 * one, "#4292c6"], [0.85 * one, "#c6dbef"], [one - 1e-6, "#fff5c0"],
                  [one, "#fdae6b"], [1.0, "#7f0000"]]
    measured = np.where(rate_map.diverged, top, np.minimum(rate_map.measured, top))
    text = [["diverged" if d else f"{v:.4f}" for v, d in zip(row, drow)]
            for row, drow in zip(np.nan_to_num(rate_map.measured).tolist(), rate_map.diverged.tolist())]
    ticks = [float(t) for t in np.round(np.linspace(low, 1.0, 5), 3)]
    fig = new_figure([{
        "type": "heatmap", "x": np.asarray(rate_map.lrs), "y": np.asarray(rate_map.betas), "z": measured,
        "zmin": low, "zmax": top, "colorscale": colorscale, "text": text,
        "hovertemplate": "η = %{x:.4g}<br>β = %{y:.3f}<br>measured rate %{text}<extra></extra>",
        "colorbar": {"title": {"text": "measured rate per step", "side": "right"}, "thickness": 14,
                     "tickvals": ticks + [top], "ticktext": [f"{t:g}" for t in ticks] + ["≥ 1 or diverged"]},
        "name": "measured rate",
    }])
    betas = np.linspace(0.0, float(rate_map.betas.max()), 100)
    fig["data"].append(_scatter(2 * (1 + betas) / lambda_max, betas, "stability boundary η = 2(1 + β)/λ_max", mode="lines",
                                line=_line("black", s["line"] + 1, "dash")))
    LR, B = np.meshgrid(rate_map.lrs, rate_map.betas)
    fig["data"].append(_scatter(LR.ravel(), B.ravel(), "cells", mode="markers", showlegend=False,
                                marker={"size": max(6, int(380 / max(len(rate_map.lrs), 1))), "color": "rgba(0,0,0,0.01)",
                                        "symbol": "square"},
                                hovertemplate="run η = %{x:.4g}, β = %{y:.3f}<extra>click</extra>"))
    symbols = ["star", "diamond", "circle-open"]
    for (label, (lr, beta)), symbol in zip(markers.items(), symbols):
        fig["data"].append(_marker_trace(lr, beta, label, {"symbol": symbol, "size": s["marker"] + 10, "color": "white",
                                                           "line": {"color": "black", "width": 2}}))
    if selected is not None:
        fig["data"].append(selected_cell_trace(selected))
    fig["layout"]["xaxis"] = {"title": {"text": "learning rate η"}, "range": [0, float(rate_map.lrs.max()) * 1.01]}
    fig["layout"]["yaxis"] = {"title": {"text": "momentum β"}, "range": [-0.02, float(rate_map.betas.max()) + 0.02]}
    return style(fig, "Measured convergence rate of heavy-ball momentum (every cell is a run)", height)


# ---- data normalization ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _subplot_layout(titles: tuple, spacing: float) -> str:
    """The axes' domains and the titles' annotations of a one-row ``make_subplots`` (plotly's own
    geometry, computed once per set of titles), as JSON (each caller gets fresh dicts)."""
    from plotly.subplots import make_subplots

    layout = json.loads(make_subplots(rows=1, cols=len(titles), subplot_titles=list(titles),
                                      horizontal_spacing=spacing).to_json())["layout"]
    layout.pop("template", None)
    return json.dumps(layout)


def data_clouds_figure(inputs: dict, titles: dict, height: int = 340) -> dict:
    kinds = list(inputs)
    fig = new_figure(layout=json.loads(_subplot_layout(tuple(titles[k] for k in kinds), 0.06)))
    s = sizes()
    layout = fig["layout"]
    for j, kind in enumerate(kinds, start=1):
        Z = inputs[kind]
        suffix = str(j) if j > 1 else ""
        axes = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
        fig["data"].append(_scatter(Z[:, 0], Z[:, 1], titles[kind], mode="markers", showlegend=False,
                                    marker={"size": 4, "color": SEQUENCE[j - 1], "opacity": 0.6}, **axes))
        fig["data"].append(_scatter([0], [0], "origin", mode="markers", showlegend=False,
                                    marker={"symbol": "x", "size": s["marker"] + 4, "color": "black"}, **axes))
        layout[f"xaxis{suffix}"] = {**layout[f"xaxis{suffix}"], "title": {"text": "x₁"}, "zeroline": True}
        layout[f"yaxis{suffix}"] = {**layout[f"yaxis{suffix}"], **({"title": {"text": "x₂"}} if j == 1 else {}),
                                    "scaleanchor": f"x{suffix}", "zeroline": True}
    style(fig, None, height, legend=False)
    layout["annotations"] = [{**a, "font": {**a.get("font", {}), "size": s["font"]}} for a in layout.get("annotations", [])]
    layout["margin"] = {**layout["margin"], "t": 40}
    return fig


def condition_bar_figure(kappas: dict, titles: dict, height: int = 340) -> dict:
    kinds = list(kappas)
    values = [float(kappas[k]) for k in kinds]
    fig = new_figure([{"type": "bar", "x": [titles[k] for k in kinds], "y": values, "marker": {"color": SEQUENCE[: len(kinds)]},
                       "text": [f"κ = {v:.3g}" for v in values], "textposition": "outside", "name": "condition number"}])
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "κ (log scale)"}, "exponentformat": "power",
                              "range": [-0.1, float(np.log10(max(values)) * 1.15 + 0.3)]}
    return style(fig, "Condition number of the Hessian", height, legend=False)


def loss_gap_figure(gaps: dict, titles: dict, height: int = 360) -> dict:
    s = sizes()
    fig = new_figure()
    for j, (kind, gap) in enumerate(gaps.items()):
        fig["data"].append(_scatter(np.arange(len(gap)), _positive(gap), titles[kind], mode="lines",
                                    line=_line(SEQUENCE[j], s["line"] + 0.5)))
    _log_axes(fig, "L − L* (log scale)")
    return style(fig, "GD with the same rule η = c / λ_max on each problem", height)


def unit_condition_figure(results: dict, height: int = 380) -> dict:
    """log10 condition number of one unit's Hessian block across random networks, per activation:
    the exact block (jax.hessian) and its first-order part 2 E[a a^T delta^2]."""
    s = sizes()
    fig = new_figure()
    for j, (label, values) in enumerate(results.items()):
        colour = SEQUENCE[j // 2]
        fig["data"].append({
            "type": "box", "y": np.asarray(values), "name": label, "boxpoints": "all", "jitter": 0.4, "pointpos": 0,
            **({"fillcolor": "rgba(255,255,255,0)"} if j % 2 else {}), "line": {"width": 2},
            "marker": {"color": colour, "size": s["marker"], "symbol": "circle-open" if j % 2 else "circle"},
        })
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "condition number of the unit's block"}, "exponentformat": "power"}
    return style(fig, "One hidden unit's Hessian block across random networks", height, legend=False)


def spectrum_figure(spectra: dict, height: int = 380) -> dict:
    s = sizes()
    fig = new_figure()
    for j, (label, lam) in enumerate(spectra.items()):
        lam = np.sort(np.abs(np.asarray(lam, dtype=float)))[::-1]
        fig["data"].append(_scatter(np.arange(1, len(lam) + 1), _positive(lam), label, mode="lines+markers",
                                    line=_line(SEQUENCE[j], s["line"]), marker={"size": s["marker"]}))
    _log_axes(fig, "|eigenvalue| (log scale)", "eigenvalue rank")
    return style(fig, "Eigenvalues of the block (first network)", height)


# ---- second order ----------------------------------------------------------------------------------

def step_arrow(start, landing, label: str) -> dict:
    """An arrow annotation for the pure Newton step from ``start`` to ``landing`` (clipped by the plot's range)."""
    return {"x": float(landing[0]), "y": float(landing[1]), "ax": float(start[0]), "ay": float(start[1]),
            "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 3, "arrowsize": 1.6,
            "arrowwidth": 2.5, "arrowcolor": "#B2182B", "text": "", "hovertext": label}


def iterations_figure(series: dict, names: dict, title: str, y_title: str, height: int = 380, legend: bool = True) -> dict:
    s = sizes()
    fig = new_figure()
    for key, values in series.items():
        values = np.asarray(values, dtype=float)
        colour, dash = optimizer_color(key), optimizer_dash(key)  # the same as the map's paths
        fig["data"].append(_scatter(np.arange(len(values)), _positive(values), names[key], mode="lines",
                                    line=_line(colour, s["line"], dash)))
    _log_axes(fig, y_title, "iteration")
    return style(fig, title, height, legend=legend)


def _size_axis(fig: dict, d) -> None:
    fig["layout"]["xaxis"] = {"type": "log", "title": {"text": "number of parameters d (log scale)"},
                              "tickvals": [float(v) for v in d], "ticktext": [f"{int(v)}" for v in d]}


def _log_y(fig: dict, title: str) -> None:
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": title}, "exponentformat": "power", "dtick": 1}


def cost_figure(rows, height: int = 400) -> dict:
    """Measured seconds against d on log-log axes, with d^2 and d^3 guide lines through the largest size."""
    s = sizes()
    d = np.array([r.d for r in rows], dtype=float)
    series = {"gradient": [r.gradient_seconds for r in rows], "full Hessian (jax.hessian)": [r.hessian_seconds for r in rows],
              "Newton solve H p = −g": [r.solve_seconds for r in rows]}
    fig = new_figure()
    for j, (label, values) in enumerate(series.items()):
        fig["data"].append(_scatter(d, [float(v) for v in values], label, mode="lines+markers",
                                    line=_line(SEQUENCE[j], s["line"] + 1), marker={"size": s["marker"] + 2}))
    for power, label, values in ((2, "∝ d²", series["full Hessian (jax.hessian)"]), (3, "∝ d³", series["Newton solve H p = −g"])):
        anchor = values[-1] / d[-1] ** power
        fig["data"].append(_scatter(d, anchor * d**power, label, mode="lines",
                                    line=_line("#888888", 1.5, "dot" if power == 2 else "dash")))
    _size_axis(fig, d)
    _log_y(fig, "seconds (log scale)")
    return style(fig, "Time (measured on this server)", height)


def memory_figure(rows, height: int = 400) -> dict:
    s = sizes()
    d = np.array([r.d for r in rows], dtype=float)
    fig = new_figure([
        _scatter(d, [int(r.hessian_bytes) for r in rows], "Hessian: d² float64", mode="lines+markers",
                 line=_line(SEQUENCE[1], s["line"] + 1), marker={"size": s["marker"] + 2}),
        _scatter(d, 8 * d, "gradient: d float64", mode="lines+markers",
                 line=_line(SEQUENCE[0], s["line"] + 1), marker={"size": s["marker"] + 2}),
    ])
    _size_axis(fig, d)
    _log_y(fig, "bytes (log scale)")
    return style(fig, "Memory", height)
