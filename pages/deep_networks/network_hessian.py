"""The Hessian of a network: the lecture's recommendations measured on the exact Hessian (is it better
conditioned?), the per-neuron block-diagonal approximation against the whole, the spectrum, and what the
exact Hessian costs against Lanczos."""

import numpy as np
import streamlit as st

from networks import hessian_studies as hs
from ui.controls import fmt
from ui.deep_networks import network_hessian_charts as hc
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


def all_studies(settings: dict) -> dict:
    with st.spinner("Training the networks and taking their exact Hessians..."):
        return {key: compute.study(key, **settings) for key in hs.VARIANTS}


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


def conditions(studies: dict, floor: float, k: int) -> dict:
    """{variant: {when: [Conditioning per seed]}} recomputed from the cached spectra (NumPy only)."""
    return {key: {when: [hs.conditioning(e, floor, k) for e in result[field]]
                  for when, field in zip(WHEN, ("initial", "trained"))} for key, result in studies.items()}


def _median(values) -> float:
    values = np.asarray(values, float)
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("inf")


def _range(values, digits: str = ".3g") -> str:
    values = np.asarray(values, float)
    return f"{_median(values):{digits}} ({np.min(values):{digits}}–{np.max(values):{digits}})"


def recommendations_section(studies: dict, floor: float, k: int) -> dict:
    st.header("The recommendations, measured")
    measured = conditions(studies, floor, k)
    rows = []
    for comparison, (title, keys) in hs.COMPARISONS.items():
        reference = keys[-1]
        for key in keys:
            c = measured[key]
            rows.append({
                "recommendation": title, "network": VARIANT_TITLES[key], "P": studies[key]["P"],
                f"λ₁/λ{k} at start": _range([x.top_ratio for x in c[WHEN[0]]]),
                f"λ₁/λ{k} trained": _range([x.top_ratio for x in c[WHEN[1]]]),
                "κ₊ at start": _range([x.kappa for x in c[WHEN[0]]]),
                "κ₊ trained": _range([x.kappa for x in c[WHEN[1]]]),
                "negative at start": _range([x.n_negative for x in c[WHEN[0]]], ".0f"),
                "negative trained": _range([x.n_negative for x in c[WHEN[1]]], ".0f"),
                "λ₁ trained": _range([x.lambda_max for x in c[WHEN[1]]]),
                "training loss at the end": _range(studies[key]["loss"][:, 1]),
                "top spread lower than this row? (start / trained)": "" if key == reference else " / ".join(
                    "yes" if _median([x.top_ratio for x in measured[reference][w]]) < _median([x.top_ratio for x in c[w]])
                    else "no" for w in WHEN),
            })
    labels = [VARIANT_TITLES[key] for key in hs.VARIANTS]
    panels = {
        f"spread of the top λ₁/λ{k}": (True, {w: [[x.top_ratio for x in measured[key][w]] for key in hs.VARIANTS] for w in WHEN}),
        "κ₊ of the positive part": (True, {w: [[x.kappa for x in measured[key][w]] for key in hs.VARIANTS] for w in WHEN}),
        "negative eigenvalues": (False, {w: [[x.n_negative for x in measured[key][w]] for key in hs.VARIANTS] for w in WHEN}),
    }
    st.plotly_chart(hc.conditioning_figure(labels, panels, "Conditioning of the Hessian, each recommendation broken"),
                    key="nh_conditioning_chart")
    st.dataframe(rows, hide_index=True)
    st.caption(
        f"Medians over {len(hs.STUDY_SEEDS)} seeds (smallest–largest in brackets); the reference row of each "
        "recommendation (standardized, tanh, LeCun, 8-8) follows them all, and the last column says whether the reference's "
        f"median λ₁/λ{k} is below that row's. κ₊ is capped by 1/τ = {1 / floor:.3g}: the eigenvalues run down to zero "
        "continuously, so the floor decides most of κ₊; the recommendations act on a few outlying eigenvalues at the top."
    )
    for key, result in studies.items():
        for r, message in enumerate(result["messages"]):
            if "stopped" in message:
                st.error(f"{VARIANT_TITLES[key]}, seed {r}: training {message}.", icon=":material/error:")
    return {"measured": measured, "rows": rows}


