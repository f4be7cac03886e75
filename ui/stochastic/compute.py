"""Cached bridges for the Stochastic lab (minibatches and schedules): plain hashable settings in,
NumPy results out. The math lives in analysis.gradient_noise and analysis.schedules_study."""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
import streamlit as st

from analysis import gradient_noise as gn
from analysis import schedules_study as ss
from landscapes import get_landscape
from landscapes.base import Landscape
from landscapes.regression import linear_regression, logistic_regression
from optimizers.engine import MAX_STEPS, SAMPLING, RunSettings, run_trajectories

DATASET_SIZES = [16, 32, 64, 128, 256, 512]
DUEL_STEPS = 600
#: Most per-sample gradient evaluations one cached call may spend (trajectories x steps x N: every
#: step also evaluates the full-data loss). Keeps a long run on a big dataset from stalling the server.
WORK_BUDGET = 30_000_000  # long enough for every run of the momentum-vs-batch duel to reach its noise floor
SAMPLING_NAMES = {"shuffle": "shuffled epochs", "replacement": "with replacement", "sorted": "sorted order"}


class LandscapeChoice(NamedTuple):
    title: str
    default_lr: float
    noise_label: str


#: The landscapes of the lab: every one is a mean over N real samples.
LANDSCAPES = {
    "linear_regression": LandscapeChoice("Linear regression (slope, intercept)", 0.1, "label noise"),
    "logistic_regression": LandscapeChoice("Logistic regression (2 weights)", 1.0, "class overlap"),
    "two_layer_tanh": LandscapeChoice("Two-layer tanh network", 0.2, "label noise"),
    "quadratic": LandscapeChoice("Quadratic corridor, per-sample tilts", 0.03, "tilt size"),
}


@lru_cache(maxsize=64)
def landscape_for(key: str, n_samples: int, noise_scale: float) -> Landscape:
    """The lab's landscape ``key`` with N samples; ``noise_scale`` multiplies its default noise."""
    if key == "linear_regression":
        return linear_regression(n_samples=n_samples, noise=0.5 * noise_scale)
    if key == "logistic_regression":
        return logistic_regression(n_samples=n_samples, noise=max(1.0 * noise_scale, 0.05))
    if key == "two_layer_tanh":
        return get_landscape("two_layer_tanh", n_samples=n_samples, noise=0.1 * noise_scale)
    if key == "quadratic":
        return get_landscape("quadratic", n_samples=n_samples, noise=1.0 * noise_scale)
    raise KeyError(f"unknown landscape {key!r}; choose one of {sorted(LANDSCAPES)}")


def best_loss(landscape: Landscape) -> float | None:
    """The lowest known minimum's loss (None if no minimum is known)."""
    values = [p.loss for p in landscape.minima() if p.loss is not None]
    return min(values) if values else None


# Entry weights below: pickle length of one return value, measured (issue 11: a full cache stays under ~50 MB
# per function). The pages read these through ui.stochastic.*_views, i.e. only when a view is built anew, and
# for the challenges.

# 82 kB per entry (100²): 256 entries ≤ 21 MB
@st.cache_data(max_entries=256, show_spinner=False)
def loss_grid(key: str, n_samples: int, noise_scale: float, resolution: int = 100):
    return landscape_for(key, n_samples, noise_scale).grid(resolution)


# 53 kB per entry (80²): 512 entries ≤ 27 MB
@st.cache_data(max_entries=512, show_spinner=False)
def zoom_grid(key: str, n_samples: int, noise_scale: float, centre: tuple, half_width: float, resolution: int = 80):
    land = landscape_for(key, n_samples, noise_scale)
    xs = np.linspace(centre[0] - half_width, centre[0] + half_width, resolution)
    ys = np.linspace(centre[1] - half_width, centre[1] + half_width, resolution)
    X, Y = np.meshgrid(xs, ys)
    return xs, ys, np.asarray(land.loss(np.stack([X, Y], axis=-1)))


