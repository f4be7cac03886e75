"""Second-order methods: Newton's step at its best and worst, its repairs (damping, |H|), the
approximate methods (BFGS, nonlinear CG) against GD and Adam, and what the exact Hessian costs."""

import numpy as np
import pandas as pd
import streamlit as st

from analysis import second_order as so
from analysis import second_order_cost as cost
from optimizers import OPTIMIZERS
from ui.curvature.compute import METHOD_NAMES, cost_views, method_source, newton_step, scene_views
from ui.controls import LEARNING_RATES, clickable_chart, log_slider, log_values
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.curvature.second_order_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.theme import presentation_on
from ui.urlstate import LABELS
from ui.navigation import end_page

TOLERANCE = 1e-6
GD_DEFAULT_LR = {"quadratic": 0.05, "rosenbrock": 0.001, "saddle": 0.05, "flat": 0.5}
NAMES = METHOD_NAMES
# the URL holds the labels of these two: tell the link check (and the presets' link writer)
LABELS["newton_scene"] = lambda k: so.SCENES[k].title
LABELS["newton_methods"] = NAMES.get

st.title("Second-order methods")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")

with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
    st.header("Scene")
    scene_key = st.selectbox("What to show", list(so.SCENES), format_func=lambda k: so.SCENES[k].title,
                             key="newton_scene", bind="query-params")
    scene = so.SCENES[scene_key]
    landscape = so.scene_landscape(scene_key)
    (x0, x1), (y0, y1) = landscape.domain
    c1, c2 = st.columns(2)
    with c1:
        sx = st.number_input("Start x", x0, x1, float(scene.start[0]), 0.05, format="%.3f",
                             key=f"newton_start_x_{scene_key}", bind="query-params")
    with c2:
        sy = st.number_input("Start y", y0, y1, float(scene.start[1]), 0.05, format="%.3f",
                             key=f"newton_start_y_{scene_key}", bind="query-params")
    start = (float(sx), float(sy))
    st.header("Methods")
    methods = st.multiselect("Compare", list(so.METHODS), default=list(so.METHODS), format_func=NAMES.get,
                             key="newton_methods", bind="query-params")
    newton_lr = st.slider("Newton-family step size", 0.1, 1.5, 1.0, 0.05, key="newton_step_size", bind="query-params",
                          help="1 is the pure Newton step.")
    damping = log_slider("Damping μ (damped / saddle-free)", "newton_damping", log_values(-3, 1, (1, 3)), 0.1)
    gd_lr = log_slider("GD learning rate", f"newton_gd_lr_{scene_key}", LEARNING_RATES, GD_DEFAULT_LR[scene_key])
    adam_lr = log_slider("Adam learning rate", "newton_adam_lr", LEARNING_RATES, 0.05)
    steps = st.slider("Iterations", 10, 1000, 200, 10, key="newton_steps", bind="query-params")

st.markdown(
    "Newton's method replaces the loss by its second-order Taylor model around the current point and jumps to that "
    "model's critical point. When the model is good, that is a giant leap; when the Hessian is indefinite or nearly "
    "singular, the same formula sends the parameters to the wrong place."
)
st.latex(r"E(\theta+p)\approx E(\theta)+g^\top p+\tfrac12 p^\top H p\ \Rightarrow\ p=-H^{-1}g"
         r"=-\sum_i \frac{u_i^\top g}{\lambda_i}\,u_i")
st.info(f"**{scene.title}.** {scene.lesson}", icon=":material/lightbulb:")

# ---- the Newton step at the start ----------------------------------------------------------------------
present = presentation_on()
step = newton_step(scene_key, start)  # cached, as the runs and charts below: ui/curvature/compute.py
m = st.columns(5)
m[0].metric("Hessian eigenvalues at the start", f"{step.eigenvalues[0]:.3g}, {step.eigenvalues[1]:.3g}")
m[1].metric("Curvature type", step.kind.split(" (")[0])
m[2].metric("|gradient|", f"{np.linalg.norm(step.gradient):.3g}")
m[3].metric("Newton step length |H⁻¹g|", f"{step.step_length:.3g}")
m[4].metric("It lands at", "(" + ", ".join("≈0" if abs(v) < 1e-9 else f"{v:.3g}" for v in step.landing) + ")")
smallest = float(np.min(np.abs(step.eigenvalues)))
if smallest < 1e-2 * max(float(np.max(np.abs(step.eigenvalues))), 1e-12):
    st.warning(f"Near-zero eigenvalue: |λ| = {smallest:.3g}, so 1/|λ| = {1 / max(smallest, 1e-300):.3g} multiplies the "
               "gradient's component along that eigenvector. The step is "
               f"{step.step_length / max(np.linalg.norm(step.gradient), 1e-300):.3g}× the gradient's length.",
               icon=":material/warning:")
