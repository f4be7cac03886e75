"""Figures for the non-convex lab: basin maps, gradient-norm maps, restart curves, saddles in d
dimensions, cliffs and clipping, matrix powers, smoothed losses. Arrays in, **plain dict figures** out
(``{"data": [...], "layout": {...}}``, as ``ui.charts`` builds them): a ``go.Figure`` validates every property
and deep-copies its template on each update, which was most of these pages' server time. The JSON they
give is the one the ``go.Figure`` versions gave. ``ui.nonconvex.compute`` caches them by their inputs, so
never mutate a figure in place once it has been handed out (build a new top-level dict around its parts)."""

from __future__ import annotations

import functools

import numpy as np

from analysis.basins import DIVERGED, UNSETTLED, BasinMap
from landscapes.base import Landscape
from ui.charts import add_critical_points, add_trace, contour_map, new_figure, style, surface_base
from ui.theme import SEQUENCE, optimizer_color, optimizer_dash, sizes

UNSETTLED_COLOR = "#BBBBBB"
DIVERGED_COLOR = "#000000"
MINIMUM_COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]


def _axes(fig: dict, landscape: Landscape) -> None:
    (x0, x1), (y0, y1) = landscape.domain
    fig["layout"]["xaxis"] = {"range": [x0, x1], "title": {"text": landscape.axis_labels[0]}, "constrain": "domain"}
    fig["layout"]["yaxis"] = {"range": [y0, y1], "title": {"text": landscape.axis_labels[1]}}


def hline(y: float, line: dict) -> dict:
    """The shape ``go.Figure.add_hline(y=y, line=line)`` adds: across the whole plot at height ``y``."""
    return {"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": y, "y1": y, "yref": "y", "line": dict(line)}


@functools.lru_cache(maxsize=None)
def _named_scale(name: str) -> tuple:
    """A named colorscale as the ``[[position, colour], ...]`` list ``go.Figure`` writes for it (plotly.py's stops,
    which differ slightly from plotly.js's own scale of that name)."""
    from _plotly_utils.basevalidators import ColorscaleValidator

    return tuple((float(p), c) for p, c in ColorscaleValidator("colorscale", "contour").validate_coerce(name))


def scale(name: str) -> list:
    return [list(stop) for stop in _named_scale(name)]


def _discrete_colorscale(colors: list[str]) -> list:
    n = len(colors)
    scale = []
    for i, c in enumerate(colors):
        scale += [[i / n, c], [(i + 1) / n, c]]
    return scale


def contour_figure(landscape: Landscape, grid, title: str | None = None, height: int = 560) -> dict:
    """``ui.charts.contour_map`` as a dict."""
    return contour_map(landscape, grid, title, height=height, as_dict=True)


def surface_figure(landscape: Landscape, grid, height: int = 560) -> dict:
    """``ui.charts.surface_figure`` without paths, as a dict."""
    fig = surface_base(landscape, grid, height)[0]
    layout = {k: v for k, v in fig["layout"].items() if not (k == "title" and not v)}  # go.Figure drops an empty title
    return {"layout": layout, "data": fig["data"]}


