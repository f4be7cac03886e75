"""Initialization: how the initial weights set the spread of every layer's outputs and gradients, the
variance law n·Var(β) = 1 (and ReLU's factor 2), and why constant or zero weights keep units tied."""

import numpy as np
import streamlit as st

from networks import ACTIVATIONS, WEIGHT_SCHEMES
from ui.controls import LEARNING_RATES, fmt, log_slider
from ui.deep_networks import charts as dc
from ui.deep_networks.compute import (
    SYMMETRY_WIDTHS,
    explore_signals,
    notes_signals,
    symmetry_runs,
    variance_law,
)
from ui.deep_networks.initialization_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.urlstate import LABELS

MAX_EXAMPLES = 2000
SCALES = sorted({*[float(f"{m}e{e}") for e in range(-3, 1) for m in (1, 2, 3, 5)], 1.0 / 32, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0})
N_VAR_BETA = [0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 1.9, 2.0, 2.1, 2.5, 3.0, 4.0]
SCHEME_NAMES = {k: s.name for k, s in WEIGHT_SCHEMES.items()}
ACTIVATION_NAMES = {k: a.name for k, a in ACTIVATIONS.items()}
LAW_ACTIVATIONS = ("linear", "tanh", "relu", "leaky_relu", "sigmoid")
LABELS.update({"init_scheme": SCHEME_NAMES.get, "init_activation": ACTIVATION_NAMES.get,
               "init_law_activation": ACTIVATION_NAMES.get, "init_law_nvar": fmt})


def notes_section() -> dict:
    """The notes' experiment as they ran it: inputs N(0, 1) of 100 × 32, four tanh layers of 32 units."""
    st.header("The lecture's experiment")
    st.markdown(
        "A batch of 100 inputs with 32 standard-normal features goes through four tanh layers of 32 units, "
        "with no biases, once for each of three ways to draw the weights. The histograms show every layer's "
        "unit outputs x⁽ˡ⁾, and below them the gradients ∂L/∂z⁽ˡ⁾ sent back from a random top-layer signal. "
        "Tiny weights shrink the outputs towards tanh's centre layer after layer, and the gradients with them; "
        "weights ten times larger push many units into tanh's flat tails; weights scaled by 1/√32 keep a usable spread."
    )
    seed = int(st.number_input("Seed of the draw", 0, 10_000, 0, key="init_notes_seed", bind="query-params"))
    signals = notes_signals(seed)
    st.plotly_chart(dc.layer_histograms_figure({k: v["x"] for k, v in signals.items()},
                                               "Unit outputs x⁽ˡ⁾ of each layer", "unit output x"), key="init_notes_outputs")
    st.plotly_chart(dc.layer_histograms_figure({k: v["delta"] for k, v in signals.items()},
                                               "Back-propagated gradients ∂L/∂z⁽ˡ⁾ of each layer", "gradient ∂L/∂z"),
                    key="init_notes_gradients")
    series = {**{f"x: {k}": v["x_std"] for k, v in signals.items()}, **{f"∂L/∂z: {k}": v["delta_std"] for k, v in signals.items()}}
    colors = {f"{p}: {k}": c for k, c in zip(signals, ("#0072B2", "#D55E00", "#009E73")) for p in ("x", "∂L/∂z")}
    dashes = {f"∂L/∂z: {k}": "dash" for k in signals}
    st.plotly_chart(dc.per_layer_figure(series, "Spread per layer: outputs (solid) and gradients (dashed)",
                                        "standard deviation", colors=colors, dashes=dashes), key="init_notes_spread")
    small, large = signals["uniform ±0.05"], signals["uniform ±0.5"]
    st.caption(
        f"Measured: with ±0.05 the outputs' standard deviation falls from {small['x_std'][0]:.3g} (layer 1) to "
        f"{small['x_std'][-1]:.2g} (layer 4) and the gradient at layer 1 is {small['delta_std'][0]:.2g}, about "
        f"{small['delta_std'][-1] / small['delta_std'][0]:.0f}× smaller than at layer 4 (vanishing gradients). "
        f"With ±0.5, {large['saturated'][0]:.0%} of layer 1's outputs are beyond ±0.99 (saturated). "
        "Each panel has its own horizontal range; hover a curve for its standard deviation."
    )
    return signals


