"""Data normalization: the data's mean, scales and correlation become the Hessian of a linear model,
and normalizing them fixes its condition number; the same effect inside a network."""

import numpy as np
import pandas as pd
import streamlit as st

from analysis import normalization as norm
from ui.curvature.compute import normalization_views, unit_views
from ui.controls import fmt, log_slider, log_values
from ui.curvature.data_normalization_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import presentation_on
from ui.urlstate import LABELS

SCALES = log_values(-1, 1, (1, 2, 3, 5))
L2S = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
SAMPLE_SIZES = [50, 100, 200, 500, 1000]
HIDDEN = [4, 8, 16, 32]
N_NETWORKS = 12
TOLERANCE = 1e-8
# The URL holds the log sliders' formatted values; the presets' link writer reads that mapping here
# (it belongs in ui.controls.log_slider).
LABELS.update({k: fmt for k in ("norm_scale1", "norm_scale2")})

st.title("Data normalization")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")

with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
    st.header("The dataset")
    c1, c2 = st.columns(2)
    with c1:
        mean1 = st.slider("Mean of x₁", -5.0, 5.0, 3.0, 0.5, key="norm_mean1", bind="query-params")
        scale1 = log_slider("Scale of x₁", "norm_scale1", SCALES, 1.0)
    with c2:
        mean2 = st.slider("Mean of x₂", -5.0, 5.0, 1.0, 0.5, key="norm_mean2", bind="query-params")
        scale2 = log_slider("Scale of x₂", "norm_scale2", SCALES, 0.3)
    correlation = st.slider("Correlation of x₁ and x₂", -0.95, 0.95, 0.5, 0.05, key="norm_corr", bind="query-params")
    n_samples = st.select_slider("Data points N", SAMPLE_SIZES, 200, key="norm_n", bind="query-params")
    l2 = st.select_slider("Weight decay λ", L2S, 0.01, key="norm_l2", bind="query-params")
    st.header("Gradient descent")
    lr_factor = st.slider("Learning-rate rule: η = c / λ_max, c =", 0.1, 1.98, 1.0, 0.02, key="norm_lr_factor",
                          bind="query-params", help="The same rule on every problem; c < 2 is stable on each.")
    steps = st.slider("Steps", 10, 1000, 100, 10, key="norm_steps", bind="query-params")

st.markdown(
    "Fit a linear model w · x by least squares with weight decay. Differentiating twice shows that the loss's "
    "curvature is made of the data alone: the inputs' second moments. A mean far from zero adds one steep direction, "
    "unequal scales and correlated features stretch the bowl, and gradient descent pays for it in steps."
)
st.latex(r"E(w)=\mathbb{E}\big[(w^\top x-t)^2\big]+\lambda\|w\|^2,\qquad "
         r"H=2\,\mathbb{E}[x x^\top]+2\lambda I=2\big(\Sigma+\mu\mu^\top\big)+2\lambda I")

present = presentation_on()
with st.spinner("Building the four problems and running gradient descent..."):  # cached: ui/curvature/compute.py
    views = normalization_views(int(n_samples), (mean1, mean2), (scale1, scale2), float(correlation), float(l2),
                                float(lr_factor), int(steps), TOLERANCE, present)
study = views["study"]
titles = norm.TRANSFORM_TITLES
if challenge is not None:
    dataset = {"norm_mean1": mean1, "norm_mean2": mean2, "norm_scale1": scale1, "norm_scale2": scale2,
               "norm_corr": correlation, "norm_n": n_samples, "norm_l2": l2}
    show_challenge_result(challenge, *challenge.check(
        study, {"dataset": dataset, "lr_factor": float(lr_factor), "steps": int(steps), "tolerance": TOLERANCE}))

st.plotly_chart(views["clouds"], key="norm_clouds")
st.caption("The same data after each preprocessing (× marks the origin). Statistics come from the data itself.")

# ---- the Hessian, two ways ----------------------------------------------------------------------------
st.subheader("The Hessian from the data equals jax.hessian of the loss")
raw = study["raw"]["report"]


def matrix_latex(M: np.ndarray) -> str:
    return r"\begin{bmatrix}" + r"\\".join(" & ".join(f"{v:.5g}" for v in row) for row in M) + r"\end{bmatrix}"


