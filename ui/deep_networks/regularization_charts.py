"""Figures of the Early stopping and weight decay page, as plain dict figures finished with
``ui.charts.style`` (see ui/deep_networks/charts.py)."""

from __future__ import annotations

import numpy as np

from ui.charts import VIRIDIS, encode_arrays, new_figure, style
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
    notes[0]["xanchor"] = "right"  # the best epoch's label left of its line, the stop's right of its own
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
    fig["data"].append({"type": "contour", "x": np.asarray(xs), "y": np.asarray(ys), "z": np.log10(np.asarray(Z) + 1e-12).astype(np.float32),
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


DECAY_COLORS = {"no decay": "#777777", "Adam + L2": optimizer_color("adam"), "AdamW": optimizer_color("rmsprop")}


def decay_scatter_figure(sqrt_v_hat: dict, decay: dict, layer, lr: float, l2: float, height: int = 440) -> dict:
    """Per parameter: its √v̂ (x) and the share of it removed per step by the decay (y), one colour per
    run; the L2 guide lr λ / √v̂."""
    fig = new_figure()
    for name in sqrt_v_hat:
        x, y = np.asarray(sqrt_v_hat[name]), np.asarray(decay[name])
        keep = (x > 0) & (y > 0)
        fig["data"].append({"type": "scatter", "x": x[keep].astype(np.float32), "y": y[keep].astype(np.float32), "mode": "markers", "name": f"{name}: one point per parameter",
                            "marker": {"size": 5, "color": DECAY_COLORS[name], "opacity": 0.55},
                            "hovertemplate": "√v̂ = %{x:.3g}<br>decay per step %{y:.3g}<extra>" + name + "</extra>"})
    finite = np.concatenate([np.asarray(v)[np.asarray(v) > 0] for v in sqrt_v_hat.values()])
    if l2 > 0 and finite.size:
        xs = np.geomspace(finite.min(), finite.max(), 50)
        fig["data"].append({"type": "scatter", "x": xs, "y": lr * l2 / xs, "mode": "lines", "name": "η λ / √v̂",
                            "line": {"color": "#111111", "width": 1.5, "dash": "dot"}})
    fig["layout"].update(xaxis={"title": {"text": "√v̂ of the parameter (Adam's second moment, at the end)"}, "type": "log",
                                "exponentformat": "power"},
                         yaxis={"title": {"text": "share of θᵢ removed per step"}, "type": "log", "exponentformat": "power"})
    return style(fig, "Effective decay per parameter and step", height)


def weight_histogram_figure(thetas: dict, height: int = 400) -> dict:
    """Distribution of |θᵢ| for each run, on logarithmic bins."""
    s = sizes()
    fig = new_figure()
    values = np.concatenate([np.abs(np.asarray(v)) for v in thetas.values()])
    values = values[values > 0]
    edges = np.geomspace(max(values.min(), 1e-8), values.max() * 1.001, 41)
    centres = np.sqrt(edges[1:] * edges[:-1])
    for name, theta in thetas.items():
        counts, _ = np.histogram(np.clip(np.abs(np.asarray(theta)), edges[0], edges[-1]), edges)
        fig["data"].append({"type": "scatter", "x": centres, "y": counts, "mode": "lines", "name": name,
                            "line": {"shape": "hvh", "color": DECAY_COLORS[name], "width": s["line"]}})
    fig["layout"].update(xaxis={"title": {"text": "|θᵢ| at the end"}, "type": "log", "exponentformat": "power"},
                         yaxis={"title": {"text": "parameters"}})
    return style(fig, "The weights after training", height)


def decay_losses_figure(steps, loss: dict, height: int = 400) -> dict:
    """Test loss (solid) and training loss (dotted) over the steps for each run."""
    s = sizes()
    fig = new_figure()
    for name, values in loss.items():
        fig["data"].append({"type": "scatter", "x": np.asarray(steps), "y": np.asarray(values[:, 2]), "mode": "lines", "name": f"{name}: test",
                            "line": {"color": DECAY_COLORS[name], "width": s["line"]}})
        fig["data"].append({"type": "scatter", "x": np.asarray(steps), "y": np.asarray(values[:, 0]), "mode": "lines", "name": f"{name}: train",
                            "line": {"color": DECAY_COLORS[name], "width": 1.5, "dash": "dot"}})
    fig["layout"].update(xaxis={"title": {"text": "full-batch step"}},
                         yaxis={"title": {"text": "mean squared error"}, "type": "log", "exponentformat": "power"})
    return style(fig, "Loss over training (without the penalty)", height)


# ---- cached figures: a plain rerun rebuilds none of them (keys: the inputs and the presentation mode) ----

import streamlit as st  # noqa: E402

from networks.early_stopping import early_stop, hold_out_cost  # noqa: E402
from ui.deep_networks import regularization_compute as comp  # noqa: E402


def _encoded(figures: dict) -> dict:
    """Arrays as typed-array specs (base64): the cached entry unpickles fast and ships as it is."""
    return {k: None if f is None else encode_arrays(f) for k, f in figures.items()}


@st.cache_data(max_entries=64, show_spinner=False)
def early_figures(n_points: int, noise: float, lr: float, seed: int, patience: int, present: bool) -> dict:
    """The loss curves, the fit and the hold-out comparison of the early-stopping section."""
    runs = comp.early_stopping_runs(n_points, noise, lr, seed)
    valid = int(runs["valid"][0])
    loss = runs["loss"][0, :valid]
    rule = early_stop(loss[:, 1], patience)
    end = valid - 1
    fits = comp.fits_at(n_points, noise, lr, seed, (rule.best_epoch, end))
    out = {"curves": early_curves_figure(runs["epochs"][:valid], loss, rule.best_epoch, rule.stop_epoch, rule.triggered),
           "fit": early_fit_figure(runs["points"], runs["targets"], runs["split"], fits["x"],
                                   {f"restored (epoch {rule.best_epoch})": fits["fits"][0],
                                    f"trained to the end (epoch {end})": fits["fits"][1]}),
           "hold_out": None}
    ok = (runs["status"] == 0) & (runs["retrained_valid"] == len(runs["epochs"]))
    if ok.any():
        cost = hold_out_cost(runs["loss"][ok], runs["retrained_loss"][ok], patience)
        out["hold_out"] = hold_out_figure(runs["seeds"][ok], {"early-stopped (train only, restored)": cost.early_stopped_test,
                                                               "train + validation, as many epochs": cost.retrained_test,
                                                               "train only, to the end": cost.end_of_run_test})
    return _encoded(out)


@st.cache_data(max_entries=64, show_spinner=False)
def ridge_figures(correlation: float, lr: float, steps: int, start: tuple, marked: tuple, present: bool) -> dict:
    result = comp.ridge_correspondence(correlation, 0.5, lr, steps, start, 0)
    return _encoded({"plane": ridge_plane_figure(result, marked), "filters": filter_figure(result)})


@st.cache_data(max_entries=32, show_spinner=False)
def decay_figures(n_points: int, noise: float, lr: float, l2: float, weight_decay: float, seed: int, present: bool) -> dict:
    runs = comp.decay_comparison(n_points, noise, lr, l2, weight_decay, seed)
    names = comp.DECAY_RUNS
    shown = [r for r in (1, 2) if (l2, weight_decay)[r - 1] > 0]
    return _encoded({"scatter": decay_scatter_figure({names[r]: runs["sqrt_v_hat"][r] for r in shown},
                                            {names[r]: runs["decay"][r] for r in shown}, runs["layer"], lr, l2) if shown else None,
            "weights": weight_histogram_figure({n: runs["theta"][r] for r, n in enumerate(names)}),
            "losses": decay_losses_figure(runs["steps"], {n: runs["loss"][r] for r, n in enumerate(names)})})
