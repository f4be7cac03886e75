"""Early stopping and weight decay: the patience rule on a noisy dataset and what the validation points
cost, early stopping as a prior near the start (gradient descent against ridge), and an L2 penalty
under Adam against AdamW's decoupled decay."""

import numpy as np
import streamlit as st

from networks.early_stopping import early_stop, hold_out_cost
from networks.model import n_params
from ui.controls import LEARNING_RATES, fmt, log_slider
from ui.deep_networks import regularization_charts as rc
from ui.deep_networks import regularization_compute as comp
from ui.deep_networks.regularization_presets import (
    CHALLENGES,
    CONTROLLED_KEYS,
    DECAY_STRENGTHS,
    GD_STEPS,
    L2_STRENGTHS,
    PRESETS,
    RIDGE_LRS,
    STARTS,
)
from ui.theme import presentation_on
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.urlstate import LABELS

def loss_text(value: float) -> str:
    """A loss with four decimals, or three significant digits once it is huge (a run thrown far away)."""
    return f"{value:.4f}" if abs(value) < 1000 else f"{value:.3g}"


LABELS.update({"reg_ridge_lr": fmt, "reg_start": STARTS.get, "reg_l2": fmt, "reg_wd": fmt})


def early_stopping_section() -> dict:
    st.header("Early stopping")
    w = comp.EARLY_WIDTHS
    st.markdown(
        f"A network far larger than the data needs ({len(w)} tanh layers of {w[0]} units, "
        f"{n_params(comp.early_architecture()):,} parameters) "
        "learns a noisy 1-D curve with Adam. The points are split 70 / 15 / 15: the network trains on the first part; "
        "after every epoch the validation loss is measured, and the test points are kept aside to judge the result. "
        "The patience rule stops training once the validation loss has not reached a new low for *patience* epochs, and "
        "returns the parameters of the best epoch seen."
    )
    c = st.columns(5)
    n_points = c[0].slider("Points", 60, 128, 128, 4, key="reg_points", bind="query-params",
                           help="Split 70 / 15 / 15 into train, validation and test.")
    noise = c[1].slider("Noise σ", 0.1, 1.0, 0.5, 0.1, key="reg_noise", bind="query-params")
    with c[2]:
        lr = log_slider("Learning rate η (Adam)", "reg_lr", LEARNING_RATES, 0.03)
    patience = c[3].slider("Patience (epochs)", 0, 60, 10, key="reg_patience", bind="query-params")
    seed = int(c[4].number_input("Seed", 0, 10_000, 0, key="reg_seed", bind="query-params"))
    with st.spinner(f"Training {2 * comp.EARLY_SEEDS} networks for {comp.EARLY_EPOCHS} epochs..."):
        runs = comp.early_stopping_summary(int(n_points), float(noise), float(lr), seed)
    valid = int(runs["valid"][0])
    if runs["status"][0] in (1, 2, 3):
        st.error(f"The first seed's run diverged and was stopped: {runs['messages'][0]}. The curves end at epoch "
                 f"{int(runs['epochs'][valid - 1])}; lower the learning rate.", icon=":material/error:")
    loss = runs["loss"][0, :valid]
    rule = early_stop(loss[:, 1], int(patience))
    end = valid - 1
    if loss[end, 0] > loss[0, 0]:
        st.warning(f"The training loss ends above where it started ({loss[end, 0]:.3g} against {loss[0, 0]:.3g}): the step "
                   f"η = {lr:g} is too large for this network to learn the curve, so there is nothing to stop early. Lower η.",
                   icon=":material/warning:")
    figures = rc.early_figures(int(n_points), float(noise), float(lr), seed, int(patience), presentation_on())
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figures["curves"], key="reg_curves")
    with right:
        st.plotly_chart(figures["fit"], key="reg_fit")
    m = st.columns(4)
    m[0].metric("Training stops at epoch", f"{rule.stop_epoch}" if rule.triggered else f"{end} (never triggered)",
                help="The first epoch that is more than 'patience' epochs after the best validation loss so far.")
    m[1].metric("Restored epoch", f"{rule.best_epoch}",
                help="The first epoch with the lowest validation loss among the epochs run.")
    m[2].metric("Test loss, restored", loss_text(loss[rule.best_epoch, 2]),
                delta=f"{loss[rule.best_epoch, 2] - loss[end, 2]:+.4f} vs the end", delta_color="inverse")
    m[3].metric("Test loss, trained to the end", loss_text(loss[end, 2]))
    st.caption(f"Noise variance σ² = {noise ** 2:.2f} is the smallest mean squared error any function can expect on new points (a few test points can land below it by chance). "
               f"Epochs saved by stopping: {end - rule.stop_epoch} of {end}. Training loss at the restored epoch "
               f"{loss[rule.best_epoch, 0]:.4f}, at the end {loss[end, 0]:.4f}: it keeps falling while the network fits the noise.")
    return {"rule": rule, "loss": loss, "end": end, "runs": runs, "patience": int(patience), "noise": float(noise),
            "figures": figures,
            "controls": {"n_points": int(n_points), "noise": float(noise), "seed": seed, "lr": float(lr)}}


