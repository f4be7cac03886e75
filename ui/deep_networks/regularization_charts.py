"""Figures of the Early stopping and weight decay page, as plain dict figures finished with
``ui.charts.style`` (see ui/deep_networks/charts.py)."""

from __future__ import annotations

import numpy as np

from ui.charts import VIRIDIS, new_figure, style
from ui.theme import SEQUENCE, optimizer_color, optimizer_dash, sizes

SPLIT_COLORS = {"train": SEQUENCE[0], "validation": SEQUENCE[1], "test": SEQUENCE[2]}


def _vertical(x: float, text: str, color: str, dash: str = "dash") -> tuple[dict, dict]:
    shape = {"type": "line", "x0": x, "x1": x, "y0": 0, "y1": 1, "yref": "paper", "line": {"color": color, "width": 2, "dash": dash}}
    note = {"x": x, "y": 1.0, "yref": "paper", "text": text, "showarrow": False, "xanchor": "left", "yanchor": "bottom",
            "font": {"color": color}}
    return shape, note


def early_curves_figure(epochs, loss, best: int, stop: int, triggered: bool, height: int = 400) -> dict:
    """Train / validation / test loss of one run per epoch, the restored epoch and the stopping epoch marked."""
    s = sizes()
    fig = new_figure()
    for k, name in enumerate(("train", "validation", "test")):
        fig["data"].append({"type": "scatter", "x": np.asarray(epochs), "y": np.asarray(loss[:, k]), "mode": "lines", "name": name,
                            "line": {"color": SPLIT_COLORS[name], "width": s["line"]}})
    fig["data"].append({"type": "scatter", "x": [int(epochs[best])], "y": [float(loss[best, 1])], "mode": "markers",
                        "name": "restored: lowest validation loss", "marker": {"symbol": "star", "size": s["marker"] + 8,
                                                                              "color": "#111111"}})
    shapes, notes = [], []
    for x, text, color in ((epochs[best], f"best {int(epochs[best])}", "#111111"),
                           (epochs[stop], f"stop {int(epochs[stop])}" if triggered else "no stop: ran to the end", "#D55E00")):
        shape, note = _vertical(float(x), text, color)
        shapes.append(shape)
        notes.append(note)
    if best == stop:
        notes[1]["yanchor"], notes[1]["y"] = "top", 0.95
    fig["layout"].update(shapes=shapes, annotations=notes, xaxis={"title": {"text": "epoch"}},
                         yaxis={"title": {"text": "mean squared error"}, "type": "log", "exponentformat": "power"})
    return style(fig, "Loss per epoch (first seed)", height)


def early_fit_figure(points, targets, split, x, fits: dict, height: int = 400) -> dict:
    """The data by split and the network's fit at the named snapshots ({label: values on x})."""
    s = sizes()
    fig = new_figure()
    symbols = {"train": "circle", "validation": "diamond-open", "test": "square-open"}
    for k, name in enumerate(("train", "validation", "test")):
        chosen = np.asarray(split) == k
        fig["data"].append({"type": "scatter", "x": np.asarray(points)[chosen], "y": np.asarray(targets)[chosen], "mode": "markers",
                            "name": f"{name} points", "marker": {"symbol": symbols[name], "size": s["marker"] - 1,
                                                                 "color": SPLIT_COLORS[name], "line": {"width": 1.5}}})
    for i, (label, values) in enumerate(fits.items()):
        fig["data"].append({"type": "scatter", "x": np.asarray(x), "y": np.asarray(values), "mode": "lines", "name": label,
                            "line": {"color": ("#111111", SEQUENCE[3])[i % 2], "width": s["line"], "dash": ("solid", "dash")[i % 2]}})
    fig["layout"].update(xaxis={"title": {"text": "x"}}, yaxis={"title": {"text": "t"}})
    return style(fig, "The fit: restored against trained to the end", height)


def hold_out_figure(seeds, columns: dict, height: int = 380) -> dict:
    """Test loss per seed for each way of training ({label: (R,)}), one marker row per label."""
    s = sizes()
    fig = new_figure()
    symbols = ("star", "diamond", "x")
    for i, (label, values) in enumerate(columns.items()):
        fig["data"].append({"type": "scatter", "x": [f"seed {int(v)}" for v in seeds], "y": np.asarray(values, dtype=float),
                            "mode": "markers", "name": label,
                            "marker": {"symbol": symbols[i % 3], "size": s["marker"] + 6, "color": SEQUENCE[[3, 2, 4][i % 3]],
                                       "line": {"width": 1, "color": "#111111"}}})
    fig["layout"].update(yaxis={"title": {"text": "test loss (MSE)"}}, xaxis={"title": {"text": ""}})
    return style(fig, "What the held-out validation points cost: test loss per seed", height)


