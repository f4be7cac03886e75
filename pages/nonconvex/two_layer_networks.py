"""Two-layer networks: the smallest networks whose error is already non-convex."""

import math

import pandas as pd
import streamlit as st

from analysis.basins import BASIN_RESOLUTION, BASIN_STEPS, DIVERGED, MAX_BASIN_STEPS, UNSETTLED
from analysis.restarts import restarts_needed
from landscapes.networks import TANH_TARGETS
from optimizers import OPTIMIZERS
from ui.compute import landscape_from
from ui.controls import LEARNING_RATES, log_slider
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.nonconvex import two_layer_networks_views as views
from ui.nonconvex.two_layer_networks_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS, checked_in
from ui.theme import presentation_on
from ui.urlstate import LABELS

FIRST_ORDER = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
RESTART_K = 30  # restarts are always measured up to K = 30; the K input only moves the readout
RESTART_TRIALS = 200
GRID_SIZES = [32, 64, 96, 128, 160]
PLATEAU_GAP = views.PLATEAU_GAP  # a plateau step: error still this far above the best minimum

present = presentation_on()

st.title("Two-layer networks: symmetric solutions, saddles and plateaus")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
st.markdown(
    "One weight per layer is enough to lose convexity. With a hidden weight $w$ and an output weight $v$, "
    "the network only uses their product (linear case) or $v\\tanh(wx)$ (tanh case), so many weight pairs "
    "give the same prediction, zero is a saddle, and a saturated tanh leaves large flat regions."
)
c1, c2 = st.columns(2)
with c1:
    st.latex(r"E_{\text{lin}}(w, v) = \frac1N\sum_{n}(v\,w\,x_n - t_n)^2 + \lambda\,(v^2 + w^2)")
with c2:
    st.latex(r"E_{\tanh}(w, v) = \frac1N\sum_{n}\big(v\tanh(w\,x_n) - t_n\big)^2 + \lambda\,(v^2 + w^2)")

# ---- the network and its data -------------------------------------------------------------------
MODEL_LABELS = {"two_layer_linear": "Linear: one example x = 1, t = 1, λ = 0.1", "two_layer_tanh": "tanh: a dataset you choose"}
COLOR_LABELS = {"minimum": "minimum reached", "loss": "final error", "divergence": "diverged or not"}
RS_LABELS = {"network": "this network", "six_hump_camel": "six-hump camel (4 worse local minima)"}
# These widgets write their labels into the URL; the link check and the presets' links need to know them.
LABELS.update(net_model=MODEL_LABELS.get, net_basin_color=COLOR_LABELS.get, net_rs_loss=RS_LABELS.get,
              net_basin_opt=lambda k: OPTIMIZERS[k].name, net_pl_opts=lambda k: OPTIMIZERS[k].name)
model = st.radio("Network", list(MODEL_LABELS), horizontal=True, key="net_model", bind="query-params",
                 format_func=MODEL_LABELS.get)
settings: tuple = ()
if model == "two_layer_tanh":
    c1, c2, c3 = st.columns(3)
    with c1:
        n = st.slider("Data points N", 4, 200, 24, key="net_n", bind="query-params")
    with c2:
        noise = st.slider("Target noise", 0.0, 1.0, 0.1, 0.05, key="net_noise", bind="query-params")
    with c3:
        target = st.selectbox("Target function", list(TANH_TARGETS), key="net_target", bind="query-params")
    settings = tuple(sorted({"n_samples": int(n), "noise": float(noise), "target": target}.items()))
landscape = landscape_from(model, settings)

# ---- 1. surface and critical points --------------------------------------------------------------
st.header("1 · The error surface and its critical points")
st.markdown(
    "Critical points ($\\nabla E = 0$) are found numerically: Newton's method on the gradient from a grid of "
    "starts converges to minima and saddles alike, and the signs of the Hessian's eigenvalues say which is which "
    "(both positive: minimum ★; mixed: saddle ✕)."
)
section = views.surface(model, settings, present)
left, right = st.columns([1.1, 1])
with left:
    st.plotly_chart(section["map"], key="net_surface_map")
with right:
    st.plotly_chart(section["surface"], key="net_surface_3d")

st.dataframe(pd.DataFrame(section["table"]), hide_index=True, width="stretch")
if section["mirror"] is not None:
    m = section["mirror"]
    st.markdown(
        f"**Equivalent solutions.** The sign flip $(w, v) \\to (-w, -v)$ leaves the error unchanged "
        f"(E at ({m['x']:.3f}, {m['y']:.3f}) = {m['loss']:.5f}; at the mirror point {m['mirror']:.5f}), so every minimum has a twin. "
        + ("In the linear net only the product $vw$ enters the data term: without weight decay the whole dashed "
           "hyperbola would be equally good; the penalty $\\lambda(v^2 + w^2)$ picks its two points with $|w| = |v|$."
           if model == "two_layer_linear" else
           "Rescaling is not free here (tanh bends), but the mirror symmetry is exact because tanh is odd.")
    )

