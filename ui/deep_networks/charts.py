"""Figures of the deep-network lab, built as plain dict figures (``ui.charts`` explains why): each
function takes NumPy arrays and returns ``{"data": [...], "layout": {...}}`` finished with
``ui.charts.style``. ``st.plotly_chart`` draws them through ``ui.exports`` without a second validation."""

from __future__ import annotations

import numpy as np

from ui.charts import new_figure, style
from ui.theme import SEQUENCE, presentation_on, sizes

HISTOGRAM_BINS = 41


def layer_color(l: int, n_layers: int) -> str:
    """Layer colours: the house sequence for a few layers, a blue-to-orange ramp for many."""
    if n_layers <= len(SEQUENCE) - 1:
        return SEQUENCE[l]
    t = l / max(n_layers - 1, 1)
    start, end = np.array([0, 114, 178]), np.array([213, 94, 0])
    r, g, b = (start + t * (end - start)).astype(int)
    return f"rgb({r},{g},{b})"


def symmetric_range(arrays, quantile: float = 0.995) -> float:
    """A half-width that holds nearly every value of every array (never zero)."""
    values = np.concatenate([np.abs(np.ravel(a)) for a in arrays])
    values = values[np.isfinite(values)]
    m = float(np.quantile(values, quantile)) if values.size else 1.0
    return m if m > 0 else 1.0


def histogram_density(values, half_width: float, bins: int = HISTOGRAM_BINS) -> tuple[np.ndarray, np.ndarray]:
    """(bin centres, share of the values in each bin) over [-half_width, half_width]; values outside land
    in the end bins, so every share adds up to 1."""
    edges = np.linspace(-half_width, half_width, bins + 1)
    clipped = np.clip(np.ravel(values), -half_width, half_width)
    counts, _ = np.histogram(clipped, edges)
    return 0.5 * (edges[1:] + edges[:-1]), counts / max(counts.sum(), 1)


def axis_suffix(i: int) -> str:
    """Plotly's axis name suffix of panel i: nothing for the first (xaxis), then 2, 3, ... (xaxis2, y3)."""
    return "" if i == 0 else str(i + 1)


