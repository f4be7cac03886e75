"""Figures of the Normalization and skip connections page, as plain dict figures finished with
``ui.charts.style`` (NumPy arrays in, ``{"data", "layout"}`` out). Plain network solid, the variant dashed;
layers and runs coloured from ``ui.theme.SEQUENCE``."""

from __future__ import annotations

import numpy as np

from ui.charts import new_figure
from ui.charts import style as house_style
from ui.theme import SEQUENCE, sizes


def style(fig: dict, title: str, height: int) -> dict:
    """The house style, with the legend moved below the x axis's title (40 px more room under the plot)."""
    fig = house_style(fig, title, height + 40)
    layout = fig["layout"]
    layout["legend"] = {**layout["legend"], "y": layout["legend"]["y"] - 0.1}
    layout["margin"] = {**layout["margin"], "b": layout["margin"]["b"] + 40}
    return fig


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _line(x, y, name: str, color: str, dash: str = "solid", mode: str = "lines", **extra) -> dict:
    s = sizes()
    return {"type": "scatter", "x": np.asarray(x, dtype=float), "y": np.asarray(y, dtype=float), "mode": mode, "name": name,
            "line": {"color": color, "dash": dash, "width": s["line"]}, "marker": {"size": s["marker"] - 2, "color": color},
            **extra}


def _band(x, low, high, name: str, color: str) -> dict:
    x = np.asarray(x, dtype=float)
    return {"type": "scatter", "x": np.r_[x, x[::-1]], "y": np.r_[np.asarray(high, float), np.asarray(low, float)[::-1]],
            "mode": "lines", "fill": "toself", "fillcolor": _rgba(color, 0.2), "line": {"width": 0}, "hoverinfo": "skip", "name": name}


def _axes(fig: dict, x_title: str, y_title: str, log_x: bool = False, log_y: bool = False) -> dict:
    fig["layout"]["xaxis"] = {"title": {"text": x_title}, "type": "log" if log_x else "linear"}
    fig["layout"]["yaxis"] = {"title": {"text": y_title}, "type": "log" if log_y else "linear", "exponentformat": "power"}
    return fig


def _positive(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where((values > 0) & np.isfinite(values), values, np.nan)


def pair_curves_figure(epochs: dict, values: dict, names: dict, title: str, y_title: str, log_y: bool = False,
                       height: int = 340) -> dict:
    """One line per run over its epochs ({run: (n,)}), the first run solid, the second dashed."""
    fig = new_figure()
    for i, key in enumerate(values):
        y = _positive(values[key]) if log_y else values[key]
        fig["data"].append(_line(epochs[key], y, names[key], SEQUENCE[3 * i % len(SEQUENCE)], "solid" if i == 0 else "dash"))
    return style(_axes(fig, "epoch", y_title, log_y=log_y), title, height)


def per_layer_pair_figure(epochs: dict, values: dict, names: dict, title: str, y_title: str, log_y: bool = False,
                          height: int = 360) -> dict:
    """Each run's (n, L) values: one colour per layer, the first run solid, the second dashed."""
    fig = new_figure()
    for i, key in enumerate(values):
        v = np.asarray(values[key], dtype=float)
        for l in range(v.shape[1]):
            y = _positive(v[:, l]) if log_y else v[:, l]
            label = f"output layer, {names[key]}" if l == v.shape[1] - 1 and "grad" in title.lower() else f"layer {l + 1}, {names[key]}"
            fig["data"].append(_line(epochs[key], y, label, SEQUENCE[l % len(SEQUENCE)], "solid" if i == 0 else "dash",
                                     legendgroup=names[key]))
    return style(_axes(fig, "epoch", y_title, log_y=log_y), title, height)


def spectrum_figure(spectra: dict, names: dict, epoch: int, height: int = 360) -> dict:
    """Every eigenvalue of each Hessian against its rank (largest first): {run: (P,)}."""
    fig = new_figure()
    for i, key in enumerate(spectra):
        ev = np.sort(np.asarray(spectra[key], dtype=float))[::-1]
        fig["data"].append(_line(np.arange(1, len(ev) + 1), ev, f"{names[key]} ({len(ev)} parameters)",
                                 SEQUENCE[3 * i % len(SEQUENCE)], "solid" if i == 0 else "dash", mode="lines+markers"))
    fig["layout"]["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
                                "line": {"color": "#888888", "width": 1}}]
    return style(_axes(fig, "rank (largest first)", "Hessian eigenvalue λ"), f"Hessian spectrum at epoch {epoch}", height)


