"""Training a network: TensorFlow Playground with the lab's own optimizers, any depth, and every
snapshot of the run scrubbed in the browser."""

import math

import pandas as pd
import streamlit as st

from networks import ACTIVATIONS, WEIGHT_SCHEMES
from networks.datasets import DATASETS, FEATURES_1D, FEATURES_2D, MAX_POINTS, REGRESSION, TITLES
from optimizers import OPTIMIZERS
from ui.controls import BETA2S, EPSILONS, LEARNING_RATES, csv_rows, fmt, log_slider
from ui.deep_networks import charts as dc
from ui.compute import remember_user_data
from ui.deep_networks.compute import OWN_DATA, network_diagram, own_training_run, training_run
from ui.deep_networks.training_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import presentation_on
from ui.urlstate import LABELS

MAX_DEPTH, MAX_WIDTH, MAX_EPOCHS = 8, 64, 2000
FIRST_ORDER = [k for k, o in OPTIMIZERS.items() if o.family == "first-order"]
TRAINING_SCHEMES = [k for k in WEIGHT_SCHEMES if k not in ("constant",)]
SCHEME_NAMES = {k: s.name for k, s in WEIGHT_SCHEMES.items()}
ACTIVATION_NAMES = {k: a.name for k, a in ACTIVATIONS.items()}
DATASET_TITLES = {**TITLES, OWN_DATA: "Your own CSV"}
ROW_KINDS = {"classification": "x1, x2, label", "regression": "x, t"}
LABELS.update({"train_dataset": DATASET_TITLES.get, "train_activation": ACTIVATION_NAMES.get, "train_scheme": SCHEME_NAMES.get,
               "train_optimizer": lambda k: OPTIMIZERS[k].name, "train_beta2": fmt, "train_eps": fmt})


def own_rows() -> tuple[str | None, bool]:
    """The user's own CSV (kept in this session only): its fingerprint, or None while there is none, and
    whether it is 1-D (x, t: regression) rather than (x1, x2, label)."""
    kind = st.segmented_control("Your rows are", list(ROW_KINDS), default="classification", format_func=ROW_KINDS.get,
                                key="train_own_kind") or "classification"
    data = csv_rows("train_own", kind)
    if data is None:
        return None, False
    if not 10 <= data.n_rows <= MAX_POINTS:
        st.error(f"A network needs between 10 and {MAX_POINTS:,} rows here; your CSV has {data.n_rows:,}. The built-in "
                 "data is shown instead.", icon=":material/error:")
        return None, False
    return remember_user_data(data), kind == "regression"


