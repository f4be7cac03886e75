"""Plotly figure builders shared by the pages. They take NumPy arrays and results, never widgets.

Every builder makes a **plain dict figure** (``{"data": [...], "layout": {...}}``): building a
``go.Figure`` validates every property and deep-copies the template on each ``update_layout``, which cost
~80 % of a Playground rerun. The functions the other pages call return a ``go.Figure`` made from that
dict, exactly as before (``as_dict=True`` returns the dict itself); ``style``, ``add_paths`` and
``add_critical_points`` accept either kind. A dict figure is drawn with ``st.plotly_chart`` through
``ui.exports``, which hands it to Streamlit without a second validation (``TrustedFigure``).

The parts of a figure that depend only on the landscape (the contour grid, the click grid, the critical
points, the surface) are cached by their inputs in ``ui.compute``; a dict figure may share them, so
**never mutate a figure's traces or layout in place after building it** (build a new top-level dict).
"""

from __future__ import annotations

import functools
import json

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from analysis.curvature import Curvature
from landscapes.base import Landscape
from ui.theme import CRITICAL_POINT_SYMBOLS, SEQUENCE, optimizer_color, optimizer_dash, presentation_on, sizes

CLICK_GRID = 36  # the invisible marker grid that turns a click on a map into a start point

#: plotly.py's Viridis stops, as a go.Figure writes them: every map of the app uses these (the bare name
#: "Viridis" would be drawn with plotly.js's own, finer scale, a slightly different picture).
VIRIDIS = [[i / (len(plotly.colors.sequential.Viridis) - 1), c] for i, c in enumerate(plotly.colors.sequential.Viridis)]


@functools.lru_cache(maxsize=None)
def _template(name: str = "plotly_white") -> dict:
    """The template as the JSON ``update_layout(template=name)`` writes (built once per process)."""
    return json.loads(go.Figure(layout={"template": name}).to_json())["layout"]["template"]


def typed(values) -> dict:
    """A NumPy array as plotly.js's typed-array spec (``{"dtype", "bdata", "shape"}``): serialising it is one
    base64 pass, where a list of floats goes through Python's JSON float formatting (and, with a nan, twice)."""
    from _plotly_utils.utils import to_typed_array_spec

    return to_typed_array_spec(np.asarray(values))


def encode_arrays(fig: dict) -> dict:
    """A dict figure whose traces' NumPy arrays (``x``, ``y``, ``z``, ``customdata``...) are typed-array specs;
    traces without arrays are passed on as they are (so cached, already encoded parts cost nothing)."""

    def trace(t: dict) -> dict:
        if not any(isinstance(v, np.ndarray) for v in t.values()):
            return t
        return {k: typed(v) if isinstance(v, np.ndarray) and v.dtype.kind in "fiub" else v for k, v in t.items()}

    out = {**fig, "data": [trace(t) for t in fig.get("data", ())]}
    if fig.get("frames"):
        out["frames"] = [{**f, "data": [trace(t) for t in f.get("data", ())]} for f in fig["frames"]]
    return out