def hold_out_section(early: dict) -> dict:
    st.subheader("What early stopping costs: the validation points")
    runs = early["runs"]
    counts = runs["counts"]
    st.markdown(
        f"The validation points ({counts[1]} of {counts.sum()}) are not used to fit the parameters. Is that a loss? The "
        f"same network, with the same {comp.EARLY_SEEDS} seeds, is trained again on train + validation "
        f"({counts[0] + counts[1]} points) for exactly the number of epochs each seed's early stopping chose, and "
        "tested on the same test points."
    )
    ok = (runs["status"] == 0) & (runs["retrained_valid"] == len(runs["epochs"]))
    if not ok.all():
        st.warning(f"{int((~ok).sum())} of the {comp.EARLY_SEEDS} seeds diverged in one of the two trainings; they are left "
                   "out of the comparison.", icon=":material/warning:")
    if not ok.any():
        return {"cost": None}
    cost = hold_out_cost(runs["loss"][ok], runs["retrained_loss"][ok], early["patience"])
    st.plotly_chart(early["figures"]["hold_out"], key="reg_hold_out")
    better = int(np.sum(cost.retrained_test < cost.early_stopped_test))
    m = st.columns(3)
    m[0].metric("Mean test loss, early-stopped", loss_text(cost.early_stopped_test.mean()))
    m[1].metric("Mean test loss, train + validation", loss_text(cost.retrained_test.mean()),
                delta=f"{cost.retrained_test.mean() - cost.early_stopped_test.mean():+.4f}", delta_color="inverse")
    m[2].metric("Seeds where the larger training set wins", f"{better} of {len(cost.best_epochs)}")
    st.caption("Restored epochs per seed: " + ", ".join(str(int(e)) for e in cost.best_epochs) + ". With so few test points "
               "the differences are noisy; move the seed to see how much.")
    return {"cost": cost, "better": better}


