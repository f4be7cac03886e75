"""Learning-rate schedules (and a growing batch) against the noise of SGD, over many seeds."""

import pandas as pd
import streamlit as st

from analysis.gradient_noise import steps_per_epoch
from ui.stochastic.compute import DATASET_SIZES, LANDSCAPES, MAX_SEEDS, best_loss, landscape_for, schedule_study
from ui.stochastic.schedules_views import ALL_CHOICES, views
from ui.controls import LEARNING_RATES, batch_slider, carry_within, fmt, nearest
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.stochastic.schedules_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.theme import presentation_on
from ui.urlstate import LABELS
from ui.navigation import end_page

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
    end_page()

start = tuple(float(v) for v in land.default_start)
settings = (key, n_samples, noise_scale, lr, batch, epochs, tuple(chosen), gamma, every, cycle, min_ratio, warmup, growth,
            n_seeds, seed, start)
with st.spinner(f"Running {len(chosen)} schedules × {n_seeds} seeds..."):
    shown = views(*settings, per_epoch, presentation_on())
if shown["note"]:
    st.warning(shown["note"], icon=":material/warning:")
for label, n_diverged in shown["diverged"]:
    st.error(f"**{label}**: {n_diverged} of {n_seeds} runs diverged (η₀ = {lr:g} is too large for "
             "these noisy steps); they are left out of the band and the statistics.", icon=":material/error:")
l_star = best_loss(land)

if challenge is not None:
    runs = schedule_study(*settings)["runs"]
    minima = land.minima()
    show_challenge_result(challenge, *challenge.check(runs, {
        "landscape": key, "n": n_samples, "noise": noise_scale, "lr": lr, "batch": batch, "epochs": epochs,
        "n_seeds": n_seeds, "gamma": gamma, "every": every, "growth": growth, "runs": tuple(runs),
        "l_star": l_star or 0.0, "minimum": minima[0].point if minima else None}))

# ---- the schedules and their effect on the loss --------------------------------------------------
left, right = st.columns(2)
with left:
    st.plotly_chart(shown["curves"], key="sched_curves")
with right:
    st.plotly_chart(shown["band"], key="sched_band")
st.caption(f"B₀ = {batch}: {per_epoch} steps per epoch, {shown['n_steps']} steps for the lr schedules. "
           "The growing batch takes fewer, larger steps for the same number of epochs.")

# ---- jitter near the minimum ----------------------------------------------------------------
st.header("Jitter near the minimum")
st.markdown(
    "Each dot is one of the last iterates (the final tenth of the run) of one seed. A constant η leaves a wide cloud; "
    "schedules that end small, and the growing batch, pull it in. The spread is the root-mean-square distance of "
    "those iterates from their own mean."
)
if "jitter_map" in shown:
    left, right = st.columns([1, 1.1])
    with left:
        st.plotly_chart(shown["jitter_map"], key="sched_jitter_map")
    with right:
        st.plotly_chart(shown["jitter"], key="sched_jitter")

st.dataframe(pd.DataFrame(shown["rows"]), hide_index=True, width="stretch")
st.markdown(
    "Things to try: raise η₀ until the constant schedule's cloud is wide, then compare step decay with γ = ½ and the "
    "growing batch with ρ = 2: they move η/B along the same path, so their clouds end at a similar size, but the "
    "growing batch needs far fewer steps. Compare cosine with and without warm-up: on these small problems warm-up "
    "mostly delays progress; it earns its place in deep networks, where the first steps are the least stable. "
    "Make the cycles long to watch the loss breathe with the cyclical schedule."
)
