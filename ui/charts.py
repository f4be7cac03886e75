"""Plotly figure builders shared by the pages. They take NumPy arrays and results, never widgets."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from analysis.curvature import Curvature
from landscapes.base import Landscape
from ui.theme import CRITICAL_POINT_SYMBOLS, SEQUENCE, optimizer_color, optimizer_dash, presentation_on, sizes

CLICK_GRID = 36  # the invisible marker grid that turns a click on a map into a start point


def style(fig: go.Figure, title: str | None = None, height: int = 420, legend: bool = True) -> go.Figure:
    s = sizes()
    fig.update_layout(
        title=dict(text=title, font=dict(size=s["title"])) if title else None,
        height=height,
        margin=dict(l=60, r=20, t=60 if title else 20, b=110 if presentation_on() else 80),
        font=dict(size=s["font"], color="#111111"),
        template="plotly_white",
        showlegend=legend,
        legend=dict(font=dict(size=s["font"]), bgcolor="rgba(255,255,255,0.8)", orientation="h",
                    yanchor="top", y=-0.24 if presentation_on() else -0.2, xanchor="left", x=0),
        colorway=SEQUENCE,
    )
    fig.update_xaxes(tickfont=dict(size=s["tick"]), title_font=dict(size=s["font"]))
    fig.update_yaxes(tickfont=dict(size=s["tick"]), title_font=dict(size=s["font"]))
    return fig


def loss_transform(landscape: Landscape, Z: np.ndarray):
    """(function, label) mapping losses to what maps colour: log10(L - L* + delta) on surfaces that
    span many decades (L* and delta fixed from the grid ``Z``, so paths use the same scale), else L."""
    if not landscape.log_contours:
        return (lambda values: np.asarray(values, dtype=float)), "loss"
    finite = Z[np.isfinite(Z)]
    low = min([float(finite.min())] + [p.loss for p in landscape.minima() if p.loss is not None])
    delta = 1e-4 * max(float(finite.max()) - low, 1e-12)
    return (lambda values: np.log10(np.maximum(np.asarray(values, dtype=float) - low, 0.0) + delta)), "log₁₀(L − L*)"


def contour_values(landscape: Landscape, Z: np.ndarray) -> tuple[np.ndarray, str]:
    """What the map colours at the grid ``Z`` and the colour bar's label."""
    transform, label = loss_transform(landscape, np.asarray(Z))
    return transform(Z), label


def contour_map(landscape: Landscape, grid, title: str | None = None, click_grid: bool = False, height: int = 560) -> go.Figure:
    """The loss as filled contours with the known critical points marked."""
    xs, ys, Z = grid
    values, label = contour_values(landscape, np.asarray(Z))
    fig = go.Figure()
    fig.add_trace(
        go.Contour(
            x=xs, y=ys, z=values, colorscale="Viridis", ncontours=30, opacity=0.85,
            contours=dict(showlines=True), line=dict(width=0.5, color="rgba(255,255,255,0.35)"),
            colorbar=dict(title=dict(text=label, side="right"), thickness=14),
            hovertemplate="x=%{x:.3f}<br>y=%{y:.3f}<br>" + label + "=%{z:.4g}<extra></extra>",
            name="loss",
        )
    )
    if click_grid:
        (x0, x1), (y0, y1) = landscape.domain
        gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
        fig.add_trace(
            go.Scatter(
                x=gx.ravel(), y=gy.ravel(), mode="markers", name="click to start here",
                marker=dict(size=14, color="rgba(0,0,0,0.01)"), showlegend=False,
                hovertemplate="start at (%{x:.2f}, %{y:.2f})<extra>click</extra>",
            )
        )
    add_critical_points(fig, landscape)
    (x0, x1), (y0, y1) = landscape.domain
    fig.update_xaxes(range=[x0, x1], title=landscape.axis_labels[0])
    fig.update_yaxes(range=[y0, y1], title=landscape.axis_labels[1])
    return style(fig, title, height)


def add_critical_points(fig: go.Figure, landscape: Landscape) -> None:
    by_kind: dict[str, list] = {}
    for p in landscape.critical_points:
        by_kind.setdefault(p.kind, []).append(p)
    for kind, points in by_kind.items():
        fig.add_trace(
            go.Scatter(
                x=[p.x for p in points], y=[p.y for p in points], mode="markers", name=kind,
                marker=dict(symbol=CRITICAL_POINT_SYMBOLS.get(kind, "circle"), size=sizes()["marker"] + 6,
                            color="white", line=dict(color="black", width=2)),
                text=[f"{p.label or kind}: L = {p.loss:.4g}" if p.loss is not None else p.label for p in points],
                hovertemplate="%{text}<br>(%{x:.4f}, %{y:.4f})<extra></extra>",
            )
        )