def ridge_section() -> dict:
    st.header("Early stopping is like a prior near the start")
    st.markdown(
        "Take the simplest case: a linear model with two weights and the mean squared error, L(w) = ‖Xw − y‖² / 2n, whose "
        "Hessian H = XᵀX/n has eigenvalues s₁ ≤ s₂. Gradient descent with step η from w₀ moves, along each eigenvector, "
        "the share 1 − (1 − ηsᵢ)ᵗ of the way to the least-squares solution w*. Ridge regression with a penalty "
        "(λ/2)‖w − w₀‖² moves the share sᵢ/(sᵢ + λ). With λ = 1/(ηt) both are close to ηsᵢt when it is small (the "
        "direction has barely left w₀) and close to 1 when it is large (converged): stopping at step t keeps the flat "
        "directions near the start, like a penalty of strength 1/(ηt). Starting near zero and stopping early therefore "
        "acts like L2 regularization."
    )
    c = st.columns(4)
    correlation = c[0].slider("Correlation of the two inputs", 0.0, 0.98, 0.9, 0.02, key="reg_corr", bind="query-params",
                              help="Eigenvalues of XᵀX/n are about 1 ± correlation: a strong correlation makes one direction flat.")
    lr = c[1].select_slider("Step η", RIDGE_LRS, 0.1, key="reg_ridge_lr", format_func=fmt, bind="query-params")
    steps = c[2].select_slider("Steps T", GD_STEPS, 200, key="reg_steps", bind="query-params")
    start_key = c[3].selectbox("Start w₀", list(STARTS), key="reg_start", format_func=STARTS.get, bind="query-params")
    start = (0.0, 0.0) if start_key == "origin" else (-1.0, 2.0)
    result = comp.ridge_correspondence(float(correlation), 0.5, float(lr), int(steps), start, 0)
    s = result["eigenvalues"]
    if not result["converges"]:
        st.error(f"η·s₂ = {lr * s[1]:.2f} ≥ 2: gradient descent diverges along the steep direction (each step multiplies "
                 f"its distance by |1 − ηs₂| = {abs(1 - lr * s[1]):.2f}). There is no ridge solution it stays close to; "
                 "lower η.", icon=":material/error:")
        return {"result": result, "converges": False}
    marked = sorted({int(t) for t in np.unique(np.geomspace(1, steps, 6).astype(int))})
    figures = rc.ridge_figures(float(correlation), float(lr), int(steps), start, tuple(marked), presentation_on())
    left, right = st.columns([1.1, 1])
    with left:
        st.plotly_chart(figures["plane"], key="reg_plane")
    with right:
        st.plotly_chart(figures["filters"], key="reg_filters")
    worst = int(np.argmax(result["distance"]))
    m = st.columns(4)
    m[0].metric("Eigenvalues s₁, s₂", f"{s[0]:.3g}, {s[1]:.3g}")
    m[1].metric("ηs₂ (steep direction)", f"{lr * s[1]:.3g}")
    m[2].metric("Largest relative distance", f"{result['distance'][worst]:.3f}", help=f"At t = {worst}.")
    m[3].metric("At t = T", f"{result['distance'][-1]:.3f}")
    if result["bound_holds"]:
        st.caption(f"Tolerance: with ηs ≤ ½ in both directions, the two shares differ by at most 1/(1+x) − e^(−x(1+ηs)), "
                   f"x = ηst (≥ 0, and GD is always the further along), so the weights differ by at most that times "
                   f"‖w* − w₀‖: here at most {result['bound'].max():.3f}, measured {result['distance'].max():.3f}. The "
                   "agreement is close for x ≪ 1 and x ≫ 1 and worst near x ≈ 2.5, where the small-step limit of the gap is "
                   "0.204 (1 − e^(−x) against x/(1+x)).")
    else:
        st.caption(f"ηs₂ = {lr * s[1]:.2f} > ½: a large step makes the two shares differ more (at ηs = 1 one GD step lands "
                   "on w* in that direction while ridge with λ = 1/η goes only halfway). The stated bound needs ηs ≤ ½.")
    return {"result": result, "converges": True, "lr": float(lr)}