def panels_layout(titles: list[str], gap: float = 0.05) -> dict:
    """Side-by-side panels (x, x2, x3 ... with their y axes) and a title above each."""
    n = len(titles)
    width = (1 - gap * (n - 1)) / n
    layout: dict = {"annotations": []}
    for i, title in enumerate(titles):
        left = i * (width + gap)
        layout[f"xaxis{axis_suffix(i)}"] = {"domain": [left, left + width], "anchor": f"y{axis_suffix(i)}"}
        layout[f"yaxis{axis_suffix(i)}"] = {"anchor": f"x{axis_suffix(i)}"}
        layout["annotations"].append({"text": f"<b>{title}</b>", "x": left + width / 2, "y": 1.0, "xref": "paper",
                                      "yref": "paper", "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                                      "font": {"size": sizes()["font"]}})
    return layout


def layer_histograms_figure(columns: dict, title: str, x_title: str, height: int = 380) -> dict:
    """One panel per entry of ``columns`` ({label: [values of layer 1, layer 2, ...]}), each layer's
    distribution a step curve in its colour: the notes' side-by-side histograms. Every panel has its own
    symmetric range, so a distribution that has shrunk to a spike shows as one."""
    s = sizes()
    labels = list(columns)
    fig = new_figure(layout=panels_layout(labels))
    for i, label in enumerate(labels):
        layers = columns[label]
        half = symmetric_range(layers)
        for l, values in enumerate(layers):
            centres, share = histogram_density(values, half)
            fig["data"].append({
                "type": "scatter", "x": centres, "y": share, "mode": "lines", "line": {"shape": "hvh", "width": s["line"],
                                                                                      "color": layer_color(l, len(layers))},
                "name": f"layer {l + 1}", "legendgroup": f"layer {l + 1}", "showlegend": i == 0,
                "xaxis": f"x{axis_suffix(i)}", "yaxis": f"y{axis_suffix(i)}",
                "hovertemplate": f"layer {l + 1}, std {np.std(values):.3g}<br>%{{x:.3g}}: %{{y:.1%}}<extra>{label}</extra>",
            })
        fig["layout"][f"xaxis{axis_suffix(i)}"]["title"] = {"text": x_title}
        fig["layout"][f"yaxis{axis_suffix(i)}"]["title"] = {"text": "share of values" if i == 0 else ""}
    fig = style(fig, title, height)
    if presentation_on():  # the axis titles are larger on a projector: keep the legend below them
        fig["layout"]["legend"] = {**fig["layout"]["legend"], "y": -0.34}
    return fig


def distribution_heatmap(layers: list, title: str, x_title: str, height: int = 380) -> dict:
    """Rows = layers, columns = value bins over one shared symmetric range; colour = the share of the
    layer's values in the bin divided by the row's largest share (each row's own shape is visible)."""
    half = symmetric_range(layers)
    rows = [histogram_density(values, half) for values in layers]
    share = np.stack([r[1] for r in rows])
    relative = share / np.maximum(share.max(axis=1, keepdims=True), 1e-300)
    fig = new_figure([{
        "type": "heatmap", "x": rows[0][0], "y": np.arange(1, len(layers) + 1), "z": relative, "customdata": share,
        "colorscale": "Blues", "reversescale": True, "zmin": 0, "zmax": 1, "showscale": False,
        "hovertemplate": "layer %{y}, value %{x:.3g}: %{customdata:.1%} of the layer<extra></extra>",
    }], {"xaxis": {"title": {"text": x_title}}, "yaxis": {"title": {"text": "layer"}, "dtick": 1 if len(layers) <= 10 else 2}})
    return style(fig, title, height, legend=False)


def per_layer_figure(series: dict, title: str, y_title: str, log_y: bool = True, height: int = 360,
                     dashes: dict | None = None, colors: dict | None = None, y_range: list | None = None) -> dict:
    """Lines against the layer index: {name: values per layer}."""
    s = sizes()
    fig = new_figure()
    for i, (name, values) in enumerate(series.items()):
        values = np.asarray(values, dtype=float)
        shown = np.where((values > 0) & np.isfinite(values), values, np.nan) if log_y else values
        fig["data"].append({"type": "scatter", "x": np.arange(1, len(values) + 1), "y": shown, "mode": "lines+markers",
                            "name": name, "line": {"width": s["line"], "color": (colors or {}).get(name, SEQUENCE[i % len(SEQUENCE)]),
                                                   "dash": (dashes or {}).get(name, "solid")},
                            "marker": {"size": s["marker"] - 2}})
    fig["layout"]["xaxis"] = {"title": {"text": "layer l"}, "dtick": 1 if max(len(v) for v in series.values()) <= 10 else 2}
    fig["layout"]["yaxis"] = {"type": "log" if log_y else "linear", "title": {"text": y_title}, "exponentformat": "power"}
    if y_range is not None:
        fig["layout"]["yaxis"]["range"] = y_range
    return style(fig, title, height)


def variance_law_figure(measured: np.ndarray, predictions: dict, title: str, height: int = 420) -> dict:
    """Var(z^(l)) of every seed (pale dots), their mean (thick line), and the predictions (dashed, on top)."""
    s = sizes()
    S, L = measured.shape
    layers = np.arange(1, L + 1)
    positive = lambda a: np.where((a > 0) & np.isfinite(a), a, np.nan)  # noqa: E731
    fig = new_figure([
        {"type": "scatter", "x": np.tile(layers, S), "y": positive(measured.ravel()), "mode": "markers",
         "name": f"measured, each of {S} seeds", "marker": {"color": "rgba(0,114,178,0.25)", "size": s["marker"] - 2}},
        {"type": "scatter", "x": layers, "y": positive(measured.mean(axis=0)), "mode": "lines+markers",
         "name": "measured, mean over seeds", "line": {"color": "rgba(0,114,178,0.55)", "width": 3 * s["line"]}},
    ])
    styles = [("#D55E00", "dash"), ("#000000", "dot"), ("#009E73", "dashdot")]
    for (name, values), (color, dash) in zip(predictions.items(), styles):
        fig["data"].append({"type": "scatter", "x": layers, "y": positive(np.asarray(values, dtype=float)), "mode": "lines",
                            "name": name, "line": {"color": color, "dash": dash, "width": s["line"]}})
    fig["layout"]["xaxis"] = {"title": {"text": "layer l"}, "dtick": 1 if L <= 10 else 2}
    fig["layout"]["yaxis"] = {"type": "log", "title": {"text": "Var(z⁽ˡ⁾)"}, "exponentformat": "power"}
    return style(fig, title, height)


def curves_figure(x, series: dict, title: str, x_title: str, y_title: str, log_y: bool = False, height: int = 360,
                  dashes: dict | None = None, colors: dict | None = None) -> dict:
    """Plain lines over a shared x (epochs): {name: values}."""
    s = sizes()
    fig = new_figure()
    for i, (name, values) in enumerate(series.items()):
        values = np.asarray(values, dtype=float)
        if log_y:
            values = np.where(values > 0, values, np.nan)
        fig["data"].append({"type": "scatter", "x": np.asarray(x), "y": values, "mode": "lines", "name": name,
                            "line": {"width": s["line"], "color": (colors or {}).get(name, SEQUENCE[i % len(SEQUENCE)]),
                                     "dash": (dashes or {}).get(name, "solid")}})
    fig["layout"]["xaxis"] = {"title": {"text": x_title}}
    fig["layout"]["yaxis"] = {"type": "log" if log_y else "linear", "title": {"text": y_title}, "exponentformat": "power"}
    return style(fig, title, height)


def tied_weights_figure(epochs, panels: dict, title: str, height: int = 380) -> dict:
    """One panel per initialization ({label: (n, n_in, 2) incoming weights of units 1 and 2}): unit 1's
    weights solid, unit 2's dashed, one colour per input. Tied units draw one line twice."""
    s = sizes()
    labels = list(panels)
    fig = new_figure(layout=panels_layout(labels, gap=0.08))
    for i, label in enumerate(labels):
        pair = np.asarray(panels[label])
        for j in range(pair.shape[1]):
            for unit, dash in ((0, "solid"), (1, "dash")):
                fig["data"].append({
                    "type": "scatter", "x": np.asarray(epochs), "y": pair[:, j, unit], "mode": "lines",
                    "name": f"unit {unit + 1}, weight from input {j + 1}", "legendgroup": f"{unit}-{j}", "showlegend": i == 0,
                    "line": {"color": SEQUENCE[j % len(SEQUENCE)], "dash": dash,
                             "width": s["line"] * (2.2 if unit == 0 else 1.0)},
                    "opacity": 0.45 if unit == 0 else 1.0,
                    "xaxis": f"x{axis_suffix(i)}", "yaxis": f"y{axis_suffix(i)}",
                })
        fig["layout"][f"xaxis{axis_suffix(i)}"]["title"] = {"text": "epoch"}
        fig["layout"][f"yaxis{axis_suffix(i)}"]["title"] = {"text": "weight" if i == 0 else ""}
    return style(fig, title, height)


def gradient_norm_bars(norms: dict, layer_names: list, title: str, height: int = 340,
                       y_title: str = "‖∂L/∂θ‖ of the layer at epoch 0", zero_label: str = "exactly 0") -> dict:
    """Grouped bars: {run: one value per layer}; an exact zero is labelled ``zero_label``."""
    fig = new_figure()
    for i, (name, values) in enumerate(norms.items()):
        values = np.asarray(values, dtype=float)
        fig["data"].append({"type": "bar", "x": layer_names, "y": values, "name": name,
                            "marker": {"color": SEQUENCE[i % len(SEQUENCE)]},
                            "text": [zero_label if v == 0 else f"{v:.2g}" for v in values], "textposition": "outside"})
    fig["layout"]["barmode"] = "group"
    fig["layout"]["yaxis"] = {"title": {"text": y_title}}
    return style(fig, title, height)


# ---- Training a network ----------------------------------------------------------------------------------

CLASS_COLORS = ("#D55E00", "#0072B2")  # class 0 vermillion, class 1 blue (Okabe-Ito)
SPLIT_NAMES = ("train", "validation", "test")


def _epoch_line(epoch: float, y_range, axis: str) -> dict:
    return {"type": "scatter", "x": [epoch, epoch], "y": list(y_range), "mode": "lines", "showlegend": False,
            "hoverinfo": "skip", "line": {"color": "#555555", "width": 1.5, "dash": "dot"},
            "xaxis": f"x{axis}", "yaxis": f"y{axis}"}


def training_scrubber_figure(result: dict, height: int = 560) -> dict:
    """The decision map (or the fitted curve) beside the loss and accuracy curves, with an epoch slider
    and play/pause that run **in the browser**: every snapshot is a Plotly frame, and the slider's steps
    call ``Plotly.animate`` on those frames, so scrubbing needs no server round trip. The frames change
    the map (a heatmap needs ``redraw: true``; the 1-D fit is a scatter and animates with
    ``redraw: false``) and the dotted epoch lines on the curves."""
    s = sizes()
    epochs, maps, task = np.asarray(result["epochs"]), result["maps"], result["task"]
    points, targets, split = result["points"], result["targets"], result["split"]
    classification = task == "classification"
    layout = {
        "xaxis": {"domain": [0, 0.5], "anchor": "y", "title": {"text": "x"}},
        "yaxis": {"anchor": "x", "title": {"text": "y" if classification else "target"}},
        "xaxis2": {"domain": [0.6, 1], "anchor": "y2", "title": {"text": ""}, "matches": "x3" if classification else None},
        "yaxis2": {"domain": [0.55, 1] if classification else [0, 1], "anchor": "x2", "type": "log",
                   "title": {"text": "loss"}, "exponentformat": "power"},
    }
    if classification:
        layout["xaxis3"] = {"domain": [0.6, 1], "anchor": "y3", "title": {"text": "epoch"}}
        layout["yaxis3"] = {"domain": [0, 0.45], "anchor": "x3", "title": {"text": "accuracy"}, "range": [0, 1.05]}
    else:
        layout["xaxis2"]["title"] = {"text": "epoch"}
    data = []
    last = len(epochs) - 1
    if classification:
        xs, ys = result["axes"]
        data.append({"type": "heatmap", "x": xs, "y": ys, "z": maps[last].reshape(len(ys), len(xs)), "zmin": 0, "zmax": 1,
                     "colorscale": [[0, "#F4B183"], [0.5, "#FFFFFF"], [1, "#9DC3E6"]], "showscale": False,
                     "hovertemplate": "(%{x:.2f}, %{y:.2f}): p(class 1) = %{z:.2f}<extra></extra>"})
        for part, symbol, name in ((0, "circle", "train"), (2, "diamond-open", "test")):
            chosen = split == part
            data.append({"type": "scatter", "x": points[chosen, 0], "y": points[chosen, 1], "mode": "markers", "name": f"{name} points",
                         "marker": {"symbol": symbol, "size": s["marker"] - 2,
                                    "color": [CLASS_COLORS[int(t)] for t in targets[chosen]],
                                    "line": {"width": 1.2 if part == 2 else 0.5, "color": "#333333" if part == 0 else None}}})
    else:
        xs = result["axes"][0]
        data.append({"type": "scatter", "x": xs, "y": maps[last], "mode": "lines", "name": "network's fit",
                     "line": {"color": "#000000", "width": s["line"]}})
        for part, symbol, name in ((0, "circle", "train"), (2, "diamond-open", "test")):
            chosen = split == part
            data.append({"type": "scatter", "x": points[chosen, 0], "y": targets[chosen], "mode": "markers", "name": f"{name} points",
                         "marker": {"symbol": symbol, "size": s["marker"] - 3, "color": CLASS_COLORS[1 if part == 0 else 0]}})
    loss = np.where(result["loss"] > 0, result["loss"], np.nan)
    for k, (name, dash) in enumerate(zip(SPLIT_NAMES, ("solid", "dot", "dash"))):
        data.append({"type": "scatter", "x": epochs, "y": loss[:, k], "mode": "lines", "name": f"{name} loss",
                     "line": {"color": SEQUENCE[k], "dash": dash, "width": s["line"]}, "xaxis": "x2", "yaxis": "y2"})
    finite = loss[np.isfinite(loss)]
    loss_range = (float(finite.min()) * 0.8, float(finite.max()) * 1.25) if finite.size else (1e-3, 1.0)
    if classification:
        for k, (name, dash) in enumerate(zip(SPLIT_NAMES, ("solid", "dot", "dash"))):
            data.append({"type": "scatter", "x": epochs, "y": result["accuracy"][:, k], "mode": "lines", "showlegend": False,
                         "name": f"{name} accuracy", "line": {"color": SEQUENCE[k], "dash": dash, "width": s["line"]},
                         "xaxis": "x3", "yaxis": "y3"})
    moving = [0, len(data)]
    data.append(_epoch_line(epochs[last], loss_range, "2"))
    if classification:
        moving.append(len(data))
        data.append(_epoch_line(epochs[last], (0, 1.05), "3"))
    frames = []
    for i, epoch in enumerate(epochs):
        if classification:
            first = {"type": "heatmap", "z": maps[i].reshape(len(result["axes"][1]), len(result["axes"][0]))}
        else:
            first = {"type": "scatter", "x": result["axes"][0], "y": maps[i]}
        frame_data = [first, _epoch_line(epoch, loss_range, "2")]
        if classification:
            frame_data.append(_epoch_line(epoch, (0, 1.05), "3"))
        frames.append({"name": str(int(epoch)), "data": frame_data, "traces": moving})
    redraw = classification
    layout["updatemenus"] = [
        {"type": "buttons", "showactive": False, "x": 0.0, "y": -0.12, "xanchor": "left", "yanchor": "top",
         "buttons": [{"label": "▶ Play", "method": "animate",
                      "args": [None, {"frame": {"duration": 120, "redraw": redraw}, "fromcurrent": True,
                                      "transition": {"duration": 0}}]},
                     {"label": "❚❚ Pause", "method": "animate",
                      "args": [[None], {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate"}]}]}]
    layout["sliders"] = [
        {"active": last, "x": 0.12, "len": 0.88, "y": -0.08, "currentvalue": {"prefix": "epoch "},
         "steps": [{"method": "animate", "label": f["name"],
                    "args": [[f["name"]], {"mode": "immediate", "frame": {"duration": 0, "redraw": redraw},
                                           "transition": {"duration": 0}}]} for f in frames]}]
    fig = {"data": data, "layout": layout, "frames": frames}
    style(fig, "Decision boundary and learning curves (drag the epoch slider or press play)", height)
    fig["layout"]["margin"] = {**fig["layout"]["margin"], "t": 100, "b": 130}
    fig["layout"]["legend"] = {**fig["layout"]["legend"], "y": 1.02, "yanchor": "bottom", "x": 0.0}
    fig["layout"]["sliders"][0]["font"] = {"size": max(sizes()["tick"] - 3, 9)}
    return fig


def confusion_figure(confusion: np.ndarray, height: int = 320) -> dict:
    """The 2 x 2 confusion matrix of the test points (rows: true class, columns: predicted)."""
    labels = ["class 0", "class 1"]
    fig = new_figure([{"type": "heatmap", "x": labels, "y": labels, "z": confusion, "colorscale": "Blues",
                       "reversescale": True, "showscale": False, "text": confusion.astype(int), "texttemplate": "%{text}",
                       "textfont": {"size": sizes()["title"]},
                       "hovertemplate": "true %{y}, predicted %{x}: %{z}<extra></extra>"}],
                     {"xaxis": {"title": {"text": "predicted"}, "side": "bottom"},
                      "yaxis": {"title": {"text": "true"}, "autorange": "reversed"}})
    return style(fig, "Test points: confusion matrix at the end", height, legend=False)


# ---- the network diagram ------------------------------------------------------------------------------------

DIAGRAM_COLORSCALE = [[0, "#C55A11"], [0.5, "#FFFFFF"], [1, "#2E75B6"]]  # -1 orange, 0 white, +1 blue
EDGE_BUCKETS = ((0.0, 0.25, 0.5, 0.3), (0.25, 0.6, 1.4, 0.6), (0.6, 1.01, 3.0, 0.85))  # |w|/max|w| in [lo, hi): width, opacity


def _normalized(tile: np.ndarray) -> np.ndarray:
    """A unit's output divided by its largest magnitude: every thumbnail uses the whole colour scale
    (a unit that is zero everywhere, a dead ReLU, stays white)."""
    m = float(np.nanmax(np.abs(tile))) if tile.size else 0.0
    return tile / m if m > 0 else np.zeros_like(tile)


def network_diagram_figure(diagram: dict, classification: bool, height: int | None = None) -> dict:
    """The network as TensorFlow Playground draws it: a column per layer (the input features, each hidden
    layer, the output), each unit a thumbnail of its output over the input plane (a small map for 2-D
    data, a curve for 1-D data), scaled to its own largest magnitude, and the weights between drawn units
    as lines: blue positive, orange negative, thicker when larger. One heatmap holds every map (a mosaic
    with gaps), so the figure stays small however many units there are."""
    s = sizes()
    tiles = diagram["tiles"]
    two_d = tiles[0].ndim == 3
    r = tiles[0].shape[-1]  # pixels per tile side
    gap, column_gap = max(r // 3, 4), 2 * r
    rows = max(len(t) for t in tiles)
    height = height or int(np.clip(50 * rows + 200, 420, 860))
    pitch, column_pitch = r + gap, r + column_gap
    height_px, width_px = rows * pitch - gap, len(tiles) * column_pitch - column_gap

    def top(c: int, i: int) -> float:  # the y of unit i's upper edge in column c (columns centred vertically)
        return height_px - ((rows - len(tiles[c])) * pitch / 2 + i * pitch)

    data = []
    if two_d:
        mosaic = np.full((height_px, width_px), np.nan)
        for c, column in enumerate(tiles):
            for i, tile in enumerate(column):
                values = 2 * tile - 1 if classification and c == len(tiles) - 1 else tile  # p = 0.5 is white
                row0 = int(round(height_px - top(c, i)))
                mosaic[row0:row0 + r, c * column_pitch:c * column_pitch + r] = _normalized(values)[::-1]
        data.append({"type": "heatmap", "z": mosaic[::-1], "x0": 0.5, "dx": 1, "y0": 0.5, "dy": 1, "zmin": -1, "zmax": 1,
                     "colorscale": DIAGRAM_COLORSCALE, "showscale": False, "hoverinfo": "skip", "name": "unit outputs"})
    else:
        xs, ys = [], []
        grid = np.linspace(0, r, tiles[0].shape[-1])
        for c, column in enumerate(tiles):
            for i, tile in enumerate(column):
                middle = top(c, i) - r / 2
                xs += list(c * column_pitch + grid) + [None]
                ys += list(middle + _normalized(tile) * r * 0.45) + [None]
        data.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "name": "unit outputs", "showlegend": False,
                     "hoverinfo": "skip", "line": {"color": "#1F1F1F", "width": 1.5}})
    boxes_x, boxes_y = [], []
    for c, column in enumerate(tiles):
        for i in range(len(column)):
            x0, y0 = c * column_pitch, top(c, i)
            boxes_x += [x0, x0 + r, x0 + r, x0, x0, None]
            boxes_y += [y0, y0, y0 - r, y0 - r, y0, None]
    data.append({"type": "scatter", "x": boxes_x, "y": boxes_y, "mode": "lines", "showlegend": False, "hoverinfo": "skip",
                 "line": {"color": "#8C8C8C", "width": 0.8}, "name": "units"})
    for sign, color, label in ((1, "#2E75B6", "positive weight"), (-1, "#C55A11", "negative weight")):
        for b, (lo, hi, width, opacity) in enumerate(EDGE_BUCKETS):
            ex, ey = [], []
            for c, W in enumerate(diagram["weights"]):
                largest = float(np.max(np.abs(W))) if W.size else 0.0
                if largest == 0:
                    continue
                share = np.abs(W) / largest
                for i, j in zip(*np.nonzero((np.sign(W) == sign) & (share >= lo) & (share < hi))):
                    ex += [c * column_pitch + r, (c + 1) * column_pitch, None]
                    ey += [top(c, i) - r / 2, top(c + 1, j) - r / 2, None]
            if ex:
                data.append({"type": "scatter", "x": ex, "y": ey, "mode": "lines", "hoverinfo": "skip", "name": label,
                             "legendgroup": label, "showlegend": b == len(EDGE_BUCKETS) - 1,
                             "line": {"color": color, "width": width}, "opacity": opacity})
    centres_x, centres_y, labels = [], [], []
    for c, column in enumerate(tiles):
        for i in range(len(column)):
            centres_x.append(c * column_pitch + r / 2)
            centres_y.append(top(c, i) - r / 2)
            labels.append(diagram["names"][c][i])
    data.append({"type": "scatter", "x": centres_x, "y": centres_y, "mode": "markers", "text": labels, "showlegend": False,
                 "hovertemplate": "%{text}<extra></extra>", "marker": {"size": max(r // 2, 6), "opacity": 0}, "name": "unit"})
    titles = ["inputs"] + [f"hidden {l}" for l in range(1, len(tiles) - 1)] + ["output"]
    annotations = []
    for c, (title, summary, more) in enumerate(zip(titles, diagram["summaries"], diagram["hidden"])):
        x = c * column_pitch + r / 2
        annotations.append({"text": f"<b>{title}</b>", "x": x, "y": height_px + gap, "xref": "x", "yref": "y",
                            "yanchor": "bottom", "showarrow": False, "font": {"size": s["tick"]}})
        below = summary + (f" · +{more} not drawn" if more else "")
        annotations.append({"text": below.replace(" · ", "<br>"), "x": x, "y": -gap, "xref": "x", "yref": "y",
                            "yanchor": "top", "showarrow": False, "font": {"size": max(s["tick"] - 2, 10)}})
    layout = {"xaxis": {"visible": False, "range": [-column_gap / 2, width_px + column_gap / 2], "fixedrange": True},
              "yaxis": {"visible": False, "range": [-4.5 * gap - r, height_px + 2.5 * gap], "scaleanchor": "x",
                        "fixedrange": True},
              "annotations": annotations}
    fig = style(new_figure(data, layout), f"The network at epoch {diagram['epoch']}: each unit's output over the inputs",
                height)
    fig["layout"]["xaxis"].update(visible=False, showgrid=False, zeroline=False)
    fig["layout"]["yaxis"].update(visible=False, showgrid=False, zeroline=False)
    return fig


# ---- Activations --------------------------------------------------------------------------------------------

def activation_functions_figure(z, functions: dict, derivatives: dict, height: int = 380) -> dict:
    """Two panels: each activation f(z) (left) and its derivative f'(z) (right)."""
    s = sizes()
    fig = new_figure(layout=panels_layout(["f(z)", "f′(z)"], gap=0.08))
    for panel, curves in enumerate((functions, derivatives)):
        for i, (name, values) in enumerate(curves.items()):
            fig["data"].append({"type": "scatter", "x": z, "y": values, "mode": "lines", "name": name, "legendgroup": name,
                                "showlegend": panel == 0, "line": {"color": SEQUENCE[i % len(SEQUENCE)], "width": s["line"]},
                                "xaxis": f"x{axis_suffix(panel)}", "yaxis": f"y{axis_suffix(panel)}"})
        fig["layout"][f"xaxis{axis_suffix(panel)}"]["title"] = {"text": "z"}
    return style(fig, "Activation functions and their derivatives", height)


def weight_path_figure(paths: dict, labels: dict, title: str, height: int = 440) -> dict:
    """One panel per network: the path of two incoming weights (w_ik, w_jk) of one unit, a marker per
    single-example step, start and end marked; equal scales on both axes, so a step's direction is its
    true angle (both up, both down, or one of each). ``paths``: {name: (T + 1, 2)}; ``labels``:
    {name: (x title, y title)}."""
    s = sizes()
    names = list(paths)
    fig = new_figure(layout=panels_layout(names, gap=0.2))
    for p, name in enumerate(names):
        path, axis = np.asarray(paths[name]), axis_suffix(p)
        color = SEQUENCE[p % len(SEQUENCE)]
        refs = {"xaxis": f"x{axis}", "yaxis": f"y{axis}"}
        fig["data"].append({"type": "scatter", "x": path[:, 0], "y": path[:, 1], "mode": "lines+markers", "name": name,
                            "line": {"color": color, "width": 1.5}, "marker": {"size": 4}, **refs})
        for where, symbol, label in ((0, "circle-open", "start"), (-1, "x", "end")):
            fig["data"].append({"type": "scatter", "x": [path[where, 0]], "y": [path[where, 1]], "mode": "markers+text",
                                "text": [label], "textposition": "top center", "showlegend": False, "name": f"{name} {label}",
                                "marker": {"symbol": symbol, "size": s["marker"] + 4, "color": "#111111",
                                           "line": {"width": 2, "color": "#111111"}}, **refs})
        x_title, y_title = labels[name]
        fig["layout"][f"xaxis{axis}"].update(title={"text": x_title}, constrain="domain")
        fig["layout"][f"yaxis{axis}"].update(title={"text": y_title}, scaleanchor=f"x{axis}", scaleratio=1, constrain="domain")
    return style(fig, title, height, legend=False)


def band_figure(epochs, runs: dict, title: str, y_title: str, log_y: bool = True, height: int = 380) -> dict:
    """Median over runs (line) and the range from the smallest to the largest run (band): {name: (R, n)}."""
    s = sizes()
    fig = new_figure()
    epochs = np.asarray(epochs)
    for i, (name, values) in enumerate(runs.items()):
        values = np.asarray(values, dtype=float)
        color = SEQUENCE[i % len(SEQUENCE)]
        r, g, b = (int(color[k:k + 2], 16) for k in (1, 3, 5))
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        fig["data"].append({"type": "scatter", "x": np.r_[epochs, epochs[::-1]], "y": np.r_[high, low[::-1]], "fill": "toself",
                            "fillcolor": f"rgba({r},{g},{b},0.18)", "line": {"width": 0}, "hoverinfo": "skip",
                            "name": f"{name}: range of {values.shape[0]} seeds"})
        fig["data"].append({"type": "scatter", "x": epochs, "y": np.nanmedian(values, axis=0), "mode": "lines",
                            "name": f"{name}: median", "line": {"color": color, "width": s["line"]}})
    fig["layout"]["xaxis"] = {"title": {"text": "epoch"}}
    fig["layout"]["yaxis"] = {"type": "log" if log_y else "linear", "title": {"text": y_title}, "exponentformat": "power"}
    return style(fig, title, height)
