"""Figures for the non-convex lab: basin maps, gradient-norm maps, restart curves, saddles in d
dimensions, cliffs and clipping, matrix powers, smoothed losses. Arrays in, ``go.Figure`` out."""

from __future__ import annotations

import warnings

import numpy as np
import plotly.graph_objects as go

from analysis.basins import DIVERGED, UNSETTLED, BasinMap
from landscapes.base import Landscape
from ui.charts import add_critical_points, style
from ui.theme import SEQUENCE, optimizer_color, optimizer_dash, sizes

UNSETTLED_COLOR = "#BBBBBB"
DIVERGED_COLOR = "#000000"
MINIMUM_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]


def _axes(fig: go.Figure, landscape: Landscape) -> None:
    (x0, x1), (y0, y1) = landscape.domain
    fig.update_xaxes(range=[x0, x1], title=landscape.axis_labels[0], constrain="domain")
    fig.update_yaxes(range=[y0, y1], title=landscape.axis_labels[1])


def _discrete_colorscale(colors: list[str]) -> list:
    n = len(colors)
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def basin_figure(basin: BasinMap, landscape: Landscape, color_by: str = "minimum", title: str | None = None,
                 height: int = 520) -> go.Figure:
    """Each start coloured by where its run ended: which minimum, the final loss, or diverged / not."""
    fig = go.Figure()
    label = basin.label
    if color_by == "minimum":
        n_min = len(basin.minima)
        # category codes: 0 diverged, 1 unsettled, 2.. minimum i
        code = np.where(label == DIVERGED, 0, np.where(label == UNSETTLED, 1, label + 2))
        colors = [DIVERGED_COLOR, UNSETTLED_COLOR] + [MINIMUM_COLORS[i % len(MINIMUM_COLORS)] for i in range(n_min)]
        names = ["diverged", "not settled"] + [f"min {i + 1} ({x:.2f}, {y:.2f})" for i, (x, y) in enumerate(basin.minima)]
        n = len(colors)
        fig.add_trace(go.Heatmap(
            x=basin.xs, y=basin.ys, z=code, zmin=-0.5, zmax=n - 0.5, colorscale=_discrete_colorscale(colors),
            colorbar=dict(tickvals=list(range(n)), ticktext=names, thickness=14, len=0.9),
            customdata=np.asarray(names, dtype=object)[code],
            hovertemplate="start (%{x:.2f}, %{y:.2f})<br>→ %{customdata}<extra></extra>", name="basins",
        ))
    elif color_by == "loss":
        loss = np.where(label == DIVERGED, np.nan, basin.final_loss)
        fig.add_trace(go.Heatmap(x=basin.xs, y=basin.ys, z=loss, colorscale="Viridis",
                                 colorbar=dict(title=dict(text="final loss", side="right"), thickness=14),
                                 hovertemplate="start (%{x:.2f}, %{y:.2f})<br>final loss %{z:.4g}<extra></extra>",
                                 name="final loss"))
    else:  # divergence
        code = (label == DIVERGED).astype(int)
        fig.add_trace(go.Heatmap(x=basin.xs, y=basin.ys, z=code, zmin=-0.5, zmax=1.5,
                                 colorscale=_discrete_colorscale(["#56B4E9", DIVERGED_COLOR]),
                                 colorbar=dict(tickvals=[0, 1], ticktext=["stayed finite", "diverged"], thickness=14),
                                 hovertemplate="start (%{x:.2f}, %{y:.2f})<br>%{z}<extra>1 = diverged</extra>",
                                 name="divergence"))
    add_critical_points(fig, landscape)
    _axes(fig, landscape)
    return style(fig, title, height)


def gradient_norm_map(xs, ys, G, landscape: Landscape, title: str | None = None, height: int = 520) -> go.Figure:
    """log10 |grad L|: dark regions are flat (plateaus and critical points)."""
    fig = go.Figure(go.Contour(
        x=xs, y=ys, z=np.log10(np.maximum(G, 1e-12)), colorscale="Cividis", ncontours=24,
        contours=dict(showlines=True), line=dict(width=0.5, color="rgba(255,255,255,0.35)"),
        colorbar=dict(title=dict(text="log₁₀ |∇L|", side="right"), thickness=14),
        hovertemplate="(%{x:.2f}, %{y:.2f})<br>log₁₀|∇L| = %{z:.2f}<extra></extra>", name="gradient norm",
    ))
    add_critical_points(fig, landscape)
    _axes(fig, landscape)
    return style(fig, title, height)


