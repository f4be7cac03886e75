"""Normalization and skip connections: one small network trained with and without batch normalization (or
skips, both, layer normalization) from the same start; its curvature, the largest stable step, how smooth the
loss is along the gradient, training against evaluation mode, and depth with and without skips."""

import numpy as np
import pandas as pd
import streamlit as st

from ui.controls import LEARNING_RATES, fmt, log_slider
from ui.deep_networks import normalization_and_skips_charts as nc
from ui.deep_networks import normalization_and_skips_compute as nk
from ui.deep_networks.normalization_and_skips_presets import BATCHES, CHALLENGES, CONTROLLED_KEYS, DEPTH_RATES, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.urlstate import LABELS

LABELS.update({"nsk_variant": nk.variant_name, "nsk_depth_lr": fmt})
STEP_RATES = [v for v in LEARNING_RATES if 0.003 <= v <= 10]


def controls_section() -> dict:
    st.markdown(
        f"One network, {len(nk.WIDTHS)} hidden layers of {nk.WIDTHS[0]} tanh units, learns the two moons "
        f"({nk.N_POINTS} points, noise {nk.NOISE}) by SGD. It is trained twice from the same seed, so from the same "
        "weights: once plain, once with the change you choose. Batch normalization standardizes each unit's "
        "pre-activation z over the minibatch, then rescales it by a learned γ and shifts it by a learned β; layer "
        "normalization standardizes each example over the units of its layer instead; a skip connection adds a layer's "
        "input to its output, x⁽ˡ⁾ = x⁽ˡ⁻¹⁾ + f(z⁽ˡ⁾)."
    )
    c = st.columns([1.4, 1.2, 1, 1, 0.8])
    variant = c[0].selectbox("Compare the plain network with", list(nk.VARIANTS), key="nsk_variant",
                             format_func=nk.variant_name, bind="query-params")
    with c[1]:
        lr = log_slider("Learning rate η", "nsk_lr", STEP_RATES, 0.1)
    epochs = c[2].slider("Epochs", 20, 400, 200, 20, key="nsk_epochs", bind="query-params")
    batch = c[3].select_slider("Batch size B", BATCHES, 16, key="nsk_batch", bind="query-params",
                               help="Minibatches without replacement; batch norm standardizes over them.")
    seed = int(c[4].number_input("Seed", 0, 10_000, 0, key="nsk_seed", bind="query-params"))
    return {"variant": variant, "lr": float(lr), "epochs": int(epochs), "batch": int(batch), "seed": seed}


def names_of(c: dict) -> dict:
    return {nk.PLAIN: "plain", c["variant"]: f"with {nk.variant_name(c['variant'])}"}


def training_section(c: dict) -> dict:
    st.header("Two trainings side by side")
    with st.spinner("Training both networks..."):
        runs = nk.comparison(c["variant"], c["lr"], c["epochs"], c["batch"], c["seed"])
    names = names_of(c)
    for key, run in runs.items():
        if run["status"] in (1, 2, 3):
            st.error(f"The {names[key]} network diverged and was stopped: {run['message']}. Its curves end at the last "
                     "good snapshot; lower the learning rate.", icon=":material/error:")
        elif not run["loss"][-1, 0] < run["loss"][0, 0]:
            st.warning(f"The {names[key]} network ends with a higher training loss than it started with "
                       f"({run['loss'][0, 0]:.3g} → {run['loss'][-1, 0]:.3g}): the step η = {c['lr']:g} is too large "
                       "for it.", icon=":material/warning:")
    epochs = {k: r["epochs"] for k, r in runs.items()}
    left, right = st.columns(2)
    with left:
        st.plotly_chart(nc.pair_curves_figure(epochs, {k: r["loss"][:, 0] for k, r in runs.items()}, names,
                                              "Training loss", "mean log-loss", log_y=True), key="nsk_loss")
    with right:
        st.plotly_chart(nc.per_layer_pair_figure(epochs, {k: r["grad_norm"] for k, r in runs.items()}, names,
                                                 "Gradient norm per layer", "‖∂L/∂θ‖ of the layer", log_y=True),
                        key="nsk_grad")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(nc.per_layer_pair_figure(epochs, {k: r["x_mean"] for k, r in runs.items()}, names,
                                                 "Mean of each layer's outputs", "mean over units of E[x⁽ˡ⁾]"), key="nsk_mean")
    with right:
        st.plotly_chart(nc.per_layer_pair_figure(epochs, {k: r["x_var"] for k, r in runs.items()}, names,
                                                 "Variance of each layer's outputs", "mean over units of Var(x⁽ˡ⁾)"),
                        key="nsk_var")
    m = st.columns(4)
    for i, (key, run) in enumerate(runs.items()):
        m[2 * i].metric(f"{names[key].capitalize()}: final training / test loss", f"{run['loss'][-1, 0]:.3g} / {run['loss'][-1, 2]:.3g}")
        m[2 * i + 1].metric(f"{names[key].capitalize()}: test accuracy", f"{run['accuracy'][-1, 2]:.0%}",
                            help=f"{run['n_params']} parameters.")
    st.caption("Statistics over the 210 training points at each snapshot (a batch-normalized network in evaluation "
               "mode, with its running averages). Solid: plain; dashed: the variant; one colour per layer. The plain "
               "network's layer outputs drift as the weights grow; normalization keeps each unit's mean and spread "
               "where γ and β put them.")
    return runs