def ridge_plane_figure(result: dict, marked_steps, height: int = 520) -> dict:
    """Loss contours over (w1, w2), the GD path t = 0..T, the ridge path lam = inf..0, and segments joining
    w_t to w(1/(eta t)) at the marked steps."""
    s = sizes()
    xs, ys, Z = result["grid"]
    gd, ridge, matched = result["gd_path"], result["ridge_path"], result["ridge_at_steps"]
    fig = new_figure()
    fig["data"].append({"type": "contour", "x": np.asarray(xs), "y": np.asarray(ys), "z": np.log10(np.asarray(Z) + 1e-12),
                        "colorscale": VIRIDIS, "showscale": False, "ncontours": 24, "contours": {"coloring": "lines"},
                        "line": {"width": 1}, "name": "log₁₀ loss", "hoverinfo": "skip"})
    fig["data"].append({"type": "scatter", "x": ridge[:, 0], "y": ridge[:, 1], "mode": "lines", "name": "ridge path, λ from ∞ to 0",
                        "line": {"color": optimizer_color("momentum"), "width": s["line"] + 1.5}})
    fig["data"].append({"type": "scatter", "x": gd[:, 0], "y": gd[:, 1], "mode": "lines+markers", "name": "gradient descent, t = 0..T",
                        "line": {"color": optimizer_color("sgd"), "width": s["line"] - 1, "dash": optimizer_dash("sgd")},
                        "marker": {"size": 5, "color": optimizer_color("sgd")}})
    sx, sy = [], []
    for t in marked_steps:
        sx += [gd[t, 0], matched[t, 0], None]
        sy += [gd[t, 1], matched[t, 1], None]
    fig["data"].append({"type": "scatter", "x": sx, "y": sy, "mode": "lines+markers", "name": "w_t and w(1/(ηt)) at marked t",
                        "line": {"color": "#111111", "width": 2}, "marker": {"size": 7, "symbol": "circle-open", "color": "#111111"}})
    fig["data"].append({"type": "scatter", "x": [result["start"][0], result["solution"][0]], "y": [result["start"][1], result["solution"][1]],
                        "mode": "markers+text", "text": ["start w₀", "least squares w*"], "textposition": "top center",
                        "name": "start and w*", "showlegend": False,
                        "marker": {"symbol": ["circle", "star"], "size": s["marker"] + 6, "color": "#111111"}})
    fig["layout"].update(xaxis={"title": {"text": "w₁"}, "range": [float(xs[0]), float(xs[-1])], "constrain": "domain"},
                         yaxis={"title": {"text": "w₂"}, "range": [float(ys[0]), float(ys[-1])], "scaleanchor": "x",
                                "scaleratio": 1, "constrain": "domain"})
    return style(fig, "Weight space: gradient descent stopped at t against ridge with λ = 1/(ηt)", height)


def filter_figure(result: dict, height: int = 420) -> dict:
    """Per eigen-direction, GD's factor 1-(1-ηs)^t and ridge's s/(s+λ) at λ = 1/(ηt); the weights' distance and its bound."""
    s = sizes()
    t = np.asarray(result["steps"])[1:]
    fig = new_figure()
    for i, value in enumerate(result["eigenvalues"]):
        color = SEQUENCE[[0, 3][i]]
        label = f"s{'₁₂'[i]} = {value:.3g}"
        fig["data"].append({"type": "scatter", "x": t, "y": result["gd_factors"][1:, i], "mode": "lines", "name": f"GD, {label}",
                            "line": {"color": color, "width": s["line"]}})
        fig["data"].append({"type": "scatter", "x": t, "y": result["ridge_factors"][1:, i], "mode": "lines", "name": f"ridge, {label}",
                            "line": {"color": color, "width": s["line"], "dash": "dash"}})
    fig["data"].append({"type": "scatter", "x": t, "y": result["distance"][1:], "mode": "lines", "name": "‖w_t − w(1/(ηt))‖ / ‖w* − w₀‖",
                        "line": {"color": "#111111", "width": s["line"]}})
    if result["bound_holds"]:
        fig["data"].append({"type": "scatter", "x": t, "y": result["bound"][1:], "mode": "lines", "name": "its bound",
                            "line": {"color": "#111111", "width": 1.5, "dash": "dot"}})
    fig["layout"].update(xaxis={"title": {"text": "step t (λ = 1/(ηt))"}, "type": "log"},
                         yaxis={"title": {"text": "share of the way from w₀ to w*"}, "range": [-0.02, 1.05]})
    return style(fig, "Per eigen-direction: how far each method has moved", height)
