"""Conditioning: the Hessian's eigenvalues predict, step by step, how gradient descent and momentum
converge on a quadratic bowl; every prediction is drawn over a real run."""

import numpy as np
import pandas as pd
import streamlit as st

from analysis import conditioning as cond
from analysis import theory
from ui.curvature import charts as cc
from ui.curvature.compute import gd_views, momentum_views, rate_map_views
from ui.curvature.conditioning_presets import CHALLENGES, CONTROLLED_KEYS, MOMENTUM_CHALLENGES, PRESETS
from ui.controls import LEARNING_RATES, clickable_chart, fmt, log_slider, log_values
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import presentation_on
from ui.urlstate import LABELS

START = (-2.5, 2.0)
ALPHAS = log_values(-2, 2, (1, 2, 5))
KAPPAS = log_values(0, 3, (1, 2, 5))
LAMBDA_MAX = log_values(-1, 3, (1, 2, 5))
MAP_SIDES = [11, 21, 31, 41]
MAP_STEPS = 200
NAMES = {"sgd": "Gradient descent", "momentum": "Heavy-ball momentum"}
FORMS = {"separable": "separable Σ αᵢ(θᵢ − θᵢ*)²", "rotated": "rotated, chosen eigenvalues"}
RULES = {"manual": "set by hand", "notes": "lecture's choice 0.99 / α_max", "optimal": "optimal 2 / (λ_min + λ_max)"}
# The URL holds what these widgets display (a label, a formatted number); the link check and the presets'
# link writer read that mapping here. (The log sliders' entries belong in ui.controls.log_slider.)
LABELS.update({"cond_form": FORMS.get, "cond_lr_rule": RULES.get,
               **{k: fmt for k in ("cond_alpha1", "cond_alpha2", "cond_kappa", "cond_lam_max", "cond_lr")}})

st.title("Conditioning")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")

with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
    st.header("The bowl")
    form = st.radio("Form", list(FORMS), key="cond_form", bind="query-params", horizontal=True, format_func=FORMS.get)
    if form == "separable":
        alpha1 = log_slider("α₁ (curvature along θ₁)", "cond_alpha1", ALPHAS, 0.5)
        alpha2 = log_slider("α₂ (curvature along θ₂)", "cond_alpha2", ALPHAS, 10.0)
        eigenvalues, angle = tuple(float(v) for v in cond.separable_eigenvalues([alpha1, alpha2])), 0.0
    else:
        kappa = log_slider("Condition number κ", "cond_kappa", KAPPAS, 20.0)
        lam_max = log_slider("Largest eigenvalue λ_max", "cond_lam_max", LAMBDA_MAX, 20.0)
        angle = float(st.slider("Rotation (degrees)", -90, 90, 30, 5, key="cond_angle", bind="query-params"))
        eigenvalues = tuple(float(v) for v in cond.eigenvalues_from_condition(lam_max, kappa))
    st.header("Gradient descent")
    rule = st.selectbox("Learning rate", list(RULES), key="cond_lr_rule", bind="query-params", format_func=RULES.get)
    manual_lr = log_slider("Learning rate η (by hand)", "cond_lr", LEARNING_RATES, 0.07, "Used when the rule is 'set by hand'.")
    steps = st.slider("Steps", 10, 1000, 150, 10, key="cond_steps", bind="query-params")

lam = np.asarray(eigenvalues, dtype=float)
present = presentation_on()
r = cond.readouts(lam, 1.0)
lr = {"manual": manual_lr, "notes": r.notes_lr, "optimal": r.optimal_lr}[rule]
r = cond.readouts(lam, lr)

st.markdown(
    "Near a minimum every loss looks like a bowl, and the bowl's Hessian decides how fast gradient descent can go. "
    "Split the error into the Hessian's eigen-directions: each component shrinks by its own factor every step, "
    "and the largest eigenvalue caps the learning rate while the smallest one sets the pace."
)
st.latex(r"E(\theta)=\sum_i \alpha_i(\theta_i-\theta_i^*)^2=\tfrac12(\theta-\theta^*)^\top H\,(\theta-\theta^*),\qquad "
         r"H=\mathrm{diag}(2\alpha_i),\ \ \lambda_i=2\alpha_i\quad(\text{rotated: } H=R\,\mathrm{diag}(\lambda_i)R^\top)")
st.latex(r"e_i(t)=u_i^\top(\theta_t-\theta^*)=(1-\eta\lambda_i)^t\,e_i(0),\qquad "
         r"\text{stable}\iff|1-\eta\lambda_i|<1\ \forall i\iff 0<\eta<\frac{2}{\lambda_{\max}}=\frac{1}{\alpha_{\max}}")
