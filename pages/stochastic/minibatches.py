"""Minibatches: how noisy a minibatch gradient is, what a bigger batch buys, and why the order of the data matters."""

import numpy as np
import pandas as pd
import streamlit as st

from analysis.gradient_noise import steps_per_epoch
from optimizers.engine import SAMPLING
from ui.stochastic import minibatches_views as views
from ui.stochastic.compute import (
    DATASET_SIZES,
    DUEL_STEPS,
    LANDSCAPES,
    SAMPLING_NAMES,
    batch_size_race,
    best_loss,
    landscape_for,
    momentum_vs_batch,
    noise_at,
    sampling_race,
)
from ui.controls import LEARNING_RATES, batch_slider, carry_within, fmt, nearest
from ui.stochastic.minibatches_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import presentation_on
from ui.urlstate import LABELS, forget_params

st.title("Minibatches")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
st.markdown(
    "Training losses are averages over a dataset. A **minibatch** replaces that average by the average over "
    "B samples picked at random: a step costs B gradient evaluations instead of N, and in exchange the "
    "direction is only right *on average*. Every landscape here is a mean over N real samples, so the "
    "batches below are real subsets of the data."
)
st.latex(r"\hat g_B = \frac1B\sum_{n\in\mathcal B}\nabla\ell_n(\theta),\qquad \mathbb E[\hat g_B] = \nabla L(\theta)")
st.latex(r"\operatorname{Cov}[\hat g_B] = \frac{\Sigma}{B}\ \text{(with replacement)},\qquad "
         r"\operatorname{Cov}[\hat g_B] = \frac{\Sigma}{B}\cdot\frac{N-B}{N-1}\ \text{(without)}")
st.caption("Σ is the covariance of the single-sample gradients ∇ℓₙ(θ) around their mean ∇L(θ). The standard error "
           "of the step direction, √tr Cov, therefore falls only like 1/√B.")


def reset_for_landscape() -> None:
    choice = st.session_state["mb_landscape"]
    st.session_state["mb_lr"] = nearest(LEARNING_RATES, LANDSCAPES[choice].default_lr)
    for k in ("mb_x", "mb_y"):
        st.session_state.pop(k, None)
    # The θ sliders take the new landscape's range, so Streamlit makes them new widgets, and a new widget
    # is seeded from the link: forget the old point there too, or it would come back on the new landscape.
    forget_params(["mb_x", "mb_y"])


# These controls write their labels into the URL: tell the link check (and the presets' links).
LABELS.update(mb_landscape=lambda k: LANDSCAPES[k].title, mb_cloud_sampling=SAMPLING_NAMES.get)

with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
    st.header("Data and batches")
    key = st.selectbox("Landscape", list(LANDSCAPES), format_func=lambda k: LANDSCAPES[k].title, key="mb_landscape",
                       bind="query-params", on_change=reset_for_landscape)
    n_samples = st.select_slider("Dataset size N", DATASET_SIZES, 64, key="mb_n", bind="query-params",
                                 on_change=carry_within, args=("mb_batch", "mb_n", 8),
                                 help="Each dataset size is compiled once; after that, moving any slider reuses compiled code.")
    noise_scale = st.slider(f"Noise in the data ({LANDSCAPES[key].noise_label}, × default)", 0.0, 3.0, 1.0, 0.25,
                            key="mb_noise", bind="query-params",
                            help="How much the samples disagree with each other. At 0 the regression data lie exactly on the model.")
    batch = batch_slider("Batch size B", "mb_batch", n_samples, 8, help=f"B = {n_samples} is the full batch.")
    lr = st.select_slider("Learning rate η", LEARNING_RATES, nearest(LEARNING_RATES, LANDSCAPES[key].default_lr),
                          format_func=fmt, key="mb_lr", bind="query-params", help="Step size of every run on this page.")
    epochs = st.slider("Epochs of data per run", 1, 30, 10, key="mb_epochs", bind="query-params",
                       help="The runs below are budgeted in passes over the data, so small batches take more steps.")
    seed = int(st.number_input("Seed", 0, 10_000, 0, key="mb_seed", bind="query-params"))

present = presentation_on()
land = landscape_for(key, n_samples, noise_scale)
start = tuple(float(v) for v in land.default_start)
l_star = best_loss(land)
per_epoch = steps_per_epoch(n_samples, batch)
st.markdown(f"**{land.title}.** {land.description}")
c1, c2, c3 = st.columns(3)
c1.metric("samples N", n_samples)
c2.metric("batch size B", batch)
c3.metric("steps per epoch ⌈N/B⌉", per_epoch)
verdict = st.container()  # the challenge's verdict, filled in once every section has run


