"""Saddles and cliffs: where gradients mislead, and the products that make them explode or vanish."""

import math

import streamlit as st

from analysis.cliffs import CLIPPING_VARIANTS
from analysis.high_dim_saddle import D_MAX, HD_STEPS
from analysis.matrix_powers import MAX_POWER, angle_gap_ok
from landscapes import get_landscape
from ui.controls import LEARNING_RATES, log_slider, log_values
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.nonconvex import saddles_and_cliffs_views as views
from ui.nonconvex.saddles_and_cliffs_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.theme import presentation_on

present = presentation_on()
st.title("Saddles and cliffs")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
st.markdown("Two shapes that stall or derail gradient methods: **saddles**, where the gradient vanishes although "
            "downhill directions exist, and **cliffs**, where it is so large that one step throws the parameters away. "
            "Both grow more common as the number of parameters grows.")

# ---- 1. a saddle in 2-D ----------------------------------------------------------------------------
st.header("1 · A saddle in two dimensions")
st.latex(r"L(x, y) = x^2 - y^2,\qquad H = \begin{pmatrix} 2 & 0 \\ 0 & -2 \end{pmatrix}")
st.markdown("Newton's step $-H^{-1}\\nabla L$ solves for the point where the gradient of the local quadratic is zero: "
            "on a saddle that point *is* the saddle, so Newton jumps straight onto it. Saddle-free Newton divides by "
            "$|H|$ (eigenvalues made positive) and so walks downhill along $y$ instead.")
c1, c2, c3 = st.columns(3)
with c1:
    sc_lr = log_slider("Learning rate η (first-order)", "sc_lr", LEARNING_RATES, 0.05)
with c2:
    offset = log_slider("Start: distance y₀ off the ridge", "sc_offset", [1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.3], 1e-2)
with c3:
    newton_lr = st.slider("Newton step size η_N", 0.1, 1.0, 1.0, 0.1, key="sc_newton_lr", bind="query-params")
section = views.saddle_2d(float(sc_lr), float(offset), float(newton_lr), present)
left, right = st.columns([1.2, 1])
with left:
    st.plotly_chart(section["map"], key="sc_saddle_map")
with right:
    st.plotly_chart(section["distance"], key="sc_saddle_distance")
    if section["stopped"]:
        st.caption("Runs that left the plotted region stop there: " + ", ".join(section["stopped"]) + " (x² − y² has no bottom).")

# ---- 2. a saddle in d dimensions ---------------------------------------------------------------------
st.header("2 · Saddles in many dimensions")
st.latex(r"L(\mathbf x) = \sum_{i=1}^{d}\Big(\tfrac12\lambda_i x_i^2 + \tfrac14 x_i^4\Big),\qquad "
         r"\lambda_1 = \dots = \lambda_k = -\mu,\quad \lambda_{k+1} = \dots = \lambda_d = 1")
st.markdown("At $\\mathbf x = 0$ the Hessian is $\\mathrm{diag}(\\lambda_i)$: $k$ directions curve down, $d - k$ up. "
            "If the sign of each eigenvalue were a coin flip, a critical point would be a minimum with probability "
            "$2^{-d}$; for random symmetric Hessians it is rarer still. In high dimensions almost every critical point "
            "with a high error is a saddle.")
c1, c2, c3, c4 = st.columns(4)
with c1:
    d_asked = st.number_input("Dimension d", 1, 100_000, 10, key="sc_d", bind="query-params")
if d_asked > D_MAX:
    st.warning(f"d = {d_asked:,} asked for; this lab runs at most d = {D_MAX} dimensions (every array has that fixed "
               f"size, so moving d never recompiles), so d = {D_MAX} is used.", icon=":material/warning:")
d = int(min(d_asked, D_MAX))
with c2:
    k_neg = st.slider("Downhill directions k", 0, D_MAX, 1, key="sc_k", bind="query-params")
if k_neg > d:
    st.warning(f"k = {k_neg} is more than d = {d}; k = {d} is used.", icon=":material/warning:")
k_neg = min(k_neg, d)
with c3:
    mu = log_slider("Negative curvature μ", "sc_mu", log_values(-3, 0, (1, 2, 5)), 0.1)
