"""Figures for the Stochastic lab: gradient clouds, the noise-vs-batch-size curve, runs per step and
per sample, batch membership rasters, schedule curves and seed bands. Arrays in, go.Figure out."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.gradient_noise import covariance_ellipse
from landscapes.base import Landscape
from ui.charts import add_critical_points, contour_map, contour_values, style
from ui.theme import SEQUENCE, sizes


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i: i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def point_map(landscape: Landscape, grid, theta, full_gradient, cloud, height: int = 460) -> go.Figure:
    """The map at the chosen point with the directions of the steps: the full-batch -grad L (black) and
    the fan of minibatch -g_B (blue), all scaled by one factor so that -grad L spans a fifth of the map."""
    fig = contour_map(landscape, grid, None, height=height)
    theta = np.asarray(theta, dtype=float)
    (x0, x1), (y0, y1) = landscape.domain
    g = np.asarray(full_gradient)
    scale = 0.2 * max(x1 - x0, y1 - y0) / max(float(np.linalg.norm(g)), 1e-12)
    xs, ys = [], []
    for gb in np.asarray(cloud)[:40]:
        end = theta - scale * gb
        xs += [theta[0], end[0], None]
        ys += [theta[1], end[1], None]
    s = sizes()
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="minibatch directions −ĝ_B",
                             line=dict(color=_rgba("#FFFFFF", 0.8), width=1.5), hoverinfo="skip"))
    end = theta - scale * g
    fig.add_trace(go.Scatter(x=[theta[0], end[0]], y=[theta[1], end[1]], mode="lines+markers", name="full-batch direction −∇L",
                             line=dict(color="#111111", width=s["line"] + 1.5),
                             marker=dict(size=[0, s["marker"] + 6], symbol="arrow", angleref="previous", color="#111111")))
    fig.add_trace(go.Scatter(x=[theta[0]], y=[theta[1]], mode="markers", name="current point θ",
                             marker=dict(size=s["marker"] + 6, color="white", line=dict(color="#111111", width=2.5))))
    return fig


def legend_right(fig: go.Figure) -> go.Figure:
    """A vertical legend to the right of the plot (for figures with many or long series names)."""
    fig.update_layout(legend=dict(orientation="v", x=1.02, xanchor="left", y=1.0, yanchor="top"),
                      margin=dict(r=10))
    return fig


def gradient_cloud_figure(per_sample, cloud, full_gradient, predicted_covariance, batch_size: int,
                          height: int = 460) -> go.Figure:
    """Gradient space: single-sample gradients (grey), minibatch gradients (blue), the full gradient
    (black star), the 2-sigma ellipse of the predicted covariance, and the origin."""
    per_sample, cloud, g = np.asarray(per_sample), np.asarray(cloud), np.asarray(full_gradient)
    s = sizes()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=per_sample[:, 0], y=per_sample[:, 1], mode="markers", name="single samples (B = 1)",
                             marker=dict(size=5, color="rgba(110,110,110,0.45)")))
    fig.add_trace(go.Scatter(x=cloud[:, 0], y=cloud[:, 1], mode="markers", name=f"minibatches, B = {batch_size}",
                             marker=dict(size=6, color=_rgba(SEQUENCE[0], 0.45))))
    ellipse = covariance_ellipse(g, predicted_covariance, 2.0)
    fig.add_trace(go.Scatter(x=ellipse[:, 0], y=ellipse[:, 1], mode="lines", name="2σ ellipse (predicted)",
                             line=dict(color=SEQUENCE[3], width=s["line"] + 0.5)))
    fig.add_trace(go.Scatter(x=[g[0]], y=[g[1]], mode="markers", name="full gradient ∇L",
                             marker=dict(symbol="star", size=s["marker"] + 12, color="#111111", line=dict(color="white", width=1.5))))
    fig.add_hline(y=0, line=dict(color="#999999", width=1))
    fig.add_vline(x=0, line=dict(color="#999999", width=1))
    # Frame the minibatch cloud (the single samples may spread much further).
    focus = np.concatenate([cloud, ellipse, g[None]])
    lo, hi = focus.min(axis=0), focus.max(axis=0)
    centre, half = (lo + hi) / 2, max(float(np.max(hi - lo)) * 0.6, 1e-9)
    fig.update_xaxes(range=[centre[0] - half, centre[0] + half], title="∂L/∂θ₁")
    fig.update_yaxes(range=[centre[1] - half, centre[1] + half], title="∂L/∂θ₂", scaleanchor="x", scaleratio=1)
    return style(fig, None, height)


def standard_error_figure(sizes_b, measured: dict, predicted_without, predicted_with, batch_size: int,
                          names: dict, height: int = 420) -> go.Figure:
    """Log-log: the gradient's standard error against B, measured (markers) and predicted (lines)."""
    B = np.asarray(sizes_b, dtype=float)
    s = sizes()

    def positive(values):
        values = np.asarray(values, dtype=float)
        return np.where(values > 1e-12 * max(float(np.max(values)), 1e-300), values, np.nan)

    fig = go.Figure()
    fig.add_trace(go.Scatter(x=B, y=positive(predicted_with), mode="lines", name="σ/√B (with replacement)",
                             line=dict(color=SEQUENCE[1], width=s["line"], dash="dash")))
    fig.add_trace(go.Scatter(x=B, y=positive(predicted_without), mode="lines", name="σ/√B · √((N−B)/(N−1)) (without)",
                             line=dict(color=SEQUENCE[0], width=s["line"])))
    symbols = {"shuffle": ("circle", SEQUENCE[0]), "replacement": ("square-open", SEQUENCE[1]), "sorted": ("x", "#555555")}
    for key, values in measured.items():
        symbol, colour = symbols[key]
        fig.add_trace(go.Scatter(x=B, y=positive(values), mode="markers", name=f"measured · {names[key]}",
                                 marker=dict(symbol=symbol, size=s["marker"] + 3, color=colour,
                                             line=dict(color=colour, width=2))))
    finite = np.concatenate([positive(v) for v in [predicted_with, *measured.values()]])
    finite = finite[np.isfinite(finite)]
    low, high = (float(finite.min()), float(finite.max())) if finite.size else (1e-3, 1.0)
    fig.add_trace(go.Scatter(x=[batch_size, batch_size], y=[low, high], mode="lines+text", name=f"your B = {batch_size}",
                             line=dict(color="#555555", width=1.5, dash="dot"), text=["", f" B = {batch_size}"],
                             textposition="top right", showlegend=False, hoverinfo="skip"))
    # Shapes on log axes take log10 coordinates, so the marker line above is a trace; the range is explicit.
    fig.update_xaxes(type="log", title="batch size B (log scale)", range=[np.log10(0.8), np.log10(B.max() * 1.25)])
    fig.update_yaxes(type="log", title="standard error of ĝ_B (log scale)", exponentformat="power")
    style(fig, None, height)
    # The curves fall from top left to bottom right: the bottom-left corner is free for the legend.
    fig.update_layout(legend=dict(orientation="v", x=0.01, xanchor="left", y=0.01, yanchor="bottom"))
    return fig