c1, c2 = st.columns(2)
with c1:
    st.latex(r"\text{raw, } 2\,\mathbb{E}[xx^\top]+2\lambda I=" + matrix_latex(raw.hessian))
with c2:
    st.latex(r"\text{raw, jax.hessian}(E)=" + matrix_latex(raw.autodiff_hessian))
differences = views["differences"]
st.caption("Largest difference between the two, per preprocessing: "
           + ", ".join(f"{titles[k]} {d:.1e}" for k, d in differences.items()) + " (rounding level).")

left, right = st.columns([1, 1.2])
with left:
    st.plotly_chart(views["kappa"], key="norm_kappa")
with right:
    st.plotly_chart(views["gaps"], key="norm_gaps")
st.dataframe(pd.DataFrame(views["rows"]), hide_index=True, width="stretch")
if views["diverged"]:
    st.error("A run diverged: with c ≥ 2 the step overshoots along the steepest direction of that problem.",
             icon=":material/error:")
st.markdown(
    "Centering removes μμᵀ; standardizing equalizes the scales; whitening (rotating and rescaling so the covariance "
    "is the identity) leaves H = 2(1 + λ)I, a round bowl that gradient descent with η = 1/λ_max crosses in one step. "
    "Centering alone is not always an improvement: if the mean happens to point along a flat direction it can even help "
    "the raw problem. Try a round cloud (equal scales, no correlation) with a large mean to see the mean's effect alone."
)

st.subheader("Gradient-descent paths in weight space")
cols = st.columns(2)
for j, kind in enumerate(study):
    with cols[j % 2]:
        st.plotly_chart(views["maps"][kind], key=f"norm_map_{kind}")

# ---- inside a network ---------------------------------------------------------------------------------
st.header("The same effect inside a network")
st.markdown(
    "A hidden unit's inputs are the previous layer's activations aⱼ, and the block of the Hessian for that unit's "
    "incoming weights has the same shape as the linear model's, with the activations in place of the data. "
    "The logistic sigmoid's outputs are all positive (mean near ½), like data with a large mean: one steep direction. "
    "tanh's outputs are centered at zero when its inputs are. Below, the block is computed exactly with jax.hessian "
    "in random networks x → a = f(W₁x + b) → h = f(W₂a) → y = u·h on standardized inputs."
)
st.latex(r"[H_k]_{jj'}=\frac{\partial^2 E}{\partial w_{jk}\,\partial w_{j'k}}=\underbrace{2\,\mathbb{E}\big[a_j a_{j'}\delta_k^2\big]}_{\text{like } 2\mathbb{E}[xx^\top]}"
         r"+\underbrace{2\,\mathbb{E}\Big[a_j\frac{\partial\delta_k}{\partial w_{j'k}}(y-t)\Big]}_{\text{residual term}}")
c1, c2 = st.columns(2)
with c1:
    n_hidden = st.select_slider("Units in the first hidden layer (the unit's inputs)", HIDDEN, 16, key="norm_hidden",
                                bind="query-params")
with c2:
    offset = st.slider("Offset b added to the first layer's pre-activations", -2.0, 2.0, 0.0, 0.25, key="norm_offset",
                       bind="query-params", help="Shifts tanh's inputs off-centre, so its outputs are no longer centered.")
with st.spinner("Computing Hessian blocks with jax.hessian..."):
    unit_view = unit_views(int(n_hidden), float(offset), N_NETWORKS, present)
units = unit_view["units"]
m = st.columns(4)
m[0].metric("sigmoid: mean activation", f"{units['sigmoid'].mean_activation.mean():.3f}")
m[1].metric("tanh: mean activation", f"{units['tanh'].mean_activation.mean():.3f}")
m[2].metric("sigmoid: median κ of the block", f"{np.median(units['sigmoid'].condition_numbers):.3g}")
m[3].metric("tanh: median κ of the block", f"{np.median(units['tanh'].condition_numbers):.3g}")
left, right = st.columns(2)
with left:
    st.plotly_chart(unit_view["boxes"], key="norm_units")
with right:
    st.plotly_chart(unit_view["spectrum"], key="norm_spectrum")
st.caption(f"{N_NETWORKS} random networks per activation (LeCun-scaled Gaussian weights, 512 standardized inputs in "
           "32 dimensions). κ here is the ratio of the largest to the smallest |eigenvalue|: at a random point the residual "
           "term can make a few eigenvalues slightly negative.")