def sweep_figure(sweeps: dict, names: dict, height: int = 380) -> dict:
    """Largest training loss over the sweep's steps divided by the starting loss, for each learning rate;
    dotted verticals at each run's 2 / lambda_max, solid ones at its measured largest stable rate."""
    fig = new_figure()
    shapes = []
    for i, key in enumerate(sweeps):
        sweep = sweeps[key]
        color = SEQUENCE[3 * i % len(SEQUENCE)]
        losses = np.asarray(sweep["losses"], dtype=float)
        worst = np.nanmax(np.where(np.isfinite(losses), losses, np.nan), axis=1) / losses[:, 0]
        worst = np.where(np.isfinite(losses).all(axis=1), worst, np.nan)
        fig["data"].append(_line(sweep["grid"], worst, f"{names[key]}: max L / L at the start", color,
                                 "solid" if i == 0 else "dash", mode="lines+markers"))
        for x, dash in ((sweep["theory"], "dot"), (sweep["largest_stable"], "solid")):
            if np.isfinite(x):
                shapes.append({"type": "line", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1,
                               "line": {"color": color, "dash": dash, "width": 2}})
    fig["layout"]["shapes"] = shapes
    fig = _axes(fig, "learning rate η (full-batch gradient descent)", "largest loss / starting loss", log_x=True, log_y=True)
    return style(fig, "Which steps are stable: measured against 2/λ_max", height)


def smoothness_figure(results: dict, names: dict, low: str, high: str, title: str, y_title: str, log_y: bool = False,
                      height: int = 360) -> dict:
    """For each run, the band between ``low`` and ``high`` (arrays over epochs) of its result."""
    fig = new_figure()
    for i, key in enumerate(results):
        r = results[key]
        color = SEQUENCE[3 * i % len(SEQUENCE)]
        lo, hi = (_positive(r[low]), _positive(r[high])) if log_y else (r[low], r[high])
        fig["data"].append(_band(r["epochs"], lo, hi, f"{names[key]}: range over step sizes", color))
        fig["data"].append(_line(r["epochs"], hi, f"{names[key]}: largest", color, "solid" if i == 0 else "dash"))
    return style(_axes(fig, "epoch", y_title, log_y=log_y), title, height)


def mode_gap_figure(batches, gap: np.ndarray, epochs, picks: list, height: int = 360) -> dict:
    """Mean |p_train - p_eval| against the batch size, one line per chosen snapshot."""
    fig = new_figure()
    for j, i in enumerate(picks):
        fig["data"].append(_line(batches, gap[:, i], f"epoch {int(epochs[i])}", SEQUENCE[j % len(SEQUENCE)],
                                 mode="lines+markers"))
    fig = _axes(fig, "minibatch size B in training mode", "mean |p(train mode) − p(evaluation mode)|", log_x=True)
    fig["layout"]["xaxis"].update(tickvals=[int(b) for b in batches], ticktext=[str(int(b)) for b in batches])
    return style(fig, "Training mode against evaluation mode, by batch size", height)


def single_sample_figure(p_eval, p_single, p_batch, batch: int, height: int = 360) -> dict:
    """Each held-out point: its evaluation-mode probability (x) against training mode alone (batch of one) and
    in minibatches of ``batch``."""
    s = sizes()
    order = np.argsort(p_eval)
    fig = new_figure([
        {"type": "scatter", "x": np.asarray(p_eval)[order], "y": np.asarray(p_batch)[order], "mode": "markers",
         "name": f"training mode, minibatches of {batch}", "marker": {"color": SEQUENCE[0], "size": s["marker"]}},
        {"type": "scatter", "x": np.asarray(p_eval)[order], "y": np.asarray(p_single)[order], "mode": "markers",
         "name": "training mode, one sample at a time", "marker": {"color": SEQUENCE[3], "size": s["marker"], "symbol": "x"}},
        _line([0, 1], [0, 1], "same as evaluation mode", "#888888", "dot"),
    ])
    return style(_axes(fig, "p(class 1), evaluation mode (running averages)", "p(class 1), training mode"),
                 "One sample in training mode: the output ignores the input", height)


def depth_figure(depths, results: dict, names: dict, height: int = 380) -> dict:
    """Final training loss against depth: median over seeds (line) and the seeds' range (band): {name: (S, D)}."""
    fig = new_figure()
    for i, key in enumerate(results):
        values = np.asarray(results[key], dtype=float)
        color = SEQUENCE[3 * i % len(SEQUENCE)]
        fig["data"].append(_band(depths, values.min(axis=0), values.max(axis=0), f"{names[key]}: range of {len(values)} seeds", color))
        fig["data"].append(_line(depths, np.median(values, axis=0), f"{names[key]}: median", color, "solid" if i == 0 else "dash",
                                 mode="lines+markers"))
    return style(_axes(fig, "hidden layers", "training loss after the budget", log_y=True),
                 "Deeper without and with skip connections", height)