# 7 kB per entry at N = 64, 14 kB at N = 512: 1024 entries ≤ 15 MB
@st.cache_data(max_entries=1024, show_spinner=False)
def noise_at(key: str, n_samples: int, noise_scale: float, theta: tuple, batch_size: int, sampling: str,
             seed: int) -> dict:
    """Everything the gradient-noise view shows at one point."""
    land = landscape_for(key, n_samples, noise_scale)
    stats = gn.gradient_noise(land, theta)
    B = int(np.clip(batch_size, 1, n_samples))
    sizes = gn.curve_batch_sizes(n_samples)
    measured = {s: gn.measured_standard_error(land, theta, sizes, s, seed=seed).standard_error for s in SAMPLING}
    return {
        "full_gradient": stats.full_gradient,
        "per_sample": stats.per_sample,
        "covariance": stats.covariance,
        "total_variance": stats.total_variance,
        "cloud": gn.minibatch_gradients(land, theta, B, sampling, n_draws=300, seed=seed),
        "predicted_covariance": gn.minibatch_covariance(stats.covariance, n_samples, B, sampling == "replacement"),
        "sizes": sizes,
        "measured": measured,
        "predicted_without": gn.predicted_standard_error(stats.total_variance, n_samples, sizes, replacement=False),
        "predicted_with": gn.predicted_standard_error(stats.total_variance, n_samples, sizes, replacement=True),
    }


