"""The Hessian of a network: the lecture's recommendations measured on the exact Hessian (is it better
conditioned?), the per-neuron block-diagonal approximation against the whole, the spectrum, and what the
exact Hessian costs against Lanczos."""

import numpy as np
import streamlit as st

from networks import hessian_studies as hs
from ui.controls import fmt
from ui.deep_networks import network_hessian_compute as compute
from ui.deep_networks.network_hessian_presets import (
    BLOCK_TITLES,
    CHALLENGES,
    CONTROLLED_KEYS,
    FLOORS,
    GAINS,
    OFFSETS,
    PRESETS,
    SCALES,
    VARIANT_TITLES,
)
from ui.presets import challenge_box, preset_picker, show_challenge_result
from ui.theme import presentation_on
from ui.urlstate import LABELS

LABELS.update({"nh_epochs": fmt, "nh_lr": fmt, "nh_offset": fmt, "nh_scale": fmt, "nh_gain": fmt, "nh_floor": fmt,
               "nh_spectrum": VARIANT_TITLES.get, "nh_block_net": BLOCK_TITLES.get})
WHEN = ("at initialization", "after training")


def training_controls() -> dict:
    st.markdown(
        f"Every network below learns the same two moons ({hs.STUDY_POINTS} points, 280 for training) with Adam and "
        f"minibatches of 32, once for each of {len(hs.STUDY_SEEDS)} seeds; its exact Hessian (every parameter against "
        "every other) is taken at the initial parameters and at the end of training. The reference network has two tanh "
        "layers of 8 units, standardized inputs and LeCun weights, W ~ N(0, 1/n_in): 105 parameters."
    )
    c = st.columns(5)
    epochs = c[0].select_slider("Epochs", compute.EPOCH_OPTIONS, 200, key="nh_epochs", format_func=fmt, bind="query-params")
    lr = c[1].select_slider("Learning rate (Adam)", compute.LR_OPTIONS, 0.01, key="nh_lr", format_func=fmt,
                            bind="query-params")
    offset = c[2].select_slider("Raw inputs: offset of x", OFFSETS, hs.RAW_OFFSET, key="nh_offset", format_func=fmt,
                                bind="query-params", help="'Raw' inputs are x → scale · x + offset on the first coordinate.")
    scale = c[3].select_slider("Raw inputs: scale of x", SCALES, hs.RAW_SCALE, key="nh_scale", format_func=fmt,
                               bind="query-params")
    gain = c[4].select_slider("Too large a start: LeCun ×", GAINS, hs.LARGE_GAIN, key="nh_gain", format_func=fmt,
                              bind="query-params")
    return {"epochs": int(epochs), "lr": float(lr), "offset": float(offset), "scale": float(scale), "gain": float(gain)}


def definition_controls() -> tuple[float, int]:
    st.markdown(
        "A network's Hessian is indefinite: it has negative eigenvalues (directions where the loss curves down) and a "
        "crowd of eigenvalues at or near zero. Two numbers describe its conditioning here. With λ₁ the largest "
        "eigenvalue and a floor τ·λ₁, the **condition number of the positive part** is κ₊ = λ₁ / λ₊,min, where λ₊,min "
        "is the smallest eigenvalue above the floor; eigenvalues below −τ·λ₁ are counted as negative. The **spread of "
        "the top**, λ₁ / λₖ (λₖ the k-th largest eigenvalue), needs no floor."
    )
    c = st.columns(2)
    floor = c[0].select_slider("Floor τ (fraction of λ₁)", FLOORS, hs.RELATIVE_FLOOR, key="nh_floor", format_func=fmt,
                               bind="query-params")
    k = c[1].slider("k of the top spread λ₁ / λₖ", 2, 50, hs.TOP_K, key="nh_k", bind="query-params")
    return float(floor), int(k)


def recommendations_section(settings: dict, floor: float, k: int) -> dict:
    st.header("The recommendations, measured")
    view = compute.recommendation_view(*compute.settings_key(settings), floor, k, presentation_on())
    st.plotly_chart(view["figure"], key="nh_conditioning_chart")
    st.dataframe(view["rows"], hide_index=True)
    st.caption(
        f"Medians over {len(hs.STUDY_SEEDS)} seeds (smallest–largest in brackets); the reference row of each "
        "recommendation (standardized, tanh, LeCun, 8-8) follows them all, and the last column says whether the reference's "
        f"median λ₁/λ{k} is below that row's. κ₊ is capped by 1/τ = {1 / floor:,.0f}: the eigenvalues run down to zero "
        "continuously, so the floor decides most of κ₊; the recommendations act on a few outlying eigenvalues at the top."
    )
    for message in view["errors"]:
        st.error(message, icon=":material/error:")
    return view


def spectrum_section(settings: dict) -> dict:
    st.header("The spectrum at initialization and after training")
    key = st.selectbox("Network", list(hs.VARIANTS), key="nh_spectrum", format_func=VARIANT_TITLES.get, bind="query-params")
    view = compute.spectrum_view(key, *compute.settings_key(settings), presentation_on())
    st.plotly_chart(view["figure"], key="nh_spectrum_chart")
    st.caption(
        f"Bars: all {view['P']} eigenvalues of the exact Hessian, as a density (their count per unit of λ, divided by "
        "P). Line: stochastic Lanczos quadrature, the estimate that needs only Hessian-vector products (4 random ±1 "
        "starts, 64 Lanczos steps, each Ritz value smoothed by a narrow Gaussian): it finds the outliers and the bulk "
        "near zero without forming H."
    )
    return {"key": key}


