"""Figures for the Curvature lab: theory drawn over measurements. Arrays in, ``go.Figure`` out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts import style as base_style
from ui.theme import SEQUENCE, optimizer_color, optimizer_dash, sizes

MEASURED = dict(mode="lines")
THEORY_COLOR = "#222222"


def style(fig: go.Figure, title: str | None = None, height: int = 420, legend: bool = True) -> go.Figure:
    """``ui.charts.style``, with the legend pushed below the x-axis title (which it overlaps at
    presentation-mode font sizes)."""
    base_style(fig, title, height, legend)
    big = sizes()["font"] > 14
    top, bottom = (60 if title else 20), (100 if big else 80)
    plot_height = max(height - top - bottom, 80)
    below_axis_title = 88 if big else 64  # pixels from the plot's bottom edge past the tick labels and x title
    fig.update_layout(legend=dict(y=-below_axis_title / plot_height), margin=dict(b=bottom))
    return fig


def _positive(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(values > 0, values, np.nan)


def _log_axes(fig: go.Figure, y_title: str, x_title: str = "step") -> None:
    fig.update_yaxes(type="log", title=y_title, exponentformat="power")
    fig.update_xaxes(title=x_title)


# ---- conditioning -----------------------------------------------------------------------------------

def eigen_error_figure(measured: np.ndarray, predicted: np.ndarray, eigenvalues, contraction, height: int = 380) -> go.Figure:
    """Squared error along each eigen-direction: measured (solid) and (1 - lr lambda_i)^(2t) e_i(0)^2 (dashed)."""
    s = sizes()
    fig = go.Figure()
    steps = np.arange(len(measured))
    for i in range(measured.shape[1]):
        colour = SEQUENCE[i]
        label = f"u{'₁₂'[i]} (λ = {eigenvalues[i]:.3g}, |1 − ηλ| = {contraction[i]:.3g})"
        fig.add_trace(go.Scatter(x=steps, y=_positive(measured[:, i] ** 2), name=f"measured along {label}",
                                 line=dict(color=colour, width=s["line"] + 2), opacity=0.55, **MEASURED))
        fig.add_trace(go.Scatter(x=steps, y=_positive(predicted[:, i] ** 2), name=f"predicted (1 − ηλ)²ᵗ e(0)²",
                                 line=dict(color=colour, width=s["line"], dash="dash"), mode="lines"))
    _log_axes(fig, "eᵢ(t)² (log scale)")
    finite = np.abs(np.concatenate([measured.ravel(), predicted.ravel()])) ** 2
    finite = finite[np.isfinite(finite) & (finite > 0)]
    if finite.size:
        high = np.log10(finite.max())
        fig.update_yaxes(range=[max(np.log10(finite.min()), high - 32) - 0.5, high + 1])
    return style(fig, "Error along each eigen-direction: run (thick) vs formula (dashed)", height)


def loss_prediction_figure(measured: np.ndarray, predicted: np.ndarray, height: int = 380) -> go.Figure:
    s = sizes()
    fig = go.Figure()
    steps = np.arange(len(measured))
    fig.add_trace(go.Scatter(x=steps, y=_positive(measured), name="measured loss", mode="lines",
                             line=dict(color=optimizer_color("sgd"), width=s["line"] + 2), opacity=0.6))
    fig.add_trace(go.Scatter(x=steps, y=_positive(predicted), name="½ Σ λᵢ (1 − ηλᵢ)²ᵗ eᵢ(0)²", mode="lines",
                             line=dict(color=THEORY_COLOR, width=s["line"], dash="dash")))
    _log_axes(fig, "loss (log scale)")
    return style(fig, "Loss on a log scale: exponential decay is a straight line", height)


def momentum_figure(distances: dict, rates: dict, names: dict, height: int = 400,
                    title: str = "Momentum vs gradient descent at their best settings") -> go.Figure:
    """Distance to the minimum for each run (solid) and the predicted rate line d_0 r^t (dotted)."""
    s = sizes()
    fig = go.Figure()
    for key, d in distances.items():
        d = np.asarray(d, dtype=float)
        steps = np.arange(len(d))
        fig.add_trace(go.Scatter(x=steps, y=_positive(d), name=f"{names[key]}: measured", mode="lines",
                                 line=dict(color=optimizer_color(key), width=s["line"] + 1)))
        rate = rates[key]
        if np.isfinite(rate) and rate > 0:
            fig.add_trace(go.Scatter(x=steps, y=_positive(d[0] * rate ** steps), name=f"{names[key]}: predicted rate {rate:.4f}ᵗ",
                                     mode="lines", line=dict(color=optimizer_color(key), width=s["line"], dash="dot")))
    _log_axes(fig, "|θ − θ*| (log scale)")
    return style(fig, title, height)


def rate_colour_range(rate_map) -> tuple[float, float]:
    """(zmin, zmax): from just below the fastest stable cell to a little above 1, where the band for
    rates >= 1 and diverged runs sits, so the stable cells use the whole blue-to-yellow range."""
    stable = rate_map.measured[~rate_map.diverged & (rate_map.measured < 1.0)]
    low = float(np.floor((stable.min() if stable.size else 0.0) * 20.0) / 20.0)
    low = min(max(low - 0.05, 0.0), 0.9)
    return low, 1.0 + 0.12 * (1.0 - low)


def rate_map_figure(rate_map, lambda_max: float, markers: dict, selected: tuple | None = None, height: int = 540) -> go.Figure:
    """Measured rate per (lr, beta) cell, diverged cells at the top of the scale, the theoretical
    stability boundary lr = 2 (1 + beta) / lambda_max, named markers, and an invisible marker per
    cell so a click selects it."""
    s = sizes()
    low, top = rate_colour_range(rate_map)
    one = (1.0 - low) / (top - low)
    colorscale = [[0.0, "#08306b"], [0.5 * one, "#4292c6"], [0.85 * one, "#c6dbef"], [one - 1e-6, "#fff5c0"],
                  [one, "#fdae6b"], [1.0, "#7f0000"]]
    measured = np.where(rate_map.diverged, top, np.minimum(rate_map.measured, top))
    text = np.where(rate_map.diverged, "diverged", np.char.mod("%.4f", np.nan_to_num(rate_map.measured)))
    ticks = list(np.round(np.linspace(low, 1.0, 5), 3))
    fig = go.Figure()
    fig.add_trace(go.Heatmap(
        x=rate_map.lrs, y=rate_map.betas, z=measured, zmin=low, zmax=top, colorscale=colorscale,
        text=text, hovertemplate="η = %{x:.4g}<br>β = %{y:.3f}<br>measured rate %{text}<extra></extra>",
        colorbar=dict(title=dict(text="measured rate per step", side="right"), thickness=14,
                      tickvals=ticks + [top], ticktext=[f"{t:g}" for t in ticks] + ["≥ 1 or diverged"]),
        name="measured rate",
    ))
    betas = np.linspace(0.0, float(rate_map.betas.max()), 100)
    fig.add_trace(go.Scatter(x=2 * (1 + betas) / lambda_max, y=betas, mode="lines", name="stability boundary η = 2(1 + β)/λ_max",
                             line=dict(color="black", width=s["line"] + 1, dash="dash")))
    LR, B = np.meshgrid(rate_map.lrs, rate_map.betas)
    fig.add_trace(go.Scatter(x=LR.ravel(), y=B.ravel(), mode="markers", showlegend=False, name="cells",
                             marker=dict(size=max(6, int(380 / max(len(rate_map.lrs), 1))), color="rgba(0,0,0,0.01)", symbol="square"),
                             hovertemplate="run η = %{x:.4g}, β = %{y:.3f}<extra>click</extra>"))
    symbols = ["star", "diamond", "circle-open"]
    for (label, (lr, beta)), symbol in zip(markers.items(), symbols):
        fig.add_trace(go.Scatter(x=[lr], y=[beta], mode="markers", name=label,
                                 marker=dict(symbol=symbol, size=s["marker"] + 10, color="white", line=dict(color="black", width=2))))
    if selected is not None:
        fig.add_trace(go.Scatter(x=[selected[0]], y=[selected[1]], mode="markers", name="shown above",
                                 marker=dict(symbol="square-open", size=s["marker"] + 12, color="#D55E00", line=dict(width=3))))
    fig.update_xaxes(title="learning rate η", range=[0, float(rate_map.lrs.max()) * 1.01])
    fig.update_yaxes(title="momentum β", range=[-0.02, float(rate_map.betas.max()) + 0.02])
    return style(fig, "Measured convergence rate of heavy-ball momentum (every cell is a run)", height)


# ---- data normalization ---------------------------------------------------------------------------

def data_clouds_figure(inputs: dict, titles: dict, height: int = 340) -> go.Figure:
    kinds = list(inputs)
    fig = make_subplots(rows=1, cols=len(kinds), subplot_titles=[titles[k] for k in kinds], horizontal_spacing=0.06)
    s = sizes()
    for j, kind in enumerate(kinds, start=1):
        Z = inputs[kind]
        fig.add_trace(go.Scatter(x=Z[:, 0], y=Z[:, 1], mode="markers", showlegend=False, name=titles[kind],
                                 marker=dict(size=4, color=SEQUENCE[j - 1], opacity=0.6)), row=1, col=j)
        fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", showlegend=False, name="origin",
                                 marker=dict(symbol="x", size=s["marker"] + 4, color="black")), row=1, col=j)
        fig.update_xaxes(title="x₁", row=1, col=j, zeroline=True)
        fig.update_yaxes(title="x₂" if j == 1 else None, row=1, col=j, scaleanchor=f"x{j if j > 1 else ''}", zeroline=True)
    style(fig, None, height, legend=False)
    fig.update_annotations(font=dict(size=s["font"]))
    fig.update_layout(margin=dict(t=40))
    return fig


def condition_bar_figure(kappas: dict, titles: dict, height: int = 340) -> go.Figure:
    kinds = list(kappas)
    values = [kappas[k] for k in kinds]
    fig = go.Figure(go.Bar(x=[titles[k] for k in kinds], y=values, marker_color=SEQUENCE[: len(kinds)],
                           text=[f"κ = {v:.3g}" for v in values], textposition="outside", name="condition number"))
    fig.update_yaxes(type="log", title="κ (log scale)", exponentformat="power",
                     range=[-0.1, np.log10(max(values)) * 1.15 + 0.3])
    return style(fig, "Condition number of the Hessian", height, legend=False)


def loss_gap_figure(gaps: dict, titles: dict, height: int = 360) -> go.Figure:
    s = sizes()
    fig = go.Figure()
    for j, (kind, gap) in enumerate(gaps.items()):
        fig.add_trace(go.Scatter(x=np.arange(len(gap)), y=_positive(gap), name=titles[kind], mode="lines",
                                 line=dict(color=SEQUENCE[j], width=s["line"] + 0.5)))
    _log_axes(fig, "L − L* (log scale)")
    return style(fig, "GD with the same rule η = c / λ_max on each problem", height)


def unit_condition_figure(results: dict, height: int = 380) -> go.Figure:
    """log10 condition number of one unit's Hessian block across random networks, per activation:
    the exact block (jax.hessian) and its first-order part 2 E[a a^T delta^2]."""
    s = sizes()
    fig = go.Figure()
    for j, (label, values) in enumerate(results.items()):
        colour = SEQUENCE[j // 2]
        fig.add_trace(go.Box(y=values, name=label, boxpoints="all", jitter=0.4, pointpos=0, marker_color=colour,
                             fillcolor="rgba(255,255,255,0)" if j % 2 else None,
                             line=dict(width=2), marker=dict(size=s["marker"], symbol="circle-open" if j % 2 else "circle")))
    fig.update_yaxes(type="log", title="condition number of the unit's block", exponentformat="power")
    return style(fig, "One hidden unit's Hessian block across random networks", height, legend=False)


def spectrum_figure(spectra: dict, height: int = 380) -> go.Figure:
    s = sizes()
    fig = go.Figure()
    for j, (label, lam) in enumerate(spectra.items()):
        lam = np.sort(np.abs(np.asarray(lam, dtype=float)))[::-1]
        fig.add_trace(go.Scatter(x=np.arange(1, len(lam) + 1), y=_positive(lam), name=label, mode="lines+markers",
                                 line=dict(color=SEQUENCE[j], width=s["line"]), marker=dict(size=s["marker"])))
    _log_axes(fig, "|eigenvalue| (log scale)", "eigenvalue rank")
    return style(fig, "Eigenvalues of the block (first network)", height)


# ---- second order ----------------------------------------------------------------------------------

def add_step_arrow(fig: go.Figure, start, landing, label: str) -> None:
    """An arrow for the pure Newton step from ``start`` to ``landing`` (clipped by the plot's range)."""
    fig.add_annotation(x=float(landing[0]), y=float(landing[1]), ax=float(start[0]), ay=float(start[1]),
                       xref="x", yref="y", axref="x", ayref="y", showarrow=True, arrowhead=3, arrowsize=1.6,
                       arrowwidth=2.5, arrowcolor="#B2182B", text="", hovertext=label)


def iterations_figure(series: dict, names: dict, title: str, y_title: str, height: int = 380, legend: bool = True) -> go.Figure:
    s = sizes()
    fig = go.Figure()
    for key, values in series.items():
        values = np.asarray(values, dtype=float)
        colour, dash = optimizer_color(key), optimizer_dash(key)  # the same as the map's paths
        fig.add_trace(go.Scatter(x=np.arange(len(values)), y=_positive(values), mode="lines", name=names[key],
                                 line=dict(color=colour, width=s["line"], dash=dash)))
    _log_axes(fig, y_title, "iteration")
    return style(fig, title, height, legend=legend)


def cost_figure(rows, height: int = 400) -> go.Figure:
    """Measured seconds against d on log-log axes, with d^2 and d^3 guide lines through the largest size."""
    s = sizes()
    d = np.array([r.d for r in rows], dtype=float)
    series = {"gradient": [r.gradient_seconds for r in rows], "full Hessian (jax.hessian)": [r.hessian_seconds for r in rows],
              "Newton solve H p = −g": [r.solve_seconds for r in rows]}
    fig = go.Figure()
    for j, (label, values) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=d, y=values, mode="lines+markers", name=label,
                                 line=dict(color=SEQUENCE[j], width=s["line"] + 1), marker=dict(size=s["marker"] + 2)))
    for power, label, values in ((2, "∝ d²", series["full Hessian (jax.hessian)"]), (3, "∝ d³", series["Newton solve H p = −g"])):
        anchor = values[-1] / d[-1] ** power
        fig.add_trace(go.Scatter(x=d, y=anchor * d**power, mode="lines", name=label,
                                 line=dict(color="#888888", width=1.5, dash="dot" if power == 2 else "dash")))
    _size_axis(fig, d)
    fig.update_yaxes(type="log", title="seconds (log scale)", exponentformat="power", dtick=1)
    style(fig, "Time (measured on this server)", height)
    return fig


def _size_axis(fig: go.Figure, d) -> None:
    fig.update_xaxes(type="log", title="number of parameters d (log scale)", tickvals=list(d), ticktext=[f"{int(v)}" for v in d])


def memory_figure(rows, height: int = 400) -> go.Figure:
    s = sizes()
    d = np.array([r.d for r in rows], dtype=float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=d, y=[r.hessian_bytes for r in rows], mode="lines+markers", name="Hessian: d² float64",
                             line=dict(color=SEQUENCE[1], width=s["line"] + 1), marker=dict(size=s["marker"] + 2)))
    fig.add_trace(go.Scatter(x=d, y=8 * d, mode="lines+markers", name="gradient: d float64",
                             line=dict(color=SEQUENCE[0], width=s["line"] + 1), marker=dict(size=s["marker"] + 2)))
    _size_axis(fig, d)
    fig.update_yaxes(type="log", title="bytes (log scale)", exponentformat="power", dtick=1)
    style(fig, "Memory", height)
    return fig