def add_start_points(fig: go.Figure, points: np.ndarray, name: str, color: str, symbol: str = "circle") -> None:
    points = np.asarray(points).reshape(-1, 2)
    fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name=name,
                             marker=dict(symbol=symbol, size=sizes()["marker"], color=color,
                                         line=dict(color="white", width=1))))


def add_named_paths(fig: go.Figure, paths: dict[str, np.ndarray], colors: dict[str, str], dashes: dict | None = None,
                    markers: bool = True) -> None:
    """Paths keyed by a legend name, with their own colours (for series that are not optimizers)."""
    s = sizes()
    for name, path in paths.items():
        path = np.asarray(path)
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines+markers" if markers else "lines", name=name,
                                 line=dict(color=colors[name], width=s["line"], dash=(dashes or {}).get(name, "solid")),
                                 marker=dict(size=max(s["marker"] - 4, 3))))
        fig.add_trace(go.Scatter(x=path[-1:, 0], y=path[-1:, 1], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(size=s["marker"] + 5, color=colors[name], line=dict(color="white", width=2))))


def curves_figure(series: dict[str, np.ndarray], colors: dict[str, str], title: str, y_title: str, log_y: bool = False,
                  widths: dict | None = None, height: int = 330, x_title: str = "step") -> go.Figure:
    """Named curves (not optimizers) with their own colours."""
    s = sizes()
    fig = go.Figure()
    for name, values in series.items():
        values = np.asarray(values, dtype=float)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        fig.add_trace(go.Scatter(x=np.arange(len(values)), y=values, mode="lines", name=name,
                                 line=dict(color=colors[name], width=(widths or {}).get(name, s["line"]))))
    fig.update_yaxes(type="log" if log_y else "linear", title=y_title, exponentformat="power")
    fig.update_xaxes(title=x_title)
    return style(fig, title, height)


def endpoint_figure(labels: np.ndarray, minima: np.ndarray, minimum_losses: np.ndarray, global_loss: float,
                    height: int = 400) -> go.Figure:
    """Where single runs end: the share of runs per minimum (global ones highlighted), unsettled, diverged."""
    labels = np.asarray(labels).ravel()
    names, shares, colors = [], [], []
    order = np.argsort(minimum_losses)
    for i in order:
        names.append(f"E = {minimum_losses[i]:.3g}<br>({minima[i][0]:.2f}, {minima[i][1]:.2f})")
        shares.append(float(np.mean(labels == i)))
        colors.append(SEQUENCE[2] if minimum_losses[i] <= global_loss + 1e-3 * max(1.0, abs(global_loss)) else SEQUENCE[3])
    for code, name, color in ((UNSETTLED, "not settled", UNSETTLED_COLOR), (DIVERGED, "diverged", DIVERGED_COLOR)):
        if np.any(labels == code):
            names.append(name)
            shares.append(float(np.mean(labels == code)))
            colors.append(color)
    fig = go.Figure(go.Bar(x=names, y=shares, marker_color=colors, text=[f"{100 * v:.0f} %" for v in shares],
                           textposition="outside"))
    fig.update_yaxes(title="share of single runs", tickformat=".0%", range=[0, max(shares + [0.1]) * 1.25])
    fig.update_xaxes(title="where a single run ends (green: a global minimum)")
    return style(fig, "Where one run from a random start ends", height, legend=False)


def restart_figure(ks, measured, predicted, p: float, height: int = 400) -> go.Figure:
    s = sizes()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ks, y=measured, mode="lines+markers", name="measured (best of K runs)",
                             line=dict(color=SEQUENCE[0], width=s["line"]), marker=dict(size=s["marker"])))
    fig.add_trace(go.Scatter(x=ks, y=predicted, mode="lines", name=f"1 − (1 − p)^K, p = {p:.2f}",
                             line=dict(color=SEQUENCE[1], width=s["line"], dash="dash")))
    fig.update_xaxes(title="K (number of random starts)")
    fig.update_yaxes(title="P(global minimum found)", range=[0, 1.05])
    return style(fig, "Chance that the best of K restarts is a global minimum", height)