def basin_figure(basin: BasinMap, landscape: Landscape, color_by: str = "minimum", title: str | None = None,
                 height: int = 520) -> dict:
    """Each start coloured by where its run ended: which minimum, the final loss, or diverged / not."""
    fig = new_figure()
    label = basin.label
    if color_by == "minimum":
        n_min = len(basin.minima)
        # category codes: 0 diverged, 1 unsettled, 2.. minimum i
        code = np.where(label == DIVERGED, 0, np.where(label == UNSETTLED, 1, label + 2))
        colors = [DIVERGED_COLOR, UNSETTLED_COLOR] + [MINIMUM_COLORS[i % len(MINIMUM_COLORS)] for i in range(n_min)]
        names = ["diverged", "not settled"] + [f"min {i + 1} ({x:.2f}, {y:.2f})" for i, (x, y) in enumerate(basin.minima)]
        n = len(colors)
        fig["data"].append({
            "type": "heatmap", "x": np.asarray(basin.xs), "y": np.asarray(basin.ys), "z": code, "zmin": -0.5,
            "zmax": n - 0.5, "colorscale": _discrete_colorscale(colors),
            "colorbar": {"tickvals": list(range(n)), "ticktext": names, "thickness": 14, "len": 0.9},
            "customdata": np.asarray(names, dtype=object)[code].tolist(),
            "hovertemplate": "start (%{x:.2f}, %{y:.2f})<br>→ %{customdata}<extra></extra>", "name": "basins",
        })
    elif color_by == "loss":
        loss = np.where(label == DIVERGED, np.nan, basin.final_loss)
        fig["data"].append({"type": "heatmap", "x": np.asarray(basin.xs), "y": np.asarray(basin.ys), "z": loss,
                            "colorscale": scale("Viridis"),
                            "colorbar": {"title": {"text": "final loss", "side": "right"}, "thickness": 14},
                            "hovertemplate": "start (%{x:.2f}, %{y:.2f})<br>final loss %{z:.4g}<extra></extra>",
                            "name": "final loss"})
    else:  # divergence
        code = (label == DIVERGED).astype(int)
        fig["data"].append({"type": "heatmap", "x": np.asarray(basin.xs), "y": np.asarray(basin.ys), "z": code,
                            "zmin": -0.5, "zmax": 1.5, "colorscale": _discrete_colorscale(["#56B4E9", DIVERGED_COLOR]),
                            "colorbar": {"tickvals": [0, 1], "ticktext": ["stayed finite", "diverged"], "thickness": 14},
                            "hovertemplate": "start (%{x:.2f}, %{y:.2f})<br>%{z}<extra>1 = diverged</extra>",
                            "name": "divergence"})
    add_critical_points(fig, landscape)
    _axes(fig, landscape)
    return style(fig, title, height)


def gradient_norm_map(xs, ys, G, landscape: Landscape, title: str | None = None, height: int = 520) -> dict:
    """log10 |grad L|: dark regions are flat (plateaus and critical points)."""
    fig = new_figure([{
        "type": "contour", "x": np.asarray(xs), "y": np.asarray(ys), "z": np.log10(np.maximum(G, 1e-12)),
        "colorscale": scale("Cividis"), "ncontours": 24, "contours": {"showlines": True},
        "line": {"width": 0.5, "color": "rgba(255,255,255,0.35)"},
        "colorbar": {"title": {"text": "log₁₀ |∇L|", "side": "right"}, "thickness": 14},
        "hovertemplate": "(%{x:.2f}, %{y:.2f})<br>log₁₀|∇L| = %{z:.2f}<extra></extra>", "name": "gradient norm",
    }])
    add_critical_points(fig, landscape)
    _axes(fig, landscape)
    return style(fig, title, height)


def start_points_trace(points: np.ndarray, name: str, color: str, symbol: str = "circle") -> dict:
    points = np.asarray(points).reshape(-1, 2)
    return {"type": "scatter", "x": points[:, 0], "y": points[:, 1], "mode": "markers", "name": name,
            "marker": {"symbol": symbol, "size": sizes()["marker"], "color": color, "line": {"color": "white", "width": 1}}}


def add_start_points(fig, points: np.ndarray, name: str, color: str, symbol: str = "circle") -> None:
    add_trace(fig, start_points_trace(points, name, color, symbol))


def named_path_traces(paths: dict[str, np.ndarray], colors: dict[str, str], dashes: dict | None = None,
                      markers: bool = True) -> list[dict]:
    """(line, marker at its end) per path keyed by a legend name, with its own colour (series that are not optimizers)."""
    s = sizes()
    out = []
    for name, path in paths.items():
        path = np.asarray(path)
        out.append({"type": "scatter", "x": path[:, 0], "y": path[:, 1], "mode": "lines+markers" if markers else "lines",
                    "name": name, "line": {"color": colors[name], "width": s["line"], "dash": (dashes or {}).get(name, "solid")},
                    "marker": {"size": max(s["marker"] - 4, 3)}})
        out.append({"type": "scatter", "x": path[-1:, 0], "y": path[-1:, 1], "mode": "markers", "showlegend": False,
                    "hoverinfo": "skip",
                    "marker": {"size": s["marker"] + 5, "color": colors[name], "line": {"color": "white", "width": 2}}})
    return out


def add_named_paths(fig, paths: dict[str, np.ndarray], colors: dict[str, str], dashes: dict | None = None,
                    markers: bool = True) -> None:
    """Paths keyed by a legend name, with their own colours (for series that are not optimizers)."""
    for trace in named_path_traces(paths, colors, dashes, markers):
        add_trace(fig, trace)


