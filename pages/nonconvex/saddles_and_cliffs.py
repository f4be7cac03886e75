"""Saddles and cliffs: where gradients mislead, and the products that make them explode or vanish."""

import math

import numpy as np
import streamlit as st

from analysis.cliffs import CLIPPING_VARIANTS, gd_step_bound, step_lengths, wall_edge
from analysis.high_dim_saddle import D_MAX, HD_OPTIMIZERS, HD_STEPS, minimum_loss
from analysis.matrix_powers import MAX_POWER, angle_gap_ok, spectral_norms
from landscapes import get_landscape
from optimizers import OPTIMIZERS
from optimizers.engine import RunSettings
from ui import charts
from ui.nonconvex import charts as nc
from ui.nonconvex import compute
from ui.compute import landscape_from, loss_grid, race
from ui.controls import LEARNING_RATES, log_slider, log_values
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.nonconvex.saddles_and_cliffs_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS

NAMES = {k: OPTIMIZERS[k].name for k in HD_OPTIMIZERS}
CLIP_COLORS = dict(zip(CLIPPING_VARIANTS, ["#D55E00", "#0072B2", "#009E73"]))
CLIP_DASHES = dict(zip(CLIPPING_VARIANTS, ["solid", "solid", "dash"]))

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
saddle_settings = (("noise", 0.5),)
saddle = landscape_from("saddle", saddle_settings)
start = (-1.5, float(offset))
run = RunSettings(lr=sc_lr, momentum=0.9, newton_lr=newton_lr, damping=1e-3, n_steps=60)
results = race("saddle", saddle_settings, HD_OPTIMIZERS, run, start)
paths = {k: r[0].path(0) for k, r in results.items()}
left, right = st.columns([1.2, 1])
with left:
    fig = charts.contour_map(saddle, loss_grid("saddle", saddle_settings), "Paths near the saddle x² − y²", height=520)
    charts.add_paths(fig, paths, NAMES)
    st.plotly_chart(fig, key="sc_saddle_map")
with right:
    distances = {k: np.linalg.norm(p, axis=1) for k, p in paths.items()}
    st.plotly_chart(charts.series_figure(distances, NAMES, "Distance from the saddle", "|θ| (log scale)", height=420),
                    key="sc_saddle_distance")
    stopped = [NAMES[k] for k, r in results.items() if r[0].diverged(0)]
    if stopped:
        st.caption("Runs that left the plotted region stop there: " + ", ".join(stopped) + " (x² − y² has no bottom).")

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
hyper = (("lr", hd_lr), ("momentum", 0.9), ("beta1", 0.9), ("beta2", 0.999), ("eps", 1e-8), ("newton_lr", 1.0), ("damping", 0.1))
# GD last, so that its curve is drawn on top of Newton's where both sit at the saddle
runs = compute.saddle_runs(("newton", "saddle_free_newton", "momentum", "adam", "sgd"), d, k_neg, float(mu), hyper, 1e-3, 32, 0)
share = compute.downhill_share(d, k_neg, float(mu))
target = minimum_loss(k_neg, float(mu))
c1, c2, c3 = st.columns(3)
c1.metric("Random directions that curve down at the saddle", f"{100 * share:.3g} %" if share > 0 else "< 0.005 %",
          help="Share of random unit vectors u with uᵀHu < 0 (Monte Carlo, 20,000 directions).")
c2.metric("Share of negative eigenvalues", f"{k_neg} of {d}")
c3.metric("Loss at the minima", f"{target:.4g}")
if challenge is not None and challenge is CHALLENGES["escape"]:
    show_challenge_result(challenge, *challenge.check(runs, {"d": d, "k": k_neg, "mu": float(mu), "lr": float(hd_lr)}))
left, right = st.columns(2)
with left:
    st.plotly_chart(nc.band_figure({k: r.loss - target for k, r in runs.items()}, NAMES,
                                   f"Loss above the minima, 32 small random starts, d = {d}", "L − L_min (log scale)",
                                   log_y=True, floor=1e-12, height=420), key="sc_hd_loss")
with right:
    st.plotly_chart(nc.band_figure({k: r.distance for k, r in runs.items()}, NAMES, "Distance from the saddle",
                                   "|x| (log scale, floor 10⁻¹⁶)", log_y=True, floor=1e-16, height=420), key="sc_hd_distance")
st.caption("Lines: median over the 32 runs; bands: 10–90 %. Starts: |x₀| ≈ 10⁻³ around the saddle. "
           "Saddle-free Newton uses damping 0.1, so that |h| + damping never vanishes where the curvature changes sign.")
if k_neg > 0:
    half = 0.5 * target
    rows = []
    for k, r in runs.items():
        steps = r.escape_steps(half)
        rows.append({"optimizer": NAMES[k], "escaped (of 32)": int((steps >= 0).sum()),
                     "median steps to escape": f"{np.median(steps[steps >= 0]):.0f}" if (steps >= 0).any() else "—",
                     "final distance from saddle": f"{np.median(r.distance[:, -1]):.2e}",
                     "diverged": int((~r.alive[:, -1]).sum())})
    st.caption(f"Escaped: loss below half the minimum's, {half:.3g}, within {HD_STEPS} steps.")
    st.dataframe(rows, hide_index=True, width="stretch")