def band_figure(series: dict[str, np.ndarray], names: dict, title: str, y_title: str, log_y: bool = False,
                height: int = 380, x_title: str = "step", floor: float | None = None) -> go.Figure:
    """Median over runs per optimizer with a 10-90 % band; series[key] is (runs, steps). On a log axis,
    values below ``floor`` are drawn at the floor."""
    s = sizes()
    fig = go.Figure()
    for key, values in series.items():
        values = np.asarray(values, dtype=float)
        if floor is not None:
            values = np.maximum(values, floor)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        steps = np.arange(values.shape[1])
        with warnings.catch_warnings():  # all-NaN columns: every run sits exactly at 0 on a log axis
            warnings.simplefilter("ignore", RuntimeWarning)
            low, mid, high = (np.nanpercentile(values, q, axis=0) for q in (10, 50, 90))
        color = optimizer_color(key)
        rgb = tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
        fig.add_trace(go.Scatter(x=np.concatenate([steps, steps[::-1]]), y=np.concatenate([high, low[::-1]]),
                                 fill="toself", fillcolor=f"rgba({rgb[0]},{rgb[1]},{rgb[2]},0.15)", line=dict(width=0),
                                 showlegend=False, hoverinfo="skip", legendgroup=key))
        fig.add_trace(go.Scatter(x=steps, y=mid, mode="lines", name=names.get(key, key), legendgroup=key,
                                 line=dict(color=color, width=s["line"], dash=optimizer_dash(key))))
    fig.update_yaxes(type="log" if log_y else "linear", title=y_title, exponentformat="power")
    fig.update_xaxes(title=x_title)
    return style(fig, title, height)


def minimum_share_figure(d, measured, height: int = 380) -> go.Figure:
    s = sizes()
    d = np.asarray(d)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=d, y=np.where(measured > 0, measured, np.nan), name="random symmetric Hessian (measured)",
                         marker_color=SEQUENCE[0]))
    fig.add_trace(go.Scatter(x=d, y=0.5 ** d, mode="lines+markers", name="independent coin flips: 2^−d",
                             line=dict(color=SEQUENCE[1], width=s["line"], dash="dash")))
    fig.update_yaxes(type="log", title="share that are minima", exponentformat="power", range=[-5, 0.1])
    fig.update_xaxes(title="dimension d", dtick=1)
    return style(fig, "How often is a random critical point a minimum?", height)


def cliff_map(landscape: Landscape, grid, paths: dict[str, np.ndarray], colors: dict[str, str], title: str | None = None,
              dashes: dict | None = None, height: int = 520) -> go.Figure:
    """The cliff over a window wide enough to show where each path jumped."""
    xs, ys, Z = grid
    fig = go.Figure(go.Contour(x=xs, y=ys, z=Z, colorscale="Viridis", ncontours=30, opacity=0.85,
                               contours=dict(showlines=True), line=dict(width=0.5, color="rgba(255,255,255,0.35)"),
                               colorbar=dict(title=dict(text="loss", side="right"), thickness=14),
                               hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<br>loss=%{z:.4g}<extra></extra>", name="loss"))
    add_named_paths(fig, paths, colors, dashes)
    add_critical_points(fig, landscape)
    fig.update_xaxes(range=[xs[0], xs[-1]], title=landscape.axis_labels[0])
    fig.update_yaxes(range=[ys[0], ys[-1]], title=landscape.axis_labels[1])
    return style(fig, title, height)


def jump_figure(jumps: dict[str, np.ndarray], colors: dict[str, str], bounds: dict[str, float], dashes: dict | None = None,
                height: int = 420) -> go.Figure:
    """|theta_{t+1} - theta_t| per step for each variant, with the bound clipping guarantees."""
    s = sizes()
    fig = go.Figure()
    for name, values in jumps.items():
        fig.add_trace(go.Scatter(x=np.arange(1, len(values) + 1), y=np.where(values > 0, values, np.nan), mode="lines+markers",
                                 name=name, line=dict(color=colors[name], width=s["line"], dash=(dashes or {}).get(name, "solid")),
                                 marker=dict(size=5)))
    for name, bound in bounds.items():
        if np.isfinite(bound):
            fig.add_hline(y=bound, line=dict(color=colors[name], dash="dot", width=2))
    fig.update_yaxes(type="log", title="jump |θₜ₊₁ − θₜ|", exponentformat="power")
    fig.update_xaxes(title="step")
    return style(fig, "Jump distance per step (dotted: the cap clipping guarantees)", height)


def power_figure(n, norms, eigenvalues, height: int = 420) -> go.Figure:
    """||W^n|| and |lambda_i|^n against n on a log axis."""
    s = sizes()
    n = np.asarray(n)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=n, y=norms, mode="lines", name="‖Wⁿ‖ (largest stretch)",
                             line=dict(color=SEQUENCE[0], width=s["line"] + 1)))
    for i, lam in enumerate(eigenvalues):
        values = np.abs(lam) ** n.astype(float)
        fig.add_trace(go.Scatter(x=n, y=np.where(values > 0, values, np.nan), mode="lines", name=f"|λ{i + 1}|ⁿ, λ{i + 1} = {lam:g}",
                                 line=dict(color=SEQUENCE[i + 1], width=s["line"], dash="dash")))
    fig.add_hline(y=1.0, line=dict(color="#555555", dash="dot", width=1.5))
    fig.update_yaxes(type="log", title="size", exponentformat="power")
    fig.update_xaxes(title="n (time steps)")
    return style(fig, "Explode or vanish: ‖Wⁿ‖ against n", height)