def decode_array(values):
    """The inverse of ``typed`` (anything else is returned as it is)."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        out = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
        return out.reshape([int(n) for n in str(values["shape"]).split(",")]) if "shape" in values else out
    return values


def new_figure(data: list | None = None, layout: dict | None = None) -> dict:
    return {"data": list(data or []), "layout": dict(layout or {})}


def _is_dict(fig) -> bool:
    return isinstance(fig, dict)


def add_trace(fig, trace: dict) -> None:
    """Append a trace (a dict with its ``type``) to a dict figure or a go.Figure."""
    if _is_dict(fig):
        fig["data"].append(trace)
    else:
        fig.add_trace(trace)


def _axis_keys(layout: dict, letter: str) -> list[str]:
    keys = [k for k in layout if k.startswith(f"{letter}axis") and k[5:].isdigit()]
    return [f"{letter}axis"] + [k for k in keys if k != f"{letter}axis"]


def style_layout(title: str | None = None, height: int = 420, legend: bool = True) -> dict:
    """The house layout (theme, palette, presentation sizes) as a plain layout dict, without axes."""
    s = sizes()
    present = presentation_on()
    return {
        "title": {"text": title, "font": {"size": s["title"]}} if title else {},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 60 if title else 20, "b": 110 if present else 80},
        "font": {"size": s["font"], "color": "#111111"},
        "template": _template(),
        "showlegend": legend,
        "legend": {"font": {"size": s["font"]}, "bgcolor": "rgba(255,255,255,0.8)", "orientation": "h",
                   "yanchor": "top", "y": -0.24 if present else -0.2, "xanchor": "left", "x": 0},
        "colorway": SEQUENCE,
    }


def style(fig, title: str | None = None, height: int = 420, legend: bool = True):
    """Theme, palette and type sizes (larger in presentation mode) on a go.Figure or a dict figure."""
    s = sizes()
    if _is_dict(fig):
        layout = fig["layout"]
        layout.update(style_layout(title, height, legend))
        for letter in "xy":
            for key in _axis_keys(layout, letter):
                axis = dict(layout.get(key) or {})
                axis["tickfont"] = {**(axis.get("tickfont") or {}), "size": s["tick"]}
                axis_title = axis.get("title")
                axis_title = {"text": axis_title} if isinstance(axis_title, str) else dict(axis_title or {})
                axis_title["font"] = {**(axis_title.get("font") or {}), "size": s["font"]}
                axis["title"] = axis_title
                layout[key] = axis
        return fig
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


def _finish(fig: dict, as_dict: bool):
    return fig if as_dict else go.Figure(fig)


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


def contour_trace(landscape: Landscape, grid) -> dict:
    xs, ys, Z = grid
    values, label = contour_values(landscape, np.asarray(Z))
    return {
        "type": "contour", "x": np.asarray(xs), "y": np.asarray(ys), "z": np.asarray(values), "colorscale": VIRIDIS,
        "ncontours": 30, "opacity": 0.85, "contours": {"showlines": True},
        "line": {"width": 0.5, "color": "rgba(255,255,255,0.35)"},
        "colorbar": {"title": {"text": label, "side": "right"}, "thickness": 14},
        "hovertemplate": "x=%{x:.3f}<br>y=%{y:.3f}<br>" + label + "=%{z:.4g}<extra></extra>",
        "name": "loss",
    }


def click_grid_trace(landscape: Landscape) -> dict:
    (x0, x1), (y0, y1) = landscape.domain
    gx, gy = np.meshgrid(np.linspace(x0, x1, CLICK_GRID), np.linspace(y0, y1, CLICK_GRID))
    return {
        "type": "scatter", "x": gx.ravel(), "y": gy.ravel(), "mode": "markers", "name": "click to start here",
        "marker": {"size": 14, "color": "rgba(0,0,0,0.01)"}, "showlegend": False,
        "hovertemplate": "start at (%{x:.2f}, %{y:.2f})<extra>click</extra>",
    }


def critical_point_traces(landscape: Landscape) -> list[dict]:
    by_kind: dict[str, list] = {}
    for p in landscape.critical_points:
        by_kind.setdefault(p.kind, []).append(p)
    return [
        {
            "type": "scatter", "x": [p.x for p in points], "y": [p.y for p in points], "mode": "markers", "name": kind,
            "marker": {"symbol": CRITICAL_POINT_SYMBOLS.get(kind, "circle"), "size": sizes()["marker"] + 6,
                       "color": "white", "line": {"color": "black", "width": 2}},
            "text": [f"{p.label or kind}: L = {p.loss:.4g}" if p.loss is not None else p.label for p in points],
            "hovertemplate": "%{text}<br>(%{x:.4f}, %{y:.4f})<extra></extra>",
        }
        for kind, points in by_kind.items()
    ]


def contour_map(landscape: Landscape, grid, title: str | None = None, click_grid: bool = False, height: int = 560,
                as_dict: bool = False):
    """The loss as filled contours with the known critical points marked."""
    fig = new_figure([contour_trace(landscape, grid)])
    if click_grid:
        fig["data"].append(click_grid_trace(landscape))
    fig["data"].extend(critical_point_traces(landscape))
    (x0, x1), (y0, y1) = landscape.domain
    fig["layout"]["xaxis"] = {"range": [x0, x1], "title": {"text": landscape.axis_labels[0]}}
    fig["layout"]["yaxis"] = {"range": [y0, y1], "title": {"text": landscape.axis_labels[1]}}
    return _finish(style(fig, title, height), as_dict)


def add_critical_points(fig, landscape: Landscape) -> None:
    for trace in critical_point_traces(landscape):
        add_trace(fig, trace)


def path_traces(key: str, name: str, path: np.ndarray, step: int | None = None) -> tuple[dict, dict]:
    """(line up to ``step`` (all of it if None), marker at its current point) of one optimizer."""
    s = sizes()
    n = len(path) if step is None else min(step + 1, len(path))
    shown = np.asarray(path)[:n]
    line = {
        "type": "scatter", "x": shown[:, 0], "y": shown[:, 1], "mode": "lines+markers", "name": name,
        "line": {"color": optimizer_color(key), "width": s["line"], "dash": optimizer_dash(key)},
        "marker": {"size": max(s["marker"] - 4, 3)}, "legendgroup": key,
        "hovertemplate": name + " step %{pointNumber}<br>(%{x:.4f}, %{y:.4f})<extra></extra>",
    }
    head = {
        "type": "scatter", "x": [float(shown[-1, 0])], "y": [float(shown[-1, 1])], "mode": "markers", "showlegend": False, "legendgroup": key,
        "marker": {"size": s["marker"] + 6, "color": optimizer_color(key), "line": {"color": "white", "width": 2}},
        "hoverinfo": "skip",
    }
    return line, head


def add_paths(fig, paths: dict, names: dict, step: int | None = None) -> None:
    """One line per optimizer up to ``step`` (all of it if None) and a marker at its current point."""
    for key, path in paths.items():
        for trace in path_traces(key, names.get(key, key), path, step):
            add_trace(fig, trace)


def eigen_bars(landscape: Landscape, points, eigenvalues, eigenvectors) -> dict:
    """The Hessian's two eigenvectors at each of P points as bar segments, for the map: length grows with
    |lambda| (relative to the larger one). Returns arrays of shape (P, 5): ``up_x, up_y, up_l`` hold the
    bars of upward curvature (lambda >= 0) as ``[a0, a1, nan, b0, b1]`` (``nan`` where a bar curves the other
    way), ``down_*`` the bars of downward curvature; ``*_l`` is the bar's lambda at each of its points."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    lam = np.asarray(eigenvalues, dtype=float).reshape(-1, 2)
    vec = np.asarray(eigenvectors, dtype=float).reshape(-1, 2, 2)
    (x0, x1), (y0, y1) = landscape.domain
    base = 0.09 * max(x1 - x0, y1 - y0)
    biggest = np.maximum(np.max(np.abs(lam), axis=1), 1e-300)
    out = {name: np.full((len(points), 5), np.nan) for name in ("up_x", "up_y", "up_l", "down_x", "down_y", "down_l")}
    for j in range(2):
        length = base * (0.35 + 0.65 * np.abs(lam[:, j]) / biggest)
        d = vec[:, :, j] * length[:, None]
        cols = slice(3 * j, 3 * j + 2)
        for sign, positive in (("up", lam[:, j] >= 0), ("down", lam[:, j] < 0)):
            out[f"{sign}_x"][positive, cols] = np.stack([points[:, 0] - d[:, 0], points[:, 0] + d[:, 0]], axis=1)[positive]
            out[f"{sign}_y"][positive, cols] = np.stack([points[:, 1] - d[:, 1], points[:, 1] + d[:, 1]], axis=1)[positive]
            out[f"{sign}_l"][positive, cols] = lam[positive, j][:, None]
    return out


