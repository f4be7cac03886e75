"""Learning-rate schedules (and a growing batch) against the noise of SGD, over many seeds."""

import numpy as np
import pandas as pd
import streamlit as st

from analysis.gradient_noise import steps_per_epoch
from analysis.schedules_study import GROWING_BATCH, SCHEDULE_CHOICES, seed_band
from analysis.summary import finite_median
from ui.stochastic import charts as charts
from ui.stochastic.compute import DATASET_SIZES, LANDSCAPES, MAX_SEEDS, best_loss, landscape_for, schedule_study, zoom_grid
from ui.controls import LEARNING_RATES, batch_slider, carry_within, fmt, nearest
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.stochastic.schedules_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.theme import SEQUENCE
from ui.urlstate import LABELS

ALL_CHOICES = list(SCHEDULE_CHOICES) + [GROWING_BATCH]
COLOURS = dict(zip(ALL_CHOICES, ["#000000", SEQUENCE[0], SEQUENCE[5], SEQUENCE[4], SEQUENCE[3], SEQUENCE[1], SEQUENCE[2]]))
DASHES = {label: ("dash" if label in ("exponential decay", "warm-up + cosine", GROWING_BATCH) else "solid")
          for label in ALL_CHOICES}

st.title("Learning-rate schedules")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
st.markdown(
    "With a constant learning rate SGD never quite stops: close to the minimum the true gradient is small while the "
    "minibatch noise is not, so the iterates keep wandering in a cloud around it. Large steps early are useful to "
    "travel (and to hop out of poor regions); small steps late are needed to settle. A **schedule** lowers η over "
    "time. Lowering the noise instead, by **growing the batch**, settles the cloud too: near the minimum its "
    "variance grows like η/B."
)
# Two formulas per line, so each line fits a projector-width column without scrolling.
st.latex(r"\underbrace{\eta_0\gamma^{\lfloor t/s\rfloor}}_{\text{step}}\qquad"
         r"\underbrace{\eta_0\gamma^{t/s}}_{\text{exponential}}")
st.latex(r"\underbrace{\eta_0\Big(r + (1-r)\tfrac{1+\cos(\pi t/T)}{2}\Big)}_{\text{cosine}}\qquad"
         r"\underbrace{\eta_0\Big(r + (1-r)\big|1 - 2\,\tfrac{t \bmod P}{P}\big|\Big)}_{\text{cyclical}}")
st.latex(r"\underbrace{\eta_t\cdot\min\!\big(1, \tfrac{t+1}{W}\big)}_{\text{warm-up}}\qquad"
         r"\underbrace{B_e = B_0\,\rho^{\lfloor e/k\rfloor}}_{\text{growing batch}}")
st.caption("t counts steps, e epochs; γ is the decay factor, s the decay interval, r the smallest fraction of η₀, "
           "T the run length, P the cycle length, W the warm-up length in steps (its slider counts epochs), ρ the batch growth factor every k epochs.")


def reset_for_landscape() -> None:
    st.session_state["sched_lr"] = nearest(LEARNING_RATES, 2 * LANDSCAPES[st.session_state["sched_landscape"]].default_lr)


LABELS["sched_landscape"] = lambda k: LANDSCAPES[k].title  # the URL holds the label: tell the link check

with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
    st.header("Problem")
    key = st.selectbox("Landscape", list(LANDSCAPES), format_func=lambda k: LANDSCAPES[k].title, key="sched_landscape",
                       bind="query-params", on_change=reset_for_landscape)
    n_samples = st.select_slider("Dataset size N", DATASET_SIZES, 64, key="sched_n", bind="query-params",
                                 on_change=carry_within, args=("sched_batch", "sched_n", 4),
                                 help="Each dataset size is compiled once; other sliders reuse compiled code.")
    noise_scale = st.slider(f"Noise in the data ({LANDSCAPES[key].noise_label}, × default)", 0.0, 3.0, 1.0, 0.25,
                            key="sched_noise", bind="query-params")
    batch = batch_slider("Batch size B₀", "sched_batch", n_samples, 4)
    lr = st.select_slider("Initial learning rate η₀", LEARNING_RATES,
                          nearest(LEARNING_RATES, 2 * LANDSCAPES[key].default_lr), format_func=fmt,
                          key="sched_lr", bind="query-params")
    epochs = st.slider("Epochs", 2, 60, 20, key="sched_epochs", bind="query-params")
    n_seeds = st.slider("Seeds per schedule", 2, MAX_SEEDS, 8, key="sched_seeds", bind="query-params",
                        help="Every schedule runs once per seed (its own minibatch order); all in one vectorized call.")
    seed = int(st.number_input("First seed", 0, 10_000, 0, key="sched_seed", bind="query-params"))

land = landscape_for(key, n_samples, noise_scale)
per_epoch = steps_per_epoch(n_samples, batch)
st.markdown(f"**{land.title}.** {land.description}")

chosen = st.multiselect("Schedules to compare", ALL_CHOICES, default=ALL_CHOICES, key="sched_choices",
                        bind="query-params")
c1, c2, c3, c4, c5, c6 = st.columns(6)
with c1:
    gamma = st.slider("Decay factor γ", 0.05, 0.95, 0.5, 0.05, key="sched_gamma", bind="query-params")
with c2:
    every = st.slider("Decay / grow every k epochs", 1, 20, 5, key="sched_every", bind="query-params",
                      help="The interval s of step and exponential decay, in epochs, and of the batch growth.")
