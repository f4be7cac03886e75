"""Activations: sigmoid, tanh, ReLU and its relatives; where they saturate, why a positive output makes
the next layer's updates share one sign, how ReLUs die, and why deep ReLU networks train faster."""

import numpy as np
import streamlit as st

from networks import ACTIVATIONS, activate, activation_derivative
from ui.controls import LEARNING_RATES, log_slider
from ui.deep_networks import charts as dc
from ui.deep_networks.activations_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.deep_networks.compute import ACTIVATION_WIDTHS, DEEP_SEEDS, DEEP_WIDTHS, deep_relu_vs_sigmoid, dying_relu, saturation_and_signs
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.urlstate import LABELS

NAMES = {k: a.name for k, a in ACTIVATIONS.items()}
GAINS = [0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0]
LABELS["act_shown"] = NAMES.get


def functions_section() -> None:
    st.header("The functions and their slopes")
    shown = st.multiselect("Activations", list(ACTIVATIONS), default=["sigmoid", "tanh", "relu", "leaky_relu"],
                           key="act_shown", format_func=NAMES.get, bind="query-params")
    if not shown:
        st.warning("No activation chosen: showing tanh.", icon=":material/warning:")
        shown = ["tanh"]
    z = np.linspace(-5, 5, 401)
    st.plotly_chart(dc.activation_functions_figure(z, {NAMES[k]: activate(k, z, 0.25) for k in shown},
                                                   {NAMES[k]: activation_derivative(k, z, 0.25) for k in shown}), key="act_functions")
    st.caption("Sigmoid and tanh flatten on both sides: there the slope, and so every gradient passing through, is "
               "nearly zero (the sigmoid's slope is at most ¼). ReLU's slope is 1 for z > 0 and exactly 0 below; leaky "
               "ReLU keeps 0.01 there and PReLU a learned slope (0.25 at the start).")


def saturation_section() -> dict:
    st.header("Saturation and the sign of the updates")
    st.markdown(
        f"Two networks of {len(ACTIVATION_WIDTHS)} layers of {ACTIVATION_WIDTHS[0]} units, one sigmoid and one tanh, learn the "
        "two moons with SGD from Glorot-normal weights times a gain. A large gain pushes z into the flat tails. And because "
        "a sigmoid's outputs are all positive, the gradient of a next-layer unit's incoming weight, δⱼ·xᵢ, has the sign of "
        "δⱼ for every i: all its incoming weights must rise together or fall together, so a path to a target that needs "
        "one up and one down zigzags."
    )
    c = st.columns(4)
    gain = c[0].select_slider("Weight scale (× Glorot)", GAINS, 1.0, key="act_gain", bind="query-params")
    with c[1]:
        lr = log_slider("Learning rate η", "act_lr", LEARNING_RATES, 0.1)
    epochs = c[2].slider("Epochs", 20, 600, 200, 20, key="act_epochs", bind="query-params")
    seed = int(c[3].number_input("Seed", 0, 10_000, 0, key="act_seed", bind="query-params"))
    with st.spinner("Training the sigmoid and tanh networks..."):
        runs = saturation_and_signs(float(gain), float(lr), int(epochs), seed)
    left, right = st.columns(2)
    with left:
        series = {f"{NAMES[k]}, layer {l + 1}": runs[k]["saturated"][:, l] for k in runs for l in range(len(ACTIVATION_WIDTHS))}
        dashes = {name: "dash" for name in series if name.startswith("Sigmoid")}
        st.plotly_chart(dc.curves_figure(runs["tanh"]["epochs"], series, "Saturated outputs per layer during training", "epoch",
                                         "share saturated", dashes=dashes), key="act_saturation")
    with right:
        labels = {NAMES[k]: (f"weight from unit {runs[k]['pair'][0] + 1} (net ↑)",
                             f"weight from unit {runs[k]['pair'][1] + 1} (net ↓)") for k in runs}
        st.plotly_chart(dc.weight_path_figure({NAMES[k]: runs[k]["path"] for k in runs}, labels,
                                              "Two incoming weights of one layer-2 unit, one example per step"), key="act_path")
    m = st.columns(4)
    m[0].metric("Sigmoid: layer-2 units whose updates share one sign", f"{runs['sigmoid']['agreement'][0]:.0%}",
                help="Over 64 single-example minibatches at the start; every incoming weight of the unit moved the same way.")
    m[1].metric("tanh: the same share", f"{runs['tanh']['agreement'][0]:.0%}")
    m[2].metric("Sigmoid: steps where both weights moved the same way", f"{runs['sigmoid']['same_sign_steps']:.0%}",
                help="Of the single-example steps drawn on the right: both weights up, or both down.")
    m[3].metric("tanh: the same", f"{runs['tanh']['same_sign_steps']:.0%}")
    for k in runs:
        if runs[k]["status"] in (1, 2, 3):
            st.error(f"The {NAMES[k]} run {runs[k]['message']}.", icon=":material/error:")
    st.caption("For the sigmoid the share is 100% by construction (positive inputs); for tanh, whose outputs have both signs, "
               "it is what the data gives. The right chart follows SGD one example at a time from the same start, for the "
               "layer-2 unit and the two incoming weights whose net motion is most clearly one up and one down. The sigmoid "
               "network can only step up-right or down-left, so it reaches that point by a zigzag across the diagonal; "
               "tanh's steps point wherever the example asks.")
    return {"gain": float(gain), **runs}