@st.fragment
def curvature_section(c: dict) -> dict:
    st.header("Curvature along training")
    names = names_of(c)
    with st.spinner("Exact Hessians at six snapshots..."):
        curv = {k: nk.curvature(k, c["lr"], c["epochs"], c["batch"], c["seed"]) for k in names}
    sizes = {k: curv[k]["n_params"] for k in names}
    st.markdown(
        "The Hessian H of the training loss over all parameters, computed exactly (" +
        ", ".join(f"{names[k]}: {sizes[k]} parameters, a {sizes[k]} × {sizes[k]} matrix" for k in names) +
        ") and diagonalized at six snapshots. λ_max sets the largest stable step of gradient descent near a point "
        "(η < 2/λ_max); κ₊ is the condition number of the positive part, λ_max over the smallest eigenvalue above "
        "rounding (tolerance P·ε·λ_max); the network is not convex, so some eigenvalues are negative; flat directions "
        "(|λ| below the tolerance) are counted apart: batch norm makes the loss blind to the bias before it and to the "
        "scale of the weights feeding it."
    )
    table = []
    for k in names:
        r = curv[k]
        for i, e in enumerate(r["epochs"]):
            table.append({"network": names[k], "epoch": int(e), "λ_max": r["lambda_max"][i], "2/λ_max": 2 / r["lambda_max"][i],
                          "κ₊": r["kappa"][i], "negative eigenvalues": int(r["negative"][i]), "flat (≈ 0)": int(r["zero"][i])})
    left, right = st.columns([1.1, 1])
    with left:
        st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch",
                     column_config={"λ_max": st.column_config.NumberColumn(format="%.3g"),
                                    "2/λ_max": st.column_config.NumberColumn(format="%.3g"),
                                    "κ₊": st.column_config.NumberColumn(format="%.2e")})
    epochs = [int(e) for e in curv[nk.PLAIN]["epochs"]]
    with right:
        epoch = st.select_slider("Spectrum at epoch", epochs, epochs[0], key="nsk_spectrum_epoch")
        i = epochs.index(epoch) if epoch in epochs else 0
        st.plotly_chart(nc.spectrum_figure({k: curv[k]["eigenvalues"][i] for k in names}, names, epoch), key="nsk_spectrum")
    st.plotly_chart(nc.pair_curves_figure({k: curv[k]["epochs"] for k in names}, {k: curv[k]["lambda_max"] for k in names},
                                          names, "Largest Hessian eigenvalue along training", "λ_max", log_y=True, height=300),
                    key="nsk_lambda")
    return curv