def explore_section() -> dict:
    """The same measurement with any scheme, depth, width and activation."""
    st.header("Any scheme, depth, width and activation")
    c = st.columns(4)
    with c[0]:
        scheme = st.selectbox("Weight scheme", list(WEIGHT_SCHEMES), index=list(WEIGHT_SCHEMES).index("uniform"),
                              key="init_scheme", format_func=SCHEME_NAMES.get, bind="query-params")
        chosen = WEIGHT_SCHEMES[scheme]
        scale = None
        if chosen.scale_name != "none":
            scale = log_slider(f"Scheme's {chosen.scale_name}", f"init_scale_{scheme}", SCALES, chosen.default_scale)
    with c[1]:
        depth = st.slider("Depth (layers)", 1, 20, 10, key="init_depth", bind="query-params")
        width = st.slider("Width n (units per layer)", 2, 64, 32, key="init_width", bind="query-params")
    with c[2]:
        activation = st.selectbox("Activation", list(ACTIVATIONS), index=list(ACTIVATIONS).index("tanh"),
                                  key="init_activation", format_func=ACTIVATION_NAMES.get, bind="query-params")
    with c[3]:
        n_examples = int(st.number_input("Examples", 10, 1_000_000, 100, 50, key="init_examples", bind="query-params",
                                         help=f"At most {MAX_EXAMPLES} are used."))
        seed = int(st.number_input("Seed", 0, 10_000, 0, key="init_seed", bind="query-params"))
    if n_examples > MAX_EXAMPLES:
        st.warning(f"{n_examples:,} examples asked for; the measurement uses {MAX_EXAMPLES:,} to keep the server responsive.",
                   icon=":material/warning:")
        n_examples = MAX_EXAMPLES
    variance = WEIGHT_SCHEMES[scheme].variance(width, width, chosen.default_scale if scale is None else scale)
    st.latex(rf"{chosen.latex}\quad\Rightarrow\quad n\,\mathrm{{Var}}(\beta) = {width}\times{variance:.4g} = {width * variance:.4g}")
    result = explore_signals(scheme, scale, depth, width, activation, n_examples, seed)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(dc.distribution_heatmap(result["x"], "Outputs x⁽ˡ⁾ by layer", "unit output x"), key="init_explore_outputs")
    with right:
        st.plotly_chart(dc.distribution_heatmap(result["delta"], "Gradients ∂L/∂z⁽ˡ⁾ by layer", "gradient ∂L/∂z"),
                        key="init_explore_gradients")
    series = {"outputs x": result["x_std"], "gradients ∂L/∂z": result["delta_std"]}
    left, right = st.columns(2)
    with left:
        st.plotly_chart(dc.per_layer_figure(series, "Standard deviation per layer", "standard deviation"), key="init_explore_spread")
    with right:
        st.plotly_chart(dc.per_layer_figure({"saturated share": result["saturated"]}, "Saturated outputs per layer",
                                            "share of outputs saturated", log_y=False,
                                            y_range=[0, max(0.1, 1.1 * float(result["saturated"].max()))]),
                        key="init_explore_saturation")
    m = st.columns(4)
    m[0].metric(f"Output spread, layer {depth}", f"{result['x_std'][-1]:.3g}")
    m[1].metric("Gradient spread, layer 1", f"{result['delta_std'][0]:.3g}")
    ratio = result["delta_std"][0] / result["delta_std"][-1] if result["delta_std"][-1] > 0 else float("nan")
    m[2].metric(f"Gradient ratio layer 1 / layer {depth}", f"{ratio:.3g}", help="Below 1: gradients shrink on the way back.")
    m[3].metric("Most saturated layer", f"{result['saturated'].max():.1%}",
                help="tanh: |x| > 0.99; sigmoid: x outside [0.01, 0.99]; other activations do not saturate.")
    if not np.all(np.isfinite(result["x_std"])):
        st.error("Some outputs overflowed to infinity (the weights are far too large for this depth); those layers are not drawn.",
                 icon=":material/error:")
    st.caption("Colour is each layer's histogram divided by its own tallest bin, over one range shared by all layers: "
               "a layer whose values shrank shows as a single dark cell at 0.")
    return {"scheme": scheme, "scale": scale, "depth": depth, "width": width, "activation": activation, **result}


