"""Figures of the Dropout page, plain dict figures finished with ``ui.charts.style`` (see
``ui/deep_networks/charts.py``)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.charts import VIRIDIS, encode_arrays, new_figure, style
from ui.theme import SEQUENCE, sizes

WITHOUT, WITH = "without dropout", "with dropout"
COLORS = {WITHOUT: SEQUENCE[0], WITH: SEQUENCE[3]}
MEMBERS_SHOWN = 64  # sub-networks drawn per test point (the measurements use all of them)


def expectation_figure(e: dict, keep: float, n_masks: int, height: int = 400) -> dict:
    """Per unit (sorted by its activation): x, the mean of x (D < p) / p over K masks with ±2 standard
    errors, and the mean without the division."""
    s = sizes()
    order = np.argsort(e["unmasked"])
    units = np.arange(1, len(order) + 1)
    fig = new_figure()
    fig["data"] += [
        {"type": "scatter", "x": units, "y": e["unmasked"][order], "mode": "lines", "name": "x (no dropout)",
         "line": {"color": "#111111", "width": s["line"]}},
        {"type": "scatter", "x": units, "y": e["inverted_mean"][order], "mode": "markers",
         "name": f"mean of x·(D<p)/p over {n_masks} masks (±2 s.e.)", "marker": {"color": SEQUENCE[2], "size": 7},
         "error_y": {"type": "data", "array": 2 * e["inverted_error"][order], "visible": True, "color": SEQUENCE[2]}},
        {"type": "scatter", "x": units, "y": e["plain_mean"][order], "mode": "markers",
         "name": "mean of x·(D<p), no division", "marker": {"color": SEQUENCE[3], "size": 7, "symbol": "x"}},
        {"type": "scatter", "x": units, "y": keep * e["unmasked"][order], "mode": "lines", "name": f"p·x = {keep:g}·x",
         "line": {"color": SEQUENCE[3], "width": 1, "dash": "dot"}},
    ]
    fig["layout"]["xaxis"] = {"title": {"text": "unit (sorted by its activation x)"}}
    fig["layout"]["yaxis"] = {"title": {"text": "activation"}}
    return style(fig, "One layer's outputs: dropped and averaged over many masks", height)


def loss_curves_figure(epochs, loss, height: int = 400) -> dict:
    """Training and test loss of both runs (evaluated without dropout), and run 1's loss as trained."""
    s = sizes()
    fig = new_figure()
    for r, name in enumerate((WITHOUT, WITH)):
        for split, label, dash in ((0, "train", "solid"), (2, "test", "dash")):
            fig["data"].append({"type": "scatter", "x": epochs, "y": loss[r, :, split], "mode": "lines",
                                "name": f"{name}: {label}", "line": {"color": COLORS[name], "width": s["line"], "dash": dash}})
    fig["layout"]["xaxis"] = {"title": {"text": "epoch"}}
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "mean log-loss"}, "exponentformat": "power"}
    return style(fig, "Training and test loss (evaluated without dropout)", height)


def trained_loss_figure(epochs, step_loss, height: int = 400) -> dict:
    """The mean loss of the training examples as each step saw them (through their masks)."""
    s = sizes()
    fig = new_figure()
    for r, name in enumerate((WITHOUT, WITH)):
        fig["data"].append({"type": "scatter", "x": epochs[1:], "y": step_loss[r, 1:], "mode": "lines", "name": name,
                            "line": {"color": COLORS[name], "width": s["line"]}})
    fig["layout"]["xaxis"] = {"title": {"text": "epoch"}}
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "loss as trained"}, "exponentformat": "power"}
    return style(fig, "The loss the optimizer saw, epoch by epoch", height)


def weight_histogram_figure(weights: list, height: int = 380) -> dict:
    """Both runs' weights on shared bins (share of weights per bin)."""
    s = sizes()
    m = max(float(np.max(np.abs(w))) for w in weights)
    edges = np.linspace(-m, m, 61)
    centers = (edges[:-1] + edges[1:]) / 2
    fig = new_figure()
    for w, name in zip(weights, (WITHOUT, WITH)):
        counts = np.histogram(w, edges)[0] / len(w)
        fig["data"].append({"type": "scatter", "x": centers, "y": counts, "mode": "lines", "name": name,
                            "line": {"color": COLORS[name], "width": s["line"], "shape": "hvh"}})
    fig["layout"]["xaxis"] = {"title": {"text": "weight w"}}
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "share of the weights"}, "exponentformat": "power"}
    return style(fig, "Weights after training", height)