def blocks_section(settings: dict) -> dict:
    st.header("The block-diagonal approximation")
    st.markdown(
        "The notes neglect every interaction between parameters of different neurons: H is replaced by its diagonal "
        "blocks, one per neuron (its incoming weights and bias, and its γ, β under batch norm). The eigenvalues of "
        "the approximation are those of the blocks. How much of H does that throw away? The **off-block share** "
        "‖H − blockdiag(H)‖²_F / ‖H‖²_F is the part of the Hessian's squared entries that couple different neurons."
    )
    c = st.columns([2, 1])
    key = c[0].radio("Network (two tanh layers of 8, standardized inputs)", list(hs.BLOCK_NETWORKS), index=3,
                     key="nh_block_net", format_func=BLOCK_TITLES.get, horizontal=True, bind="query-params")
    compare = c[1].toggle("Compare all four networks", False, key="nh_block_all", bind="query-params",
                          help="Trains and measures the networks not shown (a few seconds each the first time).")
    view = compute.blocks_view(key, settings["epochs"], settings["lr"], presentation_on())
    chosen, plain = view["chosen"], view["plain"]
    st.plotly_chart(view["figure"], key="nh_blocks_chart")
    m = st.columns(4)
    m[0].metric(f"{BLOCK_TITLES[key]}: off-block share at the start", f"{np.median(chosen['share_initial']):.1%}")
    m[1].metric(f"{BLOCK_TITLES[key]}: after training", f"{np.median(chosen['share_trained']):.1%}")
    m[2].metric("Plain network: off-block share at the start", f"{np.median(plain['share_initial']):.1%}")
    m[3].metric("Plain network: after training", f"{np.median(plain['share_trained']):.1%}")
    st.caption(f"Medians over {len(hs.STUDY_SEEDS)} seeds. The network has {len(chosen['block_sizes'])} neurons "
               f"(blocks of {min(chosen['block_sizes'])} to {max(chosen['block_sizes'])} parameters). Where the two "
               "curves part, the blocks miss curvature that lives between neurons.")
    out = {"key": key, "chosen": chosen, "plain": plain}
    if compare:
        every = compute.shares_view(settings["epochs"], settings["lr"], presentation_on())
        st.plotly_chart(every["figure"], key="nh_shares_chart")
        st.dataframe(every["rows"], hide_index=True)
        out["every"] = every
    return out


def cost_section() -> dict:
    st.header("What the exact Hessian costs")
    st.markdown(
        "The exact Hessian holds P² numbers and its eigendecomposition takes time of order P³; computing it costs about P "
        "Hessian-vector products. Lanczos needs only m Hessian-vector products (each a few gradients' work) and an m × P "
        "basis, and its Ritz values converge to the extreme eigenvalues first."
    )
    live = st.toggle("Measure on this server now", False, key="nh_cost_live", bind="query-params",
                     help=f"Times the exact Hessian and {hs.COST_STEPS} Lanczos steps on networks of "
                          f"{len(hs.COST_WIDTHS)} sizes (each size compiles its programs once: about a minute the first time).")
    view = compute.cost_view(bool(live), presentation_on())
    live = view["live"]
    st.plotly_chart(view["figure"], key="nh_cost_chart")
    st.caption("Dotted: the stored benchmark (bench/bench_network_hessian.py, CPU seconds of warm calls on a loaded "
               "2-core box; networks of two tanh layers up to P = 4,417, beyond the exact limit of 2,500). Memory: "
               "the P × P matrix against the 64 × P Lanczos basis, 8 bytes a number.")
    if live:
        st.dataframe([{"P": r["n_parameters"], "exact H + eigvalsh (s)": f"{r['exact_seconds']:.4f}",
                       "of which eigvalsh (s)": f"{r['eigvalsh_seconds']:.4f}",
                       f"Lanczos {hs.COST_STEPS} steps (s)": f"{r['lanczos_seconds']:.4f}",
                       "H memory": f"{r['exact_bytes'] / 1e6:.3f} MB", "basis memory": f"{r['lanczos_bytes'] / 1e6:.3f} MB",
                       "top 3 by eigvalsh": ", ".join(f"{v:.6f}" for v in r["exact_top"]),
                       "top 3 by Lanczos": ", ".join(f"{v:.6f}" for v in r["lanczos_top"]),
                       "largest difference": f"{np.max(np.abs(np.asarray(r['exact_top']) - r['lanczos_top'])):.1e}"}
                      for r in live], hide_index=True)
        st.caption("Live timings are the best of three warm calls, wall time, on a shared server: they vary from run to run.")
    return {"live": live}


st.title("The Hessian of a network")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
verdict = st.container()
settings = training_controls()
floor, k = definition_controls()
results = {"settings": settings, "floor": floor, "k": k, "recommendations": recommendations_section(settings, floor, k),
           "spectrum": spectrum_section(settings), "blocks": blocks_section(settings), "cost": cost_section()}
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, settings))
