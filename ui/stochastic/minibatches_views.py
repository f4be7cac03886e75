"""What the Minibatches page draws, one cached builder per section, keyed by that section's settings (and
``present``, presentation mode, which sets type sizes): a rerun with nothing new costs a dictionary look-up
per section instead of rebuilding its Plotly figures (``go.Figure`` validation and template copies were most
of the page's time), and a control rebuilds only the sections that depend on it.

Each figure is built once with ``ui.stochastic.charts`` and kept as ``go.Figure.to_dict()``: the very data
the go.Figure would have sent (same JSON), which ``ui.exports`` hands to Streamlit without validating it
again. Held by ``st.cache_resource`` (no copy on a hit): treat the returned dicts as read-only. The challenges
read the results from ``ui.stochastic.compute``'s caches.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from analysis.gradient_noise import finite_population_factor, steps_per_epoch
from analysis.summary import finite_median
from ui.stochastic import charts
from ui.stochastic.compute import (
    SAMPLING_NAMES,
    batch_size_race,
    best_loss,
    landscape_for,
    loss_grid,
    momentum_vs_batch,
    noise_at,
    sampling_race,
)
from ui.theme import SEQUENCE, optimizer_color

ORDER_COLOURS = {"shuffle": SEQUENCE[0], "replacement": SEQUENCE[1], "sorted": SEQUENCE[3]}
ORDER_DASH = {"shuffle": "solid", "replacement": "dash", "sorted": "solid"}
DUEL_SEEDS = 8


def _gap(land, losses):
    """L − L* when the minimum is known (log axis), else L."""
    l_star = best_loss(land)
    return np.asarray(losses) - l_star if l_star is not None else np.asarray(losses)


def _gap_axis(land) -> tuple[str, bool]:
    log_gap = best_loss(land) is not None
    return ("L − L* (log scale)" if log_gap else "loss"), log_gap


def race_sizes(batch: int, n_samples: int) -> tuple:
    """Always four runs (repeats allowed), so the compiled shape never changes; repeats are shown once."""
    return (1, max(batch // 4, 1), batch, n_samples)


# 0.14 MB per entry (measured; 0.15 MB at N = 512: the 100² map, 300 minibatch gradients, N single-sample
# gradients): 256 entries ≤ 38 MB
@st.cache_resource(max_entries=256, show_spinner=False)
def noise_section(key: str, n_samples: int, noise_scale: float, theta: tuple, batch: int, sampling: str, seed: int,
                  present: bool) -> dict:
    """Section 1: the directions at θ on the map, the gradient cloud, the standard error against B."""
    land = landscape_for(key, n_samples, noise_scale)
    grid = loss_grid(key, n_samples, noise_scale)
    noise = noise_at(key, n_samples, noise_scale, theta, batch, sampling, seed)
    sigma = float(np.sqrt(noise["total_variance"]))
    fpc = float(finite_population_factor(n_samples, batch))
    return {
        "map": charts.point_map(land, grid, theta, noise["full_gradient"], noise["cloud"]).to_dict(),
        "cloud": charts.gradient_cloud_figure(noise["per_sample"], noise["cloud"], noise["full_gradient"],
                                              noise["predicted_covariance"], batch).to_dict(),
        "se": charts.standard_error_figure(noise["sizes"], noise["measured"], noise["predicted_without"],
                                           noise["predicted_with"], batch, SAMPLING_NAMES).to_dict(),
        "sigma": sigma, "fpc": fpc, "g_norm": float(np.linalg.norm(noise["full_gradient"])),
        "se_without": sigma / np.sqrt(batch) * np.sqrt(fpc),
    }


# 0.09 MB per entry (measured; 0.33 MB at N = 512, B = 1, 30 epochs): 128 entries ≤ 42 MB
@st.cache_resource(max_entries=128, show_spinner=False)
def race_section(key: str, n_samples: int, noise_scale: float, lr: float, batch: int, epochs: int, seed: int, start: tuple,
                 present: bool) -> dict:
    """Section 2: loss per step and per sample processed for four batch sizes, and their table."""
    land = landscape_for(key, n_samples, noise_scale)
    gap_title, log_gap = _gap_axis(land)
    sizes = race_sizes(batch, n_samples)
    race = batch_size_race(key, n_samples, noise_scale, lr, sizes, "shuffle", epochs, seed, start)
    compared = tuple(sorted(set(sizes)))
    colours = {B: SEQUENCE[i % len(SEQUENCE)] for i, B in enumerate(compared)}
    names = {B: f"B = {B} ({steps_per_epoch(n_samples, B)} steps/epoch)" for B in compared}
    per_step = {names[B]: (np.arange(len(r["loss"])), _gap(land, r["loss"]), colours[B], "solid") for B, r in race["runs"].items()}
    per_sample = {names[B]: (r["epochs"][r["within_budget"]], _gap(land, r["loss"])[r["within_budget"]], colours[B], "solid")
                  for B, r in race["runs"].items()}
    rows = []
    for B, r in race["runs"].items():
        within = r["within_budget"]
        rows.append({"batch size B": B, "steps per epoch": steps_per_epoch(n_samples, B),
                     "steps in the budget": int(within.sum()) - 1,
                     "loss after the budget": float(r["loss"][within][-1]),
                     "loss after one epoch": float(r["loss"][r["epochs"] <= 1 + 1e-9][-1])})
    return {
        "note": race["note"],
        "diverged": [(B, r["diverged_at"]) for B, r in race["runs"].items() if r["diverged"]],
        "per_step": charts.curves_figure(per_step, "Loss per step", "step (log scale)", gap_title, log_y=log_gap,
                                         log_x=True).to_dict(),
        "per_sample": charts.curves_figure(per_sample, "Loss per sample processed", "epochs = gradient evaluations / N",
                                           gap_title, log_y=log_gap, x_max=epochs).to_dict(),
        "rows": rows,
    }


# 0.14 MB per entry (measured; 0.47 MB at N = 512, 30 epochs: the 100² map, three paths, the membership rasters):
# 96 entries ≤ 45 MB
@st.cache_resource(max_entries=96, show_spinner=False)
def order_section(key: str, n_samples: int, noise_scale: float, lr: float, batch: int, epochs: int, seed: int, start: tuple,
                  present: bool) -> dict:
    """Section 3: shuffled, with replacement and sorted order on the map, per epoch, and which samples they use."""
    land = landscape_for(key, n_samples, noise_scale)
    grid = loss_grid(key, n_samples, noise_scale)
    gap_title, log_gap = _gap_axis(land)
    order = sampling_race(key, n_samples, noise_scale, lr, batch, epochs, seed, start)
    runs = order["runs"]
    return {
        "note": order["note"],
        "diverged": [SAMPLING_NAMES[s] for s, r in runs.items() if r["diverged"]],
        "map": charts.paths_map(land, grid, {SAMPLING_NAMES[s]: (r["path"], ORDER_COLOURS[s], ORDER_DASH[s])
                                             for s, r in runs.items()}).to_dict(),
        "loss": charts.curves_figure({SAMPLING_NAMES[s]: (r["epochs"], _gap(land, r["loss"]), ORDER_COLOURS[s], ORDER_DASH[s])
                                      for s, r in runs.items()}, "Loss per epoch", "epochs", gap_title, log_y=log_gap).to_dict(),
        "jitter": " · ".join(f"{SAMPLING_NAMES[s]}: final spread of the iterates {r['jitter']:.2g}" for s, r in runs.items()),
        "membership": charts.membership_figure(order["membership"], SAMPLING_NAMES, steps_per_epoch(n_samples, batch)).to_dict(),
    }


def duel_labels(batch: int, big: int, beta: float) -> dict:
    return {"sgd": f"SGD, B = {batch}", "sgd_big": f"SGD, B = {big}", "momentum": f"Momentum β = {beta:g}, B = {batch}"}


# 0.28 MB per entry (measured: the 100² map, three paths, bands of 601 steps): 128 entries ≤ 36 MB
@st.cache_resource(max_entries=128, show_spinner=False)
def duel_section(key: str, n_samples: int, noise_scale: float, lr: float, batch: int, factor: int, beta: float, seed: int,
                 start: tuple, present: bool) -> dict:
    """Section 4: SGD, SGD with a k times larger batch and momentum: paths, loss bands, jitter."""
    land = landscape_for(key, n_samples, noise_scale)
    grid = loss_grid(key, n_samples, noise_scale)
    gap_title, log_gap = _gap_axis(land)
    duel = momentum_vs_batch(key, n_samples, noise_scale, lr, batch, factor, beta, DUEL_SEEDS, seed, start)
    big = duel["big"]
    labels = duel_labels(batch, big, beta)
    colours = {"sgd": optimizer_color("sgd"), "sgd_big": SEQUENCE[2], "momentum": optimizer_color("momentum")}
    bands = {}
    for n, r in duel["runs"].items():
        losses = _gap(land, r["loss"])
        bands[labels[n]] = (r["samples"] / n_samples, np.median(losses, axis=0), np.quantile(losses, 0.1, axis=0),
                            np.quantile(losses, 0.9, axis=0), colours[n], "solid")
    budget = duel["runs"]["sgd"]["samples"][-1] / n_samples
    fig = charts.band_figure(bands, "Loss per sample processed (median, 10–90 % of 8 seeds)",
                             "epochs = gradient evaluations / N", gap_title, log_y=log_gap)
    fig.update_xaxes(range=[0, budget])
    rows = [{"run": labels[n], "samples per step": r["batch_size"],
             "jitter of the last iterates (median)": finite_median(r["jitter"]),
             "final loss (median)": finite_median(r["final_loss"])} for n, r in duel["runs"].items()]
    return {
        "note": duel["note"], "big": big,
        "diverged": [labels[n] for n, r in duel["runs"].items() if r["diverged"]],
        "map": charts.paths_map(land, grid, {labels[n]: (r["path"], colours[n], "solid") for n, r in duel["runs"].items()}).to_dict(),
        "loss": fig.to_dict(), "rows": rows,
        "jitter": {n: finite_median(r["jitter"]) for n, r in duel["runs"].items()},
    }