# ---- 2. zero vs small random initialization --------------------------------------------------------
st.header("2 · Initialize at zero and nothing happens")
st.latex(r"\frac{\partial E}{\partial w}\Big|_{0} = \frac1N\sum_n 2\,(0 - t_n)\,v\,x_n\Big|_{v=0} + 2\lambda w\Big|_{w=0} = 0,\qquad "
         r"\frac{\partial E}{\partial v}\Big|_{0} = 0")
st.markdown("At $w = v = 0$ each weight's gradient is multiplied by the other weight, so both vanish: the origin is a "
            "saddle and gradient descent started there stays there forever. Any small random start escapes along the "
            "direction of negative curvature.")
c1, c2 = st.columns(2)
with c1:
    init_scale = log_slider("Scale of the small random starts", "net_init_scale", [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3], 1e-2)
with c2:
    init_lr = log_slider("Learning rate η (from zero)", "net_init_lr", LEARNING_RATES, 0.1)
section = views.zero_init(model, settings, float(init_scale), float(init_lr), present)
if checked_in(challenge, "zero_init"):
    show_challenge_result(challenge, *challenge.check(
        {"init": views.init_trajectories(model, settings, float(init_scale), float(init_lr))},
        {"model": model, "landscape": landscape, "init_scale": init_scale, "init_lr": init_lr}))
left, right = st.columns([1.1, 1])
with left:
    st.plotly_chart(section["map"], key="net_zero_map")
with right:
    c1, c2, c3 = st.columns(3)
    c1.metric(f"Moved from zero in {views.INIT_STEPS} GD steps", f"{section['moved']:.3g}")
    c2.metric("|∇E| at zero", f"{section['grad_at_zero']:.3g}")
    c3.metric("Random starts that escaped", f"{section['escaped']} of {section['random_starts']}",
              help="|θ| > 0.1 after 300 steps.")
    st.plotly_chart(section["losses"], key="net_zero_loss")

# ---- 3. basins of attraction ------------------------------------------------------------------------
st.header("3 · Basins of attraction")
st.markdown("Every pixel is a start. All runs go in **one vectorized, compiled call** and each pixel is coloured by "
            "the minimum its run ended in (or its final error, or whether it diverged). Larger learning rates and "
            "momentum blur the boundaries: runs overshoot into the other basin.")
c1, c2, c3, c4 = st.columns(4)
with c1:
    basin_opt = st.selectbox("Optimizer", FIRST_ORDER, key="net_basin_opt", bind="query-params",
                             format_func=lambda k: OPTIMIZERS[k].name)
with c2:
    basin_lr = log_slider("Learning rate η (basins)", "net_basin_lr", LEARNING_RATES, 0.1)
with c3:
    resolution = st.select_slider("Grid (starts per side)", GRID_SIZES, BASIN_RESOLUTION, key="net_basin_grid",
                                  bind="query-params")
with c4:
    basin_steps = st.number_input("Steps per run", 1, 100_000, BASIN_STEPS, 50, key="net_basin_steps", bind="query-params")
color_by = st.radio("Colour by", ["minimum", "loss", "divergence"], horizontal=True, key="net_basin_color",
                    bind="query-params", format_func=COLOR_LABELS.get)
if basin_steps > MAX_BASIN_STEPS:
    st.warning(f"{basin_steps:,} steps asked for; basin maps run at most {MAX_BASIN_STEPS} steps per start "
               f"({resolution}² starts at once), so {MAX_BASIN_STEPS} run.", icon=":material/warning:")
    basin_steps = MAX_BASIN_STEPS
with st.spinner(f"Running {resolution * resolution:,} trajectories..."):
    section = views.basins(model, settings, basin_opt, float(basin_lr), int(basin_steps), int(resolution), color_by, present)
if checked_in(challenge, "basins"):
    show_challenge_result(challenge, *challenge.check(
        {"basin": views.basin_map(model, settings, basin_opt, float(basin_lr), int(basin_steps), int(resolution))},
        {"model": model, "landscape": landscape, "optimizer": basin_opt, "lr": basin_lr}))
left, right = st.columns([1.4, 1])
with left:
    st.plotly_chart(section["map"], key="net_basin_map")
with right:
    shares = section["shares"]
    for i, (x, y) in enumerate(section["minima"]):
        st.metric(f"Minimum {i + 1} at ({x:.2f}, {y:.2f})", f"{100 * shares.get(i, 0.0):.1f} % of starts")
    st.metric("Not settled near a minimum", f"{100 * shares.get(UNSETTLED, 0.0):.1f} %")
    st.metric("Diverged", f"{100 * shares.get(DIVERGED, 0.0):.1f} %")
    st.caption(f"{resolution}×{resolution} = {resolution * resolution:,} runs of {section['n_steps']} steps in one call: "
               f"{section['seconds']:.2f} s (first call per grid size includes compiling).")
    if model == "two_layer_linear" and shares.get(UNSETTLED, 0.0) > 0:
        st.caption("Grey pixels on the diagonal v = −w: by symmetry such runs never leave that line and slide into "
                   "the saddle, the one line of starts that plain GD never escapes from.")
    if shares.get(DIVERGED, 0.0) > 0.5:
        st.error("Most runs diverged: the learning rate is beyond the stable range 2/λ_max of the curvature met on the way.",
                 icon=":material/error:")