def curves_figure(series: dict, title: str | None, x_title: str, y_title: str, log_y: bool = True, log_x: bool = False,
                  height: int = 360, x_max: float | None = None) -> go.Figure:
    """Lines: series = {name: (x, y, colour, dash)}."""
    s = sizes()
    fig = go.Figure()
    for name, (x, y, colour, dash) in series.items():
        y = np.asarray(y, dtype=float)
        if log_y:
            y = np.where(y > 0, y, np.nan)
        x = np.asarray(x, dtype=float)
        if log_x:
            x = x + 1.0
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, line=dict(color=colour, width=s["line"], dash=dash)))
    fig.update_yaxes(type="log" if log_y else "linear", title=y_title, exponentformat="power")
    fig.update_xaxes(type="log" if log_x else "linear", title=x_title)
    if x_max is not None and not log_x:
        fig.update_xaxes(range=[0, x_max])
    return legend_right(style(fig, title, height))


def band_figure(bands: dict, title: str | None, x_title: str, y_title: str, log_y: bool = True,
                height: int = 380) -> go.Figure:
    """Median lines with a shaded spread: bands = {name: (x, median, low, high, colour, dash)}."""
    s = sizes()
    fig = go.Figure()
    for name, (x, median, low, high, colour, dash) in bands.items():
        x = np.asarray(x, dtype=float)
        clean = (lambda v: np.where(np.asarray(v) > 0, v, np.nan)) if log_y else (lambda v: np.asarray(v, dtype=float))
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([clean(high), clean(low)[::-1]]),
                                 fill="toself", fillcolor=_rgba(colour, 0.13), line=dict(width=0), hoverinfo="skip",
                                 showlegend=False, legendgroup=name, name=f"{name} spread"))
        fig.add_trace(go.Scatter(x=x, y=clean(median), mode="lines", name=name, legendgroup=name,
                                 line=dict(color=colour, width=s["line"], dash=dash)))
    fig.update_yaxes(type="log" if log_y else "linear", title=y_title, exponentformat="power")
    fig.update_xaxes(title=x_title)
    return legend_right(style(fig, title, height))


