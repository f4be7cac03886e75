"""Cached bridges of the page "The Hessian of a network": plain, hashable arguments in, NumPy data out.

Shapes are fixed by the variant (its architecture), the 4 seeds and the moons' data bucket; the epochs,
the learning rate, the raw inputs' offset and scale and the large gain are values (traced arguments of
the training program, or data), so moving them reruns compiled programs and compiles nothing. The floor
tau and k of the condition numbers are applied on the page to cached spectra (NumPy only).

Weights: a study entry holds 2 x 4 spectra and 2 x 4 parameter vectors of at most 135 numbers
(~20 kB); a block study two P x P-free spectra (~5 kB); the cost rows a few numbers."""

from __future__ import annotations

import numpy as np
import streamlit as st

from networks import hessian_studies as hs
from networks.hessian import training_data
from ui.charts import encode_arrays
from ui.deep_networks import network_hessian_charts as hc
from ui.deep_networks.network_hessian_presets import BLOCK_TITLES, SHORT_TITLES, VARIANT_TITLES

EPOCH_OPTIONS = (25, 50, 100, 200, 400, 800)
LR_OPTIONS = (0.001, 0.003, 0.01, 0.03, 0.1)


def _settings(epochs: int, lr: float):
    return hs.STUDY_SETTINGS.replace(epochs=int(epochs), snapshot_every=int(epochs), lr=float(lr))


def relevant(key: str, offset: float, scale: float, gain: float) -> tuple:
    """The (offset, scale, gain) a variant depends on; the others at their defaults, so caches are shared."""
    return (float(offset) if key == "raw" else hs.RAW_OFFSET,
            float(scale) if key in ("raw", "centred") else hs.RAW_SCALE,
            float(gain) if key == "large_init" else None)


def study(key: str, epochs: int, lr: float, offset: float, scale: float, gain: float) -> dict:
    return _study(key, int(epochs), float(lr), *relevant(key, offset, scale, gain))


@st.cache_data(max_entries=64, show_spinner=False)  # 4 x 135 eigenvalues: ~4 kB
def _initial_spectra(key: str, offset: float, scale: float, gain: float | None) -> np.ndarray:
    """The spectra at the start: epochs and learning rate do not change them."""
    return hs.initial_spectra(hs.VARIANTS[key], hs.STUDY_SEEDS, offset, scale, gain)


@st.cache_data(max_entries=64, show_spinner=False)
def _study(key: str, epochs: int, lr: float, offset: float, scale: float, gain: float | None) -> dict:
    result = hs.condition_study(hs.VARIANTS[key], _settings(epochs, lr), hs.STUDY_SEEDS, offset, scale, gain,
                                initial=_initial_spectra(key, offset, scale, gain))
    return {"initial": result.initial_eigenvalues, "trained": result.trained_eigenvalues,
            "loss": result.train_loss, "messages": result.messages, "P": result.n_parameters,
            "trained_thetas": result.trained_thetas, "initial_thetas": result.initial_thetas,
            "offset": offset, "scale": scale, "gain": gain}


@st.cache_data(max_entries=32, show_spinner=False)
def slq(key: str, epochs: int, lr: float, offset: float, scale: float, gain: float | None, trained: bool) -> dict:
    """The SLQ density of seed 0's Hessian (at the start or after training)."""
    result = _study(key, epochs, lr, offset, scale, gain)
    theta = result["trained_thetas" if trained else "initial_thetas"][0]
    spectrum = hs.slq_spectrum(hs.VARIANTS[key], theta, offset, scale)
    return {"grid": spectrum.grid, "density": spectrum.density}


@st.cache_data(max_entries=32, show_spinner=False)
def blocks(key: str, epochs: int, lr: float) -> dict:
    result = hs.block_study(hs.BLOCK_NETWORKS[key], _settings(epochs, lr), hs.STUDY_SEEDS)
    return {"share_initial": result.share_initial, "share_trained": result.share_trained,
            "full_initial": result.full_initial, "block_initial": result.block_initial,
            "full_trained": result.full_trained, "block_trained": result.block_trained,
            "block_sizes": result.block_sizes}


@st.cache_data(max_entries=8, show_spinner=False)
def cost_rows(widths: tuple) -> list:
    """Live timings of the exact Hessian and of Lanczos (each width compiles its programs once)."""
    data = training_data(hs.study_data(hs.VARIANTS["tanh"]))
    return [hs.cost_row(w, data)._asdict() for w in widths]


@st.cache_data(max_entries=1, show_spinner=False)
def stored_bench() -> dict:
    return hs.stored_bench()._asdict()



# ---- views: everything a section draws, cached by its inputs (a plain rerun rebuilds nothing) ---------------
# ``present`` (presentation mode) is an argument only so that the figures' type sizes are cached apart.

WHEN = ("at initialization", "after training")


def settings_key(settings: dict) -> tuple:
    return settings["epochs"], settings["lr"], settings["offset"], settings["scale"], settings["gain"]