else:
    st.info("With k = 0 the origin is a minimum: nothing to escape. Add a downhill direction.", icon=":material/info:")
d_axis, minimum_share, _ = compute.random_hessian_share()
st.plotly_chart(nc.minimum_share_figure(d_axis, minimum_share), key="sc_minimum_share")
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
y_start = 0.5
cliff_start = (wall_edge(y_start) - before_wall, y_start)
cliff_run = RunSettings(lr=cliff_lr, n_steps=100)
clipped = compute.cliff_runs("sgd", cliff_start, cliff_run, float(clip_norm), float(clip_value))
cliff_paths = {name: t.path(0) for name, t in clipped.items()}
jumps = {name: step_lengths(p) for name, p in cliff_paths.items()}
if challenge is not None and challenge is CHALLENGES["cliff"]:
    best = cliff.minima()[0]
    show_challenge_result(challenge, *challenge.check(clipped, {
        "lr": float(cliff_lr), "clip_norm": float(clip_norm), "minimum": (best.x, best.y), "start": cliff_start,
        "steps": cliff_run.n_steps}))
everything = np.vstack(list(cliff_paths.values()))
(x0, x1), (y0, y1) = cliff.domain
x_range = (min(x0, float(everything[:, 0].min()) - 0.5), max(x1, float(everything[:, 0].max()) + 0.5))
y_range = (min(y0, float(everything[:, 1].min()) - 0.5), max(y1, float(everything[:, 1].max()) + 0.5))
if x_range[1] - x_range[0] > 200 or y_range[1] - y_range[0] > 200:
    st.caption("The unclipped run jumped very far; the map is cut at ±100 around the cliff.")
    x_range = (max(x_range[0], -100.0), min(x_range[1], 100.0))
    y_range = (max(y_range[0], -100.0), min(y_range[1], 100.0))
window = compute.loss_window("cliff", (), tuple(x_range), tuple(y_range))
left, right = st.columns([1.2, 1])
with left:
    st.plotly_chart(nc.cliff_map(cliff, window, cliff_paths, CLIP_COLORS, "GD from the cliff's edge, 100 steps", CLIP_DASHES),
                    key="sc_cliff_map")
with right:
    bounds = {"clip by norm": gd_step_bound(cliff_lr, clip_norm=clip_norm),
              "clip by value": gd_step_bound(cliff_lr, clip_value=clip_value)}
    st.plotly_chart(nc.jump_figure(jumps, CLIP_COLORS, bounds, CLIP_DASHES), key="sc_cliff_jumps")
cols = st.columns(3)
for col, name in zip(cols, CLIPPING_VARIANTS):
    t = clipped[name]
    bound = bounds.get(name, math.inf)
    col.metric(f"{name}: largest jump", f"{jumps[name].max():.3g}",
               help=None if not np.isfinite(bound) else f"cap η·c = {bound:.3g}")
    col.caption(f"final loss {t.losses(0)[-1]:.3g} at ({t.path(0)[-1][0]:.2f}, {t.path(0)[-1][1]:.2f})")
    if t.diverged(0):
        col.error(f"{name}: the run left the bounded region at step {int(t.diverged_at[0])}.", icon=":material/error:")

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
W, V, by_eigen, by_products, states = compute.matrix_powers_data((lam1, lam2), float(angle1), float(angle2), (1.0, 0.4))
n_axis = np.arange(int(n_shown) + 1)
st.latex(r"W = \begin{pmatrix} %.3f & %.3f \\ %.3f & %.3f \end{pmatrix}" % tuple(np.asarray(W).ravel()))
left, right = st.columns(2)
with left:
    st.plotly_chart(nc.power_figure(n_axis, spectral_norms(by_eigen[: len(n_axis)]), (lam1, lam2)), key="sc_power_norm")
with right:
    st.plotly_chart(nc.hidden_state_figure(states[: len(n_axis)], V), key="sc_hidden_state")
gap = float(np.max(np.abs(by_eigen[: len(n_axis)] - by_products[: len(n_axis)]) / np.maximum(1.0, np.abs(by_products[: len(n_axis)]))))
c1, c2, c3 = st.columns(3)
c1.metric(f"‖Wⁿ‖ at n = {int(n_shown)}", f"{spectral_norms(by_eigen[int(n_shown)])[()]:.3g}")
c2.metric("max(|λ₁|, |λ₂|)ⁿ", f"{max(abs(lam1), abs(lam2)) ** int(n_shown):.3g}")
c3.metric("V diag(λⁿ) V⁻¹ vs repeated products", f"{gap:.1e}", help="Largest relative difference over n: the formula is exact.")
