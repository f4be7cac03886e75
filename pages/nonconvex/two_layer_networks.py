"""Two-layer networks: the smallest networks whose error is already non-convex."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis.basins import BASIN_RESOLUTION, BASIN_STEPS, DIVERGED, MAX_BASIN_STEPS, UNSETTLED, plateau_steps, product_curve
from analysis.curvature import curvature_at
from analysis.restarts import restarts_needed
from landscapes.networks import TANH_TARGETS
from optimizers import OPTIMIZERS
from optimizers.engine import RunSettings
from ui import charts
from ui.nonconvex import charts as nc
from ui.nonconvex import compute
from ui.compute import landscape_from, loss_grid
from ui.controls import LEARNING_RATES, log_slider
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import SEQUENCE, optimizer_color
from ui.nonconvex.two_layer_networks_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS, checked_in
from ui.urlstate import LABELS

FIRST_ORDER = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]
RESTART_K = 30  # restarts are always measured up to K = 30; the K input only moves the readout
RESTART_TRIALS = 200
GRID_SIZES = [32, 64, 96, 128, 160]
PLATEAU_GAP = 0.01  # a plateau step: error still this far above the best minimum

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
grid = loss_grid(model, settings)

# ---- 1. surface and critical points --------------------------------------------------------------
st.header("1 · The error surface and its critical points")
st.markdown(
    "Critical points ($\\nabla E = 0$) are found numerically: Newton's method on the gradient from a grid of "
    "starts converges to minima and saddles alike, and the signs of the Hessian's eigenvalues say which is which "
    "(both positive: minimum ★; mixed: saddle ✕)."
)
left, right = st.columns([1.1, 1])
with left:
    fig = charts.contour_map(landscape, grid, "Error surface with its critical points", height=520)
    minima = landscape.minima()
    if model == "two_layer_linear" and minima:
        w_curve, v_curve = product_curve(minima[0].x * minima[0].y, landscape.domain)
        fig.add_scatter(x=w_curve, y=v_curve, mode="lines", name="v·w = product at the minima",
                        line=dict(color="white", dash="dash", width=2.5))
    st.plotly_chart(fig, key="net_surface_map")
with right:
    st.plotly_chart(charts.surface_figure(landscape, grid, {}, {}, height=520), key="net_surface_3d")

points = np.array([p.point for p in landscape.critical_points]).reshape(-1, 2)
curv = curvature_at(landscape, points)
gnorm = np.linalg.norm(np.asarray(landscape.gradient(points)), axis=-1)
st.dataframe(pd.DataFrame({
    "type": [p.kind for p in landscape.critical_points],
    "w": points[:, 0].round(4), "v": points[:, 1].round(4),
    "E": [round(p.loss, 5) for p in landscape.critical_points],
    "Hessian eigenvalues": [f"{a:.3g}, {b:.3g}" for a, b in curv.eigenvalues],
    "|∇E|": [f"{g:.1e}" for g in gnorm],
}), hide_index=True, width="stretch")
if minima:
    m = minima[0]
    mirror = float(landscape.loss(-m.point))
    st.markdown(
        f"**Equivalent solutions.** The sign flip $(w, v) \\to (-w, -v)$ leaves the error unchanged "
        f"(E at ({m.x:.3f}, {m.y:.3f}) = {m.loss:.5f}; at the mirror point {mirror:.5f}), so every minimum has a twin. "
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
init_run = RunSettings(lr=init_lr, n_steps=300)
small = init_scale * np.random.default_rng(0).standard_normal((6, 2))
starts = tuple(map(tuple, np.vstack([[0.0, 0.0], small])))
init_traj = compute.runs_from(model, settings, "sgd", init_run, starts)
if checked_in(challenge, "zero_init"):
    show_challenge_result(challenge, *challenge.check(
        {"init": init_traj}, {"model": model, "landscape": landscape, "init_scale": init_scale, "init_lr": init_lr}))
left, right = st.columns([1.1, 1])
with left:
    fig = charts.contour_map(landscape, grid, "GD from zero and from small random starts", height=500)
    paths = {f"random start {i}": init_traj.path(i) for i in range(1, len(starts))}
    nc.add_named_paths(fig, paths, {k: SEQUENCE[(i + 1) % len(SEQUENCE)] for i, k in enumerate(paths)}, markers=False)
    fig.add_scatter(x=init_traj.path(0)[:, 0], y=init_traj.path(0)[:, 1], mode="markers", name="start at zero: every iterate",
                    marker=dict(symbol="circle-open", size=26, color="#D55E00", line=dict(width=4)))
    st.plotly_chart(fig, key="net_zero_map")
with right:
    moved = float(np.max(np.abs(init_traj.path(0))))
    c1, c2, c3 = st.columns(3)
    c1.metric("Moved from zero in 300 GD steps", f"{moved:.3g}")
    c2.metric("|∇E| at zero", f"{float(init_traj.grad_norms(0)[0]):.3g}")
    escaped = [float(np.linalg.norm(init_traj.path(i)[-1])) for i in range(1, len(starts))]
    c3.metric("Random starts that escaped", f"{sum(e > 0.1 for e in escaped)} of {len(escaped)}",
              help="|θ| > 0.1 after 300 steps.")
    curves = {"start at zero": init_traj.losses(0), **{name: init_traj.losses(i + 1) for i, name in enumerate(paths)}}
    colors = {"start at zero": "#D55E00", **{k: SEQUENCE[(i + 1) % len(SEQUENCE)] for i, k in enumerate(paths)}}
    st.plotly_chart(nc.curves_figure(curves, colors, "Error during training", "E", widths={"start at zero": 5},
                                     height=380), key="net_zero_loss")

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
basin_run = RunSettings(lr=basin_lr, momentum=0.9, n_steps=int(basin_steps))
with st.spinner(f"Running {resolution * resolution:,} trajectories..."):
    basin = compute.basin_map(model, settings, basin_opt, basin_run, int(resolution))
if checked_in(challenge, "basins"):
    show_challenge_result(challenge, *challenge.check(
        {"basin": basin}, {"model": model, "landscape": landscape, "optimizer": basin_opt, "lr": basin_lr}))
left, right = st.columns([1.4, 1])
with left:
    st.plotly_chart(nc.basin_figure(basin, landscape, color_by,
                                    f"Basins: {OPTIMIZERS[basin_opt].name}, η = {basin_lr:g}, {basin.n_steps} steps"),
                    key="net_basin_map")
with right:
    shares = basin.fractions()
    for i, (x, y) in enumerate(basin.minima):
        st.metric(f"Minimum {i + 1} at ({x:.2f}, {y:.2f})", f"{100 * shares.get(i, 0.0):.1f} % of starts")
    st.metric("Not settled near a minimum", f"{100 * shares.get(UNSETTLED, 0.0):.1f} %")
    st.metric("Diverged", f"{100 * shares.get(DIVERGED, 0.0):.1f} %")
    st.caption(f"{resolution}×{resolution} = {resolution * resolution:,} runs of {basin.n_steps} steps in one call: "
               f"{basin.seconds:.2f} s (first call per grid size includes compiling).")
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
    study = compute.restart_study(rs_key, rs_settings, "sgd", RunSettings(lr=rs_lr, n_steps=200), RESTART_K, RESTART_TRIALS, 0)
left, right = st.columns(2)
with left:
    st.plotly_chart(nc.restart_figure(study.ks, study.measured, study.predicted, study.single_success), key="net_restart_p")
with right:
    rs_landscape = landscape_from(rs_key, rs_settings)
    rs_minima = rs_landscape.minima()
    st.plotly_chart(nc.endpoint_figure(study.labels, np.array([m.point for m in rs_minima]),
                                       np.array([m.loss for m in rs_minima]), study.global_loss), key="net_restart_ends")
c1, c2, c3 = st.columns(3)
c1.metric("p: one run reaches the global minimum", f"{study.single_success:.2f}")
c2.metric(f"Best of K = {k_asked}: measured", f"{study.measured[k_asked - 1]:.3f}",
          help=f"Formula: {study.predicted[k_asked - 1]:.3f}")
needed = restarts_needed(study.single_success)
c3.metric("Restarts for 95 % confidence", "never" if not np.isfinite(needed) else f"{needed:.0f}")
if rs_target == "network" and study.single_success > 0.99:
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
pl_key, pl_settings = "two_layer_tanh", (settings if model == "two_layer_tanh" else ())
pl_landscape = landscape_from(pl_key, pl_settings)
if model != "two_layer_tanh":
    st.caption("Plateaus come from the saturating tanh, so this section always uses the tanh network "
               "(its default dataset while the linear network is selected above).")
pl_start = tuple(pl_landscape.default_start)
pl_run = RunSettings(lr=pl_lr, momentum=0.9, n_steps=500)
xs, ys, G = compute.gradient_norm_grid(pl_key, pl_settings)
pl_traj = {k: compute.runs_from(pl_key, pl_settings, k, pl_run, (pl_start,)) for k in pl_opts}
best = min((p.loss for p in pl_landscape.minima()), default=0.0)
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.contour_map(pl_landscape, loss_grid(pl_key, pl_settings), "Error E of the tanh network", height=480),
                    key="net_pl_loss_map")
with right:
    fig = nc.gradient_norm_map(xs, ys, G, pl_landscape, "Gradient norm |∇E| (dark = flat)", height=480)
    charts.add_paths(fig, {k: t.path(0) for k, t in pl_traj.items()}, {k: OPTIMIZERS[k].name for k in pl_opts})
    st.plotly_chart(fig, key="net_pl_grad_map")
if pl_traj:
    counts = {k: int(plateau_steps(t, best, grad_tol, PLATEAU_GAP)[0]) for k, t in pl_traj.items()}
    left, right = st.columns(2)
    with left:
        st.plotly_chart(charts.series_figure({k: t.losses(0) for k, t in pl_traj.items()}, {k: OPTIMIZERS[k].name for k in pl_opts},
                                             f"Error from ({pl_start[0]:.2f}, {pl_start[1]:.2f})", "E", log_y=False, height=360),
                        key="net_pl_losses")
    with right:
        bar = go.Figure(go.Bar(x=[OPTIMIZERS[k].name for k in counts], y=list(counts.values()),
                               marker_color=[optimizer_color(k) for k in counts], text=list(counts.values()),
                               textposition="outside"))
        bar.update_yaxes(title="steps on the plateau", range=[0, max(list(counts.values()) + [1]) * 1.2])
        st.plotly_chart(charts.style(bar, f"Steps spent on the plateau (of {pl_run.n_steps})", 360, legend=False),
                        key="net_pl_steps")
else:
    st.info("Choose at least one optimizer to race across the plateau.", icon=":material/info:")
