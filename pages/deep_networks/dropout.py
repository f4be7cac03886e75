"""Dropout: a random sub-network at every step. Inverted dropout keeps the expected activation, the
train/test gap of an over-parameterized network shrinks (and its loss curve gets rougher, its largest
weights smaller), dropping inputs adds noise, and the full network stands in for the average of
the sub-networks."""

import streamlit as st

from networks.model import n_params
from ui.controls import LEARNING_RATES, fmt, log_slider
from ui.deep_networks import dropout_charts as charts
from ui.deep_networks import dropout_compute as comp
from ui.deep_networks.dropout_presets import (CHALLENGES, CONTROLLED_KEYS, EXPECTATION_MASKS, KEEPS, PRESETS,
                                              SUBNETWORKS)
from ui.theme import presentation_on
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.urlstate import LABELS

LABELS.update({"drop_lr": fmt})


@st.fragment
def expectation_section() -> None:
    st.header("Inverted dropout keeps the expected activation")
    st.markdown(
        "In a training step every unit of a layer is kept with probability p and set to zero otherwise, a fresh draw "
        "for every example: with D uniform on [0, 1) of the same shape as the layer's outputs X,"
    )
    st.latex(r"X_D = \frac{X \odot (D < p)}{p}")
    st.markdown(
        "On average a unit survives p of the time, so the mask alone would shrink what the next layer receives to p·X; "
        "dividing by p puts it back: E[(D < p)/p] = 1. Below, the outputs of one hidden layer (64 ReLU units, one input "
        "point) are dropped with many masks and averaged."
    )
    c = st.columns(2)
    keep = c[0].select_slider("Keep probability p", KEEPS, 0.5, key="drop_exp_keep", bind="query-params")
    n_masks = c[1].select_slider("Masks averaged", EXPECTATION_MASKS, 1000, key="drop_exp_masks", bind="query-params")
    e = comp.expectation(float(keep), int(n_masks), 0)
    st.plotly_chart(charts.expectation_figures(float(keep), int(n_masks), 0, presentation_on()),
                    key="drop_expectation_chart")
    m = st.columns(3)
    m[0].metric("Σ mean of x·(D<p)/p  ÷  Σ x", f"{e['inverted_ratio']:.3f}",
                help="Over the layer's units. 1 in expectation; the spread is the sampling error of the masks.")
    m[1].metric("Largest |mean − x| in standard errors", f"{e['max_z']:.1f}",
                help=f"Over the {e['active']} active units (a zero output stays zero), in units of the theoretical "
                     "standard error. Within about 3-4 for 64 units if the expectation is x.")
    m[2].metric("Σ mean of x·(D<p)  ÷  Σ x (no division)", f"{e['plain_ratio']:.3f}", help=f"Close to p = {keep:g}.")
    st.caption("The error bars are two standard errors of the mean over the masks, measured; theory gives "
               "x·√((1 − p)/(p·K)) for K masks, so they shrink as 1/√K. At evaluation nothing is dropped and nothing "
               "is divided: the division during training has already matched the scales.")