with c4:
    hd_lr = log_slider("Learning rate η", "sc_hd_lr", LEARNING_RATES, 0.1)
section = views.saddle_hd(d, k_neg, float(mu), float(hd_lr), present)
share, target = section["share"], section["target"]
c1, c2, c3 = st.columns(3)
c1.metric("Random directions that curve down at the saddle", f"{100 * share:.3g} %" if share > 0 else "< 0.005 %",
          help="Share of random unit vectors u with uᵀHu < 0 (Monte Carlo, 20,000 directions).")
c2.metric("Share of negative eigenvalues", f"{k_neg} of {d}")
c3.metric("Loss at the minima", f"{target:.4g}")
if challenge is not None and challenge is CHALLENGES["escape"]:
    show_challenge_result(challenge, *challenge.check(views.hd_runs(d, k_neg, float(mu), float(hd_lr)),
                                                      {"d": d, "k": k_neg, "mu": float(mu), "lr": float(hd_lr)}))
left, right = st.columns(2)
with left:
    st.plotly_chart(section["loss"], key="sc_hd_loss")
with right:
    st.plotly_chart(section["distance"], key="sc_hd_distance")
st.caption("Lines: median over the 32 runs; bands: 10–90 %. Starts: |x₀| ≈ 10⁻³ around the saddle. "
           "Saddle-free Newton uses damping 0.1, so that |h| + damping never vanishes where the curvature changes sign.")
if k_neg > 0:
    st.caption(f"Escaped: loss below half the minimum's, {section['half']:.3g}, within {HD_STEPS} steps.")
    st.dataframe(section["rows"], hide_index=True, width="stretch")
else:
    st.info("With k = 0 the origin is a minimum: nothing to escape. Add a downhill direction.", icon=":material/info:")
st.plotly_chart(views.minimum_share(present), key="sc_minimum_share")
st.caption("Bars: 20,000 random symmetric matrices (GOE) per d, counting those with all eigenvalues positive; a missing "
           "bar means not one of them was a minimum. Signs of eigenvalues are not independent coin flips: they repel "
           "each other, which makes all-positive spectra rarer still.")

# ---- 3. a cliff ------------------------------------------------------------------------------------
st.header("3 · A cliff, and clipping the gradient")
cliff = get_landscape("cliff")
st.markdown("Multiplying large weights and passing the result through a nonlinearity can create walls: the gradient "
            "on the wall is hundreds of times larger than elsewhere, and a plain step of length $\\eta|g|$ sends the "
            "parameters far past the minimum at the foot of the wall. The gradient gives a direction, not a distance: "
            "clipping caps the distance.")
st.latex(r"\text{norm: } g \leftarrow g\,\min\!\Big(1, \frac{c}{|g|}\Big) \;\Rightarrow\; |\Delta\theta| \le \eta c"
         r"\qquad\qquad \text{value: } g_i \leftarrow \operatorname{clip}(g_i, -c, c) \;\Rightarrow\; |\Delta\theta| \le \eta c\sqrt{d}")
c1, c2, c3, c4 = st.columns(4)
with c1:
    cliff_lr = log_slider("Learning rate η", "sc_cliff_lr", LEARNING_RATES, 0.05)
with c2:
    before_wall = st.slider("Start: distance before the wall", 0.0, 0.05, 0.004, 0.001, format="%.3f",
                            key="sc_cliff_gap", bind="query-params")
with c3:
    clip_norm = log_slider("Norm cap c", "sc_clip_norm", log_values(-2, 2, (1, 2, 5)), 1.0)
with c4:
    clip_value = log_slider("Value cap c", "sc_clip_value", log_values(-2, 2, (1, 2, 5)), 1.0)
section = views.cliff(float(cliff_lr), float(before_wall), float(clip_norm), float(clip_value), present)
if challenge is not None and challenge is CHALLENGES["cliff"]:
    best = cliff.minima()[0]
    show_challenge_result(challenge, *challenge.check(
        views.cliff_results(float(cliff_lr), float(before_wall), float(clip_norm), float(clip_value)), {
            "lr": float(cliff_lr), "clip_norm": float(clip_norm), "minimum": (best.x, best.y),
            "start": views.cliff_start(float(before_wall)), "steps": views.cliff_run(float(cliff_lr)).n_steps}))