# ---- 1. the noise at one point ----------------------------------------------------------------
st.header("1 · One point, many possible batches")
st.markdown(
    "Pick a point θ. Every random batch gives a different gradient ĝ_B; the cloud is 300 of them. "
    "They scatter around the full gradient (the star) with the predicted covariance (the ellipse holds about 86 % "
    "of a Gaussian cloud). Move B and watch the cloud shrink, slowly."
)
(x0, x1), (y0, y1) = land.domain
p1, p2, p3 = st.columns([1, 1, 1.2])
with p1:
    theta_x = st.slider(f"θ₁: {land.axis_labels[0]}", float(x0), float(x1), float(start[0]), (x1 - x0) / 100,
                        key="mb_x", bind="query-params")
with p2:
    theta_y = st.slider(f"θ₂: {land.axis_labels[1]}", float(y0), float(y1), float(start[1]), (y1 - y0) / 100,
                        key="mb_y", bind="query-params")
with p3:
    cloud_sampling = st.radio("Draw the batches", SAMPLING, format_func=SAMPLING_NAMES.get, horizontal=True,
                              key="mb_cloud_sampling", bind="query-params")
theta = (round(float(theta_x), 6), round(float(theta_y), 6))
with st.spinner("Drawing minibatches..."):
    section = views.noise_section(key, n_samples, noise_scale, theta, batch, cloud_sampling, seed, present)

left, right = st.columns(2)
with left:
    st.plotly_chart(section["map"], key="mb_point_map")
    st.caption("Black arrow: the full-batch direction −∇L. White fan: the directions −ĝ_B of 40 random batches from the "
               "same point. All are scaled by the same factor, so their lengths compare.")
with right:
    st.plotly_chart(section["cloud"], key="mb_cloud")
    st.caption("Gradient space. Grey: single-sample gradients. Blue: minibatch gradients. Red: 2σ ellipse of the "
               "predicted covariance Σ/B (× (N−B)/(N−1) without replacement).")

m1, m2, m3, m4 = st.columns(4)
m1.metric("|∇L(θ)|", f"{section['g_norm']:.3g}")
m2.metric("σ = √tr Σ (one sample)", f"{section['sigma']:.3g}")
m3.metric(f"standard error at B = {batch}", f"{section['se_without']:.3g}", help="Without replacement: σ/√B · √((N−B)/(N−1)).")
m4.metric("(N−B)/(N−1)", f"{section['fpc']:.3f}", help="The finite-population correction: 1 at B = 1, 0 for the full batch.")

st.subheader("Sub-linear returns: the standard error against B")
left, right = st.columns([1.3, 1])
with left:
    st.plotly_chart(section["se"], key="mb_se")
with right:
    st.markdown(
        "On log axes the noise falls along a line of slope −½: **four times the batch buys half the noise**, "
        "while the cost of a step grows four times. That is the sub-linear return of bigger batches.\n\n"
        "Sampling **without replacement** (shuffled epochs) does a little better than the 1/√B line as B "
        "approaches N, because a batch cannot repeat a sample; at B = N the noise is exactly zero.\n\n"
        "The **sorted** order is not random at all: each batch is a fixed slice of the stored data. When the data "
        "are stored in a meaningful order (sorted inputs, one class after the other) its batches are biased, and "
        "its points sit far above the curves."
    )
    st.latex(r"\mathrm{SE}(B) = \frac{\sigma}{\sqrt B}\sqrt{\frac{N-B}{N-1}}")
    st.caption("σ² = tr Σ: the mean squared distance of one sample's gradient from the full gradient.")

# ---- 2. per step or per sample ----------------------------------------------------------------
st.header("2 · More, cheaper steps: loss per step and per sample")
st.markdown(
    "The same learning rate and start, several batch sizes, each run for the same number of **epochs** "
    "(passes over the data). Per step, big batches win: every step is nearly the true gradient step. Per sample "
    "processed, small batches usually win: they take many cheap, slightly noisy steps while the full batch "
    "takes one expensive one."
)
with st.spinner("Running the batch sizes..."):
    section = views.race_section(key, n_samples, noise_scale, lr, batch, epochs, seed, start, present)
if section["note"]:
    st.warning(section["note"], icon=":material/warning:")
for B, diverged_at in section["diverged"]:
    st.error(f"**B = {B}** diverged at step {diverged_at}: η = {lr:g} is too large for the noisy steps of "
             "this batch size. Lower the learning rate.", icon=":material/error:")
left, right = st.columns(2)
with left:
    st.plotly_chart(section["per_step"], key="mb_per_step")
with right:
    st.plotly_chart(section["per_sample"], key="mb_per_sample")
st.dataframe(pd.DataFrame(section["rows"]), hide_index=True, width="stretch")

# ---- 3. sampling order -----------------------------------------------------------------------
st.header("3 · Shuffled, with replacement, or in stored order")
st.markdown(
    "Three ways to pick the batches, same B, seed and start. **Shuffled epochs** visit every sample exactly once "
    "per epoch in a fresh random order; **with replacement** draws every batch independently (a sample may come "
    "twice, another not at all); **sorted order** walks through the data as stored. On the regression datasets the "
    "data are stored sorted by input or by class, so consecutive batches pull in systematically different "
    "directions and the path swings around instead of settling."
)
with st.spinner("Running the three sampling schemes..."):
    section = views.order_section(key, n_samples, noise_scale, lr, batch, epochs, seed, start, present)