def hidden_state_figure(states, V, height: int = 420) -> go.Figure:
    """The recurrent state h_n = W^n h_0 in the plane, with the two eigenvector directions."""
    s = sizes()
    states = np.asarray(states)
    shown = states[np.all(np.abs(states) < 1e6, axis=1)]
    reach = float(np.max(np.abs(shown))) if len(shown) else 1.0
    reach = max(reach, 1e-3) * 1.15
    fig = go.Figure()
    for i in range(2):
        v = np.asarray(V)[:, i] * reach * 2
        fig.add_trace(go.Scatter(x=[-v[0], v[0]], y=[-v[1], v[1]], mode="lines", name=f"eigenvector {i + 1}",
                                 line=dict(color=SEQUENCE[i + 1], width=s["line"], dash="dash")))
    fig.add_trace(go.Scatter(x=shown[:, 0], y=shown[:, 1], mode="lines+markers", name="hₙ = Wⁿ h₀",
                             line=dict(color=SEQUENCE[0], width=s["line"]), marker=dict(size=s["marker"] - 2),
                             text=[f"n = {i}" for i in range(len(shown))], hovertemplate="%{text}<br>(%{x:.3g}, %{y:.3g})<extra></extra>"))
    fig.add_trace(go.Scatter(x=[shown[0, 0]], y=[shown[0, 1]], mode="markers", name="h₀",
                             marker=dict(size=s["marker"] + 6, color="white", line=dict(color="black", width=2))))
    fig.update_xaxes(range=[-reach, reach], title="h₁", scaleanchor="y", scaleratio=1)
    fig.update_yaxes(range=[-reach, reach], title="h₂")
    return style(fig, "Hidden state of a linear recurrent net", height)


def success_figure(labels: list[str], rates: list[float], height: int = 360) -> go.Figure:
    s = sizes()
    fig = go.Figure(go.Bar(x=labels, y=rates, marker_color=[SEQUENCE[0], SEQUENCE[1]][: len(labels)],
                           text=[f"{100 * r:.0f} %" for r in rates], textposition="outside",
                           textfont=dict(size=s["font"] + 2)))
    fig.update_yaxes(range=[0, 1.15], title="share of starts reaching the global minimum", tickformat=".0%")
    return style(fig, "Success rate from the same starts", height, legend=False)


def sigma_figure(sigma_per_step: np.ndarray, height: int = 360) -> go.Figure:
    s = sizes()
    fig = go.Figure(go.Scatter(x=np.arange(len(sigma_per_step)), y=sigma_per_step, mode="lines", name="σ",
                               line=dict(color=SEQUENCE[2], width=s["line"] + 1, shape="hv")))
    fig.update_xaxes(title="step")
    fig.update_yaxes(title="blur width σ")
    return style(fig, "Continuation schedule: σ shrinks stage by stage", height, legend=False)
