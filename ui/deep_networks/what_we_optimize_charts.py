"""Figures of the page "0-1 loss vs log-likelihood", as plain dict figures (``ui.charts`` says why)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.charts import VIRIDIS, encode_arrays, new_figure, style
from ui.deep_networks.charts import panels_layout, band_figure
from ui.theme import SEQUENCE, sizes

LOG_COLOR, ZERO_ONE_COLOR = SEQUENCE[0], SEQUENCE[1]
MARGIN_BINS = 40


def _path_traces(path: np.ndarray, name: str, color: str, axis: str, legend: bool) -> list[dict]:
    s = sizes()
    return [
        {"type": "scatter", "x": path[:, 0], "y": path[:, 1], "mode": "lines+markers", "name": name, "legendgroup": name,
         "showlegend": legend, "line": {"color": color, "width": s["line"]}, "marker": {"size": 4, "color": color},
         "xaxis": f"x{axis}", "yaxis": f"y{axis}"},
        {"type": "scatter", "x": path[-1:, 0], "y": path[-1:, 1], "mode": "markers", "name": f"{name}: end",
         "legendgroup": name, "showlegend": False, "marker": {"size": s["marker"] + 4, "color": color, "symbol": "x"},
         "xaxis": f"x{axis}", "yaxis": f"y{axis}"},
    ]


def surfaces_figure(surf: dict, log_path: np.ndarray, zero_one_path: np.ndarray, height: int = 480) -> dict:
    """The 0-1 loss (left, a heatmap of its few constant values) and the log-likelihood (right, contours)
    over the same weights, each with both gradient-descent paths from the same start."""
    layout = panels_layout(["0-1 loss: flat pieces, zero gradient", "Log-likelihood: smooth, a slope everywhere"], gap=0.12)
    layout["xaxis"]["title"] = {"text": "w₁"}
    layout["xaxis2"]["title"] = {"text": "w₁"}
    layout["yaxis"]["title"] = {"text": "w₂"}
    layout["yaxis2"]["title"] = {"text": "w₂"}
    data = [
        {"type": "heatmap", "x": surf["w1"], "y": surf["w2"], "z": surf["zero_one"].astype(np.float32), "colorscale": VIRIDIS, "zmin": 0, "zmax": 1,
         "colorbar": {"title": {"text": "0-1"}, "x": 0.44, "len": 0.9, "thickness": 12},
         "hovertemplate": "w = (%{x:.2f}, %{y:.2f})<br>0-1 loss %{z:.3f}<extra></extra>"},
        {"type": "contour", "x": surf["w1"], "y": surf["w2"], "z": np.log10(surf["log_loss"]).astype(np.float32), "colorscale": VIRIDIS,
         "xaxis": "x2", "yaxis": "y2", "ncontours": 25, "contours": {"coloring": "heatmap"},
         "colorbar": {"title": {"text": "log₁₀ NLL"}, "x": 1.0, "len": 0.9, "thickness": 12},
         "hovertemplate": "w = (%{x:.2f}, %{y:.2f})<br>log₁₀ NLL %{z:.2f}<extra></extra>"},
    ]
    for axis in ("", "2"):
        data += _path_traces(log_path, "GD on the log-likelihood", LOG_COLOR, axis, axis == "")
        data += _path_traces(zero_one_path, "GD on the 0-1 loss", ZERO_ONE_COLOR, axis, axis == "")
    for axis in ("", "2"):
        layout[f"xaxis{axis}"]["range"] = [float(surf["w1"][0]), float(surf["w1"][-1])]
        layout[f"yaxis{axis}"]["range"] = [float(surf["w2"][0]), float(surf["w2"][-1])]
    fig = {"data": data, "layout": layout}
    return style(fig, "The same data, two losses over the weights (w₁, w₂)", height)


def descent_curves_figure(result: dict, height: int = 360) -> dict:
    """Along the two paths: the 0-1 loss of each, and the log-likelihood of the one that can move."""
    s = sizes()
    steps = np.arange(len(result["log_losses"]))
    fig = new_figure([
        {"type": "scatter", "x": steps, "y": result["log_losses"], "mode": "lines", "name": "NLL along GD on the NLL",
         "line": {"color": LOG_COLOR, "width": s["line"]}},
        {"type": "scatter", "x": steps, "y": result["log_zero_one"], "mode": "lines", "name": "0-1 loss along GD on the NLL",
         "line": {"color": LOG_COLOR, "width": s["line"], "dash": "dash", "shape": "hv"}},
        {"type": "scatter", "x": steps, "y": result["zero_one_losses"], "mode": "lines", "name": "0-1 loss along GD on the 0-1 loss",
         "line": {"color": ZERO_ONE_COLOR, "width": s["line"], "shape": "hv"}},
    ])
    fig["layout"]["xaxis"] = {"title": {"text": "step"}}
    fig["layout"]["yaxis"] = {"title": {"text": "loss"}, "rangemode": "tozero"}
    return style(fig, "Loss along each path", height)


def zero_one_bands_figure(study: dict, height: int = 420) -> dict:
    """Training and test 0-1 loss of every seed (median and range), with the first epoch the median
    seed's training 0-1 loss reached zero."""
    fig = band_figure(study["epochs"], {"training 0-1 loss": study["train01"], "test 0-1 loss": study["test01"]},
                      "0-1 loss while training on the log-likelihood", "share misclassified", log_y=False, height=height)
    reached = [study["epochs"][a] for a in study["zero_at"] if a is not None]
    if reached:
        epoch = float(np.median(reached))
        top = float(np.nanmax(np.r_[study["train01"].ravel(), study["test01"].ravel()]))
        fig["data"].append({"type": "scatter", "x": [epoch, epoch], "y": [0, top], "mode": "lines", "hoverinfo": "skip",
                            "name": "training 0-1 loss first 0 (median seed)", "line": {"color": "#555555", "dash": "dot"}})
    return _legend_below(fig)


