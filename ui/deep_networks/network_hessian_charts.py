"""Figures of the page "The Hessian of a network", as plain dict figures (``ui.charts`` explains why):
arrays in, ``{"data": [...], "layout": {...}}`` out, finished with ``ui.charts.style``."""

from __future__ import annotations

import numpy as np

from ui.charts import new_figure, style
from ui.deep_networks.charts import axis_suffix, panels_layout
from ui.theme import SEQUENCE, sizes

WHEN_COLORS = {"at initialization": SEQUENCE[0], "after training": SEQUENCE[3]}


def _finite(values) -> np.ndarray:
    values = np.asarray(values, float)
    return np.where(np.isfinite(values), values, np.nan)


def conditioning_figure(labels: list, panels: dict, title: str, height: int = 460) -> dict:
    """Side-by-side panels {panel title: (log axis, {when: (variants, seeds) values})}: one marker per seed and a
    bar at the median, at initialization and after training."""
    s = sizes()
    titles = list(panels)
    fig = new_figure(layout=panels_layout(titles, gap=0.08))
    for i, name in enumerate(titles):
        log, series = panels[name]
        for when, values in series.items():
            values = _finite(values)
            if log:
                values = np.where(values > 0, values, np.nan)
            median = np.array([np.nanmedian(v) if np.any(np.isfinite(v)) else np.nan for v in values])
            axes = {"xaxis": f"x{axis_suffix(i)}", "yaxis": f"y{axis_suffix(i)}"}
            fig["data"].append({"type": "bar", "x": labels, "y": median, "name": f"{when} (median of seeds)",
                                "legendgroup": when, "showlegend": i == 0, "offsetgroup": when,
                                "marker": {"color": WHEN_COLORS[when], "opacity": 0.45}, **axes})
            xs = [label for label, v in zip(labels, values) for _ in v]
            fig["data"].append({"type": "scatter", "mode": "markers", "x": xs, "y": values.ravel(),
                                "name": f"{when}: each seed", "legendgroup": when, "showlegend": i == 0,
                                "offsetgroup": when, "marker": {"color": WHEN_COLORS[when], "size": s["marker"] - 2,
                                                                "line": {"width": 1, "color": "#ffffff"}}, **axes})
        fig["layout"][f"yaxis{axis_suffix(i)}"].update({"type": "log" if log else "linear", "exponentformat": "power"})
    fig["layout"]["barmode"] = "group"
    fig["layout"]["scattermode"] = "group"
    return style(fig, title, height)


def sorted_spectra_figure(spectra: dict, title: str, height: int = 420) -> dict:
    """Panels {title: {series name: eigenvalues}}: each spectrum sorted from the largest, against its rank."""
    s = sizes()
    titles = list(spectra)
    fig = new_figure(layout=panels_layout(titles, gap=0.08))
    for i, name in enumerate(titles):
        for j, (label, values) in enumerate(spectra[name].items()):
            values = np.sort(np.asarray(values, float))[::-1]
            fig["data"].append({"type": "scatter", "mode": "lines+markers", "x": np.arange(1, len(values) + 1),
                                "y": values, "name": label, "legendgroup": label, "showlegend": i == 0,
                                "line": {"color": SEQUENCE[j], "width": s["line"] - 1, "dash": "solid" if j == 0 else "dot"},
                                "marker": {"size": 4}, "xaxis": f"x{axis_suffix(i)}", "yaxis": f"y{axis_suffix(i)}"})
        fig["layout"][f"xaxis{axis_suffix(i)}"].update({"title": {"text": "rank (largest first)"}, "type": "log"})
        fig["layout"][f"yaxis{axis_suffix(i)}"].update({"title": {"text": "eigenvalue" if i == 0 else ""}})
    return style(fig, title, height)


def share_bars(labels: list, initial, trained, title: str, height: int = 360) -> dict:
    """Off-block share per network: bars at the median of the seeds, a marker per seed."""
    return conditioning_figure(labels, {"off-block share of ‖H‖²": (False, {"at initialization": initial,
                                                                            "after training": trained})},
                               title, height)