def curves_figure(series: dict[str, np.ndarray], colors: dict[str, str], title: str, y_title: str, log_y: bool = False,
                  widths: dict | None = None, height: int = 330, x_title: str = "step") -> dict:
    """Named curves (not optimizers) with their own colours."""
    s = sizes()
    fig = new_figure()
    for name, values in series.items():
        values = np.asarray(values, dtype=float)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        fig["data"].append({"type": "scatter", "x": np.arange(len(values)), "y": values, "mode": "lines", "name": name,
                            "line": {"color": colors[name], "width": (widths or {}).get(name, s["line"])}})
    fig["layout"]["yaxis"] = {"type": "log" if log_y else "linear", "title": {"text": y_title}, "exponentformat": "power"}
    fig["layout"]["xaxis"] = {"title": {"text": x_title}}
    return style(fig, title, height)


def endpoint_figure(labels: np.ndarray, minima: np.ndarray, minimum_losses: np.ndarray, global_loss: float,
                    height: int = 400) -> dict:
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
    fig = new_figure([{"type": "bar", "x": names, "y": shares, "marker": {"color": colors},
                       "text": [f"{100 * v:.0f} %" for v in shares], "textposition": "outside"}])
    fig["layout"]["yaxis"] = {"title": {"text": "share of single runs"}, "tickformat": ".0%", "range": [0, max(shares + [0.1]) * 1.25]}
    fig["layout"]["xaxis"] = {"title": {"text": "where a single run ends (green: a global minimum)"}}
    return style(fig, "Where one run from a random start ends", height, legend=False)


def restart_figure(ks, measured, predicted, p: float, height: int = 400) -> dict:
    s = sizes()
    fig = new_figure([
        {"type": "scatter", "x": np.asarray(ks), "y": np.asarray(measured), "mode": "lines+markers", "name": "measured (best of K runs)",
         "line": {"color": SEQUENCE[0], "width": s["line"]}, "marker": {"size": s["marker"]}},
        {"type": "scatter", "x": np.asarray(ks), "y": np.asarray(predicted), "mode": "lines", "name": f"1 − (1 − p)^K, p = {p:.2f}",
         "line": {"color": SEQUENCE[1], "width": s["line"], "dash": "dash"}},
    ])
    fig["layout"]["xaxis"] = {"title": {"text": "K (number of random starts)"}}
    fig["layout"]["yaxis"] = {"title": {"text": "P(global minimum found)"}, "range": [0, 1.05]}
    return style(fig, "Chance that the best of K restarts is a global minimum", height)


def band_figure(series: dict[str, np.ndarray], names: dict, title: str, y_title: str, log_y: bool = False,
                height: int = 380, x_title: str = "step", floor: float | None = None) -> dict:
    """Median over runs per optimizer with a 10-90 % band; series[key] is (runs, steps). On a log axis,
    values below ``floor`` are drawn at the floor."""
    s = sizes()
    fig = new_figure()
    for key, values in series.items():
        values = np.asarray(values, dtype=float)
        if floor is not None:
            values = np.maximum(values, floor)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        steps = np.arange(values.shape[1])
        low, mid, high = _percentiles(values)
        color = optimizer_color(key)
        rgb = tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
        fig["data"].append({"type": "scatter", "x": np.concatenate([steps, steps[::-1]]), "y": np.concatenate([high, low[::-1]]),
                            "fill": "toself", "fillcolor": f"rgba({rgb[0]},{rgb[1]},{rgb[2]},0.15)", "line": {"width": 0},
                            "showlegend": False, "hoverinfo": "skip", "legendgroup": key})
        fig["data"].append({"type": "scatter", "x": steps, "y": mid, "mode": "lines", "name": names.get(key, key), "legendgroup": key,
                            "line": {"color": color, "width": s["line"], "dash": optimizer_dash(key)}})
    fig["layout"]["yaxis"] = {"type": "log" if log_y else "linear", "title": {"text": y_title}, "exponentformat": "power"}
    fig["layout"]["xaxis"] = {"title": {"text": x_title}}
    return style(fig, title, height)


