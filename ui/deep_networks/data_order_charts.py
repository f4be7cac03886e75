"""Figures of the page "Order of the data", as plain dict figures (``ui.charts`` says why), and the
page's figures cached by their inputs with their arrays encoded."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.charts import VIRIDIS, encode_arrays, new_figure, style
from ui.deep_networks.charts import band_figure
from ui.theme import sizes


def _legend_below(fig: dict, rows_margin: int = 150) -> dict:
    fig["layout"]["margin"] = {**fig["layout"]["margin"], "b": rows_margin}
    fig["layout"]["legend"] = {**fig["layout"]["legend"], "y": -0.3}
    return fig


def ordered_points_figure(points: np.ndarray, order_value: np.ndarray, title: str, colorbar: str, marked=None,
                          marked_name: str = "", height: int = 420) -> dict:
    """Points coloured by when (or how early) the learner meets them; ``marked`` points ringed."""
    s = sizes()
    data = [{"type": "scatter", "x": points[:, 0], "y": points[:, 1], "mode": "markers", "name": "points",
             "showlegend": False,
             "marker": {"size": s["marker"] - 2, "color": np.asarray(order_value, float), "colorscale": VIRIDIS,
                        "colorbar": {"title": {"text": colorbar}, "thickness": 12}},
             "hovertemplate": "(%{x:.2f}, %{y:.2f}): %{marker.color:.0f}<extra></extra>"}]
    if marked is not None and np.any(marked):
        data.append({"type": "scatter", "x": points[marked, 0], "y": points[marked, 1], "mode": "markers", "name": marked_name,
                     "marker": {"size": s["marker"] + 3, "color": "rgba(0,0,0,0)", "line": {"color": "#D55E00", "width": 1.5}}})
    fig = new_figure(data, {"xaxis": {"title": {"text": "x"}}, "yaxis": {"title": {"text": "y"}, "scaleanchor": "x"}})
    return style(fig, title, height)


def curriculum_figure(study: dict, budget: int, height: int = 440) -> dict:
    """Test accuracy over steps, random order against the curriculum (median and range over seeds), the
    share of the data the curriculum draws from (dashed, right axis) and the chosen budget (dotted)."""
    fig = band_figure(study["steps"], {"random order": study["random"], "curriculum (easy first)": study["curriculum"]},
                      "Test accuracy: random order vs easy first", "test accuracy", log_y=False, height=height)
    s = sizes()
    steps = np.arange(len(study["share"]))
    fig["data"].append({"type": "scatter", "x": steps, "y": study["share"], "mode": "lines", "yaxis": "y2",
                        "name": "share of the data the curriculum draws from", "line": {"color": "#555555", "dash": "dash",
                                                                                        "width": s["line"] - 1}})
    fig["data"].append({"type": "scatter", "x": [budget, budget], "y": [0, 1], "mode": "lines", "name": "budget",
                        "hoverinfo": "skip", "line": {"color": "#111111", "dash": "dot"}})
    fig["layout"]["xaxis"] = {**fig["layout"]["xaxis"], "title": {"text": "step"}}
    fig["layout"]["yaxis"] = {**fig["layout"]["yaxis"], "range": [0.4, 1.01]}
    fig["layout"]["yaxis2"] = {"overlaying": "y", "side": "right", "range": [0, 1.01], "tickvals": [0, 0.25, 0.5, 0.75, 1],
                               "title": {"text": "share of the data"},
                               "showgrid": False}
    return _legend_below(fig)


def _arrived(steps, *series):
    """The checkpoints at which the series hold values (before the data arrive they are NaN)."""
    keep = np.all([np.isfinite(v).all(axis=0) for v in series], axis=0)
    return (np.asarray(steps)[keep], *(v[:, keep] for v in series))


def stream_figure(study: dict, height: int = 440) -> dict:
    """Accuracy on every example seen so far: SGD on the latest examples against replay."""
    steps, window, replay = _arrived(study["steps"], study["seen_window"], study["seen_replay"])
    fig = band_figure(steps, {"latest examples only": window, "with replay": replay},
                      "Accuracy on all the data seen so far", "accuracy", log_y=False, height=height)
    fig["layout"]["xaxis"] = {**fig["layout"]["xaxis"], "title": {"text": "step"}}
    fig["layout"]["yaxis"] = {**fig["layout"]["yaxis"], "range": [0, 1.01]}
    return _legend_below(fig)


def first_quarter_figure(study: dict, height: int = 440) -> dict:
    """Accuracy on the first quarter of the stream, once it has arrived."""
    steps, window, replay = _arrived(study["steps"], study["first_window"], study["first_replay"])
    fig = band_figure(steps, {"latest examples only": window, "with replay": replay},
                      "Accuracy on the oldest quarter of the stream", "accuracy", log_y=False, height=height)
    fig["layout"]["xaxis"] = {**fig["layout"]["xaxis"], "title": {"text": "step"}}
    fig["layout"]["yaxis"] = {**fig["layout"]["yaxis"], "range": [0, 1.01]}
    return _legend_below(fig)


@st.cache_data(max_entries=32, show_spinner=False)
def page_curriculum_figures(flip: float, start_share: float, ramp: float, lr: float, budget: int, present: bool) -> dict:
    from ui.deep_networks.data_order_compute import curriculum_study

    study = curriculum_study(flip, start_share, ramp, lr)
    return {"accuracy": encode_arrays(curriculum_figure(study, budget)),
            "points": encode_arrays(ordered_points_figure(study["points"], study["rank"], "The training points, easiest first",
                                                          "rank (0 = easiest)", study["flipped"], "flipped label"))}


@st.cache_data(max_entries=32, show_spinner=False)
def page_stream_figures(drift: str, buffer_size: int, lr: float, present: bool) -> dict:
    from ui.deep_networks.data_order_compute import stream_study

    study = stream_study(drift, buffer_size, lr)
    return {"seen": encode_arrays(stream_figure(study)), "first": encode_arrays(first_quarter_figure(study)),
            "points": encode_arrays(ordered_points_figure(study["points"], np.arange(len(study["points"])),
                                                          "The stream, in the order it arrives", "arrival"))}