def cost_figure(live: list, stored: dict, title: str, height: int = 440) -> dict:
    """Time and memory against the parameter count P (log-log): live rows of this server and the stored benchmark."""
    s = sizes()
    fig = new_figure(layout=panels_layout(["time", "memory"], gap=0.1))
    line = lambda name, x, y, color, dash, axis, symbol="circle": {  # noqa: E731
        "type": "scatter", "mode": "lines+markers", "x": np.asarray(x, float), "y": _finite(y), "name": name,
        "line": {"color": color, "dash": dash, "width": s["line"] - 0.5}, "marker": {"symbol": symbol, "size": s["marker"]},
        "xaxis": f"x{axis}", "yaxis": f"y{axis}"}
    if stored:
        P = stored["n_parameters"]
        fig["data"].append(line("benchmark: exact H, CPU s", P, stored["exact_cpu"], SEQUENCE[0], "dot", "", "square"))
        for j, (m, values) in enumerate(sorted(stored["lanczos_cpu"].items())):
            if m in (32, 64):
                fig["data"].append(line(f"benchmark: Lanczos {m} HVPs, CPU s", P, values, SEQUENCE[1 + j % 3], "dot", "",
                                        "square"))
    if live:
        P = [r["n_parameters"] for r in live]
        fig["data"].append(line("live: exact H + eigvalsh, s", P, [r["exact_seconds"] for r in live], SEQUENCE[0], "solid", ""))
        fig["data"].append(line(f"live: Lanczos {live[0]['lanczos_bytes'] // (8 * live[0]['n_parameters'])} HVPs, s", P,
                                [r["lanczos_seconds"] for r in live], SEQUENCE[3], "solid", ""))
    if stored and np.isfinite(stored["exact_cpu"][0]):  # guides of the notes' growth laws through the first stored point
        P0, t0 = float(stored["n_parameters"][0]), float(stored["exact_cpu"][0])
        P_guide = np.geomspace(P0, 5000, 20)
        for power, dash in ((2, "dash"), (3, "dashdot")):
            guide = line(f"slope of P{'²' if power == 2 else '³'} (guide)", P_guide, t0 * (P_guide / P0) ** power,
                         "#888888", dash, "")
            guide["mode"], guide["line"]["width"] = "lines", 1.2
            fig["data"].append(guide)
        fig["layout"]["yaxis"] = {**fig["layout"]["yaxis"], "range": [np.log10(min(1e-3, t0 / 3)), 1.5]}
    grid = np.geomspace(30, 5000, 30)
    fig["data"].append(line("exact H: P² × 8 bytes", grid, grid**2 * 8 / 1e6, SEQUENCE[0], "solid", "2", "circle"))
    fig["data"].append(line("Lanczos basis: 64 × P × 8 bytes", grid, 64 * grid * 8 / 1e6, SEQUENCE[3], "solid", "2",
                            "circle"))
    for t in fig["data"][-2:]:
        t["mode"] = "lines"
    for axis, y_title in (("", "seconds"), ("2", "megabytes")):
        fig["layout"][f"xaxis{axis}"].update({"type": "log", "title": {"text": "parameters P"}})
        fig["layout"][f"yaxis{axis}"].update({"type": "log", "title": {"text": y_title}, "exponentformat": "power"})
    return style(fig, title, height)


def spectrum_figure(panels: dict, title: str, bins: int = 60, height: int = 420) -> dict:
    """Panels {title: (eigenvalues, slq (grid, density) or None)}: a histogram of the exact eigenvalues as a
    density (counts / (P * bin width)) on a log axis, and the SLQ estimate of the same density."""
    s = sizes()
    titles = list(panels)
    fig = new_figure(layout=panels_layout(titles, gap=0.08))
    for i, name in enumerate(titles):
        values, slq = panels[name]
        values = np.asarray(values, float)
        low, high = float(values.min()), float(values.max())
        if slq is not None:
            low, high = min(low, float(slq[0][0])), max(high, float(slq[0][-1]))
        edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
        counts, _ = np.histogram(values, edges)
        density = counts / (len(values) * (edges[1] - edges[0]))
        axes = {"xaxis": f"x{axis_suffix(i)}", "yaxis": f"y{axis_suffix(i)}"}
        fig["data"].append({"type": "bar", "x": 0.5 * (edges[1:] + edges[:-1]), "y": np.where(density > 0, density, np.nan),
                            "width": float(edges[1] - edges[0]), "name": "exact eigenvalues (histogram)",
                            "legendgroup": "exact", "showlegend": i == 0, "marker": {"color": SEQUENCE[0], "opacity": 0.6},
                            **axes})
        if slq is not None:
            grid, dens = np.asarray(slq[0]), np.asarray(slq[1])
            shown = np.where(dens > 1e-4 * dens.max(), dens, np.nan)
            fig["data"].append({"type": "scatter", "mode": "lines", "x": grid, "y": shown,
                                "name": "stochastic Lanczos quadrature", "legendgroup": "slq", "showlegend": i == 0,
                                "line": {"color": SEQUENCE[3], "width": s["line"]}, **axes})
        fig["layout"][f"xaxis{axis_suffix(i)}"].update({"title": {"text": "eigenvalue λ"}})
        fig["layout"][f"yaxis{axis_suffix(i)}"].update({"type": "log", "title": {"text": "density" if i == 0 else ""},
                                                     "exponentformat": "power"})
    fig["layout"]["bargap"] = 0
    return style(fig, title, height)