def stability_section(c: dict) -> dict:
    st.header("The largest stable learning rate")
    names = names_of(c)
    with st.spinner("Sixteen learning rates at once..."):
        sweeps = {k: nk.stability(k, c["seed"]) for k in names}
    st.markdown(
        f"From the seed's starting weights, full-batch gradient descent runs {nk.SWEEP_STEPS} steps at each of "
        f"{len(nk.SWEEP_GRID)} learning rates from {nk.SWEEP_GRID[0]:g} to {nk.SWEEP_GRID[-1]:g} (one vectorized call). A "
        "rate is unstable when the training loss ever rises above where it started (or the run blows up); the measured "
        "largest stable rate is the grid value just before the first unstable one. Theory for a quadratic says "
        "η < 2/λ_max; a network is not a quadratic, and λ_max changes as soon as it moves."
    )
    st.plotly_chart(nc.sweep_figure(sweeps, names), key="nsk_sweep")
    m = st.columns(4)
    for i, k in enumerate(names):
        s = sweeps[k]
        m[2 * i].metric(f"{names[k].capitalize()}: largest stable η, measured", fmt(s["largest_stable"]) if np.isfinite(s["largest_stable"]) else "none",
                        help=f"First unstable grid value: {fmt(s['first_diverging']) if np.isfinite(s['first_diverging']) else 'none'}.")
        m[2 * i + 1].metric(f"{names[k].capitalize()}: 2/λ_max at the start", f"{s['theory']:.3g}",
                            help=f"λ_max = {s['lambda_max']:.4g} of the exact Hessian at the starting weights.")
    st.caption("Dotted verticals: 2/λ_max at the start; solid: the measured largest stable rate, in each run's colour.")
    return sweeps


def smoothness_section(c: dict) -> dict:
    st.header("How smooth is the loss along the gradient?")
    names = names_of(c)
    with st.spinner("Stepping along the gradient..."):
        smooth = {k: nk.smoothness(k, c["lr"], c["epochs"], c["batch"], c["seed"]) for k in names}
    st.markdown(
        f"At every snapshot θ of both runs, with g the full-batch gradient there, the page steps to θ − η g for "
        f"{len(nk.SMOOTH_FACTORS)} step sizes η from ¼η to 4η of your learning rate and records the loss there and how much "
        "the gradient changed, ‖∇L(θ − η g) − g‖ (Santurkar et al., 2018). A narrow loss band means a step of any of "
        "these sizes lands where the loss was predicted; a small gradient change means the gradient here is a good guide "
        "for the whole step."
    )
    left, right = st.columns(2)
    with left:
        st.plotly_chart(nc.smoothness_figure(smooth, names, "loss_low", "loss_high", "Loss after a step along −g",
                                             "L(θ − ηg)", log_y=True), key="nsk_smooth_loss")
    with right:
        st.plotly_chart(nc.smoothness_figure(smooth, names, "change_low", "change_high", "Gradient change over the step",
                                             "‖∇L(θ − ηg) − g‖"), key="nsk_smooth_grad")
    m = st.columns(4)
    for i, k in enumerate(names):
        m[2 * i].metric(f"{names[k].capitalize()}: mean loss spread", f"{np.mean(smooth[k]['loss_spread']):.3g}",
                        help="max − min of L(θ − ηg) over the step sizes, averaged over the snapshots.")
        m[2 * i + 1].metric(f"{names[k].capitalize()}: mean effective β", f"{np.mean(smooth[k]['beta']):.3g}",
                            help="max over the step sizes of ‖Δ∇L‖ / (η‖g‖), averaged over the snapshots: how fast the gradient turns.")
    return smooth