def _listed(row) -> list:
    return [None if not np.isfinite(v) else float(v) for v in row]


def eigenvector_traces(bars: dict, i: int) -> tuple[dict, dict]:
    """(upward, downward) bar traces of one optimizer at row ``i`` of ``eigen_bars``: solid dark for
    upward curvature (lambda > 0), dashed vermillion for downward (lambda < 0)."""
    width = sizes()["line"] + 1
    out = []
    for sign, colour, dash, label in (("up", "#222222", "solid", "curving up"), ("down", "#D55E00", "dash", "curving down")):
        out.append({
            "type": "scatter", "x": _listed(bars[f"{sign}_x"][i]), "y": _listed(bars[f"{sign}_y"][i]),
            "customdata": _listed(bars[f"{sign}_l"][i]), "mode": "lines",
            "line": {"color": colour, "width": width, "dash": dash}, "showlegend": False, "connectgaps": False,
            "name": f"Hessian eigenvector ({label})",
            "hovertemplate": "Hessian eigenvector, λ = %{customdata:.4g}<extra></extra>",
        })
    return out[0], out[1]


def add_eigenvector_arrows(fig, landscape: Landscape, points: dict, curvatures: dict) -> None:
    """At each current point, the Hessian's two eigenvectors as segments: solid dark for upward
    curvature (lambda > 0), dashed vermillion for downward (lambda < 0); longer for larger |lambda|."""
    for key, point in points.items():
        curv: Curvature = curvatures[key]
        bars = eigen_bars(landscape, point, curv.eigenvalues, curv.eigenvectors)
        for trace in eigenvector_traces(bars, 0):
            add_trace(fig, trace)