if step.eigenvalues[0] < 0:
    st.warning("The Hessian has a negative eigenvalue here: along that eigenvector Newton's step goes uphill, towards "
               "the model's maximum, which is why it is attracted to saddles.", icon=":material/warning:")

if not methods:
    st.info("Choose at least one method in the sidebar.", icon=":material/info:")
    end_page()
with st.spinner("Running the methods..."):  # Adam with its own learning rate, the same settings otherwise
    views = scene_views(scene_key, start, tuple(methods), float(gd_lr), float(newton_lr), float(damping), int(steps),
                        float(adam_lr), TOLERANCE, present)
runs = views["runs"]
if challenge is not None:
    show_challenge_result(challenge, *challenge.check(runs, {
        "scene": scene_key, "start": start, "landscape": landscape, "newton_lr": float(newton_lr),
        "damping": float(damping), "steps": int(steps)}))

def start_here(x: float, y: float) -> None:
    """A click on the map starts the methods at that point (of the scene it was made on)."""
    st.session_state[f"newton_start_x_{scene_key}"], st.session_state[f"newton_start_y_{scene_key}"] = round(x, 3), round(y, 3)


left, right = st.columns([1.1, 1])
with left:
    clickable_chart(views["map"], "newton_map", start_here)
    if views["reach"] < 1.0:
        landing = step.landing
        st.caption(f"The first Newton step leaves the map: it lands at ({landing[0]:.4g}, {landing[1]:.4g}).")
with right:
    st.plotly_chart(views["loss"], key="newton_loss")
    st.plotly_chart(views["grad"], key="newton_grad")
    st.caption("Colours and dashes as in the map's legend.")

st.dataframe(pd.DataFrame(views["rows"]), hide_index=True, width="stretch")
st.caption("Reaching a zero gradient is not the same as reaching a minimum: check the type of the end point.")

with st.expander("The repairs and the approximations: formulas and code"):
    for k in ("damped_newton", "saddle_free_newton", "bfgs"):
        st.markdown(f"**{OPTIMIZERS[k].name}**")
        st.latex(OPTIMIZERS[k].latex)
        st.code(method_source(k), language="python")
    st.markdown(f"**{so.CG_NAME}** (Polak–Ribière+, line search from one Hessian-vector product)")
    st.latex(r"\beta_t=\max\Big(0,\frac{g_t^\top(g_t-g_{t-1})}{\|g_{t-1}\|^2}\Big),\quad d_t=-g_t+\beta_t d_{t-1},\quad "
             r"\theta_{t+1}=\theta_t+\alpha_t d_t,\ \ \alpha_t\approx\frac{-g_t^\top d_t}{d_t^\top H d_t}")
    st.code(method_source("conjugate_gradient"), language="python")

# ---- cost ----------------------------------------------------------------------------------------------
st.header("What the exact Hessian costs")
st.markdown(
    "A network with d weights has a d × d Hessian: d² numbers to store, and solving H p = −g takes on the order of d³ "
    "operations. Measured here on random logistic-regression problems of growing size, timed on this server after "
    "compiling. At a million weights the Hessian alone would need 8 terabytes, which is why large networks use "
    "methods that never form it."
)
st.latex(r"\text{memory}\propto d^2,\qquad \text{building } H \propto N d^2,\qquad \text{solving } Hp=-g \propto d^3")
max_d = st.number_input("Largest number of parameters d", 16, 1_000_000, 512, 16, key="newton_max_d", bind="query-params")
if max_d > cost.MAX_DIMENSION:
    st.warning(f"d = {max_d:,} asked for; the measurement stops at d = {cost.MAX_DIMENSION:,} to keep the server "
               f"responsive (its Hessian already takes {8 * cost.MAX_DIMENSION**2 / 1e6:.0f} MB).", icon=":material/warning:")
    max_d = cost.MAX_DIMENSION
sizes = tuple(int(d) for d in 2 ** np.arange(4, int(np.log2(max_d)) + 1))
with st.spinner("Timing the gradient, the Hessian and the Newton solve..."):
    cost_view = cost_views(sizes, present)
rows = cost_view["rows"]
left, right = st.columns(2)
with left:
    st.plotly_chart(cost_view["time"], key="newton_cost_time")
with right:
    st.plotly_chart(cost_view["memory"], key="newton_cost_memory")
if len(rows) >= 3:
    d = [r.d for r in rows]
    m = st.columns(3)
    m[0].metric("Growth of the Hessian's time", f"d^{cost.growth_exponent(d, [r.hessian_seconds for r in rows]):.2f}")
    m[1].metric("Growth of the solve's time", f"d^{cost.growth_exponent(d, [r.solve_seconds for r in rows]):.2f}")
    m[2].metric("Growth of the memory", f"d^{cost.growth_exponent(d, [r.hessian_bytes for r in rows]):.2f}")
    st.caption("Exponents fitted over the three largest sizes; small sizes are dominated by fixed overheads, and "
               "timings on a shared server are noisy.")