if section["note"]:
    st.warning(section["note"], icon=":material/warning:")
for name in section["diverged"]:
    st.error(f"**{name}** diverged: lower the learning rate.", icon=":material/error:")
left, right = st.columns([1.1, 1])
with left:
    st.plotly_chart(section["map"], key="mb_order_map")
with right:
    st.plotly_chart(section["loss"], key="mb_order_loss")
    st.caption(section["jitter"])
st.plotly_chart(section["membership"], key="mb_membership")
st.caption("Which samples each step uses (first steps; red lines mark epoch boundaries). Shuffled: every column is "
           "hit once per epoch. With replacement: some twice (dark), some never. Sorted: the same diagonal every epoch.")

# ---- 4. noise vs momentum --------------------------------------------------------------------
st.header("4 · Averaging over the past (momentum) or over more data (a bigger batch)")
st.markdown(
    "Momentum also averages gradients, but over **past** steps, taken at earlier points, with weights βᵏ. "
    "Give it the same long-run step size as SGD (learning rate η(1−β) in our convention) and compare it with SGD "
    f"whose batch is k times larger. Each runs {DUEL_STEPS} steps with eight minibatch streams; the spread of the "
    "last quarter of the iterates measures how much each run still jitters around the minimum."
)
st.latex(r"v_t = \beta v_{t-1} + \hat g_B(\theta_t) = \sum_{k\ge 0}\beta^k\,\hat g_B(\theta_{t-k})")
st.latex(r"\theta_{t+1} = \theta_t - \eta(1-\beta)\,v_t")
c1, c2 = st.columns(2)
with c1:
    factor = st.select_slider("Bigger batch: k × B", [2, 4, 8, 16], 4, key="mb_k", bind="query-params")
with c2:
    beta = st.slider("Momentum β", 0.5, 0.99, 0.9, 0.01, key="mb_beta", bind="query-params")
with st.spinner("Running SGD, SGD with a bigger batch, and momentum..."):
    section = views.duel_section(key, n_samples, noise_scale, lr, batch, int(factor), float(beta), seed, start, present)
if section["note"]:
    st.warning(section["note"], icon=":material/warning:")
big = section["big"]
if big < batch * factor:
    st.info(f"k × B = {batch * factor} is more than the dataset, so the bigger batch is the full batch (B = {big}).",
            icon=":material/info:")
for name in section["diverged"]:
    st.error(f"**{name}** diverged for some seeds: lower the learning rate.", icon=":material/error:")
left, right = st.columns([1, 1])
with left:
    st.plotly_chart(section["map"], key="mb_duel_map")
with right:
    st.plotly_chart(section["loss"], key="mb_duel_loss")
    st.caption(f"Shown up to the samples the B = {batch} runs use in {DUEL_STEPS} steps; the bigger batch has taken "
               f"only {DUEL_STEPS * batch // big} steps by then.")
st.dataframe(pd.DataFrame(section["rows"]), hide_index=True, width="stretch")
jitter = section["jitter"]
ratio = big / batch
if big == n_samples:
    st.markdown(
        f"The bigger batch is the whole dataset here: its gradient has no noise at all, so it converges to the minimum "
        f"instead of jittering, at {ratio:.3g}× the samples per step. Momentum cut SGD's jitter by a factor "
        f"**{jitter['sgd'] / jitter['momentum']:.2g}** at no extra cost per step. Lower B or k to compare two noisy runs."
    )
elif all(np.isfinite(v) and v > 0 for v in jitter.values()):
    st.markdown(
        f"Here the {ratio:.3g}× larger batch cut the jitter by a factor **{jitter['sgd'] / jitter['sgd_big']:.2g}**, at "
        f"{ratio:.3g}× the samples per step. Momentum cut it by **{jitter['sgd'] / jitter['momentum']:.2g}** at no extra "
        "cost per step, but its average mixes gradients taken at earlier points, so it also lags and overshoots: it "
        "smooths the path, it does not measure the gradient better. Only more data per step does that."
    )

if challenge is not None:
    noise = noise_at(key, n_samples, noise_scale, theta, batch, cloud_sampling, seed)
    race = batch_size_race(key, n_samples, noise_scale, lr, views.race_sizes(batch, n_samples), "shuffle", epochs, seed, start)
    order = sampling_race(key, n_samples, noise_scale, lr, batch, epochs, seed, start)
    duel = momentum_vs_batch(key, n_samples, noise_scale, lr, batch, int(factor), float(beta), views.DUEL_SEEDS, seed, start)
    with verdict:
        show_challenge_result(challenge, *challenge.check(
            {"noise": noise, "race": race["runs"], "order": order["runs"], "duel": duel["runs"]},
            {"landscape": key, "n": n_samples, "noise": noise_scale, "batch": batch, "lr": lr, "epochs": epochs,
             "seed": seed, "l_star": l_star}))