def _legend_below(fig: dict) -> dict:
    """Room for a legend of several rows under the x-axis title."""
    fig["layout"]["margin"] = {**fig["layout"]["margin"], "b": 150}
    fig["layout"]["legend"] = {**fig["layout"]["legend"], "y": -0.3}
    return fig


def margin_curves_figure(study: dict, height: int = 420) -> dict:
    """The smallest training margin and the median test margin over epochs (median over seeds)."""
    series = {"smallest training margin": np.median(study["train_margins"].min(axis=-1), axis=0),
              "median test margin": np.median(np.median(study["test_margins"], axis=-1), axis=0),
              "10th percentile of test margins": np.median(np.quantile(study["test_margins"], 0.1, axis=-1), axis=0)}
    s = sizes()
    fig = new_figure([{"type": "scatter", "x": study["epochs"], "y": v, "mode": "lines", "name": name,
                       "line": {"color": SEQUENCE[i + 2], "width": s["line"]}} for i, (name, v) in enumerate(series.items())])
    fig["layout"]["xaxis"] = {"title": {"text": "epoch"}}
    fig["layout"]["yaxis"] = {"title": {"text": "margin s·f(x)"}, "zeroline": True}
    return _legend_below(style(fig, "Margins keep growing (median over seeds)", height))