def paths_map(landscape: Landscape, grid, paths: dict, height: int = 480) -> go.Figure:
    """Contour map with one path per entry: paths = {name: (path (T, 2), colour, dash)}."""
    fig = contour_map(landscape, grid, None, height=height)
    s = sizes()
    for name, (path, colour, dash) in paths.items():
        path = np.asarray(path)
        fig.add_trace(go.Scatter(x=path[:, 0], y=path[:, 1], mode="lines", name=name,
                                 line=dict(color=colour, width=s["line"] - 0.5, dash=dash), opacity=0.9))
        fig.add_trace(go.Scatter(x=[path[-1, 0]], y=[path[-1, 1]], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(size=s["marker"] + 5, color=colour, line=dict(color="white", width=2))))
    return fig


def membership_figure(memberships: dict, names: dict, steps_per_epoch: int, height: int = 330) -> go.Figure:
    """Which samples each step uses, one panel per sampling scheme (x: sample in stored order, y: step)."""
    keys = list(memberships)
    fig = make_subplots(rows=1, cols=len(keys), subplot_titles=[names[k] for k in keys], horizontal_spacing=0.05)
    top = max(int(np.max(m)) for m in memberships.values())
    for j, key in enumerate(keys, start=1):
        counts = np.asarray(memberships[key])
        fig.add_trace(go.Heatmap(z=counts, x=np.arange(counts.shape[1]), y=np.arange(counts.shape[0]), zmin=0,
                                 zmax=max(top, 1), colorscale=[[0, "#f4f4f4"], [1.0 / max(top, 1), SEQUENCE[0]], [1, "#000000"]],
                                 showscale=j == len(keys), colorbar=dict(title=dict(text="uses"), thickness=12),
                                 hovertemplate="step %{y}, sample %{x}: used %{z}×<extra></extra>"), row=1, col=j)
        for boundary in range(steps_per_epoch, counts.shape[0], steps_per_epoch):
            fig.add_hline(y=boundary - 0.5, line=dict(color=SEQUENCE[3], width=2), row=1, col=j)
        fig.update_xaxes(title_text="sample (stored order)", row=1, col=j)
    fig.update_yaxes(title_text="step", autorange="reversed", row=1, col=1)
    for j in range(2, len(keys) + 1):
        fig.update_yaxes(autorange="reversed", row=1, col=j)
    style(fig, None, height, legend=False)
    fig.update_annotations(font=dict(size=sizes()["font"]))
    return fig


def jitter_map(landscape: Landscape, grid, clouds: dict, height: int = 460) -> go.Figure:
    """A zoom around the minimum with the last iterates of every seed: clouds = {name: (points, colour)}."""
    xs, ys, Z = grid
    values, label = contour_values(landscape, np.asarray(Z))
    fig = go.Figure(go.Contour(x=xs, y=ys, z=values, colorscale="Greys", reversescale=True, ncontours=18, opacity=0.55,
                               showscale=False, contours=dict(showlines=True), hoverinfo="skip", name="loss"))
    s = sizes()
    # The widest clouds first, so the tight ones stay visible on top of them.
    widest_first = sorted(clouds.items(), key=lambda item: -float(np.mean(np.var(np.asarray(item[1][0]), axis=0).sum())))
    for name, (points, colour) in widest_first:
        points = np.asarray(points)
        fig.add_trace(go.Scatter(x=points[:, 0], y=points[:, 1], mode="markers", name=name,
                                 marker=dict(size=6, color=_rgba(colour, 0.6), line=dict(width=0))))
    add_critical_points(fig, landscape)
    fig.update_xaxes(range=[xs[0], xs[-1]], title=landscape.axis_labels[0], constrain="domain")
    fig.update_yaxes(range=[ys[0], ys[-1]], title=landscape.axis_labels[1], scaleanchor="x", scaleratio=1,
                     constrain="domain")
    style(fig, None, height)
    return legend_right(fig)


def spread_boxes(values: dict, title: str | None, y_title: str, log_y: bool = True, height: int = 380) -> go.Figure:
    """One box per entry over the seeds: values = {name: (array, colour)}."""
    fig = go.Figure()
    for name, (v, colour) in values.items():
        v = np.asarray(v, dtype=float)
        v = v[np.isfinite(v) & ((v > 0) if log_y else True)]
        fig.add_trace(go.Box(y=v, name=name, marker_color=colour, boxpoints="all", jitter=0.35, pointpos=0,
                             line=dict(width=2), fillcolor=_rgba(colour, 0.25)))
    fig.update_yaxes(type="log" if log_y else "linear", title=y_title, exponentformat="power")
    return style(fig, title, height, legend=False)