def add_paths(fig: go.Figure, paths: dict, names: dict, step: int | None = None) -> None:
    """One line per optimizer up to ``step`` (all of it if None) and a marker at its current point."""
    s = sizes()
    for key, path in paths.items():
        n = len(path) if step is None else min(step + 1, len(path))
        shown = path[:n]
        fig.add_trace(
            go.Scatter(
                x=shown[:, 0], y=shown[:, 1], mode="lines+markers", name=names.get(key, key),
                line=dict(color=optimizer_color(key), width=s["line"], dash=optimizer_dash(key)),
                marker=dict(size=max(s["marker"] - 4, 3)), legendgroup=key,
                hovertemplate=names.get(key, key) + " step %{pointNumber}<br>(%{x:.4f}, %{y:.4f})<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=[shown[-1, 0]], y=[shown[-1, 1]], mode="markers", showlegend=False, legendgroup=key,
                marker=dict(size=s["marker"] + 6, color=optimizer_color(key), line=dict(color="white", width=2)),
                hoverinfo="skip",
            )
        )


def add_eigenvector_arrows(fig: go.Figure, landscape: Landscape, points: dict, curvatures: dict) -> None:
    """At each current point, the Hessian's two eigenvectors as segments: solid dark for upward
    curvature (lambda > 0), dashed vermillion for downward (lambda < 0); longer for larger |lambda|."""
    (x0, x1), (y0, y1) = landscape.domain
    base = 0.09 * max(x1 - x0, y1 - y0)
    for key, point in points.items():
        curv: Curvature = curvatures[key]
        lam, vec = curv.eigenvalues, curv.eigenvectors
        biggest = max(float(np.max(np.abs(lam))), 1e-300)
        for j in range(2):
            length = base * (0.35 + 0.65 * abs(float(lam[j])) / biggest)
            d = vec[:, j] * length
            positive = lam[j] >= 0
            fig.add_trace(
                go.Scatter(
                    x=[point[0] - d[0], point[0] + d[0]], y=[point[1] - d[1], point[1] + d[1]], mode="lines",
                    line=dict(color="#222222" if positive else "#D55E00", width=sizes()["line"] + 1,
                              dash="solid" if positive else "dash"),
                    showlegend=False, name=f"eigenvector λ={float(lam[j]):.3g}",
                    hovertemplate=f"Hessian eigenvector, λ = {float(lam[j]):.4g}<extra></extra>",
                )
            )


def surface_figure(landscape: Landscape, grid, paths: dict, names: dict, step: int | None = None, height: int = 560) -> go.Figure:
    """The loss surface over the domain with each path drawn on it (points outside the domain are left out)."""
    xs, ys, Z = grid
    transform, label = loss_transform(landscape, np.asarray(Z))
    values = transform(Z)
    fig = go.Figure(
        go.Surface(x=xs, y=ys, z=values, colorscale="Viridis", opacity=0.9, showscale=False, name="loss",
                   contours=dict(z=dict(show=True, usecolormap=True, project=dict(z=True))))
    )
    s = sizes()
    (x0, x1), (y0, y1) = landscape.domain
    z_low, z_high = float(np.nanmin(values)), float(np.nanmax(values))
    for key, path in paths.items():
        n = len(path) if step is None else min(step + 1, len(path))
        shown = np.array(path[:n], dtype=float)
        inside = (shown[:, 0] >= x0) & (shown[:, 0] <= x1) & (shown[:, 1] >= y0) & (shown[:, 1] <= y1)
        z_path = np.clip(transform(landscape.loss(shown)), z_low, z_high)
        shown[~inside] = np.nan
        z_path = np.where(inside, z_path, np.nan)
        fig.add_trace(
            go.Scatter3d(x=shown[:, 0], y=shown[:, 1], z=z_path, mode="lines+markers", name=names.get(key, key),
                         line=dict(color=optimizer_color(key), width=s["line"] + 3),
                         marker=dict(size=2.5, color=optimizer_color(key)), connectgaps=False)
        )
    ticks = dict(tickfont=dict(size=max(10, s["tick"] - 5)), nticks=5)
    fig.update_layout(scene=dict(xaxis=dict(title=landscape.axis_labels[0], range=[x0, x1], **ticks),
                                 yaxis=dict(title=landscape.axis_labels[1], range=[y0, y1], **ticks),
                                 zaxis=dict(title=label, range=[z_low, z_high], **ticks),
                                 camera=dict(eye=dict(x=1.4, y=-1.5, z=1.1))))
    style(fig, None, height)
    fig.update_layout(margin=dict(l=0, r=0, t=10, b=0))
    return fig