def maps_figure(maps: list, axes, points, targets, split, height: int = 420) -> dict:
    """p(class 1) of both networks on the plane, with the training points."""
    fig = new_figure()
    train = split == 0
    titles = []
    for i, (grid, name) in enumerate(zip(maps, (WITHOUT, WITH))):
        suffix = "" if i == 0 else "2"
        fig["data"].append({"type": "heatmap", "x": axes[0], "y": axes[1], "z": grid, "zmin": 0, "zmax": 1,
                            "colorscale": VIRIDIS, "showscale": i == 1, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
                            "colorbar": {"title": {"text": "p(class 1)"}}, "name": name, "hoverinfo": "skip"})
        for label, symbol, color in ((0, "circle", "#ffffff"), (1, "diamond", "#111111")):
            chosen = train & (targets == label)
            fig["data"].append({"type": "scatter", "x": points[chosen, 0], "y": points[chosen, 1], "mode": "markers",
                                "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "showlegend": i == 0,
                                "name": f"training point, class {label}",
                                "marker": {"symbol": symbol, "size": 7, "color": color,
                                           "line": {"width": 1, "color": "#111111" if label == 0 else "#ffffff"}}})
        titles.append({"text": name, "x": 0.22 + 0.56 * i, "y": 1.0, "xref": "paper", "yref": "paper",
                       "showarrow": False, "xanchor": "center", "yanchor": "bottom"})
    fig["layout"].update({
        "xaxis": {"domain": [0, 0.45], "title": {"text": "x"}}, "yaxis": {"title": {"text": "y"}},
        "xaxis2": {"domain": [0.55, 1.0], "title": {"text": "x"}}, "yaxis2": {"anchor": "x2"},
        "annotations": titles,
    })
    return style(fig, "Where each network puts class 1", height)


def agreement_figure(ensemble, full, height: int = 400) -> dict:
    """Each test point: the full (scaled) network's probability against the mean of the sub-networks'."""
    fig = new_figure()
    fig["data"] += [
        {"type": "scatter", "x": [0, 1], "y": [0, 1], "mode": "lines", "name": "equal",
         "line": {"color": "#888888", "width": 1, "dash": "dot"}},
        {"type": "scatter", "x": full, "y": ensemble, "mode": "markers", "name": "a test point",
         "marker": {"color": SEQUENCE[2], "size": 6, "opacity": 0.7}},
    ]
    fig["layout"]["xaxis"] = {"title": {"text": "full network (weight scaling): p(class 1)"}, "range": [-0.02, 1.02]}
    fig["layout"]["yaxis"] = {"title": {"text": "mean of the sub-networks: p(class 1)"}, "range": [-0.02, 1.02]}
    fig["layout"]["showlegend"] = True
    return style(fig, "Sub-networks' average against the full network", height)


def members_figure(samples, full, height: int = 400) -> dict:
    """The first test points: each sub-network's probability (dots) and the full network's (a bar)."""
    s = sizes()
    samples = samples[:MEMBERS_SHOWN]
    K, N = samples.shape
    points = np.repeat(np.arange(1, N + 1), K)
    fig = new_figure()
    fig["data"] += [
        {"type": "scatter", "x": points, "y": samples.T.ravel(), "mode": "markers", "name": "one sub-network",
         "marker": {"color": SEQUENCE[5], "size": 4, "opacity": 0.35}},
        {"type": "scatter", "x": np.arange(1, N + 1), "y": samples.mean(0), "mode": "markers", "name": "their mean",
         "marker": {"color": SEQUENCE[2], "size": 9, "symbol": "diamond"}},
        {"type": "scatter", "x": np.arange(1, N + 1), "y": full[:N], "mode": "markers", "name": "full network",
         "marker": {"color": "#111111", "size": 10, "symbol": "line-ew-open", "line": {"width": s["line"]}}},
    ]
    fig["layout"]["xaxis"] = {"title": {"text": "test point"}}
    fig["layout"]["yaxis"] = {"title": {"text": "p(class 1)"}, "range": [-0.02, 1.02]}
    return style(fig, f"{K} sub-networks on the first {N} test points", height)


# ------------------------------------------------ cached by their inputs (a plain rerun builds nothing)

@st.cache_data(max_entries=32, show_spinner=False)
def expectation_figures(keep: float, n_masks: int, seed: int, present: bool) -> dict:
    from ui.deep_networks import dropout_compute as comp
    return encode_arrays(expectation_figure(comp.expectation(keep, n_masks, seed), keep, n_masks))


@st.cache_data(max_entries=16, show_spinner=False)
def gap_figures(args: tuple, present: bool) -> dict:
    """The four figures of the gap section for ``dropout_compute.comparison(*args)``."""
    from ui.deep_networks import dropout_compute as comp
    r = comp.comparison(*args)
    return {"loss": encode_arrays(loss_curves_figure(r["epochs"], r["loss"])),
            "maps": encode_arrays(maps_figure(r["maps"], r["axes"], r["points"], r["targets"], r["split"])),
            "rough": encode_arrays(trained_loss_figure(r["epochs"], r["step_loss"])),
            "weights": encode_arrays(weight_histogram_figure(r["weights"]))}


@st.cache_data(max_entries=16, show_spinner=False)
def ensemble_figures(args: tuple, n_masks: int, present: bool) -> dict:
    from ui.deep_networks import dropout_compute as comp
    e = comp.ensemble(*args, n_masks)
    return {"agreement": encode_arrays(agreement_figure(e["ensemble_probability"], e["full_probability"])),
            "members": encode_arrays(members_figure(e["samples"], e["full_probability"]))}