def gap_section() -> dict:
    st.header("The train/test gap, with and without dropout")
    st.markdown(
        f"A network far too large for the data ({len(comp.WIDTHS)} ReLU layers of {comp.WIDTHS[0]} units, "
        f"{n_params(comp.architecture()):,} parameters) learns a few noisy two-moons points with Adam (batch "
        f"{comp.BATCH}, {comp.EPOCHS} epochs) and is judged on {comp.TEST_POINTS} fresh test points. It is trained twice "
        "from the same start and the same minibatches: once as is, once with dropout in every training step. Losses are "
        "always measured without dropout."
    )
    c = st.columns(3)
    keep_hidden = c[0].select_slider("Keep probability p, hidden layers", KEEPS, 0.5, key="drop_keep",
                                     bind="query-params")
    keep_input = c[1].select_slider("Keep probability, input layer", KEEPS, 1.0, key="drop_keep_input",
                                    bind="query-params", help="Dropping the input coordinates: noise on the data.")
    n_train = c[2].slider("Training points", 40, 160, 80, 10, key="drop_points", bind="query-params")
    c = st.columns(3)
    noise = c[0].slider("Noise σ", 0.0, 0.8, 0.5, 0.1, key="drop_noise", bind="query-params")
    with c[1]:
        lr = log_slider("Learning rate η (Adam)", "drop_lr", LEARNING_RATES, 0.01)
    seed = int(c[2].number_input("Seed", 0, 10_000, 0, key="drop_seed", bind="query-params"))
    args = (int(n_train), float(noise), float(keep_input), float(keep_hidden), float(lr), seed)
    with st.spinner("Training the network twice..."):
        r = comp.comparison(*args)
    for i, name in enumerate((charts.WITHOUT, charts.WITH)):
        if r["status"][i] in (1, 2, 3):
            st.error(f"The run {name} {r['messages'][i]}: its curves end there. Lower the learning rate.",
                     icon=":material/error:")
    if keep_hidden == 1.0 and keep_input == 1.0:
        st.info("Both keep probabilities are 1: the second run drops nothing, so both runs are the same.",
                icon=":material/info:")
    figures = charts.gap_figures(args, presentation_on())
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figures["loss"], key="drop_loss_chart")
    with right:
        st.plotly_chart(figures["maps"], key="drop_maps_chart")
    final = r["loss"][:, -1]
    m = st.columns(4)
    for i, name in enumerate((charts.WITHOUT, charts.WITH)):
        m[2 * i].metric(f"Gap (test − train loss), {name}", f"{r['gap'][i]:.3f}",
                        help=f"Train {final[i, 0]:.3f}, test {final[i, 2]:.3f} after {comp.EPOCHS} epochs.")
        m[2 * i + 1].metric(f"Test accuracy, {name}", f"{r['accuracy'][i, -1, 2]:.1%}")
    st.subheader("A rougher path, smaller weights")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figures["rough"], key="drop_rough_chart")
    with right:
        st.plotly_chart(figures["weights"], key="drop_weights_chart")
    m = st.columns(4)
    m[0].metric(f"Roughness, {charts.WITHOUT}", f"{r['roughness'][0]:.4f}",
                help=f"Mean |change| of the loss as trained between recorded epochs ({comp.SNAPSHOT_EVERY} apart).")
    m[1].metric(f"Roughness, {charts.WITH}", f"{r['roughness'][1]:.4f}")
    m[2].metric(f"Largest |w|, {charts.WITHOUT}", f"{r['largest_weight'][0]:.2f}",
                help=f"Over every weight matrix. Standard deviation of the weights {r['weight_spread'][0]:.3f}.")
    m[3].metric(f"Largest |w|, {charts.WITH}", f"{r['largest_weight'][1]:.2f}",
                help=f"Standard deviation of the weights {r['weight_spread'][1]:.3f}.")
    st.caption("Left: the mean loss of the training points as each step saw them, through their masks: every step "
               "trains another sub-network, so the loss moves more from one epoch to the next. Right: a unit cannot "
               "count on any one input being there, so the work is spread over many weights and the largest shrink "
               "(compare both runs' tails).")
    return {"args": args, "gap": r["gap"], "accuracy": r["accuracy"][:, -1, 2], "loss": final,
            "keep_hidden": float(keep_hidden), "keep_input": float(keep_input), "roughness": r["roughness"],
            "largest_weight": r["largest_weight"]}


def ensemble_section(args: tuple) -> dict:
    st.header("An ensemble of sub-networks in one network")
    st.markdown(
        "Every training step trains one of the many sub-networks that share the weights. At test time one could "
        "average the predictions of many sampled sub-networks, like a bagged ensemble; the full network with nothing "
        "dropped (the *weight-scaling rule*: with inverted dropout the scaling already happened in training) is a "
        "single pass that stands in for that average. Here masks are drawn at evaluation for the network trained with "
        "dropout above, on its test points."
    )
    n_masks = st.select_slider("Sub-networks sampled", SUBNETWORKS, 64, key="drop_masks", bind="query-params")
    with st.spinner("Evaluating the sub-networks..."):
        e = comp.ensemble(*args, int(n_masks))
    figures = charts.ensemble_figures(args, int(n_masks), presentation_on())
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figures["agreement"], key="drop_agreement_chart")
    with right:
        st.plotly_chart(figures["members"], key="drop_members_chart")
    m = st.columns(4)
    m[0].metric("Test accuracy, full network", f"{e['full_accuracy']:.1%}")
    m[1].metric(f"Test accuracy, mean of {n_masks} sub-networks", f"{e['ensemble_accuracy']:.1%}")
    m[2].metric("Test accuracy, one sub-network (mean)", f"{e['member_accuracy']:.1%}")
    m[3].metric("Mean |difference| of the probabilities", f"{e['mean_difference']:.3f}",
                help=f"Full network against the sub-networks' mean; the same class on {e['same_decision']:.1%} of "
                     f"the test points. One sub-network's probability spreads by {e['member_spread']:.3f} on average.")
    st.caption("With linear units the average over masks equals the full network exactly; the ReLUs make it an "
               "approximation, and the chart shows how close it is here.")
    return e


st.title("Dropout")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
verdict = st.container()
expectation_section()
gap = gap_section()
results = {"gap": gap, "ensemble": ensemble_section(gap["args"])}
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, {}))
