"""0-1 loss vs log-likelihood: why a classifier is trained on a smooth surrogate rather than on the
share of mistakes it is judged by, and what the surrogate keeps doing after every training point is right."""

import numpy as np
import streamlit as st

from networks.objectives import GD_STEPS
from ui.controls import LEARNING_RATES, log_slider
from ui.deep_networks import what_we_optimize_charts as wc
from ui.deep_networks.what_we_optimize_compute import (
    DOMAIN,
    MARGIN_FRACTIONS,
    MARGIN_POINTS,
    MARGIN_SEEDS,
    MARGIN_WIDTHS,
    claim_numbers,
    descent,
    log_likelihood_minimum,
    margin_study,
    surfaces,
)
from ui.deep_networks.what_we_optimize_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import presentation_on

SPREADS = [0.5, 0.75, 1.0, 1.5, 2.0]
NOISES = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3]


def surfaces_section() -> dict:
    st.header("Two losses over the same two weights")
    st.markdown(
        "A line through the origin, w·x = 0, separates two clouds of 64 points (the Playground's logistic-regression "
        "landscape). The **0-1 loss** is the share of points on the wrong side: it can only take the values k/64, it "
        "jumps when the line crosses a point, and it ignores how long w is. Between jumps it is flat, so its gradient "
        "is exactly zero. The **log-likelihood** loss, the mean of log(1 + e^(−s·w·x)), changes smoothly and has a "
        "slope everywhere. Gradient descent starts from the same weights on both."
    )
    c = st.columns(5)
    spread = c[0].select_slider("Cloud spread", SPREADS, 1.0, key="wwo_spread", bind="query-params",
                                help="Standard deviation of each cloud around its centre: above about 0.6 they overlap.")
    w1 = c[1].slider("Start w₁", DOMAIN[0][0], DOMAIN[0][1], -2.5, 0.1, key="wwo_w1", bind="query-params")
    w2 = c[2].slider("Start w₂", DOMAIN[1][0], DOMAIN[1][1], 3.0, 0.1, key="wwo_w2", bind="query-params")
    with c[3]:
        lr = log_slider("Learning rate η", "wwo_lr", LEARNING_RATES, 0.5)
    steps = c[4].slider("Steps", 10, GD_STEPS, 100, 10, key="wwo_steps", bind="query-params")
    if w1 == 0 and w2 == 0:
        st.warning("w = (0, 0) puts every point on the line: starting from (0.1, 0) instead.", icon=":material/warning:")
        w1 = 0.1
    surf = surfaces(float(spread), 0)
    gd = descent(float(spread), 0, (float(w1), float(w2)), float(lr), int(steps))
    minimum = log_likelihood_minimum(float(spread), 0)
    minimizer, minimum_zero_one = minimum["w"], minimum["zero_one"]
    if not np.all(np.isfinite(gd["log_losses"])):
        st.error("Gradient descent on the log-likelihood diverged at this learning rate: lower η.", icon=":material/error:")
    view = (float(spread), 0, (float(w1), float(w2)), float(lr), int(steps), presentation_on())
    st.plotly_chart(wc.page_surfaces_figure(*view), key="wwo_surfaces")
    left, right = st.columns([1.3, 1])
    with left:
        st.plotly_chart(wc.page_descent_figure(*view), key="wwo_descent")
    with right:
        moved = float(np.linalg.norm(gd["zero_one_path"][-1] - gd["zero_one_path"][0]))
        m = st.columns(2)
        m[0].metric("0-1 loss: start → end of GD on the log-likelihood",
                    f"{gd['log_zero_one'][0]:.1%} → {gd['log_zero_one'][-1]:.1%}")
        m[1].metric("GD on the 0-1 loss moved by", f"{moved:.3g}",
                    help="Distance between its first and last weights.")
        m = st.columns(2)
        m[0].metric("|∇ 0-1 loss| by autodiff, largest on the path", f"{gd['zero_one_gradient_norm'].max():.3g}")
        m[1].metric("|∇ 0-1 loss| by finite differences at the start", f"{gd['finite_difference_norm']:.3g}",
                    help="Central differences with h = 10⁻⁶: zero unless a data point lies within h of the line.")
        best = float(surf["zero_one"].min())
        st.metric("Smallest 0-1 loss on the grid / at the log-likelihood's minimum",
                  f"{best:.1%} / {minimum_zero_one:.1%}" if minimizer is not None else f"{best:.1%} / (separable: no finite minimum)")
    st.caption("Left map: the 0-1 loss is made of wedges that meet at the origin (it depends only on w's direction); "
               "each boundary is the line w·x_n = 0 of one point. Right map: the log-likelihood on a log scale. The orange "
               "path is gradient descent on the 0-1 loss: its gradient is zero at every step, so it never leaves its start. "
               "The log-likelihood minimizes a smooth stand-in, so its minimum need not be where the 0-1 loss is smallest.")
    return {"descent": gd, "minimum_zero_one": minimum_zero_one, "spread": float(spread), "lr": float(lr), "steps": int(steps)}