def spectrum_section(studies: dict, settings: dict) -> dict:
    st.header("The spectrum at initialization and after training")
    key = st.selectbox("Network", list(hs.VARIANTS), key="nh_spectrum", format_func=VARIANT_TITLES.get, bind="query-params")
    result = studies[key]
    offset, scale, gain = compute.relevant(key, settings["offset"], settings["scale"], settings["gain"])
    panels = {}
    with st.spinner("Stochastic Lanczos quadrature..."):
        for when, field, trained in zip(WHEN, ("initial", "trained"), (False, True)):
            density = compute.slq(key, settings["epochs"], settings["lr"], offset, scale, gain, trained)
            panels[when] = (result[field][0], (density["grid"], density["density"]))
    st.plotly_chart(hc.spectrum_figure(panels, f"Eigenvalues of the Hessian, {VARIANT_TITLES[key]} (seed 0)"),
                    key="nh_spectrum_chart")
    st.caption(
        f"Bars: all {result['P']} eigenvalues of the exact Hessian, as a density (their count per unit of λ, divided by "
        "P). Line: stochastic Lanczos quadrature, the estimate that needs only Hessian-vector products (4 random ±1 "
        "starts, 64 Lanczos steps, each Ritz value smoothed by a narrow Gaussian): it finds the outliers and the bulk "
        "near zero without forming H."
    )
    return {"key": key, "panels": panels}


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
    with st.spinner("Measuring the blocks..."):
        chosen = compute.blocks(key, settings["epochs"], settings["lr"])
        plain = compute.blocks("plain", settings["epochs"], settings["lr"])
    spectra = {w: {"full Hessian H": chosen[f"full_{f}"], "blocks only": chosen[f"block_{f}"]}
               for w, f in zip(WHEN, ("initial", "trained"))}
    st.plotly_chart(hc.sorted_spectra_figure(spectra, f"Eigenvalues of H and of its neuron blocks, {BLOCK_TITLES[key]} "
                                                      "(seed 0)"), key="nh_blocks_chart")
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
        with st.spinner("Measuring the other networks..."):
            every = {k: compute.blocks(k, settings["epochs"], settings["lr"]) for k in hs.BLOCK_NETWORKS}
        labels = [BLOCK_TITLES[k] for k in every]
        st.plotly_chart(hc.share_bars(labels, [every[k]["share_initial"] for k in every],
                                      [every[k]["share_trained"] for k in every],
                                      "Off-block share ‖H − blockdiag(H)‖² / ‖H‖²"), key="nh_shares_chart")
        st.dataframe([{"network": BLOCK_TITLES[k], "share at start": _range(v["share_initial"], ".1%"),
                       "share trained": _range(v["share_trained"], ".1%")} for k, v in every.items()], hide_index=True)
        out["every"] = every
    return out


def cost_section() -> dict:
    st.header("What the exact Hessian costs")
    st.markdown(
        "The exact Hessian holds P² numbers and its eigendecomposition takes time of order P³; computing it costs about P "
        "Hessian-vector products. Lanczos needs only m Hessian-vector products (each a few gradients' work) and an m × P "
        "basis, and its Ritz values converge to the extreme eigenvalues first."
    )
    stored = compute.stored_bench()
    live = None
    if st.toggle("Measure on this server now", False, key="nh_cost_live", bind="query-params",
                 help=f"Times the exact Hessian and {hs.COST_STEPS} Lanczos steps on networks of "
                      f"{len(hs.COST_WIDTHS)} sizes (each size compiles its programs once: about a minute the first time)."):
        with st.spinner("Timing the exact Hessian and Lanczos..."):
            live = compute.cost_rows(hs.COST_WIDTHS)
    st.plotly_chart(hc.cost_figure(live or [], stored, "Exact Hessian against Lanczos"), key="nh_cost_chart")
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
    return {"live": live, "stored": stored}


st.title("The Hessian of a network")
preset_picker(PRESETS, CONTROLLED_KEYS, key="preset")
with st.sidebar:
    challenge = challenge_box(CHALLENGES, CONTROLLED_KEYS, key="challenge")
verdict = st.container()
settings = training_controls()
studies = all_studies(settings)
floor, k = definition_controls()
results = {"settings": settings, "studies": studies, "floor": floor, "k": k,
           "recommendations": recommendations_section(studies, floor, k),
           "spectrum": spectrum_section(studies, settings), "blocks": blocks_section(settings), "cost": cost_section()}
if challenge is not None:
    with verdict:
        show_challenge_result(challenge, *challenge.check(results, settings))