def _percentiles(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 10th, 50th and 90th percentiles over runs (axis 0), ignoring NaN: the numbers ``np.nanpercentile``
    gives, without its one Python call per column as soon as a NaN appears (~12,000 calls on this page).
    Columns with the same number of non-NaN values share one vectorized ``np.percentile`` over their
    sorted values (NaN sorts last); a column of NaN only gives NaN (every run sits at 0 on a log axis)."""
    nan = np.isnan(values)
    if not nan.any():
        return tuple(np.percentile(values, [10, 50, 90], axis=0))
    ordered = np.sort(values, axis=0)
    count = values.shape[0] - nan.sum(axis=0)
    out = np.full((3, values.shape[1]), np.nan)
    for n in np.unique(count):
        if n > 0:
            columns = count == n
            out[:, columns] = np.percentile(ordered[:n, columns], [10, 50, 90], axis=0)
    return out[0], out[1], out[2]


def minimum_share_figure(d, measured, height: int = 380) -> dict:
    s = sizes()
    d = np.asarray(d)
    fig = new_figure([
        {"type": "bar", "x": d, "y": np.where(measured > 0, measured, np.nan), "name": "random symmetric Hessian (measured)",
         "marker": {"color": SEQUENCE[0]}},
        {"type": "scatter", "x": d, "y": 0.5 ** d, "mode": "lines+markers", "name": "independent coin flips: 2^−d",
         "line": {"color": SEQUENCE[1], "width": s["line"], "dash": "dash"}},
    ])
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "share that are minima"}, "exponentformat": "power", "range": [-5, 0.1]}
    fig["layout"]["xaxis"] = {"title": {"text": "dimension d"}, "dtick": 1}
    return style(fig, "How often is a random critical point a minimum?", height)


def cliff_map(landscape: Landscape, grid, paths: dict[str, np.ndarray], colors: dict[str, str], title: str | None = None,
              dashes: dict | None = None, height: int = 520) -> dict:
    """The cliff over a window wide enough to show where each path jumped."""
    xs, ys, Z = grid
    fig = new_figure([{"type": "contour", "x": np.asarray(xs), "y": np.asarray(ys), "z": np.asarray(Z), "colorscale": scale("Viridis"),
                       "ncontours": 30, "opacity": 0.85, "contours": {"showlines": True},
                       "line": {"width": 0.5, "color": "rgba(255,255,255,0.35)"},
                       "colorbar": {"title": {"text": "loss", "side": "right"}, "thickness": 14},
                       "hovertemplate": "x=%{x:.3f}<br>y=%{y:.3f}<br>loss=%{z:.4g}<extra></extra>", "name": "loss"}])
    add_named_paths(fig, paths, colors, dashes)
    add_critical_points(fig, landscape)
    fig["layout"]["xaxis"] = {"range": [float(xs[0]), float(xs[-1])], "title": {"text": landscape.axis_labels[0]}}
    fig["layout"]["yaxis"] = {"range": [float(ys[0]), float(ys[-1])], "title": {"text": landscape.axis_labels[1]}}
    return style(fig, title, height)


def jump_figure(jumps: dict[str, np.ndarray], colors: dict[str, str], bounds: dict[str, float], dashes: dict | None = None,
                height: int = 420) -> dict:
    """|theta_{t+1} - theta_t| per step for each variant, with the bound clipping guarantees."""
    s = sizes()
    fig = new_figure()
    for name, values in jumps.items():
        fig["data"].append({"type": "scatter", "x": np.arange(1, len(values) + 1), "y": np.where(values > 0, values, np.nan),
                            "mode": "lines+markers", "name": name,
                            "line": {"color": colors[name], "width": s["line"], "dash": (dashes or {}).get(name, "solid")},
                            "marker": {"size": 5}})
    shapes = [hline(bound, {"color": colors[name], "dash": "dot", "width": 2}) for name, bound in bounds.items() if np.isfinite(bound)]
    if shapes:
        fig["layout"]["shapes"] = shapes
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "jump |θₜ₊₁ − θₜ|"}, "exponentformat": "power"}
    fig["layout"]["xaxis"] = {"title": {"text": "step"}}
    return style(fig, "Jump distance per step (dotted: the cap clipping guarantees)", height)


def power_figure(n, norms, eigenvalues, height: int = 420) -> dict:
    """||W^n|| and |lambda_i|^n against n on a log axis."""
    s = sizes()
    n = np.asarray(n)
    fig = new_figure([{"type": "scatter", "x": n, "y": np.asarray(norms), "mode": "lines", "name": "‖Wⁿ‖ (largest stretch)",
                       "line": {"color": SEQUENCE[0], "width": s["line"] + 1}}])
    for i, lam in enumerate(eigenvalues):
        values = np.abs(lam) ** n.astype(float)
        fig["data"].append({"type": "scatter", "x": n, "y": np.where(values > 0, values, np.nan), "mode": "lines",
                            "name": f"|λ{i + 1}|ⁿ, λ{i + 1} = {lam:g}",
                            "line": {"color": SEQUENCE[i + 1], "width": s["line"], "dash": "dash"}})
    fig["layout"]["shapes"] = [hline(1.0, {"color": "#555555", "dash": "dot", "width": 1.5})]
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "size"}, "exponentformat": "power"}
    fig["layout"]["xaxis"] = {"title": {"text": "n (time steps)"}}
    return style(fig, "Explode or vanish: ‖Wⁿ‖ against n", height)


def hidden_state_figure(states, V, height: int = 420) -> dict:
    """The recurrent state h_n = W^n h_0 in the plane, with the two eigenvector directions."""
    s = sizes()
    states = np.asarray(states)
    shown = states[np.all(np.abs(states) < 1e6, axis=1)]
    reach = float(np.max(np.abs(shown))) if len(shown) else 1.0
    reach = max(reach, 1e-3) * 1.15
    fig = new_figure()
    for i in range(2):
        v = np.asarray(V)[:, i] * reach * 2
        fig["data"].append({"type": "scatter", "x": [float(-v[0]), float(v[0])], "y": [float(-v[1]), float(v[1])], "mode": "lines",
                            "name": f"eigenvector {i + 1}", "line": {"color": SEQUENCE[i + 1], "width": s["line"], "dash": "dash"}})
    fig["data"].append({"type": "scatter", "x": shown[:, 0], "y": shown[:, 1], "mode": "lines+markers", "name": "hₙ = Wⁿ h₀",
                        "line": {"color": SEQUENCE[0], "width": s["line"]}, "marker": {"size": s["marker"] - 2},
                        "text": [f"n = {i}" for i in range(len(shown))],
                        "hovertemplate": "%{text}<br>(%{x:.3g}, %{y:.3g})<extra></extra>"})
    fig["data"].append({"type": "scatter", "x": [float(shown[0, 0])], "y": [float(shown[0, 1])], "mode": "markers", "name": "h₀",
                        "marker": {"size": s["marker"] + 6, "color": "white", "line": {"color": "black", "width": 2}}})
    fig["layout"]["xaxis"] = {"range": [-reach, reach], "title": {"text": "h₁"}, "scaleanchor": "y", "scaleratio": 1}
    fig["layout"]["yaxis"] = {"range": [-reach, reach], "title": {"text": "h₂"}}
    return style(fig, "Hidden state of a linear recurrent net", height)


def success_figure(labels: list[str], rates: list[float], height: int = 360) -> dict:
    s = sizes()
    fig = new_figure([{"type": "bar", "x": list(labels), "y": [float(r) for r in rates],
                       "marker": {"color": [SEQUENCE[0], SEQUENCE[1]][: len(labels)]},
                       "text": [f"{100 * r:.0f} %" for r in rates], "textposition": "outside", "textfont": {"size": s["font"] + 2}}])
    fig["layout"]["yaxis"] = {"range": [0, 1.15], "title": {"text": "share of starts reaching the global minimum"}, "tickformat": ".0%"}
    return style(fig, "Success rate from the same starts", height, legend=False)


def sigma_figure(sigma_per_step: np.ndarray, height: int = 360) -> dict:
    s = sizes()
    fig = new_figure([{"type": "scatter", "x": np.arange(len(sigma_per_step)), "y": np.asarray(sigma_per_step), "mode": "lines",
                       "name": "σ", "line": {"color": SEQUENCE[2], "width": s["line"] + 1, "shape": "hv"}}])
    fig["layout"]["xaxis"] = {"title": {"text": "step"}}
    fig["layout"]["yaxis"] = {"title": {"text": "blur width σ"}}
    return style(fig, "Continuation schedule: σ shrinks stage by stage", height, legend=False)