def series_figure(series: dict, names: dict, title: str, y_title: str, log_y: bool = True, step: int | None = None,
                  height: int = 330, x_title: str = "step") -> go.Figure:
    """Curves per optimizer against the step, with a line at the scrubber's step."""
    s = sizes()
    fig = go.Figure()
    for key, values in series.items():
        values = np.asarray(values, dtype=float)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        fig.add_trace(go.Scatter(x=np.arange(len(values)), y=values, mode="lines", name=names.get(key, key),
                                 line=dict(color=optimizer_color(key), width=s["line"], dash=optimizer_dash(key))))
    if step is not None:
        fig.add_vline(x=step, line=dict(color="#555555", width=1.5, dash="dot"))
    fig.update_yaxes(type="log" if log_y else "linear", title=y_title, exponentformat="power")
    fig.update_xaxes(title=x_title)
    return style(fig, title, height)


def stability_figure(lambda_max: dict, learning_rates: dict, names: dict, step: int | None = None, height: int = 360) -> go.Figure:
    """lambda_max along each trajectory against 2 / lr: where lambda_max rises above 2 / lr, gradient
    descent on the local quadratic would diverge. ``learning_rates`` holds one lr series per distinct
    limit to draw (e.g. the first-order methods' shared schedule), keyed by its legend name."""
    s = sizes()
    fig = go.Figure()
    for key, lam in lambda_max.items():
        fig.add_trace(go.Scatter(x=np.arange(len(lam)), y=lam, mode="lines", name=f"λ_max · {names.get(key, key)}",
                                 line=dict(color=optimizer_color(key), width=s["line"], dash=optimizer_dash(key))))
    for label, lr in learning_rates.items():
        limit = 2.0 / np.asarray(lr, dtype=float)
        fig.add_trace(go.Scatter(x=np.arange(len(limit)), y=limit, mode="lines", name=label,
                                 line=dict(color="#555555", width=s["line"], dash="dot")))
    if step is not None:
        fig.add_vline(x=step, line=dict(color="#555555", width=1.5, dash="dot"))
    values = np.concatenate([np.asarray(v, dtype=float) for v in lambda_max.values()] or [np.ones(1)])
    fig.update_yaxes(type="log" if np.all(values > 0) else "linear", title="curvature", exponentformat="power")
    fig.update_xaxes(title="step")
    return style(fig, "λ_max along the path vs 2/η", height)


def animation_figure(landscape: Landscape, grid, paths: dict, names: dict, n_frames: int = 60, height: int = 600) -> go.Figure:
    """The race as a Plotly animation: the contour map is drawn once, frames update only the paths."""
    fig = contour_map(landscape, grid, None, click_grid=False, height=height)
    n_static = len(fig.data)
    longest = max(len(p) for p in paths.values())
    frame_steps = np.unique(np.linspace(0, longest - 1, min(n_frames, longest)).astype(int))
    s = sizes()
    for key, path in paths.items():
        fig.add_trace(go.Scatter(x=path[:1, 0], y=path[:1, 1], mode="lines+markers", name=names.get(key, key),
                                 line=dict(color=optimizer_color(key), width=s["line"], dash=optimizer_dash(key)),
                                 marker=dict(size=max(s["marker"] - 3, 3))))
    path_traces = list(range(n_static, n_static + len(paths)))
    frames = []
    for t in frame_steps:
        data = [go.Scatter(x=p[: min(t + 1, len(p)), 0], y=p[: min(t + 1, len(p)), 1]) for p in paths.values()]
        frames.append(go.Frame(data=data, traces=path_traces, name=str(int(t))))
    fig.frames = frames
    fig.update_layout(
        updatemenus=[dict(type="buttons", showactive=False, x=0.0, y=-0.08, xanchor="left", yanchor="top",
                          buttons=[dict(label="▶ Play", method="animate",
                                        args=[None, dict(frame=dict(duration=80, redraw=False), fromcurrent=True, transition=dict(duration=0))]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate")])])],
        sliders=[dict(active=0, x=0.15, len=0.85, y=-0.05, currentvalue=dict(prefix="step "),
                      steps=[dict(method="animate", label=f.name,
                                  args=[[f.name], dict(mode="immediate", frame=dict(duration=0, redraw=False))]) for f in frames])],
    )
    fig.update_layout(margin=dict(b=110))
    return fig


def animation_html(fig: go.Figure) -> bytes:
    """A self-contained HTML file (plotly.js inlined) that plays the animation offline, for slides."""
    return fig.to_html(include_plotlyjs=True, full_html=True, auto_play=False).encode()
