"""What the Learning-rate schedules page draws after its controls, cached by those settings (and ``present``,
presentation mode, which sets type sizes): a rerun with nothing new costs a dictionary look-up instead of
rebuilding five Plotly figures (``go.Figure`` validation and template copies were most of the page's time).

Each figure is built once with ``ui.stochastic.charts`` and kept as ``go.Figure.to_dict()``: the very data
the go.Figure would have sent (same JSON), which ``ui.exports`` hands to Streamlit without validating it
again. Held by ``st.cache_resource`` (no copy on a hit): treat the returned dicts as read-only. The challenge
reads the runs from ``ui.stochastic.compute.schedule_study``.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis.schedules_study import GROWING_BATCH, SCHEDULE_CHOICES, seed_band
from analysis.summary import finite_median
from ui.stochastic import charts
from ui.stochastic.compute import best_loss, landscape_for, schedule_study, zoom_grid
from ui.theme import SEQUENCE

ALL_CHOICES = list(SCHEDULE_CHOICES) + [GROWING_BATCH]
COLOURS = dict(zip(ALL_CHOICES, ["#000000", SEQUENCE[0], SEQUENCE[5], SEQUENCE[4], SEQUENCE[3], SEQUENCE[1], SEQUENCE[2]]))
DASHES = {label: ("dash" if label in ("exponential decay", "warm-up + cosine", GROWING_BATCH) else "solid")
          for label in ALL_CHOICES}


# Weight of one entry (pickle length, measured: 7 schedules, 20 epochs): 0.31 MB with 8 seeds, 0.34 MB with 16
# (the zoom grid, the bands, the last iterates); 128 entries ≤ 44 MB.
@st.cache_resource(max_entries=128, show_spinner=False)
def views(key: str, n_samples: int, noise_scale: float, lr: float, batch: int, epochs: int, chosen: tuple, gamma: float,
          every: int, cycle: int, min_ratio: float, warmup: int, growth: float, n_seeds: int, seed: int, start: tuple,
          per_epoch: int, present: bool) -> dict:
    land = landscape_for(key, n_samples, noise_scale)
    study = schedule_study(key, n_samples, noise_scale, lr, batch, epochs, chosen, gamma, every, cycle, min_ratio,
                           warmup, growth, n_seeds, seed, start)
    runs = study["runs"]
    l_star = best_loss(land)
    log_gap = l_star is not None
    gap_title = "L − L* (log scale)" if log_gap else "loss"
    curves = {}
    for label, run in runs.items():
        name = "growing batch: B₀/B(t)" if label == GROWING_BATCH else label
        curves[name] = (run["epochs"][:-1], run["curve"], COLOURS[label], DASHES[label])
    out = {"note": study["note"], "n_steps": study["n_steps"],
           "diverged": [(label, run["n_diverged"]) for label, run in runs.items() if run["n_diverged"]],
           "curves": charts.curves_figure(curves, "The schedules: η(t)/η₀ (growing batch: B₀/B)", "epochs",
                                          "factor (log scale)").to_dict()}
    bands = {}
    for label, run in runs.items():
        losses = run["loss"][run["ok"]] - (l_star or 0.0)
        if len(losses):
            band = seed_band(losses)
            bands[label] = (run["epochs"], band.median, band.low, band.high, COLOURS[label], DASHES[label])
    out["band"] = charts.band_figure(bands, f"Loss: median and 10–90 % over {n_seeds} seeds", "epochs", gap_title,
                                     log_y=log_gap).to_dict()
    clouds = {label: (run["last_iterates"], COLOURS[label]) for label, run in runs.items() if len(run["last_iterates"])}
    if clouds:
        everything = np.concatenate([c[0] for c in clouds.values()])
        minima = land.minima()
        centre = minima[0].point if minima else np.median(everything, axis=0)
        half = float(np.quantile(np.max(np.abs(everything - centre), axis=1), 0.98)) * 1.15
        half = float(np.clip(half, 1e-3, 0.5 * max(np.ptp(land.domain[0]), np.ptp(land.domain[1]))))
        half = float(f"{half:.2g}")
        zoom = zoom_grid(key, n_samples, noise_scale, (round(float(centre[0]), 6), round(float(centre[1]), 6)), half)
        out["jitter_map"] = charts.jitter_map(land, zoom, clouds).to_dict()
        out["jitter"] = charts.spread_boxes({label: (run["jitter"], COLOURS[label]) for label, run in runs.items()},
                                            "Spread of the last iterates, one dot per seed", "spread (log scale)").to_dict()
    rows = []
    for label, run in runs.items():
        final = run["final_loss"] - (l_star or 0.0)
        rows.append({
            "schedule": label,
            "steps": run["n_steps"],
            "final η / η₀": 1.0 if label == GROWING_BATCH else float(run["curve"][-1]),
            "final batch": int(run["batch_sizes"][-1]),
            ("final L − L* (median)" if log_gap else "final loss (median)"): finite_median(final),
            "spread of last iterates (median)": finite_median(run["jitter"]),
            "diverged runs": run["n_diverged"],
        })
    out["rows"] = rows
    return out