def modes_section(c: dict) -> dict:
    st.header("Training mode against evaluation mode")
    key = c["variant"] if "batch" in c["variant"] else "batch"
    with st.spinner("Both modes on the held-out points..."):
        result = nk.modes(key, c["lr"], c["epochs"], c["batch"], c["seed"])
    st.markdown(
        f"Batch normalization needs a minibatch. In training it uses the batch's own means and variances; to predict one "
        f"point at a time it uses running averages kept during training (an exponentially weighted average of the "
        f"minibatch statistics, weight 0.9 on the past). Here the {nk.variant_name(key)} network of the same settings "
        "predicts the 90 held-out points both ways, in training mode cut into minibatches of each size B."
    )
    epochs = result["epochs"]
    picks = sorted({int(i) for i in np.unique(epochs, return_index=True)[1]})
    left, right = st.columns(2)
    with left:
        st.plotly_chart(nc.mode_gap_figure(result["batches"], result["gap"], epochs, picks), key="nsk_mode_gap")
    with right:
        p_eval, p_batch = result["final_batch"][c["batch"]]
        st.plotly_chart(nc.single_sample_figure(p_eval, result["final_single"], p_batch, c["batch"]), key="nsk_single")
    spread = float(np.max(result["final_single"]) - np.min(result["final_single"]))
    b = list(result["batches"]).index(c["batch"])
    m = st.columns(4)
    m[0].metric("Test accuracy, evaluation mode", f"{result['acc_eval'][-1]:.0%}")
    m[1].metric(f"Training mode, B = {c['batch']}", f"{result['acc_train'][b, -1]:.0%}")
    m[2].metric("Training mode, one sample at a time", f"{result['acc_train'][0, -1]:.0%}")
    m[3].metric("Spread of the one-sample outputs", f"{spread:.3g}",
                help="max − min over the 90 points of p in training mode with a batch of one.")
    st.caption("A batch of one sample: each unit's batch mean is that sample's own value, so v − μ = 0 and every "
               "normalized unit outputs β whatever the input. The network then says the same thing for every point "
               "(the crosses lie on one horizontal line). Small batches give noisy statistics, so training mode "
               "disagrees with evaluation mode more; early in training the running averages still lag behind.")
    return result


def depth_section() -> dict | None:
    st.header("Depth, with and without skip connections")
    st.markdown(
        f"Square stacks of {nk.DEPTH_WIDTH} tanh units, {nk.DEPTHS[0]} to {nk.DEPTHS[-1]} hidden layers, Glorot-normal "
        f"weights from {len(nk.DEPTH_SEEDS)} seeds, {nk.DEPTH_STEPS} steps of full-batch gradient descent on the same moons. "
        "With skip connections a gradient reaches the first layers along the identity paths; without them it passes "
        "through every layer's weights and slopes."
    )
    c = st.columns([1, 1.4])
    on = c[0].toggle("Run the depth study", False, key="nsk_depth", bind="query-params",
                     help=f"{2 * len(nk.DEPTHS) * len(nk.DEPTH_SEEDS)} networks in one compiled call (a few seconds).")
    with c[1]:
        lr = st.select_slider("Learning rate η (depth study)", DEPTH_RATES, 0.5, key="nsk_depth_lr", format_func=fmt,
                              bind="query-params")
    if not on:
        st.caption("Switch the study on to train the networks.")
        return None
    with st.spinner(f"Training {2 * len(nk.DEPTHS) * len(nk.DEPTH_SEEDS)} networks..."):
        result = nk.depth_runs(float(lr))
    final = {"plain": result["plain"][:, :, -1], "skip": result["skip"][:, :, -1]}
    names = {"plain": "no skips", "skip": "with skips"}
    if not np.all(np.isfinite(np.r_[final["plain"].ravel(), final["skip"].ravel()])):
        st.error("Some runs diverged (their loss became infinite): lower the learning rate.", icon=":material/error:")
    st.plotly_chart(nc.depth_figure(result["depths"], final, names), key="nsk_depth_chart")
    deepest = len(nk.DEPTHS) - 1
    m = st.columns(2)
    m[0].metric(f"{nk.DEPTHS[-1]} layers, no skips: median final loss", f"{np.median(final['plain'][:, deepest]):.3g}")
    m[1].metric(f"{nk.DEPTHS[-1]} layers, with skips: median final loss", f"{np.median(final['skip'][:, deepest]):.3g}")
    return {"lr": float(lr), **result, "final": final}


st.title("Normalization and skip connections")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
verdict = st.container()
settings = controls_section()
results = {"settings": settings, "runs": training_section(settings)}
curvature_section(settings)
results["stability"] = stability_section(settings)
results["smoothness"] = smoothness_section(settings)
results["modes"] = modes_section(settings)
results["depth"] = depth_section()
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, settings))