def variance_law_section() -> dict:
    """Var(z^(l)) against depth with the notes' law drawn over it, and ReLU's factor 2."""
    st.header("The variance law")
    st.markdown(
        "For one unit, z = Σᵢ βᵢ xᵢ with n independent, zero-mean inputs and weights. The variances of the n terms add, "
        "so Var(z) = n·Var(β)·Var(x): every layer multiplies the spread by n·Var(β). Over l layers (ignoring the "
        "activation, which tanh near 0 does) that is a power, so the spread neither explodes nor dies only when "
        "n·Var(β) = 1, which is drawing β with standard deviation 1/√n (LeCun). A ReLU sets half of its inputs to zero "
        "and halves the second moment it passes on, so it needs n·Var(β) = 2 (He)."
    )
    st.latex(r"\mathrm{Var}(z^{(l)}) = \big[n\,\mathrm{Var}(\beta)\big]^{l}\,\mathrm{Var}(x)\qquad"
             r"\text{ReLU: }\ \mathrm{Var}(z^{(l)}) = n\mathrm{Var}(\beta)\,\Big[\tfrac{n\mathrm{Var}(\beta)}{2}\Big]^{l-1}\mathrm{Var}(x)")
    c = st.columns(4)
    with c[0]:
        n_var_beta = st.select_slider("n·Var(β)", N_VAR_BETA, 1.0, key="init_law_nvar", format_func=fmt, bind="query-params",
                                      help="The weights are drawn from N(0, Var(β)) with Var(β) = this / n.")
    with c[1]:
        activation = st.selectbox("Activation", LAW_ACTIVATIONS, key="init_law_activation", format_func=ACTIVATION_NAMES.get,
                                  bind="query-params")
    with c[2]:
        depth = st.slider("Depth", 2, 20, 20, key="init_law_depth", bind="query-params")
    with c[3]:
        width = st.slider("Width n", 4, 64, 32, key="init_law_width", bind="query-params")
    law = variance_law(float(n_var_beta), depth, width, activation)
    predictions = {"the notes' law [n·Var(β)]ˡ·Var(x)": law["notes_law"]}
    if activation in ("relu", "leaky_relu"):
        predictions["with ReLU's halving"] = law["predicted"]
    left, right = st.columns([1.2, 1])
    with left:
        st.plotly_chart(dc.variance_law_figure(law["measured"], predictions,
                                               f"Var(z⁽ˡ⁾) by layer: {ACTIVATION_NAMES[activation]}, n·Var(β) = {n_var_beta:g}"),
                        key="init_law")
    lecun, he = variance_law(1.0, 20, 32, "relu"), variance_law(2.0, 20, 32, "relu")
    with right:
        st.plotly_chart(dc.per_layer_figure({"LeCun, n·Var(β) = 1": lecun["measured"].mean(0), "He, n·Var(β) = 2": he["measured"].mean(0),
                                             "ReLU law, LeCun": lecun["predicted"], "ReLU law, He": he["predicted"]},
                                            "ReLU, 20 layers of 32: LeCun fails, He holds", "Var(z⁽ˡ⁾), mean of 10 seeds",
                                            dashes={"ReLU law, LeCun": "dash", "ReLU law, He": "dash"},
                                            colors={"LeCun, n·Var(β) = 1": "#D55E00", "ReLU law, LeCun": "#D55E00",
                                                    "He, n·Var(β) = 2": "#0072B2", "ReLU law, He": "#0072B2"}),
                        key="init_law_relu")
    mean = law["measured"].mean(axis=0)
    m = st.columns(3)
    m[0].metric(f"Measured Var(z⁽{depth}⁾)", f"{mean[-1]:.3g}")
    m[1].metric("Notes' law", f"{law['notes_law'][-1]:.3g}")
    m[2].metric("Measured / notes' law at the last layer", f"{mean[-1] / law['notes_law'][-1]:.3g}")
    if activation == "tanh" and n_var_beta > 1:
        st.caption("tanh flattens large inputs, so above n·Var(β) = 1 the measured variance grows more slowly than the law: "
                   "the units saturate instead.")
    elif activation == "sigmoid":
        st.caption("The sigmoid's outputs are positive with mean ½, so the law's zero-mean assumption fails: "
                   "the variance is set by the mean, not by n·Var(β) alone.")
    st.caption(f"Measured: LeCun for ReLU ends at Var(z⁽²⁰⁾) = {lecun['measured'].mean(0)[-1]:.2g} (the law with halving: "
               f"2⁻¹⁹ = {lecun['predicted'][-1]:.2g}), He stays near {he['measured'].mean(0)[-1]:.2g}. "
               "Dots are single seeds (1000 inputs each), the thick line their mean, dashed lines the predictions.")
    return {"n_var_beta": float(n_var_beta), "activation": activation, "depth": depth, "width": width, **law}