st.latex(r"\kappa=\frac{\lambda_{\max}}{\lambda_{\min}},\qquad \eta_{\text{notes}}=\frac{0.99}{\alpha_{\max}}\Rightarrow"
         r"\ \text{flattest rate } 1-\frac{1.98}{\kappa},\qquad \eta^\star=\frac{2}{\lambda_{\min}+\lambda_{\max}}"
         r"\Rightarrow\ \text{rate }\frac{\kappa-1}{\kappa+1}")

# The challenge's verdict, filled in once every run of the page exists: here, or in the momentum section.
verdict_top = st.empty()

# ---- readouts ----------------------------------------------------------------------------------------
m = st.columns(4)
m[0].metric("Hessian eigenvalues λ", f"{lam.min():.3g}, {lam.max():.3g}")
m[1].metric("Condition number κ", f"{r.condition_number:.4g}")
m[2].metric("Learning rate η in use", f"{lr:.4g}", help="Chosen by the rule in the sidebar.")
m[3].metric("Rate along the flattest direction", f"{r.flattest_rate:.4f}", help="|1 − η λ_min| per step.")
m = st.columns(4)
m[0].metric("Largest stable η = 2 / λ_max", f"{r.stable_lr_limit:.4g}")
m[1].metric("Lecture's η = 0.99 / α_max", f"{r.notes_lr:.4g}", help=f"Its flattest-direction rate is |1 − 1.98/κ| = {r.notes_flattest_rate:.4f}.")
m[2].metric("Optimal η = 2 / (λ_min + λ_max)", f"{r.optimal_lr:.4g}", help=f"Its rate is (κ − 1)/(κ + 1) = {r.optimal_rate:.4f}.")
shrink = r.steps_to_shrink(1e-6)
m[3].metric("Predicted steps to shrink the error 10⁶×", "never" if not np.isfinite(shrink) else f"{shrink:.0f}",
            help=f"log(10⁻⁶) / log(rate) with rate max|1 − ηλᵢ| = {r.rate:.4f}.")

order = np.argsort(lam)
contraction_in_order = theory.contraction_factors(lr, lam)
table = pd.DataFrame({
    "direction": [f"u{'₁₂'[i]}" for i in order],
    "eigenvalue λᵢ": lam[order],
    "αᵢ = λᵢ / 2": lam[order] / 2,
    "contraction |1 − ηλᵢ|": contraction_in_order[order],
    "squared error per step (1 − ηλᵢ)²": contraction_in_order[order] ** 2,
    "behaviour": ["diverges" if c >= 1 else ("oscillates (flips sign)" if lr * lam[i] > 1 else "shrinks monotonically")
                  for i, c in zip(order, contraction_in_order[order])],
})
st.dataframe(table, hide_index=True, width="stretch")
if not r.stable and contraction_in_order.max() <= 1 + 1e-9:
    st.error(f"η = {lr:.4g} sits exactly on the stability limit 2/λ_max = {r.stable_lr_limit:.4g}: along the steepest "
             "direction the error flips sign every step without shrinking, so the run never settles.", icon=":material/error:")
elif not r.stable:
    st.error(f"η = {lr:.4g} is above the stability limit 2/λ_max = {r.stable_lr_limit:.4g}: along the steepest direction "
             f"the error is multiplied by {contraction_in_order.max():.3g} > 1 in size every step, so the run grows "
             "exponentially (the curves stop where it left the bounded region).", icon=":material/error:")

# ---- the run against the prediction (run and charts cached by their settings: ui/curvature/compute.py) --
gd_view = gd_views(eigenvalues, angle, float(lr), int(steps), START, present)
gd = gd_view["gd"]
left, right = st.columns([1, 1.15])
with left:
    st.plotly_chart(gd_view["map"], key="cond_map")
with right:
    st.plotly_chart(gd_view["eigen_errors"], key="cond_eigen_errors")
st.plotly_chart(gd_view["loss"], key="cond_loss")
st.caption("Measured curves are thick and pale; the formulas are dashed on top of them. On a log scale a constant "
           "factor per step is a straight line with slope log (1 − ηλᵢ)².")

# ---- momentum ----------------------------------------------------------------------------------------
st.header("Momentum on the same bowl")
st.markdown(
    "Heavy-ball momentum keeps a velocity, v ← βv + g, and steps θ ← θ − ηv. Along each eigen-direction the error "
    "now follows a two-term recurrence, and tuning η and β together makes the rate depend on √κ instead of κ: "
    "a bowl with κ = 100 needs about ten times fewer steps."
)
st.latex(r"e_{t+1}=(1+\beta-\eta\lambda_i)\,e_t-\beta\, e_{t-1},\qquad \eta=\frac{4}{(\sqrt{\lambda_{\max}}+\sqrt{\lambda_{\min}})^2},\ "
         r"\beta=\Big(\frac{\sqrt\kappa-1}{\sqrt\kappa+1}\Big)^2\ \Rightarrow\ \text{rate}\ \frac{\sqrt\kappa-1}{\sqrt\kappa+1}\ \text{vs GD's}\ \frac{\kappa-1}{\kappa+1}")
