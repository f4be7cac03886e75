"""Continuation: blur the loss, optimize the easy version, then sharpen it."""

import streamlit as st

from analysis.continuation import CONTINUATION_STEPS, MAX_STAGES, QUADRATURE_ORDER, RUN_ORDER, SIGMA_MAX_MAP, SIGMA_MAX_RUN
from ui.nonconvex import compute
from ui.nonconvex import continuation_views as views
from ui.nonconvex.continuation_presets import CHALLENGES, CONTROLLED_KEYS, PRESETS
from ui.controls import log_slider, log_values
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import presentation_on
from ui.urlstate import LABELS

N_STARTS = 256

present = presentation_on()

st.title("Continuation: optimize a smoothed loss first")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
st.markdown("A loss full of small bumps traps gradient descent in whichever dent it starts near. Blurring the loss "
            "removes bumps narrower than the blur, leaving the broad shape that points toward the good region. "
            "**Continuation** minimizes the blurred loss first and then sharpens it stage by stage, each stage starting "
            "where the previous one stopped, the same idea as teaching a network easy examples before hard ones.")
st.latex(r"L_\sigma(\theta) = \mathbb E_{z\sim\mathcal N(0, I)}\big[L(\theta + \sigma z)\big] \approx "
         r"\frac1\pi\sum_{j,k} w_j w_k\, L\big(\theta + \sqrt2\,\sigma\,(x_j, x_k)\big)")
st.markdown(f"computed with Gauss–Hermite nodes $x_j$ and weights $w_j$ ({QUADRATURE_ORDER}² points for the maps, "
            f"{RUN_ORDER}² inside the descent loops). On the rippled bowl the blur is known exactly: a ripple "
            "$\\cos(2\\pi u/p)$ shrinks by $e^{-2\\pi^2\\sigma^2/p^2}$ and the bowl only rises by a constant.")

LABELS["cont_landscape"] = compute.CONTINUATION_LANDSCAPES.get  # the URL holds the label: tell the link check
name = st.radio("Loss", list(compute.CONTINUATION_LANDSCAPES), horizontal=True, key="cont_landscape", bind="query-params",
                format_func=compute.CONTINUATION_LANDSCAPES.get)
landscape = compute.continuation_landscape(name)

# ---- 1. the blurred loss ------------------------------------------------------------------------
st.header("1 · The loss, blurred")
sigma = st.slider("Blur width σ", 0.0, SIGMA_MAX_MAP, 0.3, 0.02, key="cont_sigma", bind="query-params")
left, right = st.columns(2)
with left:
    st.plotly_chart(views.loss_map(name, present), key="cont_raw_map")
with right:
    st.plotly_chart(views.blurred_map(name, float(sigma), present), key="cont_blur_map")

# ---- 2. continuation against direct descent ---------------------------------------------------------
st.header("2 · Continuation against direct gradient descent")
st.markdown(f"{N_STARTS} random starts; both methods take the same {CONTINUATION_STEPS} gradient steps with the same "
            "learning rate. Direct descent uses the true loss throughout; continuation splits the steps into stages "
            "with shrinking σ, the last stage on the true loss. A run succeeds when it ends at the global minimum.")
c1, c2, c3, c4 = st.columns(4)
with c1:
    sigma0 = st.slider("First blur σ₀", 0.05, SIGMA_MAX_RUN, 0.5, 0.05, key="cont_sigma0", bind="query-params")
with c2:
    stages_asked = st.number_input("Stages", 1, 1000, 6, key="cont_stages", bind="query-params",
                                   help="σ falls geometrically from σ₀ to σ₀/10, then a last stage at σ = 0.")
with c3:
    lr = log_slider("Learning rate η", "cont_lr", log_values(-3, -1, (1, 2, 3, 5)), 0.03)
with c4:
    seed = st.number_input("Seed for the starts", 0, 10_000, 1, key="cont_seed", bind="query-params")
if stages_asked > MAX_STAGES:
    st.warning(f"{stages_asked} stages asked for; at most {MAX_STAGES} are used.", icon=":material/warning:")
n_stages = int(min(stages_asked, MAX_STAGES))
with st.spinner("Running both methods from every start..."):
    section = views.runs(name, float(sigma0), n_stages, float(lr), int(seed), N_STARTS, present)
if challenge is not None:
    result = compute.continuation_compare(name, float(sigma0), n_stages, float(lr), int(seed), N_STARTS)
    show_challenge_result(challenge, *challenge.check(
        {"result": result}, {"name": name, "landscape": landscape, "sigma0": sigma0, "lr": lr, "stages": n_stages}))
cont_rate, direct_rate = section["cont_rate"], section["direct_rate"]
c1, c2, c3 = st.columns(3)
c1.metric("Direct descent reaches the global minimum", f"{100 * direct_rate:.0f} %")
c2.metric("Continuation reaches it", f"{100 * cont_rate:.0f} %", delta=f"{100 * (cont_rate - direct_rate):+.0f} points")
c3.metric("Median final loss: direct → continuation", f"{section['direct_median']:.3g} → {section['cont_median']:.3g}")
if section["bad"]:
    st.error(f"{section['bad']} runs produced non-finite values: lower the learning rate.", icon=":material/error:")

left, right = st.columns(2)
for col, key in ((left, "cont_direct_map"), (right, "cont_cont_map")):
    with col:
        st.plotly_chart(section[key], key=key)
left, right = st.columns(2)
with left:
    st.plotly_chart(section["success"], key="cont_success")
with right:
    st.plotly_chart(section["schedule"], key="cont_schedule")
st.caption("Too small a first blur leaves the ripples in place; too few steps per stage and the run has not yet "
           "followed the smooth valley when σ shrinks. Too large a learning rate makes the sharp final stage unstable.")