def _median(values) -> float:
    values = np.asarray(values, float)
    finite = values[np.isfinite(values)]
    return float(np.median(finite)) if finite.size else float("inf")


def _range(values, digits: str = ".3g") -> str:
    values = np.asarray(values, float)
    return f"{_median(values):{digits}} ({np.min(values):{digits}}–{np.max(values):{digits}})"


@st.cache_data(max_entries=64, show_spinner="Training the networks and taking their exact Hessians...")  # ~60 kB: a figure of 6 x 4 x 2 points and a 9-row table
def recommendation_view(epochs: int, lr: float, offset: float, scale: float, gain: float, floor: float, k: int,
                        present: bool) -> dict:
    """The table and chart of the recommendations: every condition number from the cached spectra."""
    studies = {key: study(key, epochs, lr, offset, scale, gain) for key in hs.VARIANTS}
    measured = {key: {when: [hs.conditioning(e, floor, k) for e in result[field]]
                      for when, field in zip(WHEN, ("initial", "trained"))} for key, result in studies.items()}
    rows = []
    for title, keys in hs.COMPARISONS.values():
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
    panels = {
        f"spread of the top λ₁/λ{k}": (True, {w: [[x.top_ratio for x in measured[key][w]] for key in hs.VARIANTS] for w in WHEN}),
        "κ₊ of the positive part": (True, {w: [[x.kappa for x in measured[key][w]] for key in hs.VARIANTS] for w in WHEN}),
        "negative eigenvalues": (False, {w: [[x.n_negative for x in measured[key][w]] for key in hs.VARIANTS] for w in WHEN}),
    }
    figure = hc.conditioning_figure([SHORT_TITLES[key] for key in hs.VARIANTS], panels,
                                    f"Conditioning of the Hessian, each recommendation broken (large start: LeCun × {gain:g})")
    errors = [f"{VARIANT_TITLES[key]}, seed {r}: training {message}." for key, result in studies.items()
              for r, message in enumerate(result["messages"]) if "stopped" in message]
    spread = {key: {w: _median([x.top_ratio for x in measured[key][w]]) for w in WHEN} for key in hs.VARIANTS}
    return {"figure": encode_arrays(figure), "rows": rows, "errors": errors, "spread": spread}


@st.cache_data(max_entries=32, show_spinner="Stochastic Lanczos quadrature...")  # ~40 kB: two histograms and two SLQ curves of 400 points
def spectrum_view(key: str, epochs: int, lr: float, offset: float, scale: float, gain: float, present: bool) -> dict:
    offset, scale, gain = relevant(key, offset, scale, gain)
    result = _study(key, epochs, lr, offset, scale, gain)
    panels = {}
    for when, field, trained in zip(WHEN, ("initial", "trained"), (False, True)):
        density = slq(key, epochs, lr, offset, scale, gain, trained)
        panels[when] = (result[field][0], (density["grid"], density["density"]))
    return {"figure": encode_arrays(hc.spectrum_figure(panels, f"Eigenvalues of the Hessian, {VARIANT_TITLES[key]} (seed 0)")),
            "P": result["P"]}


@st.cache_data(max_entries=32, show_spinner="Measuring the blocks...")  # ~20 kB
def blocks_view(key: str, epochs: int, lr: float, present: bool) -> dict:
    chosen, plain = blocks(key, epochs, lr), blocks("plain", epochs, lr)
    spectra = {w: {"full Hessian H": chosen[f"full_{f}"], "blocks only": chosen[f"block_{f}"]}
               for w, f in zip(WHEN, ("initial", "trained"))}
    figure = hc.sorted_spectra_figure(spectra, f"Eigenvalues of H and of its neuron blocks, {BLOCK_TITLES[key]} (seed 0)")
    return {"figure": encode_arrays(figure), "chosen": chosen, "plain": plain}


@st.cache_data(max_entries=16, show_spinner="Measuring the other networks...")  # ~10 kB
def shares_view(epochs: int, lr: float, present: bool) -> dict:
    every = {k: blocks(k, epochs, lr) for k in hs.BLOCK_NETWORKS}
    figure = hc.share_bars([BLOCK_TITLES[k] for k in every], [every[k]["share_initial"] for k in every],
                           [every[k]["share_trained"] for k in every], "Off-block share ‖H − blockdiag(H)‖² / ‖H‖²")
    rows = [{"network": BLOCK_TITLES[k], "share at start": _range(v["share_initial"], ".1%"),
             "share trained": _range(v["share_trained"], ".1%")} for k, v in every.items()]
    return {"figure": encode_arrays(figure), "rows": rows, "every": every}


@st.cache_data(max_entries=4, show_spinner="Timing the exact Hessian and Lanczos...")  # ~15 kB
def cost_view(live: bool, present: bool) -> dict:
    rows = cost_rows(hs.COST_WIDTHS) if live else None
    return {"figure": encode_arrays(hc.cost_figure(rows or [], stored_bench(), "Exact Hessian against Lanczos")), "live": rows}