c1, c2, c3 = st.columns([1.2, 1, 1])
with c1:
    use_optimal = st.toggle("Use the optimal η and β", True, key="cond_mom_optimal", bind="query-params",
                            help="Off: set them here, or click a cell of the rate map below.")
with c2:
    mom_lr = st.number_input("Momentum η", 1e-5, 10.0, 0.1, format="%.5f", step=0.001,
                             key="cond_mom_lr", bind="query-params", disabled=use_optimal)
with c3:
    mom_beta = st.number_input("Momentum β", 0.0, 0.999, 0.5, format="%.4f", step=0.01,
                               key="cond_mom_beta", bind="query-params", disabled=use_optimal)
if use_optimal:
    mom_lr, mom_beta = r.momentum_lr, r.momentum_beta
mom_steps = min(steps, 400)
mom_view = momentum_views(eigenvalues, angle, float(mom_lr), float(mom_beta), int(mom_steps), START, bool(use_optimal), present)
runs, predicted_rates, measured = mom_view["runs"], mom_view["predicted"], mom_view["measured"]
m = st.columns(4)
m[0].metric("GD at η*: predicted rate (κ−1)/(κ+1)", f"{r.optimal_rate:.4f}")
m[1].metric("GD: measured rate", f"{measured['sgd']:.4f}")
m[2].metric("Momentum: predicted rate", f"{predicted_rates['momentum']:.4f}",
            help=f"Spectral radius of the heavy-ball recurrence at η = {mom_lr:.4g}, β = {mom_beta:.3f}. "
                 f"At the optimum it is (√κ − 1)/(√κ + 1) = {r.momentum_optimal_rate:.4f}.")
m[3].metric("Momentum: measured rate", "diverged" if not np.isfinite(measured["momentum"]) else f"{measured['momentum']:.4f}")
verdict_momentum = st.empty()
if challenge is not None:
    outcome = challenge.check(
        {"gd": gd, "momentum": runs["momentum"]},
        {"form": form, "eigenvalues": tuple(float(v) for v in lam), "angle": angle, "rule": rule, "lr": lr,
         "steps": steps, "use_optimal": bool(use_optimal), "mom_lr": float(mom_lr), "mom_beta": float(mom_beta),
         "readouts": r},
    )
    in_momentum_section = any(challenge is CHALLENGES[k] for k in MOMENTUM_CHALLENGES)
    with (verdict_momentum if in_momentum_section else verdict_top).container():
        show_challenge_result(challenge, *outcome)
if runs["momentum"].diverged(0):
    st.error(f"Momentum with η = {mom_lr:.4g}, β = {mom_beta:.3f} diverged: η λ_max = {mom_lr * lam.max():.3g} exceeds "
             f"2(1 + β) = {2 * (1 + mom_beta):.3g}, outside the stable region.", icon=":material/error:")
left, right = st.columns([1.15, 1])
with left:
    st.plotly_chart(mom_view["distances"], key="cond_momentum")
with right:
    st.plotly_chart(mom_view["map"], key="cond_momentum_map")
st.caption("Measured rates are the per-step shrink factor of the distance over the second half of each run. At the optimal "
           "setting the slowest modes are critically damped (a double root), so the momentum curve carries an extra "
           "factor that grows like t: it runs parallel to its rate line, slightly above it.")

# ---- the rate map ----------------------------------------------------------------------------------------
st.subheader("Rate map: every cell is a run")
st.markdown(
    f"Each cell runs heavy-ball momentum for {MAP_STEPS} steps from the same start with its own (η, β); all cells run "
    "together in one vectorized, compiled call. Colour is the measured rate (smaller is faster). The dashed line is the "
    "theory's stability boundary η = 2(1 + β)/λ_max. **Click a cell** to run that setting in the charts above."
)
side = st.select_slider("Cells per side", MAP_SIDES, 31, key="cond_map_side", bind="query-params",
                        help=f"A side of n runs n² trajectories; at most {cond.MAX_MAP_SIDE} per side.")
side = int(min(side, cond.MAX_MAP_SIDE))
with st.spinner(f"Running {side * side} trajectories..."):
    map_view = rate_map_views(eigenvalues, angle, side, MAP_STEPS, START, present)
rate_fig = map_view["figure"]
if not use_optimal:  # the cell the charts above show, drawn last
    rate_fig = {"data": [*rate_fig["data"], cc.selected_cell_trace((float(mom_lr), float(mom_beta)))], "layout": rate_fig["layout"]}


def run_this_cell(lr: float, beta: float) -> None:
    """A click on a cell of the rate map shows that (lr, beta)'s momentum run in the charts above."""
    st.session_state["cond_mom_optimal"] = False
    st.session_state["cond_mom_lr"], st.session_state["cond_mom_beta"] = lr, beta


clickable_chart(rate_fig, "cond_rate_map", run_this_cell)
st.caption(map_view["caption"])