def margins_section() -> dict:
    st.header("After the last training mistake")
    n_train = round(MARGIN_FRACTIONS[0] * MARGIN_POINTS)
    n_test = MARGIN_POINTS - n_train - round(MARGIN_FRACTIONS[1] * MARGIN_POINTS)
    st.markdown(
        f"{MARGIN_SEEDS} networks ({len(MARGIN_WIDTHS)} tanh layers of {MARGIN_WIDTHS[0]}) learn two moons from "
        f"{n_train} training points with Adam on the log-likelihood; {n_test} test points measure them. The **margin** "
        "of a point is s·f(x), its logit signed by its class: positive when right, large when confidently right. Once "
        "every training margin is positive the training 0-1 loss is zero and has nothing left to say, but the "
        "log-likelihood, log(1 + e^(−margin)), still rewards larger margins, so training goes on pushing the classes "
        "apart, and the test points gain from it."
    )
    c = st.columns(3)
    noise = c[0].select_slider("Noise of the moons", NOISES, 0.1, key="wwo_noise", bind="query-params")
    with c[1]:
        lr = log_slider("Learning rate η (Adam)", "wwo_train_lr", LEARNING_RATES, 0.01)
    epochs = c[2].slider("Epochs", 100, 1500, 600, 100, key="wwo_epochs", bind="query-params")
    with st.spinner(f"Training {MARGIN_SEEDS} networks..."):
        study = margin_study(float(noise), float(lr), int(epochs))
    for r, status in enumerate(study["status"]):
        if status in (1, 2, 3):
            st.error(f"Seed {r} {study['messages'][r]}: its curves end at its last good snapshot. Lower η.",
                     icon=":material/error:")
    claim = claim_numbers(study)
    figures = wc.page_margin_figures(float(noise), float(lr), int(epochs), presentation_on())
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figures["zero_one"], key="wwo_zero_one")
    with right:
        st.plotly_chart(figures["curves"], key="wwo_margin_curves")
    rows = [r for r in claim["per_seed"] if r is not None]
    m = st.columns(4)
    m[0].metric("Seeds whose training 0-1 loss reached 0", f"{claim['reached']} of {MARGIN_SEEDS}")
    if rows:
        m[1].metric("First epoch with training 0-1 loss 0 (median)", f"{np.median([r['epoch'] for r in rows]):.0f}")
        m[2].metric("Test 0-1 loss then → end (median)",
                    f"{np.median([r['test_then'] for r in rows]):.2%} → {np.median([r['test_end'] for r in rows]):.2%}")
        m[3].metric("Smallest training margin then → end",
                    f"{np.median([r['min_margin_then'] for r in rows]):.2f} → {np.median([r['min_margin_end'] for r in rows]):.2f}")
    else:
        st.warning("No seed classified every training point right within these epochs (the moons overlap at this noise, "
                   "or the run is too short): there is no moment after the last training mistake to look at.",
                   icon=":material/warning:")
    st.plotly_chart(figures["histograms"], key="wwo_margins")
    st.caption("The histogram pools the margins of all seeds at each snapshot; the slider and play button move through "
               "the snapshots in the browser. Points left of the dotted line are misclassified. Margins are recomputed "
               "from each snapshot's parameters, and their share ≤ 0 equals the run's 0-1 loss.")
    return {"study": study, "claim": claim, "noise": float(noise)}


st.title("0-1 loss vs log-likelihood")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
st.markdown("A classifier is judged by how many points it gets wrong, but it is trained on the log-likelihood. "
            "Two reasons, each measured below: the count of mistakes has no gradient to follow, and the log-likelihood "
            "goes on improving a classifier that already makes no training mistakes.")
verdict = st.container()
results = surfaces_section()
results.update(margins_section())
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, {"noise": results["noise"]}))