def decay_section(early: dict, controls: dict) -> dict:
    st.header("An L2 penalty under Adam is not weight decay")
    st.markdown(
        "With plain gradient descent, adding (λ/2)‖θ‖² to the loss and shrinking every parameter by ηλθ per step are the "
        "same thing. Under Adam they are not. The penalty's gradient λθ joins the loss's gradient and is divided by "
        "√v̂ + ε with it, so a parameter whose gradients are large (large second moment v̂) is pulled toward zero by "
        "only ηλθᵢ/(√v̂ᵢ + ε) per step, and one with tiny gradients very hard. AdamW (decoupled weight decay) takes "
        "Adam's step on the loss alone and then removes the same share ηλ_w of every parameter."
    )
    st.markdown(
        f"The network and data of the early-stopping section (its points, noise and seed), trained with the full batch for "
        f"{comp.DECAY_STEPS} steps from one start, three ways: Adam, Adam + L2, AdamW. The decay rates are read from each "
        "run's final Adam state (v̂ = v / (1 − β₂ᵗ))."
    )
    c = st.columns(3)
    with c[0]:
        lr = log_slider("Learning rate η (Adam, all three)", "reg_decay_lr", LEARNING_RATES, 0.01)
    l2 = c[1].select_slider("L2 penalty λ (Adam + L2)", L2_STRENGTHS, 3e-3, key="reg_l2", format_func=fmt, bind="query-params")
    wd = c[2].select_slider("Weight decay λ_w (AdamW)", DECAY_STRENGTHS, 1.0, key="reg_wd", format_func=fmt, bind="query-params")
    with st.spinner("Training three networks..."):
        summary = comp.decay_summary(controls["n_points"], controls["noise"], float(lr), float(l2), float(wd), controls["seed"])
    names = comp.DECAY_RUNS
    for r, name in enumerate(names):
        if not summary["finite"][r]:
            st.error(f"The {name} run diverged (a non-finite gradient, or a parameter beyond ±10⁶) and was stopped at its "
                     "last good step; its numbers are from there. Lower the learning rate or the decay.",
                     icon=":material/error:")
    if lr * wd >= 1:
        st.warning(f"η·λ_w = {lr * wd:g} ≥ 1: AdamW removes all of every parameter (or more) at each step.", icon=":material/warning:")
    figures = rc.decay_figures(controls["n_points"], controls["noise"], float(lr), float(l2), float(wd), controls["seed"],
                               presentation_on())
    left, right = st.columns(2)
    with left:
        if figures["scatter"] is not None:
            st.plotly_chart(figures["scatter"], key="reg_decay_scatter")
        else:
            st.info("Both strengths are 0: nothing decays. Raise λ or λ_w.", icon=":material/info:")
    with right:
        st.plotly_chart(figures["weights"], key="reg_weights")
    st.plotly_chart(figures["losses"], key="reg_decay_losses")
    final, norms = summary["final"], summary["norms"]
    m = st.columns(3)
    for r, name in enumerate(names):
        m[r].metric(f"{name}: test loss at the end", loss_text(final[r, 2]), help=f"Training loss {final[r, 0]:.4f}, ‖θ‖ = {norms[r]:.3g}."
                    + ("" if summary["finite"][r] else " The run stopped at its last good step."))
    q, v = summary["rate_quantiles"], summary["sqrt_v_quantiles"]
    spread = float(q[2] / q[0]) if l2 > 0 else float("nan")
    weaker = summary["weaker"] if l2 > 0 and wd > 0 else float("nan")
    st.markdown("| run | ‖θ‖ at the end | test loss | training loss |\n|---|---|---|---|\n" + "\n".join(
        f"| {name} | {norms[r]:.3g} | {loss_text(final[r, 2])} | {loss_text(final[r, 0])} |" for r, name in enumerate(names)))
    if l2 > 0:
        st.caption(f"Adam + L2: the decay per step spans {spread:.3g}× between the 10th and 90th percentile of the parameters "
                   f"(√v̂ from {v[0]:.2g} to {v[2]:.2g}); "
                   f"AdamW's is ηλ_w = {lr * wd:.3g} for every parameter."
                   + (f" {weaker:.0%} of the parameters decay less under the penalty than under AdamW here." if wd > 0 else "")
                   + " A rate near or above 1 means the penalty alone drives that parameter: Adam's step is about η in size, "
                   "so it sits near zero.")
    return {"summary": summary, "norms": norms, "final": final, "lr": float(lr), "l2": float(l2), "wd": float(wd), "weaker": weaker,
            "spread": spread}


st.title("Early stopping and weight decay")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
verdict = st.container()
early = early_stopping_section()
results = {"early": early, "hold_out": hold_out_section(early), "ridge": ridge_section()}
results["decay"] = decay_section(early, early["controls"])
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, {}))