def surface_base(landscape: Landscape, grid, height: int = 560) -> tuple[dict, object, tuple[float, float]]:
    """(the surface figure without paths, the loss transform, (z_low, z_high)): what depends only on the
    landscape, cached by the callers. Paths go on top with ``surface_path_trace``."""
    xs, ys, Z = grid
    transform, label = loss_transform(landscape, np.asarray(Z))
    values = transform(Z)
    z_low, z_high = float(np.nanmin(values)), float(np.nanmax(values))
    fig = new_figure([{"type": "surface", "x": np.asarray(xs), "y": np.asarray(ys), "z": np.asarray(values),
                       "colorscale": VIRIDIS, "opacity": 0.9, "showscale": False, "name": "loss",
                       "contours": {"z": {"show": True, "usecolormap": True, "project": {"z": True}}}}])
    s = sizes()
    (x0, x1), (y0, y1) = landscape.domain
    ticks = {"tickfont": {"size": max(10, s["tick"] - 5)}, "nticks": 5}
    fig["layout"]["scene"] = {"xaxis": {"title": {"text": landscape.axis_labels[0]}, "range": [x0, x1], **ticks},
                              "yaxis": {"title": {"text": landscape.axis_labels[1]}, "range": [y0, y1], **ticks},
                              "zaxis": {"title": {"text": label}, "range": [z_low, z_high], **ticks},
                              "camera": {"eye": {"x": 1.4, "y": -1.5, "z": 1.1}}}
    style(fig, None, height)
    fig["layout"]["margin"] = {"l": 0, "r": 0, "t": 10, "b": 0}
    return fig, transform, (z_low, z_high)


def surface_path_z(landscape: Landscape, transform, z_range, path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, z) of a whole path on the surface; points outside the domain are nan (left out)."""
    (x0, x1), (y0, y1) = landscape.domain
    shown = np.array(path, dtype=float)
    inside = (shown[:, 0] >= x0) & (shown[:, 0] <= x1) & (shown[:, 1] >= y0) & (shown[:, 1] <= y1)
    z_path = np.clip(transform(landscape.loss(shown)), *z_range)
    shown[~inside] = np.nan
    z_path = np.where(inside, z_path, np.nan)
    return shown[:, 0], shown[:, 1], z_path


def surface_path_trace(key: str, name: str, x, y, z, step: int | None = None) -> dict:
    s = sizes()
    n = len(x) if step is None else min(step + 1, len(x))
    return {"type": "scatter3d", "x": x[:n], "y": y[:n], "z": z[:n], "mode": "lines+markers", "name": name,
            "line": {"color": optimizer_color(key), "width": s["line"] + 3},
            "marker": {"size": 2.5, "color": optimizer_color(key)}, "connectgaps": False}


def surface_figure(landscape: Landscape, grid, paths: dict, names: dict, step: int | None = None, height: int = 560,
                   as_dict: bool = False):
    """The loss surface over the domain with each path drawn on it (points outside the domain are left out)."""
    base, transform, z_range = surface_base(landscape, grid, height)
    fig = {"data": list(base["data"]), "layout": base["layout"]}
    for key, path in paths.items():
        fig["data"].append(surface_path_trace(key, names.get(key, key), *surface_path_z(landscape, transform, z_range, path), step))
    return _finish(fig, as_dict)


def step_line(step: int) -> dict:
    """The dotted vertical line at the scrubber's step (``layout.shapes[0]`` of the line charts)."""
    return {"type": "line", "x0": step, "x1": step, "xref": "x", "y0": 0, "y1": 1, "yref": "y domain",
            "line": {"color": "#555555", "width": 1.5, "dash": "dot"}}


def series_figure(series: dict, names: dict, title: str, y_title: str, log_y: bool = True, step: int | None = None,
                  height: int = 330, x_title: str = "step", as_dict: bool = False):
    """Curves per optimizer against the step, with a line at the scrubber's step."""
    s = sizes()
    fig = new_figure()
    for key, values in series.items():
        values = np.asarray(values, dtype=float)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        fig["data"].append({"type": "scatter", "x": np.arange(len(values)), "y": values, "mode": "lines", "name": names.get(key, key),
                            "line": {"color": optimizer_color(key), "width": s["line"], "dash": optimizer_dash(key)}})
    if step is not None:
        fig["layout"]["shapes"] = [step_line(step)]
    fig["layout"]["yaxis"] = {"type": "log" if log_y else "linear", "title": {"text": y_title}, "exponentformat": "power"}
    fig["layout"]["xaxis"] = {"title": {"text": x_title}}
    return _finish(style(fig, title, height), as_dict)