def parse_widths(text: str, depth: int, width: int, notes: list) -> tuple:
    """Per-layer widths typed as "16, 8, 4" (overriding depth x width), clamped to 1..64 and 8 layers."""
    if not text.strip():
        return (width,) * depth
    try:
        widths = [int(float(part)) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        notes.append(f"The widths {text!r} are not whole numbers separated by commas; using {depth} layers of {width}.")
        return (width,) * depth
    if not widths:
        return (width,) * depth
    if len(widths) > MAX_DEPTH:
        notes.append(f"{len(widths)} layers asked for; the page trains at most {MAX_DEPTH}, so the first {MAX_DEPTH} are used.")
        widths = widths[:MAX_DEPTH]
    clamped = [min(max(w, 1), MAX_WIDTH) for w in widths]
    if clamped != widths:
        notes.append(f"Widths are limited to 1..{MAX_WIDTH} units: {widths} became {clamped}.")
    return tuple(clamped)


def controls_section() -> dict:
    """Every setting of the run, in the sidebar."""
    notes: list[str] = []
    with st.sidebar:
        st.header("Data")
        dataset = st.selectbox("Dataset", [*DATASETS, OWN_DATA], key="train_dataset", format_func=DATASET_TITLES.get,
                               bind="query-params")
        fingerprint, one_d = None, dataset in REGRESSION
        if dataset == OWN_DATA:
            fingerprint, one_d = own_rows()
        own = fingerprint is not None
        if dataset == OWN_DATA and not own:
            dataset, one_d = DATASETS[0], False
        n_points = st.slider("Points", 100, 2000, 400, 50, key="train_points", bind="query-params", disabled=own,
                             help="Split 70 / 15 / 15 into train, validation and test.")
        noise = st.slider("Noise", 0.0, 1.0, 0.1, 0.05, key="train_noise", bind="query-params", disabled=own)
        options = FEATURES_1D if one_d else FEATURES_2D
        features = st.multiselect("Input features", options, default=list(options[:1 if one_d else 2]),
                                  key=f"train_features_{'1d' if one_d else '2d'}", bind="query-params")
        if not features:
            notes.append("No input feature chosen: the network needs at least one, so it sees the raw coordinates.")
            features = list(options[:1 if one_d else 2])
        st.header("Network")
        depth = st.slider("Hidden layers", 1, MAX_DEPTH, 2, key="train_depth", bind="query-params")
        width = st.slider("Units per layer", 1, MAX_WIDTH, 8, key="train_width", bind="query-params")
        widths_text = st.text_input("Or widths per layer", "", max_chars=80, key="train_widths", bind="query-params",
                                    placeholder="e.g. 16, 8, 4", help="Overrides the two sliders above.")
        activation = st.selectbox("Activation", list(ACTIVATIONS), index=list(ACTIVATIONS).index("tanh"), key="train_activation",
                                  format_func=ACTIVATION_NAMES.get, bind="query-params")
        scheme = st.selectbox("Initialization", TRAINING_SCHEMES, index=TRAINING_SCHEMES.index("glorot_normal"),
                              key="train_scheme", format_func=SCHEME_NAMES.get, bind="query-params")
        st.header("Optimizer")
        optimizer = st.selectbox("Optimizer", FIRST_ORDER, index=FIRST_ORDER.index("momentum"), key="train_optimizer",
                                 format_func=lambda k: OPTIMIZERS[k].name, bind="query-params")
        lr = log_slider("Learning rate η", "train_lr", LEARNING_RATES, 0.05)
        momentum = st.slider("Momentum β", 0.0, 0.99, 0.9, 0.01, key="train_momentum", bind="query-params")
        beta1 = st.slider("β₁ (Adam)", 0.0, 0.99, 0.9, 0.01, key="train_beta1", bind="query-params")
        beta2 = st.select_slider("β₂ / ρ", BETA2S, 0.999, key="train_beta2", format_func=fmt, bind="query-params")
        eps = st.select_slider("ε", EPSILONS, 1e-8, key="train_eps", format_func=fmt, bind="query-params")
        weight_decay = st.slider("Weight decay (AdamW)", 0.0, 0.1, 0.0, 0.005, key="train_wd", bind="query-params")
        st.header("Run")
        batch = st.slider("Batch size B", 1, 256, 32, key="train_batch", bind="query-params",
                          help="Minibatches drawn without replacement each epoch; above the training set it is the full batch.")
        epochs = int(st.number_input("Epochs", 20, 100_000, 300, 20, key="train_epochs", bind="query-params",
                                     help=f"At most {MAX_EPOCHS} run."))
        stop = st.number_input("Stop at test loss below (0 = off)", 0.0, 10.0, 0.0, 0.01, format="%.3f",
                               key="train_stop", bind="query-params")
        seed = int(st.number_input("Seed", 0, 10_000, 0, key="train_seed", bind="query-params"))
    if epochs > MAX_EPOCHS:
        notes.append(f"{epochs:,} epochs asked for; runs are limited to {MAX_EPOCHS:,} to keep the server responsive.")
        epochs = MAX_EPOCHS
    widths = parse_widths(widths_text, depth, width, notes)
    for note in notes:
        st.warning(note, icon=":material/warning:")
    used = set(OPTIMIZERS[optimizer].hyperparameters)
    hyper = {"lr": float(lr), "momentum": float(momentum), "beta1": float(beta1), "beta2": float(beta2), "eps": float(eps),
             "weight_decay": float(weight_decay)}
    return {"dataset": dataset, "own": fingerprint, "n_points": int(n_points), "noise": float(noise), "features": tuple(features),
            "widths": widths, "activation": activation, "scheme": scheme, "optimizer": optimizer,
            "hyper": tuple(sorted(hyper.items())), "used": used, "batch": int(batch), "epochs": epochs,
            "stop": float(stop) if stop > 0 else -math.inf, "seed": seed}


def run_section(c: dict) -> dict:
    """Train (cached by every setting); say why a run stopped."""
    with st.spinner("Training..."):
        if c["own"]:
            result = own_training_run(c["own"], c["features"], c["widths"], c["activation"], c["scheme"], c["optimizer"],
                                      c["hyper"], c["batch"], c["epochs"], c["stop"], c["seed"])
        else:
            result = training_run(c["dataset"], c["n_points"], c["noise"], 0, c["features"], c["widths"], c["activation"],
                                  c["scheme"], c["optimizer"], c["hyper"], c["batch"], c["epochs"], c["stop"], c["seed"])
    if result["status"] in (1, 2, 3):
        st.error(f"The run diverged and was stopped: {result['message']}. The charts end at the last good snapshot "
                 f"(epoch {int(result['epochs'][-1])}). Lower the learning rate.", icon=":material/error:")
    elif result["status"] == 4:
        st.info(f"Stopped by the stop condition: {result['message']}.", icon=":material/flag:")
    return result


def boundary_section(c: dict, result: dict) -> None:
    st.plotly_chart(dc.training_scrubber_figure(result), key="train_scrubber")
    last = result["loss"][-1]
    m = st.columns(4)
    m[0].metric("Final loss: train / test", f"{last[0]:.3g} / {last[2]:.3g}")
    if result["task"] == "classification":
        acc = result["accuracy"][-1]
        m[1].metric("Final accuracy: train / test", f"{acc[0]:.0%} / {acc[2]:.0%}")
    else:
        m[1].metric("Validation loss at the end", f"{last[1]:.3g}")
    m[2].metric("Parameters", f"{result['n_params']:,}")
    m[3].metric("Epochs run", f"{int(result['epochs'][-1])}")
    st.caption("The scrubber and play button move through the run's snapshots in the browser itself: every snapshot is "
               "already in the chart, so nothing is recomputed. The map's colour is the network's probability of class 1 "
               "(blue) against class 0 (orange); filled points are training points, open diamonds test points.")


@st.fragment
def diagram_section(c: dict, result: dict) -> None:
    """The network drawn unit by unit at a chosen snapshot (a fragment: the epoch choice reruns only this)."""
    st.subheader("The network, unit by unit")
    epochs = [int(e) for e in result["epochs"]]
    if len(epochs) > 1:
        epoch = st.select_slider("Diagram at epoch", epochs, epochs[-1], key="train_diagram_epoch")
    else:
        epoch = epochs[0]
    snapshot = epochs.index(epoch) if epoch in epochs else len(epochs) - 1
    run_key = tuple(sorted((k, v) for k, v in c.items() if k != "used"))
    st.plotly_chart(network_diagram(run_key, snapshot, presentation_on(), result, private=bool(c["own"])), key="train_diagram")
    st.caption("Each square is one unit: its output over the whole input plane (for 1-D data, over the line), blue where "
               "it is positive and orange where negative, scaled to the unit's own largest value (white: zero, so a dead "
               "ReLU is blank). The first column holds the input features, the last the network's output. Lines are the "
               "weights between the drawn units: blue positive, orange negative, thicker when larger in their layer.")


def layers_section(result: dict) -> None:
    st.subheader("Inside the network, layer by layer")
    L = len(result["widths"])
    table = pd.DataFrame({
        "layer": [f"hidden {l + 1}" for l in range(L)],
        "units": list(result["widths"]),
        "output spread at the start": result["x_std"][0],
        "output spread at the end": result["x_std"][-1],
        "saturated at the end": [f"{v:.1%}" for v in result["saturated"][-1]],
        "dead units at the end": result["dead"][-1].astype(int),
        "gradient norm at the start": result["grad_norm"][0, :L],
        "gradient norm at the end": result["grad_norm"][-1, :L],
    })
    st.dataframe(table, hide_index=True, width="stretch")
    names = [f"hidden {l + 1}" for l in range(L)] + ["output"]
    left, right = st.columns(2)
    with left:
        st.plotly_chart(dc.curves_figure(result["epochs"], {n: result["grad_norm"][:, i] for i, n in enumerate(names)},
                                         "Gradient norm per layer", "epoch", "‖∂L/∂θ‖", log_y=True), key="train_grad_norms")
    with right:
        if ACTIVATIONS[result["activation"]].can_die:
            series, title, y = ({names[l]: result["dead"][:, l] for l in range(L)}, "Dead ReLU units per layer", "units dead on every input")
        else:
            series, title, y = ({names[l]: result["saturated"][:, l] for l in range(L)}, "Saturated outputs per layer", "share saturated")
        st.plotly_chart(dc.curves_figure(result["epochs"], series, title, "epoch", y), key="train_units")


def outcome_section(result: dict) -> None:
    if result["confusion"] is None:
        st.caption("Regression: no confusion matrix; the fit is drawn over the points above.")
        return
    left, right = st.columns([1, 1.4])
    with left:
        st.plotly_chart(dc.confusion_figure(result["confusion"]), key="train_confusion")
    with right:
        cm = result["confusion"]
        st.markdown(f"Of {int(cm.sum())} test points, **{int(cm[0, 1])}** of class 0 were called class 1 and "
                    f"**{int(cm[1, 0])}** of class 1 were called class 0.")


st.title("Training a network")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
st.markdown(
    "Choose a dataset, the network's inputs, its depth and widths, an activation, an initialization and one of the "
    "lab's optimizers (the same update rules the Playground races), and train. The map shows what the network "
    "predicts over the plane; the curves show the loss and accuracy on the training, validation and test points."
)
verdict = st.container()
settings = controls_section()
result = run_section(settings)
boundary_section(settings, result)
diagram_section(settings, result)
layers_section(result)
outcome_section(result)
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check({"run": result}, settings))