def margin_histograms_figure(study: dict, height: int = 460) -> dict:
    """The margins of the training and test points (every seed pooled) at each snapshot, as Plotly frames
    scrubbed by an epoch slider in the browser (nothing reruns)."""
    s = sizes()
    epochs = np.asarray(study["epochs"])
    train_m, test_m = study["train_margins"], study["test_margins"]
    high = float(np.quantile(np.r_[train_m[:, -1].ravel(), test_m[:, -1].ravel()], 0.99))
    low = float(min(np.quantile(test_m.ravel(), 0.005), -1.0))
    edges = np.linspace(low, max(high, 1.0), MARGIN_BINS + 1)
    centres, width = 0.5 * (edges[1:] + edges[:-1]), edges[1] - edges[0]

    def shares(values):
        counts, _ = np.histogram(np.clip(values.ravel(), edges[0], edges[-1]), edges)
        return counts / max(values.size, 1)

    def bars(i):
        return [{"type": "bar", "x": centres, "y": shares(train_m[:, i]), "width": width, "name": "training points",
                 "marker": {"color": SEQUENCE[0]}, "opacity": 0.6},
                {"type": "bar", "x": centres, "y": shares(test_m[:, i]), "width": width, "name": "test points",
                 "marker": {"color": SEQUENCE[1]}, "opacity": 0.6}]

    last = len(epochs) - 1
    top = max(float(max(shares(train_m[:, i]).max(), shares(test_m[:, i]).max())) for i in range(len(epochs)))
    data = bars(last) + [{"type": "scatter", "x": [0, 0], "y": [0, top * 1.05], "mode": "lines", "hoverinfo": "skip",
                          "name": "margin 0 (left of it: misclassified)", "line": {"color": "#333333", "dash": "dot"}}]
    frames = [{"name": str(int(e)), "data": bars(i), "traces": [0, 1]} for i, e in enumerate(epochs)]
    layout = {"barmode": "overlay", "xaxis": {"title": {"text": "margin s·f(x)"}},
              "yaxis": {"title": {"text": "share of the points"}, "range": [0, top * 1.05]},
              "updatemenus": [{"type": "buttons", "showactive": False, "x": 0.0, "y": -0.2, "xanchor": "left", "yanchor": "top",
                               "buttons": [{"label": "▶ Play", "method": "animate",
                                            "args": [None, {"frame": {"duration": 150, "redraw": False}, "fromcurrent": True,
                                                            "transition": {"duration": 0}}]},
                                           {"label": "❚❚ Pause", "method": "animate",
                                            "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}]}],
              "sliders": [{"active": last, "x": 0.14, "len": 0.86, "y": -0.16, "currentvalue": {"prefix": "epoch "},
                           "steps": [{"method": "animate", "label": f["name"],
                                      "args": [[f["name"]], {"mode": "immediate", "frame": {"duration": 0, "redraw": False},
                                                             "transition": {"duration": 0}}]} for f in frames]}]}
    fig = {"data": data, "layout": layout, "frames": frames}
    style(fig, "Margins of every point (4 seeds pooled): drag the epoch slider or press play", height)
    fig["layout"]["margin"] = {**fig["layout"]["margin"], "b": 150}
    fig["layout"]["legend"] = {**fig["layout"]["legend"], "y": 1.0, "yanchor": "bottom"}
    fig["layout"]["sliders"][0]["font"] = {"size": max(s["tick"] - 3, 9)}
    return fig


# ---- the page's figures, cached by their inputs (arrays already encoded: a rerun only ships them) ---------

@st.cache_data(max_entries=32, show_spinner=False)  # ~0.5 MB each (two 121 x 121 grids)
def page_surfaces_figure(spread: float, seed: int, start: tuple, lr: float, n_steps: int, present: bool) -> dict:
    from ui.deep_networks.what_we_optimize_compute import descent, surfaces

    gd = descent(spread, seed, start, lr, n_steps)
    return encode_arrays(surfaces_figure(surfaces(spread, seed), gd["log_path"], gd["zero_one_path"]))


@st.cache_data(max_entries=32, show_spinner=False)
def page_descent_figure(spread: float, seed: int, start: tuple, lr: float, n_steps: int, present: bool) -> dict:
    from ui.deep_networks.what_we_optimize_compute import descent

    return encode_arrays(descent_curves_figure(descent(spread, seed, start, lr, n_steps)))


@st.cache_data(max_entries=16, show_spinner=False)  # ~0.2 MB each (33 frames of two 40-bar histograms)
def page_margin_figures(noise: float, lr: float, epochs: int, present: bool) -> dict:
    from ui.deep_networks.what_we_optimize_compute import margin_study

    study = margin_study(noise, lr, epochs)
    return {"zero_one": encode_arrays(zero_one_bands_figure(study)), "curves": encode_arrays(margin_curves_figure(study)),
            "histograms": encode_arrays(margin_histograms_figure(study))}