def stability_figure(lambda_max: dict, learning_rates: dict, names: dict, step: int | None = None, height: int = 360,
                     as_dict: bool = False):
    """lambda_max along each trajectory against 2 / lr: where lambda_max rises above 2 / lr, gradient
    descent on the local quadratic would diverge. ``learning_rates`` holds one lr series per distinct
    limit to draw (e.g. the first-order methods' shared schedule), keyed by its legend name."""
    s = sizes()
    fig = new_figure()
    for key, lam in lambda_max.items():
        fig["data"].append({"type": "scatter", "x": np.arange(len(lam)), "y": np.asarray(lam), "mode": "lines",
                            "name": f"λ_max · {names.get(key, key)}",
                            "line": {"color": optimizer_color(key), "width": s["line"], "dash": optimizer_dash(key)}})
    for label, lr in learning_rates.items():
        limit = 2.0 / np.asarray(lr, dtype=float)
        fig["data"].append({"type": "scatter", "x": np.arange(len(limit)), "y": limit, "mode": "lines", "name": label,
                            "line": {"color": "#555555", "width": s["line"], "dash": "dot"}})
    if step is not None:
        fig["layout"]["shapes"] = [step_line(step)]
    values = np.concatenate([np.asarray(v, dtype=float) for v in lambda_max.values()] or [np.ones(1)])
    fig["layout"]["yaxis"] = {"type": "log" if np.all(values > 0) else "linear", "title": {"text": "curvature"},
                              "exponentformat": "power"}
    fig["layout"]["xaxis"] = {"title": {"text": "step"}}
    return _finish(style(fig, "λ_max along the path vs 2/η", height), as_dict)


def animation_figure(landscape: Landscape, grid, paths: dict, names: dict, n_frames: int = 60, height: int = 600,
                     as_dict: bool = False):
    """The race as a Plotly animation: the contour map is drawn once, frames update only the paths.
    Built only when asked for (the Playground's "Show the animation" toggle, the HTML download)."""
    fig = contour_map(landscape, grid, None, click_grid=False, height=height, as_dict=True)
    fig = {"data": list(fig["data"]), "layout": dict(fig["layout"])}
    n_static = len(fig["data"])
    longest = max(len(p) for p in paths.values())
    frame_steps = np.unique(np.linspace(0, longest - 1, min(n_frames, longest)).astype(int))
    s = sizes()
    for key, path in paths.items():
        path = np.asarray(path)
        fig["data"].append({"type": "scatter", "x": path[:1, 0], "y": path[:1, 1], "mode": "lines+markers", "name": names.get(key, key),
                            "line": {"color": optimizer_color(key), "width": s["line"], "dash": optimizer_dash(key)},
                            "marker": {"size": max(s["marker"] - 3, 3)}})
    path_traces_ = list(range(n_static, n_static + len(paths)))
    frames = []
    for t in frame_steps:
        data = [{"type": "scatter", "x": p[: min(t + 1, len(p)), 0], "y": p[: min(t + 1, len(p)), 1]} for p in map(np.asarray, paths.values())]
        frames.append({"data": data, "traces": path_traces_, "name": str(int(t))})
    fig["frames"] = frames
    fig["layout"]["updatemenus"] = [
        {"type": "buttons", "showactive": False, "x": 0.0, "y": -0.08, "xanchor": "left", "yanchor": "top",
         "buttons": [{"label": "▶ Play", "method": "animate",
                      "args": [None, {"frame": {"duration": 80, "redraw": False}, "fromcurrent": True, "transition": {"duration": 0}}]},
                     {"label": "❚❚ Pause", "method": "animate",
                      "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}]}]
    fig["layout"]["sliders"] = [
        {"active": 0, "x": 0.15, "len": 0.85, "y": -0.05, "currentvalue": {"prefix": "step "},
         "steps": [{"method": "animate", "label": f["name"],
                    "args": [[f["name"]], {"mode": "immediate", "frame": {"duration": 0, "redraw": False}}]} for f in frames]}]
    fig["layout"]["margin"] = {**fig["layout"]["margin"], "b": 110}
    return _finish(fig, as_dict)


def animation_html(fig) -> bytes:
    """A self-contained HTML file (plotly.js inlined) that plays the animation offline, for slides."""
    import plotly.io as pio

    return pio.to_html(fig, include_plotlyjs=True, full_html=True, auto_play=False, validate=False).encode()