with c3:
    growth = st.slider("Batch growth ρ", 1.0, 8.0, 2.0, 0.5, key="sched_growth", bind="query-params",
                       help="ρ = 1/γ makes the growing batch the mirror image of step decay.")
with c4:
    cycle = st.slider("Cycle length P (epochs)", 1, 20, 5, key="sched_cycle", bind="query-params")
with c5:
    min_ratio = st.slider("Smallest fraction r", 0.0, 0.5, 0.02, 0.01, key="sched_min_ratio", bind="query-params")
with c6:
    warmup_epochs = st.slider("Warm-up W (epochs)", 0.25, 10.0, 2.0, 0.25, key="sched_warmup_epochs", bind="query-params",
                              help="The warm-up of 'warm-up + cosine', in passes over the data.")
warmup = max(1, round(warmup_epochs * per_epoch))

if not chosen:
    st.info("Choose at least one schedule above.", icon=":material/info:")
    st.stop()

start = tuple(float(v) for v in land.default_start)
with st.spinner(f"Running {len(chosen)} schedules × {n_seeds} seeds..."):
    study = schedule_study(key, n_samples, noise_scale, lr, batch, epochs, tuple(chosen), gamma, every, cycle, min_ratio,
                           warmup, growth, n_seeds, seed, start)
if study["note"]:
    st.warning(study["note"], icon=":material/warning:")
runs = study["runs"]
for label, run in runs.items():
    if run["n_diverged"]:
        st.error(f"**{label}**: {run['n_diverged']} of {n_seeds} runs diverged (η₀ = {lr:g} is too large for "
                 "these noisy steps); they are left out of the band and the statistics.", icon=":material/error:")
l_star = best_loss(land)
log_gap = l_star is not None
gap_title = "L − L* (log scale)" if log_gap else "loss"

if challenge is not None:
    minima = land.minima()
    show_challenge_result(challenge, *challenge.check(runs, {
        "landscape": key, "n": n_samples, "noise": noise_scale, "lr": lr, "batch": batch, "epochs": epochs,
        "n_seeds": n_seeds, "gamma": gamma, "every": every, "growth": growth, "runs": tuple(runs),
        "l_star": l_star or 0.0, "minimum": minima[0].point if minima else None}))

# ---- the schedules and their effect on the loss --------------------------------------------------
left, right = st.columns(2)
with left:
    curves = {}
    for label, run in runs.items():
        x = run["epochs"][:-1]
        name = "growing batch: B₀/B(t)" if label == GROWING_BATCH else label
        curves[name] = (x, run["curve"], COLOURS[label], DASHES[label])
    fig = charts.curves_figure(curves, "The schedules: η(t)/η₀ (growing batch: B₀/B)", "epochs", "factor (log scale)")
    st.plotly_chart(fig, key="sched_curves")
with right:
    bands = {}
    for label, run in runs.items():
        losses = run["loss"][run["ok"]] - (l_star or 0.0)
        if len(losses):
            band = seed_band(losses)
            bands[label] = (run["epochs"], band.median, band.low, band.high, COLOURS[label], DASHES[label])
    st.plotly_chart(charts.band_figure(bands, f"Loss: median and 10–90 % over {n_seeds} seeds", "epochs", gap_title,
                                       log_y=log_gap), key="sched_band")
st.caption(f"B₀ = {batch}: {per_epoch} steps per epoch, {study['n_steps']} steps for the lr schedules. "
           "The growing batch takes fewer, larger steps for the same number of epochs.")

# ---- jitter near the minimum ----------------------------------------------------------------
st.header("Jitter near the minimum")
st.markdown(
    "Each dot is one of the last iterates (the final tenth of the run) of one seed. A constant η leaves a wide cloud; "
    "schedules that end small, and the growing batch, pull it in. The spread is the root-mean-square distance of "
    "those iterates from their own mean."
)
clouds = {label: (run["last_iterates"], COLOURS[label]) for label, run in runs.items() if len(run["last_iterates"])}
if clouds:
    everything = np.concatenate([c[0] for c in clouds.values()])
    minima = land.minima()
    centre = minima[0].point if minima else np.median(everything, axis=0)
    half = float(np.quantile(np.max(np.abs(everything - centre), axis=1), 0.98)) * 1.15
    half = float(np.clip(half, 1e-3, 0.5 * max(np.ptp(land.domain[0]), np.ptp(land.domain[1]))))
    half = float(f"{half:.2g}")
    zoom = zoom_grid(key, n_samples, noise_scale, (round(float(centre[0]), 6), round(float(centre[1]), 6)), half)
    left, right = st.columns([1, 1.1])
    with left:
        st.plotly_chart(charts.jitter_map(land, zoom, clouds), key="sched_jitter_map")
    with right:
        st.plotly_chart(charts.spread_boxes({label: (run["jitter"], COLOURS[label]) for label, run in runs.items()},
                                            "Spread of the last iterates, one dot per seed", "spread (log scale)"),
                        key="sched_jitter")

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
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
st.markdown(
    "Things to try: raise η₀ until the constant schedule's cloud is wide, then compare step decay with γ = ½ and the "
    "growing batch with ρ = 2: they move η/B along the same path, so their clouds end at a similar size, but the "
    "growing batch needs far fewer steps. Compare cosine with and without warm-up: on these small problems warm-up "
    "mostly delays progress; it earns its place in deep networks, where the first steps are the least stable. "
    "Make the cycles long to watch the loss breathe with the cyclical schedule."
)