if section["cut"]:
    st.caption("The unclipped run jumped very far; the map is cut at ±100 around the cliff.")
left, right = st.columns([1.2, 1])
with left:
    st.plotly_chart(section["map"], key="sc_cliff_map")
with right:
    st.plotly_chart(section["jumps"], key="sc_cliff_jumps")
bounds = section["bounds"]
cols = st.columns(3)
for col, name in zip(cols, CLIPPING_VARIANTS):
    variant = section["variants"][name]
    bound = bounds.get(name, math.inf)
    col.metric(f"{name}: largest jump", f"{variant['largest']:.3g}",
               help=None if not math.isfinite(bound) else f"cap η·c = {bound:.3g}")
    col.caption(f"final loss {variant['final_loss']:.3g} at ({variant['end'][0]:.2f}, {variant['end'][1]:.2f})")
    if variant["diverged"]:
        col.error(f"{name}: the run left the bounded region at step {variant['diverged_at']}.", icon=":material/error:")

# ---- 4. exploding and vanishing products -------------------------------------------------------------
st.header("4 · Exploding and vanishing products")
st.markdown("A recurrent net applies the same weight matrix $W$ at every time step, so after $n$ steps its state (and, "
            "backwards, its gradient) has been multiplied by $W^n$. Writing $W$ through its eigenvectors makes the "
            "power easy:")
st.latex(r"W = V\,\mathrm{diag}(\lambda_1, \lambda_2)\,V^{-1}\quad\Longrightarrow\quad W^n = V\,\mathrm{diag}(\lambda_1^n, \lambda_2^n)\,V^{-1}")
st.markdown("Along an eigenvector with $|\\lambda| > 1$ the state grows geometrically; with $|\\lambda| < 1$ it fades "
            "to zero; a negative eigenvalue flips its sign every step.")
c1, c2, c3, c4, c5 = st.columns(5)
with c1:
    lam1 = st.slider("λ₁", -1.5, 1.5, 1.1, 0.01, key="sc_lam1", bind="query-params")
with c2:
    lam2 = st.slider("λ₂", -1.5, 1.5, 0.7, 0.01, key="sc_lam2", bind="query-params")
with c3:
    angle1 = st.slider("Eigenvector 1 angle (°)", 0, 179, 20, key="sc_angle1", bind="query-params")
with c4:
    angle2 = st.slider("Eigenvector 2 angle (°)", 0, 179, 100, key="sc_angle2", bind="query-params")
with c5:
    n_shown = st.number_input("Time steps n", 1, 100_000, 50, key="sc_n", bind="query-params")
if not angle_gap_ok(angle1, angle2):
    st.warning("The eigenvectors are (almost) parallel, so V is not invertible; eigenvector 2 is turned 90° away.",
               icon=":material/warning:")
    angle2 = (angle1 + 90) % 180
if n_shown > MAX_POWER:
    st.warning(f"n = {n_shown:,} asked for; powers are computed up to n = {MAX_POWER}, so n = {MAX_POWER} is shown.",
               icon=":material/warning:")
    n_shown = MAX_POWER
section = views.powers(float(lam1), float(lam2), float(angle1), float(angle2), int(n_shown), present)
st.latex(r"W = \begin{pmatrix} %.3f & %.3f \\ %.3f & %.3f \end{pmatrix}" % section["W"])
left, right = st.columns(2)
with left:
    st.plotly_chart(section["norm"], key="sc_power_norm")
with right:
    st.plotly_chart(section["state"], key="sc_hidden_state")
c1, c2, c3 = st.columns(3)
c1.metric(f"‖Wⁿ‖ at n = {int(n_shown)}", f"{section['norm_at_n']:.3g}")
c2.metric("max(|λ₁|, |λ₂|)ⁿ", f"{max(abs(lam1), abs(lam2)) ** int(n_shown):.3g}")
c3.metric("V diag(λⁿ) V⁻¹ vs repeated products", f"{section['gap']:.1e}", help="Largest relative difference over n: the formula is exact.")