def dying_section() -> dict:
    st.header("Dying ReLU")
    st.markdown(
        "A ReLU unit whose z is negative on every input outputs 0 everywhere and gets exactly zero gradient: it never "
        "comes back. A negative bias or a step that throws the weights far can do it. A small positive bias starts "
        "more units in their active region (a fix for units dead from the start, not for a too large step); leaky ReLU "
        "keeps a small slope below zero, so its units always get a gradient and learn, whatever the step."
    )
    c = st.columns(3)
    large_lr = c[0].select_slider("Large learning rate", [0.3, 0.5, 1.0, 2.0, 3.0], 2.0, key="act_large_lr", bind="query-params")
    bias = c[1].select_slider("Bias size |b|", [0.1, 0.3, 0.5, 1.0, 2.0], 0.3, key="act_bias", bind="query-params")
    with st.spinner("Training the ReLU networks..."):
        runs = dying_relu(float(large_lr), float(bias), 200, 0)
    names = list(runs["cases"])
    series = {n: runs["cases"][n]["dead"].sum(axis=1) for n in names}
    left, right = st.columns(2)
    with left:
        st.plotly_chart(dc.curves_figure(runs["epochs"], series, "Dead units over training (all layers)", "epoch",
                                         f"dead units of {sum(ACTIVATION_WIDTHS)}"), key="act_dead")
    with right:
        st.plotly_chart(dc.gradient_norm_bars({n: runs["cases"][n]["dead"][0] for n in names},
                                              [f"layer {l + 1}" for l in range(len(ACTIVATION_WIDTHS))],
                                              "Dead units per layer at the start", y_title="dead units",
                                              zero_label="0"), key="act_dead_start")
    st.dataframe({"run": names, "dead at the start": [int(runs["cases"][n]["dead"][0].sum()) for n in names],
                  "dead at the end": [int(runs["cases"][n]["dead"][-1].sum()) for n in names],
                  "test accuracy": [f"{runs['cases'][n]['accuracy']:.0%}" for n in names]}, hide_index=True)
    st.caption("Dead: z ≤ 0 on every training input, so the unit's gradient is exactly 0. Leaky ReLU units are never "
               "dead (their slope below zero is 0.01). Compare the runs' counts: which change kills units, which fix helps.")
    return runs


def depth_section() -> dict:
    st.header("Deeper: ReLU against sigmoid")
    st.markdown(f"{len(DEEP_WIDTHS)} layers of {DEEP_WIDTHS[0]}, the same SGD budget, {DEEP_SEEDS} seeds each. Each sigmoid layer "
                "multiplies the gradient by a slope of at most ¼; a ReLU's active units pass it on unchanged.")
    lr = log_slider("Learning rate η (both)", "act_deep_lr", LEARNING_RATES, 0.1)
    with st.spinner("Training 16 deep networks..."):
        runs = deep_relu_vs_sigmoid(float(lr), 200)
    st.plotly_chart(dc.band_figure(runs["relu"]["epochs"], {"ReLU (He)": runs["relu"]["loss"], "Sigmoid (Glorot)": runs["sigmoid"]["loss"]},
                                   "Training loss, six layers", "mean log-loss"), key="act_deep")
    m = st.columns(2)
    m[0].metric("ReLU: median test accuracy", f"{np.median(runs['relu']['accuracy']):.0%}")
    m[1].metric("Sigmoid: median test accuracy", f"{np.median(runs['sigmoid']['accuracy']):.0%}")
    return runs


st.title("Activations")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
verdict = st.container()
functions_section()
results = {"saturation": saturation_section(), "dying": dying_section(), "deep": depth_section()}
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, {"gain": results["saturation"]["gain"]}))