def _steps_for(n_samples: int, smallest_batch: int, epochs: int, trajectories: int = 1) -> tuple[int, str | None]:
    """Steps for ``epochs`` epochs at the smallest batch, limited to MAX_STEPS and to the work budget."""
    wanted = epochs * gn.steps_per_epoch(n_samples, smallest_batch)
    limit = max(1, min(MAX_STEPS, WORK_BUDGET // (n_samples * trajectories)))
    if wanted <= limit:
        return wanted, None
    return limit, (f"{epochs} epochs at B = {smallest_batch} would take {wanted:,} steps; with N = {n_samples} and "
                   f"{trajectories} runs side by side, runs are limited to {limit:,} steps to keep the server "
                   f"responsive, so they cover {limit / gn.steps_per_epoch(n_samples, smallest_batch):.3g} epochs.")


# 0.09 MB per entry (defaults), 0.33 MB at N = 512, B = 1, 30 epochs: 128 entries ≤ 42 MB
@st.cache_data(max_entries=128, show_spinner=False)
def batch_size_race(key: str, n_samples: int, noise_scale: float, lr: float, batch_sizes: tuple, sampling: str,
                    epochs: int, seed: int, start: tuple) -> dict:
    """One vectorized run per batch size from the same start: losses per step and per sample processed."""
    land = landscape_for(key, n_samples, noise_scale)
    n_steps, note = _steps_for(n_samples, min(batch_sizes), epochs, len(batch_sizes))
    settings = RunSettings(lr=lr, sampling=sampling, seed=seed, n_steps=n_steps)
    traj = run_trajectories(land, "sgd", [start] * len(batch_sizes), settings,
                            overrides={"batch_size": np.asarray(batch_sizes)})
    runs = {}
    for i, B in enumerate(batch_sizes):
        n = traj.valid_length(i)
        epochs_axis = gn.samples_processed(n_samples, B, n_steps, sampling)[:n] / n_samples
        keep = epochs_axis <= epochs + 1e-9
        runs[B] = {"loss": traj.losses(i), "epochs": epochs_axis, "within_budget": keep, "path": traj.path(i),
                   "diverged": traj.diverged(i), "diverged_at": int(traj.diverged_at[i])}
    return {"runs": runs, "note": note, "n_steps": n_steps}


# 0.03 MB per entry (defaults), 0.78 MB at N = 512, 30 epochs: 56 entries ≤ 44 MB
@st.cache_data(max_entries=56, show_spinner=False)
def sampling_race(key: str, n_samples: int, noise_scale: float, lr: float, batch_size: int, epochs: int, seed: int,
                  start: tuple) -> dict:
    """Shuffled epochs, with replacement and sorted order at the same B, seed and start (one call).

    The run is compiled for the B = 1 length of the budget (the longest), whatever B is, so moving B
    never recompiles; each run is then cut at the budget of ``epochs`` epochs."""
    land = landscape_for(key, n_samples, noise_scale)
    n_steps, note = _steps_for(n_samples, 1, epochs, 3)
    budget = min(epochs * gn.steps_per_epoch(n_samples, batch_size), n_steps)
    note = note if budget == n_steps and note else None
    settings = RunSettings(lr=lr, batch_size=batch_size, seed=seed, n_steps=n_steps)
    traj = run_trajectories(land, "sgd", [start] * 3, settings, overrides={"sampling": np.arange(3)})
    runs = {}
    for i, sampling in enumerate(SAMPLING):
        n = min(traj.valid_length(i), budget + 1)
        runs[sampling] = {"loss": traj.loss[i, :n], "path": traj.params[i, :n], "diverged": bool(traj.diverged_at[i] <= budget),
                          "epochs": gn.samples_processed(n_samples, batch_size, n_steps, sampling)[:n] / n_samples,
                          "jitter": float(ss.last_iterate_jitter(traj.params[i: i + 1, :n], max(n // 10, 2))[0])}
    show_steps = min(2 * gn.steps_per_epoch(n_samples, batch_size), 48)
    membership = {s: gn.batch_membership(n_samples, batch_size, show_steps, s, seed) for s in SAMPLING}
    return {"runs": runs, "note": note, "membership": membership}


# 0.16 MB per entry (24 runs of 601 steps, whatever N): 256 entries ≤ 41 MB
@st.cache_data(max_entries=256, show_spinner=False)
def momentum_vs_batch(key: str, n_samples: int, noise_scale: float, lr: float, batch_size: int, factor: int,
                      beta: float, n_seeds: int, seed: int, start: tuple, n_steps: int = DUEL_STEPS) -> dict:
    """SGD at B, SGD at k*B (both in one call) and momentum at B with the matched step lr (1 - beta),
    each over ``n_seeds`` minibatch streams, all for the same number of steps."""
    land = landscape_for(key, n_samples, noise_scale)
    big = int(min(batch_size * factor, n_samples))
    note = None
    seeds = seed + np.arange(n_seeds)
    settings = RunSettings(lr=lr, momentum=beta, seed=seed, n_steps=n_steps)
    starts = [start] * (2 * n_seeds)
    sgd = run_trajectories(land, "sgd", starts, settings, seeds=np.tile(seeds, 2),
                           overrides={"batch_size": np.repeat([batch_size, big], n_seeds)})
    mom = run_trajectories(land, "momentum", [start] * n_seeds, settings.replace(lr=lr * (1 - beta), batch_size=batch_size),
                           seeds=seeds)
    groups = {"sgd": (sgd, slice(0, n_seeds), batch_size), "sgd_big": (sgd, slice(n_seeds, 2 * n_seeds), big),
              "momentum": (mom, slice(0, n_seeds), batch_size)}
    out = {}
    tail = max((n_steps + 1) // 4, 2)
    for name, (traj, rows, B) in groups.items():
        idx = range(rows.start, rows.stop)
        ok = [i for i in idx if not traj.diverged(i)]
        out[name] = {
            "batch_size": B,
            "diverged": len(ok) < n_seeds,
            "loss": traj.loss[rows],
            "path": traj.path(rows.start),
            "samples": gn.samples_processed(n_samples, B, n_steps, "shuffle"),
            "jitter": ss.last_iterate_jitter(traj.params[ok], tail) if ok else np.array([np.nan]),
            "final_loss": traj.loss[ok, -1] if ok else np.array([np.nan]),
        }
    return {"runs": out, "note": note, "n_steps": n_steps, "big": big, "tail": tail}


MAX_SEEDS = 16


# 0.84 MB per entry (defaults), 1.48 MB at N = 512, 60 epochs (the work budget caps the steps): 32 entries ≤ 47 MB
@st.cache_data(max_entries=32, show_spinner=False)
def _all_schedules(key: str, n_samples: int, noise_scale: float, lr: float, batch_size: int, epochs: int, gamma: float,
                   every_epochs: int, cycle_epochs: int, min_ratio: float, warmup_steps: int, growth: float, seed: int,
                   start: tuple) -> dict:
    """Every schedule x MAX_SEEDS seeds, always: the lr schedules in one engine call, the growing batch in
    one call of its own runner. Running all of them keeps the compiled shapes fixed, so choosing
    schedules or the number of seeds on the page never recompiles (and costs a slice)."""
    land = landscape_for(key, n_samples, noise_scale)
    per_epoch = gn.steps_per_epoch(n_samples, batch_size)
    n_steps, note = _steps_for(n_samples, batch_size, epochs, (len(ss.SCHEDULE_CHOICES) + 1) * MAX_SEEDS)
    seeds = seed + np.arange(MAX_SEEDS)
    step_size, period = max(every_epochs * per_epoch, 1), max(cycle_epochs * per_epoch, 2)
    settings = RunSettings(lr=lr, batch_size=batch_size, n_steps=n_steps, gamma=gamma, step_size=step_size,
                           period=period, min_ratio=min_ratio, warmup_steps=warmup_steps)
    epochs_axis = ss.epochs_axis(n_samples, batch_size, n_steps, "shuffle")
    out = {"note": note, "n_steps": n_steps, "runs": {}}
    for label, traj in ss.schedule_band_runs(land, list(ss.SCHEDULE_CHOICES), settings, start, seeds).items():
        curve = ss.schedule_curve(label, n_steps, gamma, step_size, period, min_ratio, warmup_steps)
        out["runs"][label] = (traj.params, traj.loss, traj.status != 0, epochs_axis, curve, np.full(n_steps, batch_size))
    plan = ss.growing_batch_plan(n_samples, batch_size, growth, every_epochs, epochs, max_steps=n_steps)
    grown = ss.run_growing_batch(land, np.tile(np.asarray(start, float), (MAX_SEEDS, 1)), seeds, plan, lr,
                                 min_length=n_steps)
    sizes = plan.batch_size[: plan.n_steps]
    out["runs"][ss.GROWING_BATCH] = (grown.params, grown.loss, ~grown.alive, plan.samples_processed() / n_samples,
                                     batch_size / sizes, sizes)
    return out


def schedule_study(key: str, n_samples: int, noise_scale: float, lr: float, batch_size: int, epochs: int,
                   labels: tuple, gamma: float, every_epochs: int, cycle_epochs: int, min_ratio: float,
                   warmup_steps: int, growth: float, n_seeds: int, seed: int, start: tuple) -> dict:
    """The chosen schedules over the first ``n_seeds`` seeds: loss bands on an epochs axis (samples
    processed / N), last-iterate clouds and their spread."""
    everything = _all_schedules(key, n_samples, noise_scale, lr, batch_size, epochs, gamma, every_epochs, cycle_epochs,
                                min_ratio, warmup_steps, growth, seed, start)
    n_seeds = int(np.clip(n_seeds, 1, MAX_SEEDS))
    runs = {}
    for label in labels:
        params, loss, diverged, epochs_axis, curve, sizes = everything["runs"][label]
        runs[label] = _summary(params[:n_seeds], loss[:n_seeds], list(diverged[:n_seeds]), epochs_axis, curve, sizes)
    return {"runs": runs, "note": everything["note"], "n_steps": everything["n_steps"]}


def _summary(params, loss, diverged, epochs_axis, curve, batch_sizes) -> dict:
    """Per schedule: loss band over seeds, last-iterate clouds and jitter (from the good runs)."""
    ok = [i for i, d in enumerate(diverged) if not d]
    tail = max(len(epochs_axis) // 10, 4)
    return {
        "epochs": epochs_axis,
        "loss": np.asarray(loss),
        "ok": ok,
        "n_diverged": len(diverged) - len(ok),
        "curve": np.asarray(curve),
        "batch_sizes": np.asarray(batch_sizes),
        "last_iterates": np.asarray(params)[ok, -tail:, :].reshape(-1, 2) if ok else np.zeros((0, 2)),
        "jitter": ss.last_iterate_jitter(np.asarray(params)[ok], tail) if ok else np.array([np.nan]),
        "final_loss": np.asarray(loss)[ok, -1] if ok else np.array([np.nan]),
        "n_steps": len(epochs_axis) - 1,
    }