# ---- 4. random restarts ---------------------------------------------------------------------------
st.header("4 · Random restarts")
st.markdown("Train from $K$ random starts and keep the run with the lowest error. If a single run finds the global "
            "minimum with probability $p$, at least one of $K$ independent runs does with probability")
st.latex(r"P(K) = 1 - (1 - p)^K")
c1, c2, c3 = st.columns(3)
with c1:
    rs_target = st.radio("Loss", ["network", "six_hump_camel"], key="net_rs_loss", bind="query-params", index=1,
                         format_func=RS_LABELS.get)
with c2:
    rs_lr = log_slider("Learning rate η (restarts)", "net_rs_lr", LEARNING_RATES, 0.02)
with c3:
    k_asked = st.number_input("K to read off", 1, 10_000, 5, key="net_rs_k", bind="query-params")
if k_asked > RESTART_K:
    st.warning(f"K = {k_asked:,} asked for; the study measures up to K = {RESTART_K} restarts "
               f"({RESTART_TRIALS} trials × {RESTART_K} runs), so K = {RESTART_K} is shown.", icon=":material/warning:")
    k_asked = RESTART_K
rs_key, rs_settings = (model, settings) if rs_target == "network" else ("six_hump_camel", (("n_samples", 1),))
with st.spinner("Running the restarts..."):
    section = views.restarts(rs_key, rs_settings, float(rs_lr), RESTART_K, RESTART_TRIALS, present)
left, right = st.columns(2)
with left:
    st.plotly_chart(section["p"], key="net_restart_p")
with right:
    st.plotly_chart(section["ends"], key="net_restart_ends")
c1, c2, c3 = st.columns(3)
c1.metric("p: one run reaches the global minimum", f"{section['single_success']:.2f}")
c2.metric(f"Best of K = {k_asked}: measured", f"{section['measured'][k_asked - 1]:.3f}",
          help=f"Formula: {section['predicted'][k_asked - 1]:.3f}")
needed = restarts_needed(section["single_success"])
c3.metric("Restarts for 95 % confidence", "never" if not math.isfinite(needed) else f"{needed:.0f}")
if rs_target == "network" and section["single_success"] > 0.99:
    st.info("On this network every run that settles reaches a global minimum: the two minima are mirror images with "
            "equal error. Restarts pay off where minima differ, as on the six-hump camel.", icon=":material/info:")

# ---- 5. plateaus -----------------------------------------------------------------------------------
st.header("5 · Plateaus: flat ground that is not a minimum")
st.markdown("Where tanh saturates, changing $w$ barely changes the output, so the gradient is tiny although the error "
            "is high. Starting at large $|w|$, plain GD crawls across such a plateau; momentum builds up speed and adaptive methods rescale the "
            "small gradient. A step counts as *on the plateau* when $|\\nabla E|$ is below the threshold while the error "
            f"is still more than {PLATEAU_GAP} above the best minimum's.")
c1, c2, c3 = st.columns(3)
with c1:
    pl_opts = st.multiselect("Optimizers", FIRST_ORDER, default=["sgd", "momentum", "adam", "rmsprop"], key="net_pl_opts",
                             bind="query-params", format_func=lambda k: OPTIMIZERS[k].name)
with c2:
    pl_lr = log_slider("Learning rate η (plateau race)", "net_pl_lr", LEARNING_RATES, 0.05)
with c3:
    grad_tol = log_slider("Plateau: |∇E| below", "net_pl_tol", [1e-2, 3e-2, 0.1, 0.3], 0.1)
pl_settings = settings if model == "two_layer_tanh" else ()
if model != "two_layer_tanh":
    st.caption("Plateaus come from the saturating tanh, so this section always uses the tanh network "
               "(its default dataset while the linear network is selected above).")
section = views.plateau(pl_settings, tuple(pl_opts), float(pl_lr), float(grad_tol), present)
left, right = st.columns(2)
with left:
    st.plotly_chart(section["loss_map"], key="net_pl_loss_map")
with right:
    st.plotly_chart(section["grad_map"], key="net_pl_grad_map")
if pl_opts:
    left, right = st.columns(2)
    with left:
        st.plotly_chart(section["losses"], key="net_pl_losses")
    with right:
        st.plotly_chart(section["steps"], key="net_pl_steps")
else:
    st.info("Choose at least one optimizer to race across the plateau.", icon=":material/info:")