def symmetry_section() -> dict:
    """Constant weights keep units exactly tied through training; random weights break the tie; zero weights
    leave every hidden gradient exactly 0."""
    st.header("Symmetry: why the weights must be random")
    st.markdown(
        f"A network with two tanh layers of {SYMMETRY_WIDTHS[0]} units learns the two moons with plain SGD, three times "
        "from three starts. When every weight starts at the same constant c, all units of a layer compute the same "
        "output, receive the same gradient, take the same step, and so stay identical forever: the layer behaves like "
        "a single unit. Random weights give each unit its own start. With every weight zero the hidden outputs are 0, "
        "so nothing flows back to the hidden layers: their gradient is exactly zero, the saddle point of the two-layer "
        "surfaces, now in a real network."
    )
    c = st.columns(4)
    with c[0]:
        value = st.slider("Constant c", 0.05, 1.0, 0.5, 0.05, key="init_sym_c", bind="query-params")
    with c[1]:
        lr = log_slider("Learning rate η", "init_sym_lr", LEARNING_RATES, 0.5)
    with c[2]:
        epochs = st.slider("Epochs", 20, 600, 200, 20, key="init_sym_epochs", bind="query-params")
    with c[3]:
        seed = int(st.number_input("Seed (random start, batches)", 0, 10_000, 0, key="init_sym_seed", bind="query-params"))
    with st.spinner("Training three networks..."):
        runs = symmetry_runs(float(value), float(lr), int(epochs), seed)
    epochs_axis = runs["epochs"]
    st.plotly_chart(dc.tied_weights_figure(epochs_axis, {f"constant c = {value:g}": runs["pairs"][0], "random (Glorot)": runs["pairs"][1]},
                                           "Incoming weights of units 1 and 2 of layer 1 during training"), key="init_sym_weights")
    left, right = st.columns(2)
    names = {0: f"constant c = {value:g}", 1: "random (Glorot)", 2: "zeros"}
    with left:
        st.plotly_chart(dc.curves_figure(epochs_axis, {names[0]: runs["differences"][0], names[1]: runs["differences"][1]},
                                         "Largest difference between a unit and unit 1", "epoch", "max |unit j − unit 1|"),
                        key="init_sym_difference")
    with right:
        st.plotly_chart(dc.curves_figure(epochs_axis, {names[r]: runs["loss"][r] for r in range(3)},
                                         "Training loss", "epoch", "mean log-loss"), key="init_sym_loss")
    layer_names = [f"hidden layer {l + 1}" for l in range(len(SYMMETRY_WIDTHS))] + ["output layer"]
    st.plotly_chart(dc.gradient_norm_bars({names[r]: runs["grad_norm_start"][r] for r in range(3)}, layer_names,
                                          "Gradient per layer at the start"), key="init_sym_gradients")
    m = st.columns(4)
    m[0].metric("Constant start: largest unit difference, whole run", f"{runs['differences'][0].max():.3g}")
    m[1].metric("Random start: largest unit difference at the end", f"{runs['differences'][1][-1]:.3g}")
    m[2].metric("Zero start: largest hidden gradient, whole run", f"{np.abs(runs['hidden_grad_norms'][2]).max():.3g}")
    m[3].metric("Test accuracy at the end: constant / random / zeros",
                " / ".join(f"{runs['test_accuracy'][r][runs['valid'][r] - 1]:.0%}" for r in range(3)))
    for r in range(3):
        if runs["messages"][r] != "ran to the end":
            st.error(f"The {names[r]} run {runs['messages'][r]}. Lower the learning rate.", icon=":material/error:")
    st.caption("A difference of exactly 0 is not drawn on a log scale, so this chart is linear. Only the output bias "
               "learns from the zero start, which is why its loss moves a little and then stops. Early stopping, which "
               "acts like a prior that keeps the weights near their initialization, is part of the regularization pages "
               "still to come.")
    return {"constant_value": float(value), "lr": float(lr), "epochs": int(epochs), **runs}


st.title("Initialization")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
verdict = st.container()
results = {"notes": notes_section(), "explore": explore_section(), "law": variance_law_section(), "symmetry": symmetry_section()}
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, {}))
